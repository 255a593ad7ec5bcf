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
struct pat_db;
struct pat_scanner;
struct peer_addr;
struct rec_meta;
struct syslog_msg;

/* What `where:` conditions test: a record's fields. NULL/absent fields fail
 * every condition on them. */
struct pat_fields {
	const struct syslog_msg *sys; /* the parsed syslog header, or NULL */
	const struct peer_addr *peer; /* the sender (syslog listeners), or NULL */
	const char *source_name;      /* the record's source */
};

/* A run of records to scan, and what is known of them. */
struct pat_batch {
	const char *buf; /* whole records, each ended by '\n' */
	size_t len;
	const struct rec_meta *meta; /* meta[i] of record i, or NULL */
	uint32_t nmeta;
	const char *source_name;
	bool parse_syslog;   /* parse each record's syslog header into fields */
	int64_t now_ms;	     /* picks the year of a syslog stamp without one */
	int32_t tz_offset_s; /* for syslog stamps without a zone */
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
 * header is parsed (ingest/syslog.h) and *parse_errors (OUT, added to)
 * counts records whose header did not parse (they still match as text);
 * meta gives each record's sender. Returns the number of records, or -errno.
 */
int64_t pat_scan_batch(struct pat_scanner *s, const struct pat_batch *b, uint32_t max_line,
		       uint64_t *counts, struct pat_cut *cut, uint64_t *parse_errors);

/* Does any rule test fields (`where:`)? */
bool pat_db_uses_fields(const struct pat_db *db);

#endif
