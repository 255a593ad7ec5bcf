/*
 * sse.c - see sse.h.
 *
 * Threads: a stream's reader and free callback run on the MHD thread that
 * owns its connection; the notifier is ours. Everything shared - the ring,
 * the stream list and count, each stream's state - is under m->mu. No lock
 * of ours is held while we call into MHD, except MHD_suspend_connection()
 * from inside a reader (MHD's own callback).
 *
 * Suspension: a reader with nothing to send marks its stream suspended and
 * suspends the connection, both under mu, and returns 0. Whoever resumes it
 * (the notifier on a new tick or a due keep-alive, or sse_shutdown) clears
 * the mark under mu and calls MHD_resume_connection() after unlocking. So
 * each suspension is resumed exactly once, never a connection that is not
 * suspended; and while marked, the connection is suspended in MHD, which
 * therefore neither calls it nor closes it: its stream stays alive until
 * the resume.
 *
 * Ticks: the notifier takes every published snapshot in order from the
 * store (snap_store_next), so the ring misses a tick only if it lags more
 * than SNAP_BACKLOG ticks behind; the ring then restarts, and a stream that
 * needed the missed tick gets a snapshot event instead (complete again).
 *
 * Dropping: a stream ended to make room for a new one (sse_open) is marked
 * dropped under mu; its socket is shut down, so that MHD, blocked writing to
 * a client that does not read, sees the end, and a suspended one is resumed,
 * its reader then ending the response with an error. Until its free callback
 * it still counts in nstreams, and in ndropping. Its descriptor is valid
 * while it is on the list: MHD destroys the response (stream_free) before it
 * closes the connection's socket.
 *
 * Memory: the ring holds the last SSE_KEEP tick events, formatted once and
 * reference-counted. A stream holds a reference to the event it is sending
 * (or, for a snapshot event, to the snapshot) only until its last byte is
 * handed to MHD: a suspended stream holds none.
 */
#include "http/sse.h"

#include "http/query.h"

#include "aggregate/snapshot.h"
#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#define NOTIFY_MS 1000	 /* the notifier's longest sleep: keep-alive checks */
#define DRAIN_MS 1000	 /* how long shutdown waits for the streams to end */
#define BLOCK_SIZE 16384 /* MHD's read size hint */
#define RESUME_BATCH 64	 /* connections resumed per pass of the list */

/* One tick's event, "id: N\nevent: tick\ndata: {...}\n\n". */
struct sse_event {
	_Atomic uint32_t refs; /* the ring's, and each stream sending it */
	uint64_t seq;
	size_t len;
	char text[];
};

/* One open stream. Owned by its MHD response (freed by its free callback);
 * linked in m->streams while it lives. */
struct sse_stream {
	struct sse *m;
	struct MHD_Connection *c;
	struct sse_stream *prev, *next;
	bool suspended;	 /* suspended by its reader, not yet resumed */
	bool started;	 /* the retry line is out */
	bool dropped;	 /* ended to make room (sse_open); its reader ends it */
	uint64_t want;	 /* the tick event to send next; 0: a snapshot event first */
	int64_t last_ms; /* when a byte was last handed to MHD (monotonic) */
	/* The event being sent: seg[cur] from off, then the rest. */
	struct {
		const char *p;
		size_t n;
	} seg[3];
	unsigned nseg, cur;
	size_t off;
	struct sse_event *ev;  /* held for seg, or NULL */
	struct snapshot *snap; /* held for seg, or NULL */
	char head[64];
};

struct sse {
	struct snap_store *store; /* borrowed */
	pthread_t thread;
	bool thread_started;
	_Atomic bool quit; /* tells the notifier to return */
	pthread_mutex_t mu;
	pthread_cond_t gone; /* the last stream ended while stopping */
	bool stopping;	     /* readers end, opens are refused */
	/* Tick events lo..hi, seq s at ring[s % SSE_KEEP]; contiguous; empty
	 * when lo == hi + 1. */
	struct sse_event *ring[SSE_KEEP];
	uint64_t lo, hi;
	struct sse_stream *streams;
	unsigned nstreams;    /* on the list, dropped ones included */
	unsigned ndropping;   /* dropped, not yet freed */
	unsigned max_streams; /* nstreams - ndropping stays at most this */
};

#define STR_(x) #x
#define STR(x) STR_(x)

static const char retry_line[] = "retry: " STR(SSE_RETRY_MS) "\n\n";
static const char keepalive_line[] = ": keep-alive\n\n";
static const char event_end[] = "\n\n";

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void event_release(struct sse_event *ev)
{
	if (ev && atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) == 1)
		free(ev);
}

/* s's tick event (one reference), or NULL on ENOMEM or without a delta. */
static struct sse_event *event_new(const struct snapshot *s)
{
	char head[64];
	int n;
	struct sse_event *ev;

	if (!s->delta_json)
		return NULL;
	n = snprintf(head, sizeof(head), "id: %" PRIu64 "\nevent: tick\ndata: ", s->seq);
	ev = malloc(sizeof(*ev) + (size_t)n + s->delta_len + sizeof(event_end));
	if (!ev)
		return NULL;
	atomic_init(&ev->refs, 1);
	ev->seq = s->seq;
	memcpy(ev->text, head, (size_t)n);
	memcpy(ev->text + n, s->delta_json, s->delta_len);
	memcpy(ev->text + n + s->delta_len, event_end, sizeof(event_end));
	ev->len = (size_t)n + s->delta_len + sizeof(event_end) - 1;
	return ev;
}

/* Under mu: drop every kept event. */
static void ring_clear(struct sse *m)
{
	for (uint64_t s = m->lo; s <= m->hi; s++) {
		event_release(m->ring[s % SSE_KEEP]);
		m->ring[s % SSE_KEEP] = NULL;
	}
	m->lo = m->hi + 1;
}

/* Under mu: keep seq's event (taking ev's reference). A missed seq, or a
 * missing event, empties the ring first, so what is kept stays contiguous. */
static void ring_push(struct sse *m, uint64_t seq, struct sse_event *ev)
{
	if (seq != m->hi + 1 || !ev) {
		if (m->lo <= m->hi)
			log_debug("http: event streams missed tick %" PRIu64 "%s", m->hi + 1,
				  ev ? "" : " (no memory)");
		ring_clear(m);
		m->lo = seq + (ev ? 0 : 1);
	}
	m->hi = seq;
	if (!ev)
		return;
	if (m->hi - m->lo + 1 > SSE_KEEP) {
		event_release(m->ring[m->lo % SSE_KEEP]);
		m->lo++;
	}
	m->ring[seq % SSE_KEEP] = ev;
}

/* Under mu: drop what the stream was sending. */
static void out_drop(struct sse_stream *st)
{
	event_release(st->ev);
	snap_release(st->snap);
	st->ev = NULL;
	st->snap = NULL;
	st->nseg = st->cur = 0;
	st->off = 0;
}

static void out_set1(struct sse_stream *st, const char *p, size_t n)
{
	st->seg[0].p = p;
	st->seg[0].n = n;
	st->nseg = 1;
}

/* Under mu: the stream's next output; false if it has nothing to send.
 * idle: nothing was sent in this call yet (a keep-alive may go out). */
static bool next_output(struct sse *m, struct sse_stream *st, int64_t now, bool idle)
{
	if (!st->started) {
		st->started = true;
		out_set1(st, retry_line, sizeof(retry_line) - 1);
		return true;
	}
	if (st->want && st->want < m->lo)
		st->want = 0; /* fell out of the ring, or a tick was missed */
	if (!st->want) {
		struct snapshot *s = snap_store_acquire(m->store);
		size_t len;
		int n;

		if (!s || !s->json) {
			snap_release(s);
			return false;
		}
		/* The snapshot JSON is one line ending in a newline (strings are
		 * escaped), so it is one data line. */
		len =
		    s->json_len && s->json[s->json_len - 1] == '\n' ? s->json_len - 1 : s->json_len;
		n = snprintf(st->head, sizeof(st->head),
			     "id: %" PRIu64 "\nevent: snapshot\ndata: ", s->seq);
		st->seg[0].p = st->head;
		st->seg[0].n = (size_t)n;
		st->seg[1].p = s->json;
		st->seg[1].n = len;
		st->seg[2].p = event_end;
		st->seg[2].n = sizeof(event_end) - 1;
		st->nseg = 3;
		st->snap = s;
		st->want = s->seq + 1;
		return true;
	}
	if (st->want <= m->hi) {
		struct sse_event *ev = m->ring[st->want % SSE_KEEP];

		atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
		st->ev = ev;
		out_set1(st, ev->text, ev->len);
		st->want++;
		return true;
	}
	if (idle && now - st->last_ms >= SSE_KEEPALIVE_MS) {
		out_set1(st, keepalive_line, sizeof(keepalive_line) - 1);
		return true;
	}
	return false;
}

/* Under mu: copy pending output into buf; returns the bytes copied. */
static size_t out_copy(struct sse_stream *st, char *buf, size_t max)
{
	size_t n = 0;

	while (n < max && st->cur < st->nseg) {
		size_t k = st->seg[st->cur].n - st->off;

		if (k > max - n)
			k = max - n;
		memcpy(buf + n, st->seg[st->cur].p + st->off, k);
		n += k;
		st->off += k;
		if (st->off == st->seg[st->cur].n) {
			st->cur++;
			st->off = 0;
		}
	}
	if (st->cur == st->nseg)
		out_drop(st); /* the whole event is with MHD: let go of it */
	return n;
}

/* MHD's content reader: as much of the stream as fits, or suspend. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_stream *st = cls;
	struct sse *m = st->m;
	int64_t now = mono_ms();
	size_t n = 0;

	(void)pos;
	pthread_mutex_lock(&m->mu);
	if (m->stopping || st->dropped) {
		bool dropped = st->dropped;

		out_drop(st);
		pthread_mutex_unlock(&m->mu);
		return dropped ? MHD_CONTENT_READER_END_WITH_ERROR
			       : MHD_CONTENT_READER_END_OF_STREAM;
	}
	while (n < max) {
		if (st->cur == st->nseg && !next_output(m, st, now, n == 0))
			break;
		n += out_copy(st, buf + n, max - n);
	}
	if (n) {
		st->last_ms = now;
	} else {
		/* Under mu, so no resume can come between the mark and this. */
		st->suspended = true;
		MHD_suspend_connection(st->c);
	}
	pthread_mutex_unlock(&m->mu);
	return (ssize_t)n;
}

/* MHD is done with the response: the stream ends. */
static void stream_free(void *cls)
{
	struct sse_stream *st = cls;
	struct sse *m = st->m;

	pthread_mutex_lock(&m->mu);
	if (st->prev)
		st->prev->next = st->next;
	else
		m->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	m->nstreams--;
	if (st->dropped)
		m->ndropping--;
	out_drop(st);
	if (m->stopping && !m->nstreams)
		pthread_cond_broadcast(&m->gone);
	pthread_mutex_unlock(&m->mu);
	free(st);
}

/* Resume the suspended streams: all of them, or those due a keep-alive;
 * RESUME_BATCH at a time, so no lock is held while MHD is called. */
static void resume_streams(struct sse *m, bool all)
{
	struct MHD_Connection *c[RESUME_BATCH];
	int64_t now = mono_ms();
	unsigned n, rounds;

	pthread_mutex_lock(&m->mu);
	rounds = m->nstreams / RESUME_BATCH + 1; /* a stream resumed may suspend again */
	pthread_mutex_unlock(&m->mu);
	do {
		n = 0;
		pthread_mutex_lock(&m->mu);
		for (struct sse_stream *st = m->streams; st && n < RESUME_BATCH; st = st->next)
			if (st->suspended && (all || now - st->last_ms >= SSE_KEEPALIVE_MS)) {
				st->suspended = false;
				c[n++] = st->c;
			}
		pthread_mutex_unlock(&m->mu);
		for (unsigned i = 0; i < n; i++)
			MHD_resume_connection(c[i]);
	} while (n == RESUME_BATCH && --rounds);
}

/* The notifier: for each new seq, keep its tick event and wake the streams.
 * It follows the store (snap_store_next), so a few ticks of lag lose none. */
static void *notifier(void *arg)
{
	struct sse *m = arg;
	uint64_t seen = 0;

	pthread_setname_np(pthread_self(), "weir-sse");
	while (!atomic_load_explicit(&m->quit, memory_order_acquire)) {
		struct snapshot *s;
		bool fresh = false;

		snap_store_wait(m->store, seen, NOTIFY_MS);
		while ((s = snap_store_next(m->store, seen))) {
			struct sse_event *ev = event_new(s);

			seen = s->seq;
			snap_release(s);
			pthread_mutex_lock(&m->mu);
			ring_push(m, seen, ev);
			pthread_mutex_unlock(&m->mu);
			fresh = true;
		}
		/* new events for every stream, or a keep-alive check */
		resume_streams(m, fresh);
	}
	snap_store_unfollow(m->store);
	return NULL;
}

/* Under mu: how far st is behind - the ticks not yet handed to MHD, then
 * the bytes the kernel holds that its client has not taken. */
static void lag_of(const struct sse *m, const struct sse_stream *st, uint64_t *ticks, int *queued)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(st->c, MHD_CONNECTION_INFO_CONNECTION_FD);

	*ticks = st->want && st->want <= m->hi ? m->hi + 1 - st->want : 0;
	*queued = 0;
	if (ci && ioctl(ci->connect_fd, SIOCOUTQ, queued) < 0)
		*queued = 0;
}

/* Under mu: the stream furthest behind (ties: the one that took a byte
 * least recently), or NULL when every one is being dropped already. */
static struct sse_stream *furthest_behind(const struct sse *m)
{
	struct sse_stream *best = NULL;
	uint64_t best_ticks = 0;
	int best_queued = 0;

	for (struct sse_stream *st = m->streams; st; st = st->next) {
		uint64_t ticks;
		int queued;

		if (st->dropped)
			continue;
		lag_of(m, st, &ticks, &queued);
		if (!best || ticks > best_ticks ||
		    (ticks == best_ticks &&
		     (queued > best_queued ||
		      (queued == best_queued && st->last_ms < best->last_ms)))) {
			best = st;
			best_ticks = ticks;
			best_queued = queued;
		}
	}
	return best;
}

/* Under mu: end st to make room. Returns its connection if it was
 * suspended (the caller resumes it, after unlocking), else NULL. */
static struct MHD_Connection *drop_stream(struct sse *m, struct sse_stream *st)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(st->c, MHD_CONNECTION_INFO_CONNECTION_FD);

	st->dropped = true;
	m->ndropping++;
	/* MHD may be blocked writing to a client that does not read: the
	 * shut socket fails the write, and MHD closes the connection. */
	if (ci)
		shutdown(ci->connect_fd, SHUT_RDWR);
	log_debug("http: event stream dropped to make room (%u open)", m->nstreams);
	if (!st->suspended)
		return NULL;
	st->suspended = false;
	return st->c;
}

int sse_open(struct sse *m, struct MHD_Connection *c, struct MHD_Response **out, const char **why)
{
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	struct MHD_Connection *resume = NULL;
	struct sse_stream *st;
	struct MHD_Response *r;
	uint64_t id;
	int rc = 0;

	*out = NULL;
	*why = "out of memory";
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->m = m;
	st->c = c;
	st->last_ms = mono_ms();
	if (http_event_id_parse(last, &id)) {
		struct snapshot *s = snap_store_acquire(m->store);

		/* An id beyond the latest is another run's: start over. */
		if (s && id <= s->seq)
			st->want = id + 1;
		snap_release(s);
	}
	pthread_mutex_lock(&m->mu);
	if (m->stopping) {
		*why = "shutting down";
		rc = -ESHUTDOWN;
	} else {
		struct sse_stream *victim;

		if (m->nstreams - m->ndropping >= m->max_streams && (victim = furthest_behind(m)))
			resume = drop_stream(m, victim);
		st->next = m->streams;
		if (st->next)
			st->next->prev = st;
		m->streams = st;
		m->nstreams++;
	}
	pthread_mutex_unlock(&m->mu);
	if (resume)
		MHD_resume_connection(resume);
	if (rc) {
		free(st);
		return rc;
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE, stream_read, st,
					      stream_free);
	if (!r) {
		stream_free(st);
		return -ENOMEM;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream") !=
		MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(r, "X-Accel-Buffering", "no") != MHD_YES) {
		MHD_destroy_response(r); /* frees the stream */
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

int sse_new(struct snap_store *store, unsigned max_streams, struct sse **out)
{
	pthread_condattr_t ca;
	struct sse *m;
	int rc;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->store = store;
	m->max_streams = max_streams ? max_streams : 1;
	m->lo = 1; /* empty: lo == hi + 1 */
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->gone, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&m->thread, NULL, notifier, m);
	if (rc) {
		log_error("http: cannot start the event stream thread: %s", strerror(rc));
		pthread_cond_destroy(&m->gone);
		pthread_mutex_destroy(&m->mu);
		free(m);
		return -rc;
	}
	m->thread_started = true;
	*out = m;
	return 0;
}

void sse_shutdown(struct sse *m)
{
	struct timespec until;

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->stopping = true;
	pthread_mutex_unlock(&m->mu);
	/* Every reader now ends its stream: wake those that sleep, and give
	 * MHD a moment to send the ends (a client that does not read is not
	 * waited for longer). */
	resume_streams(m, true);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += DRAIN_MS / 1000;
	pthread_mutex_lock(&m->mu);
	while (m->nstreams)
		if (pthread_cond_timedwait(&m->gone, &m->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&m->mu);
	if (m->thread_started) {
		atomic_store_explicit(&m->quit, true, memory_order_release);
		snap_store_wake(m->store);
		pthread_join(m->thread, NULL);
		m->thread_started = false;
	}
}

void sse_free(struct sse *m)
{
	if (!m)
		return;
	sse_shutdown(m);
	ring_clear(m);
	pthread_cond_destroy(&m->gone);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
