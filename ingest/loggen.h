/*
 * loggen.h - a deterministic generator of realistic log lines: nginx/apache
 * combined access-log lines and RFC 3164 syslog lines (sshd, sudo, kernel,
 * systemd, cron, app errors) in a realistic mix.
 *
 * Used by the demo source (core of `make run`) and by the benchmark corpus
 * generator. The same seed and start time always give the same bytes.
 * No allocation: all state lives in struct loggen.
 */
#ifndef WEIR_LOGGEN_H
#define WEIR_LOGGEN_H

#include <stddef.h>
#include <stdint.h>

struct loggen {
	uint64_t rng;	  /* xorshift/splitmix state */
	int64_t now_ms;	  /* time stamped on the next line, ms since the epoch */
	uint32_t step_ms; /* how far time advances per line (on average) */
};

/* Start a generator. seed: any value; start_ms: the first line's time;
 * step_ms: mean time between lines (0 = keep now_ms, the caller sets it). */
void loggen_init(struct loggen *g, uint64_t seed, int64_t start_ms, uint32_t step_ms);

/* Write one line, ending in '\n', into buf (cap >= 1024 always suffices).
 * Returns its length including the '\n'. */
size_t loggen_line(struct loggen *g, char *buf, size_t cap);

#endif
