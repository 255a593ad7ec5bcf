/*
 * topk.h - the most frequent string keys of a stream, in bounded memory:
 * Space-Saving (Metwally, Agrawal, El Abbadi 2005) over k counters, made
 * mergeable as in Agarwal et al. 2012 ("Mergeable summaries").
 *
 * Guarantees, with N = total weight added (merged tables included) and
 * U = topk_bound() <= N / k:
 *   - every key whose true count exceeds U has an entry;
 *   - an entry's count is an upper bound of its key's true count, and
 *     count - err a lower bound (err <= U);
 *   - a key without an entry has a true count of at most U.
 * U is the smallest counter once the table is full, 0 before that (counts
 * are then exact). Merging two tables keeps all of this with N the sum of
 * both totals, when both have the same k. A table merged with (or decoded
 * from) a table with a smaller k keeps every bound correct, but U is then
 * only bounded by N / (the smaller k).
 *
 * Keys are byte strings of any length; only their first TOPK_KEY_MAX bytes
 * are kept. A longer key is counted as "its first TOPK_KEY_MAX bytes, cut"
 * (entry flag truncated): all keys sharing those bytes share a counter,
 * which stays apart from the key that is exactly those bytes.
 *
 * Costs: add is O(1) on average for the hash index (open addressing, linear
 * probing, load <= 1/2) plus O(log k) for the 4-ary min-heap of counts;
 * merge is O(k log k); topk_sorted is O(k log cap). The index hash is fixed
 * (hll_hash), so keys crafted to collide can slow add towards O(k), the cost
 * of a linear scan, and no further. The arrays grow with the number of
 * keys held: add, merge and decode allocate when a new key finds every
 * allocated counter taken and fewer than k allocated (doubling them,
 * amortized O(1) per key); sorted and encode never allocate.
 *
 * Memory: topk_bytes(), one allocation for cap counters: min(k, 4) after
 * topk_init(), doubled (to k at most) whenever a new key finds them all
 * taken; 188 to 204 bytes per counter (152-byte counter + 16-byte heap slot
 * + 4-byte position + 2..4 8-byte index slots). An empty or 1-key table
 * takes 752 bytes, 100 keys 24 KiB; a full table of k = 1000 188 KiB, of
 * k = 10000 1.9 MiB. If growing fails (out of memory), k is lowered to cap:
 * the table is full and stays correct for that smaller k (topk_add() has no
 * error to return). topk_reset() keeps the arrays.
 *
 * Ownership: struct topk owns its arrays (one block, freed by topk_free()).
 * One thread owns an instance; there is no locking inside.
 */
#ifndef WEIR_TOPK_H
#define WEIR_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPK_KEY_MAX 128
#define TOPK_K_MAX (1u << 20) /* largest k topk_init() accepts */

/* One counted key, as topk_sorted() and topk_get() report it. */
struct topk_entry {
	uint64_t count;		    /* >= the key's true count */
	uint64_t err;		    /* count - err <= the key's true count */
	uint16_t len;		    /* bytes in key (<= TOPK_KEY_MAX) */
	bool truncated;		    /* the key was longer; key holds its first TOPK_KEY_MAX bytes */
	char key[TOPK_KEY_MAX + 1]; /* NUL-terminated for printing; may hold NULs: use len */
};

struct topk_counter; /* topk.c */
struct topk_heap;    /* topk.c */

struct topk {
	struct topk_counter *ctr; /* [cap] the counters; the first n are in use */
	struct topk_heap *heap;	  /* [cap] 4-ary min-heap over the n counters, by count */
	uint32_t *pos;		  /* [cap] each counter's place in heap */
	uint64_t *index;	  /* [mask + 1] hash index: 0 empty, else tag << 32 | (ctr + 1) */
	uint32_t mask;
	uint32_t k;
	uint32_t cap; /* counters allocated: n <= cap <= k */
	uint32_t n;
	uint64_t total; /* sum of n over every add, merged tables included */
	uint64_t floor; /* bound of an untracked key while not full (0 unless merged or decoded) */
};

/* A table of up to k counters (1..TOPK_K_MAX), allocating room for the
 * first few only (see Memory). 0, -EINVAL or -ENOMEM (t is then zeroed, and
 * topk_free() on it is a no-op). */
int topk_init(struct topk *t /* OUT */, uint32_t k);
/* Free the arrays; t is zeroed. NULL and a zeroed struct are no-ops. */
void topk_free(struct topk *t);
/* Empty the table, keeping k and the arrays. */
void topk_reset(struct topk *t);

/* Count n occurrences of the key of len bytes at key (len > TOPK_KEY_MAX:
 * the key is cut, see above). n = 0 does nothing. */
void topk_add(struct topk *t, const char *key, size_t len, uint64_t n);

/*
 * Merge src into dst: a key in both gets the sum of counts and errors; a key
 * in only one side gets the other side's bound added to its count and error;
 * then the k (dst's k) largest are kept. dst->total += src->total. src is
 * unchanged and must not be dst.
 */
void topk_merge(struct topk *dst, const struct topk *src);

/* Copy the min(cap, n) most frequent entries into out, most frequent first;
 * equal counts in key order (bytes, a shorter prefix first, a cut key after
 * the whole one). Returns how many were written. */
uint32_t topk_sorted(const struct topk *t, struct topk_entry *out, uint32_t cap);

/* The entry of a key (cut like topk_add() does), if it has one. */
bool topk_get(const struct topk *t, const char *key, size_t len, struct topk_entry *out /* OUT */);

/* Bytes allocated for t's arrays now (sizeof(struct topk) not included). */
size_t topk_bytes(const struct topk *t);

/* U above: the most an untracked key can have been counted, and the most
 * an entry's err can be. At most total / k (same-k merges). */
uint64_t topk_bound(const struct topk *t);

/*
 * Checkpoint form, little-endian:
 *   "WTK" u8 version(1) u32 k u32 n u64 total u64 bound
 *   n x (u64 count, u64 err, u8 flags (1: truncated), u8 len, len key bytes)
 *   u32 crc32c of everything before it
 * Entries are written in heap order, so a decoded table with the same k
 * behaves exactly like the one encoded. topk_encoded_max() bytes suffice.
 */
size_t topk_encoded_max(const struct topk *t);
/* Write t into buf (cap bytes). 0 and *len set, or -ENOSPC. */
int topk_encode(const struct topk *t, void *buf, size_t cap, size_t *len /* OUT */);
/*
 * Replace t's contents (t from topk_init(), any k) with a table
 * topk_encode() wrote. If that table had more entries than t->k, the t->k
 * largest are kept (a merge into an empty table, so the bounds hold). 0, or
 * -EBADMSG for a short, corrupt or inconsistent buffer or another version;
 * t is then empty (reset).
 */
int topk_decode(struct topk *t, const void *buf, size_t len);

#endif
