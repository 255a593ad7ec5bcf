/*
 * hll.h - HyperLogLog: the number of distinct keys in a stream, in a fixed
 * 16 KiB, mergeable.
 *
 * Precision p = 14: 16384 one-byte registers, standard error 1.04/sqrt(m) =
 * 0.81% over the whole range (2% is about 2.5 standard errors). Register i
 * holds the largest rho (position of the first 1-bit, 1..51) seen among the
 * hashes whose top 14 bits are i. The estimate is Ertl's improved raw
 * estimator ("New cardinality estimation algorithms for HyperLogLog
 * sketches", 2017), which needs neither linear counting nor bias tables and
 * is unbiased from 0 to far beyond 2^40; small counts come out nearly exact
 * (0 is exactly 0, 1 within a few thousandths).
 *
 * Memory: sizeof(struct hll) = 16384 bytes, all inside the struct; nothing
 * is ever allocated. A zeroed struct is a valid empty set. One thread owns
 * an instance; there is no locking inside.
 *
 * The hash (hll_hash) is part of the encoding: registers written with one
 * hash cannot be merged with registers of another, so the encoded form
 * names it (HLL_HASH_ID) and hll_decode() refuses any other.
 */
#ifndef WEIR_HLL_H
#define WEIR_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P 14
#define HLL_M (1u << HLL_P) /* registers */
#define HLL_RHO_MAX (64 - HLL_P + 1)
#define HLL_HASH_ID 1u /* bumped whenever hll_hash() changes its output */

struct hll {
	uint8_t reg[HLL_M];
};

/*
 * weir's 64-bit hash of len bytes at p (wyhash-style: 128-bit multiply
 * mixing, 48 bytes per round). Stable across runs and hosts (reads are
 * little-endian), so its output may be stored. Also used by topk's index.
 */
uint64_t hll_hash(const void *p, size_t len);

/* An empty set. Same as hll_reset(); a zeroed struct is also empty. */
void hll_init(struct hll *h);
void hll_reset(struct hll *h);

/* Count the key of len bytes at p (hashed with hll_hash). */
void hll_add(struct hll *h, const void *p, size_t len);
/* Count a key by its 64-bit hash: the caller's hash must be well mixed (all
 * 64 bits uniform), e.g. hll_hash() computed earlier for another use. */
void hll_add_hash(struct hll *h, uint64_t hash);

/* The register a hash picks (its top HLL_P bits) and the rho it offers
 * there (1 + the leading zeros of the other bits, HLL_RHO_MAX if all are
 * 0): hll_add_hash() and the compact pane form (psketch.c) share them. */
static inline uint32_t hll_index(uint64_t hash)
{
	return (uint32_t)(hash >> (64 - HLL_P));
}

static inline uint8_t hll_rho(uint64_t hash)
{
	uint64_t w = hash << HLL_P; /* the other bits, at the top */

	return w ? (uint8_t)(__builtin_clzll(w) + 1) : HLL_RHO_MAX;
}

/* dst becomes the union of dst and src (register-wise max). dst may be src. */
void hll_merge(struct hll *dst, const struct hll *src);

/* The estimated number of distinct keys added (0 for an empty set). Walks
 * all registers: about 10 us, meant for snapshots, not per record. */
double hll_estimate(const struct hll *h);

/*
 * Checkpoint form, little-endian:
 *   "WHL" u8 version(1) u8 p(14) u8 hash_id u8 form
 *   form 0 (dense):  16384 register bytes
 *   form 1 (sparse): u16 n, n x (u16 index, u8 value), indices increasing
 *   u32 crc32c of everything before it
 * hll_encode() picks the shorter form; a set of fewer than ~5000 distinct
 * keys is sparse. HLL_ENCODED_MAX bytes are always enough.
 */
#define HLL_ENCODED_MAX (8u + HLL_M + 4u)

/* Write h into buf (cap bytes). 0 and *len set, or -ENOSPC (buf untouched
 * beyond cap). */
int hll_encode(const struct hll *h, void *buf, size_t cap, size_t *len /* OUT */);
/* Read a buffer hll_encode() wrote. 0, or -EBADMSG if it is short, corrupt,
 * of another version, precision or hash; h is unchanged on error. */
int hll_decode(struct hll *h /* OUT */, const void *buf, size_t len);

#endif
