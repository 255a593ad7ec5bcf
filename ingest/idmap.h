/*
 * idmap.h - a fixed-capacity hash map from a small key to a file slot, for
 * the ingest thread: (device, inode, source) -> slot, and inotify watch
 * descriptor -> slot. Open addressing with linear probing and
 * backward-shift deletion, so there are no tombstones and lookups stay
 * short however many files come and go. Not thread-safe; owns its array.
 * Also used as a set with a generation as the value (refused files, paths
 * skipped), purged of what the last rescan did not see.
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
/* Room for twice as many entries (a set that follows what exists, not
 * history). 0 or -ENOMEM (the map is unchanged). */
int idmap_grow(struct idmap *m);
/* Remove every entry whose value is not keep. O(capacity). */
void idmap_keep_only(struct idmap *m, uint32_t keep);

#endif
