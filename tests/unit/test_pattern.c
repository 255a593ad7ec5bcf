/* test_pattern.c - rule compilation and per-record match semantics. */
#include "config/config.h"
#include "pattern/pattern.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
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

/* ---------------------------------------------------------------------------
 * Event time: rules that count each record at its own second.
 */

#include "core/tzone.h"

#define OBS_MAX 64

struct seen {
	uint32_t rule;
	enum pat_obs kind;
	uint32_t len;
	int32_t dsec;
	double v;
};

struct obs_log {
	struct seen o[OBS_MAX];
	size_t n;
};

static int log_obs(struct pat_sink *sk, uint32_t rule, enum pat_obs kind, const char *p,
		   uint32_t len, double v)
{
	struct obs_log *l = sk->arg;

	(void)p;
	if (kind == PAT_OBS_EXTRACT)
		return 0;
	cr_assert_lt(l->n, OBS_MAX);
	l->o[l->n++] = (struct seen){rule, kind, len, sk->dsec, v};
	return 0;
}

/* The obs of rule and kind, in order, as "dsec:len" pairs ("-9:2 40:1"). */
static const char *obs_of(const struct obs_log *l, uint32_t rule, enum pat_obs kind)
{
	static char buf[512];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		if (l->o[i].rule == rule && l->o[i].kind == kind)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%d:%u",
						off ? " " : "", l->o[i].dsec, l->o[i].len);
	return buf;
}

struct ev {
	struct cfg *cfg;
	struct pat_db *db;
	struct pat_scanner *sc;
	uint64_t counts[MAX_RULES];
	struct obs_log log;
	struct pat_sink sk;
};

static void ev_setup(struct ev *e, const char *yaml)
{
	char *errs = NULL;

	memset(e, 0, sizeof(*e));
	cr_assert_eq(cfg_load_string("t.yaml", yaml, strlen(yaml), &e->cfg, &errs), 0, "%s", errs);
	cr_assert_eq(pat_db_compile(e->cfg, &e->db, &errs), 0, "%s", errs);
	cr_assert_eq(pat_scanner_new(e->db, &e->sc), 0);
}

/* Scan text (records ended by '\n') as one batch arriving at now_ms. */
static int64_t ev_scan(struct ev *e, const char *text, uint8_t format, int64_t now_ms,
		       const struct pat_time *t)
{
	struct pat_batch b = {text, strlen(text), NULL, 0, "src", format, now_ms, 0};

	memset(e->counts, 0, sizeof(e->counts));
	memset(&e->log, 0, sizeof(e->log));
	e->sk = (struct pat_sink){.counts = e->counts, .obs = log_obs, .arg = &e->log};
	return pat_scan_time(e->sc, &b, t, 4096, &e->sk);
}

static void ev_teardown(struct ev *e)
{
	pat_scanner_free(e->sc);
	pat_db_free(e->db);
	cfg_free(e->cfg);
}

/* 2024-03-05T14:02:20.500Z: records of 14:02:11 are 9 s older, dsec -9. */
#define NOW_14_02_20_5 1709647340500LL

static const char event_rules[] = "rules:\n"
				  "  - {name: ev, match: login, time: event}\n"
				  "  - {name: arr, match: login, time: arrival}\n"
				  "  - {name: inh, match: login}\n";
static const char raw_lines[] = "2024-03-05T14:02:11Z login a\n"
				"2024-03-05T14:02:11.900Z login b\n"
				"2024-03-05T14:02:20Z login c\n"
				"login without a stamp\n"
				"2024-03-05T14:03:00Z login d\n"
				"2024-03-05T14:02:11Z logout\n";

Test(pattern, event_time_rule_emits_counts_at_the_records_second)
{
	struct ev e;

	ev_setup(&e, event_rules);
	cr_assert_eq(ev_scan(&e, raw_lines, CFG_FORMAT_RAW, NOW_14_02_20_5, NULL), 6);
	/* two records of 14:02:11 make one count of 2; 14:02:20 is now's second */
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-9:2 40:1");
	cr_expect_eq(e.counts[0], 2, "the record of now's second and the one without a stamp");
	cr_expect_eq(e.counts[1], 5, "an arrival rule counts every record now");
	cr_expect_eq(e.counts[2], 5, "a rule following an arrival source too");
	cr_expect_str_eq(obs_of(&e.log, 1, PAT_OBS_COUNT), "");
	cr_expect_str_eq(obs_of(&e.log, 2, PAT_OBS_COUNT), "");
	cr_expect_eq(e.sk.no_timestamp, 1);
	cr_expect_eq(e.sk.unmatched, 1);
	cr_expect_eq(e.sk.dsec, 0, "dsec is 0 after the scan");
	ev_teardown(&e);
}

Test(pattern, rules_without_time_follow_an_event_time_source)
{
	struct pat_time t = {true, NULL};
	struct ev e;

	ev_setup(&e, event_rules);
	cr_assert_eq(ev_scan(&e, raw_lines, CFG_FORMAT_RAW, NOW_14_02_20_5, &t), 6);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-9:2 40:1");
	cr_expect_str_eq(obs_of(&e.log, 2, PAT_OBS_COUNT), "-9:2 40:1");
	cr_expect_eq(e.counts[0], 2);
	cr_expect_eq(e.counts[1], 5, "time: arrival beats the source's event");
	cr_expect_eq(e.counts[2], 2);
	cr_expect_eq(e.sk.no_timestamp, 1, "a record counts once, however many rules");
	ev_teardown(&e);
}

Test(pattern, without_an_obs_sink_event_rules_count_normally)
{
	struct pat_time t = {true, NULL};
	struct ev e;
	uint64_t counts[MAX_RULES] = {0};
	struct pat_cut cut = {0, 0};
	struct pat_batch b = {raw_lines, strlen(raw_lines), NULL,	    0,
			      "src",	 CFG_FORMAT_RAW,    NOW_14_02_20_5, 0};
	struct pat_sink sk = {.counts = counts};

	ev_setup(&e, event_rules);
	cr_assert_eq(pat_scan_time(e.sc, &b, &t, 4096, &sk), 6);
	cr_expect_eq(counts[0], 5);
	cr_expect_eq(counts[2], 5);
	cr_expect_eq(sk.no_timestamp, 0);
	memset(counts, 0, sizeof(counts));
	cr_assert_eq(pat_scan_lines(e.sc, raw_lines, strlen(raw_lines), 4096, counts, &cut), 6);
	cr_expect_eq(counts[0], 5);
	ev_teardown(&e);
}

Test(pattern, observations_of_an_event_time_rule_carry_its_dsec)
{
	static const char yaml[] = "rules:\n"
				   "  - name: slow\n"
				   "    match: 'took (?<ms>\\d+)ms'\n"
				   "    value: ms\n"
				   "    unit: ms\n"
				   "    time: event\n"
				   "  - name: slow_now\n"
				   "    match: 'took (?<ms>\\d+)ms'\n"
				   "    value: ms\n"
				   "    unit: ms\n";
	static const char text[] = "2024-03-05T14:02:19Z took 250ms\n"
				   "2024-03-05T14:02:20Z took 100ms\n";
	struct ev e;
	size_t values = 0;

	ev_setup(&e, yaml);
	cr_assert_eq(ev_scan(&e, text, CFG_FORMAT_RAW, NOW_14_02_20_5, NULL), 2);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-1:1");
	cr_expect_eq(e.counts[0], 1);
	cr_expect_eq(e.counts[1], 2);
	for (size_t i = 0; i < e.log.n; i++) {
		const struct seen *o = &e.log.o[i];

		if (o->kind != PAT_OBS_VALUE)
			continue;
		values++;
		if (o->rule == 1)
			cr_expect_eq(o->dsec, 0, "an arrival rule's value is at now");
		else if (o->v > 0.2)
			cr_expect_eq(o->dsec, -1, "250ms is of 14:02:19");
		else
			cr_expect_eq(o->dsec, 0, "100ms is of 14:02:20");
	}
	cr_expect_eq(values, 4);
	ev_teardown(&e);
}

Test(pattern, event_seconds_far_away_are_clamped)
{
	static const char text[] = "9999-12-31T23:59:59Z login\n"
				   "0001-01-01T00:00:00Z login\n";
	struct ev e;
	char want[64];

	ev_setup(&e, event_rules);
	cr_assert_eq(ev_scan(&e, text, CFG_FORMAT_RAW, NOW_14_02_20_5, NULL), 2);
	snprintf(want, sizeof(want), "%d:1 %d:1", INT32_MAX, INT32_MIN);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), want);
	ev_teardown(&e);
}

/* Syslog stamps without a zone in a zone with daylight saving: the offset
 * is the one at the stamp's own time, not at arrival. */
Test(pattern, syslog_stamps_are_read_in_the_sources_zone)
{
	static const char text[] = "<13>Mar 31 01:59:50 host app: login\n" /* CET: 00:59:50Z */
				   "<13>Mar 31 03:00:10 host app: login\n" /* CEST: 01:00:10Z */
				   "<13>2024-03-31T01:00:20Z host app: login\n" /* its own zone */
				   "<13>host app: login\n";			/* no stamp */
	struct tz_zone *berlin;
	struct pat_time t;
	struct ev e;

	cr_assert_eq(tz_zone_posix("CET-1CEST,M3.5.0,M10.5.0/3", &berlin), 0);
	t = (struct pat_time){true, berlin};
	ev_setup(&e, "rules:\n  - {name: inh, match: login}\n");
	/* arrival 2024-03-31T01:00:30Z, just after the clocks went forward */
	cr_assert_eq(ev_scan(&e, text, CFG_FORMAT_SYSLOG, 1711846830000LL, &t), 4);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-40:1 -20:1 -10:1");
	cr_expect_eq(e.counts[0], 1);
	cr_expect_eq(e.sk.no_timestamp, 1);
	tz_zone_free(berlin);
	ev_teardown(&e);
}

Test(pattern, format_stamps_use_the_zone_and_the_arrival_year)
{
	static const char json[] = "{\"time\": \"2024-03-05T15:02:11\", \"level\": \"error\"}\n"
				   "{\"time\": \"2024-03-05T14:02:11Z\", \"level\": \"error\"}\n"
				   "{\"level\": \"error\"}\n"
				   "not json error\n";
	static const char logfmt[] = "time=\"Mar  5 15:02:19\" level=error\n"
				     "ts=2024-03-05T15:02:21 level=error\n";
	static const char access[] =
	    "1.2.3.4 - - [05/Mar/2024:15:02:11] \"GET / HTTP/1.1\" 500 1 \"-\" \"x\" error\n";
	struct tz_zone *plus1;
	struct pat_time t;
	struct ev e;
	char why[64];

	cr_assert_eq(tz_zone_load("+01:00", &plus1, why, sizeof(why)), 0);
	t = (struct pat_time){true, plus1};
	/* one rule reads a field (records are parsed before the scan), one
	 * does not (parsed for the stamp when it counts) */
	ev_setup(&e, "sources:\n  - {name: s, path: /x, format: json}\n"
		     "rules:\n"
		     "  - {name: by_field, where: {level: error}}\n"
		     "  - {name: by_text, match: error}\n");
	cr_assert_eq(ev_scan(&e, json, CFG_FORMAT_JSON, NOW_14_02_20_5, &t), 4);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-9:2");
	cr_expect_str_eq(obs_of(&e.log, 1, PAT_OBS_COUNT), "-9:2");
	cr_expect_eq(e.counts[0], 1, "the record without a time");
	cr_expect_eq(e.counts[1], 2, "and the one that is not JSON");
	cr_expect_eq(e.sk.no_timestamp, 2);
	cr_expect_eq(e.sk.parse_errors, 1);
	ev_teardown(&e);

	ev_setup(&e, "rules:\n  - {name: by_text, match: error}\n");
	cr_assert_eq(ev_scan(&e, logfmt, CFG_FORMAT_LOGFMT, NOW_14_02_20_5, &t), 2);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-1:1 1:1",
			 "a year-less stamp takes the arrival's year");
	cr_expect_eq(ev_scan(&e, access, CFG_FORMAT_COMBINED, NOW_14_02_20_5, &t), 1);
	cr_expect_str_eq(obs_of(&e.log, 0, PAT_OBS_COUNT), "-9:1");
	cr_expect_eq(e.sk.no_timestamp, 0);
	tz_zone_free(plus1);
	ev_teardown(&e);
}

Test(pattern, batches_without_event_time_rules_emit_no_counts)
{
	struct ev e;

	ev_setup(&e, "rules:\n  - {name: a, match: login}\n  - {name: b, match: login, time: "
		     "arrival}\n");
	cr_assert_eq(ev_scan(&e, raw_lines, CFG_FORMAT_RAW, NOW_14_02_20_5, NULL), 6);
	cr_expect_eq(e.log.n, 0);
	cr_expect_eq(e.counts[0], 5);
	cr_expect_eq(e.sk.no_timestamp, 0, "stamps are not looked for");
	ev_teardown(&e);
}
