/*
 * state.h - weir's durable state: one checkpoint file, state_dir/weir.state,
 * holding the aggregates and the file offsets they cover, written together.
 *
 * The offsets say, per tailed file, how far every record has been counted
 * into the aggregates stored beside them; restoring both and reading on from
 * the offsets counts every line exactly once, whenever weir stopped.
 *
 * File format (little-endian), version 3:
 *   "WEIRSTAT" u32 version u32 reserved u64 payload_len payload u32 crc32c
 * where the CRC covers everything before it. The payload is a sequence of
 * fields written by state_encode(); see state.c. A file that is short, has
 * another magic or version, fails its CRC, or holds a length, count or value
 * beyond the bounds below is corrupt.
 *
 * Writes are atomic: a temporary file is written, fsynced and renamed over
 * the old one, then the directory is fsynced. Owns nothing global; the
 * structs below own their arrays and strings (freed by state_free()).
 */
#ifndef WEIR_STATE_H
#define WEIR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_FILE "weir.state"
#define STATE_VERSION 3u  /* versions 1 (weir before tiers) and 2 are still read */
#define STATE_FP_MAX 1024 /* fingerprint: FNV-1a of at most this many first bytes */
/* Bounds a decoded file must keep (a file past one is corrupt, like one
 * whose CRC fails): a string (name or path) has at most STATE_STR_MAX bytes
 * and no NUL; a second (and a pane index) lies within +-STATE_SEC_MAX, far
 * beyond any stamp a parser yields (years 0000..9999) and small enough
 * that milliseconds of it cannot overflow an int64_t. */
#define STATE_STR_MAX 4096u
#define STATE_SEC_MAX (INT64_C(1) << 40)

/* One tailed file: where its counted records end. Or, with retired, a file
 * weir read and closed (rotated away, out of its glob), remembered in case
 * the same file comes back (version 3). */
struct state_file {
	char *source; /* the source's name */
	char *path;   /* where it was last seen */
	uint64_t dev, ino;
	uint64_t offset; /* every record before this byte is in the aggregates */
	uint64_t fp;	 /* fingerprint of the first fp_len bytes */
	uint32_t fp_len; /* 0: the file was empty (matches any content) */
	bool discarding; /* offset is inside the cut-off rest of an overlong line */
	bool retired;	 /* closed, not tailed: resume it only if it comes back */
};

/* The aggregates. Version 2: blob, the aggregator's own encoding
 * (aggregate/persist.c), opaque here. Version 1 files give the rest: per-rule
 * totals and the per-second history, read for an upgrade only. */
struct state_agg {
	char *blob;
	size_t blob_len;
	uint32_t nrules;
	char **rule_names; /* [nrules] */
	uint64_t *totals;  /* [nrules] */
	uint64_t records;  /* records scanned */
	uint64_t expired;
	uint32_t nsecs;
	int64_t *secs;	  /* [nsecs] seconds held in the history */
	uint64_t *counts; /* [nsecs * nrules], second-major */
};

struct state {
	int64_t written_ms; /* wall clock when it was taken */
	struct state_agg agg;
	struct state_file *files;
	uint32_t nfiles;
};

/* A checkpoint barrier's payload (ingest -> workers -> aggregator): the
 * files' offsets at the cut. The aggregator frees it. */
struct ckpt_files {
	struct state_file *files;
	uint32_t n;
	bool final;  /* taken at shutdown */
	bool write;  /* write the state file at this cut (false: a reload, not durable) */
	void *rules; /* non-NULL: a reload: the struct ruleset the cut switches to */
};

void state_free(struct state *st);
void state_files_free(struct state_file *files, uint32_t n);

/* Serialise st into a malloc'd buffer (header and CRC included). 0 or -ENOMEM. */
int state_encode(const struct state *st, char **buf, size_t *len);
/* Parse a whole file's bytes. 0, or -EBADMSG with a reason in why (out is
 * then empty). Every length and count is checked against the bytes left
 * and its bound before it is used, so any bytes are safe to pass. */
int state_decode(const char *buf, size_t len, struct state *out, char *why, size_t whylen);

/* Write buf atomically as dir/weir.state. A dir that is missing (deleted
 * while weir runs) is created again, parents too, and its lock taken
 * again (logged). 0 or -errno, not logged: the caller logs (once for a run
 * of failures). */
int state_save(const char *dir, const char *buf, size_t len);

/*
 * Read dir/weir.state. 0: loaded into *out. -ENOENT: there is none (a
 * fresh start). A corrupt file is renamed to weir.state.corrupt-<unix time>
 * with a log line saying why, and -ENOENT is returned, so weir starts fresh;
 * other errors (unreadable) return -errno, logged.
 */
int state_load(const char *dir, struct state *out);

/* Create dir if missing (one level; parents must exist) and take an
 * exclusive lock on dir/lock, held until the process exits, so two weirs
 * never share a state directory. 0 or -errno (logged). */
int state_dir_open(const char *dir);

/* FNV-1a 64 of data: the file fingerprint. */
uint64_t state_fingerprint(const void *data, size_t len);
/* The fingerprint h of some bytes, extended by len more: fingerprint(a)
 * then _more(.., b) is fingerprint(a followed by b). */
uint64_t state_fingerprint_more(uint64_t h, const void *data, size_t len);

#endif
