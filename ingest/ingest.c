/*
 * ingest.c - the ingest thread's io_uring loop over file sources.
 *
 * Each source has at most one read in flight, into the free tail of its
 * current batch, so its bytes are framed in file order. A read that fills
 * the batch, or reaches the end of the file, ships the whole records to a
 * worker; the partial last record moves to the next batch. Regular files
 * are always "readable", so a caught-up source waits for an inotify event
 * (read through the same ring) or the once-a-second poll, which also
 * catches truncation and re-opens sources that failed.
 *
 * Backpressure: when no worker ring has room or the pool is empty, the
 * source keeps its batch and stops reading; nothing is dropped. The loop
 * then wakes every millisecond to retry.
 *
 * Memory named in a submitted request (a batch's buffer, the inotify
 * buffer, the eventfd counter) belongs to the kernel until its completion
 * is reaped; ing_main does not return before every request has completed.
 */
#include "ingest/ingest.h"

#include "core/batch.h"
#include "core/config.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "ingest/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define RING_ENTRIES 256
#define READ_MIN 4096	    /* ship a batch when less room than this is left */
#define POLL_MS 1000	    /* re-check every source this often */
#define BLOCKED_RETRY_MS 1  /* retry interval while backpressured */
#define ROTATE_WAIT_MS 1000 /* keep reading a rotated file this long before switching */

enum op { OP_READ = 1, OP_INOTIFY, OP_EVENTFD };

#define UD(op, idx) (((uint64_t)(op) << 32) | (uint32_t)(idx))
#define UD_OP(ud) ((enum op)((ud) >> 32))
#define UD_IDX(ud) ((uint32_t)(ud))

struct src {
	const struct pipe_source *desc; /* borrowed from the pipeline */
	struct source_stats *stats;	/* borrowed from the pipeline */
	int fd;				/* -1 when not open */
	int wd;				/* inotify watch, -1 if none */
	uint64_t offset;		/* file offset of the next read */
	struct batch *b;		/* batch being filled; owned while not NULL */
	uint32_t complete;		/* bytes of whole records in b */
	struct framer fr;
	bool reading;	/* a read is in flight (b->buf belongs to the kernel) */
	bool want_read; /* there may be more to read */
	bool blocked;	/* whole records wait for a ring slot or a free batch */
	bool at_eof;	/* scan: read to the end; done once all of it is shipped */
	bool done;	/* scan: read to the end and shipped */
	bool first_open;
	dev_t dev; /* identity of the open file */
	ino_t ino;
	int64_t rotated_ms; /* when the path was first seen on another file; 0 = not */
	bool replaced;	    /* the file was retired: whatever opens next is new, even if
			     * it reuses the old inode number (tmpfs and ext4 do) */
	bool stream;	    /* a pipe or terminal (scan of stdin): read at the current position */
};

struct ingest {
	struct pipeline *p; /* borrowed */
	struct io_uring ring;
	bool ring_ok;
	struct batch_pool pool;
	struct src *srcs;
	uint32_t nsrcs;
	uint32_t next_worker; /* round-robin start */
	int inotify_fd;
	int event_fd;
	uint64_t event_val; /* eventfd read target */
	char *inotify_buf;  /* INOTIFY_BUF bytes, aligned for struct inotify_event */
	uint32_t inflight;  /* requests not yet completed */
	bool inotify_armed, event_armed;
	bool stopping;
	int64_t next_poll_ms;
};

#define INOTIFY_BUF 4096

static struct io_uring_sqe *get_sqe(struct ingest *ing)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ing->ring);

	if (!sqe) {
		io_uring_submit(&ing->ring);
		sqe = io_uring_get_sqe(&ing->ring);
	}
	return sqe;
}

static void src_close(struct ingest *ing, struct src *s)
{
	if (s->wd >= 0 && ing->inotify_fd >= 0)
		inotify_rm_watch(ing->inotify_fd, s->wd);
	s->wd = -1;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Open a source's file; on failure log once per errno change and retry later. */
static void src_open(struct ingest *ing, struct src *s)
{
	struct stat st;
	int fd;

	fd = open(s->desc->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    !(S_ISREG(st.st_mode) ||
	      (!s->desc->follow && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))))) {
		int err = fd < 0 ? errno : (S_ISDIR(st.st_mode) ? EISDIR : errno);

		if (fd >= 0)
			close(fd);
		if (!stat_get(&s->stats->errors) || !s->desc->follow)
			log_error("source '%s': cannot open %s: %s%s", s->desc->name, s->desc->path,
				  strerror(err ? err : EINVAL),
				  s->desc->follow ? " (will retry)" : "");
		stat_add(&s->stats->errors, 1);
		if (!s->desc->follow)
			s->done = true;
		return;
	}
	s->fd = fd;
	s->stream = !S_ISREG(st.st_mode);
	if (s->first_open && s->desc->start_at_end)
		s->offset = (uint64_t)st.st_size;
	else if (!s->first_open && (s->replaced || st.st_dev != s->dev || st.st_ino != s->ino))
		s->offset = 0; /* a new file at the path (rotated, recreated): all of it is new */
	s->replaced = false;
	s->first_open = false;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	stat_set(&s->stats->inode, (uint64_t)st.st_ino);
	s->rotated_ms = 0;
	stat_set(&s->stats->size, (uint64_t)st.st_size);
	stat_set(&s->stats->offset, s->offset);
	if (s->desc->follow && ing->inotify_fd >= 0) {
		s->wd = inotify_add_watch(ing->inotify_fd, s->desc->path, IN_MODIFY);
		if (s->wd < 0)
			log_warn("source '%s': inotify on %s: %s (polling once a second)",
				 s->desc->name, s->desc->path, strerror(errno));
	}
	s->want_read = true;
	log_msg(s->desc->follow ? LOG_INFO : LOG_DEBUG, "source '%s': reading %s from offset %llu",
		s->desc->name, s->desc->path, (unsigned long long)s->offset);
}

/* A worker ring with room, round-robin, or -1. Only the ingest thread pushes,
 * so room seen here is still there at the push. */
static int pick_worker(struct ingest *ing)
{
	uint32_t n = ing->p->nworkers, i;

	for (i = 0; i < n; i++) {
		uint32_t w = (ing->next_worker + i) % n;
		struct ring *r = &ing->p->batch_rings[w];

		if (ring_count(r) < ring_capacity(r)) {
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
		while ((b = ring_pop(&ing->p->return_rings[w])))
			batch_pool_put(&ing->pool, b);
}

/*
 * Hand the whole records of s->b to a worker and carry the partial record
 * into a fresh batch. Returns false (and marks the source blocked) when no
 * ring has room or no batch is free.
 */
static bool src_ship(struct ingest *ing, struct src *s)
{
	struct batch *b = s->b, *nb;
	uint32_t tail;
	int w;

	s->blocked = false;
	if (!b || !s->complete)
		return true;
	w = pick_worker(ing);
	if (w < 0)
		goto blocked;
	nb = batch_pool_get(&ing->pool);
	if (!nb)
		goto blocked;
	tail = b->len - s->complete;
	memcpy(nb->buf, b->buf + s->complete, tail);
	nb->len = tail;
	nb->offset = b->offset + s->complete;
	nb->source = b->source;
	b->len = s->complete;
	b->arrival_ms = now_ms();
	s->b = nb;
	s->complete = 0;
	ring_push(&ing->p->batch_rings[w], b);
	wake_signal(&ing->p->worker_wakes[w]);
	stat_add(&ing->p->ingest_stats.batches, 1);
	return true;
blocked:
	if (!s->blocked)
		stat_add(&ing->p->ingest_stats.backpressure, 1);
	s->blocked = true;
	return false;
}

static void src_submit_read(struct ingest *ing, struct src *s, uint32_t idx)
{
	struct io_uring_sqe *sqe;

	if (!s->b) {
		s->b = batch_pool_get(&ing->pool);
		if (!s->b) {
			s->blocked = true;
			return;
		}
		s->b->source = idx;
		s->b->offset = s->offset;
		s->complete = 0;
	}
	sqe = get_sqe(ing);
	if (!sqe)
		return; /* ring full even after submit: try next loop */
	io_uring_prep_read(sqe, s->fd, s->b->buf + s->b->len, s->b->cap - s->b->len - 1,
			   s->stream ? (uint64_t)-1 : s->offset);
	io_uring_sqe_set_data64(sqe, UD(OP_READ, idx));
	s->reading = true;
	s->want_read = false;
	ing->inflight++;
}

/* End of file reached on a read-once source: the last line needs no '\n'. */
static void src_finish(struct ingest *ing, struct src *s)
{
	if (s->b)
		s->b->len = frame_finish(&s->fr, s->b->buf, s->b->len, &s->complete);
	s->at_eof = true;
	src_ship(ing, s); /* if blocked, the loop retries, then marks it done */
}

/* st: fstat of the open file, taken by the caller. */
static void src_check_truncation(struct src *s, const struct stat *st)
{
	stat_set(&s->stats->size, (uint64_t)st->st_size);
	if ((uint64_t)st->st_size >= s->offset)
		return;
	/* Copy-truncated (or truncated by hand): start over from 0. */
	log_info("source '%s': %s shrank to %lld bytes (offset was %llu): reading from 0",
		 s->desc->name, s->desc->path, (long long)st->st_size,
		 (unsigned long long)s->offset);
	stat_add(&s->stats->truncations, 1);
	s->offset = 0;
	if (s->b)
		s->b->len = s->complete; /* whole records not yet shipped stay */
	s->fr.discarding = false;
	s->want_read = true;
}

/*
 * The file is read to its end and done with: its partial last line becomes a
 * record, everything is shipped, and it is closed. false when backpressure
 * holds the last records (the caller tries again later).
 */
static bool src_retire(struct ingest *ing, struct src *s)
{
	if (s->b)
		s->b->len = frame_finish(&s->fr, s->b->buf, s->b->len, &s->complete);
	if (!src_ship(ing, s))
		return false;
	src_close(ing, s);
	s->replaced = true;
	return true;
}

/*
 * At the end of a followed file: has its path moved on? Rename-and-create,
 * delete-and-recreate and a re-pointed symlink all show as the path naming
 * another (device, inode). The old file is read to its end first, and kept
 * for ROTATE_WAIT_MS in case its writer has not reopened yet; then weir
 * switches to the new file from offset 0. A deleted file with nothing at its
 * path is closed once read, and the poll opens whatever appears there later.
 */
static void src_check_rotation(struct ingest *ing, struct src *s)
{
	struct stat path_st, fd_st;
	int64_t t;

	if (s->fd < 0 || fstat(s->fd, &fd_st) < 0)
		return;
	if (stat(s->desc->path, &path_st) < 0) {
		if (errno == ENOENT && fd_st.st_nlink == 0 && src_retire(ing, s))
			log_info("source '%s': %s was deleted; waiting for it to reappear",
				 s->desc->name, s->desc->path);
		return;
	}
	if (path_st.st_dev == s->dev && path_st.st_ino == s->ino) {
		s->rotated_ms = 0;
		src_check_truncation(s, &fd_st);
		return;
	}
	t = now_ms();
	if (!s->rotated_ms)
		s->rotated_ms = t;
	if (t - s->rotated_ms < ROTATE_WAIT_MS)
		return; /* the poll brings us back here */
	if (!src_retire(ing, s))
		return;
	stat_add(&s->stats->rotations, 1);
	log_info("source '%s': %s was rotated (old file read to offset %llu); following the new "
		 "file",
		 s->desc->name, s->desc->path, (unsigned long long)s->offset);
	src_open(ing, s);
}

/* At the end of a followed file: a partial last line that has not grown for
 * flush_after becomes a record (its writer may never end it). */
static void src_flush_idle(struct ingest *ing, struct src *s)
{
	uint64_t last = stat_get(&s->stats->last_read_ms);

	if (!s->b || s->b->len == s->complete || s->blocked)
		return;
	if (now_ms() - (int64_t)last < (int64_t)s->desc->flush_after_ms)
		return;
	s->b->len = frame_finish(&s->fr, s->b->buf, s->b->len, &s->complete);
	stat_add(&s->stats->partial_flushes, 1);
	src_ship(ing, s);
}

static void on_read(struct ingest *ing, uint32_t idx, int res)
{
	struct src *s = &ing->srcs[idx];
	struct batch *b = s->b;
	uint32_t asked = b->cap - b->len - 1;

	s->reading = false;
	ing->inflight--;
	if (res < 0) {
		log_error("source '%s': read %s: %s", s->desc->name, s->desc->path, strerror(-res));
		stat_add(&s->stats->errors, 1);
		if (!s->desc->follow) {
			src_finish(ing, s);
		} else {
			src_close(ing, s); /* reopened by the poll */
		}
		return;
	}
	if (res == 0) {
		if (!s->desc->follow) {
			src_finish(ing, s);
			return;
		}
		src_ship(ing, s); /* caught up: hand over what is whole */
		src_flush_idle(ing, s);
		src_check_rotation(ing, s);
		return;
	}
	s->offset += (uint64_t)res;
	b->len = frame_feed(&s->fr, b->buf, b->len + (uint32_t)res, (uint32_t)res, &s->complete);
	stat_add(&s->stats->bytes, (uint64_t)res);
	stat_set(&s->stats->offset, s->offset);
	stat_set(&s->stats->lines_truncated, s->fr.lines_truncated);
	stat_set(&s->stats->bytes_discarded, s->fr.bytes_discarded);
	stat_set(&s->stats->last_read_ms, (uint64_t)now_ms());
	if (b->cap - b->len < READ_MIN || ((uint32_t)res < asked && !s->stream))
		src_ship(ing, s);
	s->want_read = true;
}

static void arm_inotify(struct ingest *ing)
{
	struct io_uring_sqe *sqe;

	if (ing->inotify_fd < 0 || ing->inotify_armed || ing->stopping)
		return;
	sqe = get_sqe(ing);
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
	sqe = get_sqe(ing);
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

		for (i = 0; i < ing->nsrcs; i++)
			if (ing->srcs[i].wd == ev->wd)
				ing->srcs[i].want_read = true;
		p += sizeof(*ev) + ev->len;
	}
}

/* Cancel what can wait forever (inotify, eventfd reads) once stopping. */
static void cancel_waits(struct ingest *ing)
{
	struct io_uring_sqe *sqe;

	if (ing->inotify_armed && (sqe = get_sqe(ing))) {
		io_uring_prep_cancel64(sqe, UD(OP_INOTIFY, 0), 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	if (ing->event_armed && (sqe = get_sqe(ing))) {
		io_uring_prep_cancel64(sqe, UD(OP_EVENTFD, 0), 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
}

/* Everything read so far is shipped and no source will read again. */
static bool all_settled(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nsrcs; i++) {
		struct src *s = &ing->srcs[i];

		if (s->reading || s->blocked)
			return false;
		if (!ing->stopping && !s->done)
			return false;
	}
	return true;
}

static void poll_sources(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nsrcs; i++) {
		struct src *s = &ing->srcs[i];

		if (s->done || !s->desc->follow)
			continue;
		if (s->fd < 0)
			src_open(ing, s);
		else if (!s->reading)
			s->want_read = true;
	}
}

void *ing_main(void *arg)
{
	struct ingest *ing = arg;
	struct io_uring_cqe *cqe;
	uint32_t i;

	for (i = 0; i < ing->nsrcs; i++)
		src_open(ing, &ing->srcs[i]);
	ing->next_poll_ms = now_ms() + POLL_MS;

	for (;;) {
		struct __kernel_timespec ts = {0, 0};
		bool any_blocked = false;
		int64_t t;
		int rc;

		drain_returns(ing);
		for (i = 0; i < ing->nsrcs; i++) {
			struct src *s = &ing->srcs[i];

			if (s->blocked && !src_ship(ing, s)) {
				any_blocked = true;
				continue;
			}
			if (s->at_eof && !s->done) {
				s->done = true; /* read to the end, and all of it shipped */
				src_close(ing, s);
			}
			if (!s->desc->follow && s->fd < 0 && !s->done)
				s->done = true;
			if (s->fd >= 0 && s->want_read && !s->reading && !s->blocked &&
			    !ing->stopping && !s->done)
				src_submit_read(ing, s, i);
			any_blocked |= s->blocked;
		}
		if (all_settled(ing) && (ing->stopping || ing->p->scan)) {
			if (!ing->stopping) {
				ing->stopping = true;
				cancel_waits(ing);
			}
			if (!ing->inflight)
				break;
		}
		arm_inotify(ing);
		arm_eventfd(ing);

		t = now_ms();
		if (t >= ing->next_poll_ms) {
			if (!ing->stopping)
				poll_sources(ing);
			ing->next_poll_ms = t + POLL_MS;
			continue;
		}
		if (any_blocked) {
			ts.tv_nsec = BLOCKED_RETRY_MS * 1000000L;
		} else {
			int64_t d = ing->next_poll_ms - t;
			ts.tv_sec = d / 1000;
			ts.tv_nsec = (d % 1000) * 1000000L;
		}
		rc = io_uring_submit_and_wait_timeout(&ing->ring, &cqe, 1, &ts, NULL);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY) {
			log_error("io_uring wait: %s", strerror(-rc));
			break;
		}
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ing->ring, head, cqe)
		{
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			seen++;
			switch (UD_OP(ud)) {
			case OP_READ:
				on_read(ing, UD_IDX(ud), cqe->res);
				break;
			case OP_INOTIFY:
				on_inotify(ing, cqe->res);
				break;
			case OP_EVENTFD:
				ing->event_armed = false;
				ing->inflight--;
				if (cqe->res > 0 && !ing->stopping) {
					ing->stopping = true;
					cancel_waits(ing);
				}
				break;
			default:
				break; /* cancel requests */
			}
		}
		io_uring_cq_advance(&ing->ring, seen);
	}

	/* Workers may leave once their rings are empty. */
	atomic_store_explicit(&ing->p->ingest_done, true, memory_order_release);
	for (i = 0; i < ing->p->nworkers; i++)
		wake_signal(&ing->p->worker_wakes[i]);
	return NULL;
}

int ing_new(struct pipeline *p, struct ingest **out)
{
	struct ingest *ing;
	struct io_uring_params params;
	unsigned iowq[2] = {2, 2};
	uint32_t i;
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
	rc = batch_pool_init(&ing->pool, p->nbatches, p->cfg->batch_size);
	if (rc)
		goto err;
	ing->inotify_buf = aligned_alloc(alignof(struct inotify_event), INOTIFY_BUF);
	ing->srcs = calloc(p->nsources ? p->nsources : 1, sizeof(*ing->srcs));
	if (!ing->inotify_buf || !ing->srcs) {
		rc = -ENOMEM;
		goto err;
	}
	ing->nsrcs = p->nsources;
	for (i = 0; i < p->nsources; i++) {
		struct src *s = &ing->srcs[i];

		s->desc = &p->sources[i];
		s->stats = &p->source_stats[i];
		s->fd = -1;
		s->wd = -1;
		s->first_open = true;
		s->fr.max_line = p->cfg->max_line;
	}
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
	uint64_t one = 1;

	if (write(ing->event_fd, &one, sizeof(one)) < 0)
		log_error("ing_stop: eventfd write: %s", strerror(errno));
}

void ing_free(struct ingest *ing)
{
	uint32_t i;

	if (!ing)
		return;
	if (ing->p) {
		drain_returns(ing);
		for (i = 0; i < ing->nsrcs; i++) {
			if (ing->srcs[i].b)
				batch_pool_put(&ing->pool, ing->srcs[i].b);
			src_close(ing, &ing->srcs[i]);
		}
	}
	if (ing->ring_ok)
		io_uring_queue_exit(&ing->ring);
	if (ing->inotify_fd >= 0)
		close(ing->inotify_fd);
	if (ing->event_fd >= 0)
		close(ing->event_fd);
	batch_pool_destroy(&ing->pool);
	free(ing->inotify_buf);
	free(ing->srcs);
	free(ing);
}
