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
 * On start, saved offsets (the state file) are matched by identity and a
 * fingerprint of the file's first bytes, so a reused inode number is not
 * mistaken for the old file. A saved file the paths no longer name (rotated
 * while weir was down) is looked for in its old directory by inode, and
 * drained from its saved offset.
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

static struct idkey id_key(dev_t dev, ino_t ino, uint32_t source)
{
	return (struct idkey){(uint64_t)dev, (uint64_t)ino, source};
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

static struct file *slot_alloc(struct ingest *ing, uint32_t si, const char *path, bool literal)
{
	struct pipeline *p = ing->p;
	struct file *f;
	uint32_t idx, w;

	if (!ing->nfree) {
		stat_add(&p->ingest_stats.files_refused, 1);
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
	free(f->path);
	free(f->carry);
	f->path = NULL;
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

static void fingerprint(int fd, uint64_t size, uint32_t want, uint64_t *fp, uint32_t *fp_len)
{
	char buf[STATE_FP_MAX];
	/* want may be a saved fp_len: never past buf (a longer one then differs) */
	uint32_t cap = want < sizeof(buf) ? want : (uint32_t)sizeof(buf);
	uint32_t n = size < cap ? (uint32_t)size : cap;
	ssize_t got = n ? pread(fd, buf, n, 0) : 0;

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

static void registry_drop(struct ingest *ing, struct state_file *e)
{
	free(e->source);
	free(e->path);
	*e = ing->registry[--ing->nregistry];
}

/* Where to resume f from a saved entry: its offset if the first bytes are
 * the ones fingerprinted, else 0 (the inode number was reused). */
static void resume_from(const struct file *f, const struct state_file *e, uint64_t size,
			uint64_t *off, bool *disc)
{
	uint64_t fp;
	uint32_t fp_len;

	fingerprint(f->fd, size, e->fp_len, &fp, &fp_len);
	*off = e->offset;
	*disc = e->discarding;
	if (fp_len != e->fp_len || fp != e->fp) {
		log_info("source '%s': %s reuses the inode of a file read before (its first "
			 "bytes differ): reading it from 0",
			 f->desc->name, f->path);
		*off = 0;
		*disc = false;
	}
}

/* Open f->path into slot f (new, or an error slot being retried). saved:
 * the last run's entry for it, if the caller has it; else the registry is
 * searched. */
static void file_open(struct ingest *ing, struct file *f, bool draining,
		      const struct state_file *saved)
{
	struct state_file *e = NULL;
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
		if (!saved && ing->nregistry)
			saved = e = registry_find(ing, f);
		if (saved)
			resume_from(f, saved, (uint64_t)st.st_size, &off, &disc);
		else if (!ing->scanned_once && f->desc->start_at_end)
			off = (uint64_t)st.st_size;
		if (e)
			registry_drop(ing, e);
		if (off > (uint64_t)st.st_size) {
			log_info("source '%s': %s shrank to %lld bytes while weir was stopped "
				 "(saved offset %llu): reading from 0",
				 f->desc->name, f->path, (long long)st.st_size,
				 (unsigned long long)off);
			stat_add(&f->sst->truncations, 1);
			stat_add(&f->st->truncations, 1);
			off = 0;
			disc = false;
		}
		fingerprint(fd, (uint64_t)st.st_size, STATE_FP_MAX, &f->fp, &f->fp_len);
		if (f->desc->follow)
			idmap_put(&ing->ids, id_key(f->dev, f->ino, f->source), f->idx);
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

	if (!f && !(f = slot_alloc(ing, si, path, literal)))
		return;
	f->gen = ing->gen;
	error_state(ing, f, err);
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

		if (literal || err != ENOENT)
			path_error(ing, si, path, literal, err);
		return;
	}
	if (S_ISDIR(st.st_mode) || (!S_ISREG(st.st_mode) && d->follow)) {
		if (literal)
			path_error(ing, si, path, literal, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
		return; /* a glob also matches directories and sockets: not ours */
	}
	idx = S_ISREG(st.st_mode) ? idmap_get(&ing->ids, id_key(st.st_dev, st.st_ino, si))
				  : UINT32_MAX;
	if (idx != UINT32_MAX) {
		struct stat old;

		f = &ing->files[idx];
		f->gen = ing->gen;
		if (f->state == FILE_DRAINING) {
			f->state = FILE_OPEN;
			file_changed(ing, f);
		}
		if (strcmp(f->path, path) &&
		    (stat(f->path, &old) < 0 || old.st_dev != f->dev || old.st_ino != f->ino)) {
			log_info("source '%s': %s was renamed to %s; reading on at offset %llu",
				 d->name, f->path, path, (unsigned long long)f->offset);
			set_path(f, path);
			file_changed(ing, f);
		}
		return;
	}
	f = error_slot_for(ing, si, path);
	if (!f && !(f = slot_alloc(ing, si, path, literal)))
		return;
	f->gen = ing->gen;
	file_open(ing, f, false, NULL);
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
			struct file *f = slot_alloc(ing, si, found, false);

			log_info("source '%s': %s (saved offset %llu) is now %s: draining it",
				 e.source, e.path, (unsigned long long)e.offset, found);
			if (f) {
				f->gen = ing->gen;
				file_open(ing, f, true, &e);
			}
		} else if (!found[0]) {
			log_info(
			    "source '%s': %s (saved offset %llu) no longer exists; forgetting it",
			    e.source, e.path, (unsigned long long)e.offset);
		}
		free(e.source);
		free(e.path);
	}
}

void files_rescan(struct ingest *ing)
{
	struct pipeline *p = ing->p;
	uint32_t si, k, i;
	int64_t t = now_ms();

	ing->gen++;
	ing->rescan_due = false;
	ing->last_rescan_ms = t;
	for (si = 0; si < p->nsources; si++) {
		const struct pipe_source *d = &p->sources[si];

		if ((!d->follow && ing->scanned_once) || d->syslog)
			continue;
		for (k = 0; k < d->npatterns; k++) {
			const char *pat = d->patterns[k];
			glob_t g;
			size_t j;

			if (d->follow && !ing->scanned_once)
				watch_dir(ing, pat);
			if (!has_magic(pat)) {
				consider(ing, si, pat, true);
				continue;
			}
			memset(&g, 0, sizeof(g));
			if (glob(pat, GLOB_NOSORT, NULL, &g) == 0)
				for (j = 0; j < g.gl_pathc; j++)
					consider(ing, si, g.gl_pathv[j], false);
			globfree(&g);
		}
	}
	arm_dir_watches(ing);
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
}

/* --- checkpoint --- */

void *files_checkpoint(struct ingest *ing)
{
	struct ckpt_files *c = calloc(1, sizeof(*c));
	uint32_t i;

	if (!c)
		return NULL;
	c->files = calloc(ing->nactive + 1, sizeof(*c->files));
	if (!c->files) {
		free(c);
		return NULL;
	}
	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];
		struct state_file *e = &c->files[c->n];

		if (f->fd < 0 || f->stream || f->closing)
			continue;
		if (f->fp_len < STATE_FP_MAX && f->offset > f->fp_len)
			fingerprint(f->fd, f->offset, STATE_FP_MAX, &f->fp, &f->fp_len);
		e->source = strdup(f->desc->name);
		e->path = strdup(f->path);
		if (!e->source || !e->path) {
			free(e->source);
			free(e->path);
			state_files_free(c->files, c->n);
			free(c);
			return NULL;
		}
		e->dev = (uint64_t)f->dev;
		e->ino = (uint64_t)f->ino;
		e->offset = f->shipped;
		e->discarding = f->shipped_disc;
		e->fp = f->fp;
		e->fp_len = f->fp_len;
		c->n++;
	}
	return c;
}

/* --- set-up --- */

int files_init(struct ingest *ing)
{
	struct pipeline *p = ing->p;
	uint32_t i;
	int rc;

	ing->files = calloc(p->max_files, sizeof(*ing->files));
	ing->active = calloc(p->max_files, sizeof(*ing->active));
	ing->freelist = calloc(p->max_files, sizeof(*ing->freelist));
	if (!ing->files || !ing->active || !ing->freelist)
		return -ENOMEM;
	for (i = 0; i < p->max_files; i++) {
		ing->files[i].fd = -1;
		ing->files[i].wd = -1;
		ing->freelist[i] = p->max_files - 1 - i; /* slot 0 first */
	}
	ing->nfree = p->max_files;
	if ((rc = idmap_init(&ing->ids, p->max_files)) ||
	    (rc = idmap_init(&ing->wds, p->max_files + 1024)))
		return rc;
	if (p->restored) {
		/* Take the saved offsets; the aggregator keeps the rest. */
		ing->registry = p->restored->files;
		ing->nregistry = p->restored->nfiles;
		p->restored->files = NULL;
		p->restored->nfiles = 0;
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
		free(f->carry);
	}
	for (i = 0; i < ing->ndirs; i++)
		free(ing->dirs[i].dir);
	free(ing->dirs);
	state_files_free(ing->registry, ing->nregistry);
	idmap_destroy(&ing->ids);
	idmap_destroy(&ing->wds);
	free(ing->files);
	free(ing->active);
	free(ing->freelist);
}
