/*
 * cached.c - the bodies the aggregator rendered whole into each snapshot
 * (GET /api/v1/snapshot, /api/v1/sources, /metrics, /api/v1/stats), sent
 * straight from the snapshot without a copy:
 *   - gzip-compressed when the client takes it (Accept-Encoding). A body
 *     is compressed once per snapshot, by the first request that wants
 *     it, and the copy lives as long as the snapshot (snapshot.h's gz).
 *     Every later request of the tick sends those bytes: a tenth of the
 *     JSON for the kernel to copy and the client to read.
 *   - with an ETag naming the snapshot (and the representation), so a
 *     client polling faster than the tick gets 304 Not Modified and no
 *     body. The tag carries a per-process nonce: seq restarts at 1 with
 *     the daemon, the tags do not repeat.
 */
#include "http/cached.h"

#include "http/internal.h"
#include "http/negotiate.h"
#include "http/reply.h"

#include "aggregate/snapshot.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Bodies smaller than this go as they are: gzip's framing and the
 * client's inflate cost more than the bytes saved. */
#define GZIP_MIN 1024

static void snap_free_cb(void *cls)
{
	snap_release(cls);
}

static void body_of(const struct snapshot *s, enum snap_body which, const char **p, size_t *len)
{
	switch (which) {
	case SNAP_BODY_SNAPSHOT:
		*p = s->json, *len = s->json_len;
		break;
	case SNAP_BODY_SOURCES:
		*p = s->sources_json, *len = s->sources_len;
		break;
	case SNAP_BODY_METRICS:
		*p = s->metrics, *len = s->metrics_len;
		break;
	default:
		*p = s->stats_json, *len = s->stats_len;
		break;
	}
}

/* gzip of [p, p + len) in one malloc'd blob; NULL on ENOMEM. */
static struct snap_blob *gzip_blob(const char *p, size_t len)
{
	struct snap_blob *b, *nb;
	z_stream z;
	uLong bound;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer around the deflate */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	bound = deflateBound(&z, (uLong)len);
	b = malloc(sizeof(*b) + bound);
	if (!b) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)len;
	z.next_out = b->data;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(b);
		return NULL;
	}
	b->len = z.total_out;
	deflateEnd(&z);
	nb = realloc(b, sizeof(*b) + b->len);
	return nb ? nb : b;
}

/* s's gzip copy of a body, compressed now if nobody has yet; NULL on ENOMEM. */
static const struct snap_blob *gz_of(struct snapshot *s, enum snap_body which, const char *p,
				     size_t len)
{
	struct snap_blob *b = atomic_load_explicit(&s->gz[which], memory_order_acquire), *mine;

	if (b)
		return b;
	mine = gzip_blob(p, len);
	if (!mine)
		return NULL;
	/* Two requests of the same new tick may both compress; the first
	 * to publish wins and the other's copy goes. */
	if (atomic_compare_exchange_strong_explicit(&s->gz[which], &b, mine, memory_order_acq_rel,
						    memory_order_acquire))
		return mine;
	free(mine);
	return b;
}

/* Queue r (NULL: MHD_NO) with the caching headers every answer here has. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
			     const char *etag)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	/* Cache, but ask again every time: the next tick is a second away. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_serve_cached(const struct http_req *rq)
{
	struct MHD_Connection *c = rq->c;
	enum snap_body which = (enum snap_body)rq->arg;
	struct snapshot *s = snap_store_acquire(rq->h->store);
	const struct snap_blob *gz = NULL;
	struct MHD_Response *r;
	const char *body;
	size_t len;
	char etag[64];

	if (!s)
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet");
	body_of(s, which, &body, &len);
	if (!body) {
		snap_release(s);
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "out of memory rendering it");
	}
	if (len >= GZIP_MIN && http_accepts_gzip(MHD_lookup_connection_value(
				   c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING)))
		gz = gz_of(s, which, body, len); /* NULL (ENOMEM): identity */
	snprintf(etag, sizeof(etag), "\"%08" PRIx32 "-%" PRIu64 "%s\"", rq->h->nonce, s->seq,
		 gz ? "-gz" : "");
	if (http_etag_matches(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
		etag)) {
		snap_release(s);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		return queue(c, MHD_HTTP_NOT_MODIFIED, r, etag);
	}
	/* The response holds the snapshot's reference until MHD is done. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(
	    gz ? gz->len : len, gz ? (void *)gz->data : (void *)body, snap_free_cb, s);
	if (!r) {
		snap_release(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				which == SNAP_BODY_METRICS
				    ? "text/plain; version=0.0.4; charset=utf-8"
				    : "application/json");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(c, MHD_HTTP_OK, r, etag);
}
