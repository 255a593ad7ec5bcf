/*
 * copy.c - copytruncate: the lines weir had not read when a file was
 * copied and truncated are in the copy, so they are read from there.
 *
 * When a file is found truncated (it shrank below weir's offset, or at a
 * restart it is shorter than its saved offset or starts otherwise), a file
 * in the same directory that has its head (the same fingerprint over the
 * same length) and is at least as long as weir's offset is its copy: weir
 * reads the copy from that offset on, then the truncated file from 0. If
 * the paths name the copy too (a glob like app.log*), it is simply tailed
 * on from there; else it is drained (read to its end, closed once quiet).
 *
 * A copy the paths name may be found before the truncation is (logrotate
 * copies first; weir may be behind, or the copy still being written). So
 * a file that appears starting like a file already tailed is held, not
 * read, until that file is found truncated (the new one is then its copy)
 * or stays untruncated, read to its end, while the new one has not grown
 * for ROTATE_WAIT_MS, or for HOLD_MAX_MS whatever it does (then it is a
 * file of its own, read from 0; a plain `cp` of a tailed file is counted
 * again). Only a head of HOLD_HEAD_MIN bytes or more is taken for a sign.
 * The copy may be found while it is being written: a new file whose
 * content so far begins a tailed file's head (an empty one too) is held
 * as well, and looked at again whenever it changes: once it starts
 * otherwise, it is read from 0.
 *
 * Nothing here allocates per record: the directory is read once per
 * truncation, a new file's head once per rescan that finds it.
 */
#include "core/clock.h"
#include "core/log.h"
#include "ingest/internal.h"
#include "pipeline/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_SCAN_MAX 4096 /* directory entries looked at for one copy */
#define HOLD_HEAD_MIN 64   /* a head this long at least to hold a new file */
#define HOLD_MAX_MS 30000  /* then a held file is one of its own, whatever happens */

bool same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

	return la == lb && !memcmp(a, b, la);
}

/* Whether the file at path (st) starts with w's head: opened without
 * blocking, so nothing odd can hold the ingest thread. */
static bool has_head(const char *path, const struct stat *st, const struct copy_want *w)
{
	struct stat fst;
	uint64_t fp;
	uint32_t fp_len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool yes = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) && fst.st_dev == st->st_dev &&
	    fst.st_ino == st->st_ino) {
		file_head(fd, (uint64_t)fst.st_size, w->fp_len, &fp, &fp_len);
		yes = fp_len == w->fp_len && fp == w->fp;
	}
	close(fd);
	return yes;
}

/* Whether the file st (at path) can be w's copy: a regular file, not w's
 * own, long enough, with a counting of its own neither under way nor
 * saved; one held or just opened may be re-pointed. */
static bool candidate(struct ingest *ing, const struct copy_want *w, const char *path,
		      const struct stat *st)
{
	uint32_t idx;

	if (!S_ISREG(st->st_mode) || (st->st_dev == w->dev && st->st_ino == w->ino) ||
	    (uint64_t)st->st_size < w->from || (uint64_t)st->st_size < w->fp_len)
		return false;
	idx = idmap_get(&ing->ids, id_key(st->st_dev, st->st_ino, w->source));
	if (idx != UINT32_MAX && !ing->files[idx].held && !ing->files[idx].fresh)
		return false; /* tailed on its own: its lines are counted from it */
	if (idx == UINT32_MAX &&
	    (file_saved(ing, st->st_dev, st->st_ino, w->source) ||
	     idmap_get(&ing->retired.map, id_key(st->st_dev, st->st_ino, w->source)) != UINT32_MAX))
		return false; /* weir knows where it is in that one */
	return has_head(path, st, w);
}

/* The newest file in w's directory that can be its copy, into path/st. */
static bool find_copy(struct ingest *ing, const struct copy_want *w, char *path, size_t cap,
		      struct stat *st)
{
	char *copy = strdup(w->path), *dir = copy ? dirname(copy) : NULL, cand[4096];
	struct dirent *de;
	struct stat cst;
	uint32_t seen = 0;
	bool found = false;
	DIR *dh;

	if (!dir || !(dh = opendir(dir))) {
		free(copy);
		return false;
	}
	while ((de = readdir(dh)) && seen++ < COPY_SCAN_MAX) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
			continue;
		if (snprintf(cand, sizeof(cand), "%s/%s", dir, de->d_name) >= (int)sizeof(cand) ||
		    stat(cand, &cst) < 0 || !candidate(ing, w, cand, &cst))
			continue;
		if (found && cst.st_mtim.tv_sec < st->st_mtim.tv_sec)
			continue; /* an older copy */
		snprintf(path, cap, "%s", cand);
		*st = cst;
		found = true;
	}
	closedir(dh);
	free(copy);
	return found;
}

/* f (held, or opened in this rescan and not read yet) reads from where
 * weir was in the file it is a copy of. */
static void start_at(struct ingest *ing, struct file *f, const struct copy_want *w)
{
	if (f->held)
		ing->nheld--;
	f->held = f->fresh = false;
	f->offset = f->shipped = w->from;
	f->fr.discarding = f->shipped_disc = w->disc;
	f->want_read = true;
	f->data_ms = now_ms();
	stat_set(&f->st->offset, w->from);
	file_changed(ing, f);
}

bool copy_take_over(struct ingest *ing, const struct copy_want *w)
{
	struct state_file from = {
	    .offset = w->from, .fp = w->fp, .fp_len = w->fp_len, .discarding = w->disc};
	char path[4096];
	struct file *c;
	struct stat st;
	uint32_t idx;

	if (!w->fp_len || !find_copy(ing, w, path, sizeof(path), &st))
		return false;
	log_info("source '%s': %s starts like %s did and is %lld bytes long: its copy; "
		 "reading it from offset %llu, where weir was in %s",
		 ing->p->sources[w->source].name, path, w->path, (long long)st.st_size,
		 (unsigned long long)w->from, w->path);
	idx = idmap_get(&ing->ids, id_key(st.st_dev, st.st_ino, w->source));
	if (idx != UINT32_MAX) {
		start_at(ing, &ing->files[idx], w);
		return true;
	}
	/* Drained unless the paths name it (the next rescan then keeps it). */
	c = file_add(ing, w->source, path, &st, true, &from);
	if (c)
		c->rotated = true; /* its closing is no rotation of the source's */
	return c != NULL;
}

/* Hold f, which may be o's copy (full: it starts with o's head; else its
 * content so far begins o's head): not read until one knows. */
static void hold(struct ingest *ing, struct file *f, const struct file *o, bool full, uint64_t size)
{
	f->held = true;
	f->held_full = full;
	f->copy_of = o->idx;
	f->of_dev = o->dev;
	f->of_ino = o->ino;
	f->held_size = size;
	f->data_ms = f->held_ms = now_ms();
	ing->nheld++;
	log_msg(full ? LOG_INFO : LOG_DEBUG,
		"source '%s': %s starts like %s: holding it until that one is found "
		"truncated (then it is its copy) or not",
		f->desc->name, f->path, o->path);
}

/* f is a file of its own after all: read it from 0. */
static void release(struct ingest *ing, struct file *f, const char *why)
{
	f->held = false;
	ing->nheld--;
	f->want_read = true;
	log_msg(f->held_full ? LOG_INFO : LOG_DEBUG,
		"source '%s': %s is not a copy (%s): reading it from 0", f->desc->name, f->path,
		why);
}

/* Whether o's head begins with the n bytes of buf (n < o->fp_len); also
 * when o's head is no longer what weir read (truncated, not seen yet:
 * that truncation will tell). */
static bool head_begins(const struct file *o, const unsigned char *buf, uint32_t n)
{
	unsigned char ob[STATE_FP_MAX];
	ssize_t got = pread(o->fd, ob, o->fp_len, 0);

	if (got != (ssize_t)o->fp_len || state_fingerprint(ob, o->fp_len) != o->fp)
		return true;
	return !memcmp(ob, buf, n);
}

/*
 * What f (held, or just opened) may be a copy of: an open file of its
 * source and directory whose head (HOLD_HEAD_MIN bytes or more) f starts
 * with (*full), the longest; else one whose head f's content so far begins
 * (f is shorter: a copy being written, or too new to tell). NULL: f is no
 * copy. *size: f's size now.
 */
static struct file *copy_candidate(struct ingest *ing, const struct file *f, bool *full,
				   uint64_t *size)
{
	unsigned char buf[STATE_FP_MAX];
	uint64_t h[STATE_FP_MAX + 1];
	struct file *best = NULL;
	struct stat st;
	ssize_t got;
	uint32_t n, i;

	*full = false;
	if (fstat(f->fd, &st) < 0 || (got = pread(f->fd, buf, sizeof(buf), 0)) < 0)
		return NULL;
	*size = (uint64_t)st.st_size;
	n = (uint32_t)got;
	h[0] = state_fingerprint(NULL, 0);
	for (i = 0; i < n; i++)
		h[i + 1] = state_fingerprint_more(h[i], buf + i, 1);
	for (i = 0; i < ing->nactive; i++) {
		struct file *o = &ing->files[ing->active[i]];
		bool whole;

		if (o == f || o->fresh || o->held || o->closing || o->fd < 0 || o->stream ||
		    o->source != f->source || o->fp_len < HOLD_HEAD_MIN ||
		    !same_dir(o->path, f->path))
			continue;
		whole = n >= o->fp_len;
		if (whole ? h[o->fp_len] != o->fp : !head_begins(o, buf, n))
			continue;
		if (best && (*full > whole || (*full == whole && best->fp_len >= o->fp_len)))
			continue;
		best = o;
		*full = whole;
	}
	return best;
}

/* f was opened in this rescan: hold it if it may be a copy. */
static void check_fresh(struct ingest *ing, struct file *f)
{
	struct file *o;
	uint64_t size;
	bool full;

	if (f->fd >= 0 && !f->closing && (o = copy_candidate(ing, f, &full, &size)))
		hold(ing, f, o, full, size);
}

void copy_hold_fresh(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->fresh)
			check_fresh(ing, f);
	}
	for (i = 0; i < ing->nactive; i++)
		ing->files[ing->active[i]].fresh = false;
}

bool copy_recheck(struct ingest *ing, struct file *f, int64_t t)
{
	uint64_t size = f->held_size;
	bool full;
	struct file *o = copy_candidate(ing, f, &full, &size);

	if (!o) {
		release(ing, f, "it starts otherwise");
		return false;
	}
	if (size != f->held_size)
		f->data_ms = t; /* still being written */
	f->held_size = size;
	f->held_full = full;
	f->copy_of = o->idx;
	f->of_dev = o->dev;
	f->of_ino = o->ino;
	return true;
}

void copy_poll_held(struct ingest *ing, struct file *f, int64_t t)
{
	const struct file *o;
	struct stat ost;

	if (!copy_recheck(ing, f, t))
		return;
	/* The other read to its end, and not shorter than weir's offset:
	 * not truncated (else file_truncated takes f over first). */
	o = &ing->files[f->copy_of];
	if (t - f->held_ms >= HOLD_MAX_MS)
		release(ing, f, "held long enough");
	else if (t - f->data_ms >= ROTATE_WAIT_MS && !o->reading && !o->blocked &&
		 fstat(o->fd, &ost) == 0 && (uint64_t)ost.st_size == o->offset)
		release(ing, f, "the file it starts like was not truncated");
}

void copy_orig_closed(struct ingest *ing, const struct file *orig)
{
	uint32_t i;

	for (i = 0; i < ing->nactive && ing->nheld; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->held && f->copy_of == orig->idx)
			release(ing, f, "the file it starts like is closed");
	}
}
