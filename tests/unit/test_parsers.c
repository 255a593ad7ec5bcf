/* test_parsers.c - the built-in field parsers (access, json, logfmt).
 *
 * access: every line of the real nginx/Apache logs in ../shared/testdata
 * parses, with known answers checked (lnav's derived counts and its 28-row
 * referrer query, mtail's golden counters), exact fields on hand-picked
 * real lines, escapes and garbage requests, and lines that are not access
 * lines (loghub's Apache error log, lnav's bad line) rejected.
 * json: structure, nesting names, escapes and surrogates, every syntax
 * error class, depth limits, set limits, timestamps (angle-grinder's
 * timeslice known answer). logfmt: quoting, escapes, bare keys, empties.
 * Every record is parsed from an exact-size heap copy, so ASan catches any
 * read past len. */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"
#include "tests/unit/testdata.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static struct fieldset fs;
static char *copy; /* the heap copy of the last record parsed */
static size_t copy_len;

typedef int (*parser_fn)(const char *, size_t, struct fieldset *);

/* Reset fs and parse an exact-size copy of s[0..n). */
static int parse_n(parser_fn fn, const char *s, size_t n)
{
	free(copy);
	copy = malloc(n ? n : 1);
	cr_assert_not_null(copy);
	memcpy(copy, s, n);
	copy_len = n;
	fields_reset(&fs);
	return fn(copy, n, &fs);
}

static int parse(parser_fn fn, const char *s)
{
	return parse_n(fn, s, strlen(s));
}

static const struct field *get(const char *name)
{
	return fields_get(&fs, name, strlen(name));
}

static bool in_record(const char *p, size_t n)
{
	return p >= copy && n <= copy_len && p + n <= copy + copy_len;
}

static bool in_scratch(const char *p, size_t n)
{
	return p >= fs.scratch && p + n <= fs.scratch + fs.slen;
}

/* Field name has exactly the bytes want[0..wn), or is absent (want NULL). */
static void check_field(const char *name, const char *want, size_t wn)
{
	const struct field *f = get(name);

	if (!want) {
		cr_expect_null(f, "%s: want absent, got \"%.*s\"", name, f ? (int)f->vlen : 0,
			       f ? f->val : "");
		return;
	}
	cr_expect_not_null(f, "%s: absent, want \"%.*s\"", name, (int)wn, want);
	if (!f)
		return;
	cr_expect(f->vlen == wn && memcmp(f->val, want, wn) == 0, "%s: want \"%.*s\", got \"%.*s\"",
		  name, (int)wn, want, (int)f->vlen, f->val);
	cr_expect(in_record(f->val, f->vlen) || in_scratch(f->val, f->vlen),
		  "%s: value outside the record and the scratch", name);
}

static size_t len0(const char *s)
{
	return s ? strlen(s) : 0;
}

#define FIELD(name, want) check_field(name, want, len0(want))

/* A whole file under the testdata folder, NUL-terminated; *len its size. */
static char *slurp(const char *rel, size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", testdata_dir(), rel);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f,
			   "cannot open %s (%s): set WEIR_TESTDATA to the shared testdata folder",
			   path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Iterate the lines of buf (without their LF; a CR is left in). */
struct lines {
	const char *p, *end;
};

static bool next_line(struct lines *it, const char **line, size_t *n)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *e = nl ? nl : it->end;
	*line = it->p;
	*n = (size_t)(e - it->p);
	it->p = nl ? nl + 1 : it->end;
	return true;
}

/* Line number lineno (1-based) of file rel, as a malloc'd string without CR/LF. */
static char *file_line(const char *rel, int lineno)
{
	size_t len, n;
	char *buf = slurp(rel, &len);
	struct lines it = {buf, buf + len};
	const char *l;

	for (int i = 1; next_line(&it, &l, &n); i++) {
		if (i < lineno)
			continue;
		while (n > 0 && l[n - 1] == '\r')
			n--;
		char *s = strndup(l, n);
		free(buf);
		return s;
	}
	cr_assert_fail("%s has no line %d", rel, lineno);
	return NULL;
}

static void teardown(void)
{
	free(copy);
	copy = NULL;
}

TestSuite(access, .fini = teardown);
TestSuite(json, .fini = teardown);
TestSuite(logfmt, .fini = teardown);

/* ---- access ---- */

Test(access, apache_common_line_gives_exact_fields)
{
	/* angle-grinder's Apache common example (the Apache docs' line) */
	char *l = file_line("access_logs/angle-grinder/aliases_apache.toml", 3);

	cr_assert_eq(parse(access_parse, l), 0, "%s", l);
	FIELD("ip", "127.0.0.1");
	FIELD("ident", NULL);
	FIELD("user", "frank");
	FIELD("time", "10/Oct/2000:13:55:36 -0700");
	FIELD("method", "GET");
	FIELD("path", "/apache_pb.gif");
	FIELD("protocol", "HTTP/1.0");
	FIELD("status", "200");
	FIELD("bytes", "2326");
	FIELD("referrer", NULL);
	FIELD("user_agent", NULL);
	FIELD("request_time", NULL);
	cr_assert_eq(fs.n, 8);
	cr_assert(fs.has_ts);
	cr_assert_eq(fs.ts_ms, 971211336000); /* date -u -d 2000-10-10T20:55:36Z +%s */
	/* zero-copy: every field lies in the record */
	for (uint32_t i = 0; i < fs.n; i++)
		cr_assert(in_record(fs.f[i].val, fs.f[i].vlen));
	free(l);
}

Test(access, nginx_combined_line_gives_exact_fields)
{
	char *l = file_line("access_logs/angle-grinder/aliases_nginx.toml", 3);

	cr_assert_eq(parse(access_parse, l), 0, "%s", l);
	FIELD("ip", "127.0.0.1");
	FIELD("ident", NULL);
	FIELD("user", NULL);
	FIELD("time", "23/Feb/2023:17:05:13 +0000");
	FIELD("method", "GET");
	FIELD("path", "/");
	FIELD("protocol", "HTTP/1.1");
	FIELD("status", "200");
	FIELD("bytes", "615");
	FIELD("referrer", NULL); /* "-" */
	FIELD("user_agent", "curl/7.77.0");
	FIELD("request_time", NULL); /* the trailing "-" is not a number */
	free(l);
}

Test(access, k8s_ingress_line_takes_the_first_fractional_trailing_token)
{
	/* ... "tasks/testing" 902 0.247 [test-grpc] [] 10.0.74.255:8080 16 0.248 200 id:
	 * 902 is $request_length, 0.247 $request_time, 0.248 the upstream's. */
	char *l = file_line("access_logs/angle-grinder/aliases_k8s-ingress_nginx.toml", 3);

	cr_assert_eq(parse(access_parse, l), 0, "%s", l);
	FIELD("method", "POST");
	FIELD("path", "/twirp/example.v1.ServiceAPI/TestJob");
	FIELD("status", "200");
	FIELD("bytes", "16");
	FIELD("user_agent", "tasks/testing");
	FIELD("request_time", "0.247");
	cr_assert(fs.has_ts);
	cr_assert_eq(fs.ts_ms, 1677103379000); /* 2023-02-22T22:02:59Z */
	free(l);
}

Test(access, shop_log_lines_give_exact_fields)
{
	const char *shop = "access_logs/lnav/logfile_shop_access_log.0";
	char *l = file_line(shop, 1);

	cr_assert_eq(parse(access_parse, l), 0);
	FIELD("ip", "54.36.149.41");
	FIELD("path",
	      "/filter/27|13%20%D9%85%DA%AF%D8%A7%D9%BE%DB%8C%DA%A9%D8%B3%D9%84,27|%DA%A9%D9%"
	      "85%D8%AA%D8%B1%20%D8%A7%D8%B2%205%20%D9%85%DA%AF%D8%A7%D9%BE%DB%8C%DA%A9%D8%"
	      "B3%D9%84,p53");
	FIELD("bytes", "30577");
	FIELD("referrer", NULL);
	FIELD("user_agent", "Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)");
	FIELD("request_time", NULL);
	cr_assert_eq(fs.ts_ms, 1548116774000); /* 22/Jan/2019:03:56:14 +0330 = 00:26:14Z */
	free(l);

	l = file_line(shop, 2);
	cr_assert_eq(parse(access_parse, l), 0);
	FIELD("ip", "31.56.96.51");
	FIELD("time", "22/Jan/2019:03:56:16 +0330");
	FIELD("path", "/image/60844/productModel/200x200");
	FIELD("referrer", "https://www.zanbil.ir/m/filter/b113");
	FIELD("user_agent", "Mozilla/5.0 (Linux; Android 6.0; ALE-L21 Build/HuaweiALE-L21) "
			    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/66.0.3359.158 Mobile "
			    "Safari/537.36");
	cr_assert_eq(fs.ts_ms, 1548116776000);
	free(l);
}

Test(access, dash_request_has_no_method_but_parses)
{
	/* lnav: 10.112.81.15 - - [15/Feb/2013:06:00:31 +0000] "-" 400 0 "-" "-" */
	char *l = file_line("access_logs/lnav/logfile_access_log.1", 1);

	cr_assert_eq(parse(access_parse, l), 0, "%s", l);
	FIELD("method", NULL);
	FIELD("path", NULL);
	FIELD("protocol", NULL);
	FIELD("status", "400");
	FIELD("bytes", "0");
	FIELD("referrer", NULL);
	FIELD("user_agent", NULL);
	free(l);
}

/* Every line of the shop log parses; the counts match the compiled
 * derived_counts.json (status, method, bytes, distinct IPs, per minute UTC). */
Test(access, every_shop_log_line_parses_with_known_counts)
{
	size_t len, n;
	char *buf = slurp("access_logs/lnav/logfile_shop_access_log.0", &len);
	struct lines it = {buf, buf + len};
	const char *l;
	int lines = 0, st200 = 0, st301 = 0, st302 = 0, st304 = 0, st404 = 0;
	int n_get = 0, n_post = 0, n_head = 0, with_rt = 0;
	long long bytes = 0;
	int minute[4] = {0};
	static char ips[1000][48];
	int nips = 0;

	while (next_line(&it, &l, &n)) {
		cr_assert_eq(parse_n(access_parse, l, n), 0, "line %d: %.*s", lines + 1, (int)n, l);
		lines++;
		const struct field *s = get("status"), *m = get("method"), *b = get("bytes");
		cr_assert(s && m && b && get("protocol") && get("path") && fs.has_ts);
		st200 += !memcmp(s->val, "200", 3);
		st301 += !memcmp(s->val, "301", 3);
		st302 += !memcmp(s->val, "302", 3);
		st304 += !memcmp(s->val, "304", 3);
		st404 += !memcmp(s->val, "404", 3);
		n_get += m->vlen == 3 && !memcmp(m->val, "GET", 3);
		n_post += m->vlen == 4 && !memcmp(m->val, "POST", 4);
		n_head += m->vlen == 4 && !memcmp(m->val, "HEAD", 4);
		char num[24];
		snprintf(num, sizeof(num), "%.*s", (int)b->vlen, b->val);
		bytes += strtoll(num, NULL, 10);
		with_rt += get("request_time") != NULL;
		int64_t min = fs.ts_ms / 60000 - 1548116760 / 60; /* 2019-01-22T00:26Z */
		cr_assert(min >= 0 && min < 4, "line %d: minute %lld", lines, (long long)min);
		minute[min]++;
		const struct field *ip = get("ip");
		int k;
		for (k = 0; k < nips; k++)
			if (strlen(ips[k]) == ip->vlen && !memcmp(ips[k], ip->val, ip->vlen))
				break;
		if (k == nips)
			snprintf(ips[nips++], sizeof(ips[0]), "%.*s", (int)ip->vlen, ip->val);
	}
	cr_assert_eq(lines, 1000);
	cr_assert_eq(st200, 938);
	cr_assert_eq(st301, 11);
	cr_assert_eq(st302, 20);
	cr_assert_eq(st304, 7);
	cr_assert_eq(st404, 24);
	cr_assert_eq(n_get, 976);
	cr_assert_eq(n_post, 14);
	cr_assert_eq(n_head, 10);
	cr_assert_eq(bytes, 18963364);
	cr_assert_eq(nips, 101);
	cr_assert_eq(minute[0], 242);
	cr_assert_eq(minute[1], 287);
	cr_assert_eq(minute[2], 331);
	cr_assert_eq(minute[3], 140);
	cr_assert_eq(with_rt, 0); /* the trailing field is $http_x_forwarded_for */
	free(buf);
}

/* lnav's upstream answer: the 0-based lines, UTC times and methods of the
 * records with one referrer. */
Test(access, shop_log_referrer_query_matches_lnav)
{
	static const char want_ref[] =
	    "https://www.zanbil.ir/m/browse/fryer/%D8%B3%D8%B1%D8%AE-%DA%A9%D9%86";
	size_t len, n, clen;
	char *buf = slurp("access_logs/lnav/logfile_shop_access_log.0", &len);
	char *csv =
	    slurp("access_logs/lnav/logfile_shop_access_log.0.referer_query.expected.csv", &clen);
	struct lines it = {buf, buf + len}, cit = {csv, csv + clen};
	const char *l, *c;
	int lineno = 0, rows = 0;

	cr_assert(next_line(&cit, &c, &n)); /* header */
	while (next_line(&it, &l, &n)) {
		cr_assert_eq(parse_n(access_parse, l, n), 0);
		const struct field *r = get("referrer");
		if (r && r->vlen == strlen(want_ref) && !memcmp(r->val, want_ref, r->vlen)) {
			int want_line;
			char when[64], method[16];
			int64_t want_ms;
			const struct field *m = get("method");
			cr_assert(next_line(&cit, &c, &n), "more rows than lnav's");
			cr_assert_eq(sscanf(c, "%d,%63[^,],%15[A-Z]", &want_line, when, method), 3);
			cr_assert_eq(lineno, want_line);
			cr_assert_eq(ts_parse(when, strlen(when), 0, 0, &want_ms), 0);
			cr_assert_eq(fs.ts_ms, want_ms, "line %d", lineno);
			cr_assert(m->vlen == strlen(method) && !memcmp(m->val, method, m->vlen));
			rows++;
		}
		lineno++;
	}
	cr_assert(!next_line(&cit, &c, &n) || n == 0, "fewer rows than lnav's");
	cr_assert_eq(rows, 28);
	free(buf);
	free(csv);
}

/* mtail's golden counters for apache-combined.log: GET HTTP/1.1 200 x4 with
 * 2602 bytes, 304 x1 (bytes "-"). */
Test(access, mtail_apache_combined_matches_golden)
{
	size_t len, n;
	char *buf = slurp("mtail/testdata/apache-combined.log", &len);
	struct lines it = {buf, buf + len};
	const char *l;
	int n200 = 0, n304 = 0, lines = 0;
	long bytes200 = 0;

	while (next_line(&it, &l, &n)) {
		cr_assert_eq(parse_n(access_parse, l, n), 0, "%.*s", (int)n, l);
		lines++;
		const struct field *s = get("status"), *b = get("bytes");
		cr_assert(get("method") && !memcmp(get("method")->val, "GET", 3));
		cr_assert(get("protocol") && !memcmp(get("protocol")->val, "HTTP/1.1", 8));
		FIELD("user_agent", "libcurl");
		FIELD("referrer", "https://fubarservice.example.com/");
		if (!memcmp(s->val, "200", 3)) {
			n200++;
			bytes200 += strtol(b->val, NULL, 10); /* digits then a space: stops */
		} else if (!memcmp(s->val, "304", 3)) {
			n304++;
			cr_assert_null(b, "bytes \"-\" must be omitted");
		}
	}
	cr_assert_eq(lines, 5);
	cr_assert_eq(n200, 4);
	cr_assert_eq(bytes200, 2602);
	cr_assert_eq(n304, 1);
	free(buf);
}

/* Other real layouts: mtail's Apache with %D before the referrer, and
 * lighttpd with extra numbers; lnav's small logs. Every line parses;
 * whole numbers are not taken as request_time. */
Test(access, other_real_layouts_parse)
{
	static const struct {
		const char *file;
		int lines;
	} t[] = {
	    {"mtail/testdata/apache-common.log", 3},
	    {"mtail/testdata/lighttpd_access.log", 19},
	    {"access_logs/lnav/logfile_access_log.0", 3},
	    {"access_logs/lnav/logfile_access_log.1", 1},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len, n;
		char *buf = slurp(t[i].file, &len);
		struct lines it = {buf, buf + len};
		const char *l;
		int lines = 0;
		while (next_line(&it, &l, &n)) {
			cr_assert_eq(parse_n(access_parse, l, n), 0, "%s: %.*s", t[i].file, (int)n,
				     l);
			cr_assert(get("status") && fs.has_ts);
			cr_assert_null(get("request_time"), "%s: %.*s", t[i].file, (int)n, l);
			lines++;
		}
		cr_assert_eq(lines, t[i].lines, "%s", t[i].file);
		free(buf);
	}
	/* 2001:db8::1 - - [04/Apr/2018:10:29:16 +0000] "GET /docs/nx HTTP/1.1" 404 19 2167 ... */
	char *l = file_line("mtail/testdata/apache-common.log", 3);
	cr_assert_eq(parse(access_parse, l), 0);
	FIELD("ip", "2001:db8::1");
	FIELD("path", "/docs/nx");
	FIELD("status", "404");
	FIELD("bytes", "19");
	FIELD("referrer", NULL); /* not right after bytes */
	free(l);
}

Test(access, line_without_ident_and_user_is_rejected)
{
	/* lnav's bad access log: line 2 lacks the ident and user fields */
	size_t len, n;
	char *buf = slurp("access_logs/lnav/logfile_bad_access_log.0", &len);
	struct lines it = {buf, buf + len};
	const char *l;
	int rc[3], i = 0;

	while (next_line(&it, &l, &n) && i < 3)
		rc[i++] = parse_n(access_parse, l, n);
	cr_assert_eq(i, 3);
	cr_assert_eq(rc[0], 0);
	cr_assert_eq(rc[1], -1);
	cr_assert_eq(rc[2], 0);
	free(buf);
}

Test(access, apache_error_log_is_not_an_access_log)
{
	/* loghub Apache_2k.log is an *error* log ("[Sun Dec 04 04:47:44 2005]
	 * [notice] ..."): none of its 2,000 CRLF lines is an access line. */
	size_t len, n;
	char *buf = slurp("loghub/Apache/Apache_2k.log", &len);
	struct lines it = {buf, buf + len};
	const char *l;
	int lines = 0;

	while (next_line(&it, &l, &n)) {
		cr_assert_eq(parse_n(access_parse, l, n), -1, "%.*s", (int)n, l);
		cr_assert_eq(fs.n, 0);
		lines++;
	}
	cr_assert_eq(lines, 2000);
	free(buf);
}

Test(access, escaped_quotes_apache_and_nginx_style)
{
	/* Apache: \" and \\ */
	cr_assert_eq(parse(access_parse, "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET /a\\\"b "
					 "HTTP/1.1\" 200 5 \"-\" \"Mozilla \\\"x\\\" \\\\ y\""),
		     0);
	FIELD("path", "/a\"b");
	FIELD("user_agent", "Mozilla \"x\" \\ y");
	cr_assert(in_scratch(get("path")->val, get("path")->vlen));
	FIELD("protocol", "HTTP/1.1");
	/* nginx: \x22 for '"', \x5C for '\' */
	cr_assert_eq(parse(access_parse,
			   "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET "
			   "/a\\x22b HTTP/1.1\" 200 5 \"-\" \"say \\x22hi\\x22 \\x5C\""),
		     0);
	FIELD("path", "/a\"b");
	FIELD("user_agent", "say \"hi\" \\");
	/* an unescaped quote not followed by a space does not close the string */
	cr_assert_eq(parse(access_parse, "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET /a\"b "
					 "HTTP/1.1\" 200 5 \"-\" \"UA\""),
		     0);
	FIELD("path", "/a\"b");
	FIELD("user_agent", "UA");
	/* an escape that is neither stays as written */
	cr_assert_eq(parse(access_parse, "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET /\\q\\x2 "
					 "HTTP/1.1\" 200 5"),
		     0);
	FIELD("path", "/\\q\\x2");
}

Test(access, binary_request_keeps_the_line)
{
	/* a TLS ClientHello sent to the HTTP port, as nginx logs it */
	cr_assert_eq(
	    parse(
		access_parse,
		"203.0.113.9 - - [05/Mar/2024:14:02:11 +0000] "
		"\"\\x16\\x03\\x01\\x00\\xA5\\x01\\x00\\x00\\xA1\\x03\\x03\" 400 157 \"-\" \"-\""),
	    0);
	FIELD("method", NULL);
	FIELD("path", NULL);
	FIELD("protocol", NULL);
	FIELD("status", "400");
	FIELD("bytes", "157");
	/* raw bytes, NUL and invalid UTF-8 in the request are just bytes */
	static const char raw[] = "203.0.113.9 - - [05/Mar/2024:14:02:11 +0000] \"\x16\x03\x00\xff "
				  "\xfe\" 400 0";
	cr_assert_eq(parse_n(access_parse, raw, sizeof(raw) - 1), 0);
	FIELD("method", NULL);
	FIELD("status", "400");
	/* empty request */
	cr_assert_eq(parse(access_parse, "::1 - - [05/Mar/2024:14:02:11 +0000] \"\" 400 0"), 0);
	FIELD("method", NULL);
}

Test(access, request_forms)
{
	const char *pre = "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"";
	char line[256];

	snprintf(line, sizeof(line), "%sGET /x\" 200 1", pre); /* HTTP/0.9 */
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("method", "GET");
	FIELD("path", "/x");
	FIELD("protocol", NULL);
	snprintf(line, sizeof(line), "%sGET /a b c HTTP/1.0\" 200 1", pre); /* raw spaces */
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("path", "/a b c");
	FIELD("protocol", "HTTP/1.0");
	snprintf(line, sizeof(line), "%sPROPFIND /dav/ HTTP/2.0\" 207 1", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("method", "PROPFIND");
	FIELD("protocol", "HTTP/2.0");
	snprintf(line, sizeof(line), "%sGET\" 400 1", pre); /* no path */
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("method", NULL);
	snprintf(line, sizeof(line), "%s1GET / HTTP/1.1\" 400 1", pre); /* not a method */
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("method", NULL);
}

Test(access, request_time_from_trailing_tokens)
{
	const char *pre = "1.2.3.4 - bob [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 1 "
			  "\"http://r/\" \"UA\"";
	char line[256];

	snprintf(line, sizeof(line), "%s 0.123", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("request_time", "0.123");
	FIELD("user", "bob");
	FIELD("referrer", "http://r/");
	/* nginx: "$http_x_forwarded_for" then $request_time $upstream_response_time */
	snprintf(line, sizeof(line), "%s \"1.1.1.1, 0.5\" 12 0.004 0.003", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("request_time", "0.004");
	/* a keyed rt= wins over an earlier bare number */
	snprintf(line, sizeof(line), "%s 0.9 rt=1.250 uct=\"0.000\"", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("request_time", "1.250");
	snprintf(line, sizeof(line), "%s request_time=2", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("request_time", "2");
	snprintf(line, sizeof(line), "%s 902 - 0.5, 1. .5 rt=x", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("request_time", NULL);
	/* an unclosed quote in the trailing part only ends the search */
	snprintf(line, sizeof(line), "%s \"abc 0.5", pre);
	cr_assert_eq(parse(access_parse, line), 0);
	FIELD("request_time", NULL);
	FIELD("user_agent", "UA");
}

Test(access, bytes_dash_and_trailing_whitespace)
{
	cr_assert_eq(
	    parse(access_parse,
		  "1.2.3.4 id - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 304 -\r\n"),
	    0);
	FIELD("bytes", NULL);
	FIELD("ident", "id");
	FIELD("status", "304");
	cr_assert_eq(fs.n, 7); /* user "-" and bytes "-" omitted */
	/* an unreadable time still parses, without a timestamp */
	cr_assert_eq(parse(access_parse, "1.2.3.4 - - [yesterday] \"GET / HTTP/1.1\" 200 1"), 0);
	FIELD("time", "yesterday");
	cr_assert(!fs.has_ts);
}

Test(access, not_access_lines_are_rejected_and_leave_the_set_alone)
{
	static const char *const bad[] = {
	    "",
	    "hello world",
	    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
	    "{\"ip\":\"1.2.3.4\"}",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 2000 1",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 20x 1",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 12a",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1 200 1",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] GET / HTTP/1.1 200 1",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000 \"GET / HTTP/1.1\" 200 1",
	    "1.2.3.4 - - [] \"GET / HTTP/1.1\" 200 1",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000]\"GET / HTTP/1.1\" 200 1",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 1 \"ref",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 1 \"ref\" \"ua",
	    "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / \\\" 200 1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fields_reset(&fs);
		fields_add(&fs, "pre", 3, "x", 1);
		fs.slen = 7;
		size_t n = strlen(bad[i]);
		char *c = malloc(n ? n : 1);
		memcpy(c, bad[i], n);
		cr_expect_eq(access_parse(c, n, &fs), -1, "accepted: %s", bad[i]);
		cr_expect(fs.n == 1 && fs.slen == 7 && !fs.has_ts && fs.dropped == 0, "%s", bad[i]);
		free(c);
	}
}

Test(access, full_set_counts_dropped_fields)
{
	const char *l = "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 1";

	fields_reset(&fs);
	for (int i = 0; i < FIELDS_MAX - 3; i++)
		fields_add(&fs, "x", 1, "y", 1);
	cr_assert_eq(access_parse(l, strlen(l), &fs), 0);
	cr_assert_eq(fs.n, FIELDS_MAX);
	cr_assert_eq(fs.dropped, 4); /* ip time method path protocol status bytes: 3 kept */
	cr_assert(fs.f[FIELDS_MAX - 1].nlen == 6 &&
		  !memcmp(fs.f[FIELDS_MAX - 1].name, "method", 6));
	cr_assert(fs.has_ts);
}

/* ---- json ---- */

Test(json, members_become_fields)
{
	const char *s = " {\"msg\":\"hello\", \"n\": -12.5e3, \"ok\":true, \"no\":false, "
			"\"nil\":null, \"empty\":\"\"}\n";

	cr_assert_eq(parse(json_parse_fields, s), 0);
	cr_assert_eq(fs.n, 6);
	FIELD("msg", "hello");
	FIELD("n", "-12.5e3");
	FIELD("ok", "true");
	FIELD("no", "false");
	FIELD("nil", "null");
	FIELD("empty", "");
	cr_assert_eq(fs.slen, 0); /* all zero-copy */
	for (uint32_t i = 0; i < fs.n; i++)
		cr_assert(in_record(fs.f[i].name, fs.f[i].nlen) &&
			  in_record(fs.f[i].val, fs.f[i].vlen));
	cr_assert(!fs.has_ts);
}

Test(json, nested_objects_give_dotted_names_arrays_raw)
{
	const char *s = "{\"req\":{\"path\":\"/x\",\"h\":{\"a\":1,\"b\":{}}},\"arr\":[1, "
			"{\"in\":[2,{}]}, \"s\"],\"e\":[],\"z\":2}";

	cr_assert_eq(parse(json_parse_fields, s), 0);
	FIELD("req.path", "/x");
	FIELD("req.h.a", "1");
	FIELD("req.h.b", NULL);
	FIELD("req", NULL);
	FIELD("arr", "[1, {\"in\":[2,{}]}, \"s\"]");
	FIELD("arr.in", NULL);
	FIELD("e", "[]");
	FIELD("z", "2");
	cr_assert_eq(fs.n, 5);
	const struct field *f = get("req.h.a");
	cr_assert(in_scratch(f->name, f->nlen));
	cr_assert(in_record(get("arr")->val, get("arr")->vlen));
	/* document order */
	cr_assert(fs.f[0].nlen == 8 && !memcmp(fs.f[0].name, "req.path", 8));
	cr_assert(fs.f[4].nlen == 1 && !memcmp(fs.f[4].name, "z", 1));
}

Test(json, angle_grinder_record_with_object_and_array)
{
	char *l = file_line("access_logs/angle-grinder/timeslice_1.toml", 15);

	cr_assert_eq(parse(json_parse_fields, l), 0, "%s", l);
	FIELD("lvl", "FATAL");
	FIELD("msg", "shoot");
	FIELD("obj.field1", "hi");
	FIELD("obj.field2", "2");
	FIELD("arr", "[\"hi\", {\"sub1\": true}]");
	cr_assert(fs.has_ts);
	cr_assert_eq(fs.ts_ms, 1378508749124); /* 2013-09-06T23:05:49.124817Z */
	free(l);
}

Test(json, string_escapes_are_decoded_into_scratch)
{
	cr_assert_eq(parse(json_parse_fields, "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}"), 0);
	FIELD("s", "a\"b\\c/d\b\f\n\r\t");
	cr_assert(in_scratch(get("s")->val, get("s")->vlen));
	cr_assert_eq(fs.slen, get("s")->vlen); /* unused room given back */

	cr_assert_eq(parse(json_parse_fields, "{\"u\":\"\\u00e9\\u20AC\\u0041\\ud83d\\ude00\"}"),
		     0);
	FIELD("u", "\xc3\xa9\xe2\x82\xac"
		   "A\xf0\x9f\x98\x80");
	/* \u0000 is a NUL byte in the value */
	cr_assert_eq(parse(json_parse_fields, "{\"z\":\"a\\u0000b\"}"), 0);
	check_field("z", "a\0b", 3);
	/* escaped keys are decoded too, also inside dotted names */
	cr_assert_eq(parse(json_parse_fields, "{\"k\\u0065y\":1,\"o\":{\"\\\"q\":2}}"), 0);
	FIELD("key", "1");
	FIELD("o.\"q", "2");
}

Test(json, invalid_utf8_and_high_bytes_are_kept)
{
	static const char s[] = "{\"b\":\"\xff\xfe\xc3\x28 \xe2\x82\",\"\xc0\xaf\":1}";

	cr_assert_eq(parse_n(json_parse_fields, s, sizeof(s) - 1), 0);
	FIELD("b", "\xff\xfe\xc3\x28 \xe2\x82");
	FIELD("\xc0\xaf", "1");
}

Test(json, numbers_are_raw_text_however_big)
{
	char big[700];
	int n = snprintf(big, sizeof(big), "{\"n\":");

	for (int i = 0; i < 600; i++)
		big[n++] = (char)('1' + i % 9);
	memcpy(big + n, ".5e-999999}", 12);
	cr_assert_eq(parse(json_parse_fields, big), 0);
	cr_assert_eq(get("n")->vlen, 600 + 10);
	cr_assert_eq(
	    parse(json_parse_fields, "{\"a\":0,\"b\":-0,\"c\":0.0,\"d\":1E+2,\"e\":-1e-2}"), 0);
	FIELD("a", "0");
	FIELD("b", "-0");
	FIELD("c", "0.0");
	FIELD("d", "1E+2");
	FIELD("e", "-1e-2");
}

Test(json, syntax_errors_are_rejected_and_leave_the_set_alone)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "{",
	    "}",
	    "[]",
	    "[{\"a\":1}]",
	    "\"a\"",
	    "1",
	    "null",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\" 1}",
	    "{\"a\":1,}",
	    "{,}",
	    "{\"a\":1 \"b\":2}",
	    "{'a':1}",
	    "{a:1}",
	    "{\"a\":01}",
	    "{\"a\":1.}",
	    "{\"a\":.5}",
	    "{\"a\":+1}",
	    "{\"a\":-}",
	    "{\"a\":1e}",
	    "{\"a\":1e+}",
	    "{\"a\":0x1}",
	    "{\"a\":NaN}",
	    "{\"a\":tru}",
	    "{\"a\":True}",
	    "{\"a\":nul}",
	    "{\"a\":truex}",
	    "{\"a\":[1,]}",
	    "{\"a\":[1 2]}",
	    "{\"a\":[}",
	    "{\"a\":[1}",
	    "{\"a\":{\"b\":1]}",
	    "{\"a\":1}x",
	    "{\"a\":1}{}",
	    "{\"a\":1} ,",
	    "{\"a\":\"x}",
	    "{\"a\":\"x\\\"}",
	    "{\"a\":\"x\\q\"}",
	    "{\"a\":\"\\x41\"}",
	    "{\"a\":\"\\u12G4\"}",
	    "{\"a\":\"\\u12\"}",
	    "{\"a\":\"\\ud83d\"}",
	    "{\"a\":\"\\ud83dx\"}",
	    "{\"a\":\"\\ud83d\\u0041\"}",
	    "{\"a\":\"\\ude00\\ud83d\"}",
	    "{\"a\":\"\\ude00\"}",
	    "{\"a\":\"tab\there\"}",
	    "{\"a\":\"nl\nhere\"}",
	    "{\"a\\u\":1}",
	    "{\"a\":1}\v",
	    "\xef\xbb{}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fields_reset(&fs);
		fields_add(&fs, "pre", 3, "x", 1);
		fs.slen = 5;
		size_t n = strlen(bad[i]);
		char *c = malloc(n ? n : 1);
		memcpy(c, bad[i], n);
		cr_expect_eq(json_parse_fields(c, n, &fs), -1, "accepted: %s", bad[i]);
		cr_expect(fs.n == 1 && fs.slen == 5 && fs.dropped == 0 && !fs.has_ts, "%s", bad[i]);
		free(c);
	}
	/* a NUL byte after the object, and inside a string */
	cr_assert_eq(parse_n(json_parse_fields, "{\"a\":1}\0", 8), -1);
	cr_assert_eq(parse_n(json_parse_fields, "{\"a\":\"x\0y\"}", 11), -1);
	/* an error after fields were added rewinds them */
	cr_assert_eq(parse(json_parse_fields, "{\"a\":1,\"b\":{\"c\":\"\\n\"},\"d\":x}"), -1);
	cr_assert_eq(fs.n, 0);
	cr_assert_eq(fs.slen, 0);
}

Test(json, whitespace_and_bom_around_the_object)
{
	cr_assert_eq(parse(json_parse_fields, " \t\r\n{ \"a\" : 1 , \"b\" : [ 1 , 2 ] } \t\r\n"),
		     0);
	FIELD("a", "1");
	FIELD("b", "[ 1 , 2 ]");
	cr_assert_eq(parse(json_parse_fields, "\xef\xbb\xbf{\"a\":1}"), 0);
	FIELD("a", "1");
	cr_assert_eq(parse(json_parse_fields, "{}"), 0);
	cr_assert_eq(fs.n, 0);
}

/* n containers: {"a":{"a":...}} or {"a":[[...]]} */
static char *nested(int n, bool arrays)
{
	char *s = malloc((size_t)n * 6 + 16), *p = s;

	*p++ = '{';
	for (int i = 1; i < n; i++) {
		if (arrays) {
			if (i == 1)
				p += sprintf(p, "\"a\":");
			*p++ = '[';
		} else {
			p += sprintf(p, "\"a\":{");
		}
	}
	if (!arrays)
		p += sprintf(p, "\"v\":1");
	for (int i = 1; i < n; i++)
		*p++ = arrays ? ']' : '}';
	*p++ = '}';
	*p = '\0';
	return s;
}

Test(json, depth_limit_is_32_containers)
{
	char *s = nested(JSON_FIELDS_DEPTH, false);
	cr_assert_eq(parse(json_parse_fields, s), 0);
	cr_assert_eq(fs.n, 1);
	cr_assert_eq(fs.f[0].nlen, 2 * (JSON_FIELDS_DEPTH - 1) + 1); /* a.a. ... .v */
	free(s);
	s = nested(JSON_FIELDS_DEPTH + 1, false);
	cr_assert_eq(parse(json_parse_fields, s), -1);
	free(s);
	s = nested(JSON_FIELDS_DEPTH, true);
	cr_assert_eq(parse(json_parse_fields, s), 0);
	cr_assert_eq(fs.n, 1);
	cr_assert_eq(fs.f[0].vlen, 2 * (JSON_FIELDS_DEPTH - 1));
	free(s);
	s = nested(JSON_FIELDS_DEPTH + 1, true);
	cr_assert_eq(parse(json_parse_fields, s), -1);
	free(s);
	/* very deep input fails fast, without recursion */
	s = nested(200000, true);
	cr_assert_eq(parse(json_parse_fields, s), -1);
	free(s);
}

Test(json, fields_beyond_the_set_are_counted)
{
	char s[4096];
	int n = sprintf(s, "{");

	for (int i = 0; i < 100; i++)
		n += sprintf(s + n, "%s\"k%d\":%d", i ? "," : "", i, i);
	sprintf(s + n, ",\"ts\":1709647331}");
	cr_assert_eq(parse(json_parse_fields, s), 0);
	cr_assert_eq(fs.n, FIELDS_MAX);
	cr_assert_eq(fs.dropped, 101 - FIELDS_MAX);
	FIELD("k63", "63");
	FIELD("k64", NULL);
	/* the timestamp is still found */
	cr_assert(fs.has_ts);
	cr_assert_eq(fs.ts_ms, 1709647331000);
}

Test(json, names_beyond_the_scratch_are_counted)
{
	/* each nested member needs a 201+-byte name in scratch */
	static char s[60000];
	char key[201];
	int n = sprintf(s, "{");

	memset(key, 'k', 200);
	key[200] = '\0';
	n += sprintf(s + n, "\"%s\":{", key);
	for (int i = 0; i < 50; i++)
		n += sprintf(s + n, "%s\"%s%02d\":\"x\"", i ? "," : "", key, i);
	sprintf(s + n, "},\"top\":\"t\"}");
	cr_assert_eq(parse(json_parse_fields, s), 0);
	cr_assert_gt(fs.dropped, 0);
	cr_assert_eq(fs.n + fs.dropped, 51);
	cr_assert_leq(fs.slen, FIELDS_SCRATCH);
	FIELD("top", "t"); /* zero-copy: still kept */
	for (uint32_t i = 0; i + 1 < fs.n; i++)
		cr_assert(in_scratch(fs.f[i].name, fs.f[i].nlen) && fs.f[i].nlen == 403);
}

Test(json, timestamp_from_the_preferred_member)
{
	static const struct {
		const char *in;
		int64_t ms; /* -1: none */
	} t[] = {
	    {"{\"@timestamp\":\"2024-03-05T14:02:11.123Z\"}", 1709647331123},
	    {"{\"timestamp\":\"2024-03-05T15:02:11+01:00\"}", 1709647331000},
	    {"{\"time\":\"05/Mar/2024:14:02:11 +0000\"}", 1709647331000},
	    {"{\"ts\":1709647331.5}", 1709647331500},
	    {"{\"ts\":1709647331123}", 1709647331123},
	    {"{\"ts\":\"1709647331\"}", 1709647331000},
	    /* preference, not document order */
	    {"{\"ts\":1,\"time\":\"2024-03-05T14:02:11Z\",\"@timestamp\":\"2024-03-05T14:02:12Z\"}",
	     1709647332000},
	    /* the preferred one decides, even when it is no time */
	    {"{\"@timestamp\":\"soon\",\"ts\":1709647331}", -1},
	    /* only strings and numbers; only top-level members */
	    {"{\"ts\":true,\"time\":1709647331}", 1709647331000},
	    {"{\"x\":{\"ts\":1709647331}}", -1},
	    {"{\"ts\":\"Mar  5 14:02:11\"}", -1}, /* no year, no "now" */
	    {"{\"t\\u0073\":\"2024-03-05T14:02:11Z\"}", 1709647331000},
	    {"{\"ts\":\"2024-03-05T14:02:11\\u005a\"}", 1709647331000},
	    {"{\"ts\":1.709647331e9}", -1},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(parse(json_parse_fields, t[i].in), 0, "%s", t[i].in);
		if (t[i].ms == -1) {
			cr_expect(!fs.has_ts, "%s", t[i].in);
		} else {
			cr_expect(fs.has_ts, "%s", t[i].in);
			cr_expect_eq(fs.ts_ms, t[i].ms, "%s: %lld", t[i].in, (long long)fs.ts_ms);
		}
	}
}

/* angle-grinder's known answer: the 13 records counted per 5-minute window. */
Test(json, angle_grinder_timeslice_counts)
{
	size_t len, n;
	char *buf = slurp("access_logs/angle-grinder/timeslice_1.toml", &len);
	struct lines it = {buf, buf + len};
	const char *l;
	int64_t slot[16];
	int count[16] = {0}, nslots = 0, records = 0, section = 0;

	while (next_line(&it, &l, &n)) {
		if (n >= 5 && !memcmp(l, "input", 5)) {
			section = 1;
			continue;
		}
		if (n >= 6 && !memcmp(l, "output", 6)) {
			section = 2;
			continue;
		}
		if (section == 1 && n > 0 && l[0] == '{') {
			cr_assert_eq(parse_n(json_parse_fields, l, n), 0, "%.*s", (int)n, l);
			cr_assert(fs.has_ts);
			int64_t s = fs.ts_ms / 300000;
			int k;
			for (k = 0; k < nslots && slot[k] != s; k++)
				;
			if (k == nslots)
				slot[nslots++] = s;
			count[k]++;
			records++;
		}
		/* "2013-09-06 20:00:00 UTC        2" */
		if (section == 2 && n > 24 && l[0] >= '0' && l[0] <= '9') {
			int64_t ms;
			cr_assert_eq(ts_parse(l, 19, 0, 0, &ms), 0);
			int k;
			for (k = 0; k < nslots && slot[k] != ms / 300000; k++)
				;
			cr_assert_lt(k, nslots, "no records in %.19s", l);
			int want = -1;
			cr_assert_eq(sscanf(l + 19, " UTC %d", &want), 1);
			cr_assert_eq(count[k], want, "%.19s", l);
			count[k] = -1; /* seen */
		}
	}
	cr_assert_eq(records, 13);
	for (int k = 0; k < nslots; k++)
		cr_assert_eq(count[k], -1, "a window the expected output lacks");
	free(buf);
}

Test(json, unescape_is_lenient_and_never_grows)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"a\\nb", "a\nb"},
	    {"\\q", "\\q"},
	    {"\\", "\\"},
	    {"\\u12", "\\u12"},
	    {"\\ud83d", "\\ud83d"},
	    {"\\ude00x", "\\ude00x"},
	    {"\\ud83d\\u0041", "\\ud83dA"},
	    {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
	    {"\\u07ff\\u0800", "\xdf\xbf\xe0\xa0\x80"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = json_fields_unescape(t[i].in, strlen(t[i].in), out);
		cr_expect(n <= strlen(t[i].in));
		cr_expect(n == strlen(t[i].out) && !memcmp(out, t[i].out, n), "%s", t[i].in);
	}
}

/* ---- logfmt ---- */

Test(logfmt, heroku_router_line)
{
	/* the router log line from Heroku's logging documentation */
	cr_assert_eq(
	    parse(logfmt_parse,
		  "at=info method=GET path=\"/\" host=myapp.herokuapp.com "
		  "request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd=\"204.204.204.204\" "
		  "dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https"),
	    0);
	cr_assert_eq(fs.n, 12);
	FIELD("at", "info");
	FIELD("path", "/");
	FIELD("fwd", "204.204.204.204");
	FIELD("service", "18ms");
	FIELD("protocol", "https");
	cr_assert_eq(fs.slen, 0);
	cr_assert(!fs.has_ts);
}

Test(logfmt, quoting_escapes_bare_keys_and_empties)
{
	cr_assert_eq(parse(logfmt_parse, "lvl=warn msg=\"disk \\\"sda\\\" at 91% \\\\ \\n\" "
					 "empty= quoted=\"\" debug url=/a?b=c&d=e x=a\"b"),
		     0);
	FIELD("lvl", "warn");
	FIELD("msg", "disk \"sda\" at 91% \\ \n");
	cr_assert(in_scratch(get("msg")->val, get("msg")->vlen));
	FIELD("empty", "");
	FIELD("quoted", "");
	FIELD("debug", "true");
	cr_assert(in_scratch(get("debug")->val, 4));
	FIELD("url", "/a?b=c&d=e");
	FIELD("x", "a\"b");
	cr_assert_eq(fs.n, 7);
	/* go-logfmt's \u escapes; an invalid escape stays as written */
	cr_assert_eq(parse(logfmt_parse, "a=\"caf\\u00e9 \\ud83d\\ude00\" b=\"\\q\\u12\""), 0);
	FIELD("a", "caf\xc3\xa9 \xf0\x9f\x98\x80");
	FIELD("b", "\\q\\u12");
	/* several bare keys share one "true" */
	cr_assert_eq(parse(logfmt_parse, "a b c d=1"), 0);
	cr_assert(get("a")->val == get("c")->val);
	cr_assert_eq(fs.slen, 4);
}

Test(logfmt, separators_and_stray_tokens)
{
	/* tabs and other control bytes separate; stray quoted strings and
	 * key-less values are skipped */
	cr_assert_eq(
	    parse(logfmt_parse, "\ta=1\tb=2 \"stray words\" =lost =\"lost too\" c=3  \r\n"), 0);
	cr_assert_eq(fs.n, 3);
	FIELD("a", "1");
	FIELD("b", "2");
	FIELD("c", "3");
	/* keys are any other bytes, UTF-8 or not */
	static const char s[] = "\xc3\xa9t\xc3\xa9=\xff k.e-y/1=v";
	cr_assert_eq(parse_n(logfmt_parse, s, sizeof(s) - 1), 0);
	FIELD("\xc3\xa9t\xc3\xa9", "\xff");
	FIELD("k.e-y/1", "v");
	/* a key glued to a quote is a bare key, the quote a stray string */
	cr_assert_eq(parse(logfmt_parse, "k\"v w\" a=1"), 0);
	FIELD("k", "true");
	FIELD("a", "1");
	cr_assert_eq(fs.n, 2);
	/* a NUL byte separates */
	cr_assert_eq(parse_n(logfmt_parse, "a=1\0b=2", 7), 0);
	FIELD("a", "1");
	FIELD("b", "2");
}

Test(logfmt, records_without_pairs_or_with_open_quotes_are_rejected)
{
	static const char *const bad[] = {
	    "",	       "   ",	  "just some words",  "bare keys only",	   "=x",
	    "=\"x\"",  "\"a=b\"", "a=\"unterminated", "a=1 b=\"open \\\"", "a=1 \"stray",
	    "a=\"x\\",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fields_reset(&fs);
		fields_add(&fs, "pre", 3, "x", 1);
		size_t n = strlen(bad[i]);
		char *c = malloc(n ? n : 1);
		memcpy(c, bad[i], n);
		cr_expect_eq(logfmt_parse(c, n, &fs), -1, "accepted: %s", bad[i]);
		cr_expect(fs.n == 1 && fs.slen == 0 && fs.dropped == 0, "%s", bad[i]);
		free(c);
	}
}

Test(logfmt, timestamp_from_time_ts_or_timestamp)
{
	cr_assert_eq(parse(logfmt_parse, "time=2024-03-05T14:02:11.5Z level=info"), 0);
	cr_assert(fs.has_ts);
	cr_assert_eq(fs.ts_ms, 1709647331500);
	cr_assert_eq(parse(logfmt_parse, "timestamp=1 ts=\"2024-03-05 15:02:11 +0100\" m=x"), 0);
	cr_assert_eq(fs.ts_ms, 1709647331000);
	cr_assert_eq(parse(logfmt_parse, "timestamp=1709647331 m=x"), 0);
	cr_assert_eq(fs.ts_ms, 1709647331000);
	cr_assert_eq(parse(logfmt_parse, "time=later ts=1709647331 m=x"), 0);
	cr_assert(!fs.has_ts);
	cr_assert_eq(parse(logfmt_parse, "time m=x"), 0);
	cr_assert(!fs.has_ts);
}

Test(logfmt, fields_beyond_the_set_are_counted)
{
	char s[2048];
	int n = 0;

	for (int i = 0; i < 80; i++)
		n += sprintf(s + n, "k%d=\"v\\n\" ", i);
	cr_assert_eq(parse(logfmt_parse, s), 0);
	cr_assert_eq(fs.n, FIELDS_MAX);
	cr_assert_eq(fs.dropped, 80 - FIELDS_MAX);
	cr_assert_eq(fs.slen, 2 * FIELDS_MAX); /* dropped values took no scratch */
}

/* ---- all parsers ---- */

/* Inputs of several MB built to hurt a parser that backtracks or rescans:
 * each must finish well inside the timeout. */
Test(all, big_pathological_inputs_take_linear_time, .timeout = 20)
{
	const size_t big = 4 << 20;
	char *s = malloc(big + 256);
	size_t n;

	/* access: a user agent made of escaped quotes, then many trailing tokens */
	n = (size_t)sprintf(s, "1.2.3.4 - - [05/Mar/2024:14:02:11 +0000] \"GET / HTTP/1.1\" 200 1 "
			       "\"-\" \"");
	while (n < big / 2) {
		memcpy(s + n, "\\\" ", 3);
		n += 3;
	}
	s[n++] = '"';
	while (n < big) {
		memcpy(s + n, " \"1 ", 4);
		n += 4;
	}
	cr_assert_eq(parse_n(access_parse, s, n), 0);
	cr_assert_null(get("user_agent")); /* its rewrite does not fit in scratch */
	cr_assert_eq(fs.dropped, 1);
	cr_assert_null(get("request_time"));
	/* json: members with escaped values beyond the set, then an error at the end */
	n = 0;
	s[n++] = '{';
	for (int i = 0; n < big; i++)
		n += (size_t)sprintf(s + n, "\"k%d\":{\"x\":\"\\n\",\"y\":[1]},", i);
	s[n - 1] = '}';
	cr_assert_eq(parse_n(json_parse_fields, s, n), 0);
	cr_assert_eq(fs.n, FIELDS_MAX);
	cr_assert_gt(fs.dropped, 100000);
	s[n - 1] = ',';
	cr_assert_eq(parse_n(json_parse_fields, s, n), -1);
	cr_assert_eq(fs.n, 0);
	/* json: an unclosed string of backslash escapes */
	n = 0;
	n += (size_t)sprintf(s, "{\"a\":\"");
	while (n < big) {
		memcpy(s + n, "\\\\", 2);
		n += 2;
	}
	cr_assert_eq(parse_n(json_parse_fields, s, n), -1);
	/* logfmt: bare keys, and quoted values with escapes */
	n = 0;
	while (n < big) {
		memcpy(s + n, "a b=\"\\\"\" ", 10);
		n += 10;
	}
	cr_assert_eq(parse_n(logfmt_parse, s, n), 0);
	cr_assert_eq(fs.n, FIELDS_MAX);
	/* timestamp: a long run of fraction digits */
	n = (size_t)sprintf(s, "2024-03-05T14:02:11.");
	memset(s + n, '7', big - n);
	int64_t ms;
	cr_assert_eq(ts_parse(s, big, 0, 0, &ms), 0);
	cr_assert_eq(ms, 1709647331777);
	free(s);
}
