/*
 * ingest.c - the ingest thread's io_uring loop over file sources.
 *
 * Which files are tailed is files.c's business; this file reads them. Each
 * file has at most one read in flight, into the free tail of its current
 * batch, so its bytes are framed in file order. A read that fills the
 * batch, or reaches the end of the file, ships the whole records to a
 * worker; the partial last record stays for the next read. A file that is
 * caught up gives its batch back to the pool (keeping a partial record
 * aside), so thousands of idle files hold no buffers. Regular files are
 * always "readable", so a caught-up file waits for an inotify event (read
 * through the same ring) or the once-a-second poll, which also rescans the
 * sources' paths and catches truncation.
 *
 * Backpressure: when no worker ring has room or the pool is empty, a file
 * keeps its records and stops reading; nothing is dropped. The loop then
 * wakes every millisecond to retry.
 *
 * Checkpoints: every checkpoint_interval (and at the end) ingest records,
 * per file, the offset up to which every record has been shipped, and
 * sends a barrier batch to each worker behind those records; no batch goes
 * to a worker between the decision and its barrier. The aggregator writes
 * the offsets with the aggregates once every worker's barrier is through
 * (see aggregate/aggregator.c), so the two always agree.
 *
 * Memory named in a submitted request (a batch's buffer, the inotify
 * buffer, the eventfd counter) belongs to the kernel until its completion
 * is reaped; ing_main does not return before every request has completed.
 */
#include "ingest/ingest.h"

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "pipeline/state.h"
#include "ingest/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING_ENTRIES 256
#define READ_MIN 4096	   /* ship a batch when less room than this is left */
#define POLL_MS 1000	   /* re-check every file and path this often */
#define BLOCKED_RETRY_MS 1 /* retry interval while backpressured */

#define INOTIFY_BUF 4096

struct io_uring_sqe *ing_get_sqe(struct ingest *ing)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ing->ring);

	if (!sqe) {
		io_uring_submit(&ing->ring);
		sqe = io_uring_get_sqe(&ing->ring);
	}
	return sqe;
}

/* A worker ring with room, round-robin, or -1. Only the ingest thread pushes,
 * so room seen here is still there at the push. */
int ing_pick_worker(struct ingest *ing)
{
	uint32_t n = ing->p->nworkers, i;

	for (i = 0; i < n; i++) {
		uint32_t w = (ing->next_worker + i) % n;
		struct ring *r = &ing->p->batch_rings[w];

		/* A worker owed a barrier takes nothing before it. */
		if (!ing->barrier_pending[w] && ring_count(r) < ring_capacity(r)) {
			ing->next_worker = (w + 1) % n;
			return (int)w;
		}
	}
	return -1;
}

static void drain_returns(struct ingest *ing)
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

/* Copy-truncated (or truncated by hand): start over from 0. */
static void file_truncated(struct file *f, uint64_t size)
{
	log_info("source '%s': %s shrank to %llu bytes (offset was %llu): reading from 0",
		 f->desc->name, f->path, (unsigned long long)size, (unsigned long long)f->offset);
	stat_add(&f->sst->truncations, 1);
	stat_add(&f->st->truncations, 1);
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
			file_truncated(f, (uint64_t)st.st_size);
			return;
		}
	}
	file_flush_idle(ing, f, t);
	file_idle(ing, f);
}

static void on_read(struct ingest *ing, uint32_t idx, int res)
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

static void arm_inotify(struct ingest *ing)
{
	struct io_uring_sqe *sqe;

	if (ing->inotify_fd < 0 || ing->inotify_armed || ing->stopping)
		return;
	sqe = ing_get_sqe(ing);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, ing->inotify_fd, ing->inotify_buf, INOTIFY_BUF, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_INOTIFY, 0));
	ing->inotify_armed = true;
	ing->inflight++;
}

static void arm_eventfd(struct ingest *ing)
{
	struct io_uring_sqe *sqe;

	if (ing->event_armed || ing->stopping)
		return;
	sqe = ing_get_sqe(ing);
	if (!sqe)
		return;
	io_uring_prep_read(sqe, ing->event_fd, &ing->event_val, sizeof(ing->event_val), 0);
	io_uring_sqe_set_data64(sqe, UD(OP_EVENTFD, 0));
	ing->event_armed = true;
	ing->inflight++;
}

static void on_inotify(struct ingest *ing, int res)
{
	const char *p = ing->inotify_buf, *end;
	uint32_t i;

	ing->inotify_armed = false;
	ing->inflight--;
	if (res <= 0) {
		if (res < 0 && res != -ECANCELED)
			log_warn("inotify read: %s", strerror(-res));
		return;
	}
	end = p + res;
	while (p + sizeof(struct inotify_event) <= end) {
		const struct inotify_event *ev = (const struct inotify_event *)p;
		uint32_t v;

		p += sizeof(*ev) + ev->len;
		if (ev->mask & IN_Q_OVERFLOW) {
			/* Events were lost: look at everything. */
			ing->rescan_due = true;
			for (i = 0; i < ing->nactive; i++)
				ing->files[ing->active[i]].want_read = true;
			continue;
		}
		v = idmap_get(&ing->wds, (struct idkey){(uint64_t)(uint32_t)ev->wd, 0, UINT32_MAX});
		if (v == UINT32_MAX)
			continue; /* a watch removed since */
		if (v == WD_DIR) {
			ing->rescan_due = true;
			if (ev->mask & IN_IGNORED) {
				idmap_del(&ing->wds, (struct idkey){(uint64_t)(uint32_t)ev->wd, 0,
								    UINT32_MAX});
				for (i = 0; i < ing->ndirs; i++)
					if (ing->dirs[i].wd == ev->wd)
						ing->dirs[i].wd = -1; /* re-armed by the rescan */
			}
			continue;
		}
		if (ing->files[v].wd == ev->wd)
			ing->files[v].want_read = true;
	}
}

/* Cancel what can wait forever (inotify, eventfd reads) once stopping. */
static void cancel_waits(struct ingest *ing)
{
	struct io_uring_sqe *sqe;

	if (ing->inotify_armed && (sqe = ing_get_sqe(ing))) {
		io_uring_prep_cancel64(sqe, UD(OP_INOTIFY, 0), 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	if (ing->event_armed && (sqe = ing_get_sqe(ing))) {
		io_uring_prep_cancel64(sqe, UD(OP_EVENTFD, 0), 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	listeners_cancel(ing);
}

/* Everything read so far is shipped and no file will read again. */
static bool all_settled(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];

		if (f->reading || f->blocked)
			return false;
		if (!ing->stopping && !f->done)
			return false;
	}
	return listeners_settled(ing);
}

/* Once a second: rescan the paths, and look at every file without waiting
 * for inotify (it can miss writes through other mounts, NFS, ...). */
static void poll_files(struct ingest *ing)
{
	uint32_t i;

	files_rescan(ing);
	for (i = 0; i < ing->nactive; i++) {
		struct file *f = &ing->files[ing->active[i]];
		struct stat st;

		if (f->fd < 0 || f->closing || f->reading || f->blocked || !f->desc->follow)
			continue;
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

/* --- checkpoints --- */

static void ckpt_begin(struct ingest *ing, bool final, struct ruleset *rules)
{
	struct ckpt_files *c = files_checkpoint(ing);
	uint32_t w;

	if (!c) {
		log_error("checkpoint skipped: out of memory");
		if (rules) /* put it back: the next round tries again */
			atomic_store_explicit(&ing->p->reload_req, rules, memory_order_release);
		return;
	}
	c->final = final;
	c->write = ing->p->durable;
	c->rules = rules;
	ing->ckpt_payload = c;
	for (w = 0; w < ing->p->nworkers; w++)
		ing->barrier_pending[w] = true;
	ing->npending = ing->p->nworkers;
	stat_add(&ing->p->ingest_stats.checkpoints, 1);
}

/* Push the barriers owed; each worker takes nothing else until its own. */
static void ckpt_push(struct ingest *ing)
{
	uint32_t w;

	for (w = 0; w < ing->p->nworkers && ing->npending; w++) {
		struct ring *r = &ing->p->batch_rings[w];
		struct batch *b = &ing->barriers[w];

		if (!ing->barrier_pending[w] || ring_count(r) >= ring_capacity(r))
			continue;
		b->kind = BATCH_BARRIER;
		b->payload = ing->ckpt_payload;
		b->arrival_ms = now_ms();
		ring_push(r, b);
		wake_signal(&ing->p->worker_wakes[w]);
		ing->barrier_pending[w] = false;
		ing->npending--;
		ing->barriers_out++;
	}
}

/* At the end: one last checkpoint, after the last record shipped. */
static void ckpt_final(struct ingest *ing)
{
	while (ing->npending || ing->barriers_out) {
		drain_returns(ing);
		ckpt_push(ing);
		if (ing->npending || ing->barriers_out)
			sleep_ms(1);
	}
	ckpt_begin(ing, true, NULL);
	while (ing->npending) {
		ckpt_push(ing);
		if (ing->npending)
			sleep_ms(1);
	}
}

/* --- the loop --- */

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
	if (f->fd >= 0 && f->want_read && !f->reading && !f->blocked && !ing->stopping && !f->done)
		file_submit_read(ing, f);
	*any_blocked |= f->blocked || f->starved;
}

/* visit() every active file, from a moving start so no file always goes
 * first. */
static void visit_files(struct ingest *ing, bool *any_blocked)
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

/* Start-up: open the sources' files; the first poll and checkpoint are due
 * one interval from now. */
static void loop_start(struct ingest *ing)
{
	struct pipeline *p = ing->p;

	files_rescan(ing);
	ing->next_poll_ms = now_ms() + POLL_MS;
	ing->next_ckpt_ms = now_ms() + (int64_t)p->cfg->checkpoint_s * 1000;
}

/* The work that needs no waiting: take back returned batches, push owed
 * barriers, ship and re-arm the listeners, let every file ship and read.
 * Returns true if records wait for a ring slot or a batch. */
static bool loop_before_wait(struct ingest *ing)
{
	bool any_blocked = false;

	drain_returns(ing);
	files_publish(ing);
	if (ing->npending)
		ckpt_push(ing);
	if (ing->nlisteners) {
		any_blocked |= !listeners_flush(ing);
		listeners_arm(ing);
	}
	visit_files(ing, &any_blocked);
	return any_blocked;
}

/* Once all is settled in a scan or after ing_stop(): stop (cancelling the
 * endless waits). Returns true when stopping and no request is in flight,
 * so no memory is the kernel's any more. */
static bool loop_done(struct ingest *ing)
{
	struct pipeline *p = ing->p;

	if (all_settled(ing) && (ing->stopping || p->scan)) {
		if (!ing->stopping) {
			ing->stopping = true;
			cancel_waits(ing);
		}
		if (!ing->inflight)
			return true;
	}
	return false;
}

/*
 * Timers. due() says when a timer next wants to run (TIMER_NEVER: not
 * armed), which also bounds the wait; a NULL due() is a request looked at
 * on every pass that does not bound the wait. run() gets the pass's time
 * and returns true when it left work to do before sleeping (reads, closes):
 * the loop then goes round again at once, leaving later timers for then.
 */
#define TIMER_NEVER INT64_MAX

struct loop_timer {
	const char *name;			    /* for a reader and a debugger */
	int64_t (*due)(const struct ingest *ing);   /* next run (ms), or NULL */
	bool (*run)(struct ingest *ing, int64_t t); /* true: go round first */
};

/* Every checkpoint_interval, with durable state. */
static int64_t ckpt_timer_due(const struct ingest *ing)
{
	struct pipeline *p = ing->p;

	return p->durable ? ing->next_ckpt_ms : TIMER_NEVER;
}

/* Begin a checkpoint, unless one is under way (it stays due) or the loop is
 * stopping (the final one comes at the end). */
static bool ckpt_timer_run(struct ingest *ing, int64_t t)
{
	struct pipeline *p = ing->p;

	if (ing->stopping || ing->npending || ing->barriers_out)
		return false;
	ckpt_begin(ing, false, NULL);
	ckpt_push(ing);
	ing->next_ckpt_ms = t + (int64_t)p->cfg->checkpoint_s * 1000;
	return false;
}

/* A reload is a barrier that carries the new rules (and writes a checkpoint
 * at its cut when state is kept); it waits for a barrier under way. */
static bool reload_run(struct ingest *ing, int64_t t)
{
	struct pipeline *p = ing->p;

	(void)t;
	if (!ing->stopping && !ing->npending && !ing->barriers_out &&
	    atomic_load_explicit(&p->reload_req, memory_order_acquire)) {
		struct ruleset *rs =
		    atomic_exchange_explicit(&p->reload_req, NULL, memory_order_acq_rel);

		if (rs) {
			ckpt_begin(ing, false, rs);
			ckpt_push(ing);
		}
	}
	return false;
}

/* Every POLL_MS. */
static int64_t poll_timer_due(const struct ingest *ing)
{
	return ing->next_poll_ms;
}

/* Look at every file and path (poll_files) and at the listeners. */
static bool poll_timer_run(struct ingest *ing, int64_t t)
{
	struct pipeline *p = ing->p;

	if (!ing->stopping && !p->scan)
		poll_files(ing);
	if (ing->nlisteners && !ing->stopping)
		listeners_poll(ing, t);
	ing->next_poll_ms = t + POLL_MS;
	return true;
}

/* After a directory event, RESCAN_MIN_MS after the last rescan. */
static int64_t rescan_timer_due(const struct ingest *ing)
{
	return ing->rescan_due ? ing->last_rescan_ms + RESCAN_MIN_MS : TIMER_NEVER;
}

/* Rescan the sources' paths, unless stopping. */
static bool rescan_timer_run(struct ingest *ing, int64_t t)
{
	(void)t;
	if (ing->stopping)
		return false;
	files_rescan(ing);
	return true;
}

/* In the order they run: the checkpoint and the reload cut before what the
 * poll ships, and a reload waits for a checkpoint begun in the same pass
 * (one barrier at a time). */
static const struct loop_timer loop_timer_tab[] = {
    {"checkpoint", ckpt_timer_due, ckpt_timer_run},
    {"reload", NULL, reload_run},
    {"poll", poll_timer_due, poll_timer_run},
    {"rescan", rescan_timer_due, rescan_timer_run},
};
#define NTIMERS (sizeof(loop_timer_tab) / sizeof(loop_timer_tab[0]))

/* Run the timers whose time t has reached, in table order. Returns true
 * when one left work to do before sleeping (the rest wait for the next
 * pass). */
static bool loop_timers(struct ingest *ing, int64_t t)
{
	size_t i;

	for (i = 0; i < NTIMERS; i++) {
		const struct loop_timer *tm = &loop_timer_tab[i];

		if (tm->due && t < tm->due(ing))
			continue;
		if (tm->run(ing, t))
			return true;
	}
	return false;
}

/* How long the wait may sleep at time t: BLOCKED_RETRY_MS while records
 * wait for room (any_blocked) or barriers are owed, else until the nearest
 * timer, at least 1 ms. */
static int64_t loop_timeout(const struct ingest *ing, int64_t t, bool any_blocked)
{
	int64_t d = TIMER_NEVER, due;
	size_t i;

	if (any_blocked || ing->npending)
		return BLOCKED_RETRY_MS;
	for (i = 0; i < NTIMERS; i++) {
		const struct loop_timer *tm = &loop_timer_tab[i];

		if (!tm->due || (due = tm->due(ing)) == TIMER_NEVER)
			continue;
		if (due - t < d)
			d = due - t;
	}
	if (d < 1)
		d = 1;
	return d;
}

/* Submit what is queued and sleep until a completion or the nearest timer
 * (see loop_timeout). 0, or -errno (logged) when the ring fails. */
static int loop_wait(struct ingest *ing, int64_t t, bool any_blocked)
{
	struct __kernel_timespec ts = {0, 0};
	struct io_uring_cqe *cqe;
	int64_t d = loop_timeout(ing, t, any_blocked);
	int rc;

	ts.tv_sec = d / 1000;
	ts.tv_nsec = (d % 1000) * 1000000L;
	rc = io_uring_submit_and_wait_timeout(&ing->ring, &cqe, 1, &ts, NULL);
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
		log_error("io_uring wait: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* The eventfd read completed: ing_stop() may have been called (a reload
 * also wakes us; the reload timer looks at it). */
static void on_eventfd(struct ingest *ing, int res)
{
	ing->event_armed = false;
	ing->inflight--;
	if (res > 0 && !ing->stopping &&
	    atomic_load_explicit(&ing->stop_req, memory_order_acquire)) {
		ing->stopping = true;
		cancel_waits(ing);
	}
}

/* Hand one completion to the handler of the request its user_data names. */
static void handle_cqe(struct ingest *ing, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);

	switch (UD_OP(ud)) {
	case OP_READ:
		on_read(ing, UD_IDX(ud), cqe->res);
		break;
	case OP_INOTIFY:
		on_inotify(ing, cqe->res);
		break;
	case OP_RECV:
		listener_on_recv(ing, UD_IDX(ud), cqe->res, cqe->flags);
		break;
	case OP_ACCEPT:
		tcp_on_accept(ing, UD_IDX(ud), cqe->res, cqe->flags);
		break;
	case OP_CONN:
		tcp_on_recv(ing, UD_IDX(ud), cqe->res, cqe->flags);
		break;
	case OP_EVENTFD:
		on_eventfd(ing, cqe->res);
		break;
	default:
		break; /* cancel requests */
	}
}

/* Handle every completion reaped, then ship what the listeners received. */
static void loop_handle(struct ingest *ing)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&ing->ring, head, cqe)
	{
		seen++;
		handle_cqe(ing, cqe);
	}
	io_uring_cq_advance(&ing->ring, seen);
	if (ing->nlisteners)
		listeners_flush(ing); /* what stays is retried at the loop's top */
}

/* Shutdown, after the loop: the final checkpoint, then let the workers
 * finish. */
static void loop_end(struct ingest *ing)
{
	struct pipeline *p = ing->p;
	uint32_t i;

	if (p->durable)
		ckpt_final(ing);
	files_publish(ing);
	/* Workers may leave once their rings are empty. */
	atomic_store_explicit(&p->ingest_done, true, memory_order_release);
	for (i = 0; i < p->nworkers; i++)
		wake_signal(&p->worker_wakes[i]);
}

/*
 * The ingest thread (arg: the struct ingest). Each pass: the work that needs
 * no waiting; the end once all is settled and nothing is in flight; inotify
 * and the eventfd kept armed; the timers; a wait for completions or the
 * nearest timer; the completions. A timer that leaves work sends the loop
 * round again without waiting.
 */
void *ing_main(void *arg)
{
	struct ingest *ing = arg;

	pthread_setname_np(pthread_self(), "weir-ingest"); /* top -H, perf, gdb */
	loop_start(ing);
	for (;;) {
		bool any_blocked = loop_before_wait(ing);
		int64_t t;

		if (loop_done(ing))
			break;
		arm_inotify(ing);
		arm_eventfd(ing);
		t = now_ms();
		if (loop_timers(ing, t))
			continue;
		if (loop_wait(ing, t, any_blocked) < 0)
			break;
		loop_handle(ing);
	}
	loop_end(ing);
	return NULL;
}

int ing_new(struct pipeline *p, struct ingest **out)
{
	struct ingest *ing;
	struct io_uring_params params;
	unsigned iowq[2] = {2, 2};
	int rc;

	*out = NULL;
	ing = calloc(1, sizeof(*ing));
	if (!ing)
		return -ENOMEM;
	ing->p = p;
	ing->inotify_fd = -1;
	ing->event_fd = -1;
	memset(&params, 0, sizeof(params));
	rc = io_uring_queue_init_params(RING_ENTRIES, &ing->ring, &params);
	if (rc < 0) {
		log_error("io_uring_queue_init: %s%s", strerror(-rc),
			  rc == -EPERM || rc == -ENOSYS
			      ? " (io_uring disabled? check sysctl kernel.io_uring_disabled "
				"and seccomp)"
			      : "");
		goto err;
	}
	ing->ring_ok = true;
	/* Blocking file reads run on io-wq threads: keep them few. */
	io_uring_register_iowq_max_workers(&ing->ring, iowq);
	/* Listener batches carry a rec_meta per record; one per 64 bytes of
	 * batch is more records than real syslog traffic fits. */
	rc = batch_pool_init(&ing->pool, p->nbatches, p->cfg->batch_size,
			     p->nlisteners ? p->cfg->batch_size / 64 : 0);
	if (rc)
		goto err;
	ing->inotify_buf = aligned_alloc(alignof(struct inotify_event), INOTIFY_BUF);
	ing->barriers = calloc(p->nworkers, sizeof(*ing->barriers));
	ing->barrier_pending = calloc(p->nworkers, sizeof(*ing->barrier_pending));
	if (!ing->inotify_buf || !ing->barriers || !ing->barrier_pending) {
		rc = -ENOMEM;
		goto err;
	}
	if ((rc = files_init(ing)) || (rc = listeners_init(ing)))
		goto err;
	if (!p->scan) {
		ing->inotify_fd = inotify_init1(IN_CLOEXEC);
		if (ing->inotify_fd < 0)
			log_warn("inotify_init1: %s (polling files once a second)",
				 strerror(errno));
	}
	ing->event_fd = eventfd(0, EFD_CLOEXEC);
	if (ing->event_fd < 0) {
		rc = -errno;
		goto err;
	}
	*out = ing;
	return 0;
err:
	ing_free(ing);
	return rc;
}

void ing_stop(struct ingest *ing)
{
	atomic_store_explicit(&ing->stop_req, true, memory_order_release);
	ing_wake(ing);
}

void ing_wake(struct ingest *ing)
{
	uint64_t one = 1;

	if (write(ing->event_fd, &one, sizeof(one)) < 0)
		log_error("ing_stop: eventfd write: %s", strerror(errno));
}

void ing_free(struct ingest *ing)
{
	uint32_t i;

	if (!ing)
		return;
	if (ing->p && ing->files) {
		struct batch *b;
		uint32_t w;

		for (w = 0; w < ing->p->nworkers; w++)
			while ((b = ring_pop(&ing->p->return_rings[w])))
				if (b->kind != BATCH_BARRIER)
					batch_pool_put(&ing->pool, b);
		for (i = 0; i < ing->nactive; i++) {
			struct file *f = &ing->files[ing->active[i]];

			if (f->b)
				batch_pool_put(&ing->pool, f->b);
			f->b = NULL;
		}
		for (i = 0; i < ing->nlisteners; i++)
			if (ing->listeners[i].b)
				batch_pool_put(&ing->pool, ing->listeners[i].b);
	}
	listeners_destroy(ing);
	if (ing->ckpt_payload && ing->npending == ing->p->nworkers) {
		/* decided but never sent: nobody else will free it */
		struct ckpt_files *c = ing->ckpt_payload;

		state_files_free(c->files, c->n);
		free(c);
	}
	if (ing->ring_ok)
		io_uring_queue_exit(&ing->ring);
	if (ing->inotify_fd >= 0)
		close(ing->inotify_fd);
	if (ing->event_fd >= 0)
		close(ing->event_fd);
	if (ing->files)
		files_destroy(ing);
	batch_pool_destroy(&ing->pool);
	free(ing->inotify_buf);
	free(ing->barriers);
	free(ing->barrier_pending);
	free(ing);
}
