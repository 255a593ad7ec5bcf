/*
 * batch.h - the unit that crosses thread boundaries: a buffer of whole
 * records, and the pool that recycles them.
 *
 * A data batch holds buf[0..len): one or more records, each ended by '\n'
 * (a '\r' before that '\n' is not part of the record). A record never spans
 * two batches. Batches travel ingest -> worker through a ring and come back
 * worker -> ingest through a return ring; at any moment exactly one thread
 * owns a batch (the one that last popped it, or the pool's owner).
 *
 * The pool is owned by the ingest thread and is not thread-safe: other
 * threads never touch it, they only push used batches into return rings,
 * which the ingest thread drains back into the pool. All buffers are
 * allocated up front, so steady state allocates nothing.
 */
#ifndef WEIR_BATCH_H
#define WEIR_BATCH_H

#include "core/peer.h"

#include <stddef.h>
#include <stdint.h>

enum batch_kind {
	BATCH_DATA,    /* records to scan */
	BATCH_BARRIER, /* checkpoint: everything before it is covered by payload */
};

/* What a syslog listener knows of each record it receives. */
struct rec_meta {
	int64_t arrival_ms;    /* when the bytes were received (CLOCK_REALTIME, ms) */
	struct peer_addr peer; /* who sent them */
};

struct batch {
	char *buf;	    /* cap bytes, owned by the batch */
	uint32_t cap;	    /* size of buf */
	uint32_t len;	    /* bytes of whole records in buf */
	uint32_t kind;	    /* enum batch_kind */
	uint32_t source;    /* index of the source the records came from */
	uint32_t file;	    /* file slot they came from */
	void *payload;	    /* barrier: the file offsets it covers (struct ckpt_files) */
	int64_t arrival_ms; /* when ingest read the bytes (CLOCK_REALTIME, ms) */
	uint64_t seq;	    /* data batches: 1, 2, ... in the order ingest shipped them */
	/* Listener batches: meta[i] belongs to the i-th record of buf; nmeta
	 * equals the number of records. File batches: nmeta 0 (the records'
	 * arrival is arrival_ms). meta has meta_cap entries, owned. */
	struct rec_meta *meta;
	uint32_t nmeta;
	uint32_t meta_cap;
};

struct batch_pool {
	struct batch *all;   /* every batch, owned by the pool */
	struct batch **free; /* stack of batches not in use */
	uint32_t nall;
	uint32_t nfree;
};

/* Allocate count batches of buf_size bytes each, each with room for the
 * metadata of meta_cap records (0: none). 0 or -ENOMEM. */
int batch_pool_init(struct batch_pool *p, uint32_t count, uint32_t buf_size, uint32_t meta_cap);
/* Free every buffer; all batches must have come back. */
void batch_pool_destroy(struct batch_pool *p);

/* A free batch with len 0, or NULL when all are in use (backpressure). */
struct batch *batch_pool_get(struct batch_pool *p);
/* Give a batch back; the caller drops its pointer. */
void batch_pool_put(struct batch_pool *p, struct batch *b);

#endif
