/*
 * read.c - reading the tailed files: one read in flight per file, into the
 * free tail of its current batch; ship whole records, keep the partial
 * last one (in the batch, or aside while idle without a batch); follow a
 * file to its end, through truncation, and close it when it is done.
 *
 * Memory named in a submitted read (the batch's buffer) belongs to the
 * kernel until its completion is reaped (file_on_read).
 */
#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "ingest/internal.h"
#include "pipeline/state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_MIN 4096 /* ship a batch when less room than this is left */

void ing_take_returns(struct ingest *ing)
{
	uint32_t w;
	struct batch *b;

	for (w = 0; w < ing->p->nworkers; w++)
		while ((b = ring_pop(&ing->p->return_rings[w]))) {
			if (b->kind == BATCH_BARRIER) {
				ing->barriers_out--;
				continue;
			}
			if (b->file < ing->p->max_files) /* else a listener's */
				file_batch_back(ing, &ing->files[b->file]);
			batch_pool_put(&ing->pool, b);
		}
}

/* Keep n bytes (a partial record) aside in f->carry. false if out of memory. */
static bool carry_keep(struct file *f, const char *data, uint32_t n)
{
	if (n > f->carry_cap) {
		uint32_t cap = n < 256 ? 256 : n;
		char *c = realloc(f->carry, cap);

		if (!c)
			return false;
		f->carry = c;
		f->carry_cap = cap;
	}
	memcpy(f->carry, data, n);
	f->carry_len = n;
	return true;
}

/* Put a carried partial record back at the start of a batch. false when no
 * batch is free (the file is then starved and retried). */
static bool carry_to_batch(struct ingest *ing, struct file *f)
{
	if (f->b)
		return true;
	f->b = batch_pool_get(&ing->pool);
	if (!f->b) {
		f->starved = true;
		return false;
	}
	f->starved = false;
	f->b->source = f->source;
	f->b->file = f->idx;
	f->complete = 0;
	if (f->carry_len) {
		memcpy(f->b->buf, f->carry, f->carry_len);
		f->b->len = f->carry_len;
		f->carry_len = 0;
	}
	return true;
}

/*
 * Hand the whole records of f->b to a worker; the partial record behind
 * them is kept aside (f->carry) until the next read takes a batch. So
 * shipping never needs a second batch: a file holding a full batch can
 * always let it go, and files cannot deadlock on the pool. Returns false
 * (and marks the file blocked) when no worker ring has room.
 */
static bool file_ship(struct ingest *ing, struct file *f)
{
	struct batch *b = f->b;
	uint32_t tail;
	int w;

	f->blocked = false;
	if (!b || !f->complete)
		return true;
	w = ing_pick_worker(ing);
	if (w < 0)
		goto blocked;
	tail = b->len - f->complete;
	if (tail && !carry_keep(f, b->buf + f->complete, tail))
		goto blocked; /* out of memory: keep it all and retry */
	b->len = f->complete;
	b->arrival_ms = now_ms();
	b->seq = ++ing->batch_seq;
	f->b = NULL;
	f->complete = 0;
	/* Every record before the partial tail is on its way. */
	f->shipped = f->offset - tail;
	f->shipped_disc = f->fr.discarding;
	f->outstanding++;
	ring_push(&ing->p->batch_rings[w], b);
	wake_signal(&ing->p->worker_wakes[w]);
	stat_add(&ing->p->ingest_stats.batches, 1);
	return true;
blocked:
	if (!f->blocked)
		stat_add(&ing->p->ingest_stats.backpressure, 1);
	f->blocked = true;
	return false;
}

/* Caught up: give the batch back, keeping a partial record aside. */
static void file_idle(struct ingest *ing, struct file *f)
{
	struct batch *b = f->b;

	if (!b || f->reading || f->complete)
		return;
	if (b->len && !carry_keep(f, b->buf, b->len))
		return; /* keep the batch */
	batch_pool_put(&ing->pool, b);
	f->b = NULL;
}

static void file_submit_read(struct ingest *ing, struct file *f)
{
	struct io_uring_sqe *sqe;

	if (!carry_to_batch(ing, f))
		return;
	sqe = ing_get_sqe(ing);
	if (!sqe)
		return; /* ring full even after submit: try next loop */
	io_uring_prep_read(sqe, f->fd, f->b->buf + f->b->len, f->b->cap - f->b->len - 1,
			   f->stream ? (uint64_t)-1 : f->offset);
	io_uring_sqe_set_data64(sqe, UD(OP_READ, f->idx));
	f->reading = true;
	f->want_read = false;
	ing->inflight++;
}

/* The partial last record becomes a record (end of input, flush, close). */
static void file_finish_partial(struct file *f)
{
	if (f->b)
		f->b->len = frame_finish(&f->fr, f->b->buf, f->b->len, &f->complete);
}

/* End of file reached on a read-once source: the last line needs no '\n'. */
static void file_finish(struct ingest *ing, struct file *f)
{
	file_finish_partial(f);
	f->at_eof = true;
	file_ship(ing, f); /* if blocked, the loop retries, then marks it done */
}

/*
 * Copy-truncated (or truncated by hand): start over from 0. Every whole
 * record read has been shipped (file_at_end ships first), so the lines from
 * f->shipped to the old end are the ones weir has not counted: if a copy
 * with f's head is beside it, they are read from there (copy.c). The
 * fingerprint is taken again from what is read next: a checkpoint must
 * describe the file as it is now.
 */
static void file_truncated(struct ingest *ing, struct file *f, uint64_t size)
{
	struct copy_want w = {f->source, f->path,   f->dev,	f->ino,
			      f->fp,	 f->fp_len, f->shipped, f->shipped_disc};

	log_info("source '%s': %s shrank to %llu bytes (offset was %llu): reading from 0",
		 f->desc->name, f->path, (unsigned long long)size, (unsigned long long)f->offset);
	stat_add(&f->sst->truncations, 1);
	stat_add(&f->st->truncations, 1);
	copy_take_over(ing, &w);
	f->fp = state_fingerprint(NULL, 0);
	f->fp_len = 0;
	f->offset = 0;
	f->shipped = 0;
	f->shipped_disc = false;
	if (f->b)
		f->b->len = f->complete; /* whole records not yet shipped stay */
	f->carry_len = 0;
	f->fr.discarding = false;
	f->want_read = true;
}

/* A partial last line that has not grown for flush_after becomes a record
 * (its writer may never end it). */
static void file_flush_idle(struct ingest *ing, struct file *f, int64_t t)
{
	if (t - f->data_ms < (int64_t)f->desc->flush_after_ms || f->blocked)
		return;
	if (!f->b && f->carry_len && !carry_to_batch(ing, f))
		return; /* no batch free: the poll tries again */
	if (!f->b || f->b->len == f->complete)
		return;
	file_finish_partial(f);
	stat_add(&f->sst->partial_flushes, 1);
	file_ship(ing, f);
}

/*
 * A followed file is read to its current end (or the poll saw nothing new).
 * A draining file quiet for ROTATE_WAIT_MS is finished and closed; an open
 * one is checked for truncation and its idle partial line flushed.
 */
static void file_at_end(struct ingest *ing, struct file *f)
{
	int64_t t = now_ms();
	struct stat st;

	if (!file_ship(ing, f))
		return;
	if (f->state == FILE_DRAINING) {
		int64_t quiet = t - (f->data_ms > f->drain_ms ? f->data_ms : f->drain_ms);

		if (quiet < ROTATE_WAIT_MS)
			return; /* the poll brings us back here */
		/* Its partial last line is a record now. */
		if (f->carry_len && !carry_to_batch(ing, f))
			return; /* no batch free: the poll tries again */
		if (f->b && f->b->len > f->complete)
			stat_add(&f->sst->partial_flushes, 1);
		file_finish_partial(f);
		if (!file_ship(ing, f))
			return;
		file_close(ing, f);
		return;
	}
	if (fstat(f->fd, &st) == 0) {
		stat_set(&f->st->size, (uint64_t)st.st_size);
		if ((uint64_t)st.st_size < f->offset) {
			file_truncated(ing, f, (uint64_t)st.st_size);
			return;
		}
	}
	file_flush_idle(ing, f, t);
	file_idle(ing, f);
}

/* n bytes were read at offset at into data: extend f's fingerprint while
 * they continue the head it covers, so that it describes what was read. */
static void head_grow(struct file *f, const char *data, uint32_t n, uint64_t at)
{
	uint64_t end = at + n, upto = end < STATE_FP_MAX ? end : STATE_FP_MAX;

	if (f->fp_len >= STATE_FP_MAX || f->fp_len < at || f->fp_len >= upto)
		return;
	f->fp = state_fingerprint_more(f->fp, data + (f->fp_len - at), upto - f->fp_len);
	f->fp_len = (uint32_t)upto;
}

void file_on_read(struct ingest *ing, uint32_t idx, int res)
{
	struct file *f = &ing->files[idx];
	struct batch *b = f->b;
	uint32_t asked = b->cap - b->len - 1;
	int64_t t;

	f->reading = false;
	ing->inflight--;
	if (f->closing)
		return;
	if (res < 0) {
		if (f->err != -res) {
			log_error("source '%s': read %s: %s%s", f->desc->name, f->path,
				  strerror(-res),
				  f->desc->follow ? " (will retry every second)" : "");
			stat_add(&f->st->errors, 1);
			stat_add(&f->sst->errors, 1);
			f->err = -res;
			file_changed(ing, f);
		}
		if (!f->desc->follow) {
			file_finish(ing, f);
		} else if (f->state == FILE_DRAINING) {
			file_ship(ing, f); /* gone from its path and unreadable: give up */
			file_close(ing, f);
		} else {
			/* Keep the file and its offset (a flaky mount comes back);
			 * the poll retries the read in a second. */
			file_ship(ing, f);
		}
		return;
	}
	if (res == 0) {
		if (!f->desc->follow)
			file_finish(ing, f);
		else
			file_at_end(ing, f);
		return;
	}
	t = now_ms();
	if (f->err) {
		log_info("source '%s': %s can be read again", f->desc->name, f->path);
		f->err = 0;
		file_changed(ing, f);
	}
	if (!f->stream)
		head_grow(f, b->buf + b->len, (uint32_t)res, f->offset);
	f->offset += (uint64_t)res;
	f->data_ms = t;
	b->len = frame_feed(&f->fr, b->buf, b->len + (uint32_t)res, (uint32_t)res, &f->complete);
	stat_add(&f->st->bytes, (uint64_t)res);
	stat_add(&f->sst->bytes, (uint64_t)res);
	stat_set(&f->st->offset, f->offset);
	if (f->fr.lines_truncated != f->fr_lines || f->fr.bytes_discarded != f->fr_bytes) {
		stat_add(&f->sst->lines_truncated, f->fr.lines_truncated - f->fr_lines);
		stat_add(&f->sst->bytes_discarded, f->fr.bytes_discarded - f->fr_bytes);
		f->fr_lines = f->fr.lines_truncated;
		f->fr_bytes = f->fr.bytes_discarded;
		stat_set(&f->st->lines_truncated, f->fr_lines);
		stat_set(&f->st->bytes_discarded, f->fr_bytes);
	}
	stat_set(&f->st->last_read_ms, (uint64_t)t);
	stat_set(&f->sst->last_read_ms, (uint64_t)t);
	if (b->cap - b->len < READ_MIN || ((uint32_t)res < asked && !f->stream))
		file_ship(ing, f);
	f->want_read = true;
}

/* Once a second: rescan the paths, and look at every file without waiting
 * for inotify (it can miss writes through other mounts, NFS, ...). */
void files_poll(struct ingest *ing)
{
	uint32_t i;

	files_rescan(ing);
	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];
		struct stat st;

		if (f->fd < 0 || f->closing || f->reading || f->blocked || !f->desc->follow)
			continue;
		if (f->held) {
			copy_poll_held(ing, f, now_ms());
			continue;
		}
		if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size == f->offset) {
			stat_set(&f->st->size, (uint64_t)st.st_size);
			file_at_end(ing, f);
			if (f->state == FILE_FREE)
				i--; /* closed and freed: the last slot moved to i */
		} else {
			f->want_read = true;
		}
	}
}

/* Let f ship what waits, finish it when done, and start its next read.
 * Sets *any_blocked while f waits for a ring slot or a batch. */
static void visit(struct ingest *ing, struct file *f, bool *any_blocked)
{
	if (f->closing)
		return;
	if (f->blocked && !file_ship(ing, f)) {
		*any_blocked = true;
		return;
	}
	if (f->at_eof && !f->done) {
		f->done = true; /* read to the end, and all of it shipped */
		if (f->fd >= 0) {
			close(f->fd);
			f->fd = -1;
		}
	}
	if (!f->desc->follow && f->fd < 0 && !f->done)
		f->done = true;
	if (f->held && f->want_read) { /* it changed: still a possible copy? */
		f->want_read = false;
		copy_recheck(ing, f, now_ms());
	}
	if (f->fd >= 0 && f->want_read && !f->reading && !f->blocked && !ing->stopping &&
	    !f->done && !f->held)
		file_submit_read(ing, f);
	*any_blocked |= f->blocked || f->starved;
}

/* visit() every active file, from a moving start so no file always goes
 * first. */
void files_visit(struct ingest *ing, bool *any_blocked)
{
	uint32_t i;

	if (ing->nactive) {
		uint32_t n = ing->nactive, start = ing->rr++ % n;

		for (i = 0; i < n && i < ing->nactive; i++) {
			struct file *f = &ing->files[ing->active[(start + i) % n]];

			visit(ing, f, any_blocked);
		}
	}
}
