/*
 * idmap.h - a fixed-capacity hash map from a small key to a file slot, for
 * the ingest thread: (device, inode, source) -> slot, and inotify watch
 * descriptor -> slot. Open addressing with linear probing and
 * backward-shift deletion, so there are no tombstones and lookups stay
 * short however many files come and go. Not thread-safe; owns its array.
 */
#ifndef WEIR_IDMAP_H
#define WEIR_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct idkey {
	uint64_t a, b;
	uint32_t c;
};

struct idmap {
	struct idmap_ent {
		struct idkey k;
		uint32_t val; /* UINT32_MAX: empty */
	} * ents;
	uint32_t mask;
	uint32_t count;
	uint32_t max; /* at most this many entries */
};

/* Room for max entries (the table is at least twice that). 0 or -ENOMEM. */
int idmap_init(struct idmap *m, uint32_t max);
void idmap_destroy(struct idmap *m);

/* The value for k, or UINT32_MAX. */
uint32_t idmap_get(const struct idmap *m, struct idkey k);
/* Insert or replace. false when full. */
bool idmap_put(struct idmap *m, struct idkey k, uint32_t val);
/* Remove k if present. */
void idmap_del(struct idmap *m, struct idkey k);

#endif
