/*
 * negotiate.h - reading the request headers that choose a representation:
 * Accept-Encoding (RFC 9110 12.5.3) and If-None-Match (RFC 9110 13.1.2).
 * Pure functions over the header text, so the unit tests can feed them
 * anything a client might send.
 */
#ifndef WEIR_HTTP_NEGOTIATE_H
#define WEIR_HTTP_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether an Accept-Encoding value lets the response be gzip: "gzip" (or
 * "x-gzip") with a q above 0, or "*" with a q above 0 when gzip is not
 * named. NULL (no header) is false: identity is always acceptable and costs
 * the client nothing to decode.
 */
bool http_accepts_gzip(const char *accept_encoding);

/*
 * Whether an If-None-Match value matches the entity tag etag (with its
 * quotes, e.g. "\"5f3a-42\""): "*", or any listed tag equal to it under the
 * weak comparison (a W/ prefix on either side is ignored). NULL is false.
 */
bool http_etag_matches(const char *if_none_match, const char *etag);

#endif
