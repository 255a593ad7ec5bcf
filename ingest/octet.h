/*
 * octet.h - RFC 6587 framing of syslog over a TCP stream: octet counting
 * and non-transparent (LF) framing, detected per message. One framer per
 * connection; pure and allocation-free, so tests and fuzzers call it
 * directly.
 *
 * Detection (RFC 6587 §3.4), decided again at the start of every message,
 * as rsyslog does, so a sender that mixes framings stays in sync:
 *   - a digit starts a candidate MSG-LEN. Digits followed by SP form an
 *     octet-counting header `MSG-LEN SP` when valid: 1 to 9 digits without a
 *     leading zero, at most max_count (by default OCTET_COUNT_MAX,
 *     999,999,999; weir's listeners set octet_count_cap(max_frame)). The
 *     next MSG-LEN octets are the frame, exactly (a trailing LF inside them
 *     is part of the frame: the framer does not strip it; rsyslog's parser
 *     does).
 *   - at most 9 digits ended directly by LF, CR or a NUL trailer are an
 *     ordinary line made of digits (e.g. "19\n"): no error.
 *   - anything else is a framing error (counted): a leading zero ("0 <13>",
 *     "0007 x"), a tenth digit, a MSG-LEN above max_count ("12345678 <13>x"
 *     with the listeners' cap: a bogus count would otherwise swallow that
 *     many octets of the messages after it), or a byte other than a digit,
 *     SP, LF, CR or a NUL trailer after the digits ("1q", "2024-05-01"). The framer
 *     resyncs by taking that message as non-transparent: the whole line,
 *     digits and SP included, byte for byte, is one frame ending at the next
 *     trailer. (Like every auto-detecting receiver, a plain line that starts
 *     "20240501 " is taken as a valid MSG-LEN, and that many octets go.)
 *   - any other first byte ('<' or not) starts a non-transparent frame.
 * Non-transparent trailers: LF; CRLF (the CR is not part of the frame; a CR
 * elsewhere is); NUL when nul_trailer is set (the default, as syslog-ng and
 * rsyslog's AddtlFrameDelimiter=0 do). An empty frame (a trailer or CRLF
 * right at a message start, e.g. a stray LF after an octet-counted frame) is
 * skipped: its bytes are overhead.
 * With skip_leading_sp (off by default), SP bytes at a message start are
 * dropped (the Cisco ASA fix, rsyslog's framingfix.cisco.asa).
 *
 * Limits (every frame is at most max_frame bytes):
 *   - octet counting, max_frame < MSG-LEN <= max_count: the first max_frame octets are
 *     emitted as a truncated frame as soon as they are in; the other
 *     MSG-LEN - max_frame are skipped by count (bytes_discarded), so framing
 *     stays in sync.
 *   - non-transparent, more than max_frame bytes before the trailer (not
 *     counting the CR of a CRLF): the first max_frame bytes are emitted as a
 *     truncated frame; every byte after them up to the trailer (a CR before
 *     the LF included) is discarded. A line of exactly max_frame is whole.
 *
 * Zero-copy: a frame that lies whole inside one chunk is emitted straight
 * from the caller's data. Only a frame that spans chunks is copied into buf
 * (at most max_frame bytes), plus up to 9 header digits inside the struct
 * (a frame cut from those alone, max_frame < 9, is emitted from there).
 * buf_hw says how far into buf the framer has written, so a caller whose
 * buf is committed as it is touched (an anonymous mapping) can give the
 * pages past the partial frame back and zero it.
 * The frame pointer passed to emit is valid only during that call.
 *
 * Accounting (every byte fed is exactly one of these, at every moment):
 *   bytes_in == bytes_framed + bytes_overhead + bytes_discarded + octet_pending(f)
 * bytes_overhead is framing syntax: MSG-LEN headers with their SP, trailers
 * (LF, the CR of CRLF, NUL), skipped leading SPs. After octet_finish,
 * octet_pending is 0.
 *
 * octet_init must come first (a zeroed struct is not a usable framer).
 * Ownership: the caller owns the framer and buf (cap >= max_frame bytes,
 * alive as long as the framer); the framer owns neither.
 */
#ifndef WEIR_OCTET_H
#define WEIR_OCTET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCTET_LEN_DIGITS 9	      /* longest valid MSG-LEN, in digits */
#define OCTET_COUNT_MAX 999999999u    /* the largest MSG-LEN of 9 digits */
#define OCTET_COUNT_FLOOR (64u << 10) /* octet_count_cap is at least this */

/* Receives one frame. frame[0..len) is borrowed for the call only. */
typedef void octet_emit_fn(void *ctx, const char *frame, uint32_t len, bool truncated);

struct octet_framer {
	char *buf;	      /* partial frame across chunks; caller-owned */
	uint32_t cap;	      /* size of buf */
	uint32_t max_frame;   /* longest frame emitted */
	uint32_t len;	      /* bytes of the partial frame in buf */
	uint32_t buf_hw;      /* most bytes of buf written since the caller zeroed it */
	uint32_t count;	      /* octet counting: MSG-LEN of the current frame */
	uint32_t max_count;   /* largest MSG-LEN taken as a frame; larger: a framing error */
	uint32_t remain;      /* octet counting: octets still to skip */
	uint8_t state;	      /* enum in octet.c */
	uint8_t hdr_len;      /* digits in hdr */
	bool cr_held;	      /* a CR after max_frame bytes: trailer or overflow */
	bool nul_trailer;     /* NUL also ends a non-transparent frame (default on) */
	bool skip_leading_sp; /* drop SPs at a message start (default off) */
	char hdr[OCTET_LEN_DIGITS];

	uint64_t frames;	  /* frames emitted */
	uint64_t truncated;	  /* frames cut short (at max_frame or by EOF) */
	uint64_t framing_errors;  /* invalid or too large MSG-LEN headers (resynced as lines) */
	uint64_t bytes_in;	  /* every byte fed */
	uint64_t bytes_framed;	  /* bytes emitted in frames */
	uint64_t bytes_overhead;  /* headers, trailers, skipped SPs */
	uint64_t bytes_discarded; /* cut-off rests of oversized frames */
};

/*
 * Sets up f for a new connection: zeroes state and counters, nul_trailer on,
 * max_count OCTET_COUNT_MAX (every 9-digit MSG-LEN is a frame; set a lower
 * one after init). buf (cap bytes, cap >= max_frame >= 1) is borrowed for
 * the framer's life. Returns 0, or -EINVAL for bad sizes or a NULL buf.
 */
int octet_init(struct octet_framer *f, char *buf, uint32_t cap, uint32_t max_frame);

/*
 * The max_count weir's TCP listeners use with frames of at most max_frame
 * bytes: twice max_frame, and at least OCTET_COUNT_FLOOR (64 KiB, syslog-ng's
 * default message size), at most OCTET_COUNT_MAX. A frame a little above
 * max_frame is still cut and skipped by count (the sender's limit is just
 * higher); a count far above it is taken for garbage, not trusted to skip
 * megabytes of the messages that follow.
 */
uint32_t octet_count_cap(uint32_t max_frame);

/*
 * Consumes all of data[0..len) (any chunking gives the same frames) and
 * calls emit for each frame completed. Returns the number of frames emitted.
 */
size_t octet_feed(struct octet_framer *f, const char *data, size_t len, octet_emit_fn *emit,
		  void *ctx);

/*
 * End of stream. A pending non-transparent frame (no trailer yet) or bare
 * digits are emitted as a frame. A partial octet-counted frame is emitted
 * with truncated set and counted in truncated (if no octet of it arrived,
 * it is only counted). The framer is then back at a message start.
 * Returns the number of frames emitted (0 or 1).
 */
size_t octet_finish(struct octet_framer *f, octet_emit_fn *emit, void *ctx);

/* Bytes consumed but not yet emitted, counted or discarded. */
uint32_t octet_pending(const struct octet_framer *f);

#endif
