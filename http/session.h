/*
 * session.h - the browser's login. A page cannot give EventSource an
 * Authorization header, so with auth_reads a browser logs in once with the
 * token and gets a cookie that stands in for it on reads:
 *
 *   POST /api/v1/login   token as "Authorization: Bearer T" or the body
 *                        {"token":"T"} -> 204 + Set-Cookie weir_session
 *   POST /api/v1/logout  -> 204 + the cookie cleared (Max-Age=0)
 *   GET  /api/v1/session -> {"auth_reads":B,"authenticated":B}, no token needed
 *
 * The cookie's value is "EXPIRY.MAC": EXPIRY the Unix second it ends,
 * MAC = hex HMAC-SHA256 of "weir-session:EXPIRY" under a key drawn at random
 * when the server starts (struct http_server.session_key). It holds nothing
 * of the token; a restart (a new key) ends every session; a copied cookie
 * is good until it expires or weir restarts, whichever is first (a logout
 * clears it from the browser, it cannot revoke a copy). Checked in
 * constant time. The cookie opens reads only: writes still need the bearer
 * header, which another page cannot make the browser send (auth.c).
 */
#ifndef WEIR_HTTP_SESSION_H
#define WEIR_HTTP_SESSION_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_server;
struct http_req;

#define HTTP_SESSION_COOKIE "weir_session"
#define HTTP_SESSION_MAX_AGE (7 * 86400) /* seconds a login lasts */
#define HTTP_SESSION_KEY_LEN 32

/* Equal in time independent of where they differ (a length difference
 * shows, contents do not). False when b is empty. */
bool http_secret_equal(const char *a, size_t alen, const char *b, size_t blen);

/* The cookie value for a session ending at `expiry` (Unix seconds) under
 * key, into out (at least HTTP_SESSION_VALUE_MAX bytes, NUL-terminated). */
#define HTTP_SESSION_VALUE_MAX 96
void http_session_value(const unsigned char key[HTTP_SESSION_KEY_LEN], int64_t expiry, char *out);

/* Whether value (a cookie's; NULL: none) is a session under key that has
 * not expired at `now` (Unix seconds). Pure, for tests and fuzzing. */
bool http_session_check(const unsigned char key[HTTP_SESSION_KEY_LEN], const char *value,
			int64_t now);

/* Whether the request carries a valid session cookie for server h. */
bool http_session_valid(const struct http_server *h, struct MHD_Connection *c);

enum MHD_Result http_serve_login(const struct http_req *rq);
enum MHD_Result http_serve_logout(const struct http_req *rq);
enum MHD_Result http_serve_session(const struct http_req *rq);

#endif
