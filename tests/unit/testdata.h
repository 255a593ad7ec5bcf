/*
 * testdata.h - shared by the unit tests that read ../shared/testdata: where
 * it is, and the base64 its JSONL case files use for bytes that are not
 * UTF-8. Header-only (each test is its own program).
 */
#ifndef WEIR_TESTS_TESTDATA_H
#define WEIR_TESTS_TESTDATA_H

#include <stdlib.h>
#include <string.h>

/* $WEIR_TESTDATA, else ../shared/testdata (tests run from the repo root). */
static inline const char *testdata_dir(void)
{
	const char *d = getenv("WEIR_TESTDATA");

	return d && *d ? d : "../shared/testdata";
}

static inline int td_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode standard base64 (padding ends it) into a malloc'd buffer with one
 * spare byte; *len gets the size. NULL when out of memory or s holds a
 * character outside the alphabet. */
static inline char *td_b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n / 4 * 3 + 3);
	unsigned long acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = td_b64val((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	*len = o;
	return out;
}

#endif
