/*
 * json.h - a small JSON writer onto a strbuf, for rendering snapshots.
 *
 * Strings from logs may hold any bytes: json_str() always produces valid
 * JSON and valid UTF-8. Control characters become \uXXXX escapes, and each
 * byte that is not part of a well-formed UTF-8 sequence becomes U+FFFD.
 */
#ifndef WEIR_JSON_H
#define WEIR_JSON_H

#include "core/strbuf.h"

#include <stddef.h>
#include <stdint.h>

void json_str(struct strbuf *sb, const char *s, size_t len);
/* json_str that also writes '<', '>' and '&' as \u003c, \u003e, \u0026:
 * for text from logs that a client might put into a page (samples), so
 * that it is inert even where a body is taken for HTML. */
void json_text(struct strbuf *sb, const char *s, size_t len);
void json_cstr(struct strbuf *sb, const char *s);
void json_u64(struct strbuf *sb, uint64_t v);
void json_i64(struct strbuf *sb, int64_t v);
/* v rounded to sig (1..17) significant digits, always in plain decimal
 * notation (never 1e+06: a reader may take the number for a count), with
 * no trailing zeros ("2.5", "1002240", "0.000125"); NaN/inf become null. */
void json_number(struct strbuf *sb, double v, int sig);
/* json_number with 6 significant digits (rates, spans). */
void json_double(struct strbuf *sb, double v);
/* A duration of ms milliseconds in seconds, exactly: "1002240.125". */
void json_seconds_ms(struct strbuf *sb, int64_t ms);
/* "key": with the key escaped. */
void json_key(struct strbuf *sb, const char *key);
/* An ISO 8601 UTC time with milliseconds: "2026-11-21T06:12:01.123Z". */
void json_time_ms(struct strbuf *sb, int64_t ms);

#endif
