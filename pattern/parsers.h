/*
 * parsers.h - the built-in field parsers a source's `format:` names:
 * access (Apache/nginx common and combined), json, logfmt.
 *
 * Each is a pure function of one record: it reads only p[0..len), whatever
 * the bytes (NUL, invalid UTF-8: just bytes), never allocates, keeps no
 * state, and runs in time linear in len. Fields go into the caller's
 * fieldset (pattern/fields.h): names and values point into the record
 * (zero-copy) or, when text had to be rewritten (escapes, dotted names),
 * into the set's scratch; both stay valid until the record and the set are
 * reused. A field that does not fit (FIELDS_MAX, or the scratch) is
 * counted in fs->dropped and the parse still succeeds.
 *
 * Every parser returns 0 when the record is in its format and -1 when it
 * is not; on -1 the set is left as it was on entry (the caller then keeps
 * the record raw and counts a parse error). On 0, fs->has_ts/ts_ms are set
 * when the record carries a timestamp that ts_parse() reads
 * (pattern/timestamp.h, ts_parse_in). A stamp without a zone is read in
 * fs->ts_zone (NULL: UTC) and one without a year (RFC 3164) gets the year
 * fs->ts_now_ms implies (INT64_MIN, as after fields_reset: it is not used
 * and the caller falls back to its receive time).
 */
#ifndef WEIR_PATTERN_PARSERS_H
#define WEIR_PATTERN_PARSERS_H

#include "pattern/fields.h"

#include <stddef.h>

/*
 * Apache/nginx access log: common or combined format,
 *   ip ident user [time] "request" status bytes ["referrer" "user_agent"] [more...]
 * Tokens are separated by one or more spaces; trailing spaces, tabs, CR
 * and LF are ignored. The structure is required: ip, ident and user are
 * non-empty words, time is the text inside [] (any, non-empty), request a
 * quoted string (may be empty), status exactly 3 digits, bytes digits or
 * "-". Otherwise -1.
 *
 * Quoted strings: a backslash escapes the next byte (Apache writes \" and
 * \\), and a '"' that is not followed by a space or the end of the line
 * does not close the string (old servers did not escape quotes at all).
 * A value holding a backslash is unescaped into scratch: \" -> ", \\ -> \,
 * \xHH -> that byte (nginx writes \x22 for '"'); any other backslash stays.
 *
 * Fields, in this order, each only when present:
 *   ip, ident, user      the first three words; ident and user omitted when "-"
 *   time                 the raw text inside []
 *   method, path, protocol  from the request: method is the first word
 *                        (ASCII letters, '-' and '_'), protocol the last
 *                        word when it starts with "HTTP/", path the text
 *                        between (may hold spaces). "GET /x" (HTTP/0.9)
 *                        gives no protocol. A request that is "-", empty,
 *                        binary ("\x16\x03\x01...") or has no path gives
 *                        none of the three: the line still parses.
 *   status               the 3 digits
 *   bytes                omitted when "-"
 *   referrer, user_agent the two quoted strings right after bytes, when
 *                        there; each omitted when "-"
 *   request_time         from the tokens after that (nginx's
 *                        $request_time, $upstream_response_time, ...): the
 *                        value of the first "rt=N" or "request_time=N"
 *                        token (N: digits, optional '.' fraction); if none,
 *                        the first bare token of the form digits '.'
 *                        digits ("0.123"). Whole numbers without a '.' are
 *                        not taken bare: they are lengths and counts
 *                        ($request_length, Apache's %D) as often as times.
 *                        Quoted trailing strings are skipped whole.
 * Timestamp: the time text via ts_parse() (CLF "05/Mar/2024:14:02:11
 * +0100", or any other format it reads). An unreadable time still parses.
 */
int access_parse(const char *p, size_t len, struct fieldset *fs);

/*
 * One JSON object (RFC 8259, strictly): leading and trailing JSON
 * whitespace is allowed, and a leading UTF-8 BOM is skipped; anything else
 * outside the object, any syntax error (including raw control bytes inside
 * strings, invalid escapes, lone or reversed UTF-16 surrogates, numbers
 * like 01, 1., .5 or +1), a top level that is not an object, or nesting
 * deeper than JSON_FIELDS_DEPTH containers (the top object counts as 1)
 * gives -1. Bytes >= 0x80 in strings are kept as they are (invalid UTF-8
 * is not an error).
 *
 * Fields: each member of the top object, in document order, named by its
 * key; members of nested objects are named by the path of keys joined
 * with '.' ({"req":{"path":"/x"}} -> "req.path"; such names are composed
 * in scratch). A nested object is not a field itself (an empty one gives
 * nothing). Values: strings without their quotes (zero-copy without
 * escapes, else unescaped into scratch, \uXXXX and surrogate pairs as
 * UTF-8, \u0000 as a NUL byte); numbers, true, false and null as their raw
 * text; an array as the raw text of the whole array, from '[' to ']',
 * not descended into. Repeated keys give repeated fields.
 * Timestamp: the value of the first top-level member present among
 * "@timestamp", "timestamp", "time", "ts" (in that order of preference; a
 * string or a number) via ts_parse(), e.g. "2024-03-05T14:02:11.5Z" or
 * 1709647331.5. If that one does not read as a time, there is none.
 */
#define JSON_FIELDS_DEPTH 32
int json_parse_fields(const char *p, size_t len, struct fieldset *fs);

/*
 * logfmt (as go-logfmt and Heroku write it): pairs separated by bytes
 * <= 0x20 or 0x7f. A key is a run of any other bytes except '=' and '"'.
 *   key=value        value runs to the next separator (may hold '=' and '"')
 *   key="a \"b\" c"  quoted: escapes as in JSON (\" \\ \/ \b \f \n \r \t
 *                    \uXXXX with surrogate pairs) are unescaped into
 *                    scratch; an invalid escape stays as written
 *   key=             empty value
 *   key              bare key: value "true" (written once into scratch)
 * Stray tokens (a quoted string or a '=' without a key) are skipped.
 * Returns -1 when the record holds no key=value pair at all, or a quoted
 * string has no closing quote.
 * Timestamp: the value of the first key present among "time", "ts",
 * "timestamp" (in that order of preference) via ts_parse().
 */
int logfmt_parse(const char *p, size_t len, struct fieldset *fs);

/*
 * Unescape the body of a JSON string (between the quotes) p[0..len) into
 * dst, which must hold len bytes: the result is never longer. \uXXXX and
 * surrogate pairs become UTF-8; an invalid escape or a lone surrogate is
 * copied as written. Returns the bytes written. Shared by json and logfmt.
 */
size_t json_fields_unescape(const char *p, size_t len, char *dst /* OUT */);

#endif
