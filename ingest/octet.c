/*
 * octet.c - see octet.h.
 *
 * A byte-driven state machine whose hot paths work on whole spans: memchr
 * finds trailers (each position is searched once per chunk, the results are
 * kept in struct scan), and octet-counted payloads are taken by length.
 * Invariants between calls: len <= max_frame; cr_held only when
 * len == max_frame; hdr_len <= OCTET_LEN_DIGITS.
 */
#include "ingest/octet.h"

#include <errno.h>
#include <string.h>

enum {
	ST_START,   /* at a message start: the next byte decides the framing */
	ST_HEADER,  /* reading MSG-LEN digits into hdr */
	ST_COUNTED, /* inside an octet-counted frame, keeping its octets */
	ST_SKIP,    /* skipping `remain` octets of an oversized counted frame */
	ST_LINE,    /* inside a non-transparent frame */
	ST_DISCARD, /* dropping the rest of an overlong line up to its trailer */
};

/* Where the next LF and NUL are in the current chunk (NULL: none left). */
struct scan {
	const char *end;
	const char *lf, *nul;
	bool lf_known, nul_known;
};

int octet_init(struct octet_framer *f, char *buf, uint32_t cap, uint32_t max_frame)
{
	if (!buf || max_frame == 0 || cap < max_frame)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->cap = cap;
	f->max_frame = max_frame;
	f->max_count = OCTET_COUNT_MAX;
	f->nul_trailer = true;
	return 0;
}

uint32_t octet_count_cap(uint32_t max_frame)
{
	uint64_t cap = 2 * (uint64_t)max_frame;

	if (cap < OCTET_COUNT_FLOOR)
		cap = OCTET_COUNT_FLOOR;
	return cap > OCTET_COUNT_MAX ? OCTET_COUNT_MAX : (uint32_t)cap;
}

uint32_t octet_pending(const struct octet_framer *f)
{
	return f->len + f->hdr_len + (f->cr_held ? 1u : 0u);
}

static bool is_trailer(const struct octet_framer *f, char c)
{
	return c == '\n' || (c == '\0' && f->nul_trailer);
}

/* The first trailer at or after p, or NULL. */
static const char *next_trailer(const struct octet_framer *f, struct scan *s, const char *p)
{
	if (!s->lf_known || (s->lf && s->lf < p)) {
		s->lf = memchr(p, '\n', (size_t)(s->end - p));
		s->lf_known = true;
	}
	if (!f->nul_trailer)
		return s->lf;
	if (!s->nul_known || (s->nul && s->nul < p)) {
		s->nul = memchr(p, '\0', (size_t)(s->end - p));
		s->nul_known = true;
	}
	if (s->nul && (!s->lf || s->nul < s->lf))
		return s->nul;
	return s->lf;
}

/* buf[0..len) has been written: note the high-water mark. */
static void buf_touched(struct octet_framer *f, uint32_t len)
{
	if (len > f->buf_hw)
		f->buf_hw = len;
}

static void emit_frame(struct octet_framer *f, const char *p, uint32_t n, bool truncated,
		       octet_emit_fn *emit, void *ctx)
{
	f->frames++;
	f->bytes_framed += n;
	if (truncated)
		f->truncated++;
	emit(ctx, p, n, truncated);
}

/*
 * Non-transparent content with no trailer among p[0..n): keep it, or cut the
 * frame at max_frame when it overflows. A CR landing just past max_frame is
 * held: only the next byte tells a CRLF trailer from an overflow.
 */
static void line_append(struct octet_framer *f, const char *p, size_t n, octet_emit_fn *emit,
			void *ctx)
{
	uint32_t room = f->max_frame - f->len;

	if (n <= room) {
		memcpy(f->buf + f->len, p, n);
		f->len += (uint32_t)n;
		buf_touched(f, f->len);
		return;
	}
	if (n == (size_t)room + 1 && p[n - 1] == '\r') {
		memcpy(f->buf + f->len, p, room);
		f->len = f->max_frame;
		buf_touched(f, f->len);
		f->cr_held = true;
		return;
	}
	/* Overflow: the first max_frame bytes are the frame, the rest goes. */
	f->bytes_discarded += (uint64_t)f->len + n - f->max_frame;
	if (f->len == 0) {
		emit_frame(f, p, f->max_frame, true, emit, ctx);
	} else {
		memcpy(f->buf + f->len, p, room);
		buf_touched(f, f->max_frame);
		emit_frame(f, f->buf, f->max_frame, true, emit, ctx);
	}
	f->len = 0;
	f->state = ST_DISCARD;
}

/* Bad MSG-LEN header, or bare digits: the digits so far begin a line. */
static void header_to_line(struct octet_framer *f, octet_emit_fn *emit, void *ctx)
{
	uint8_t n = f->hdr_len;

	f->hdr_len = 0;
	f->len = 0;
	f->state = ST_LINE;
	line_append(f, f->hdr, n, emit, ctx);
}

static const char *do_start(struct octet_framer *f, const char *p)
{
	char c = *p;

	if (c >= '0' && c <= '9') {
		f->state = ST_HEADER;
		f->hdr_len = 0;
		return p;
	}
	if (is_trailer(f, c) || (c == ' ' && f->skip_leading_sp)) {
		f->bytes_overhead++; /* an empty frame, or a Cisco SP */
		return p + 1;
	}
	f->state = ST_LINE;
	f->len = 0;
	return p;
}

static const char *do_header(struct octet_framer *f, const char *p, const char *end,
			     octet_emit_fn *emit, void *ctx)
{
	for (; p < end; p++) {
		char c = *p;

		if (c >= '0' && c <= '9') {
			if (f->hdr_len == OCTET_LEN_DIGITS) {
				f->framing_errors++; /* too many digits */
				header_to_line(f, emit, ctx);
				return p;
			}
			f->hdr[f->hdr_len++] = c;
			continue;
		}
		if (c == ' ' && f->hdr[0] != '0') {
			uint32_t v = 0;

			for (uint8_t i = 0; i < f->hdr_len; i++)
				v = v * 10 + (uint32_t)(f->hdr[i] - '0');
			if (v > f->max_count) {
				/* Too large to trust: the digits and SP begin a line. */
				f->framing_errors++;
				header_to_line(f, emit, ctx);
				return p;
			}
			f->bytes_overhead += f->hdr_len + 1u;
			f->hdr_len = 0;
			f->count = v;
			f->len = 0;
			f->state = ST_COUNTED;
			return p + 1;
		}
		/* Digits then LF, CR or NUL: a line of digits. Else an error. */
		if (!(is_trailer(f, c) || c == '\r'))
			f->framing_errors++;
		header_to_line(f, emit, ctx);
		return p;
	}
	return p;
}

static const char *do_counted(struct octet_framer *f, const char *p, const char *end,
			      octet_emit_fn *emit, void *ctx)
{
	uint32_t keep = f->count < f->max_frame ? f->count : f->max_frame;
	size_t avail = (size_t)(end - p);
	const char *frame;

	if (f->len == 0 && avail >= keep) {
		frame = p; /* whole inside this chunk: zero-copy */
		p += keep;
	} else {
		uint32_t take = keep - f->len;

		if (avail < take)
			take = (uint32_t)avail;
		memcpy(f->buf + f->len, p, take);
		f->len += take;
		buf_touched(f, f->len);
		p += take;
		if (f->len < keep)
			return p;
		frame = f->buf;
	}
	f->len = 0;
	f->remain = f->count - keep;
	f->state = f->remain ? ST_SKIP : ST_START;
	emit_frame(f, frame, keep, f->remain != 0, emit, ctx);
	return p;
}

static const char *do_line(struct octet_framer *f, struct scan *s, const char *p,
			   octet_emit_fn *emit, void *ctx)
{
	const char *t;

	if (f->cr_held) {
		f->cr_held = false;
		if (*p == '\n') {
			f->bytes_overhead += 2; /* CRLF after exactly max_frame bytes */
			f->state = ST_START;
			emit_frame(f, f->buf, f->len, false, emit, ctx);
			f->len = 0;
			return p + 1;
		}
		/* The CR was content: one byte too many. */
		f->bytes_discarded++;
		f->state = ST_DISCARD;
		emit_frame(f, f->buf, f->len, true, emit, ctx);
		f->len = 0;
		return p;
	}
	t = next_trailer(f, s, p);
	if (!t) {
		line_append(f, p, (size_t)(s->end - p), emit, ctx);
		return s->end;
	}

	size_t k = (size_t)(t - p);
	uint64_t raw = f->len + (uint64_t)k;
	char last = k ? p[k - 1] : (f->len ? f->buf[f->len - 1] : 0);
	uint32_t cr = (*t == '\n' && raw > 0 && last == '\r') ? 1 : 0;
	uint64_t content = raw - cr;
	bool cut = content > f->max_frame;
	uint32_t n = cut ? f->max_frame : (uint32_t)content;

	f->state = ST_START;
	if (cut) {
		f->bytes_discarded += raw - f->max_frame;
		f->bytes_overhead++;
	} else {
		f->bytes_overhead += 1u + cr;
	}
	if (n == 0) {
		/* A lone CRLF: an empty frame, skipped. */
	} else if (f->len == 0) {
		emit_frame(f, p, n, cut, emit, ctx);
	} else {
		/* n < len only when the stripped CR was the last byte in buf. */
		if (n > f->len) {
			memcpy(f->buf + f->len, p, n - f->len);
			buf_touched(f, n);
		}
		emit_frame(f, f->buf, n, cut, emit, ctx);
	}
	f->len = 0;
	return t + 1;
}

static const char *do_discard(struct octet_framer *f, struct scan *s, const char *p)
{
	const char *t = next_trailer(f, s, p);

	if (!t) {
		f->bytes_discarded += (uint64_t)(s->end - p);
		return s->end;
	}
	f->bytes_discarded += (uint64_t)(t - p);
	f->bytes_overhead++;
	f->state = ST_START;
	return t + 1;
}

size_t octet_feed(struct octet_framer *f, const char *data, size_t len, octet_emit_fn *emit,
		  void *ctx)
{
	const char *p = data, *end = data + len;
	struct scan s = {.end = end};
	uint64_t before = f->frames;

	f->bytes_in += len;
	while (p < end) {
		switch (f->state) {
		case ST_START:
			p = do_start(f, p);
			break;
		case ST_HEADER:
			p = do_header(f, p, end, emit, ctx);
			break;
		case ST_COUNTED:
			p = do_counted(f, p, end, emit, ctx);
			break;
		case ST_SKIP: {
			size_t take = (size_t)(end - p);

			if (take > f->remain)
				take = f->remain;
			f->remain -= (uint32_t)take;
			f->bytes_discarded += take;
			p += take;
			if (f->remain == 0)
				f->state = ST_START;
			break;
		}
		case ST_LINE:
			p = do_line(f, &s, p, emit, ctx);
			break;
		case ST_DISCARD:
			p = do_discard(f, &s, p);
			break;
		}
	}
	return (size_t)(f->frames - before);
}

size_t octet_finish(struct octet_framer *f, octet_emit_fn *emit, void *ctx)
{
	uint64_t before = f->frames;

	if (f->state == ST_HEADER)
		header_to_line(f, emit, ctx); /* bare digits at EOF: a line */
	switch (f->state) {
	case ST_LINE:
		if (f->cr_held) {
			/* A CR past max_frame with no LF after it: overflow. */
			f->cr_held = false;
			f->bytes_discarded++;
			emit_frame(f, f->buf, f->len, true, emit, ctx);
		} else if (f->len) {
			emit_frame(f, f->buf, f->len, false, emit, ctx);
		}
		break;
	case ST_COUNTED:
		/* The stream ended inside a counted frame: keep what came. */
		if (f->len)
			emit_frame(f, f->buf, f->len, true, emit, ctx);
		else
			f->truncated++;
		break;
	default:
		break;
	}
	f->len = 0;
	f->remain = 0;
	f->state = ST_START;
	return (size_t)(f->frames - before);
}
