/*
 * pattern.h - rules compiled into one Hyperscan database, and the per-line
 * scan that counts which rules match which records.
 *
 * Owns: struct pat_db (the compiled database, shared read-only by every
 * thread once built) and struct pat_scanner (one per thread: a Hyperscan
 * scratch and a per-record match set; never shared).
 * Every hs_* call in weir lives in pattern/, so Vectorscan can stand in.
 *
 * Semantics: a rule matches a record when its regex matches somewhere inside
 * that record (a rule without `match:` matches every record) and the
 * record's fields pass every `where:` condition. Records never contain
 * their line terminator (LF, or CR LF), and a match never spans two
 * records. A record counts at most once per rule, however many times the
 * rule matches inside it.
 */
#ifndef WEIR_PATTERN_H
#define WEIR_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

struct cfg;
struct tz_zone;
struct pat_db;
struct pat_scanner;
struct peer_addr;
struct rec_meta;
struct syslog_msg;
struct fieldset;

/* A named field a rule reads: a capture group of its own regex (group > 0)
 * or a field of the record's format (group -1). */
struct pat_ref {
	const char *name; /* NULL: none */
	uint32_t nlen;
	int group;
};

/* What `where:` conditions and rule outputs read: a record's fields.
 * NULL/absent fields fail every condition on them. */
struct pat_fields {
	const struct syslog_msg *sys; /* the parsed syslog header, or NULL */
	const struct peer_addr *peer; /* the sender (syslog listeners), or NULL */
	const char *source_name;      /* the record's source */
	const struct fieldset *fs;    /* the format's fields, or NULL */
	const char *rec;	      /* the record: captures point into it */
	const size_t *ovec;	      /* the current rule's captures (PCRE2 pairs), or NULL */
	uint32_t ncap;		      /* pairs in ovec */
};

/* A run of records to scan, and what is known of them. */
struct pat_batch {
	const char *buf; /* whole records, each ended by '\n' */
	size_t len;
	const struct rec_meta *meta; /* meta[i] of record i, or NULL */
	uint32_t nmeta;
	const char *source_name;
	uint8_t format;	     /* enum cfg_format: how records are parsed into fields */
	int64_t now_ms;	     /* arrival: picks the year of a stamp without one, and is the
				second event times are counted from (struct pat_sink.dsec) */
	int32_t tz_offset_s; /* for stamps without a zone (see struct pat_time) */
};

/* What a batch's source says about time (pat_scan_time). A zeroed struct
 * is `time: arrival` with stamps at the batch's tz_offset_s. */
struct pat_time {
	/* `time: event`: rules without a `time:` of their own count each
	 * record at its own timestamp */
	bool event;
	/* `timezone:` for stamps without a zone (borrowed, core/tzone.h);
	 * NULL: the fixed pat_batch.tz_offset_s */
	const struct tz_zone *zone;
};

/* Records cut at max_line while scanning. */
struct pat_cut {
	uint64_t lines;
	uint64_t bytes; /* bytes beyond max_line, not scanned */
};

/*
 * Compile every rule of cfg into one database. On success 0 and *out.
 * On failure -EINVAL and *errs: a malloc'd string, one line per rejected
 * rule, "FILE:LINE:COL: rule 'NAME': <why>\n" (caller frees).
 */
int pat_db_compile(const struct cfg *cfg, struct pat_db **out, char **errs);
/* The formats of cfg's sources, as pat_db_compile_for wants them. */
unsigned pat_cfg_formats(const struct cfg *cfg);
/* The same, with the set of formats (1u << enum cfg_format) records may
 * come in, for checking field names (pat_db_compile: the sources'). */
int pat_db_compile_for(const struct cfg *cfg, unsigned formats, struct pat_db **out, char **errs);
void pat_db_free(struct pat_db *db);
uint32_t pat_db_nrules(const struct pat_db *db);

/* Low-level access for the benchmark ceiling (tests/bench): the raw
 * Hyperscan database (hs_database_t *) and a fresh scratch for it. */
void *pat_db_hs(const struct pat_db *db);

/* A per-thread scanner. counts: caller's array of pat_db_nrules() counters
 * that pat_scan_lines() increments (one per matching record per rule). */
int pat_scanner_new(const struct pat_db *db, struct pat_scanner **out);
void pat_scanner_free(struct pat_scanner *s);

/*
 * Scan buf[0..len), a run of whole records each ended by '\n' (a CR before
 * the LF is not part of the record), adding 1 to counts[rule] for each
 * record each rule matches. A record longer than max_line is scanned over
 * its first max_line bytes only; cut->lines and cut->bytes (OUT, added to)
 * count such records and the bytes not scanned.
 * Returns the number of records, or -errno.
 */
int64_t pat_scan_lines(struct pat_scanner *s, const char *buf, size_t len, uint32_t max_line,
		       uint64_t *counts, struct pat_cut *cut);

/*
 * As pat_scan_lines, over b, with fields: with parse_syslog each record's
 * header is parsed (pattern/syslog.h) and *parse_errors (OUT, added to)
 * counts records whose header did not parse (they still match as text);
 * meta gives each record's sender. Returns the number of records, or -errno.
 */
int64_t pat_scan_batch(struct pat_scanner *s, const struct pat_batch *b, uint32_t max_line,
		       uint64_t *counts, struct pat_cut *cut, uint64_t *parse_errors);

/* Does any rule test fields (`where:`)? */
bool pat_db_uses_fields(const struct pat_db *db);
/* Does any rule make observations (value:, top:, distinct:, captures)? */
bool pat_db_observes(const struct pat_db *db);

/* What a rule emits besides its count (struct pat_sink.obs). */
enum pat_obs {
	PAT_OBS_VALUE,	  /* v: the value: field, in its base unit */
	PAT_OBS_TOP,	  /* p, len: the top: field's value */
	PAT_OBS_DISTINCT, /* p, len: the distinct: field's value */
	PAT_OBS_EXTRACT,  /* len: PCRE2 extractions, v: their nanoseconds */
	PAT_OBS_COUNT,	  /* len: matches of an event-time rule counted at the record's
			     own second (struct pat_sink.dsec) instead of in counts[];
			     runs of records of one rule and one second are merged, so
			     len may exceed 1 */
	PAT_OBS_LIMIT,	  /* len: matches whose PCRE2 extraction gave up at its match
			     or depth limit (no captures taken) */
	PAT_OBS_MISSING,  /* len: matches that lacked their value:, top: or distinct:
			     field (or whose value: was no number); counted, not kept */
};

/* PCRE2 stops a capture match after PAT_MATCH_LIMIT steps plus
 * PAT_MATCH_PER_BYTE per byte of the record (its match and depth limits):
 * a regex such as (a+)+b takes exponential time and would otherwise spend
 * milliseconds to seconds per record, while a linear one (even a lazy .+?
 * that retries the rest at every byte of a 60 KB line) stays far below. */
#define PAT_MATCH_LIMIT 100000u
#define PAT_MATCH_PER_BYTE 64u

/* Rules whose captures run without PCRE2's JIT (it failed or is not
 * available, e.g. under MemoryDenyWriteExecute): slower, still correct. */
uint32_t pat_db_interpreted(const struct pat_db *db);

struct strbuf;
/* Warnings about cfg's rules compiled into db, one line each
 * ("FILE:LINE:COL: warning: ...\n") appended to out: regexes whose
 * captures can backtrack exponentially (pattern/backtrack.h). Returns how
 * many. */
size_t pat_db_warnings(const struct pat_db *db, const struct cfg *cfg, struct strbuf *out);

/* A matched record offered as a sample (struct pat_sink.sample); the
 * pointers are valid during the call only. */
struct pat_sample {
	const char *rec; /* the record, as scanned */
	size_t len;	 /* its bytes scanned (cut at max_line) */
	size_t full_len; /* its length before that cut */
	uint32_t index;	 /* its place in the batch (0, 1, ...) */
	const char *key; /* a top: rule's field value, or NULL */
	size_t key_len;	 /* its length */
};

/* Where a scan puts what it finds. Owned by the caller. */
struct pat_sink {
	uint64_t *counts; /* [nrules]; obs may point it elsewhere */
	/* NULL: observations are dropped. Otherwise called for each one;
	 * returns 0 or -errno (the scan stops). */
	int (*obs)(struct pat_sink *sk, uint32_t rule, enum pat_obs kind, const char *p,
		   uint32_t len, double v);
	void *arg;
	struct pat_cut cut;	    /* OUT, added to */
	uint64_t parse_errors;	    /* OUT, added to: records the format could not parse */
	uint64_t unmatched;	    /* OUT, added to: records no rule counted */
	const char *last_unmatched; /* OUT: the batch's last one (points into the batch) */
	uint32_t last_unmatched_len;
	/* Event time. dsec (OUT, valid inside obs): the second of what obs
	 * reports, minus floor(now_ms / 1000): the record's own second for an
	 * event-time rule (clamped to the int32 range), else 0. no_timestamp
	 * (OUT, added to): records an event-time rule counted that carried no
	 * timestamp weir could read (they count at arrival, dsec 0). */
	int32_t dsec;
	uint64_t no_timestamp;
	/* Samples. NULL sample_left: none taken. Otherwise each record a rule
	 * counts is offered while sample_left[rule] ([nrules], the caller's
	 * budget) is not 0, which the scan then decrements: a rule that
	 * matches a lot costs one check per match beyond its budget. */
	void (*sample)(struct pat_sink *sk, uint32_t rule, const struct pat_sample *s);
	uint8_t *sample_left;
};

/*
 * Scan b: counts, fields, captures (PCRE2-JIT, only for rules that matched
 * and read a capture), and each rule's value/top/distinct into sink.
 * Event time (pat_scan_time): a rule whose `time:` is event (its own, else
 * t->event) counts a record stamped in another second than now_ms's through obs
 * (PAT_OBS_COUNT, with sink->dsec) instead of counts[]; its other
 * observations carry the same dsec. The stamp is the syslog header's, the
 * format's (json, logfmt, access logs), or for raw records one at the
 * start of the line (ts_parse_prefix); it is only looked for when an
 * event-time rule counts the record. Without sink->obs every rule counts
 * in counts[]. Returns the number of records, or -errno.
 */
int64_t pat_scan(struct pat_scanner *s, const struct pat_batch *b, uint32_t max_line,
		 struct pat_sink *sink);
/* As pat_scan, with what b's source says about time (NULL: arrival, and
 * stamps at b->tz_offset_s). */
int64_t pat_scan_time(struct pat_scanner *s, const struct pat_batch *b, const struct pat_time *t,
		      uint32_t max_line, struct pat_sink *sink);

#endif
