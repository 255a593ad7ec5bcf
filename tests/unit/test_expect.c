/* test_expect.c - the golden comparison of `weir scan --expect`: every
 * difference is one exact line, recursion needs no knowledge of the keys,
 * and a bad golden is refused with its position. */
#include "app/expect.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct case_ {
	const char *what;
	const char *golden;
	const char *result;
	const char *report; /* every difference line, in order */
};

#define R2 "{\"rules\": [{\"name\": \"a\", \"total\": 1}, {\"name\": \"b\", \"total\": 2}], "

static const struct case_ cases[] = {
    {"identical", R2 "\"records\": 3}", R2 "\"records\": 3}", ""},
    {"rule order does not matter",
     "{\"rules\": [{\"name\": \"b\", \"total\": 2}, {\"name\": \"a\", \"total\": 1}]}",
     R2 "\"records\": 3}", ""},
    {"keys only the result has are ignored", R2 "\"records\": 3}",
     "{\"rules\": [{\"name\": \"a\", \"total\": 1, \"value\": {\"sum\": 4}}, "
     "{\"name\": \"b\", \"total\": 2}], \"records\": 3, \"bytes\": 9}",
     ""},
    {"a rule's total", R2 "\"records\": 3}",
     "{\"rules\": [{\"name\": \"a\", \"total\": 1}, {\"name\": \"b\", \"total\": 7}], "
     "\"records\": 3}",
     "  rule b: total: expected 2, got 7\n"},
    {"top-level number", R2 "\"records\": 3, \"parse_errors\": 0}",
     R2 "\"records\": 4, \"parse_errors\": 0}", "  records: expected 3, got 4\n"},
    {"top-level key missing from the result", R2 "\"unmatched\": 5}", R2 "\"records\": 3}",
     "  unmatched: missing (expected 5)\n"},
    {"golden rule missing, result rule extra", R2 "\"records\": 3}",
     "{\"rules\": [{\"name\": \"a\", \"total\": 1}, {\"name\": \"c\", \"total\": 2}], "
     "\"records\": 3}",
     "  rule b: not in the result\n  rule c: not in the golden\n"},
    {"a golden rule with only a name checks presence only",
     "{\"rules\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}", R2 "\"records\": 3}", ""},
    {"nested key the result lacks",
     "{\"rules\": [{\"name\": \"a\", \"value\": {\"count\": 1, \"p99\": 3}}]}",
     "{\"rules\": [{\"name\": \"a\", \"value\": {\"count\": 1}}]}",
     "  rule a: value.p99: missing (expected 3)\n"},
    {"nested numbers: integers exact, reals within 1e-9 relative",
     "{\"rules\": [{\"name\": \"a\", \"value\": {\"count\": 10, \"mean\": 0.1, \"max\": 2, "
     "\"min\": 1e6, \"sum\": 3.0}}]}",
     "{\"rules\": [{\"name\": \"a\", \"value\": {\"count\": 11, \"mean\": 0.10000000000000001, "
     "\"max\": 2.0, \"min\": 1000000.002, \"sum\": 3.0000000000001}}]}",
     "  rule a: value.count: expected 10, got 11\n"
     "  rule a: value.min: expected 1000000.0, got 1000000.002\n"},
    {"arrays element by element and by length",
     "{\"rules\": [{\"name\": \"a\", \"top\": {\"items\": [{\"value\": \"x\", \"count\": 3}, "
     "{\"value\": \"y\", \"count\": 2}]}}]}",
     "{\"rules\": [{\"name\": \"a\", \"top\": {\"items\": [{\"value\": \"x\", \"count\": 3}, "
     "{\"value\": \"z\", \"count\": 1}, {\"value\": \"w\", \"count\": 1}]}}]}",
     "  rule a: top.items: expected 2 elements, got 3\n"
     "  rule a: top.items[1].value: expected \"y\", got \"z\"\n"
     "  rule a: top.items[1].count: expected 2, got 1\n"},
    {"different types", "{\"rules\": [{\"name\": \"a\", \"distinct\": {\"estimate\": 4}}]}",
     "{\"rules\": [{\"name\": \"a\", \"distinct\": 4}]}",
     "  rule a: distinct: expected {\"estimate\": 4}, got 4\n"},
    {"booleans and null by value", "{\"rules\": [], \"x\": true, \"y\": null, \"z\": false}",
     "{\"rules\": [], \"x\": false, \"y\": null, \"z\": false}", "  x: expected true, got false\n"},
    {"strings exactly, NUL included", "{\"rules\": [], \"s\": \"a\\u0000b\"}",
     "{\"rules\": [], \"s\": \"a\\u0000c\"}", "  s: expected \"a\\u0000b\", got \"a\\u0000c\"\n"},
    {"keys that time the run are not compared",
     "{\"rules\": [{\"name\": \"a\", \"extractions\": 3, \"extract_ns\": 7521}]}",
     "{\"rules\": [{\"name\": \"a\", \"extractions\": 3, \"extract_ns\": 7712}]}", ""},
    {"no rules in the result", R2 "\"records\": 3}", "{\"records\": 3}",
     "  rule a: not in the result\n  rule b: not in the result\n"},
};

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, JSON_ALLOW_NUL, &e);

	cr_assert(v, "bad test JSON %s: %s", s, e.text);
	return v;
}

Test(expect, each_difference_is_one_exact_line)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *g = parse(cases[i].golden), *r = parse(cases[i].result);
		struct strbuf report = {0};
		int n = expect_diff(g, r, &report), lines = 0;
		const char *p;

		for (p = cases[i].report; *p; p++)
			lines += *p == '\n';
		cr_expect_str_eq(report.buf ? report.buf : "", cases[i].report, "%s",
				 cases[i].what);
		cr_expect_eq(n, lines, "%s: %d differences", cases[i].what, n);
		strbuf_free(&report);
		json_decref(g);
		json_decref(r);
	}
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/weir-test-expect-XXXXXX");
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

struct load_case {
	const char *text;
	const char *err; /* after "PATH" */
};

Test(expect, a_bad_golden_is_refused_with_its_position)
{
	static const struct load_case lc[] = {
	    {"{\"rules\": [{\"name\": \"a\", \"total\": 1},]}",
	     ":1:38: invalid JSON: unexpected token near ']'\n"},
	    {"{\n  \"rules\": [\n    {\"name\": x}\n]}",
	     ":3:14: invalid JSON: invalid token near 'x'\n"},
	    {"", ":1:0: invalid JSON: '[' or '{' expected near end of file\n"},
	    {"{\"rules\": [], \"records\": 1, \"records\": 2}",
	     ":1:37: invalid JSON: duplicate object key near '\"records\"'\n"},
	    {"{\"rules\": []} x", ":1:15: invalid JSON: end of file expected near 'x'\n"},
	    {"[]", ": the golden must be a JSON object like the output of weir scan\n"},
	    {"{\"records\": 1}", ": the golden has no \"rules\" array\n"},
	    {"{\"rules\": [{\"total\": 1}]}",
	     ": rules[0] is not an object with a string \"name\"\n"},
	    {"{\"rules\": [3]}", ": rules[0] is not an object with a string \"name\"\n"},
	    {"{\"rules\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", ": rule 'a' is listed twice\n"},
	};
	size_t i;

	for (i = 0; i < sizeof(lc) / sizeof(lc[0]); i++) {
		char *path = write_tmp(lc[i].text), *err = NULL, *want;
		struct expect *e = (struct expect *)1;

		cr_expect_eq(expect_load(path, &e, &err), -EINVAL, "case %zu", i);
		cr_expect_null(e);
		cr_assert(asprintf(&want, "%s%s", path, lc[i].err) > 0);
		cr_expect(err && !strncmp(err, want, strlen(want)), "case %zu: %s", i, err);
		free(want);
		free(err);
		unlink(path);
		free(path);
	}
}

Test(expect, an_unreadable_golden_names_the_error)
{
	char *err = NULL;
	struct expect *e;

	cr_expect_eq(expect_load("/nonexistent/golden.json", &e, &err), -ENOENT);
	cr_expect_str_eq(err, "/nonexistent/golden.json: cannot read the golden: No such file or "
			      "directory\n");
	free(err);
	cr_expect_eq(expect_load("/tmp", &e, &err), -EISDIR);
	free(err);
}

Test(expect, check_gives_a_summary_or_the_differences)
{
	char *path = write_tmp(R2 "\"records\": 3}"), *err = NULL;
	struct strbuf v = {0};
	struct expect *e;
	char want[512];

	cr_assert_eq(expect_load(path, &e, &err), 0, "%s", err);
	cr_expect_eq(expect_nrules(e), 2);
	cr_expect_eq(expect_check(e, R2 "\"records\": 3}", strlen(R2 "\"records\": 3}"), &v), 0);
	snprintf(want, sizeof(want), "matches %s (2 rules)\n", path);
	cr_expect_str_eq(v.buf, want);
	strbuf_free(&v);
	cr_expect_eq(expect_check(e, R2 "\"records\": 5}", strlen(R2 "\"records\": 5}"), &v), 1);
	snprintf(want, sizeof(want), "result differs from %s:\n  records: expected 3, got 5\n",
		 path);
	cr_expect_str_eq(v.buf, want);
	strbuf_free(&v);
	cr_expect_eq(expect_check(e, "{", 1, &v), -EINVAL);
	strbuf_free(&v);
	expect_free(e);
	expect_free(NULL);
	unlink(path);
	free(path);
}
