/*
 * tcp.c - syslog over TCP (RFC 6587) in the ingest thread's io_uring loop.
 *
 * Each TCP listener has one multishot accept armed. Every connection has
 * at most one recv in flight, which takes a buffer from a ring of provided
 * buffers only when data arrives, so thousands of idle connections hold no
 * buffer. A chunk goes through the connection's framer (octet counting or
 * LF framing, detected per message: ingest/octet.h) straight into the
 * listener's batch, and its buffer goes back to the ring at once.
 *
 * Backpressure, not loss: a chunk is fed only as far as the batch has room
 * for what it can produce (at most its length plus one max_line frame, and
 * one record per two bytes). When no batch can be had, the connection keeps
 * the rest of its chunk (and its buffer) and is not read again until the
 * workers catch up; the sender's TCP window then fills and it waits. Other
 * connections go on while buffers last.
 *
 * Limits: max_connections per listener (more are accepted and closed at
 * once, counted as refused); a frame is at most max_line bytes (the rest is
 * cut and counted by the framer); a MSG-LEN above octet_count_cap(max_line)
 * is a framing error, its line a record, instead of a count that swallows
 * the messages after it; idle_timeout closes a connection that sent
 * nothing for that long; TCP keepalive finds peers that vanished. A slow
 * sender (a byte a second) only holds its own framer's partial frame.
 * At the end of a connection (close, reset, idle, shutdown) a partial frame
 * becomes a record, cut or not, as the framer's octet_finish says.
 *
 * Memory: a connection's framer buffer (max_line bytes) is an anonymous
 * mapping made at accept and unmapped at close, so its pages exist only
 * while the connection does, and only as far as a partial frame has
 * reached into it. Once a second, a connection that received nothing in
 * that second gives back the pages past its current partial frame. So
 * connections that held long partial frames leave nothing behind once
 * they are quiet or gone, whatever max_connections allows.
 */
#include "core/clock.h"
#include "ingest/internal.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define SBGID 2
#define NSBUFS 64	     /* stream buffers (a power of two) */
#define SBUF_MAX (64u << 10) /* bytes per stream buffer, at most */
#define KEEPIDLE_S 60	     /* keepalive: first probe after this much silence */
#define KEEPINTVL_S 10	     /* then one probe every this many seconds */
#define KEEPCNT 6	     /* and give up after this many unanswered */
#define ACCEPT_RETRY_MS 1000 /* after an accept error (EMFILE, ...) */
/* Descriptors kept free for the HTTP server, state files and new tailed
 * files: a connection whose descriptor would eat into them is refused. */
#define FD_RESERVE 256
#define SHRINK_QUIET_MS 1000 /* a connection quiet this long gives back unused buffer pages */

int tcp_open(const struct cfg_listen *a, int *fdp)
{
	struct sockaddr_storage sa;
	socklen_t alen;
	int fd, one = 1, family = listen_sockaddr(a, &sa, &alen);

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) /* [::] means IPv6 only; 0.0.0.0 is its own listener */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, alen) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	*fdp = fd;
	return 0;
}

static uint32_t stream_buf_size(const struct ingest *ing)
{
	const struct cfg *cfg = ing->p->cfg;
	/* A whole chunk plus a max_line frame must fit an empty batch. */
	uint32_t n = cfg->batch_size - cfg->max_line - 2;

	if (n > SBUF_MAX)
		n = SBUF_MAX;
	return n & ~4095u;
}

/* The size of a connection's framer buffer: max_line, in whole pages. */
static size_t frbuf_size(const struct ingest *ing)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return ((size_t)ing->p->cfg->max_line + page - 1) / page * page;
}

/* A framer buffer: pages are committed only as the framer writes them. */
static char *frbuf_map(const struct ingest *ing)
{
	void *p = mmap(NULL, frbuf_size(ing), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void frbuf_unmap(const struct ingest *ing, struct conn *c)
{
	if (c->frbuf)
		munmap(c->frbuf, frbuf_size(ing));
	c->frbuf = NULL;
}

/* Give back the pages of c's framer buffer past its partial frame. */
static void frbuf_shrink(struct conn *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t keep = ((size_t)c->fr.len + page - 1) / page * page;
	size_t used = ((size_t)c->fr.buf_hw + page - 1) / page * page;

	if (used > keep)
		madvise(c->frbuf + keep, used - keep, MADV_DONTNEED);
	c->fr.buf_hw = c->fr.len;
}

int tcp_init(struct ingest *ing)
{
	uint32_t i, n = 0;

	for (i = 0; i < ing->nlisteners; i++)
		if (ing->listeners[i].stream)
			n += ing->p->sources[ing->listeners[i].source].max_connections;
	if (!n)
		return 0;
	{
		struct rlimit r;

		ing->nofile = getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur == RLIM_INFINITY
				  ? UINT32_MAX
				  : (uint64_t)r.rlim_cur;
		if (ing->nofile < (uint64_t)n + FD_RESERVE)
			log_warn("the open-file limit (%llu) allows about %llu TCP connections, "
				 "fewer than max_connections (%u over all TCP listeners); more are "
				 "refused",
				 (unsigned long long)ing->nofile,
				 ing->nofile > FD_RESERVE
				     ? (unsigned long long)(ing->nofile - FD_RESERVE)
				     : 0ULL,
				 n);
	}
	ing->conns = calloc(n, sizeof(*ing->conns));
	ing->conn_free = calloc(n, sizeof(*ing->conn_free));
	ing->connq = calloc(n, sizeof(*ing->connq));
	ing->starved = calloc(n, sizeof(*ing->starved));
	if (!ing->conns || !ing->conn_free || !ing->connq || !ing->starved)
		return -ENOMEM;
	ing->nconns_max = n;
	for (i = 0; i < n; i++) {
		ing->conns[i].fd = -1;
		ing->conn_free[ing->nconn_free++] = n - 1 - i;
	}
	return bufring_init(ing, &ing->stream, SBGID, NSBUFS, stream_buf_size(ing));
}

void tcp_destroy(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; ing->conns && i < ing->nconns_max; i++) {
		if (ing->conns[i].fd >= 0)
			close(ing->conns[i].fd);
		frbuf_unmap(ing, &ing->conns[i]);
	}
	bufring_destroy(ing, &ing->stream);
	free(ing->conns);
	free(ing->conn_free);
	free(ing->connq);
	free(ing->starved);
}

void tcp_arm_accept(struct ingest *ing, uint32_t li)
{
	struct listener *l = &ing->listeners[li];
	struct io_uring_sqe *sqe;

	if (l->retry_ms && now_ms() < l->retry_ms)
		return;
	sqe = ing_get_sqe(ing);
	if (!sqe)
		return;
	io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	io_uring_sqe_set_data64(sqe, UD(OP_ACCEPT, li));
	l->armed = true;
	l->retry_ms = 0;
	ing->inflight++;
}

static void enqueue(struct ingest *ing, uint32_t ci)
{
	struct conn *c = &ing->conns[ci];

	if (!c->queued) {
		c->queued = true;
		ing->connq[ing->nconnq++] = ci;
	}
}

void tcp_on_accept(struct ingest *ing, uint32_t li, int res, uint32_t flags)
{
	struct listener *l = &ing->listeners[li];
	const struct pipe_source *d = &ing->p->sources[l->source];
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	int one = 1, idle = KEEPIDLE_S, intvl = KEEPINTVL_S, cnt = KEEPCNT;
	uint32_t ci, max_line = ing->p->cfg->max_line;
	struct conn *c;

	if (!(flags & IORING_CQE_F_MORE)) {
		l->armed = false;
		ing->inflight--;
	}
	if (res < 0) {
		if (res != -ECANCELED) {
			log_warn("source '%s': accept on %s: %s (retrying in 1 s)", d->name, l->url,
				 strerror(-res));
			l->retry_ms = now_ms() + ACCEPT_RETRY_MS;
		}
		return;
	}
	/* Descriptors are handed out lowest first, so res counts them. */
	if (ing->stopping || l->nconns >= d->max_connections || !ing->nconn_free ||
	    (uint64_t)res + FD_RESERVE >= ing->nofile) {
		close(res);
		stat_add(&l->st->refused, 1);
		if ((uint64_t)res + FD_RESERVE >= ing->nofile && !ing->nofile_warned) {
			log_warn("source '%s': refusing connections on %s: the open-file limit "
				 "(%llu) is nearly reached; raise it (LimitNOFILE=) or lower "
				 "max_connections",
				 d->name, l->url, (unsigned long long)ing->nofile);
			ing->nofile_warned = true;
		}
		return;
	}
	ci = ing->conn_free[--ing->nconn_free];
	c = &ing->conns[ci];
	if (!(c->frbuf = frbuf_map(ing))) {
		ing->conn_free[ing->nconn_free++] = ci;
		close(res);
		stat_add(&l->st->refused, 1);
		return;
	}
	c->fd = res;
	c->listener = li;
	c->armed = c->queued = c->eof = c->cancelled = c->idle = c->held = false;
	c->last_ms = now_ms();
	octet_init(&c->fr, c->frbuf, max_line, max_line);
	c->fr.max_count = octet_count_cap(max_line);
	if (getpeername(res, (struct sockaddr *)&ss, &slen) == 0)
		peer_from_sockaddr(&c->peer, (struct sockaddr *)&ss, slen);
	else
		memset(&c->peer, 0, sizeof(c->peer));
	setsockopt(res, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(res, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(res, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(res, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	l->nconns++;
	ing->nconns_open++;
	stat_add(&l->st->accepted, 1);
	stat_set(&l->st->connections, l->nconns);
	enqueue(ing, ci);
}

/* The framer's output, straight into the listener's batch. */
struct feed_ctx {
	struct ingest *ing;
	struct listener *l;
	struct conn *c;
	uint64_t frames, bytes, cut;
};

static void on_frame(void *arg, const char *frame, uint32_t len, bool truncated)
{
	struct feed_ctx *x = arg;
	struct rec_meta m;

	if (!truncated)
		while (len &&
		       (frame[len - 1] == '\n' || frame[len - 1] == '\r' || frame[len - 1] == '\0'))
			len--;
	m.arrival_ms = x->c->last_ms;
	m.peer = x->c->peer;
	listener_put(x->l, frame, len, &m);
	x->frames++;
	x->bytes += len;
	x->cut += truncated;
}

static void account(struct ingest *ing, struct conn *c, struct feed_ctx *x, uint64_t errs0,
		    uint64_t disc0)
{
	struct listener *l = x->l;
	struct source_stats *st = &ing->p->source_stats[l->source];

	if (x->frames) {
		stat_add(&st->received, x->frames);
		stat_add(&st->bytes, x->bytes);
		stat_add(&l->st->received, x->frames);
		stat_add(&l->st->bytes, x->bytes);
		peer_top_add(&l->top, &c->peer, x->frames, x->bytes);
	}
	if (x->cut) {
		stat_add(&st->lines_truncated, x->cut);
		stat_add(&l->st->truncated, x->cut);
	}
	if (c->fr.bytes_discarded != disc0)
		stat_add(&st->bytes_discarded, c->fr.bytes_discarded - disc0);
	if (c->fr.framing_errors != errs0)
		stat_add(&l->st->framing_errors, c->fr.framing_errors - errs0);
}

/* Feed data[*off..len) as far as batch room allows; true when all of it
 * went in, false when the rest waits for room (*off says where it stands). */
static bool feed(struct ingest *ing, struct conn *c, const char *data, uint32_t len, uint32_t *off)
{
	struct listener *l = &ing->listeners[c->listener];
	uint32_t max_line = ing->p->cfg->max_line;
	struct feed_ctx x = {ing, l, c, 0, 0, 0};
	uint64_t errs0 = c->fr.framing_errors, disc0 = c->fr.bytes_discarded;
	bool all = true;

	while (*off < len) {
		uint32_t k = len - *off, room, mroom;

		/* k bytes fed give at most k + max_line bytes of records, LFs
		 * included (each frame's LF stands for a trailer or header byte
		 * it consumed; the frame pending from before is at most max_line),
		 * and at most k / 2 + 1 records (each takes two bytes, but the
		 * one completing the pending frame). */
		if (!listener_room(ing, l, max_line + 2, 2)) {
			all = false;
			break;
		}
		room = l->b->cap - l->b->len - max_line - 1;
		mroom = l->b->meta_cap - l->b->nmeta - 1;
		if (k > room)
			k = room;
		if (k > 2 * mroom)
			k = 2 * mroom;
		octet_feed(&c->fr, data + *off, k, on_frame, &x);
		*off += k;
	}
	account(ing, c, &x, errs0, disc0);
	return all;
}

/* A buffer came back: connections that found none may read again. */
static void unstarve(struct ingest *ing)
{
	while (ing->nstarved)
		enqueue(ing, ing->starved[--ing->nstarved]);
}

void tcp_on_recv(struct ingest *ing, uint32_t ci, int res, uint32_t flags)
{
	struct conn *c = &ing->conns[ci];
	struct listener *l = &ing->listeners[c->listener];

	c->armed = false;
	ing->inflight--;
	if (res == -ENOBUFS) {
		stat_add(&l->st->buffers_exhausted, 1);
		stat_add(&ing->p->source_stats[l->source].buffers_exhausted, 1);
		if (ing->sbufs_held && !c->eof)
			ing->starved[ing->nstarved++] = ci;
		else
			enqueue(ing, ci);
		return;
	}
	if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
		uint16_t bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
		const char *data = bufring_buf(&ing->stream, bid);
		uint32_t off = 0;

		c->last_ms = now_ms();
		stat_set(&ing->p->source_stats[l->source].last_read_ms, (uint64_t)c->last_ms);
		if (feed(ing, c, data, (uint32_t)res, &off)) {
			bufring_put(&ing->stream, bid);
		} else {
			c->held = true;
			c->held_bid = bid;
			c->held_off = off;
			c->held_len = (uint32_t)res;
			ing->sbufs_held++;
		}
		enqueue(ing, ci);
		return;
	}
	if (res < 0 && res != -ECANCELED) {
		stat_add(&l->st->resets, 1);
		if (res != -ECONNRESET && res != -EPIPE && res != -ETIMEDOUT)
			log_warn("source '%s': receive on %s: %s", ing->p->sources[l->source].name,
				 l->url, strerror(-res));
	}
	c->eof = true; /* 0: the peer closed; ECANCELED: idle or shutdown */
	enqueue(ing, ci);
}

static void conn_close(struct ingest *ing, uint32_t ci)
{
	struct conn *c = &ing->conns[ci];
	struct listener *l = &ing->listeners[c->listener];

	close(c->fd);
	c->fd = -1;
	frbuf_unmap(ing, c);
	if (c->idle)
		stat_add(&l->st->idle_closed, 1);
	l->nconns--;
	ing->nconns_open--;
	stat_set(&l->st->connections, l->nconns);
	ing->conn_free[ing->nconn_free++] = ci;
}

static void arm_recv(struct ingest *ing, uint32_t ci)
{
	struct conn *c = &ing->conns[ci];
	struct io_uring_sqe *sqe = ing_get_sqe(ing);

	if (!sqe) {
		enqueue(ing, ci);
		return;
	}
	io_uring_prep_recv(sqe, c->fd, NULL, ing->stream.size, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = SBGID;
	io_uring_sqe_set_data64(sqe, UD(OP_CONN, ci));
	c->armed = true;
	ing->inflight++;
}

/* One queued connection: feed its held chunk, finish it, or read on.
 * false if it still waits for batch room. */
static bool serve(struct ingest *ing, uint32_t ci)
{
	struct conn *c = &ing->conns[ci];
	struct listener *l = &ing->listeners[c->listener];

	if (c->held) {
		if (!feed(ing, c, bufring_buf(&ing->stream, c->held_bid), c->held_len,
			  &c->held_off))
			return false;
		c->held = false;
		bufring_put(&ing->stream, c->held_bid);
		ing->sbufs_held--;
		unstarve(ing);
	}
	if (c->eof) {
		struct feed_ctx x = {ing, l, c, 0, 0, 0};
		uint64_t errs0 = c->fr.framing_errors, disc0 = c->fr.bytes_discarded;

		if (c->armed)
			return true; /* its cancelled recv completes first */
		if (!listener_room(ing, l, ing->p->cfg->max_line + 1, 1))
			return false;
		octet_finish(&c->fr, on_frame, &x);
		account(ing, c, &x, errs0, disc0);
		conn_close(ing, ci);
		return true;
	}
	if (!c->armed && !ing->stopping)
		arm_recv(ing, ci);
	return true;
}

bool tcp_serve(struct ingest *ing)
{
	uint32_t n = ing->nconnq, i, keep = 0;
	bool all = true;

	/* Entries queued while serving go after these n. */
	for (i = 0; i < n; i++) {
		uint32_t ci = ing->connq[i];

		ing->conns[ci].queued = false;
		if (!serve(ing, ci)) {
			ing->conns[ci].queued = true;
			ing->connq[keep++] = ci;
			all = false;
		}
	}
	memmove(ing->connq + keep, ing->connq + n, (ing->nconnq - n) * sizeof(*ing->connq));
	ing->nconnq = keep + (ing->nconnq - n);
	return all;
}

static void conn_cancel(struct ingest *ing, uint32_t ci)
{
	struct conn *c = &ing->conns[ci];
	struct io_uring_sqe *sqe;

	c->eof = true;
	if (c->armed && !c->cancelled && (sqe = ing_get_sqe(ing))) {
		io_uring_prep_cancel64(sqe, UD(OP_CONN, ci), 0);
		io_uring_sqe_set_data64(sqe, 0);
		c->cancelled = true;
	}
	enqueue(ing, ci);
}

void tcp_cancel(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nconns_max; i++)
		if (ing->conns[i].fd >= 0)
			conn_cancel(ing, i);
	ing->nstarved = 0; /* every conn is queued now */
}

void tcp_poll(struct ingest *ing, int64_t t)
{
	uint32_t i;

	for (i = 0; i < ing->nconns_max && ing->nconns_open; i++) {
		struct conn *c = &ing->conns[i];
		uint32_t timeout;

		if (c->fd < 0 || c->eof)
			continue;
		timeout = ing->p->sources[ing->listeners[c->listener].source].idle_timeout_ms;
		if (timeout && t - c->last_ms >= timeout && !c->held) {
			c->idle = true;
			conn_cancel(ing, i);
		} else if (c->fr.buf_hw > c->fr.len && t - c->last_ms >= SHRINK_QUIET_MS) {
			frbuf_shrink(c);
		}
	}
}
