/*
 * le.h - little-endian integers in byte buffers, for the on-disk forms
 * (checkpoint file, sketches). Byte by byte, so any alignment and any host
 * byte order read and write the same bytes. The caller checks bounds.
 */
#ifndef WEIR_LE_H
#define WEIR_LE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The low n (1..8) bytes of v at p, least significant first. */
static inline void le_put(void *p, uint64_t v, unsigned n)
{
	uint8_t *b = p;

	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* n (1..8) bytes at p, least significant first. */
static inline uint64_t le_get(const void *p, unsigned n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static inline void le_put16(void *p, uint16_t v)
{
	le_put(p, v, 2);
}

static inline void le_put32(void *p, uint32_t v)
{
	le_put(p, v, 4);
}

static inline void le_put64(void *p, uint64_t v)
{
	le_put(p, v, 8);
}

static inline uint16_t le_get16(const void *p)
{
	return (uint16_t)le_get(p, 2);
}

static inline uint32_t le_get32(const void *p)
{
	return (uint32_t)le_get(p, 4);
}

static inline uint64_t le_get64(const void *p)
{
	return le_get(p, 8);
}

/*
 * A bounded reader of bytes that came from disk: a read past the end
 * returns 0 and sets bad, which stays set (check it once at the end, as
 * SQLite does with its sticky out-of-memory flag).
 */
struct le_reader {
	const unsigned char *p, *end;
	bool bad;
};

/* The next n (1..8) bytes as a little-endian integer. */
static inline uint64_t le_read(struct le_reader *r, unsigned n)
{
	uint64_t v;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	v = le_get(r->p, n);
	r->p += n;
	return v;
}

#endif
