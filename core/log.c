/* log.c - see log.h. */
#include "core/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

static bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* One line: the stamp, the level, fmt with ap, then " (N similar
 * suppressed)" when suppressed is not 0. */
static void log_write(enum log_level level, uint64_t suppressed, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char line[1024];
	struct timespec ts;
	struct tm tm;
	int n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ weir: %s: ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000, names[level]);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (suppressed) {
		m = snprintf(line + n, sizeof(line) - (size_t)n - 1,
			     " (%" PRIu64 " similar suppressed)", suppressed);
		n += m > 0 ? m : 0;
		if (n > (int)sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';
	/* One write per line so concurrent lines do not interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_write(level, 0, fmt, ap);
	va_end(ap);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void log_limited(struct log_limit *ll, unsigned interval_ms, enum log_level level, const char *fmt,
		 ...)
{
	int64_t now, next;
	va_list ap;

	if (!log_enabled(level))
		return;
	now = mono_ms();
	next = atomic_load_explicit(&ll->next_ms, memory_order_relaxed);
	/* One thread wins the interval (the CAS); the others count. */
	if (now < next ||
	    !atomic_compare_exchange_strong_explicit(&ll->next_ms, &next, now + interval_ms,
						     memory_order_relaxed, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&ll->suppressed, 1, memory_order_relaxed);
		return;
	}
	va_start(ap, fmt);
	log_write(level, atomic_exchange_explicit(&ll->suppressed, 0, memory_order_relaxed), fmt,
		  ap);
	va_end(ap);
}
