/*
 * hll.c - see hll.h.
 *
 * Register layout: a 64-bit hash h picks register h >> 50 (its top 14 bits);
 * the other 50 bits give rho = 1 + their count of leading zeros, or 51 when
 * all 50 are zero. A register only ever grows, so merge is a max and the
 * order of adds does not matter.
 */
#include "aggregate/hll.h"

#include "core/le.h"
#include "core/crc32c.h"

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* ---- the hash ----
 * wyhash's structure (Wang Yi, public domain): each step multiplies two
 * 64-bit words into 128 bits and folds the halves together. The secrets are
 * odd 64-bit constants with 32 bits set. */

static const uint64_t secret[4] = {0xa0761d6478bd642full, 0xe7037ed1a0b428dbull,
				   0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull};

static inline void mum(uint64_t *a, uint64_t *b)
{
	__uint128_t r = (__uint128_t)*a * *b;

	*a = (uint64_t)r;
	*b = (uint64_t)(r >> 64);
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	mum(&a, &b);
	return a ^ b;
}

static inline uint64_t rd8(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint64_t rd4(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* 1..3 bytes: first, middle and last. */
static inline uint64_t rd3(const uint8_t *p, size_t k)
{
	return ((uint64_t)p[0] << 16) | ((uint64_t)p[k >> 1] << 8) | p[k - 1];
}

uint64_t hll_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t seed = mix(secret[0], secret[1]), a, b;
	size_t i = len;

	if (len <= 16) {
		if (len >= 4) {
			a = (rd4(p) << 32) | rd4(p + ((len >> 3) << 2));
			b = (rd4(p + len - 4) << 32) | rd4(p + len - 4 - ((len >> 3) << 2));
		} else if (len > 0) {
			a = rd3(p, len);
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		if (i >= 48) {
			uint64_t s1 = seed, s2 = seed;

			do {
				seed = mix(rd8(p) ^ secret[1], rd8(p + 8) ^ seed);
				s1 = mix(rd8(p + 16) ^ secret[2], rd8(p + 24) ^ s1);
				s2 = mix(rd8(p + 32) ^ secret[3], rd8(p + 40) ^ s2);
				p += 48;
				i -= 48;
			} while (i >= 48);
			seed ^= s1 ^ s2;
		}
		while (i > 16) {
			seed = mix(rd8(p) ^ secret[1], rd8(p + 8) ^ seed);
			i -= 16;
			p += 16;
		}
		a = rd8(p + i - 16);
		b = rd8(p + i - 8);
	}
	a ^= secret[1];
	b ^= seed;
	mum(&a, &b);
	return mix(a ^ secret[0] ^ len, b ^ secret[1]);
}

/* ---- registers ---- */

void hll_init(struct hll *h)
{
	memset(h, 0, sizeof(*h));
}

void hll_reset(struct hll *h)
{
	memset(h, 0, sizeof(*h));
}

void hll_add_hash(struct hll *h, uint64_t hash)
{
	uint32_t i = hll_index(hash);
	uint8_t rho = hll_rho(hash);

	if (h->reg[i] < rho)
		h->reg[i] = rho;
}

void hll_add(struct hll *h, const void *p, size_t len)
{
	hll_add_hash(h, hll_hash(p, len));
}

void hll_merge(struct hll *dst, const struct hll *src)
{
	uint32_t i;

	/* an unconditional store, so the compiler makes it a vector max */
	for (i = 0; i < HLL_M; i++)
		dst->reg[i] = dst->reg[i] > src->reg[i] ? dst->reg[i] : src->reg[i];
}

/* Ertl 2017, algorithm 6: sigma(x) = x + sum_k x^(2^k) 2^(k-1), for the
 * registers still 0. */
static double ertl_sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* tau(x) = (1 - x - sum_k (1 - x^(2^-k))^2 2^-k) / 3, for the registers at
 * their maximum. */
static double ertl_tau(double x)
{
	double y = 1, z = 1 - x, prev;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

double hll_estimate(const struct hll *h)
{
	const double m = HLL_M, alpha_inf = 0.5 / M_LN2;
	uint32_t c[HLL_RHO_MAX + 1] = {0}, i;
	double z;
	int k;

	for (i = 0; i < HLL_M; i++)
		c[h->reg[i]]++;
	if (c[0] == HLL_M)
		return 0;
	z = m * ertl_tau(1 - c[HLL_RHO_MAX] / m);
	for (k = HLL_RHO_MAX - 1; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * ertl_sigma(c[0] / m);
	return alpha_inf * m * m / z;
}

/* ---- checkpoint form ---- */

#define HDR_LEN 8
enum { FORM_DENSE = 0, FORM_SPARSE = 1 };

int hll_encode(const struct hll *h, void *buf, size_t cap, size_t *len)
{
	uint8_t *out = buf;
	uint32_t i, n = 0;
	size_t need, off;

	for (i = 0; i < HLL_M; i++)
		n += h->reg[i] != 0;
	if (2 + 3 * (size_t)n < HLL_M)
		need = HDR_LEN + 2 + 3 * (size_t)n + 4;
	else
		need = HDR_LEN + HLL_M + 4;
	if (cap < need)
		return -ENOSPC;
	memcpy(out, "WHL", 3);
	out[3] = 1;
	out[4] = HLL_P;
	out[5] = HLL_HASH_ID;
	off = HDR_LEN;
	if (need == HDR_LEN + HLL_M + 4) {
		out[6] = FORM_DENSE;
		out[7] = 0;
		memcpy(out + off, h->reg, HLL_M);
		off += HLL_M;
	} else {
		out[6] = FORM_SPARSE;
		out[7] = 0;
		le_put16(out + off, (uint16_t)n);
		off += 2;
		for (i = 0; i < HLL_M; i++)
			if (h->reg[i]) {
				le_put16(out + off, (uint16_t)i);
				out[off + 2] = h->reg[i];
				off += 3;
			}
	}
	le_put32(out + off, crc32c(0, out, off));
	*len = off + 4;
	return 0;
}

/* Checked before h is touched, so a bad buffer leaves h as it was. */
int hll_decode(struct hll *h, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	uint32_t i, n, idx, prev;
	size_t body;

	if (len < HDR_LEN + 4 || memcmp(in, "WHL", 3) || in[3] != 1 || in[4] != HLL_P ||
	    in[5] != HLL_HASH_ID || in[7] != 0)
		return -EBADMSG;
	body = len - 4;
	if (le_get32(in + body) != crc32c(0, in, body))
		return -EBADMSG;
	if (in[6] == FORM_DENSE) {
		if (body != HDR_LEN + HLL_M)
			return -EBADMSG;
		for (i = 0; i < HLL_M; i++)
			if (in[HDR_LEN + i] > HLL_RHO_MAX)
				return -EBADMSG;
		memcpy(h->reg, in + HDR_LEN, HLL_M);
		return 0;
	}
	if (in[6] != FORM_SPARSE || body < HDR_LEN + 2)
		return -EBADMSG;
	n = le_get16(in + HDR_LEN);
	if (n > HLL_M || body != HDR_LEN + 2 + 3 * (size_t)n)
		return -EBADMSG;
	for (i = 0, prev = 0; i < n; i++) {
		const uint8_t *e = in + HDR_LEN + 2 + 3 * (size_t)i;

		idx = le_get16(e);
		if (idx >= HLL_M || (i && idx <= prev) || e[2] == 0 || e[2] > HLL_RHO_MAX)
			return -EBADMSG;
		prev = idx;
	}
	memset(h->reg, 0, HLL_M);
	for (i = 0; i < n; i++) {
		const uint8_t *e = in + HDR_LEN + 2 + 3 * (size_t)i;

		h->reg[le_get16(e)] = e[2];
	}
	return 0;
}
