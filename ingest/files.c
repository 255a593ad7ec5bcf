/*
 * files.c - which files ingest tails, and what it knows about each.
 *
 * A source's paths (literal paths and globs, minus its excludes) are
 * resolved every second, and at once when a watched directory changes.
 * A file is known by its identity, (device, inode), not by its name: a file
 * renamed to another name the source still matches is the same file, read
 * on from where it was. A file that no path names any more (rotated away,
 * deleted, a symlink re-pointed) is drained: read to its end, and closed
 * once it has been quiet for ROTATE_WAIT_MS, in case its writer has not
 * reopened yet. Whatever the paths name next is a new file, read from 0.
 *
 * A closed file is retired: its identity, head and offset are remembered
 * (retired.c, bounded, saved in checkpoints), and if it comes back (renamed
 * out of its glob and back) it is read on from there, not again. A glob
 * that fails (EACCES, EMFILE, ...) changes nothing: its files are kept.
 * What a glob names that is not a regular file is skipped, said once.
 *
 * On start, saved offsets (the state file) are matched by identity and a
 * fingerprint of the file's first bytes, so a reused inode number is not
 * mistaken for the old file. A saved file the paths no longer name (rotated
 * while weir was down) is looked for in its old directory by inode, and
 * drained from its saved offset. A file found truncated has its missing
 * lines read from its copy, if there is one (copy.c).
 */
#include "core/clock.h"
#include "ingest/internal.h"

#include "config/config.h"
#include "core/log.h"
#include "pipeline/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool excluded(const struct pipe_source *d, const char *path)
{
	const char *base = strrchr(path, '/');
	uint32_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < d->nexcludes; i++) {
		const char *x = d->excludes[i];

		if (strchr(x, '/') ? !fnmatch(x, path, FNM_PATHNAME) : !fnmatch(x, base, 0))
			return true;
	}
	return false;
}

static struct idkey wd_key(int wd)
{
	return (struct idkey){(uint64_t)(uint32_t)wd, 0, UINT32_MAX};
}

/* A file was opened, renamed, failed or closed: the table others read is
 * published again at the loop's next turn (files_publish), not per change. */
void file_changed(struct ingest *ing, struct file *f)
{
	(void)f;
	ing->files_dirty = true;
}

static int by_slot(const void *a, const void *b)
{
	const struct file_view *x = a, *y = b;

	return (x->slot > y->slot) - (x->slot < y->slot);
}

void files_publish(struct ingest *ing)
{
	struct files_table *t;
	uint32_t i;

	if (!ing->files_dirty)
		return;
	ing->files_dirty = false;
	t = tribuf_back(&ing->p->files_pub);
	t->n = 0;
	t->paths_len = 0;
	for (i = 0; i < ing->nactive; i++) {
		const struct file *f = &ing->files[ing->active[i]];
		struct file_view *v = &t->v[t->n++];
		const char *path = f->path ? f->path : "";
		size_t len = strlen(path), room = t->paths_cap - t->paths_len;

		if (!room) { /* paths longer than FILES_PATHS_PER_FILE on average */
			t->n--;
			break;
		}
		if (len >= room)
			len = room - 1;
		*v = (struct file_view){.slot = f->idx,
					.source = f->source,
					.state = (uint8_t)f->state,
					.err = f->err,
					.path = t->paths_len,
					.base_lines = f->base_lines,
					.base_cut_lines = f->base_cut_lines,
					.base_cut_bytes = f->base_cut_bytes};
		memcpy(t->paths + t->paths_len, path, len);
		t->paths[t->paths_len + len] = '\0';
		t->paths_len += (uint32_t)len + 1;
	}
	qsort(t->v, t->n, sizeof(t->v[0]), by_slot);
	tribuf_publish(&ing->p->files_pub);
}

static void set_path(struct file *f, const char *path)
{
	char *np = strdup(path);

	if (!np)
		return; /* keep the old name; only the API shows it */
	free(f->path);
	f->path = np;
}

/* --- slots --- */

/* A 64-bit hash of a path (FNV-1a), for the sets keyed by path. */
static uint64_t path_key(const char *path)
{
	return state_fingerprint(path, strlen(path));
}

/* Note one more file refused for want of a slot, counting each (by its
 * identity, or by path when it has none) once while it stays refused. */
static void refused_note(struct ingest *ing, uint32_t si, const char *path, const struct stat *st)
{
	struct idkey k = st ? id_key(st->st_dev, st->st_ino, si)
			    : (struct idkey){path_key(path), 0, si | 0x80000000u};

	if (idmap_get(&ing->refused, k) == UINT32_MAX) {
		stat_add(&ing->p->ingest_stats.files_refused, 1);
		if (ing->refused.count >= ing->refused.max)
			idmap_grow(&ing->refused); /* else it is counted again */
	}
	idmap_put(&ing->refused, k, ing->gen);
}

/* A slot for path (st: what stat said of it, or NULL), or NULL when every
 * slot is taken (the file is refused, counted once) or out of memory. */
static struct file *slot_alloc(struct ingest *ing, uint32_t si, const char *path, bool literal,
			       const struct stat *st)
{
	struct pipeline *p = ing->p;
	struct file *f;
	uint32_t idx, w;

	if (!ing->nfree) {
		refused_note(ing, si, path, st);
		if (!ing->refused_logged)
			log_error("source '%s': not tailing %s: already tailing %u files "
				  "(tuning.max_files); raise it",
				  p->sources[si].name, path, p->max_files);
		ing->refused_logged = true;
		return NULL;
	}
	idx = ing->freelist[--ing->nfree];
	f = &ing->files[idx];
	memset(f, 0, sizeof(*f));
	f->idx = idx;
	f->source = si;
	f->desc = &p->sources[si];
	f->sst = &p->source_stats[si];
	f->st = &p->file_stats[idx];
	f->fd = -1;
	f->wd = -1;
	f->literal = literal;
	f->fr.max_line = p->cfg->max_line;
	f->path = strdup(path);
	if (!f->path) {
		ing->freelist[ing->nfree++] = idx;
		log_error("source '%s': out of memory adding %s", p->sources[si].name, path);
		return NULL;
	}
	memset(f->st, 0, sizeof(*f->st));
	/* The workers' per-slot counters go on from the slot's last use; every
	 * batch of that use is back, so their counts are all visible here. */
	for (w = 0; w < p->nworkers; w++) {
		f->base_lines += stat_get(&p->worker_stats[w].file_records[idx]);
		f->base_cut_lines += stat_get(&p->worker_stats[w].file_lines_truncated[idx]);
		f->base_cut_bytes += stat_get(&p->worker_stats[w].file_bytes_discarded[idx]);
	}
	f->apos = ing->nactive;
	ing->active[ing->nactive++] = idx;
	return f;
}

static void slot_free(struct ingest *ing, struct file *f)
{
	uint32_t last = ing->active[--ing->nactive];

	ing->active[f->apos] = last;
	ing->files[last].apos = f->apos;
	if (f->held)
		ing->nheld--;
	free(f->path);
	free(f->real);
	free(f->carry);
	f->path = NULL;
	f->real = NULL;
	f->carry = NULL;
	f->state = FILE_FREE;
	f->closing = false;
	file_changed(ing, f);
	ing->freelist[ing->nfree++] = f->idx;
}

/* A closing slot is freed once none of its batches is out. */
static void maybe_free(struct ingest *ing, struct file *f)
{
	if (f->closing && !f->outstanding && !f->b)
		slot_free(ing, f);
}

void file_batch_back(struct ingest *ing, struct file *f)
{
	if (f->outstanding)
		f->outstanding--;
	maybe_free(ing, f);
}

/* --- opening --- */

static void error_state(struct ingest *ing, struct file *f, int err)
{
	bool was_open = f->state == FILE_OPEN || f->state == FILE_DRAINING;

	if (f->state != FILE_ERROR || f->err != err) {
		/* A configured file that does not exist (yet, or again after a
		 * delete) is waited for, not an error. */
		if (err == ENOENT && f->desc->follow) {
			log_warn("source '%s': %s does not exist; waiting for it", f->desc->name,
				 f->path);
		} else {
			log_error("source '%s': cannot open %s: %s%s", f->desc->name, f->path,
				  strerror(err),
				  f->desc->follow ? " (will retry every second)" : "");
			stat_add(&f->st->errors, 1);
			stat_add(&f->sst->errors, 1);
		}
	}
	if (was_open)
		stat_add(&f->sst->files_open, (uint64_t)-1);
	f->state = FILE_ERROR;
	f->err = err;
	if (!f->desc->follow)
		f->done = true;
	file_changed(ing, f);
}

void file_head(int fd, uint64_t size, uint32_t want, uint64_t *fp, uint32_t *fp_len)
{
	char buf[STATE_FP_MAX];
	uint32_t n = want < STATE_FP_MAX ? want : STATE_FP_MAX;
	ssize_t got;

	if (size < n)
		n = (uint32_t)size;
	got = n ? pread(fd, buf, n, 0) : 0;

	if (got < 0)
		got = 0;
	*fp_len = (uint32_t)got;
	*fp = state_fingerprint(buf, (size_t)got);
}

/* The saved entry of the last run for f's identity, or NULL. */
static struct state_file *registry_find(struct ingest *ing, const struct file *f)
{
	uint32_t i;

	for (i = 0; i < ing->nregistry; i++) {
		struct state_file *e = &ing->registry[i];

		if (e->ino == (uint64_t)f->ino && e->dev == (uint64_t)f->dev &&
		    !strcmp(e->source, f->desc->name))
			return e;
	}
	return NULL;
}

bool file_saved(const struct ingest *ing, dev_t dev, ino_t ino, uint32_t si)
{
	uint32_t i;

	for (i = 0; i < ing->nregistry; i++) {
		const struct state_file *e = &ing->registry[i];

		if (e->ino == (uint64_t)ino && e->dev == (uint64_t)dev &&
		    !strcmp(e->source, ing->p->sources[si].name))
			return true;
	}
	return false;
}

static void registry_drop(struct ingest *ing, struct state_file *e)
{
	free(e->source);
	free(e->path);
	*e = ing->registry[--ing->nregistry];
}

/*
 * Where to resume f (size bytes now) from a saved entry (the last run's,
 * or of a file retired): its offset if the first bytes are the ones
 * fingerprinted and the file is not shorter. Else from 0: the inode number
 * was reused, or the file was truncated, perhaps copied first
 * (copytruncate); then the lines weir had not counted are read from the
 * copy, if one is found beside it.
 */
static void resume_from(struct ingest *ing, const struct file *f, const struct state_file *e,
			uint64_t size, uint64_t *off, bool *disc)
{
	struct copy_want w = {f->source, f->path,   f->dev,    f->ino,
			      e->fp,	 e->fp_len, e->offset, e->discarding};
	uint64_t fp;
	uint32_t fp_len;
	bool same;

	file_head(f->fd, size, e->fp_len, &fp, &fp_len);
	same = fp_len == e->fp_len && fp == e->fp;
	*off = e->offset;
	*disc = e->discarding;
	if (same && e->offset <= size)
		return;
	*off = 0;
	*disc = false;
	if (!copy_take_over(ing, &w) && !same) {
		log_info("source '%s': %s reuses the inode of a file read before (its first "
			 "bytes differ): reading it from 0",
			 f->desc->name, f->path);
		return;
	}
	log_info("source '%s': %s was truncated (%llu bytes now, or its first bytes differ; "
		 "weir was at offset %llu): reading it from 0",
		 f->desc->name, f->path, (unsigned long long)size, (unsigned long long)e->offset);
	stat_add(&f->sst->truncations, 1);
	stat_add(&f->st->truncations, 1);
}

/* The last run's entry for f, or one for a file retired that came back
 * (into *tmp): where f resumes, or NULL. Taken out of where it was kept;
 * a registry entry is dropped by the caller once used (*reg). */
static const struct state_file *saved_entry(struct ingest *ing, const struct file *f,
					    struct state_file *tmp, struct state_file **reg)
{
	struct retired_ent r;

	*reg = ing->nregistry ? registry_find(ing, f) : NULL;
	if (*reg)
		return *reg;
	if (!f->desc->follow || !retired_take(&ing->retired, id_key(f->dev, f->ino, f->source), &r))
		return NULL;
	*tmp = (struct state_file){
	    .offset = r.offset, .fp = r.fp, .fp_len = r.fp_len, .discarding = r.disc};
	log_info("source '%s': %s was read before, up to offset %llu", f->desc->name, f->path,
		 (unsigned long long)r.offset);
	return tmp;
}

/* f->path is a symlink: note where it leads (f->real), for checkpoints. */
static void note_real_path(struct file *f)
{
	struct stat lst;

	free(f->real);
	f->real = NULL;
	if (lstat(f->path, &lst) == 0 && S_ISLNK(lst.st_mode))
		f->real = realpath(f->path, NULL);
}

/* Open f->path into slot f (new, or an error slot being retried). saved:
 * the last run's entry for it, if the caller has it; else the registry is
 * searched. */
static void file_open(struct ingest *ing, struct file *f, bool draining,
		      const struct state_file *saved)
{
	struct state_file *e = NULL, tmp;
	struct stat st;
	uint64_t off = 0;
	bool disc = false;
	int fd, err;

	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		error_state(ing, f, err);
		return;
	}
	if (S_ISDIR(st.st_mode) ||
	    !(S_ISREG(st.st_mode) ||
	      (!f->desc->follow && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))))) {
		close(fd);
		error_state(ing, f, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
		return;
	}
	if (S_ISREG(st.st_mode) && f->desc->follow &&
	    idmap_get(&ing->ids, id_key(st.st_dev, st.st_ino, f->source)) != UINT32_MAX) {
		close(fd); /* raced with a rename: the file is tailed already */
		f->closing = true;
		maybe_free(ing, f);
		return;
	}
	if (f->state == FILE_ERROR)
		log_info("source '%s': %s can be read now", f->desc->name, f->path);
	f->fd = fd;
	f->stream = !S_ISREG(st.st_mode);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->err = 0;
	if (!f->stream) {
		if (!saved)
			saved = saved_entry(ing, f, &tmp, &e);
		if (saved)
			resume_from(ing, f, saved, (uint64_t)st.st_size, &off, &disc);
		else if (!ing->scanned_once && f->desc->start_at_end)
			off = (uint64_t)st.st_size;
		else if (f->desc->follow && (ing->scanned_once || ing->restored))
			f->fresh = true; /* a new file: a copy of one tailed? (copy.c) */
		if (e)
			registry_drop(ing, e);
		file_head(fd, (uint64_t)st.st_size, STATE_FP_MAX, &f->fp, &f->fp_len);
		if (f->desc->follow) {
			idmap_put(&ing->ids, id_key(f->dev, f->ino, f->source), f->idx);
			note_real_path(f);
		}
	}
	f->offset = f->shipped = off;
	f->fr.discarding = f->shipped_disc = disc;
	f->state = draining ? FILE_DRAINING : FILE_OPEN;
	f->drain_ms = f->data_ms = now_ms();
	f->want_read = true;
	stat_set(&f->st->inode, (uint64_t)st.st_ino);
	stat_set(&f->st->size, (uint64_t)st.st_size);
	stat_set(&f->st->offset, off);
	stat_add(&f->sst->files_open, 1);
	if (f->desc->follow && ing->inotify_fd >= 0 && !f->stream) {
		char proc[64];
		int wd;

		/* Watch the inode we opened, whatever its name becomes. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		wd = inotify_add_watch(ing->inotify_fd, proc, IN_MODIFY);
		if (wd < 0)
			log_warn("source '%s': inotify on %s: %s (polling it once a second)",
				 f->desc->name, f->path, strerror(errno));
		else if (idmap_get(&ing->wds, wd_key(wd)) == UINT32_MAX &&
			 idmap_put(&ing->wds, wd_key(wd), f->idx))
			f->wd = wd; /* else another source watches the same file: poll */
	}
	file_changed(ing, f);
	log_msg(f->desc->follow ? LOG_INFO : LOG_DEBUG,
		"source '%s': %s %s from offset %llu (inode %llu)", f->desc->name,
		draining ? "draining" : "reading", f->path, (unsigned long long)off,
		(unsigned long long)st.st_ino);
}

/* f is being closed, read to its end (or as far as it could be): remember
 * it in case it comes back, and have a checkpoint taken soon, so that a
 * crash does not lose the lines of a file nothing names any more. */
static void file_retire(struct ingest *ing, const struct file *f, bool deleted)
{
	struct retired_ent r = {.k = id_key(f->dev, f->ino, f->source),
				.offset = f->shipped,
				.fp = f->fp,
				.fp_len = f->fp_len,
				.disc = f->shipped_disc};

	if (!deleted && !f->held)
		retired_put(&ing->retired, &r);
	if (ing->p->durable && !ing->ckpt_soon_ms)
		ing->ckpt_soon_ms = now_ms() + CKPT_SOON_MS;
}

void file_close(struct ingest *ing, struct file *f)
{
	struct stat pst;
	bool deleted = false, rotated = false;

	if (f->fd >= 0) {
		struct stat fst;

		if (fstat(f->fd, &fst) == 0)
			deleted = fst.st_nlink == 0;
		if (!deleted && f->desc->follow && stat(f->path, &pst) == 0)
			rotated = pst.st_dev != f->dev || pst.st_ino != f->ino;
		if (f->desc->follow && !f->stream) {
			if (ing->nheld)
				copy_orig_closed(ing, f);
			file_retire(ing, f, deleted);
		}
	}
	if (f->wd >= 0) {
		if (ing->inotify_fd >= 0)
			inotify_rm_watch(ing->inotify_fd, f->wd);
		idmap_del(&ing->wds, wd_key(f->wd));
		f->wd = -1;
	}
	if (f->fd >= 0) {
		if (!f->stream)
			idmap_del(&ing->ids, id_key(f->dev, f->ino, f->source));
		close(f->fd);
		f->fd = -1;
		stat_add(&f->sst->files_open, (uint64_t)-1);
	}
	if (f->desc->follow) {
		stat_add(&f->sst->files_closed, 1);
		if (rotated && !f->rotated)
			stat_add(&f->sst->rotations, 1);
		log_info("source '%s': %s %s; read to offset %llu and closed", f->desc->name,
			 f->path,
			 deleted   ? "was deleted"
			 : rotated ? "was rotated (its path names a new file now)"
				   : "is no longer named by the source's paths",
			 (unsigned long long)f->offset);
	}
	if (f->b) {
		batch_pool_put(&ing->pool, f->b);
		f->b = NULL;
	}
	f->carry_len = 0;
	f->closing = true;
	f->want_read = false;
	maybe_free(ing, f);
}

/* --- finding files --- */

static struct file *error_slot_for(struct ingest *ing, uint32_t si, const char *path)
{
	uint32_t i;

	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->state == FILE_ERROR && f->source == si && !strcmp(f->path, path))
			return f;
	}
	return NULL;
}

static void path_error(struct ingest *ing, uint32_t si, const char *path, bool literal, int err)
{
	struct file *f = error_slot_for(ing, si, path);
	uint32_t i;

	if (err == ENOENT)
		for (i = 0; i < ing->nactive; i++) {
			struct file *o = &ing->files[ing->active[i]];

			/* The file that was there is being rotated: it drains,
			 * and the path is looked at again in a moment. */
			if (o->source == si && !o->closing && o->fd >= 0 && !strcmp(o->path, path))
				return;
		}

	if (!f && !(f = slot_alloc(ing, si, path, literal, NULL)))
		return;
	f->gen = ing->gen;
	error_state(ing, f, err);
}

/* path cannot be looked at now (err: permission, no descriptors left, a
 * network file system gone for a moment...). That says nothing about the
 * file tailed under that name: it is kept as it is (logged once). true
 * if there is one. */
static bool keep_named(struct ingest *ing, uint32_t si, const char *path, int err)
{
	uint32_t i;

	for (i = 0; i < ing->nactive; i++) {
		struct file *o = &ing->files[ing->active[i]];

		if (o->source != si || o->closing || o->fd < 0 || strcmp(o->path, path))
			continue;
		o->gen = ing->gen;
		if (!o->path_err)
			log_warn("source '%s': cannot look at %s: %s; keeping it as it is (will "
				 "retry every second)",
				 o->desc->name, path, strerror(err));
		o->path_err = true;
		return true;
	}
	return false;
}

/* What a glob named that is not a regular file, for a message. */
static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
			     : "not a regular file";
}

/* A glob named something that is not a regular file: skip it, saying so
 * once per path (until a rescan no longer finds it there). */
static void skip_note(struct ingest *ing, uint32_t si, const char *path, const struct stat *st)
{
	struct idkey k = {path_key(path), (uint64_t)st->st_ino, si};

	if (idmap_get(&ing->skipped, k) == UINT32_MAX) {
		log_info("source '%s': skipping %s: %s, not a regular file",
			 ing->p->sources[si].name, path, file_kind(st->st_mode));
		if (ing->skipped.count >= ing->skipped.max)
			idmap_grow(&ing->skipped); /* else it is logged again */
	}
	idmap_put(&ing->skipped, k, ing->gen);
}

/* One path a source's patterns name now. */
static void consider(struct ingest *ing, uint32_t si, const char *path, bool literal)
{
	const struct pipe_source *d = &ing->p->sources[si];
	struct file *f;
	struct stat st;
	uint32_t idx;

	if (excluded(d, path))
		return;
	if (stat(path, &st) < 0) {
		int err = errno;

		if (err != ENOENT && err != ENOTDIR && d->follow && keep_named(ing, si, path, err))
			return;
		if (literal || err != ENOENT)
			path_error(ing, si, path, literal, err);
		return;
	}
	if (S_ISDIR(st.st_mode) || (!S_ISREG(st.st_mode) && d->follow)) {
		if (literal)
			path_error(ing, si, path, literal, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
		else
			skip_note(ing, si, path, &st); /* a glob also matches those: not ours */
		return;
	}
	idx = S_ISREG(st.st_mode) ? idmap_get(&ing->ids, id_key(st.st_dev, st.st_ino, si))
				  : UINT32_MAX;
	if (idx != UINT32_MAX) {
		struct stat old;

		f = &ing->files[idx];
		f->gen = ing->gen;
		if (f->path_err) {
			log_info("source '%s': %s can be looked at again", d->name, path);
			f->path_err = false;
		}
		if (f->state == FILE_DRAINING) {
			f->state = FILE_OPEN;
			file_changed(ing, f);
		}
		if (strcmp(f->path, path) &&
		    (stat(f->path, &old) < 0 || old.st_dev != f->dev || old.st_ino != f->ino)) {
			log_info("source '%s': %s was renamed to %s; reading on at offset %llu",
				 d->name, f->path, path, (unsigned long long)f->offset);
			set_path(f, path);
			note_real_path(f);
			file_changed(ing, f);
		}
		return;
	}
	f = error_slot_for(ing, si, path);
	if (!f && !(f = slot_alloc(ing, si, path, literal, &st)))
		return;
	f->gen = ing->gen;
	file_open(ing, f, false, NULL);
}

struct file *file_add(struct ingest *ing, uint32_t si, const char *path, const struct stat *st,
		      bool draining, const struct state_file *saved)
{
	struct file *f = slot_alloc(ing, si, path, false, st);

	if (!f)
		return NULL;
	f->gen = ing->gen;
	file_open(ing, f, draining, saved);
	return f->state == FILE_OPEN || f->state == FILE_DRAINING ? f : NULL;
}

static void watch_dir(struct ingest *ing, const char *pattern)
{
	char *copy = strdup(pattern), *dir;
	uint32_t i;

	if (!copy)
		return;
	dir = dirname(copy);
	if (has_magic(dir))
		goto out; /* the poll finds new directories' files */
	for (i = 0; i < ing->ndirs; i++)
		if (!strcmp(ing->dirs[i].dir, dir))
			goto out;
	if (ing->ndirs == ing->capdirs) {
		uint32_t cap = ing->capdirs ? ing->capdirs * 2 : 8;
		struct dirwatch *nd = realloc(ing->dirs, sizeof(*nd) * cap);

		if (!nd)
			goto out;
		ing->dirs = nd;
		ing->capdirs = cap;
	}
	ing->dirs[ing->ndirs].dir = strdup(dir);
	ing->dirs[ing->ndirs].wd = -1;
	if (ing->dirs[ing->ndirs].dir)
		ing->ndirs++;
out:
	free(copy);
}

static void arm_dir_watches(struct ingest *ing)
{
	uint32_t i;

	if (ing->inotify_fd < 0)
		return;
	for (i = 0; i < ing->ndirs; i++) {
		struct dirwatch *dw = &ing->dirs[i];

		if (dw->wd >= 0)
			continue;
		dw->wd = inotify_add_watch(ing->inotify_fd, dw->dir,
					   IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
					       IN_ONLYDIR);
		if (dw->wd >= 0)
			idmap_put(&ing->wds, wd_key(dw->wd), WD_DIR);
	}
}

/* Saved files the paths did not name: rotated while weir was stopped? Look
 * for the inode in the directory it was in, and drain it from its offset. */
static void registry_leftovers(struct ingest *ing)
{
	while (ing->nregistry) {
		struct state_file e = ing->registry[--ing->nregistry];
		char *copy = strdup(e.path), *dir = copy ? dirname(copy) : NULL;
		char found[4096] = "";
		uint32_t si;
		DIR *dh;

		for (si = 0; si < ing->p->nsources; si++)
			if (!strcmp(ing->p->sources[si].name, e.source))
				break;
		if (dir && si < ing->p->nsources && (dh = opendir(dir))) {
			struct dirent *de;
			struct stat st;

			while ((de = readdir(dh))) {
				if ((uint64_t)de->d_ino != e.ino)
					continue;
				snprintf(found, sizeof(found), "%s/%s", dir, de->d_name);
				if (stat(found, &st) == 0 && (uint64_t)st.st_dev == e.dev &&
				    (uint64_t)st.st_ino == e.ino && S_ISREG(st.st_mode))
					break;
				found[0] = '\0';
			}
			closedir(dh);
		}
		free(copy);
		if (found[0] &&
		    idmap_get(&ing->ids, id_key((dev_t)e.dev, (ino_t)e.ino, si)) == UINT32_MAX) {
			struct stat st;

			log_info("source '%s': %s (saved offset %llu) is now %s: draining it",
				 e.source, e.path, (unsigned long long)e.offset, found);
			if (stat(found, &st) == 0)
				file_add(ing, si, found, &st, true, &e);
		} else if (!found[0] && si < ing->p->nsources) {
			/* Moved elsewhere, or deleted: if it comes back, it is
			 * read on from its offset (its head tells). */
			struct retired_ent r = {.k = id_key((dev_t)e.dev, (ino_t)e.ino, si),
						.offset = e.offset,
						.fp = e.fp,
						.fp_len = e.fp_len,
						.disc = e.discarding};

			retired_put(&ing->retired, &r);
			log_info("source '%s': %s (saved offset %llu) is not where it was; "
				 "remembering it in case it comes back",
				 e.source, e.path, (unsigned long long)e.offset);
		}
		free(e.source);
		free(e.path);
	}
}

/* glob() reports a directory it cannot read through a callback that
 * takes no argument of ours: the ingest thread notes the first such error
 * of the glob being expanded here. */
static _Thread_local int glob_errno;
static _Thread_local char glob_epath[512];

static int glob_onerr(const char *epath, int eerrno)
{
	/* A directory that is not there holds no files: that is an answer. */
	if (eerrno != ENOENT && eerrno != ENOTDIR && !glob_errno) {
		glob_errno = eerrno;
		snprintf(glob_epath, sizeof(glob_epath), "%s", epath);
	}
	return 0; /* go on with what can be read */
}

/*
 * Expand pattern k of source si and consider what it names. A glob that
 * failed (a directory it cannot read: permission, no descriptors left, a
 * network file system gone for a moment; or out of memory) says nothing
 * about the files it named before: those it would match are kept as they
 * are, not drained. Logged once per failure. Returns false if it failed.
 */
static bool expand(struct ingest *ing, uint32_t si, uint32_t k)
{
	const struct pipe_source *d = &ing->p->sources[si];
	const char *pat = d->patterns[k];
	int *last = &ing->pat_err[ing->pat_base[si] + k], rc, err;
	glob_t g;
	uint32_t i;
	size_t j;

	memset(&g, 0, sizeof(g));
	glob_errno = 0;
	rc = glob(pat, GLOB_NOSORT, d->follow ? glob_onerr : NULL, &g);
	if (rc == 0)
		for (j = 0; j < g.gl_pathc; j++)
			consider(ing, si, g.gl_pathv[j], false);
	globfree(&g);
	err = glob_errno ? glob_errno : rc == GLOB_NOSPACE ? ENOMEM : rc == GLOB_ABORTED ? EIO : 0;
	if (!err) {
		if (*last)
			log_info("source '%s': %s can be read again", d->name, pat);
		*last = 0;
		return true;
	}
	if (*last != err)
		log_warn("source '%s': cannot read %s: %s; keeping the files of %s as they are "
			 "(will retry every second)",
			 d->name, glob_errno ? glob_epath : pat, strerror(err), pat);
	*last = err;
	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->source == si && !fnmatch(pat, f->path, FNM_PATHNAME | FNM_PERIOD))
			f->gen = ing->gen;
	}
	return false;
}

void files_rescan(struct ingest *ing)
{
	struct pipeline *p = ing->p;
	uint32_t si, k, i;
	int64_t t = now_ms();
	bool complete = true;

	ing->gen++;
	ing->rescan_due = false;
	ing->last_rescan_ms = t;
	for (si = 0; si < p->nsources; si++) {
		const struct pipe_source *d = &p->sources[si];

		if ((!d->follow && ing->scanned_once) || d->syslog)
			continue;
		for (k = 0; k < d->npatterns; k++) {
			const char *pat = d->patterns[k];

			if (d->follow && !ing->scanned_once)
				watch_dir(ing, pat);
			if (!has_magic(pat))
				consider(ing, si, pat, true);
			else
				complete &= expand(ing, si, k);
		}
	}
	arm_dir_watches(ing);
	if (complete) {
		/* Forget refused files and skipped paths this rescan did not
		 * meet: if they come back, they are counted and logged again. */
		idmap_keep_only(&ing->refused, ing->gen);
		idmap_keep_only(&ing->skipped, ing->gen);
	}
	/* What no path names now: drain open files, forget failed glob matches. */
	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->gen == ing->gen || f->closing || !f->desc->follow)
			continue;
		if (f->state == FILE_OPEN) {
			struct stat pst;

			f->state = FILE_DRAINING;
			f->drain_ms = t;
			f->want_read = true;
			/* Its path names another file already: that is a rotation. */
			if (stat(f->path, &pst) == 0 &&
			    (pst.st_dev != f->dev || pst.st_ino != f->ino)) {
				f->rotated = true;
				stat_add(&f->sst->rotations, 1);
			}
			file_changed(ing, f);
		} else if (f->state == FILE_ERROR && !f->literal) {
			f->closing = true;
			maybe_free(ing, f);
			if (f->state == FILE_FREE)
				i--; /* the last slot moved to i */
		}
	}
	if (!ing->scanned_once) {
		ing->scanned_once = true;
		registry_leftovers(ing);
	}
	copy_hold_fresh(ing);
}

/* --- checkpoint --- */

/* One entry of a checkpoint; path NULL is saved as "". false: no memory. */
static bool ckpt_entry(struct state_file *e, const char *source, const char *path)
{
	e->source = strdup(source);
	e->path = path ? strdup(path) : NULL;
	return e->source && (e->path || !path);
}

/* The open files, then the retired identities, oldest first (a restart
 * puts them back in that order). */
void *files_checkpoint(struct ingest *ing)
{
	struct ckpt_files *c = calloc(1, sizeof(*c));
	const struct retired *rt = &ing->retired;
	uint32_t i;

	if (!c)
		return NULL;
	c->files = calloc(ing->nactive + rt->n + 1, sizeof(*c->files));
	if (!c->files)
		goto oom;
	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];
		struct state_file *e = &c->files[c->n];

		/* held: where it starts is not known yet */
		if (f->fd < 0 || f->stream || f->closing || f->held || f->fresh)
			continue;
		c->n++;
		if (!ckpt_entry(e, f->desc->name, f->real ? f->real : f->path))
			goto oom;
		e->dev = (uint64_t)f->dev;
		e->ino = (uint64_t)f->ino;
		e->offset = f->shipped;
		e->discarding = f->shipped_disc;
		e->fp = f->fp;
		e->fp_len = f->fp_len;
	}
	for (i = retired_first(rt); i != UINT32_MAX; i = retired_next(rt, i)) {
		const struct retired_ent *r = &rt->ents[i];
		struct state_file *e = &c->files[c->n++];

		if (!ckpt_entry(e, ing->p->sources[r->k.c].name, NULL))
			goto oom;
		e->dev = r->k.a;
		e->ino = r->k.b;
		e->offset = r->offset;
		e->discarding = r->disc;
		e->fp = r->fp;
		e->fp_len = r->fp_len;
		e->retired = true;
	}
	return c;
oom:
	if (c->files)
		state_files_free(c->files, c->n);
	free(c);
	return NULL;
}

/* --- set-up --- */

/* The last run's retired identities go back into the table, oldest first;
 * the registry keeps the files that were tailed. */
static void registry_split(struct ingest *ing)
{
	uint32_t i, w = 0, si;

	for (i = 0; i < ing->nregistry; i++) {
		struct state_file *e = &ing->registry[i];

		if (!e->retired) {
			ing->registry[w++] = *e;
			continue;
		}
		for (si = 0; si < ing->p->nsources; si++)
			if (!strcmp(ing->p->sources[si].name, e->source))
				break;
		if (si < ing->p->nsources) {
			struct retired_ent r = {.k = id_key((dev_t)e->dev, (ino_t)e->ino, si),
						.offset = e->offset,
						.fp = e->fp,
						.fp_len = e->fp_len,
						.disc = e->discarding};

			retired_put(&ing->retired, &r);
		}
		free(e->source);
		free(e->path);
	}
	ing->nregistry = w;
}

int files_init(struct ingest *ing)
{
	struct pipeline *p = ing->p;
	uint32_t i, npat = 0;
	int rc;

	ing->files = calloc(p->max_files, sizeof(*ing->files));
	ing->active = calloc(p->max_files, sizeof(*ing->active));
	ing->freelist = calloc(p->max_files, sizeof(*ing->freelist));
	ing->pat_base = calloc(p->nsources + 1, sizeof(*ing->pat_base));
	if (!ing->files || !ing->active || !ing->freelist || !ing->pat_base)
		return -ENOMEM;
	for (i = 0; i < p->nsources; i++) {
		ing->pat_base[i] = npat;
		npat += p->sources[i].npatterns;
	}
	ing->pat_err = calloc(npat + 1, sizeof(*ing->pat_err));
	if (!ing->pat_err)
		return -ENOMEM;
	for (i = 0; i < p->max_files; i++) {
		ing->files[i].fd = -1;
		ing->files[i].wd = -1;
		ing->freelist[i] = p->max_files - 1 - i; /* slot 0 first */
	}
	ing->nfree = p->max_files;
	if ((rc = idmap_init(&ing->ids, p->max_files)) ||
	    (rc = idmap_init(&ing->wds, p->max_files + 1024)) ||
	    (rc = idmap_init(&ing->refused, 64)) || (rc = idmap_init(&ing->skipped, 64)) ||
	    (rc = retired_init(&ing->retired, RETIRED_MAX)))
		return rc;
	if (p->restored) {
		/* Take the saved offsets; the aggregator keeps the rest. */
		ing->registry = p->restored->files;
		ing->nregistry = p->restored->nfiles;
		p->restored->files = NULL;
		p->restored->nfiles = 0;
		ing->restored = true;
		registry_split(ing);
	}
	return 0;
}

void files_destroy(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; ing->files && i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->fd >= 0)
			close(f->fd);
		free(f->path);
		free(f->real);
		free(f->carry);
	}
	for (i = 0; i < ing->ndirs; i++)
		free(ing->dirs[i].dir);
	free(ing->dirs);
	state_files_free(ing->registry, ing->nregistry);
	idmap_destroy(&ing->ids);
	idmap_destroy(&ing->wds);
	idmap_destroy(&ing->refused);
	idmap_destroy(&ing->skipped);
	retired_destroy(&ing->retired);
	free(ing->pat_base);
	free(ing->pat_err);
	free(ing->files);
	free(ing->active);
	free(ing->freelist);
}
