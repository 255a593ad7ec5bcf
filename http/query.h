/*
 * query.h - what a client sends in a query parameter or a header, read
 * without a connection: pure functions over the (already URL-decoded) text,
 * so tests/fuzz/fuzz_http.c can feed them anything. The handlers look the
 * value up (MHD_lookup_connection_value) and answer 400 when one refuses;
 * negotiate.h does the same for Accept-Encoding and If-None-Match.
 */
#ifndef WEIR_HTTP_QUERY_H
#define WEIR_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ?window=W (slice.c): the index in secs[0..n) of the configured window
 * that the duration v names, or -1 (not a duration, or not configured). */
int http_window_parse(const uint32_t *secs, uint32_t n, const char *v);

/* ?k=N (slice.c): 0 and *k (OUT) in 1..1000, or -EINVAL. */
int http_k_parse(const char *v, unsigned long *k);

/* ?limit=N (samples.c): 0 and *n (OUT) in 1..1000, or -EINVAL. */
int http_limit_parse(const char *v, unsigned long *n);

/* ?range= and ?step= (series.c): 0 and *secs (OUT) > 0, or -EINVAL. */
int http_duration_parse(const char *v, uint32_t *secs);

/* Last-Event-ID (sse.c): a decimal sequence number. true and *id (OUT),
 * or false (NULL, empty, not digits, or beyond 64 bits). */
bool http_event_id_parse(const char *v, uint64_t *id);

/* Authorization (auth.c): the token of "Bearer TOKEN" (scheme in any
 * case, spaces around the token dropped), *len (OUT) its length; it points
 * into v. NULL if v is NULL or of another scheme. */
const char *http_bearer_parse(const char *v, size_t *len);

#endif
