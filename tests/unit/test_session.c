/* test_session.c - the browser login's cookie (http/session.h) and the
 * SHA-256 / HMAC-SHA256 it stands on (core/sha256.h): the published test
 * vectors, then session values that check and the ways they do not
 * (expired, another key, a changed expiry or MAC, garbage). */
#include "core/sha256.h"
#include "http/session.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check_sha(const void *msg, size_t len, const char *want)
{
	struct sha256 s;
	unsigned char out[SHA256_LEN];
	char got[2 * SHA256_LEN + 1];

	/* whole, then byte by byte: the block buffering gives the same */
	sha256_init(&s);
	sha256_update(&s, msg, len);
	sha256_final(&s, out);
	hex(out, SHA256_LEN, got);
	cr_assert_str_eq(got, want, "len %zu", len);
	sha256_init(&s);
	for (size_t i = 0; i < len; i++)
		sha256_update(&s, (const char *)msg + i, 1);
	sha256_final(&s, out);
	hex(out, SHA256_LEN, got);
	cr_assert_str_eq(got, want, "len %zu, bytewise", len);
}

/* FIPS 180-2 appendix B, and the 55/56/64-byte padding edges. */
Test(sha256, published_vectors)
{
	char *a = malloc(1000000);

	check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	cr_assert_not_null(a);
	memset(a, 'a', 1000000);
	check_sha(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	check_sha(a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check_sha(a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	free(a);
}

static void check_hmac(const void *key, size_t klen, const char *msg, const char *want)
{
	unsigned char out[SHA256_LEN];
	char got[2 * SHA256_LEN + 1];

	hmac_sha256(key, klen, msg, strlen(msg), out);
	hex(out, SHA256_LEN, got);
	cr_assert_str_eq(got, want, "%s", msg);
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than a block). */
Test(sha256, hmac_rfc4231)
{
	unsigned char k[131];

	memset(k, 0x0b, 20);
	check_hmac(k, 20, "Hi There",
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac("Jefe", 4, "what do ya want for nothing?",
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k, 0xaa, 131);
	check_hmac(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
		   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(session, a_value_checks_until_it_expires)
{
	unsigned char key[HTTP_SESSION_KEY_LEN], other[HTTP_SESSION_KEY_LEN];
	char v[HTTP_SESSION_VALUE_MAX], bad[HTTP_SESSION_VALUE_MAX + 8];
	char *dot;

	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	http_session_value(key, 2000000000, v);
	cr_assert(!strncmp(v, "2000000000.", 11), "%s", v);
	cr_assert_eq(strlen(v), 11 + 64);
	cr_assert(http_session_check(key, v, 1999999999));
	cr_assert(!http_session_check(key, v, 2000000000), "expired at its second");
	cr_assert(!http_session_check(other, v, 0), "another process's key");

	/* a later expiry with the old MAC */
	snprintf(bad, sizeof(bad), "2000000001%s", strchr(v, '.'));
	cr_assert(!http_session_check(key, bad, 0));
	/* one MAC digit changed, the MAC cut, or longer */
	snprintf(bad, sizeof(bad), "%s", v);
	dot = strchr(bad, '.');
	dot[5] = dot[5] == '0' ? '1' : '0';
	cr_assert(!http_session_check(key, bad, 0));
	snprintf(bad, sizeof(bad), "%s", v);
	bad[strlen(bad) - 1] = '\0';
	cr_assert(!http_session_check(key, bad, 0));
	snprintf(bad, sizeof(bad), "%s0", v);
	cr_assert(!http_session_check(key, bad, 0));

	/* garbage */
	static const char *const junk[] = {"",	    ".",     "abc",   "123",
					   ".abcd", "-5.ab", "1x.ab", "99999999999999999999.00"};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		cr_assert(!http_session_check(key, junk[i], 0), "%s", junk[i]);
	cr_assert(!http_session_check(key, NULL, 0));
	/* the raw token is not a session */
	cr_assert(!http_session_check(key, "0123456789abcdefXYZ", 0));
}

Test(session, secret_equal)
{
	cr_assert(http_secret_equal("abc", 3, "abc", 3));
	cr_assert(!http_secret_equal("abd", 3, "abc", 3));
	cr_assert(!http_secret_equal("ab", 2, "abc", 3));
	cr_assert(!http_secret_equal("abcd", 4, "abc", 3));
	cr_assert(!http_secret_equal("", 0, "", 0));
}
