/*
 * listen.c - syslog receivers in the ingest thread's io_uring loop: UDP
 * (IPv4 and IPv6) and unix datagram sockets here, TCP in tcp.c; and what
 * both share: each listener's batch, its stats and its top senders.
 *
 * Every record a listener ships carries its arrival time and its sender's
 * address (struct rec_meta, one per record of the batch).
 *
 * Each socket has one multishot recvmsg armed with buffer selection from a
 * ring of provided buffers, so one submission receives datagram after
 * datagram; every completion names the buffer holding one datagram, which
 * goes back to the ring as soon as its bytes are copied into the
 * listener's batch. A datagram is one record: trailing LF, CR and NUL are
 * dropped, an LF inside becomes a space (records are LF-separated), and
 * one longer than max_line is cut and counted.
 *
 * Datagrams cannot be pushed back on: when no worker ring has room and the
 * listener's batch is full, the datagram is dropped and counted
 * (dropped_full); the kernel counts what it drops from a full socket queue
 * (SO_RXQ_OVFL, read from each datagram's control data: dropped_kernel).
 * received (and bytes, truncated) counts only datagrams kept as records,
 * so received + dropped_full + dropped_kernel is every datagram sent.
 * When the provided buffers run out, the multishot ends with ENOBUFS and is
 * re-armed by the loop; the kernel queue absorbs the gap.
 */
#include "core/clock.h"
#include "ingest/internal.h"

#include "config/config.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BGID 1
#define NBUFS 256	 /* provided buffers (a power of two) */
#define RCVBUF (8 << 20) /* socket receive queue, to ride out bursts */
#define CONTROL_LEN 64	 /* room for SO_RXQ_OVFL */
#define NAME_LEN ((uint32_t)sizeof(struct sockaddr_storage))
#define SHIP_MS 2 /* a listener's batch under a quarter full waits this long */

static uint32_t buf_size(const struct ingest *ing)
{
	/* header, peer address, control data, and the largest datagram kept;
	 * a multiple of 64 so every buffer's header is aligned */
	uint32_t n = (uint32_t)sizeof(struct io_uring_recvmsg_out) + NAME_LEN + CONTROL_LEN +
		     ing->p->cfg->max_line + 1;

	return (n + 63) & ~63u;
}

int listen_sockaddr(const struct cfg_listen *l, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un *un = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (l->kind == CFG_LISTEN_UNIX) {
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, l->path, strlen(l->path) + 1);
		*len = sizeof(*un);
	} else if (inet_pton(AF_INET, l->host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(l->port);
		*len = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(l->port);
		inet_pton(AF_INET6, l->host, &in6->sin6_addr);
		*len = sizeof(*in6);
	}
	return ss->ss_family;
}

static int open_socket(const struct cfg_listen *l, int *fdp)
{
	struct sockaddr_storage a;
	socklen_t alen;
	int fd, one = 1, size = RCVBUF, family = listen_sockaddr(l, &a, &alen);

	if (family == AF_UNIX) {
		struct stat st;

		/* A socket left by an earlier run is ours to replace; anything
		 * else at the path is not. */
		if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(l->path);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) /* [::] means IPv6 only; 0.0.0.0 is its own listener */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&a, alen) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (family == AF_UNIX)
		chmod(l->path, 0666); /* any local program may log, as with /dev/log */
	*fdp = fd;
	return 0;
}

int bufring_init(struct ingest *ing, struct bufring *r, uint16_t bgid, uint32_t n, uint32_t size)
{
	struct io_uring_buf_reg reg;
	uint32_t i;
	int rc;

	r->bgid = bgid;
	r->n = n;
	r->size = size;
	r->bufs = malloc((size_t)n * size);
	r->br = mmap(NULL, n * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		     MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (!r->bufs || r->br == MAP_FAILED) {
		r->br = NULL;
		return -ENOMEM;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)r->br;
	reg.ring_entries = n;
	reg.bgid = bgid;
	rc = io_uring_register_buf_ring(&ing->ring, &reg, 0);
	if (rc) {
		log_error("io_uring_register_buf_ring: %s (syslog receivers need Linux 5.19 or "
			  "later)",
			  strerror(-rc));
		return rc;
	}
	r->registered = true;
	io_uring_buf_ring_init(r->br);
	for (i = 0; i < n; i++)
		io_uring_buf_ring_add(r->br, bufring_buf(r, (uint16_t)i), size, (unsigned short)i,
				      io_uring_buf_ring_mask(n), (int)i);
	io_uring_buf_ring_advance(r->br, (int)n);
	return 0;
}

void bufring_destroy(struct ingest *ing, struct bufring *r)
{
	if (r->registered)
		io_uring_unregister_buf_ring(&ing->ring, r->bgid);
	if (r->br)
		munmap(r->br, r->n * sizeof(struct io_uring_buf));
	free(r->bufs);
	memset(r, 0, sizeof(*r));
}

void bufring_put(struct bufring *r, uint16_t bid)
{
	io_uring_buf_ring_add(r->br, bufring_buf(r, bid), r->size, bid,
			      io_uring_buf_ring_mask(r->n), 0);
	io_uring_buf_ring_advance(r->br, 1);
}

int listeners_init(struct ingest *ing)
{
	struct pipeline *p = ing->p;
	uint32_t si, k, n = 0;
	int rc;

	for (si = 0; si < p->nsources; si++)
		if (p->sources[si].syslog)
			n += p->sources[si].npatterns;
	if (!n)
		return 0;
	ing->listeners = calloc(n, sizeof(*ing->listeners));
	if (!ing->listeners)
		return -ENOMEM;
	for (si = 0; si < p->nsources; si++) {
		const struct pipe_source *d = &p->sources[si];

		for (k = 0; d->syslog && k < d->npatterns; k++) {
			struct listener *l = &ing->listeners[ing->nlisteners];
			char why[160];

			l->source = si;
			l->url = d->patterns[k];
			l->fd = -1;
			l->st = &p->listener_stats[ing->nlisteners];
			peer_top_init(&l->top);
			if (cfg_parse_listen(l->url, &l->addr, why, sizeof(why))) {
				log_error("source '%s': %s: %s", d->name, l->url, why);
				return -EINVAL;
			}
			ing->nlisteners++;
			l->stream = l->addr.kind == CFG_LISTEN_TCP;
			rc = l->stream ? tcp_open(&l->addr, &l->fd) : open_socket(&l->addr, &l->fd);
			if (rc) {
				log_error("source '%s': cannot listen on %s: %s", d->name, l->url,
					  strerror(-rc));
				return rc;
			}
			log_info("source '%s': listening on %s", d->name, l->url);
		}
	}
	rc = tcp_init(ing);
	if (rc)
		return rc;
	/* The provided buffers, shared by every datagram listener. */
	rc = bufring_init(ing, &ing->dgram, BGID, NBUFS, buf_size(ing));
	if (rc)
		return rc;
	memset(&ing->msgh, 0, sizeof(ing->msgh));
	ing->msgh.msg_namelen = NAME_LEN;
	ing->msgh.msg_controllen = CONTROL_LEN;
	return 0;
}

void listeners_destroy(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nlisteners; i++) {
		struct listener *l = &ing->listeners[i];

		if (l->fd >= 0) {
			close(l->fd);
			if (l->addr.kind == CFG_LISTEN_UNIX)
				unlink(l->addr.path);
		}
	}
	tcp_destroy(ing);
	bufring_destroy(ing, &ing->dgram);
	free(ing->listeners);
}

void listeners_arm(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nlisteners; i++) {
		struct listener *l = &ing->listeners[i];
		struct io_uring_sqe *sqe;

		if (l->armed || l->fd < 0 || ing->stopping)
			continue;
		if (l->stream) {
			tcp_arm_accept(ing, i);
			continue;
		}
		sqe = ing_get_sqe(ing);
		if (!sqe)
			return;
		/* MSG_TRUNC: payloadlen reports the whole datagram, even when cut */
		io_uring_prep_recvmsg_multishot(sqe, l->fd, &ing->msgh, MSG_TRUNC);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
		io_uring_sqe_set_data64(sqe, UD(OP_RECV, i));
		l->armed = true;
		ing->inflight++;
	}
}

/* Hand a listener's records to a worker. false when no ring has room. */
bool listener_ship(struct ingest *ing, struct listener *l)
{
	int w;

	if (!l->b || !l->b->len)
		return true;
	w = ing_pick_worker(ing);
	if (w < 0)
		return false;
	l->b->arrival_ms = l->b->nmeta ? l->b->meta[0].arrival_ms : now_ms();
	l->b->seq = ++ing->batch_seq;
	ring_push(&ing->p->batch_rings[w], l->b);
	wake_signal(&ing->p->worker_wakes[w]);
	stat_add(&ing->p->ingest_stats.batches, 1);
	l->b = NULL;
	return true;
}

bool listener_room(struct ingest *ing, struct listener *l, uint32_t n, uint32_t nrec)
{
	if (l->b && (l->b->cap - l->b->len < n + nrec || l->b->meta_cap - l->b->nmeta < nrec) &&
	    !listener_ship(ing, l))
		return false;
	if (!l->b) {
		l->b = batch_pool_get(&ing->pool);
		if (!l->b)
			return false;
		l->b->source = l->source;
		l->b->file = ing->p->max_files; /* not a file */
	}
	return true;
}

void listener_put(struct listener *l, const char *data, uint32_t n, const struct rec_meta *m)
{
	char *dst = l->b->buf + l->b->len, *lf;

	memcpy(dst, data, n);
	for (lf = memchr(dst, '\n', n); lf; lf = memchr(lf + 1, '\n', (size_t)(dst + n - lf - 1)))
		*lf = ' ';
	dst[n] = '\n';
	l->b->len += n + 1;
	l->b->meta[l->b->nmeta++] = *m;
}

/* Append one datagram as a record; false if it had to be dropped (then
 * nothing is counted here). n bytes arrived of a datagram of full bytes
 * (more when the kernel cut it). */
static bool append(struct ingest *ing, struct listener *l, const char *data, uint32_t n,
		   uint32_t full, const struct rec_meta *m)
{
	uint32_t max = ing->p->cfg->max_line;
	struct source_stats *st = &ing->p->source_stats[l->source];
	bool cut = full > n; /* the kernel cut it to fit the buffer */
	bool over;

	if (!cut)
		while (n && (data[n - 1] == '\n' || data[n - 1] == '\r' || data[n - 1] == '\0'))
			n--;
	over = n > max || cut;
	if (n > max)
		n = max;
	if (!listener_room(ing, l, n, 1))
		return false;
	if (over) {
		stat_add(&st->lines_truncated, 1);
		stat_add(&st->bytes_discarded, full - n);
		stat_add(&l->st->truncated, 1);
	}
	listener_put(l, data, n, m);
	return true;
}

void listener_on_recv(struct ingest *ing, uint32_t idx, int res, uint32_t flags)
{
	struct listener *l = &ing->listeners[idx];
	struct source_stats *st = &ing->p->source_stats[l->source];
	struct io_uring_recvmsg_out *o;
	struct cmsghdr *c;
	char *buf;
	uint16_t bid;

	if (!(flags & IORING_CQE_F_MORE)) {
		l->armed = false; /* re-armed by the loop */
		ing->inflight--;
	}
	if (res < 0) {
		if (res == -ENOBUFS) {
			stat_add(&st->buffers_exhausted, 1);
			stat_add(&l->st->buffers_exhausted, 1);
		} else if (res != -ECANCELED)
			log_warn("source '%s': receive on %s: %s", ing->p->sources[l->source].name,
				 l->url, strerror(-res));
		return;
	}
	if (!(flags & IORING_CQE_F_BUFFER))
		return;
	bid = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
	buf = bufring_buf(&ing->dgram, bid);
	o = io_uring_recvmsg_validate(buf, res, &ing->msgh);
	if (o) {
		const char *payload = io_uring_recvmsg_payload(o, &ing->msgh);
		uint32_t n = io_uring_recvmsg_payload_length(o, res, &ing->msgh);

		for (c = io_uring_recvmsg_cmsg_firsthdr(o, &ing->msgh); c;
		     c = io_uring_recvmsg_cmsg_nexthdr(o, &ing->msgh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
				uint32_t drops;

				memcpy(&drops, CMSG_DATA(c), sizeof(drops));
				/* the socket's running total */
				if (drops > l->kernel_drops) {
					stat_add(&st->dropped_kernel, drops - l->kernel_drops);
					stat_add(&l->st->dropped_kernel, drops - l->kernel_drops);
					l->kernel_drops = drops;
				}
			}
		struct rec_meta m;

		m.arrival_ms = now_ms();
		peer_from_sockaddr(&m.peer, io_uring_recvmsg_name(o), o->namelen);
		if (l->addr.kind == CFG_LISTEN_UNIX)
			m.peer.family = AF_UNIX; /* unnamed senders have no address */
		stat_set(&st->last_read_ms, (uint64_t)m.arrival_ms);
		/* A sender's count in top_peers is every datagram weir got from
		 * it, its dropped ones among them; received counts only what
		 * weir keeps, so received + dropped_full + dropped_kernel is
		 * what was sent. */
		peer_top_add(&l->top, &m.peer, 1, n);
		if (append(ing, l, payload, n, (o->flags & MSG_TRUNC) ? o->payloadlen : n, &m)) {
			stat_add(&st->received, 1);
			stat_add(&st->bytes, n);
			stat_add(&l->st->received, 1);
			stat_add(&l->st->bytes, n);
		} else {
			stat_add(&st->dropped_full, 1);
			stat_add(&l->st->dropped_full, 1);
			peer_top_dropped(&l->top, &m.peer, 1);
		}
	}
	bufring_put(&ing->dgram, bid);
}

/* After each round of completions: ship what the listeners hold, serve the
 * connections that wait. */
bool listeners_flush(struct ingest *ing)
{
	bool all = true;
	uint32_t i;

	if (ing->nconnq)
		all &= tcp_serve(ing);
	for (i = 0; i < ing->nlisteners; i++) {
		struct listener *l = &ing->listeners[i];

		if (!l->b || !l->b->len)
			continue;
		/* Small batches wait a little for company: a worker woken per
		 * handful of datagrams spends its time waking, not matching. */
		if (!ing->stopping && l->b->len < l->b->cap / 4 &&
		    l->b->nmeta < l->b->meta_cap / 4 &&
		    now_ms() - l->b->meta[0].arrival_ms < SHIP_MS) {
			all = false; /* the loop comes back within a millisecond */
			continue;
		}
		all &= listener_ship(ing, l);
	}
	return all;
}

bool listeners_settled(struct ingest *ing)
{
	uint32_t i;

	if (ing->nconns_open)
		return false;
	for (i = 0; i < ing->nlisteners; i++)
		if (ing->listeners[i].b && ing->listeners[i].b->len)
			return false;
	return true;
}

void listeners_poll(struct ingest *ing, int64_t t)
{
	struct listener_top *pub = tribuf_back(&ing->p->peers_pub);
	uint32_t i;

	for (i = 0; i < ing->nlisteners; i++) {
		struct listener *l = &ing->listeners[i];

		pub[i].n = peer_top_sorted(&l->top, pub[i].e, LISTENER_TOP_PUB);
		pub[i].total = l->top.total;
	}
	tribuf_publish(&ing->p->peers_pub);
	tcp_poll(ing, t);
}

void listeners_cancel(struct ingest *ing)
{
	uint32_t i;

	for (i = 0; i < ing->nlisteners; i++) {
		struct listener *l = &ing->listeners[i];
		struct io_uring_sqe *sqe;

		if (!l->armed || !(sqe = ing_get_sqe(ing)))
			continue;
		io_uring_prep_cancel64(sqe, UD(l->stream ? OP_ACCEPT : OP_RECV, i), 0);
		io_uring_sqe_set_data64(sqe, 0);
	}
	tcp_cancel(ing);
}
