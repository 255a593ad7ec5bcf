/*
 * source.h - a configured source as the threads see it.
 *
 * Built by app/run.c from the config (or from the files of `weir scan`)
 * before any thread starts, and read-only afterwards: ingest reads what to
 * open or listen on, workers read the format and time, the aggregator and
 * the API read names and paths. Owned by the pipeline (app/run.c frees it).
 */
#ifndef WEIR_SOURCE_H
#define WEIR_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

struct tz_zone;

struct pipe_source {
	char *name;
	char **patterns; /* paths and globs (scan: the files given) */
	uint32_t npatterns;
	char **excludes; /* fnmatch globs (borrowed from the cfg) */
	uint32_t nexcludes;
	bool start_at_end;	    /* files seen the first time: start at their end */
	bool follow;		    /* keep tailing at EOF (serve); false: read once (scan) */
	bool syslog;		    /* a syslog receiver: patterns are its listen URLs */
	uint8_t format;		    /* enum cfg_format: how workers parse each record */
	uint32_t first_listener;    /* syslog: its listeners are [first_listener, +npatterns) */
	uint32_t max_connections;   /* syslog, TCP: per listener */
	uint32_t idle_timeout_ms;   /* syslog, TCP: 0 = never */
	uint32_t flush_after_ms;    /* follow: flush a partial last line idle this long */
	uint8_t time;		    /* enum cfg_time, ARRIVAL or EVENT: the source's `time:` */
	const struct tz_zone *zone; /* `timezone:` for stamps without a zone (borrowed from
				       the cfg, core/tzone.h; NULL: UTC) */
};

#endif
