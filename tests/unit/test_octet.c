/*
 * test_octet.c - RFC 6587 TCP framing: the shared framing cases (fed whole,
 * a byte at a time, split at every position and in the upstream chunks),
 * hand-written edge cases, and 1 MB of random bytes in random chunks.
 *
 * Every run checks the accounting invariant of octet.h after every feed:
 *   bytes_in == bytes_framed + bytes_overhead + bytes_discarded + pending
 * with pending == 0 after octet_finish, and that the emitted frame lengths
 * add up to bytes_framed. The framer's buffer is malloc'd with exactly
 * max_frame bytes so that ASan sees any overrun.
 */
#include "ingest/octet.h"
#include "tests/unit/testdata.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_FRAME 8192 /* for cases whose context gives no limit */
#define CASES_FILE "syslog/rfc6587_framing_cases.jsonl"
#define CASES_EXPECTED 29

/* ---- collecting frames ---------------------------------------------- */

struct frame {
	char *p;
	uint32_t len;
	bool truncated;
};

struct frames {
	struct frame *v;
	size_t n, cap;
	uint64_t bytes;
};

struct counters {
	uint64_t frames, truncated, framing_errors, bytes_in, bytes_framed, bytes_overhead,
	    bytes_discarded;
};

static void collect(void *ctx, const char *p, uint32_t len, bool truncated)
{
	struct frames *fs = ctx;

	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 16;
		fs->v = realloc(fs->v, fs->cap * sizeof(*fs->v));
		cr_assert_not_null(fs->v);
	}
	fs->v[fs->n].p = malloc(len ? len : 1);
	cr_assert_not_null(fs->v[fs->n].p);
	memcpy(fs->v[fs->n].p, p, len);
	fs->v[fs->n].len = len;
	fs->v[fs->n].truncated = truncated;
	fs->n++;
	fs->bytes += len;
}

static void frames_free(struct frames *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].p);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

static bool frames_equal(const struct frames *a, const struct frames *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].len != b->v[i].len || a->v[i].truncated != b->v[i].truncated ||
		    memcmp(a->v[i].p, b->v[i].p, a->v[i].len) != 0)
			return false;
	return true;
}

static void counters_add(struct counters *c, const struct octet_framer *f)
{
	c->frames += f->frames;
	c->truncated += f->truncated;
	c->framing_errors += f->framing_errors;
	c->bytes_in += f->bytes_in;
	c->bytes_framed += f->bytes_framed;
	c->bytes_overhead += f->bytes_overhead;
	c->bytes_discarded += f->bytes_discarded;
}

/* The accounting invariant of octet.h. */
static bool balanced(const struct octet_framer *f)
{
	return f->bytes_in ==
	       f->bytes_framed + f->bytes_overhead + f->bytes_discarded + octet_pending(f);
}

/* ---- a framer with an exact-size heap buffer ------------------------ */

struct opts {
	uint32_t max_frame;
	bool no_nul_trailer;
	bool skip_leading_sp;
	uint32_t max_count; /* 0: octet_init's default (OCTET_COUNT_MAX) */
};

struct harness {
	struct octet_framer f;
	char *buf;
	struct frames *out;
};

static void h_init(struct harness *h, const struct opts *o, struct frames *out)
{
	h->buf = malloc(o->max_frame);
	cr_assert_not_null(h->buf);
	cr_assert_eq(octet_init(&h->f, h->buf, o->max_frame, o->max_frame), 0);
	h->f.nul_trailer = !o->no_nul_trailer;
	h->f.skip_leading_sp = o->skip_leading_sp;
	if (o->max_count)
		h->f.max_count = o->max_count;
	h->out = out;
}

static void h_feed(struct harness *h, const char *p, size_t n)
{
	uint64_t before = h->out->n;
	size_t got = octet_feed(&h->f, p, n, collect, h->out);

	cr_assert_eq(got, h->out->n - before, "octet_feed returned %zu frames, emitted %zu", got,
		     (size_t)(h->out->n - before));
	cr_assert(balanced(&h->f), "accounting broken after a %zu-byte feed", n);
	cr_assert_leq(octet_pending(&h->f), h->f.max_frame + OCTET_LEN_DIGITS + 1);
}

static void h_finish(struct harness *h, struct counters *sum)
{
	octet_finish(&h->f, collect, h->out);
	cr_assert_eq(octet_pending(&h->f), 0);
	cr_assert(balanced(&h->f), "accounting broken after finish");
	for (size_t i = 0; i < h->out->n; i++)
		cr_assert_leq(h->out->v[i].len, h->f.max_frame);
	if (sum)
		counters_add(sum, &h->f);
	free(h->buf);
	h->buf = NULL;
}

/* Feeds s[0..n) in pieces of `step` bytes (0: whole), finishes. */
static void run_stepped(const struct opts *o, const char *s, size_t n, size_t step,
			struct frames *out, struct counters *sum)
{
	struct harness h;

	h_init(&h, o, out);
	if (step == 0) {
		h_feed(&h, s, n);
	} else {
		for (size_t i = 0; i < n; i += step)
			h_feed(&h, s + i, n - i < step ? n - i : step);
	}
	h_finish(&h, sum);
}

/* ---- the shared framing cases --------------------------------------- */

struct bytes {
	char *p;
	size_t n;
};

static struct bytes b64_decode(const char *s)
{
	struct bytes b;

	b.p = td_b64_decode(s, &b.n);
	cr_assert_not_null(b.p, "bad base64 in the case file (or out of memory)");
	return b;
}

static struct bytes b64_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	cr_assert(json_is_string(v), "missing %s", key);
	return b64_decode(json_string_value(v));
}

/* What weir emits where it deliberately differs from an implementation. */
struct wframe {
	const char *s;
	uint32_t len;
	bool truncated;
};
#define WF(str, tr)                                                                                \
	{                                                                                          \
		str, sizeof(str) - 1, tr                                                           \
	}
#define MSG41 "<120> 2011-03-01T11:22:12Z host msgnum:1"
#define MARCH "<33>Mar  1 01:00:00 172.20.245.8 tag "
#define Z16 "0000000000000000"

struct deviation {
	const char *id;
	const char *reason;
	uint64_t framing_errors;
	size_t n;
	struct wframe frames[20];
};

/*
 * The allow-list: every case where weir's frames differ from what the
 * implementation shows (or where upstream checks something other than
 * frames), with weir's exact frames. Any other difference fails, and so does
 * an entry whose frames equal upstream's (stale).
 */
static const struct deviation deviations[] = {
    {"syslogng-framed-invalid-header",
     "syslog-ng closes the connection on a bad header; weir counts a framing error and resyncs: "
     "the data is a non-transparent line (cut at max_frame 32, no LF follows)",
     1,
     1,
     {WF("1q 0123456789ABCDEF0123456789ABC", true)}},
    {"syslogng-framed-too-long",
     "syslog-ng without trimming closes the connection; weir always trims an oversized counted "
     "frame to max_frame and skips the rest by count (as syslog-ng with trim_large_messages)",
     0,
     1,
     {WF("0123456789ABCDEF0123456789ABCDEF", true)}},
    {"syslogng-auto-initial-too-long",
     "a 9-digit MSG-LEN is valid for weir: above max_frame, so it is trimmed; the stream ends "
     "inside the frame, so what came is emitted as truncated at EOF (syslog-ng: error)",
     0,
     1,
     {WF("too long\n", true)}},
    {"rsyslog-octet-41-twice",
     "RFC 6587: MSG-LEN covers the whole SYSLOG-MSG, so the frame keeps its trailing LF; "
     "rsyslog's parser strips it later, weir's framer delivers the exact octets",
     0,
     2,
     {WF(MSG41 "\n", false), WF(MSG41 "\n", false)}},
    {"rsyslog-octet-invalid-len-1",
     "invalid MSG-LEN (more than 9 digits): weir keeps the whole line byte for byte; rsyslog "
     "loses the SP after the digits",
     1,
     1,
     {WF("214000000000 " MSG41, false)}},
    {"rsyslog-octet-invalid-len-2",
     "invalid MSG-LEN (10 digits): weir keeps the whole line; rsyslog loses the SP",
     1,
     1,
     {WF("2000000010 " MSG41, false)}},
    {"rsyslog-octet-invalid-len-3",
     "invalid MSG-LEN (10 digits): weir keeps the whole line; rsyslog loses the SP",
     1,
     1,
     {WF("4000000000 " MSG41, false)}},
    {"rsyslog-octet-invalid-len-4",
     "MSG-LEN 0 (leading zero): weir keeps the whole line; rsyslog drops the \"0 \"",
     1,
     1,
     {WF("0 " MSG41, false)}},
    {"rsyslog-octet-then-ok-sequence",
     "the eight connections above together: trailing LF kept in counted frames, invalid "
     "headers kept verbatim",
     5,
     9,
     {WF(MSG41 "\n", false), WF(MSG41 "\n", false), WF("214000000000 " MSG41, false),
      WF(MSG41 "\n", false), WF("214000000000 " MSG41, false), WF(MSG41 "\n", false),
      WF("2000000010 " MSG41, false), WF("4000000000 " MSG41, false), WF("0 " MSG41, false)}},
    {"rsyslog-lf-then-digits",
     "upstream checks a log line and rsyslog's output (digits kept, SP lost, cut at 128); weir "
     "counts the framing error and cuts the verbatim line at max_frame 128",
     1,
     2,
     {WF("<120> 2011-03-01T11:22:12Z host tag: this is a way too long message that has ab", false),
      WF("9876543210 cdefghijklmn test8 test9 test10 test11 test12 test13 test14 test15 "
	 "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk tag: testtest",
	 true)}},
    {"rsyslog-maxframesize",
     "upstream checks a log line; rsyslog's maxFrameSize rejects MSG-LEN 1005 > 100 and "
     "switches to LF framing. weir takes a valid MSG-LEN above max_frame as an oversized "
     "frame (trim, skip by count); the stream ends inside it, so what came is emitted at EOF",
     0,
     1,
     {WF("<120> 2011-03-01T11:22:12Z host tag: this is a way too long message\n", true)}},
    {"rsyslog-octet-huge-zero-padded-len",
     "upstream checks a log line and no crash; a leading zero can never start MSG-LEN (and "
     "more than 9 digits are never buffered), so weir counts a framing error and cuts the "
     "verbatim line at max_frame 128",
     1,
     1,
     {WF(Z16 Z16 Z16 Z16 Z16 Z16 Z16 Z16, true)}},
    {"rsyslog-framing-delimiter-regex",
     "rsyslog's framing.delimiter.regex assembles multi-line messages; that is not RFC 6587 "
     "framing, weir frames each LF-ended line (empty lines are skipped)",
     0,
     16,
     {WF(MARCH "test1", false), WF(MARCH "test xml-ish", false), WF("<test/>", false),
      WF(MARCH "test2", false), WF(MARCH "multi", false), WF("line1", false),
      WF(MARCH "multi", false), WF(" l", false), WF(" i", false), WF(" n", false), WF("e2", false),
      WF(MARCH "test3", false), WF(MARCH "multi", false), WF("line3", false),
      WF(MARCH "test4", false), WF(MARCH "test end", false)}},
};

static const struct deviation *find_deviation(const char *id)
{
	for (size_t i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++)
		if (strcmp(deviations[i].id, id) == 0)
			return &deviations[i];
	return NULL;
}

static struct opts case_opts(json_t *c)
{
	json_t *ctx = json_object_get(c, "context");
	const char *keys[] = {"max_msg_size", "max_message_size", "maxFrameSize"};
	const char *mode = json_string_value(json_object_get(ctx, "mode"));
	struct opts o = {.max_frame = DEFAULT_MAX_FRAME};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(ctx, keys[i]);

		if (json_is_integer(v))
			o.max_frame = (uint32_t)json_integer_value(v);
	}
	o.skip_leading_sp = mode && strstr(mode, "framingfix.cisco.asa=\"on\"");
	return o;
}

/* The case's input: one stream per connection. */
static size_t case_streams(json_t *c, struct bytes *conns, size_t max)
{
	json_t *arr = json_object_get(c, "connections_b64");

	if (json_is_array(arr)) {
		cr_assert_leq(json_array_size(arr), max);
		for (size_t i = 0; i < json_array_size(arr); i++)
			conns[i] = b64_decode(json_string_value(json_array_get(arr, i)));
		return json_array_size(arr);
	}
	if (json_object_get(c, "stream_b64"))
		conns[0] = b64_field(c, "stream_b64");
	else
		conns[0] = b64_field(c, "message_b64"); /* a message-parser case */
	return 1;
}

enum mode { M_WHOLE, M_BYTES, M_SPLIT, M_CHUNKS };

/* Runs every connection of a case with one chunking; split: cut at pos. */
static void run_case(const struct opts *o, const struct bytes *conns, size_t nconn, enum mode m,
		     size_t pos, json_t *chunks, struct frames *out, struct counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < nconn; i++) {
		const char *s = conns[i].p;
		size_t n = conns[i].n;
		struct harness h;

		switch (m) {
		case M_WHOLE:
			run_stepped(o, s, n, 0, out, sum);
			break;
		case M_BYTES:
			run_stepped(o, s, n, 1, out, sum);
			break;
		case M_SPLIT:
			h_init(&h, o, out);
			h_feed(&h, s, pos < n ? pos : n);
			h_feed(&h, s + (pos < n ? pos : n), pos < n ? n - pos : 0);
			h_finish(&h, sum);
			break;
		case M_CHUNKS:
			h_init(&h, o, out);
			for (size_t k = 0; k < json_array_size(chunks); k++) {
				struct bytes b =
				    b64_decode(json_string_value(json_array_get(chunks, k)));

				h_feed(&h, b.p, b.n);
				free(b.p);
			}
			h_finish(&h, sum);
			break;
		}
	}
	cr_assert_eq(out->bytes, sum->bytes_framed);
}

static bool same_as_expected_frames(json_t *exp, const struct frames *got, const char *id)
{
	if (json_array_size(exp) != got->n)
		return false;
	for (size_t i = 0; i < got->n; i++) {
		json_t *e = json_array_get(exp, i);
		json_t *text = json_object_get(e, "text");
		struct bytes b;
		bool eq;

		if (json_is_string(text)) {
			b.n = json_string_length(text);
			b.p = malloc(b.n + 1);
			memcpy(b.p, json_string_value(text), b.n);
		} else {
			b = b64_field(e, "b64");
		}
		cr_assert_eq((json_int_t)b.n, json_integer_value(json_object_get(e, "len")),
			     "%s: frame %zu: len field disagrees with its bytes", id, i);
		eq = b.n == got->v[i].len && memcmp(b.p, got->v[i].p, b.n) == 0;
		free(b.p);
		if (!eq)
			return false;
	}
	return true;
}

static bool same_as_deviation(const struct deviation *d, const struct frames *got)
{
	if (d->n != got->n)
		return false;
	for (size_t i = 0; i < d->n; i++)
		if (d->frames[i].len != got->v[i].len ||
		    d->frames[i].truncated != got->v[i].truncated ||
		    memcmp(d->frames[i].s, got->v[i].p, got->v[i].len) != 0)
			return false;
	return true;
}

static void dump_frames(const char *id, const struct frames *fs)
{
	fprintf(stderr, "%s: weir's frames:\n", id);
	for (size_t i = 0; i < fs->n; i++)
		fprintf(stderr, "  [%zu] len %u%s: %.*s\n", i, fs->v[i].len,
			fs->v[i].truncated ? " (truncated)" : "", (int)fs->v[i].len, fs->v[i].p);
}

/* Are got and sum what entry d lists? If not, says so (and shows got). */
static bool deviation_holds(const char *id, const struct deviation *d, const struct frames *got,
			    const struct counters *sum)
{
	if (same_as_deviation(d, got) && sum->framing_errors == d->framing_errors)
		return true;
	dump_frames(id, got);
	cr_expect_fail("%s: listed frames or framing_errors (%llu, listed %llu) differ from "
		       "weir's",
		       id, (unsigned long long)sum->framing_errors,
		       (unsigned long long)d->framing_errors);
	return false;
}

/*
 * The expectations a case carries besides expected_frames, for cases not on
 * the allow-list. Returns false (and says why) when one does not hold or is
 * not understood.
 */
static bool check_other_expectations(json_t *c, const char *id, const struct bytes *in,
				     const struct frames *got, const struct counters *sum)
{
	json_t *exp = json_object_get(c, "expected");
	const char *key;
	json_t *v;

	json_object_foreach(exp, key, v)
	{
		if (strcmp(key, "message_count") == 0) {
			if ((json_int_t)got->n != json_integer_value(v)) {
				cr_expect_fail("%s: %zu frames, upstream %lld", id, got->n,
					       (long long)json_integer_value(v));
				return false;
			}
		} else if (strcmp(key, "rawmsg_chars_6_to_7_in_order") == 0) {
			for (size_t i = 0; i < json_array_size(v) && i < got->n; i++) {
				const char *want = json_string_value(json_array_get(v, i));

				if (got->v[i].len < 7 || memcmp(got->v[i].p + 5, want, 2) != 0) {
					cr_expect_fail("%s: frame %zu chars 6-7 are not %s", id, i,
						       want);
					return false;
				}
			}
		} else if (strcmp(key, "tag_syslog.unexpected_framing") == 0) {
			/* True when weir's framer, fed this message as a stream,
			 * takes it as octet-counted (strips a valid MSG-LEN). */
			bool octet =
			    sum->framing_errors == 0 && got->n == 1 &&
			    (got->v[0].len != in->n || memcmp(got->v[0].p, in->p, in->n) != 0);

			if (octet != json_is_true(v)) {
				cr_expect_fail("%s: octet-counted=%d, upstream says %d", id, octet,
					       json_is_true(v));
				return false;
			}
		} else {
			cr_expect_fail("%s: expectation %s is not understood; check it or "
				       "allow-list the case",
				       id, key);
			return false;
		}
	}
	return true;
}

/* One case of the shared file: its JSON, options and input streams. */
struct scase {
	json_t *c;
	const char *id;
	struct opts o;
	struct bytes conns[16];
	size_t nconn, maxlen; /* streams, and the longest one's length */
};

static FILE *cases_open(char *path, size_t cap)
{
	FILE *fp;

	snprintf(path, cap, "%s/%s", testdata_dir(), CASES_FILE);
	fp = fopen(path, "r");
	if (!fp)
		cr_assert_fail("shared test data not found: %s (set WEIR_TESTDATA, or put "
			       "../shared/testdata beside the repository and run from its root)",
			       path);
	return fp;
}

/* Parses case number n (1-based, for messages) of path from line into sc. */
static void scase_load(struct scase *sc, const char *line, const char *path, size_t n)
{
	json_error_t err;

	sc->c = json_loads(line, 0, &err);
	cr_assert_not_null(sc->c, "%s:%zu: %s", path, n, err.text);
	sc->id = json_string_value(json_object_get(sc->c, "id"));
	cr_assert_not_null(sc->id);
	sc->o = case_opts(sc->c);
	sc->nconn = case_streams(sc->c, sc->conns, 16);
	sc->maxlen = 0;
	for (size_t i = 0; i < sc->nconn; i++)
		sc->maxlen = sc->conns[i].n > sc->maxlen ? sc->conns[i].n : sc->maxlen;
}

static void scase_free(struct scase *sc)
{
	for (size_t i = 0; i < sc->nconn; i++)
		free(sc->conns[i].p);
	json_decref(sc->c);
	memset(sc, 0, sizeof(*sc));
}

Test(octet_cases, shared_rfc6587_cases_frame_alike_in_any_chunking)
{
	char path[4096];
	FILE *fp = cases_open(path, sizeof(path));
	char *line = NULL;
	size_t cap = 0, ncases = 0, nmatch = 0, nallowed = 0, seen_dev = 0;

	while (getline(&line, &cap, fp) > 0) {
		struct scase sc;
		struct frames whole = {0};
		struct counters wsum;
		const struct deviation *dev;
		json_t *exp_frames, *chunks;
		const char *end;
		bool ok = true;

		scase_load(&sc, line, path, ++ncases);
		json_t *c = sc.c;
		const char *id = sc.id;
		struct opts o = sc.o;
		struct bytes *conns = sc.conns;
		size_t nconn = sc.nconn, maxlen = sc.maxlen;

		chunks = json_object_get(c, "chunks_b64");
		dev = find_deviation(id);
		seen_dev += dev != NULL;

		/* Whole, then every other chunking must give the same. */
		run_case(&o, conns, nconn, M_WHOLE, 0, NULL, &whole, &wsum);
		for (int m = M_BYTES; m <= M_CHUNKS && ok; m++) {
			size_t npos = m == M_SPLIT ? maxlen + 1 : 1;

			if (m == M_CHUNKS && (!json_is_array(chunks) || nconn != 1))
				continue;
			for (size_t pos = 0; pos < npos && ok; pos++) {
				struct frames fs = {0};
				struct counters sum;

				run_case(&o, conns, nconn, (enum mode)m, pos, chunks, &fs, &sum);
				if (!frames_equal(&fs, &whole) ||
				    memcmp(&sum, &wsum, sizeof(sum))) {
					cr_expect_fail("%s: mode %d (split at %zu) differs from "
						       "feeding it whole",
						       id, m, pos);
					ok = false;
				}
				frames_free(&fs);
			}
		}

		end = json_string_value(json_object_get(c, "expected_end"));
		if (end && strncmp(end, "error", 5) == 0 &&
		    wsum.framing_errors + wsum.truncated == 0) {
			cr_expect_fail("%s: upstream ends in an error, weir counted nothing", id);
			ok = false;
		}
		exp_frames = json_object_get(c, "expected_frames");
		if (dev) {
			if (!deviation_holds(id, dev, &whole, &wsum)) {
				ok = false;
			} else if (json_is_array(exp_frames) &&
				   same_as_expected_frames(exp_frames, &whole, id)) {
				cr_expect_fail("%s: stale allow-list entry: weir now matches", id);
				ok = false;
			}
			nallowed += ok;
		} else {
			if (json_is_array(exp_frames)) {
				if (!same_as_expected_frames(exp_frames, &whole, id)) {
					dump_frames(id, &whole);
					cr_expect_fail("%s: frames differ from upstream", id);
					ok = false;
				}
			} else if (!json_object_get(c, "expected")) {
				cr_expect_fail("%s: no expectation to check", id);
				ok = false;
			}
			if (ok && !check_other_expectations(c, id, &conns[0], &whole, &wsum))
				ok = false;
			nmatch += ok;
		}
		fprintf(stderr, "  %-45s %s\n", id,
			!ok   ? "FAIL"
			: dev ? "allow-listed (weir's frames checked)"
			      : "as upstream");
		frames_free(&whole);
		scase_free(&sc);
	}
	free(line);
	fclose(fp);
	fprintf(stderr, "octet: %zu cases: %zu as upstream, %zu allow-listed\n", ncases, nmatch,
		nallowed);
	cr_expect_eq(ncases, CASES_EXPECTED, "%s has %zu cases, expected %d", path, ncases,
		     CASES_EXPECTED);
	cr_expect_eq(seen_dev, sizeof(deviations) / sizeof(deviations[0]),
		     "an allow-list entry names a case that is not in the file");
}

/*
 * The cases again with the MSG-LEN cap weir's listeners use
 * (octet_count_cap(max_frame)): every case frames as without the cap, but
 * for those listed here, whose MSG-LEN is above the cap. Chunking must not
 * matter either.
 */
static const struct deviation capped[] = {
    {"syslogng-auto-initial-too-long",
     "MSG-LEN 100,000,000 is above the cap (64 KiB): a framing error, and the line is one "
     "record (as syslog-ng, which reports an error; without the cap it swallowed the stream)",
     1,
     1,
     {WF("100000000 too long", false)}},
};

Test(octet_cases, shared_rfc6587_cases_with_the_listeners_count_cap)
{
	char path[4096];
	FILE *fp = cases_open(path, sizeof(path));
	char *line = NULL;
	size_t cap = 0, ncases = 0, seen = 0;

	while (getline(&line, &cap, fp) > 0) {
		struct scase sc;
		struct frames free_fs = {0}, capped_fs = {0};
		struct counters free_sum, capped_sum;
		const struct deviation *dev = NULL;

		scase_load(&sc, line, path, ++ncases);
		const char *id = sc.id;
		struct opts o = sc.o;
		struct bytes *conns = sc.conns;
		size_t nconn = sc.nconn, maxlen = sc.maxlen;

		for (size_t i = 0; i < sizeof(capped) / sizeof(capped[0]); i++)
			if (!strcmp(capped[i].id, id))
				dev = &capped[i];
		seen += dev != NULL;

		run_case(&o, conns, nconn, M_WHOLE, 0, NULL, &free_fs, &free_sum);
		o.max_count = octet_count_cap(o.max_frame);
		run_case(&o, conns, nconn, M_WHOLE, 0, NULL, &capped_fs, &capped_sum);
		for (int m = M_BYTES; m <= M_SPLIT; m++) {
			for (size_t pos = 0; pos < (m == M_SPLIT ? maxlen + 1 : 1); pos++) {
				struct frames fs = {0};
				struct counters sum;

				run_case(&o, conns, nconn, (enum mode)m, pos, NULL, &fs, &sum);
				cr_expect(frames_equal(&fs, &capped_fs) &&
					      !memcmp(&sum, &capped_sum, sizeof(sum)),
					  "%s: capped, mode %d split %zu differs from whole", id, m,
					  pos);
				frames_free(&fs);
			}
		}
		if (dev) {
			deviation_holds(id, dev, &capped_fs, &capped_sum);
			cr_expect(!frames_equal(&free_fs, &capped_fs),
				  "%s: stale entry: the cap changes nothing", id);
		} else {
			cr_expect(frames_equal(&free_fs, &capped_fs) &&
				      !memcmp(&free_sum, &capped_sum, sizeof(free_sum)),
				  "%s: the cap changed the frames", id);
		}
		frames_free(&free_fs);
		frames_free(&capped_fs);
		scase_free(&sc);
	}
	free(line);
	fclose(fp);
	cr_expect_eq(ncases, CASES_EXPECTED);
	cr_expect_eq(seen, sizeof(capped) / sizeof(capped[0]),
		     "a capped entry names a case that is not in the file");
}

/* ---- hand-written cases --------------------------------------------- */

/* Feeds s whole, a byte at a time and split at every position; all must
 * agree. Leaves the whole-run frames in out and counters in sum. */
static void frame_all_ways(const struct opts *o, const char *s, size_t n, struct frames *out,
			   struct counters *sum)
{
	struct bytes b = {(char *)s, n};

	run_case(o, &b, 1, M_WHOLE, 0, NULL, out, sum);
	for (int m = M_BYTES; m <= M_SPLIT; m++) {
		for (size_t pos = 0; pos < (m == M_SPLIT ? n + 1 : 1); pos++) {
			struct frames fs = {0};
			struct counters c2;

			run_case(o, &b, 1, (enum mode)m, pos, NULL, &fs, &c2);
			cr_assert(frames_equal(&fs, out), "mode %d split %zu: frames differ", m,
				  pos);
			cr_assert_eq(memcmp(&c2, sum, sizeof(c2)), 0,
				     "mode %d split %zu: counters differ", m, pos);
			frames_free(&fs);
		}
	}
}

/* Checks the frames against a list of "text" strings; a leading '~' marks
 * a frame expected truncated. */
static void expect_frames(const struct frames *fs, const char *const *want, size_t n)
{
	cr_assert_eq(fs->n, n, "%zu frames, want %zu", fs->n, n);
	for (size_t i = 0; i < n; i++) {
		bool tr = want[i][0] == '~';
		const char *w = want[i] + tr;
		size_t wl = strlen(w);

		cr_assert_eq(fs->v[i].truncated, tr, "frame %zu truncated=%d", i,
			     fs->v[i].truncated);
		cr_assert(fs->v[i].len == wl && memcmp(fs->v[i].p, w, wl) == 0,
			  "frame %zu is \"%.*s\", want \"%s\"", i, (int)fs->v[i].len, fs->v[i].p,
			  w);
	}
}

#define S(lit) lit, sizeof(lit) - 1
#define WANT(...)                                                                                  \
	(const char *const[])                                                                      \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}
#define NWANT(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define EXPECT(fs, ...) expect_frames(fs, WANT(__VA_ARGS__), NWANT(__VA_ARGS__))

Test(octet, init_rejects_bad_sizes)
{
	struct octet_framer f;
	char buf[8];

	cr_assert_eq(octet_init(&f, buf, 8, 9), -EINVAL);
	cr_assert_eq(octet_init(&f, buf, 8, 0), -EINVAL);
	cr_assert_eq(octet_init(&f, NULL, 8, 8), -EINVAL);
	cr_assert_eq(octet_init(&f, buf, 8, 8), 0);
	cr_assert(f.nul_trailer);
	cr_assert(!f.skip_leading_sp);
}

Test(octet, counted_frames_and_headers_span_chunks)
{
	struct opts o = {.max_frame = 64};
	struct frames fs = {0};
	struct counters c;

	/* Payloads hold LF, NUL and SP: counted octets are opaque. */
	frame_all_ways(&o, S("12 hello\nworld\n3 a\0b10 <13>x y z\n"), &fs, &c);
	cr_assert_eq(fs.n, 3);
	cr_assert_eq(fs.v[1].len, 3); /* "a\0b" */
	cr_assert_eq(memcmp(fs.v[1].p, "a\0b", 3), 0);
	fs.v[1].p[1] = '_';
	EXPECT(&fs, "hello\nworld\n", "a_b", "<13>x y z\n");
	cr_assert_eq(c.bytes_overhead, 3 + 2 + 3);
	cr_assert_eq(c.framing_errors, 0);
	cr_assert_eq(c.bytes_discarded, 0);
	frames_free(&fs);
}

Test(octet, nine_digit_count_is_valid_and_skipped_exactly)
{
	struct opts o = {.max_frame = 4};
	struct frames fs = {0};
	struct counters c;
	static char s[64];
	size_t n;

	/* 999999999 is the largest MSG-LEN: only the count matters. */
	n = (size_t)snprintf(s, sizeof(s), "999999999 abcdefgh");
	frame_all_ways(&o, s, n, &fs, &c);
	EXPECT(&fs, "~abcd");
	cr_assert_eq(c.bytes_discarded, 4);
	cr_assert_eq(c.truncated, 1);
	frames_free(&fs);
}

Test(octet, oversized_counted_frame_is_cut_and_rest_skipped_by_count)
{
	struct opts o = {.max_frame = 4};
	struct frames fs = {0};
	struct counters c;

	/* The skipped part holds what looks like headers and LFs. */
	frame_all_ways(&o, S("10 01234\n5 xy3 abc<1>\n"), &fs, &c);
	EXPECT(&fs, "~0123", "abc", "<1>");
	cr_assert_eq(c.truncated, 1);
	cr_assert_eq(c.bytes_discarded, 6); /* "4\n5 xy" */
	cr_assert_eq(c.bytes_overhead, 3 + 2 + 1);
	cr_assert_eq(c.bytes_in, c.bytes_framed + c.bytes_overhead + c.bytes_discarded);
	frames_free(&fs);
}

Test(octet, count_above_max_count_is_a_framing_error_and_resyncs_as_a_line)
{
	struct opts o = {.max_frame = 8, .max_count = 16};
	struct frames fs = {0};
	struct counters c;

	/* 16 is the cap: cut and skipped by count. 17 and a bogus 8-digit
	 * count are framing errors whose lines (cut at max_frame) are frames;
	 * the frames after each parse. */
	frame_all_ways(&o,
		       S("16 0123456789abcdef<1>a\n17 <1>b\n<1>c\n12345678 <1>d\n"
			 "2 ok12345678 x\n3 end"),
		       &fs, &c);
	EXPECT(&fs, "~01234567", "<1>a", "17 <1>b", "<1>c", "~12345678", "ok", "~12345678", "end");
	cr_assert_eq(c.framing_errors, 3);
	cr_assert_eq(c.truncated, 3);
	cr_assert_eq(c.bytes_discarded, 8 + 5 + 2); /* "89abcdef", " <1>d", " x" */
	frames_free(&fs);
}

Test(octet, count_cap_is_twice_max_frame_and_at_least_64k)
{
	struct octet_framer f;
	char buf[4];

	cr_assert_eq(octet_init(&f, buf, 4, 4), 0);
	cr_assert_eq(f.max_count, OCTET_COUNT_MAX, "octet_init keeps every 9-digit MSG-LEN");
	cr_assert_eq(octet_count_cap(1), 65536);
	cr_assert_eq(octet_count_cap(1024), 65536);
	cr_assert_eq(octet_count_cap(32768), 65536);
	cr_assert_eq(octet_count_cap(32769), 65538);
	cr_assert_eq(octet_count_cap(65536), 131072);
	cr_assert_eq(octet_count_cap(1u << 20), 2u << 20);
	cr_assert_eq(octet_count_cap(OCTET_COUNT_MAX), OCTET_COUNT_MAX);
	cr_assert_eq(octet_count_cap(UINT32_MAX), OCTET_COUNT_MAX);
}

Test(octet, counted_frame_of_exactly_max_frame_is_whole)
{
	struct opts o = {.max_frame = 4};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("4 abcd4 efgh"), &fs, &c);
	EXPECT(&fs, "abcd", "efgh");
	cr_assert_eq(c.truncated, 0);
	frames_free(&fs);
}

Test(octet, overlong_line_is_cut_and_discarded_to_its_lf)
{
	struct opts o = {.max_frame = 4};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("<1>abcdefg\n<2>x\n<3>\r\nabcd\r\nabcde\r\nab\rcd\n"), &fs, &c);
	/* "abcd\r\n" is exactly max_frame (the CR is the trailer's);
	 * "abcde\r\n" is one over: "e\r" is discarded. A CR that is not
	 * before the LF is content. */
	EXPECT(&fs, "~<1>a", "<2>x", "<3>", "abcd", "~abcd", "~ab\rc");
	cr_assert_eq(c.truncated, 3);
	cr_assert_eq(c.bytes_discarded, 6 + 2 + 1); /* "bcdefg", "e\r", "d" */
	cr_assert_eq(c.framing_errors, 0);
	frames_free(&fs);
}

Test(octet, line_of_exactly_max_frame_then_cr_at_eof_is_cut)
{
	struct opts o = {.max_frame = 4};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("abcd\r"), &fs, &c);
	EXPECT(&fs, "~abcd");
	cr_assert_eq(c.bytes_discarded, 1);
	frames_free(&fs);
	frame_all_ways(&o, S("abcd\r\0x"), &fs, &c); /* CR before NUL is content */
	EXPECT(&fs, "~abcd", "x");
	cr_assert_eq(c.bytes_discarded, 1);
	frames_free(&fs);
}

Test(octet, crlf_and_empty_lines)
{
	struct opts o = {.max_frame = 64};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("<13>a\r\n\r\n\n<13>b\r\r\n<13>c\n\r"), &fs, &c);
	/* Empty frames are skipped; only the last CR of "\r\r\n" is trailer;
	 * a lone CR at EOF is a frame. */
	EXPECT(&fs, "<13>a", "<13>b\r", "<13>c", "\r");
	cr_assert_eq(c.bytes_overhead, 2 + 2 + 1 + 2 + 1);
	frames_free(&fs);
}

Test(octet, invalid_counts_count_an_error_and_resync_as_lines)
{
	struct opts o = {.max_frame = 64};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o,
		       S("1q 0123\n<13>ok\n0 <13>zero\n007 x\n1234567890 <13>ten\n"
			 "0000000000000000005 abcde\n2024-05-01 text\n5 <13>a"),
		       &fs, &c);
	EXPECT(&fs, "1q 0123", "<13>ok", "0 <13>zero", "007 x", "1234567890 <13>ten",
	       "0000000000000000005 abcde", "2024-05-01 text", "<13>a");
	cr_assert_eq(c.framing_errors, 6);
	cr_assert_eq(c.bytes_discarded, 0);
	frames_free(&fs);
}

Test(octet, digits_ended_by_a_trailer_are_a_line_not_an_error)
{
	struct opts o = {.max_frame = 64};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("0\n19\n123456789\r\n1234567890\n42\0007"), &fs, &c);
	EXPECT(&fs, "0", "19", "123456789", "1234567890", "42", "7");
	/* Only the tenth digit of "1234567890" is an error: it is no
	 * MSG-LEN, and more than 9 digits are never held as a header. */
	cr_assert_eq(c.framing_errors, 1);
	frames_free(&fs);
}

Test(octet, header_longer_than_max_frame_is_cut_like_a_line)
{
	struct opts o = {.max_frame = 2};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("12345q\n3 abc"), &fs, &c);
	EXPECT(&fs, "~12", "~ab");
	cr_assert_eq(c.framing_errors, 1);
	cr_assert_eq(c.bytes_discarded, 4 + 1);
	frames_free(&fs);
}

Test(octet, framings_interleave_message_by_message)
{
	struct opts o = {.max_frame = 64};
	struct frames fs = {0};
	struct counters c;

	/* Counted, LF, counted with its own LF then a stray LF, NUL-ended,
	 * counted again, then an unterminated line at EOF. */
	frame_all_ways(&o, S("6 <13>ab<13>line\n7 <13>cd\n\n<13>nul\0004 <1>x<13>tail"), &fs, &c);
	EXPECT(&fs, "<13>ab", "<13>line", "<13>cd\n", "<13>nul", "<1>x", "<13>tail");
	cr_assert_eq(c.framing_errors, 0);
	frames_free(&fs);
}

Test(octet, nul_trailer_can_be_turned_off)
{
	struct opts o = {.max_frame = 64, .no_nul_trailer = true};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("<13>a\0b\n\0\n"), &fs, &c);
	cr_assert_eq(fs.n, 2);
	cr_assert_eq(fs.v[0].len, 7);
	cr_assert_eq(memcmp(fs.v[0].p, "<13>a\0b", 7), 0);
	cr_assert_eq(fs.v[1].len, 1);
	frames_free(&fs);
}

Test(octet, leading_spaces_dropped_only_when_asked)
{
	struct opts o = {.max_frame = 64, .skip_leading_sp = true};
	struct frames fs = {0};
	struct counters c;

	frame_all_ways(&o, S("<1>a\n  <1>b\n 3 xyz"), &fs, &c);
	EXPECT(&fs, "<1>a", "<1>b", "xyz");
	cr_assert_eq(c.bytes_overhead, 1 + 2 + 1 + 1 + 2);
	frames_free(&fs);
	o.skip_leading_sp = false;
	frame_all_ways(&o, S("<1>a\n  <1>b\n"), &fs, &c);
	EXPECT(&fs, "<1>a", "  <1>b");
	frames_free(&fs);
}

Test(octet, finish_delivers_partial_frames)
{
	struct opts o = {.max_frame = 8};
	struct frames fs = {0};
	struct counters c;

	/* A partial counted frame is emitted truncated. */
	frame_all_ways(&o, S("5 abc"), &fs, &c);
	EXPECT(&fs, "~abc");
	cr_assert_eq(c.truncated, 1);
	frames_free(&fs);
	/* A header with no octet yet: counted as truncated, nothing emitted. */
	frame_all_ways(&o, S("<1>x\n5 "), &fs, &c);
	EXPECT(&fs, "<1>x");
	cr_assert_eq(c.truncated, 1);
	cr_assert_eq(c.bytes_overhead, 1 + 2);
	frames_free(&fs);
	/* Bare digits and an unterminated line are frames. */
	frame_all_ways(&o, S("42"), &fs, &c);
	EXPECT(&fs, "42");
	frames_free(&fs);
	frame_all_ways(&o, S("<1>abc"), &fs, &c);
	EXPECT(&fs, "<1>abc");
	cr_assert_eq(c.truncated, 0);
	frames_free(&fs);
	/* Nothing at all: nothing. */
	frame_all_ways(&o, "", 0, &fs, &c);
	cr_assert_eq(fs.n, 0);
	frames_free(&fs);
}

struct seen {
	const char *p[4];
	size_t n;
};

static void record_ptr(void *ctx, const char *p, uint32_t len, bool truncated)
{
	struct seen *sn = ctx;

	(void)len;
	(void)truncated;
	if (sn->n < 4)
		sn->p[sn->n] = p;
	sn->n++;
}

Test(octet, whole_frames_in_a_chunk_are_zero_copy)
{
	struct octet_framer f;
	char buf[16];
	static const char s[] = "3 abc<1>x\n<1>y";
	struct seen sn = {0};

	cr_assert_eq(octet_init(&f, buf, sizeof(buf), sizeof(buf)), 0);
	octet_feed(&f, s, sizeof(s) - 1, record_ptr, &sn);
	cr_assert_eq(sn.n, 2);
	cr_assert_eq(sn.p[0], s + 2); /* straight from the caller's data */
	cr_assert_eq(sn.p[1], s + 5);
	octet_finish(&f, record_ptr, &sn);
	cr_assert_eq(sn.n, 3);
	cr_assert_eq(sn.p[2], buf); /* the partial one was copied */
}

Test(octet, buf_hw_marks_how_far_the_buffer_was_written)
{
	struct octet_framer f;
	char buf[16];
	struct frames fs = {0};

	cr_assert_eq(octet_init(&f, buf, sizeof(buf), sizeof(buf)), 0);
	octet_feed(&f, S("3 abc<1>x\n"), collect, &fs);
	cr_assert_eq(f.buf_hw, 0, "whole frames are not copied");
	octet_feed(&f, S("<1>abcd"), collect, &fs);
	cr_assert_eq(f.buf_hw, 7);
	octet_feed(&f, S("ef\n"), collect, &fs);
	cr_assert_eq(f.len, 0);
	cr_assert_eq(f.buf_hw, 9, "the completed frame was copied whole");
	f.buf_hw = 0; /* the caller gave the pages back */
	octet_feed(&f, S("20 0123456789"), collect, &fs);
	cr_assert_eq(f.buf_hw, 10);
	octet_feed(&f, S("abcdefghijXYZ"), collect, &fs);
	cr_assert_eq(f.buf_hw, 16, "cut at max_frame");
	cr_assert_eq(f.len, 3);
	octet_finish(&f, collect, &fs);
	EXPECT(&fs, "abc", "<1>x", "<1>abcdef", "~0123456789abcdef", "XYZ");
	frames_free(&fs);
}

/* ---- random bytes in random chunks ---------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct digest {
	uint64_t h, frames, bytes;
};

static void digest_frame(void *ctx, const char *p, uint32_t len, bool truncated)
{
	struct digest *d = ctx;

	d->h = (d->h ^ len ^ (truncated ? 0x100000000ULL : 0)) * 0x100000001b3ULL;
	for (uint32_t i = 0; i < len; i++)
		d->h = (d->h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	d->frames++;
	d->bytes += len;
}

/* Feeds s in chunks from the generator (0: whole); returns the digest. */
static struct digest feed_random_chunks_capped(const char *s, size_t n, uint32_t max_frame,
					       uint32_t max_count, uint64_t seed, size_t maxchunk,
					       struct counters *c)
{
	struct octet_framer f;
	char *buf = malloc(max_frame);
	struct digest d = {.h = 0xcbf29ce484222325ULL};

	cr_assert_not_null(buf);
	cr_assert_eq(octet_init(&f, buf, max_frame, max_frame), 0);
	if (max_count)
		f.max_count = max_count;
	for (size_t i = 0; i < n;) {
		size_t k = maxchunk ? 1 + rng_next(&seed) % maxchunk : n;

		if (k > n - i)
			k = n - i;
		octet_feed(&f, s + i, k, digest_frame, &d);
		cr_assert(balanced(&f), "accounting broken at byte %zu", i + k);
		cr_assert_leq(f.len, max_frame);
		i += k;
	}
	octet_finish(&f, digest_frame, &d);
	cr_assert_eq(octet_pending(&f), 0);
	cr_assert(balanced(&f));
	cr_assert_eq(f.bytes_in, n);
	cr_assert_eq(d.bytes, f.bytes_framed);
	cr_assert_eq(d.frames, f.frames);
	memset(c, 0, sizeof(*c));
	counters_add(c, &f);
	free(buf);
	return d;
}

static struct digest feed_random_chunks(const char *s, size_t n, uint32_t max_frame, uint64_t seed,
					size_t maxchunk, struct counters *c)
{
	return feed_random_chunks_capped(s, n, max_frame, 0, seed, maxchunk, c);
}

/* 1 MB of bytes: uniform, or drawn from framing syntax so that headers,
 * trailers and oversized frames of both kinds are frequent. */
static void random_stream(char *s, size_t n, uint64_t seed, bool syntax)
{
	static const char alphabet[] = "0123456789 \n\r\0<>abc";

	for (size_t i = 0; i < n; i++) {
		uint64_t r = rng_next(&seed);

		s[i] = syntax ? alphabet[r % (sizeof(alphabet) - 1)] : (char)(r & 0xff);
	}
}

Test(octet, one_mb_of_random_bytes_in_random_chunks_is_accounted_for)
{
	size_t n = 1 << 20;
	char *s = malloc(n);
	static const uint32_t maxes[] = {1, 7, 64, 4096};

	cr_assert_not_null(s);
	for (int syntax = 0; syntax < 2; syntax++) {
		random_stream(s, n, 42 + (uint64_t)syntax, syntax);
		for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
			struct counters c0, c1, c2;
			struct digest d0 = feed_random_chunks(s, n, maxes[m], 0, 0, &c0);
			struct digest d1 = feed_random_chunks(s, n, maxes[m], 7 + m, 9000, &c1);
			struct digest d2 = feed_random_chunks(s, n, maxes[m], 99 + m, 3, &c2);

			cr_assert_eq(d0.h, d1.h, "syntax=%d max=%u: frames differ by chunking",
				     syntax, maxes[m]);
			cr_assert_eq(d0.h, d2.h);
			cr_assert_eq(memcmp(&c0, &c1, sizeof(c0)), 0);
			cr_assert_eq(memcmp(&c0, &c2, sizeof(c0)), 0);
			cr_assert_eq(c0.bytes_in,
				     c0.bytes_framed + c0.bytes_overhead + c0.bytes_discarded);
			cr_assert_gt(c0.frames, 0);
		}
	}
	free(s);
}

Test(octet, random_bytes_with_a_count_cap_frame_alike_in_any_chunks)
{
	size_t n = 1 << 20;
	char *s = malloc(n);
	static const uint32_t maxes[][2] = {{7, 20}, {64, 100}, {4096, 9000}};

	cr_assert_not_null(s);
	random_stream(s, n, 43, true);
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		struct counters c0, c1, c2, free_c;
		struct digest d0 =
		    feed_random_chunks_capped(s, n, maxes[m][0], maxes[m][1], 0, 0, &c0);
		struct digest d1 =
		    feed_random_chunks_capped(s, n, maxes[m][0], maxes[m][1], 11 + m, 9000, &c1);
		struct digest d2 =
		    feed_random_chunks_capped(s, n, maxes[m][0], maxes[m][1], 17 + m, 3, &c2);

		cr_assert_eq(d0.h, d1.h, "max=%u cap=%u: frames differ by chunking", maxes[m][0],
			     maxes[m][1]);
		cr_assert_eq(d0.h, d2.h);
		cr_assert_eq(memcmp(&c0, &c1, sizeof(c0)), 0);
		cr_assert_eq(memcmp(&c0, &c2, sizeof(c0)), 0);
		/* The cap turns counts above it into errors. */
		feed_random_chunks(s, n, maxes[m][0], 0, 0, &free_c);
		cr_assert_gt(c0.framing_errors, free_c.framing_errors);
	}
	free(s);
}
