/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the
 * browser's session cookie (http/session.c). Small and slow enough for a
 * login and a cookie check per request, not for bulk data. No allocation;
 * a zeroed context is not valid, sha256_init it.
 */
#ifndef WEIR_SHA256_H
#define WEIR_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t len;	       /* bytes hashed so far */
	unsigned char buf[64]; /* a partial block */
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_LEN]);

/* HMAC-SHA256 of msg under key (any length) into out. */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
		 unsigned char out[SHA256_LEN]);

#endif
