/*
 * state.c - see state.h.
 *
 * Payload, in order (u32/u64/i64 little-endian; str = u32 length + bytes),
 * versions 2 and 3:
 *   i64 written_ms
 *   u64 blob_len, blob (the aggregates, aggregate/persist.c)
 *   files as below; version 3 adds flags bit 1: a retired identity (a
 *   file read and closed, path empty), which a version 2 reader would
 *   take for a tailed file
 * version 1 (read only):
 *   i64 written_ms
 *   u32 nrules, then per rule: str name, u64 total
 *   u64 records, u64 expired
 *   u32 nsecs, then per second: i64 sec, nrules x u64 count
 *   u32 nfiles, then per file: str source, str path, u64 dev, u64 ino,
 *       u64 offset, u64 fp, u32 fp_len, u32 flags (bit 0: discarding)
 */
#include "pipeline/state.h"

#include "core/le.h"
#include "core/crc32c.h"
#include "core/log.h"
#include "core/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "WEIRSTAT"
#define HEADER_LEN 24	       /* magic, version, reserved, payload_len */
#define STATE_MAX (1ull << 32) /* a larger file is corrupt */

uint64_t state_fingerprint_more(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t state_fingerprint(const void *data, size_t len)
{
	return state_fingerprint_more(0xcbf29ce484222325ull, data, len);
}

void state_files_free(struct state_file *files, uint32_t n)
{
	uint32_t i;

	for (i = 0; files && i < n; i++) {
		free(files[i].source);
		free(files[i].path);
	}
	free(files);
}

void state_free(struct state *st)
{
	uint32_t i;

	if (!st)
		return;
	for (i = 0; st->agg.rule_names && i < st->agg.nrules; i++)
		free(st->agg.rule_names[i]);
	free(st->agg.rule_names);
	free(st->agg.blob);
	free(st->agg.totals);
	free(st->agg.secs);
	free(st->agg.counts);
	state_files_free(st->files, st->nfiles);
	memset(st, 0, sizeof(*st));
}

/* --- encoding --- */

static void put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4];

	le_put32(b, v);
	strbuf_append(sb, b, 4);
}

static void put_u64(struct strbuf *sb, uint64_t v)
{
	unsigned char b[8];

	le_put64(b, v);
	strbuf_append(sb, b, 8);
}

static void put_str(struct strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u32(sb, (uint32_t)n);
	strbuf_append(sb, s ? s : "", n);
}

int state_encode(const struct state *st, char **buf, size_t *len)
{
	const struct state_agg *a = &st->agg;
	struct strbuf sb = {0};
	uint32_t i;
	uint32_t crc;

	strbuf_append(&sb, MAGIC, 8);
	put_u32(&sb, STATE_VERSION);
	put_u32(&sb, 0);
	put_u64(&sb, 0); /* payload length, patched below */
	put_u64(&sb, (uint64_t)st->written_ms);
	put_u64(&sb, a->blob_len);
	strbuf_append(&sb, a->blob ? a->blob : "", a->blob_len);
	put_u32(&sb, st->nfiles);
	for (i = 0; i < st->nfiles; i++) {
		const struct state_file *f = &st->files[i];

		put_str(&sb, f->source);
		put_str(&sb, f->path);
		put_u64(&sb, f->dev);
		put_u64(&sb, f->ino);
		put_u64(&sb, f->offset);
		put_u64(&sb, f->fp);
		put_u32(&sb, f->fp_len);
		put_u32(&sb, (f->discarding ? 1u : 0) | (f->retired ? 2u : 0));
	}
	if (sb.oom) {
		strbuf_free(&sb);
		return -ENOMEM;
	}
	le_put64(sb.buf + 16, sb.len - HEADER_LEN);
	crc = crc32c(0, sb.buf, sb.len);
	put_u32(&sb, crc);
	if (sb.oom) {
		strbuf_free(&sb);
		return -ENOMEM;
	}
	*len = sb.len;
	*buf = strbuf_take(&sb);
	return 0;
}

/* --- decoding --- */

/* The payload's reader and the first reason it failed. */
struct dec {
	struct le_reader r;
	char why[120];
};

/* Mark the payload bad, keeping the first reason. */
__attribute__((format(printf, 2, 3))) static void dec_fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->r.bad) {
		va_start(ap, fmt);
		vsnprintf(d->why, sizeof(d->why), fmt, ap);
		va_end(ap);
	}
	d->r.bad = true;
}

/* A string: its length checked against STATE_STR_MAX and the bytes left
 * before anything is allocated. what names it in the reason. */
static char *get_str(struct dec *d, const char *what, uint32_t i)
{
	uint32_t n = (uint32_t)le_read(&d->r, 4);
	char *s;

	if (d->r.bad)
		return NULL;
	if (n > STATE_STR_MAX) {
		dec_fail(d, "%s %u: length %u (at most %u)", what, i, n, STATE_STR_MAX);
		return NULL;
	}
	if ((size_t)(d->r.end - d->r.p) < n) {
		dec_fail(d, "%s %u: length %u runs past the end", what, i, n);
		return NULL;
	}
	if (memchr(d->r.p, '\0', n)) {
		dec_fail(d, "%s %u holds a NUL byte", what, i);
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		dec_fail(d, "out of memory");
		return NULL;
	}
	memcpy(s, d->r.p, n);
	s[n] = '\0';
	d->r.p += n;
	return s;
}

/* A count read from the file, checked against the bytes left (each item
 * takes at least min_item bytes), so a corrupt count cannot make us
 * allocate without bound. */
static uint32_t get_count(struct dec *d, size_t min_item, const char *what)
{
	uint32_t n = (uint32_t)le_read(&d->r, 4);

	if (!d->r.bad && min_item && (size_t)(d->r.end - d->r.p) / min_item < n)
		dec_fail(d, "%u %s do not fit in the %zu bytes left", n, what,
			 (size_t)(d->r.end - d->r.p));
	return d->r.bad ? 0 : n;
}

/* Version 1's aggregates: totals and the per-second history. */
static void decode_v1_agg(struct dec *d, struct state_agg *a)
{
	struct le_reader *r = &d->r;
	uint32_t i, k;

	a->nrules = get_count(d, 12, "rules");
	a->rule_names = calloc(a->nrules + 1, sizeof(char *));
	a->totals = calloc(a->nrules + 1, sizeof(uint64_t));
	if (!a->rule_names || !a->totals)
		dec_fail(d, "out of memory");
	for (i = 0; !r->bad && i < a->nrules; i++) {
		a->rule_names[i] = get_str(d, "rule name", i);
		a->totals[i] = le_read(r, 8);
	}
	a->records = le_read(r, 8);
	a->expired = le_read(r, 8);
	a->nsecs = get_count(d, 8 + (size_t)a->nrules * 8, "seconds");
	if (!r->bad) {
		a->secs = calloc(a->nsecs + 1, sizeof(int64_t));
		a->counts = calloc((size_t)a->nsecs * a->nrules + 1, sizeof(uint64_t));
		if (!a->secs || !a->counts)
			dec_fail(d, "out of memory");
	}
	for (i = 0; !r->bad && i < a->nsecs; i++) {
		a->secs[i] = (int64_t)le_read(r, 8);
		if (!r->bad && (a->secs[i] > STATE_SEC_MAX || a->secs[i] < -STATE_SEC_MAX))
			dec_fail(d, "second %u: %lld is out of range", i, (long long)a->secs[i]);
		for (k = 0; k < a->nrules; k++)
			a->counts[(size_t)i * a->nrules + k] = le_read(r, 8);
	}
}

/* Version 2's aggregates: a blob for aggregate/persist.c. */
static void decode_blob(struct dec *d, struct state_agg *a)
{
	uint64_t n = le_read(&d->r, 8);

	if (d->r.bad)
		return;
	if ((uint64_t)(d->r.end - d->r.p) < n) {
		dec_fail(d, "aggregates of %llu bytes run past the end", (unsigned long long)n);
		return;
	}
	if (!(a->blob = malloc(n ? n : 1))) {
		dec_fail(d, "out of memory");
		return;
	}
	memcpy(a->blob, d->r.p, n);
	a->blob_len = n;
	d->r.p += n;
}

/* One file entry, each value checked before ingest relies on it: the
 * fingerprint covers at most STATE_FP_MAX bytes (ingest reads that many
 * into a buffer of that size), and only flag bit 0 exists. */
/* File entry i of a version-`version` file. Flags: bit 0 the rest of a
 * cut line follows the offset; bit 1 (version 3) a retired identity. */
static void decode_file(struct dec *d, uint32_t version, uint32_t i, struct state_file *f)
{
	uint32_t flags;

	f->source = get_str(d, "file source", i);
	f->path = get_str(d, "file path", i);
	f->dev = le_read(&d->r, 8);
	f->ino = le_read(&d->r, 8);
	f->offset = le_read(&d->r, 8);
	f->fp = le_read(&d->r, 8);
	f->fp_len = (uint32_t)le_read(&d->r, 4);
	flags = (uint32_t)le_read(&d->r, 4);
	f->discarding = flags & 1;
	f->retired = version >= 3 && (flags & 2);
	if (d->r.bad)
		return;
	if (f->fp_len > STATE_FP_MAX)
		dec_fail(d, "file %u: fingerprint length %u (at most %u)", i, f->fp_len,
			 STATE_FP_MAX);
	else if (flags > (version >= 3 ? 3u : 1u))
		dec_fail(d, "file %u: unknown flags 0x%x", i, flags);
}

int state_decode(const char *buf, size_t len, struct state *out, char *why, size_t whylen)
{
	const unsigned char *u = (const unsigned char *)buf;
	struct dec d = {.why = ""};
	struct le_reader *r = &d.r;
	uint64_t plen;
	uint32_t version, crc, i;

	memset(out, 0, sizeof(*out));
	if (len < HEADER_LEN + 4 || memcmp(buf, MAGIC, 8)) {
		snprintf(why, whylen, "not a weir state file (%zu bytes, bad magic or too short)",
			 len);
		return -EBADMSG;
	}
	*r = (struct le_reader){u + 8, u + len, false};
	version = (uint32_t)le_read(r, 4);
	le_read(r, 4);
	plen = le_read(r, 8);
	if (version != STATE_VERSION && version != 2 && version != 1) {
		snprintf(why, whylen, "version %u, this weir reads version %u", version,
			 STATE_VERSION);
		return -EBADMSG;
	}
	if (plen != len - HEADER_LEN - 4) {
		snprintf(why, whylen, "length %llu does not match the file (%zu bytes)",
			 (unsigned long long)plen, len);
		return -EBADMSG;
	}
	r->end = u + len - 4;
	crc = (uint32_t)u[len - 4] | (uint32_t)u[len - 3] << 8 | (uint32_t)u[len - 2] << 16 |
	      (uint32_t)u[len - 1] << 24;
	if (crc32c(0, buf, len - 4) != crc) {
		snprintf(why, whylen, "checksum mismatch (CRC32C)");
		return -EBADMSG;
	}
	out->written_ms = (int64_t)le_read(r, 8);
	if (version == 1)
		decode_v1_agg(&d, &out->agg);
	else
		decode_blob(&d, &out->agg);
	out->nfiles = get_count(&d, 48, "file entries");
	if (!r->bad && !(out->files = calloc(out->nfiles + 1, sizeof(*out->files))))
		dec_fail(&d, "out of memory");
	for (i = 0; !r->bad && i < out->nfiles; i++)
		decode_file(&d, version, i, &out->files[i]);
	if (!r->bad && r->p != r->end)
		dec_fail(&d, "%zu bytes after the last file entry", (size_t)(r->end - r->p));
	if (r->bad) {
		state_free(out);
		snprintf(why, whylen, "malformed payload: %s", d.why[0] ? d.why : "it ends early");
		return -EBADMSG;
	}
	return 0;
}

/* --- files --- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create dir and its missing parents (mkdir -p). 0 or -errno. */
static int mkdir_p(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir), i;

	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -errno;
		path[i] = dir[i];
	}
	return 0;
}

/* The lock on state_dir/lock (state_dir_open); taken again by state_save
 * when the directory had to be created again. -1: none yet. */
static int lock_fd = -1;

static int take_lock(const char *dir)
{
	char lock[4096];
	int fd;

	if (snprintf(lock, sizeof(lock), "%s/lock", dir) >= (int)sizeof(lock))
		return -ENAMETOOLONG;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		log_error("state_dir %s: cannot open %s: %s", dir, lock, strerror(e));
		return -e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		log_error("state_dir %s is in use by another weir (%s is locked)", dir, lock);
		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	if (lock_fd >= 0)
		close(lock_fd); /* the lock of a deleted file guards nothing */
	lock_fd = fd;		/* stays open: the lock lasts as long as the process */
	return 0;
}

/* dir was deleted under us: create it again and lock it. */
static int dir_restore(const char *dir)
{
	int rc = mkdir_p(dir);

	if (!rc)
		rc = take_lock(dir);
	if (!rc)
		log_warn("state_dir %s was missing; created it again (and its lock)", dir);
	return rc;
}

int state_save(const char *dir, const char *buf, size_t len)
{
	char tmp[4096], dst[4096];
	int fd, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, STATE_FILE) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, STATE_FILE) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && !dir_restore(dir))
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, buf, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, dst) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* -EINVAL (logged): path is not a regular file. O_NONBLOCK: opening a FIFO
 * must not wait for a writer (that hung the start, beyond SIGTERM). */
static int read_file(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("state: %s: not a regular file (%s)", path,
			  S_ISFIFO(st.st_mode)	? "a FIFO"
			  : S_ISDIR(st.st_mode) ? "a directory"
						: "a device or a socket");
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size >= STATE_MAX) {
		close(fd);
		*bufp = NULL;
		*lenp = 0;
		return 0; /* decoded as corrupt (too short) */
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*bufp = buf;
	*lenp = got;
	return 0;
}

int state_load(const char *dir, struct state *out)
{
	char path[4096], aside[4200], why[160];
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	rc = read_file(path, &buf, &len);
	if (rc == -ENOENT || rc == -EINVAL)
		return rc; /* -EINVAL: not a regular file, logged */
	if (rc) {
		log_error("state: cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = buf ? state_decode(buf, len, out, why, sizeof(why)) : -EBADMSG;
	if (!buf)
		snprintf(why, sizeof(why), "too large");
	free(buf);
	if (!rc)
		return 0;
	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, (long long)time(NULL));
	if (rename(path, aside) < 0) {
		log_error("state: %s is corrupt (%s) and cannot be set aside: %s", path, why,
			  strerror(errno));
		return -EBADMSG;
	}
	log_error("state: %s is corrupt (%s); set aside as %s; starting fresh", path, why, aside);
	return -ENOENT;
}

int state_dir_open(const char *dir)
{
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		int e = errno;

		log_error("state_dir %s: cannot create it: %s", dir, strerror(e));
		return -e;
	}
	return take_lock(dir);
}
