/* demo.c - see demo.h. */
#include "ingest/demo.h"

#include "core/clock.h"
#include "core/log.h"
#include "ingest/loggen.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEMO_STEP_MS 100

struct demo {
	char path[64];
	int fd;
	double rate;
	_Atomic bool stop;
	bool started;
	pthread_t thread;
};

static void *demo_main(void *arg)
{
	struct demo *d = arg;
	struct loggen g;
	char *buf = malloc(1 << 20);

	pthread_setname_np(pthread_self(), "weir-demo");
	double owed = 0;
	unsigned seed = (unsigned)now_ms();

	if (!buf)
		return NULL;
	loggen_init(&g, (uint64_t)now_ms(), now_ms(), 0);
	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		struct stat st;
		size_t len = 0;

		/* Real traffic is bursty: between half and 1.5x the mean rate. */
		owed += d->rate * DEMO_STEP_MS / 1000.0 *
			(0.5 + (double)(rand_r(&seed) % 1000) / 1000.0);
		g.now_ms = now_ms();
		while (owed >= 1.0 && len < (1 << 20) - 2048) {
			len += loggen_line(&g, buf + len, (1 << 20) - len);
			owed -= 1.0;
		}
		if (len && write(d->fd, buf, len) < 0)
			log_warn("demo: write %s: %s", d->path, strerror(errno));
		if (fstat(d->fd, &st) == 0 && st.st_size > (off_t)DEMO_MAX_BYTES &&
		    ftruncate(d->fd, 0) < 0)
			log_warn("demo: truncate %s: %s", d->path, strerror(errno));
		sleep_ms(DEMO_STEP_MS);
	}
	free(buf);
	return NULL;
}

int demo_new(double lines_per_sec, struct demo **out, const char **path)
{
	struct demo *d = calloc(1, sizeof(*d));
	const char *dir = getenv("TMPDIR");

	*out = NULL;
	if (!d)
		return -ENOMEM;
	snprintf(d->path, sizeof(d->path), "%s/weir-demo-XXXXXX.log",
		 dir && strlen(dir) < 32 ? dir : "/tmp");
	d->fd = mkostemps(d->path, 4, O_APPEND | O_CLOEXEC);
	if (d->fd < 0) {
		int rc = -errno;

		log_error("demo: cannot create %s: %s", d->path, strerror(errno));
		free(d);
		return rc;
	}
	d->rate = lines_per_sec > 0 ? lines_per_sec : 200;
	*out = d;
	*path = d->path;
	return 0;
}

int demo_start(struct demo *d)
{
	int rc = pthread_create(&d->thread, NULL, demo_main, d);

	if (rc)
		return -rc;
	d->started = true;
	log_info("demo: writing %.0f lines/s of access-log and syslog traffic to %s", d->rate,
		 d->path);
	return 0;
}

void demo_free(struct demo *d)
{
	if (!d)
		return;
	atomic_store_explicit(&d->stop, true, memory_order_relaxed);
	if (d->started)
		pthread_join(d->thread, NULL);
	close(d->fd);
	unlink(d->path);
	free(d);
}
