/*
 * test_log.c - core/log: the rate limiter for lines that can repeat
 * without bound (LOG_LIMITED, log_limited). Each test sends stderr to a
 * temporary file and reads back what was written: every call is either a
 * line or counted in a later line's "(N similar suppressed)", so lines +
 * suppressed == calls exactly, however many threads log at once.
 */
#include "core/log.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int saved_stderr = -1;
static FILE *capture;

static void capture_start(void)
{
	capture = tmpfile();
	cr_assert_not_null(capture);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert(saved_stderr >= 0);
	cr_assert(dup2(fileno(capture), STDERR_FILENO) >= 0);
}

/* What was written since capture_start (caller frees); stderr restored. */
static char *capture_end(void)
{
	long n;
	char *text;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	n = lseek(fileno(capture), 0, SEEK_END);
	text = calloc(1, (size_t)n + 1);
	cr_assert_not_null(text);
	cr_assert_eq(pread(fileno(capture), text, (size_t)n, 0), n);
	fclose(capture);
	return text;
}

/* Lines in text, and the sum of their "(N similar suppressed)". */
static void tally(const char *text, unsigned long *lines, unsigned long *suppressed)
{
	*lines = *suppressed = 0;
	for (const char *p = text; *p; p++)
		*lines += *p == '\n';
	for (const char *p = text; (p = strstr(p, " (")); p++) {
		unsigned long n;
		char tail[32];

		if (sscanf(p, " (%lu similar suppressed%31[)])", &n, tail) == 2)
			*suppressed += n;
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

Test(log, the_first_line_is_written_and_repeats_are_counted)
{
	struct log_limit ll = {0};
	unsigned long lines, suppressed;
	char *text;

	capture_start();
	for (int i = 0; i < 1000; i++)
		log_limited(&ll, 60000, LOG_WARN, "accept failed: %s", "Too many open files");
	text = capture_end();
	tally(text, &lines, &suppressed);
	cr_expect_eq(lines, 1, "%s", text);
	cr_expect(strstr(text, "weir: warn: accept failed: Too many open files\n"), "%s", text);
	cr_expect_eq(atomic_load(&ll.suppressed), 999);
	free(text);
}

Test(log, after_the_interval_the_next_line_says_how_many_were_dropped)
{
	struct log_limit ll = {0};
	unsigned long lines, suppressed;
	char *text;

	capture_start();
	for (int i = 0; i < 50; i++)
		log_limited(&ll, 100, LOG_ERROR, "flood %d", i);
	sleep_ms(150);
	log_limited(&ll, 100, LOG_ERROR, "flood %d", 50);
	text = capture_end();
	tally(text, &lines, &suppressed);
	cr_expect_eq(lines, 2, "%s", text);
	cr_expect(strstr(text, "flood 0\n"), "%s", text);
	cr_expect(strstr(text, "flood 50 (49 similar suppressed)\n"), "%s", text);
	free(text);
}

Test(log, one_line_per_interval_while_a_flood_lasts)
{
	struct log_limit ll = {0};
	unsigned long lines, suppressed, calls = 0;
	struct timespec t0, t;
	long elapsed;
	char *text;

	capture_start();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		log_limited(&ll, 50, LOG_WARN, "again");
		calls++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	sleep_ms(60);
	log_limited(&ll, 50, LOG_WARN, "again");
	calls++;
	clock_gettime(CLOCK_MONOTONIC, &t);
	text = capture_end();
	tally(text, &lines, &suppressed);
	/* at most one line per 50 ms (the first at 0), however many calls; a
	 * loaded machine may write fewer (a line covers a stall) */
	elapsed = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
	cr_expect(lines >= 3 && lines <= (unsigned long)elapsed / 50 + 1,
		  "%lu lines in %ld ms for %lu calls", lines, elapsed, calls);
	cr_expect(calls > 10 * lines, "%lu lines for %lu calls", lines, calls);
	cr_expect_eq(lines + suppressed, calls, "%lu + %lu != %lu", lines, suppressed, calls);
	free(text);
}

struct flood {
	struct log_limit *ll;
	unsigned long calls;
};

static void *flood_thread(void *arg)
{
	struct flood *f = arg;

	for (unsigned long i = 0; i < f->calls; i++)
		log_limited(f->ll, 20, LOG_WARN, "from a thread");
	return NULL;
}

Test(log, threads_share_a_limit_and_no_call_is_lost)
{
	struct log_limit ll = {0};
	struct flood f = {&ll, 20000};
	pthread_t th[4];
	unsigned long lines, suppressed;
	char *text;

	capture_start();
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, flood_thread, &f), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	sleep_ms(30);
	log_limited(&ll, 20, LOG_WARN, "from a thread");
	text = capture_end();
	tally(text, &lines, &suppressed);
	cr_expect_eq(lines + suppressed, 4 * f.calls + 1, "%lu + %lu", lines, suppressed);
	cr_expect(lines < 1000, "%lu lines", lines);
	free(text);
}

static void site_a(void)
{
	LOG_LIMITED(LOG_WARN, 60000, "site a");
}

static void site_b(void)
{
	LOG_LIMITED(LOG_WARN, 60000, "site b");
}

Test(log, each_call_site_has_its_own_limit)
{
	unsigned long lines, suppressed;
	char *text;

	capture_start();
	for (int i = 0; i < 10; i++) {
		site_a();
		site_b();
	}
	text = capture_end();
	tally(text, &lines, &suppressed);
	cr_expect_eq(lines, 2, "%s", text);
	cr_expect(strstr(text, "site a\n") && strstr(text, "site b\n"), "%s", text);
	free(text);
}

Test(log, a_level_the_log_drops_is_not_counted)
{
	struct log_limit ll = {0};
	char *text;

	log_set_level(LOG_ERROR);
	capture_start();
	for (int i = 0; i < 10; i++)
		log_limited(&ll, 60000, LOG_WARN, "quiet");
	text = capture_end();
	log_set_level(LOG_INFO);
	cr_expect_str_eq(text, "");
	cr_expect_eq(atomic_load(&ll.suppressed), 0);
	free(text);
}
