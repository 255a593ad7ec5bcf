/*
 * syslog.h - parse one syslog message (RFC 5424, RFC 3164 and what real
 * senders emit) into fields, without I/O and without allocating.
 *
 * Zero-copy: every string in struct syslog_msg points into the caller's
 * buffer, which must outlive the msg. The parser owns nothing and keeps no
 * state between calls, so it is safe in any thread. It reads only
 * buf[0..len), whatever the bytes (NUL, invalid UTF-8, any length), and runs
 * in time linear in len.
 *
 * A string field is {NULL, 0} when it is absent or NILVALUE ("-"); a present
 * but empty field (an empty MSG after "tag:") has p != NULL and len 0. Use
 * syslog_str_nil() to tell them apart, or just len for "has text".
 *
 * What is accepted, and how it is split:
 *  - Trailing '\n', '\r' and NUL bytes are trimmed here; the caller need not.
 *  - PRI: "<" 1-3 digits ">", 0..191, no leading zero ("<0>" is fine). A
 *    buffer that starts with '<' but has no valid PRI is returned whole as
 *    msg with parse_error set (format RAW). Without a PRI, or with a bad one,
 *    facility/severity are user.notice (RFC 3164 4.3.3) and pri is -1.
 *  - RFC 5424 ("<PRI>VERSION SP ..."): each header field strictly per the
 *    ABNF. TIMESTAMP is RFC 3339 with 1-6 fraction digits and Z or +-hh:mm;
 *    anything else (7+ digits, no offset) makes it invalid: timestamp nil,
 *    parse_error (RFC 5424 6.2.3.1 Example 5). Fields over their limits
 *    (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32, SD-NAME 32) are kept
 *    whole and flagged SYSLOG_F_OVERLONG, not an error. STRUCTURED-DATA is
 *    NILVALUE or SD-ELEMENTs back to back; an SP ends it and the rest is MSG.
 *    Invalid SD: structured_data nil, msg = everything from the SD field on,
 *    parse_error. PARAM-VALUEs without quotes (VMware ESXi sends them) are
 *    accepted and flagged SYSLOG_F_SD_UNQUOTED. A UTF-8 BOM at the start of
 *    MSG is stripped (has_bom). MSG is nil when the message ends after SD.
 *  - RFC 3164 / legacy ("<PRI>" then anything else, or no PRI):
 *    TIMESTAMP "Mmm dd hh:mm:ss" (any case, day space-padded or not), also
 *    with a year inside ("Mmm dd yyyy hh:mm:ss"), a fraction, a trailing ':'
 *    (Cisco), a Cisco "NN: " sequence number and '*'/'.' sync mark before it,
 *    and a 4-digit year right after it; or an ISO 8601 / RFC 3339 stamp
 *    ('T' or ' ', any fraction digits with the first 6 kept, offset
 *    optional). Stamps without a zone use default_tz_offset_s; stamps without
 *    a year get the year that puts them at most SYSLOG_FUTURE_SLACK_S after
 *    now_ms, in whole seconds (so "Dec 31" received on Jan 2 is last
 *    year's). The stamps are read by pattern/stamp.h, which says how these
 *    forms differ from the ones `time:` accepts (pattern/timestamp.h).
 *    HOSTNAME is the word after the stamp if it is made of letters, digits,
 *    '.', '-', '_' and ':' (as rsyslog checks) and does not look like a TAG
 *    ("name:" with no other ':'); otherwise the sender left the hostname
 *    out and the word is the TAG. With a PRI but no stamp there is no
 *    hostname. A single hostname-like word after the stamp that ends the
 *    message is the hostname.
 *    TAG is the next word, up to ':', '[' or SP (at most 128 bytes), as
 *    RFC 3164 4.1.3, rsyslog and syslog-ng take it: app_name = the word,
 *    procid = the text in [] (no SP, at most 128 bytes), tag = the raw
 *    "app[pid]:". A word followed by anything but ':', "[pid]", SP or the
 *    end ("a:b", "f[1]x") is not a TAG: it stays in msg. msg is what follows
 *    the tag with ONE space after it removed (rsyslog keeps that space;
 *    RFC 3164 counts the ':' and the space as part of CONTENT, we do not).
 *    body holds the whole RFC 3164 MSG part (TAG + CONTENT).
 *  - No PRI and no recognisable stamp: the line is not syslog; it is
 *    returned whole as msg (format RAW) with no other field, and it is not
 *    a parse error.
 *
 * ts_ms is INT64_MIN when there is no valid stamp (timestamp may still hold
 * the text of a legacy stamp that names no real time, like Feb 29 2019);
 * the caller then uses its receive time. hostname is nil when the message names none; the caller
 * may use the sender's address.
 */
#ifndef WEIR_SYSLOG_H
#define WEIR_SYSLOG_H

#include "config/syslog_names.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A stamp without a year may lie this far in the future of now_ms. */
#define SYSLOG_FUTURE_SLACK_S (7 * 86400)
/* Longest RFC 3164 TAG word taken as app_name (RFC 3164 says 32). */
#define SYSLOG_TAG_MAX 128

/* A view into the parsed buffer. {NULL, 0}: absent or NILVALUE. */
struct syslog_str {
	const char *p;
	uint32_t len;
};

enum syslog_format {
	SYSLOG_FMT_RAW = 0, /* no usable header: the whole input is msg */
	SYSLOG_FMT_RFC3164, /* "<PRI>" then a legacy (BSD) header, or none */
	SYSLOG_FMT_RFC5424, /* "<PRI>VERSION SP ..." */
	SYSLOG_FMT_NOPRI,   /* no PRI, but a legacy header with a timestamp */
};

/* Bits of syslog_msg.flags. The first four make parse_error true. */
#define SYSLOG_F_BAD_PRI 0x01u	     /* starts with '<' but no valid PRI */
#define SYSLOG_F_BAD_HEADER 0x02u    /* RFC 5424 header cut short or an empty field */
#define SYSLOG_F_BAD_TIMESTAMP 0x04u /* RFC 5424 TIMESTAMP not RFC 3339 per the ABNF */
#define SYSLOG_F_BAD_SD 0x08u	     /* RFC 5424 STRUCTURED-DATA malformed */
#define SYSLOG_F_OVERLONG 0x10u	     /* a field over its RFC limit (kept whole) */
#define SYSLOG_F_SD_UNQUOTED 0x20u   /* an SD PARAM-VALUE without quotes (accepted) */
#define SYSLOG_F_CUT 0x40u	     /* input over UINT32_MAX bytes: only the first were parsed */
#define SYSLOG_F_ERRORS                                                                            \
	(SYSLOG_F_BAD_PRI | SYSLOG_F_BAD_HEADER | SYSLOG_F_BAD_TIMESTAMP | SYSLOG_F_BAD_SD)

/* One parsed message. A zeroed struct is not meaningful; syslog_parse()
 * fills every field. Borrows the parsed buffer (see the file comment). */
struct syslog_msg {
	int pri;      /* 0..191, or -1: none or invalid */
	int facility; /* 0..23; 1 (user) when pri is -1 */
	int severity; /* 0..7; 5 (notice) when pri is -1 */
	int version;  /* RFC 5424 VERSION (1..999); 0 for legacy and raw */
	enum syslog_format format;
	bool parse_error;		   /* flags & SYSLOG_F_ERRORS: some part did not parse */
	bool has_bom;			   /* an RFC 5424 MSG began with a UTF-8 BOM (stripped) */
	uint32_t flags;			   /* SYSLOG_F_* */
	struct syslog_str timestamp;	   /* the stamp's text, as sent */
	struct syslog_str hostname;	   /* nil: none in the message */
	struct syslog_str app_name;	   /* RFC 5424 APP-NAME, or the RFC 3164 TAG word */
	struct syslog_str procid;	   /* RFC 5424 PROCID, or the [pid] of the TAG */
	struct syslog_str msgid;	   /* RFC 5424 only */
	struct syslog_str structured_data; /* raw SD-ELEMENTs, escapes kept; nil for "-" */
	struct syslog_str msg;		   /* the message text (see the file comment) */
	struct syslog_str tag;		   /* RFC 3164 only: the raw TAG, "app[pid]:" */
	struct syslog_str body;		   /* text after the header: RFC 3164 TAG + CONTENT,
					      RFC 5424 MSG with its BOM, RAW the whole input */
	int64_t ts_ms;	      /* epoch milliseconds (UTC), or INT64_MIN: no valid stamp */
	int32_t ts_usec;      /* microseconds within the second, 0..999999 */
	int32_t utc_offset_s; /* the stamp's offset from UTC (0 when ts_ms is INT64_MIN) */
};

/*
 * Parse buf[0..len) into *out (OUT). now_ms (epoch ms) picks the year of a
 * stamp that has none; default_tz_offset_s (seconds east of UTC) is applied
 * to stamps without a zone. Never fails on content: returns 0, or -EBADMSG
 * when out->parse_error is set (out is filled either way), or -EINVAL when
 * out is NULL, or buf is NULL with len > 0.
 */
int syslog_parse(const char *buf, size_t len, int64_t now_ms, int32_t default_tz_offset_s,
		 struct syslog_msg *out);

static inline bool syslog_str_nil(struct syslog_str s)
{
	return s.p == NULL;
}

/*
 * Walking STRUCTURED-DATA. syslog_sd_next() returns SYSLOG_SD_ELEMENT (item
 * id set; name and value nil), then SYSLOG_SD_PARAM once per parameter (id is
 * still the element's, name and value set; value is raw: escapes still in,
 * quotes removed), then the next element, and so on; SYSLOG_SD_END at the
 * end, or -EINVAL when the text is malformed (after which it keeps returning
 * -EINVAL). Works on any text: a structured_data from syslog_parse() always
 * walks to SYSLOG_SD_END. The iterator borrows the text.
 */
enum syslog_sd_kind {
	SYSLOG_SD_END = 0,
	SYSLOG_SD_ELEMENT = 1,
	SYSLOG_SD_PARAM = 2,
};

struct syslog_sd_iter {
	const char *p, *end;
	struct syslog_str id; /* the current element */
	uint32_t flags;	      /* SYSLOG_F_OVERLONG / SYSLOG_F_SD_UNQUOTED seen so far */
	int state;	      /* internal */
};

struct syslog_sd_item {
	struct syslog_str id, name, value;
};

void syslog_sd_iter_init(struct syslog_sd_iter *it /* OUT */, struct syslog_str sd);
int syslog_sd_next(struct syslog_sd_iter *it, struct syslog_sd_item *item /* OUT */);

/*
 * Undo RFC 5424 PARAM-VALUE escaping (\" \\ \] ; a backslash before any
 * other byte stays). Writes at most cap - 1 bytes and a NUL to dst (nothing
 * when cap is 0) and returns the full unescaped length, like snprintf: the
 * result was cut when the return value >= cap.
 */
size_t syslog_sd_unescape(struct syslog_str value, char *dst /* OUT */, size_t cap);

#endif
