/* test_frame.c - line framing: partial lines across reads, cuts at max_line. */
#include "ingest/frame.h"

#include <criterion/criterion.h>
#include <string.h>

struct fbuf {
	char buf[256];
	uint32_t len, complete;
	struct framer fr;
};

static void feed(struct fbuf *f, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);

	memcpy(f->buf + f->len, s, n);
	f->len = frame_feed(&f->fr, f->buf, f->len + n, n, &f->complete);
}

/* Take the whole records out, as ingest does when it ships a batch. */
static void ship(struct fbuf *f, char *out, size_t cap)
{
	cr_assert_lt(f->complete, cap);
	memcpy(out, f->buf, f->complete);
	out[f->complete] = '\0';
	memmove(f->buf, f->buf + f->complete, f->len - f->complete);
	f->len -= f->complete;
	f->complete = 0;
}

Test(frame, whole_lines_are_complete)
{
	struct fbuf f = {.fr.max_line = 64};

	feed(&f, "one\ntwo\n");
	cr_assert_eq(f.complete, 8);
	cr_assert_eq(f.len, 8);
}

Test(frame, partial_line_waits_across_reads)
{
	struct fbuf f = {.fr.max_line = 64};
	char out[256];

	feed(&f, "one\ntw");
	cr_assert_eq(f.complete, 4);
	cr_assert_eq(f.len, 6);
	ship(&f, out, sizeof(out));
	cr_assert_str_eq(out, "one\n");
	feed(&f, "o\nthr");
	cr_assert_eq(f.complete, 4);
	ship(&f, out, sizeof(out));
	cr_assert_str_eq(out, "two\n");
	feed(&f, "ee");
	cr_assert_eq(f.complete, 0);
	cr_assert_eq(f.len, 5);
}

Test(frame, crlf_is_kept_for_the_scanner_to_strip)
{
	struct fbuf f = {.fr.max_line = 64};

	feed(&f, "a\r\nb\r");
	cr_assert_eq(f.complete, 3);
	feed(&f, "\n");
	cr_assert_eq(f.complete, 6);
}

Test(frame, finish_makes_last_line_a_record)
{
	struct fbuf f = {.fr.max_line = 64};

	feed(&f, "x\nlast");
	f.len = frame_finish(&f.fr, f.buf, f.len, &f.complete);
	cr_assert_eq(f.complete, 7);
	cr_assert_eq(memcmp(f.buf, "x\nlast\n", 7), 0);
	/* Nothing partial: finish adds nothing. */
	f.len = frame_finish(&f.fr, f.buf, f.len, &f.complete);
	cr_assert_eq(f.len, 7);
}

Test(frame, overlong_line_is_cut_and_rest_discarded)
{
	struct fbuf f = {.fr.max_line = 8};
	char out[256];

	feed(&f, "ok\n0123456789ABCDEF");
	/* "ok\n" + the first 8 bytes of the long line, then a '\n'. */
	cr_assert_eq(f.complete, 12);
	cr_assert_eq(f.len, 12);
	cr_assert_eq(memcmp(f.buf, "ok\n01234567\n", 12), 0);
	cr_assert_eq(f.fr.lines_truncated, 1);
	cr_assert_eq(f.fr.bytes_discarded, 8); /* "89ABCDEF" */
	ship(&f, out, sizeof(out));
	/* The rest of the long line keeps being dropped until its '\n'. */
	feed(&f, "GHIJ");
	cr_assert_eq(f.len, 0);
	cr_assert_eq(f.fr.bytes_discarded, 12);
	feed(&f, "KL\nnext\n");
	cr_assert_eq(f.len, 5);
	cr_assert_eq(f.complete, 5);
	cr_assert_eq(memcmp(f.buf, "next\n", 5), 0);
	cr_assert_eq(f.fr.bytes_discarded, 14);
	cr_assert_eq(f.fr.lines_truncated, 1);
	cr_assert(!f.fr.discarding);
}

Test(frame, line_of_exactly_max_line_is_kept)
{
	struct fbuf f = {.fr.max_line = 8};

	feed(&f, "01234567");
	cr_assert_eq(f.fr.lines_truncated, 0);
	feed(&f, "\n");
	cr_assert_eq(f.complete, 9);
	cr_assert_eq(f.fr.lines_truncated, 0);
}

Test(frame, partial_never_exceeds_max_line)
{
	struct fbuf f = {.fr.max_line = 16};
	char out[256];
	int i;

	/* A byte at a time, a very long line: the buffer stays bounded. */
	for (i = 0; i < 200; i++) {
		feed(&f, "z");
		cr_assert_leq(f.len - f.complete, 16);
		if (f.complete)
			ship(&f, out, sizeof(out));
	}
	cr_assert_eq(f.fr.lines_truncated, 1);
	cr_assert_eq(f.fr.bytes_discarded, 200 - 16);
}
