/*
 * log.h - weir's diagnostic log: one line per event on stderr,
 * "weir: LEVEL: message". Thread-safe (each line is one write(2)).
 *
 * A line that can repeat without bound (an error a client or the system
 * can provoke over and over: an accept() out of descriptors, a library's
 * complaint about every connection) goes through LOG_LIMITED: at most one
 * line per interval from that call site, the next one saying how many
 * were dropped meanwhile, "(N similar suppressed)".
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped; default LOG_INFO. */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* One rate-limited stream of lines (a call site's, or a key's). A zeroed
 * struct is ready; it is never freed. Lock-free: any thread may log
 * through it. */
struct log_limit {
	_Atomic int64_t next_ms;     /* monotonic ms before which lines are dropped */
	_Atomic uint64_t suppressed; /* dropped since the last line written */
};

/*
 * log_msg through ll: written if interval_ms have passed since the last
 * line ll wrote (the first always is), else counted and dropped. A written
 * line ends in " (N similar suppressed)" when N were dropped before it. A
 * level the log drops anyway is neither written nor counted.
 */
void log_limited(struct log_limit *ll, unsigned interval_ms, enum log_level level, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/* log_limited with a limit of the call site's own. */
#define LOG_LIMITED(level, interval_ms, ...)                                                       \
	do {                                                                                       \
		static struct log_limit log_limit_site_;                                           \
		log_limited(&log_limit_site_, (interval_ms), (level), __VA_ARGS__);                \
	} while (0)

#endif
