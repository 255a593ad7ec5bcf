/*
 * fields.h - a record's named fields, as the built-in parsers (a source's
 * `format:`) and a rule's named captures produce them.
 *
 * Owns: nothing beyond the struct. Names and values point into the record
 * itself (zero-copy) or, when a value had to be rewritten (a JSON string
 * with escapes, a dotted name such as "req.path"), into the set's scratch.
 * A fieldset is one per thread, reset per record; filling it never
 * allocates. Values are raw bytes: not NUL-terminated, not validated as
 * UTF-8 (the JSON writer escapes them on the way out).
 */
#ifndef WEIR_PATTERN_FIELDS_H
#define WEIR_PATTERN_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tz_zone;

#define FIELDS_MAX 64	    /* fields kept per record; more are counted, not kept */
#define FIELDS_SCRATCH 8192 /* bytes for rewritten names and values per record */

struct field {
	const char *name;
	const char *val;
	uint32_t nlen;
	uint32_t vlen;
};

struct fieldset {
	uint32_t n;
	uint32_t dropped; /* fields beyond FIELDS_MAX, or beyond the scratch */
	bool has_ts;	  /* ts_ms holds the record's own timestamp */
	int64_t ts_ms;	  /* event time, ms since the epoch (UTC) */
	/* How parsers read a timestamp (set by the caller after fields_reset,
	 * which puts them back to "unknown time, UTC"): ts_now_ms picks the
	 * year of a stamp without one (INT64_MIN: such stamps are not used),
	 * ts_zone reads stamps without a zone (borrowed; NULL: UTC). */
	int64_t ts_now_ms;
	const struct tz_zone *ts_zone;
	uint32_t slen; /* scratch bytes used */
	struct field f[FIELDS_MAX];
	char scratch[FIELDS_SCRATCH];
};

static inline void fields_reset(struct fieldset *fs)
{
	fs->n = 0;
	fs->dropped = 0;
	fs->has_ts = false;
	fs->ts_ms = 0;
	fs->ts_now_ms = INT64_MIN;
	fs->ts_zone = NULL;
	fs->slen = 0;
}

/* Add one field (name and value borrowed: they must outlive the record's
 * use). Returns 0, or -1 when the set is full (counted in dropped). */
static inline int fields_add(struct fieldset *fs, const char *name, size_t nlen, const char *val,
			     size_t vlen)
{
	if (fs->n == FIELDS_MAX) {
		fs->dropped++;
		return -1;
	}
	fs->f[fs->n++] = (struct field){name, val, (uint32_t)nlen, (uint32_t)vlen};
	return 0;
}

/* n bytes of scratch that stay valid until the next fields_reset, or NULL
 * when it is used up (the caller then counts the field as dropped). */
static inline char *fields_scratch(struct fieldset *fs, size_t n)
{
	char *p;

	if (n > FIELDS_SCRATCH - fs->slen)
		return NULL;
	p = fs->scratch + fs->slen;
	fs->slen += (uint32_t)n;
	return p;
}

/* Give back the last n bytes of the most recent fields_scratch() call
 * (when a rewrite came out shorter than the room taken for it). */
static inline void fields_scratch_return(struct fieldset *fs, size_t n)
{
	fs->slen -= (uint32_t)n;
}

/* Where a set stands, so that a parser that fails half-way can put it back. */
struct fields_mark {
	uint32_t n, dropped, slen;
	bool has_ts;
	int64_t ts_ms;
};

static inline struct fields_mark fields_mark_get(const struct fieldset *fs)
{
	return (struct fields_mark){fs->n, fs->dropped, fs->slen, fs->has_ts, fs->ts_ms};
}

static inline void fields_rewind(struct fieldset *fs, struct fields_mark m)
{
	fs->n = m.n;
	fs->dropped = m.dropped;
	fs->slen = m.slen;
	fs->has_ts = m.has_ts;
	fs->ts_ms = m.ts_ms;
}

/* The field called name, or NULL. The first one wins if a name repeats. */
static inline const struct field *fields_get(const struct fieldset *fs, const char *name,
					     size_t nlen)
{
	uint32_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->f[i].nlen == nlen && !memcmp(fs->f[i].name, name, nlen))
			return &fs->f[i];
	return NULL;
}

#endif
