/*
 * ingest.c - the ingest thread: its io_uring ring and its loop, a few named
 * steps (before the wait, timers, the wait, each completion to its
 * handler), and its start and end.
 *
 * Which files are tailed is files.c's business, reading them read.c's,
 * the syslog receivers listen.c's and tcp.c's. Each file has at most one
 * read in flight, into the free tail of its current batch, so its bytes
 * are framed in file order. A read that fills the batch, or reaches the
 * end of the file, ships the whole records to a worker; the partial last
 * record stays for the next read. A file that is caught up gives its batch
 * back to the pool (keeping a partial record aside), so thousands of idle
 * files hold no buffers. Regular files are
 * always "readable", so a caught-up file waits for an inotify event (read
 * through the same ring) or the once-a-second poll, which also rescans the
 * sources' paths and catches truncation.
 *
 * Backpressure: when no worker ring has room or the pool is empty, a file
 * keeps its records and stops reading; nothing is dropped. The loop then
 * wakes every millisecond to retry.
 *
 * Checkpoints (ckpt.c): every checkpoint_interval (and at the end) ingest records,
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

/* --- the loop --- */

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

	ing_take_returns(ing);
	files_publish(ing);
	if (ing->npending)
		ckpt_push(ing);
	if (ing->nlisteners) {
		any_blocked |= !listeners_flush(ing);
		listeners_arm(ing);
	}
	files_visit(ing, &any_blocked);
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

/* Every checkpoint_interval, with durable state; and CKPT_SOON_MS after a
 * file was retired (closed: nothing names it any more), so that a crash
 * does not lose its lines. Retirements close together share one. */
static int64_t ckpt_timer_due(const struct ingest *ing)
{
	struct pipeline *p = ing->p;

	if (!p->durable)
		return TIMER_NEVER;
	if (ing->ckpt_soon_ms && ing->ckpt_soon_ms < ing->next_ckpt_ms)
		return ing->ckpt_soon_ms;
	return ing->next_ckpt_ms;
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
	ing->ckpt_soon_ms = 0;
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
		files_poll(ing);
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
		file_on_read(ing, UD_IDX(ud), cqe->res);
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
