/*
 * retired.h - the identities of files ingest has read and closed, so that
 * one that comes back (renamed out of its glob and back, a directory that
 * was away for a moment) is read on from where it was instead of again
 * from 0. Keyed by (device, inode, source); each entry keeps the head's
 * fingerprint, to tell the same file from a reused inode number, and the
 * offset up to which every record was shipped.
 *
 * Bounded: at most max entries, the least recently retired one forgotten
 * first (LRU), so its cost per checkpoint (it is saved with the offsets)
 * does not grow with history. The ingest thread's only; owns its arrays.
 */
#ifndef WEIR_INGEST_RETIRED_H
#define WEIR_INGEST_RETIRED_H

#include "ingest/idmap.h"

#include <stdbool.h>
#include <stdint.h>

#define RETIRED_MAX 4096 /* identities remembered */

struct retired_ent {
	struct idkey k; /* (device, inode, source) */
	uint64_t offset;
	uint64_t fp;
	uint32_t fp_len;
	bool disc;	     /* offset is inside the cut-off rest of a line */
	uint32_t prev, next; /* LRU list, UINT32_MAX at its ends */
};

struct retired {
	struct retired_ent *ents; /* [max] */
	struct idmap map;	  /* key -> index into ents */
	uint32_t max, n;
	uint32_t oldest, newest; /* list ends, UINT32_MAX when empty */
	uint32_t *free;		 /* unused indexes (a stack) */
	uint32_t nfree;
};

/* Room for max entries. 0 or -ENOMEM. */
int retired_init(struct retired *r, uint32_t max);
void retired_destroy(struct retired *r);
/* Remember e (its prev/next ignored) as the newest, replacing an entry
 * with its key and forgetting the oldest when full. */
void retired_put(struct retired *r, const struct retired_ent *e);
/* Take the entry for k out into *out. false if there is none. */
bool retired_take(struct retired *r, struct idkey k, struct retired_ent *out);
/* The entries, oldest first: i = retired_first(r), then retired_next(r, i)
 * until UINT32_MAX. */
static inline uint32_t retired_first(const struct retired *r)
{
	return r->oldest;
}
static inline uint32_t retired_next(const struct retired *r, uint32_t i)
{
	return r->ents[i].next;
}

#endif
