/* test_pattern.c - rule compilation and per-record match semantics. */
#include "core/config.h"
#include "pattern/pattern.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 8

struct fixture {
	struct cfg cfg;
	struct cfg_rule rules[MAX_RULES];
	struct pat_db *db;
	struct pat_scanner *sc;
	uint64_t counts[MAX_RULES];
	struct pat_cut cut;
};

static void setup_rules(struct fixture *f, const char *const *exprs, const unsigned *flags,
			size_t n)
{
	char *errs = NULL;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->cfg.file = "test.yaml";
	for (i = 0; i < n; i++) {
		f->rules[i].name = (char *)exprs[i];
		f->rules[i].match = (char *)exprs[i];
		f->rules[i].flags = flags ? flags[i] : 0;
		f->rules[i].match_pos = (struct cfg_pos){"test.yaml", (int)i + 2, 12};
	}
	f->cfg.rules = f->rules;
	f->cfg.nrules = n;
	cr_assert_eq(pat_db_compile(&f->cfg, &f->db, &errs), 0, "compile: %s", errs);
	cr_assert_eq(pat_scanner_new(f->db, &f->sc), 0);
}

static void teardown_rules(struct fixture *f)
{
	pat_scanner_free(f->sc);
	pat_db_free(f->db);
}

static int64_t scan(struct fixture *f, const char *text, uint32_t max_line)
{
	return pat_scan_lines(f->sc, text, strlen(text), max_line, f->counts, &f->cut);
}

Test(pattern, match_never_spans_records)
{
	static const char *const r[] = {"a[^z]*b"};
	struct fixture f;

	setup_rules(&f, r, NULL, 1);
	cr_assert_eq(scan(&f, "a\nb\n", 1024), 2);
	cr_assert_eq(f.counts[0], 0, "a[^z]*b must not match across the newline");
	cr_assert_eq(scan(&f, "a-b\n", 1024), 1);
	cr_assert_eq(f.counts[0], 1);
	teardown_rules(&f);
}

Test(pattern, record_counts_once_per_rule)
{
	static const char *const r[] = {"x", "y"};
	struct fixture f;

	setup_rules(&f, r, NULL, 2);
	cr_assert_eq(scan(&f, "xxxx y\nx\nnone\n", 1024), 3);
	cr_assert_eq(f.counts[0], 2);
	cr_assert_eq(f.counts[1], 1);
	teardown_rules(&f);
}

Test(pattern, anchors_are_record_ends_and_cr_is_not_content)
{
	static const char *const r[] = {"^start", "end$", "^$"};
	struct fixture f;

	setup_rules(&f, r, NULL, 3);
	scan(&f, "start end\r\nno start\n\r\n\nthe end\n", 1024);
	cr_assert_eq(f.counts[0], 1, "^ anchors at the record's start");
	cr_assert_eq(f.counts[1], 2, "$ anchors before CR LF and LF");
	cr_assert_eq(f.counts[2], 2, "a CR LF line and an LF line are both empty records");
	teardown_rules(&f);
}

Test(pattern, caseless_flag)
{
	static const char *const r[] = {"error", "error"};
	static const unsigned fl[] = {0, CFG_RULE_CASELESS};
	struct fixture f;

	setup_rules(&f, r, fl, 2);
	scan(&f, "ERROR\nError\nerror\n", 1024);
	cr_assert_eq(f.counts[0], 1);
	cr_assert_eq(f.counts[1], 3);
	teardown_rules(&f);
}

Test(pattern, last_record_without_newline_and_binary_bytes)
{
	static const char *const r[] = {"b\\x00c", "tail"};
	struct fixture f;
	static const char text[] = "a\xff\xfe b\0c\n\x80\x81tail";

	setup_rules(&f, r, NULL, 2);
	cr_assert_eq(pat_scan_lines(f.sc, text, sizeof(text) - 1, 1024, f.counts, &f.cut), 2);
	cr_assert_eq(f.counts[0], 1, "NUL bytes are ordinary bytes");
	cr_assert_eq(f.counts[1], 1, "the last record needs no newline");
	teardown_rules(&f);
}

Test(pattern, overlong_record_scanned_up_to_max_line)
{
	static const char *const r[] = {"early", "late"};
	struct fixture f;

	setup_rules(&f, r, NULL, 2);
	scan(&f, "early 0123456789 late\nshort late\n", 12);
	cr_assert_eq(f.counts[0], 1);
	cr_assert_eq(f.counts[1], 1, "'late' beyond max_line is not seen; the short line's is");
	cr_assert_eq(f.cut.lines, 1);
	cr_assert_eq(f.cut.bytes, 9, "' late' and the rest beyond 12 bytes");
	teardown_rules(&f);
}

Test(pattern, no_rules_counts_records)
{
	struct fixture f;

	setup_rules(&f, NULL, NULL, 0);
	cr_assert_eq(scan(&f, "a\nb\nc", 1024), 3);
	teardown_rules(&f);
}

Test(pattern, compile_errors_name_every_bad_rule_with_position)
{
	struct cfg cfg = {0};
	struct cfg_rule rules[3] = {
	    {.name = "good", .match = "ok"},
	    {.name = "bad_range", .match = "a{3,1}"},
	    {.name = "bad_lookbehind", .match = "(?<=a+)b"},
	};
	struct pat_db *db = NULL;
	char *errs = NULL;

	rules[1].match_pos = (struct cfg_pos){"r.yaml", 7, 12};
	rules[2].match_pos = (struct cfg_pos){"r.yaml", 9, 12};
	cfg.file = "r.yaml";
	cfg.rules = rules;
	cfg.nrules = 3;
	cr_assert_eq(pat_db_compile(&cfg, &db, &errs), -EINVAL);
	cr_assert_null(db);
	cr_assert_not_null(errs);
	cr_assert_not_null(strstr(errs, "r.yaml:7:12: rule 'bad_range'"), "%s", errs);
	cr_assert_not_null(strstr(errs, "r.yaml:9:12: rule 'bad_lookbehind'"), "%s", errs);
	cr_assert_null(strstr(errs, "'good'"), "%s", errs);
	free(errs);
}
