/*
 * test_config.c - config/: loading YAML into struct cfg, defaults,
 * and the exact "FILE:LINE:COL: message" lines for bad input.
 *
 * Every load goes through cfg_load_string() with the name "t.yaml" unless a
 * real file is the point. Line and column numbers in expectations are
 * 1-based and exact.
 */
#include "config/config.h"
#include "core/tzone.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Load yaml that must be valid; fails the test with the errors otherwise. */
static struct cfg *load_ok(const char *yaml)
{
	struct cfg *cfg = NULL;
	char *errs = NULL;
	int rc = cfg_load_string("t.yaml", yaml, strlen(yaml), &cfg, &errs);

	cr_assert_eq(rc, 0, "rc %d, errors:\n%s", rc, errs ? errs : "(none)");
	cr_assert_not_null(cfg);
	cr_assert_null(errs);
	return cfg;
}

/* Load yaml that must be rejected; returns the error text (caller frees). */
static char *load_err(const char *yaml)
{
	struct cfg *cfg = (struct cfg *)1;
	char *errs = NULL;
	int rc = cfg_load_string("t.yaml", yaml, strlen(yaml), &cfg, &errs);

	cr_assert_eq(rc, -EINVAL, "rc %d for:\n%s", rc, yaml);
	cr_assert_null(cfg);
	cr_assert_not_null(errs);
	return errs;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---------------------------------------------------------------------------
 * Valid configs
 */

Test(config, full_config_parses_to_the_values_written)
{
	static const char yaml[] = "# every key\n"
				   "listen: \"[::1]:9090\"\n"
				   "state_dir: /tmp/weir-state\n"
				   "checkpoint_interval: 2m\n"
				   "windows: [5m, 10s, 1h, 1m]\n"
				   "sources:\n"
				   "  - name: nginx\n"
				   "    type: file\n"
				   "    path: /var/log/nginx/access.log\n"
				   "    exclude: '*.gz'\n"
				   "    format: raw\n"
				   "    start: end\n"
				   "  - name: gen\n"
				   "    type: demo\n"
				   "    rate: 50.5\n"
				   "rules:\n"
				   "  - name: http_5xx\n"
				   "    match: '\" 5\\d\\d '\n"
				   "  - name: ssh.failed-login\n"
				   "    match: Failed password\n"
				   "    flags: [dotall, utf8]\n"
				   "    caseless: true\n"
				   "tuning:\n"
				   "  workers: 4\n"
				   "  batch_size: 1MiB\n"
				   "  max_line: 128KiB\n"
				   "  tick_ms: 500\n"
				   "  max_files: 100\n";
	struct cfg *cfg = load_ok(yaml);

	cr_expect_str_eq(cfg->file, "t.yaml");
	cr_expect_str_eq(cfg->listen_host, "::1");
	cr_expect_eq(cfg->listen_port, 9090);
	cr_expect_str_eq(cfg->state_dir, "/tmp/weir-state");
	cr_expect_eq(cfg->checkpoint_s, 120);
	cr_assert_eq(cfg->nwindows, 4);
	cr_expect_eq(cfg->windows[0], 10);
	cr_expect_eq(cfg->windows[1], 60);
	cr_expect_eq(cfg->windows[2], 300);
	cr_expect_eq(cfg->windows[3], 3600);

	cr_assert_eq(cfg->nsources, 2);
	cr_expect_str_eq(cfg->sources[0].name, "nginx");
	cr_expect_eq(cfg->sources[0].type, CFG_SOURCE_FILE);
	cr_assert_eq(cfg->sources[0].npaths, 1);
	cr_expect_str_eq(cfg->sources[0].paths[0], "/var/log/nginx/access.log");
	cr_assert_eq(cfg->sources[0].nexcludes, 1);
	cr_expect_str_eq(cfg->sources[0].excludes[0], "*.gz");
	cr_expect_eq(cfg->sources[0].format, CFG_FORMAT_RAW);
	cr_expect_eq(cfg->sources[0].start, CFG_START_END);
	cr_expect_eq(cfg->sources[0].pos.line, 7);
	cr_expect_eq(cfg->sources[0].pos.col, 5);
	cr_expect_eq(cfg->sources[0].pos.file, cfg->file);
	cr_expect_str_eq(cfg->sources[1].name, "gen");
	cr_expect_eq(cfg->sources[1].type, CFG_SOURCE_DEMO);
	cr_expect_eq(cfg->sources[1].npaths, 0);
	cr_expect_null(cfg->sources[1].paths);
	cr_expect_eq(cfg->sources[1].nexcludes, 0);
	cr_expect_null(cfg->sources[1].excludes);
	cr_expect_eq(cfg->sources[1].format, CFG_FORMAT_RAW);
	cr_expect_eq(cfg->sources[1].start, CFG_START_BEGINNING);
	cr_expect_eq(cfg->sources[1].rate, 50.5);

	cr_assert_eq(cfg->nrules, 2);
	cr_expect_str_eq(cfg->rules[0].name, "http_5xx");
	cr_expect_str_eq(cfg->rules[0].match, "\" 5\\d\\d ");
	cr_expect_eq(cfg->rules[0].flags, 0);
	cr_expect_eq(cfg->rules[0].pos.line, 17);
	cr_expect_eq(cfg->rules[0].pos.col, 5);
	cr_expect_eq(cfg->rules[0].match_pos.line, 18);
	cr_expect_eq(cfg->rules[0].match_pos.col, 12); /* the opening quote */
	cr_expect_eq(cfg->rules[0].match_pos.file, cfg->file);
	cr_expect_str_eq(cfg->rules[1].name, "ssh.failed-login");
	cr_expect_str_eq(cfg->rules[1].match, "Failed password");
	cr_expect_eq(cfg->rules[1].flags, CFG_RULE_CASELESS | CFG_RULE_DOTALL | CFG_RULE_UTF8);

	cr_expect_eq(cfg->workers, 4);
	cr_expect_eq(cfg->batch_size, 1024 * 1024);
	cr_expect_eq(cfg->max_line, 128 * 1024);
	cr_expect_eq(cfg->tick_ms, 500);
	cr_expect_eq(cfg->max_files, 100);
	cfg_free(cfg);
}

Test(config, http_keys_parse_to_the_values_written)
{
	static const char yaml[] =
	    "http:\n"
	    "  unauthenticated_writes: true\n"
	    "  hosts: [weir.example, Dash.Internal, '[2001:db8::1]', 203.0.113.5]\n"
	    "  max_connections: 100\n"
	    "  max_connections_per_client: 10\n"
	    "  max_streams: 5\n"
	    "  header_timeout: 3s\n"
	    "  timeout: 2m\n";
	struct cfg *cfg = load_ok(yaml);

	cr_expect(cfg->http_unauthenticated_writes);
	cr_assert_eq(cfg->http_nhosts, 4);
	cr_expect_str_eq(cfg->http_hosts[0], "weir.example");
	cr_expect_str_eq(cfg->http_hosts[1], "Dash.Internal");
	cr_expect_str_eq(cfg->http_hosts[2], "[2001:db8::1]");
	cr_expect_str_eq(cfg->http_hosts[3], "203.0.113.5");
	cr_expect_eq(cfg->http_max_connections, 100);
	cr_expect_eq(cfg->http_max_per_client, 10);
	cr_expect_eq(cfg->http_max_streams, 5);
	cr_expect_eq(cfg->http_header_timeout_s, 3);
	cr_expect_eq(cfg->http_timeout_s, 120);
	cfg_free(cfg);

	cfg = load_ok("http: {hosts: []}\n");
	cr_expect_eq(cfg->http_nhosts, 0);
	cfg_free(cfg);
}

Test(config, http_hosts_lists_at_most_64_names)
{
	char yaml[2048] = "http:\n  hosts: [";
	size_t len = strlen(yaml);
	char *errs;

	for (int i = 0; i < 65; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "%sh%d.example",
					i ? ", " : "", i);
	snprintf(yaml + len, sizeof(yaml) - len, "]\n");
	errs = load_err(yaml);
	cr_expect_str_eq(errs, "t.yaml:2:10: 'hosts' lists 65 names; at most 64\n");
	free(errs);
}

static void expect_defaults(const struct cfg *cfg)
{
	cr_expect_str_eq(cfg->listen_host, "127.0.0.1");
	cr_expect_eq(cfg->listen_port, 8080);
	cr_expect_str_eq(cfg->state_dir, "/var/lib/weir");
	cr_assert_eq(cfg->nwindows, 6);
	cr_expect_eq(cfg->windows[0], 10);
	cr_expect_eq(cfg->windows[1], 60);
	cr_expect_eq(cfg->windows[2], 300);
	cr_expect_eq(cfg->windows[3], 900);
	cr_expect_eq(cfg->windows[4], 3600);
	cr_expect_eq(cfg->windows[5], 86400);
	cr_expect_eq(cfg->nsources, 0);
	cr_expect_null(cfg->sources);
	cr_expect_eq(cfg->nrules, 0);
	cr_expect_null(cfg->rules);
	cr_expect_eq(cfg->workers, 0);
	cr_expect_eq(cfg->batch_size, 262144);
	cr_expect_eq(cfg->max_line, 65536);
	cr_expect_eq(cfg->tick_ms, 1000);
	cr_expect_eq(cfg->max_files, 8192);
	cr_expect_eq(cfg->checkpoint_s, 5);
	cr_expect_null(cfg->http_token_file);
	cr_expect_not(cfg->http_unauthenticated_writes);
	cr_expect_eq(cfg->http_nhosts, 0);
	cr_expect_eq(cfg->http_max_connections, 256);
	cr_expect_eq(cfg->http_max_per_client, 128);
	cr_expect_eq(cfg->http_max_streams, 64);
	cr_expect_eq(cfg->http_header_timeout_s, 10);
	cr_expect_eq(cfg->http_timeout_s, 30);
}

Test(config, empty_documents_give_all_defaults)
{
	static const char *const docs[] = {
	    "",
	    "\n",
	    "# only a comment\n",
	    "---\n",
	    "~\n",
	    "--- {}\n",
	    "{}",
	    "sources:\nrules:\ntuning:\n",
	    "rules: []\nsources: []\n",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct cfg *cfg = load_ok(docs[i]);

		expect_defaults(cfg);
		cfg_free(cfg);
	}
}

Test(config, source_defaults_depend_on_type)
{
	struct cfg *cfg = load_ok("sources:\n"
				  "  - {name: f, path: /x}\n"
				  "  - {name: d, type: demo}\n");

	cr_assert_eq(cfg->nsources, 2);
	cr_expect_eq(cfg->sources[0].type, CFG_SOURCE_FILE);
	cr_expect_eq(cfg->sources[0].format, CFG_FORMAT_RAW);
	cr_expect_eq(cfg->sources[0].start, CFG_START_BEGINNING);
	cr_assert_eq(cfg->sources[0].npaths, 1);
	cr_expect_str_eq(cfg->sources[0].paths[0], "/x");
	cr_expect_eq(cfg->sources[0].nexcludes, 0);
	cr_expect_null(cfg->sources[0].excludes);
	cr_expect_eq(cfg->sources[1].type, CFG_SOURCE_DEMO);
	cr_expect_eq(cfg->sources[1].rate, 200.0);
	cr_expect_eq(cfg->sources[1].npaths, 0);
	cr_expect_null(cfg->sources[1].paths);
	cfg_free(cfg);
}

Test(config, syslog_sources_take_tcp_udp_unix_and_connection_limits)
{
	struct cfg *cfg =
	    load_ok("sources:\n"
		    "  - name: s\n"
		    "    type: syslog\n"
		    "    listen: [tcp://127.0.0.1:5514, 'tcp://[::1]:5514', udp://0.0.0.0:514,\n"
		    "             unix:///run/weir/log.sock]\n"
		    "    max_connections: 1000\n"
		    "    idle_timeout: 5m\n"
		    "  - {name: t, type: syslog, listen: 'tcp://0.0.0.0:6514', format: raw,\n"
		    "     idle_timeout: 0}\n"
		    "  - {name: f, path: /var/log/syslog, format: syslog}\n");
	struct cfg_listen l;
	char why[160];

	cr_assert_eq(cfg->nsources, 3);
	cr_expect_eq(cfg->sources[0].format, CFG_FORMAT_SYSLOG);
	cr_expect_eq(cfg->sources[0].max_connections, 1000);
	cr_expect_eq(cfg->sources[0].idle_timeout_s, 300);
	cr_assert_eq(cfg->sources[0].nlistens, 4);
	cr_assert_eq(cfg_parse_listen(cfg->sources[0].listens[0], &l, why, sizeof(why)), 0);
	cr_expect_eq(l.kind, CFG_LISTEN_TCP);
	cr_expect_str_eq(l.host, "127.0.0.1");
	cr_expect_eq(l.port, 5514);
	cr_assert_eq(cfg_parse_listen(cfg->sources[0].listens[1], &l, why, sizeof(why)), 0);
	cr_expect_eq(l.kind, CFG_LISTEN_TCP);
	cr_expect_str_eq(l.host, "::1");
	cr_assert_eq(cfg_parse_listen(cfg->sources[0].listens[2], &l, why, sizeof(why)), 0);
	cr_expect_eq(l.kind, CFG_LISTEN_UDP);
	cr_expect_eq(l.port, 514);
	cr_assert_eq(cfg_parse_listen(cfg->sources[0].listens[3], &l, why, sizeof(why)), 0);
	cr_expect_eq(l.kind, CFG_LISTEN_UNIX);
	cr_expect_str_eq(l.path, "/run/weir/log.sock");
	cr_expect_eq(cfg->sources[1].format, CFG_FORMAT_RAW);
	cr_expect_eq(cfg->sources[1].max_connections, 4096);
	cr_expect_eq(cfg->sources[1].idle_timeout_s, 0);
	cr_expect_eq(cfg->sources[2].format, CFG_FORMAT_SYSLOG);
	cfg_free(cfg);
}

Test(config, idle_timeout_defaults_to_5m_and_0_still_means_never)
{
	struct cfg *cfg = load_ok("sources:\n"
				  "  - {name: s, type: syslog, listen: 'tcp://127.0.0.1:5514'}\n"
				  "  - {name: t, type: syslog, listen: 'tcp://127.0.0.1:5515',\n"
				  "     idle_timeout: 0}\n"
				  "  - {name: u, type: syslog, listen: 'tcp://127.0.0.1:5516',\n"
				  "     idle_timeout: 1h}\n");

	cr_assert_eq(cfg->nsources, 3);
	cr_expect_eq(cfg->sources[0].idle_timeout_s, 300, "the default");
	cr_expect_eq(cfg->sources[0].idle_timeout_s, CFG_IDLE_TIMEOUT_DEFAULT_S);
	cr_expect_eq(cfg->sources[1].idle_timeout_s, 0, "0 set explicitly: never");
	cr_expect_eq(cfg->sources[2].idle_timeout_s, 3600);
	cfg_free(cfg);
}

/* ---------------------------------------------------------------------------
 * path and exclude
 */

/* Arrays, not pointers: see struct err_case. */
struct paths_case {
	char what[48];
	char yaml[160];
	size_t npaths;
	char paths[3][32];
	size_t nexcludes;
	char excludes[3][16];
};

ParameterizedTestParameters(config, path_and_exclude_values)
{
	static struct paths_case cases[] = {
	    {"one path",
	     "sources:\n  - {name: s, path: /var/log/a.log}\n",
	     1,
	     {"/var/log/a.log"},
	     0,
	     {""}},
	    {"one glob",
	     "sources:\n  - {name: s, path: '/var/log/*.log'}\n",
	     1,
	     {"/var/log/*.log"},
	     0,
	     {""}},
	    {"a list of three, in order",
	     "sources:\n  - name: s\n    path:\n      - /z/c.log\n      - '/a/*.log'\n"
	     "      - /m/[ab].log\n",
	     3,
	     {"/z/c.log", "/a/*.log", "/m/[ab].log"},
	     0,
	     {""}},
	    {"a flow list of one", "sources:\n  - {name: s, path: [/x]}\n", 1, {"/x"}, 0, {""}},
	    {"exclude as a string",
	     "sources:\n  - {name: s, path: /x, exclude: '*.gz'}\n",
	     1,
	     {"/x"},
	     1,
	     {"*.gz"}},
	    {"exclude as a list",
	     "sources:\n  - {name: s, path: /x, exclude: ['*.gz', '*.[0-9]', /x/old]}\n",
	     1,
	     {"/x"},
	     3,
	     {"*.gz", "*.[0-9]", "/x/old"}},
	    {"empty exclude list",
	     "sources:\n  - {name: s, path: /x, exclude: []}\n",
	     1,
	     {"/x"},
	     0,
	     {""}},
	    {"exclude with no value",
	     "sources:\n  - name: s\n    path: /x\n    exclude:\n",
	     1,
	     {"/x"},
	     0,
	     {""}},
	};

	return cr_make_param_array(struct paths_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct paths_case *c, config, path_and_exclude_values)
{
	struct cfg *cfg = load_ok(c->yaml);
	const struct cfg_source *src;

	cr_assert_eq(cfg->nsources, 1, "%s", c->what);
	src = &cfg->sources[0];
	cr_assert_eq(src->npaths, c->npaths, "%s: %zu paths", c->what, src->npaths);
	for (size_t i = 0; i < c->npaths; i++)
		cr_expect_str_eq(src->paths[i], c->paths[i], "%s: path %zu", c->what, i);
	cr_assert_eq(src->nexcludes, c->nexcludes, "%s: %zu excludes", c->what, src->nexcludes);
	for (size_t i = 0; i < c->nexcludes; i++)
		cr_expect_str_eq(src->excludes[i], c->excludes[i], "%s: exclude %zu", c->what, i);
	cfg_free(cfg);
}

Test(config, path_errors_in_one_source_are_all_reported)
{
	char *errs = load_err("sources:\n"
			      "  - name: s\n"
			      "    path: [/a, rel, /a, '']\n"
			      "    exclude: ['*.gz', '']\n");

	cr_expect_str_eq(errs, "t.yaml:3:16: 'path' must be an absolute path, got 'rel'\n"
			       "t.yaml:3:21: 'path' lists '/a' twice (first at line 3)\n"
			       "t.yaml:3:25: 'path' must not be empty\n"
			       "t.yaml:4:23: 'exclude' must not be empty\n");
	free(errs);
}

/* ---------------------------------------------------------------------------
 * max_files and checkpoint_interval
 */

struct u32_case {
	char yaml[64];
	uint32_t want;
};

ParameterizedTestParameters(config, max_files_values)
{
	static struct u32_case cases[] = {
	    {"tuning: {max_files: 1}\n", 1},
	    {"tuning: {max_files: 500}\n", 500},
	    {"tuning: {max_files: 1048576}\n", 1048576},
	    {"tuning: {workers: 2}\n", 8192},
	};

	return cr_make_param_array(struct u32_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct u32_case *c, config, max_files_values)
{
	struct cfg *cfg = load_ok(c->yaml);

	cr_expect_eq(cfg->max_files, c->want, "%s: %u", c->yaml, cfg->max_files);
	cfg_free(cfg);
}

ParameterizedTestParameters(config, checkpoint_interval_values)
{
	static struct u32_case cases[] = {
	    {"checkpoint_interval: 1s\n", 1},	  {"checkpoint_interval: 30s\n", 30},
	    {"checkpoint_interval: 90\n", 90},	  {"checkpoint_interval: 2m\n", 120},
	    {"checkpoint_interval: 60m\n", 3600}, {"checkpoint_interval: 1h\n", 3600},
	    {"listen: 127.0.0.1:1\n", 5},
	};

	return cr_make_param_array(struct u32_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct u32_case *c, config, checkpoint_interval_values)
{
	struct cfg *cfg = load_ok(c->yaml);

	cr_expect_eq(cfg->checkpoint_s, c->want, "%s: %u", c->yaml, cfg->checkpoint_s);
	cfg_free(cfg);
}

Test(config, windows_are_sorted_and_deduplicated)
{
	struct cfg *cfg = load_ok("windows: [1h, 10s, 10, 1m, 60s, 30d, 1s]\n");

	cr_assert_eq(cfg->nwindows, 5);
	cr_expect_eq(cfg->windows[0], 1);
	cr_expect_eq(cfg->windows[1], 10);
	cr_expect_eq(cfg->windows[2], 60);
	cr_expect_eq(cfg->windows[3], 3600);
	cr_expect_eq(cfg->windows[4], 30 * 86400);
	cfg_free(cfg);
}

Test(config, sixteen_windows_fit_seventeen_do_not)
{
	char yaml[512];
	size_t off = snprintf(yaml, sizeof(yaml), "windows: [");
	struct cfg *cfg;
	char *errs;

	for (int i = 1; i <= CFG_MAX_WINDOWS; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off, "%s%dm", i > 1 ? ", " : "", i);
	snprintf(yaml + off, sizeof(yaml) - off, ", 1m]\n"); /* a duplicate does not count */
	cfg = load_ok(yaml);
	cr_expect_eq(cfg->nwindows, CFG_MAX_WINDOWS);
	cfg_free(cfg);

	snprintf(yaml + off, sizeof(yaml) - off, ", 17m]\n");
	errs = load_err(yaml);
	cr_expect_str_eq(errs, "t.yaml:1:10: 'windows' lists 17 different windows; at most 16 "
			       "are allowed\n");
	free(errs);
}

Test(config, sizes_accept_bytes_and_binary_units)
{
	static const struct {
		const char *yaml;
		uint32_t batch, line;
	} cases[] = {
	    {"tuning: {batch_size: 262144, max_line: 1024}", 262144, 1024},
	    {"tuning: {batch_size: 64KiB, max_line: 31KiB}", 65536, 31744},
	    {"tuning: {batch_size: 4MiB, max_line: 1MiB}", 4194304, 1048576},
	    {"tuning: {batch_size: 1048576B, max_line: '2KiB'}", 1048576, 2048},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg *cfg = load_ok(cases[i].yaml);

		cr_expect_eq(cfg->batch_size, cases[i].batch, "%s", cases[i].yaml);
		cr_expect_eq(cfg->max_line, cases[i].line, "%s", cases[i].yaml);
		cfg_free(cfg);
	}
}

Test(config, anchors_and_aliases_are_resolved)
{
	struct cfg *cfg = load_ok("rules:\n"
				  "  - {name: a, match: x, flags: &f [caseless, utf8]}\n"
				  "  - {name: b, match: y, flags: *f}\n");

	cr_assert_eq(cfg->nrules, 2);
	cr_expect_eq(cfg->rules[1].flags, CFG_RULE_CASELESS | CFG_RULE_UTF8);
	cfg_free(cfg);
}

Test(config, default_yaml_loads)
{
	struct cfg *cfg = NULL;
	char *errs = NULL;
	bool demo = false;
	int rc =
	    cfg_load_string("<embedded>", cfg_default_yaml, strlen(cfg_default_yaml), &cfg, &errs);

	cr_assert_eq(rc, 0, "cfg_default_yaml:\n%s", errs ? errs : "");
	cr_expect_str_eq(cfg->file, "<embedded>");
	cr_expect_gt(cfg->nsources, 0);
	cr_expect_gt(cfg->nrules, 0);
	for (size_t i = 0; i < cfg->nsources; i++)
		demo |= cfg->sources[i].type == CFG_SOURCE_DEMO;
	cr_expect(demo, "the default config has a demo source");
	cfg_free(cfg);
}

/* ---------------------------------------------------------------------------
 * Event time: time:, timezone:, lateness:, max_future:
 */

static bool have_zoneinfo(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	return access(path, R_OK) == 0 && !getenv("TZDIR");
}

Test(config, event_time_defaults)
{
	struct cfg *cfg = load_ok("sources:\n  - {name: s, path: /x}\n"
				  "rules:\n  - {name: r, match: x}\n");

	cr_expect_eq(cfg->lateness_s, 60);
	cr_expect_eq(cfg->max_future_s, 300);
	cr_expect_eq(cfg->sources[0].time, CFG_TIME_ARRIVAL);
	cr_expect_null(cfg->sources[0].timezone);
	cr_expect_null(cfg->sources[0].zone, "no timezone: UTC");
	cr_expect_eq(cfg->rules[0].time, CFG_TIME_INHERIT);
	cfg_free(cfg);
	cfg = load_ok("");
	cr_expect_eq(cfg->lateness_s, 60);
	cr_expect_eq(cfg->max_future_s, 300);
	cfg_free(cfg);
}

Test(config, time_timezone_lateness_and_max_future_parse)
{
	static const char yaml[] = "lateness: 30s\n"
				   "max_future: 1h\n"
				   "sources:\n"
				   "  - {name: a, path: /a, time: event, timezone: '+02:00'}\n"
				   "  - {name: b, path: /b, time: arrival, timezone: '-0530'}\n"
				   "  - {name: c, type: syslog, listen: 'udp://127.0.0.1:5514',\n"
				   "     time: event, timezone: UTC}\n"
				   "  - {name: d, type: demo, timezone: '+01'}\n"
				   "rules:\n"
				   "  - {name: own, match: x}\n"
				   "  - {name: late, match: y, time: event}\n"
				   "  - {name: now, match: z, time: arrival}\n";
	struct cfg *cfg = load_ok(yaml);

	cr_expect_eq(cfg->lateness_s, 30);
	cr_expect_eq(cfg->max_future_s, 3600);
	cr_assert_eq(cfg->nsources, 4);
	cr_expect_eq(cfg->sources[0].time, CFG_TIME_EVENT);
	cr_expect_str_eq(cfg->sources[0].timezone, "+02:00");
	cr_assert_not_null(cfg->sources[0].zone);
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1700000000), 7200);
	cr_expect_eq(cfg->sources[1].time, CFG_TIME_ARRIVAL);
	cr_expect_eq(tz_offset_at(cfg->sources[1].zone, 1700000000), -(5 * 3600 + 30 * 60));
	cr_expect_eq(cfg->sources[2].time, CFG_TIME_EVENT);
	cr_expect_eq(tz_offset_at(cfg->sources[2].zone, 1700000000), 0);
	cr_expect_eq(cfg->sources[3].time, CFG_TIME_ARRIVAL);
	cr_expect_eq(tz_offset_at(cfg->sources[3].zone, 1700000000), 3600);
	cr_expect_eq(cfg->rules[0].time, CFG_TIME_INHERIT);
	cr_expect_eq(cfg->rules[1].time, CFG_TIME_EVENT);
	cr_expect_eq(cfg->rules[2].time, CFG_TIME_ARRIVAL);
	cfg_free(cfg);
}

Test(config, lateness_zero_and_the_range_limits_are_accepted)
{
	struct cfg *cfg = load_ok("lateness: 0\nmax_future: 1d\nwindows: [1s, 30d, 720h]\n");

	cr_expect_eq(cfg->lateness_s, 0);
	cr_expect_eq(cfg->max_future_s, 86400);
	cr_expect_eq(cfg->nwindows, 2, "30d and 720h are the same window");
	cr_expect_eq(cfg->windows[1], 30 * 86400);
	cfg_free(cfg);
	cfg = load_ok("lateness: 1h\nmax_future: 1s\n");
	cr_expect_eq(cfg->lateness_s, 3600);
	cr_expect_eq(cfg->max_future_s, 1);
	cfg_free(cfg);
}

Test(config, a_named_time_zone_keeps_its_daylight_saving_rules)
{
	struct cfg *cfg;

	if (!have_zoneinfo("Europe/Berlin"))
		cr_skip_test("no /usr/share/zoneinfo/Europe/Berlin");
	cfg = load_ok("sources:\n  - {name: s, path: /x, timezone: Europe/Berlin}\n");
	cr_assert_not_null(cfg->sources[0].zone);
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1704067200), 3600, "2024-01-01: CET");
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1719792000), 7200, "2024-07-01: CEST");
	/* 2024-03-31 01:00Z the clocks went from 02:00 to 03:00 */
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1711846799), 3600);
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1711846800), 7200);
	cfg_free(cfg);
}

Test(config, local_time_zone_follows_tz)
{
	struct cfg *cfg;

	setenv("TZ", "<+0530>-5:30", 1); /* a POSIX TZ string */
	cfg = load_ok("sources:\n  - {name: s, path: /x, timezone: local}\n");
	cr_expect_str_eq(cfg->sources[0].timezone, "local");
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1700000000), 19800);
	cfg_free(cfg);
	setenv("TZ", "", 1); /* empty: UTC */
	cfg = load_ok("sources:\n  - {name: s, path: /x, timezone: local}\n");
	cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1700000000), 0);
	cfg_free(cfg);
	setenv("TZ", "no such zone", 1);
	free(load_err("sources:\n  - {name: s, path: /x, timezone: local}\n"));
	if (have_zoneinfo("America/New_York")) {
		setenv("TZ", ":America/New_York", 1);
		cfg = load_ok("sources:\n  - {name: s, path: /x, timezone: local}\n");
		cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1704067200), -5 * 3600);
		cr_expect_eq(tz_offset_at(cfg->sources[0].zone, 1719792000), -4 * 3600);
		cfg_free(cfg);
	}
}

Test(config, rule_time_is_part_of_the_rule)
{
	struct cfg *a = load_ok("rules:\n  - {name: r, match: x}\n"
				"  - {name: s, match: x, time: event}\n"),
		   *b = load_ok("rules:\n  - {name: r, match: x, time: event}\n"
				"  - {name: s, match: x, time: event}\n");

	cr_expect_not(cfg_rule_same(&a->rules[0], &b->rules[0]), "time changed: a new rule");
	cr_expect(cfg_rule_same(&a->rules[1], &b->rules[1]));
	cfg_free(a);
	cfg_free(b);
}

Test(config, errs_may_be_null)
{
	struct cfg *cfg = (struct cfg *)1;

	cr_expect_eq(cfg_load_string("t.yaml", "foo: 1\n", 7, &cfg, NULL), -EINVAL);
	cr_expect_null(cfg);
}

/* ---------------------------------------------------------------------------
 * Errors: one per case, at an exact line and column
 */

/* Parameters hold arrays, not pointers: Criterion runs each case in a
 * fresh process where the parent's pointers mean nothing. */
struct err_case {
	char what[48];
	char yaml[128];
	char line[320]; /* the whole first error line, without its '\n' */
	size_t nerrs;
};

ParameterizedTestParameters(config, each_error_is_reported_at_its_position)
{
	static struct err_case cases[] = {
	    {"unknown top-level key", "listen: 127.0.0.1:80\nlisen: x\n",
	     "t.yaml:2:1: unknown key 'lisen' at top level; expected one of: listen, "
	     "state_dir, checkpoint_interval, windows, sources, rules, tuning, include, lateness, "
	     "max_future, http, samples",
	     1},
	    {"unknown rule key", "rules:\n  - name: a\n    match: x\n    regex: y\n",
	     "t.yaml:4:5: unknown key 'regex' in rule; expected one of: name, match, flags, "
	     "caseless, where, value, unit, top, top_k, group_by, distinct, time",
	     1},
	    {"unknown source key", "sources:\n  - {name: a, path: /x, glob: y}\n",
	     "t.yaml:2:25: unknown key 'glob' in source; expected one of: name, type, path, "
	     "exclude, format, start, rate, flush_after, listen, max_connections, idle_timeout, "
	     "time, timezone",
	     1},
	    {"unknown tuning key", "tuning:\n  threads: 4\n",
	     "t.yaml:2:3: unknown key 'threads' in tuning; expected one of: workers, "
	     "batch_size, max_line, tick_ms, max_files",
	     1},
	    {"missing match", "rules:\n  - name: a\n  - name: b\n    match: x\n",
	     "t.yaml:2:5: rule 'a' needs 'match' (a regex), 'where' (fields), or both", 1},
	    {"missing rule name", "rules:\n  - {match: x}\n",
	     "t.yaml:2:5: missing required key 'name' in rule", 1},
	    {"missing source name", "sources:\n  - path: /x\n",
	     "t.yaml:2:5: missing required key 'name' in source", 1},
	    {"missing file source path", "sources:\n  - name: a\n    start: end\n",
	     "t.yaml:2:5: missing required key 'path' in file source", 1},
	    {"bad duration", "windows: [10s, 5x, 1h]\n",
	     "t.yaml:1:16: bad duration '5x' in 'windows'; expected e.g. 10s, 5m, 1h, 1d", 1},
	    {"zero window", "windows:\n  - 0s\n",
	     "t.yaml:2:5: window '0s' is out of range; windows must be from 1s to 30d", 1},
	    {"window too long", "windows: [31d]\n",
	     "t.yaml:1:11: window '31d' is out of range; windows must be from 1s to 30d", 1},
	    {"empty windows", "windows: []\n",
	     "t.yaml:1:10: 'windows' must list at least one window", 1},
	    {"duplicate rule name", "rules:\n  - {name: a, match: x}\n  - {name: a, match: y}\n",
	     "t.yaml:3:12: duplicate rule name 'a' (also used by the rule at t.yaml:2)", 1},
	    {"duplicate source name",
	     "sources:\n  - {name: s, path: /a}\n  - {name: s, path: /b}\n",
	     "t.yaml:3:12: duplicate source name 's' (also used by the source at line 2)", 1},
	    {"bad rule name", "rules:\n  - name: \"http 5xx\"\n    match: x\n",
	     "t.yaml:2:11: rule name 'http 5xx' may only contain letters, digits, '_', '.' "
	     "and '-'",
	     1},
	    {"duplicate key", "state_dir: /a\nstate_dir: /b\n",
	     "t.yaml:2:1: duplicate key 'state_dir' at top level", 1},
	    {"unclosed bracket", "windows: [10s, 1m\nrules: []\n",
	     "t.yaml:1:10: this '[' is not closed before 2:6", 2},
	    {"bad indentation", "rules:\n  - name: a\n   match: b\n",
	     "t.yaml:3:4: did not find expected '-' indicator (while parsing a block collection "
	     "started at 2:3)",
	     1},
	    {"tab indentation", "rules:\n\t- name: a\n",
	     "t.yaml:2:1: tab character may not be used as indentation", 1},
	    {"unclosed quote", "rules:\n  - name: a\n    match: \"x\n",
	     "t.yaml:3:12: this '\"' is never closed", 2},
	    {"tab after a dash", "rules:\n  -\tname: a\n",
	     "t.yaml:2:4: a tab may not start a token here (YAML wants a space after '-' and '?')",
	     1},
	    {"bad escape", "state_dir: \"/a\\qb\"\n",
	     "t.yaml:1:15: found unknown escape character (while parsing a quoted scalar started "
	     "at 1:12)",
	     1},
	    {"undefined tag handle", "state_dir: !x!y /a\n",
	     "t.yaml:1:12: found undefined tag handle", 1},
	    {"mapping value in a plain scalar", "rules:\n  - name: r\n    match: foo: bar\n",
	     "t.yaml:3:15: mapping values are not allowed in this context", 1},
	    {"sequence for a scalar", "state_dir: [a, b]\n",
	     "t.yaml:1:12: 'state_dir' must be a string, not a sequence", 1},
	    {"mapping for a sequence", "rules: {name: a}\n",
	     "t.yaml:1:8: 'rules' must be a sequence, not a mapping", 1},
	    {"scalar for a mapping", "tuning: fast\n",
	     "t.yaml:1:9: 'tuning' must be a mapping, not a string", 1},
	    {"scalar rule", "rules:\n  - http_5xx\n",
	     "t.yaml:2:5: each entry of 'rules' must be a mapping (a rule), not a string", 1},
	    {"non-number", "tuning:\n  workers: four\n",
	     "t.yaml:2:12: 'workers' must be an integer, got 'four'", 1},
	    {"negative number", "tuning:\n  tick_ms: -5\n",
	     "t.yaml:2:12: 'tick_ms' must be an integer, got '-5'", 1},
	    {"no value", "state_dir:\n", "t.yaml:1:1: 'state_dir' has no value; expected a string",
	     1},
	    {"workers out of range", "tuning: {workers: 65}\n",
	     "t.yaml:1:19: 'workers' must be from 0 to 64, got 65", 1},
	    {"tick_ms out of range", "tuning: {tick_ms: 50}\n",
	     "t.yaml:1:19: 'tick_ms' must be from 100 to 10000, got 50", 1},
	    {"bad size", "tuning:\n  batch_size: 1MB\n",
	     "t.yaml:2:15: 'batch_size' must be a size in bytes such as 65536, 256KiB or 1MiB, "
	     "got '1MB'",
	     1},
	    {"batch_size out of range", "tuning:\n  batch_size: 8MiB\n",
	     "t.yaml:2:15: 'batch_size' must be from 64KiB to 4MiB, got 8MiB", 1},
	    {"max_line out of range", "tuning:\n  max_line: 2MiB\n",
	     "t.yaml:2:13: 'max_line' must be from 1KiB to 1MiB, got 2MiB", 1},
	    {"max_line not below half the batch", "tuning:\n  batch_size: 64KiB\n",
	     "t.yaml:2:15: 'max_line' (65536) must be less than half of 'batch_size' (65536 / 2 = "
	     "32768); lower max_line or raise batch_size",
	     1},
	    {"bad source type", "sources:\n  - {name: s, type: kafka}\n",
	     "t.yaml:2:21: 'type' must be one of: file, demo, syslog; got 'kafka'", 1},
	    {"syslog without listen", "sources:\n  - {name: s, type: syslog}\n",
	     "t.yaml:2:5: missing required key 'listen' in syslog source", 1},
	    {"listen on a file source",
	     "sources:\n  - {name: s, path: /x, listen: udp://127.0.0.1:1}\n",
	     "t.yaml:2:33: 'listen' is only valid for sources of type syslog", 1},
	    {"listen: bad scheme", "sources:\n  - {name: s, type: syslog, listen: 'http://x:1'}\n",
	     "t.yaml:2:37: bad listen URL 'http://x:1': expected udp://HOST:PORT, tcp://HOST:PORT "
	     "or unix:///PATH",
	     1},
	    {"listen: tcp without port",
	     "sources:\n  - {name: s, type: syslog, listen: 'tcp://::1'}\n",
	     "t.yaml:2:37: bad listen URL 'tcp://::1': an IPv6 address goes in brackets: "
	     "tcp://[::1]:5514",
	     1},
	    {"listen: tcp no colon", "sources:\n  - {name: s, type: syslog, listen: 'tcp://h'}\n",
	     "t.yaml:2:37: bad listen URL 'tcp://h': missing ':PORT', as in tcp://0.0.0.0:5514", 1},
	    {"max_connections on a file source",
	     "sources:\n  - {name: s, path: /x, max_connections: 5}\n",
	     "t.yaml:2:42: 'max_connections' is only valid for sources of type syslog", 1},
	    {"idle_timeout on a demo source",
	     "sources:\n  - {name: s, type: demo, idle_timeout: 5s}\n",
	     "t.yaml:2:41: 'idle_timeout' is only valid for sources of type syslog", 1},
	    {"max_connections out of range",
	     "sources:\n  - {name: s, type: syslog, listen: 'tcp://127.0.0.1:1', max_connections: "
	     "0}\n",
	     "t.yaml:2:75: 'max_connections' must be from 1 to 65536, got 0", 1},
	    {"idle_timeout not a duration",
	     "sources:\n  - {name: s, type: syslog, listen: 'tcp://127.0.0.1:1', idle_timeout: "
	     "soon}\n",
	     "t.yaml:2:72: 'idle_timeout' must be 0 or a duration up to 7d, got 'soon'", 1},
	    {"listen: bad port in a list",
	     "sources:\n  - name: s\n    type: syslog\n    listen:\n      - udp://127.0.0.1:514\n"
	     "      - udp://127.0.0.1:70000\n",
	     "t.yaml:6:9: bad listen URL 'udp://127.0.0.1:70000': the port must be a number from 1 "
	     "to 65535",
	     1},
	    {"listen: host not numeric",
	     "sources:\n  - {name: s, type: syslog, listen: 'udp://localhost:514'}\n",
	     "t.yaml:2:37: bad listen URL 'udp://localhost:514': 'localhost' is not a numeric IPv4 "
	     "or "
	     "IPv6 address",
	     1},
	    {"listen: unix relative",
	     "sources:\n  - {name: s, type: syslog, listen: 'unix://x.sock'}\n",
	     "t.yaml:2:37: bad listen URL 'unix://x.sock': a unix:// URL needs an absolute path, "
	     "as in "
	     "unix:///run/weir/log.sock",
	     1},
	    {"bad format", "sources:\n  - {name: s, path: /x, format: xml}\n",
	     "t.yaml:2:33: 'format' must be one of: raw, syslog, combined, common, json, logfmt; "
	     "got 'xml'",
	     1},
	    {"bad start", "sources:\n  - {name: s, path: /x, start: middle}\n",
	     "t.yaml:2:32: 'start' must be one of: beginning, end; got 'middle'", 1},
	    {"zero rate", "sources:\n  - {name: s, type: demo, rate: 0}\n",
	     "t.yaml:2:33: 'rate' must be a number of lines per second above 0, got '0'", 1},
	    {"rate on a file source", "sources:\n  - {name: s, path: /x, rate: 5}\n",
	     "t.yaml:2:31: 'rate' is only valid for sources of type demo", 1},
	    {"path on a demo source", "sources:\n  - {name: s, type: demo, path: /x}\n",
	     "t.yaml:2:33: 'path' is only valid for sources of type file", 1},
	    {"bad flag", "rules:\n  - {name: a, match: x, flags: [caseless, multiline]}\n",
	     "t.yaml:2:43: 'flags' must be one of: caseless, dotall, utf8; got 'multiline'", 1},
	    {"bad bool", "rules:\n  - {name: a, match: x, caseless: yes}\n",
	     "t.yaml:2:35: 'caseless' must be true or false, got 'yes'", 1},
	    {"top level not a mapping", "- listen: x\n",
	     "t.yaml:1:1: the top level must be a mapping (listen:, sources:, rules:, ...), not a "
	     "sequence",
	     1},
	    {"two documents", "listen: a:1\n---\nlisten: b:2\n",
	     "t.yaml:2:1: only one YAML document is allowed in a config file", 1},
	    {"unknown alias", "rules:\n  - {name: a, match: *re}\n",
	     "t.yaml:2:22: alias '*re' names no anchor", 1},
	    {"relative path", "sources:\n  - {name: s, path: x.log}\n",
	     "t.yaml:2:21: 'path' must be an absolute path, got 'x.log'", 1},
	    {"relative path in a list",
	     "sources:\n  - name: s\n    path:\n      - /a\n      - b/c\n",
	     "t.yaml:5:9: 'path' must be an absolute path, got 'b/c'", 1},
	    {"empty path list", "sources:\n  - {name: s, path: []}\n",
	     "t.yaml:2:21: 'path' must list at least one path", 1},
	    {"empty path in a list", "sources:\n  - {name: s, path: [/a, '']}\n",
	     "t.yaml:2:26: 'path' must not be empty", 1},
	    {"path with no value", "sources:\n  - name: s\n    path:\n",
	     "t.yaml:3:5: 'path' has no value; expected an absolute path or a list of them", 1},
	    {"path as a mapping", "sources:\n  - {name: s, path: {a: /x}}\n",
	     "t.yaml:2:21: 'path' must be an absolute path or a list of them, not a mapping", 1},
	    {"nested list in path", "sources:\n  - {name: s, path: [/a, [/b]]}\n",
	     "t.yaml:2:26: 'path' must be an absolute path, not a sequence", 1},
	    {"duplicate path", "sources:\n  - name: s\n    path: [/a, /b*, /a]\n",
	     "t.yaml:3:21: 'path' lists '/a' twice (first at line 3)", 1},
	    {"exclude on a demo source", "sources:\n  - {name: s, type: demo, exclude: '*.gz'}\n",
	     "t.yaml:2:36: 'exclude' is only valid for sources of type file", 1},
	    {"empty exclude pattern",
	     "sources:\n  - {name: s, path: /x, exclude: ['*.gz', \"\"]}\n",
	     "t.yaml:2:43: 'exclude' must not be empty", 1},
	    {"exclude as a mapping", "sources:\n  - {name: s, path: /x, exclude: {a: b}}\n",
	     "t.yaml:2:34: 'exclude' must be a glob pattern or a list of them, not a mapping", 1},
	    {"max_files zero", "tuning: {max_files: 0}\n",
	     "t.yaml:1:21: 'max_files' must be from 1 to 1048576, got 0", 1},
	    {"max_files too large", "tuning:\n  max_files: 1048577\n",
	     "t.yaml:2:14: 'max_files' must be from 1 to 1048576, got 1048577", 1},
	    {"max_files not a number", "tuning:\n  max_files: many\n",
	     "t.yaml:2:14: 'max_files' must be an integer, got 'many'", 1},
	    {"checkpoint_interval zero", "checkpoint_interval: 0s\n",
	     "t.yaml:1:22: 'checkpoint_interval' must be a duration from 1s to 1h, got '0s'", 1},
	    {"checkpoint_interval too long", "checkpoint_interval: 61m\n",
	     "t.yaml:1:22: 'checkpoint_interval' must be a duration from 1s to 1h, got '61m'", 1},
	    {"checkpoint_interval not a duration", "checkpoint_interval: soon\n",
	     "t.yaml:1:22: 'checkpoint_interval' must be a duration from 1s to 1h, got 'soon'", 1},
	    {"checkpoint_interval a list", "checkpoint_interval: [5s]\n",
	     "t.yaml:1:22: 'checkpoint_interval' must be a duration such as 5s, not a sequence", 1},
	    {"window of 721h", "windows: [1m, 721h]\n",
	     "t.yaml:1:15: window '721h' is out of range; windows must be from 1s to 30d", 1},
	    {"bad source time", "sources:\n  - {name: s, path: /x, time: later}\n",
	     "t.yaml:2:31: 'time' must be one of: arrival, event; got 'later'", 1},
	    {"source time with no value", "sources:\n  - name: s\n    path: /x\n    time:\n",
	     "t.yaml:4:5: 'time' has no value; expected arrival, event", 1},
	    {"bad rule time", "rules:\n  - {name: a, match: x, time: inherit}\n",
	     "t.yaml:2:31: 'time' must be one of: arrival, event; got 'inherit'", 1},
	    {"unknown time zone", "sources:\n  - {name: s, path: /x, timezone: Mars/Olympus}\n",
	     "t.yaml:2:35: bad 'timezone' 'Mars/Olympus': no time zone 'Mars/Olympus' in "
	     "/usr/share/zoneinfo; expected UTC, local, an offset such as +02:00, or a zone name "
	     "such as Europe/Berlin",
	     1},
	    {"time zone offset out of range",
	     "sources:\n  - {name: s, path: /x, timezone: '+24:00'}\n",
	     "t.yaml:2:35: bad 'timezone' '+24:00': an offset is +hh:mm, +hhmm or +hh (or -), "
	     "hours 0 to 23; expected UTC, local, an offset such as +02:00, or a zone name such as "
	     "Europe/Berlin",
	     1},
	    {"time zone name climbing out",
	     "sources:\n  - {name: s, path: /x, timezone: ../../etc/passwd}\n",
	     "t.yaml:2:35: bad 'timezone' '../../etc/passwd': a zone name is letters, digits, '_', "
	     "'-', '+' and '.' in parts separated by '/', e.g. Europe/Berlin; expected UTC, local, "
	     "an offset such as +02:00, or a zone name such as Europe/Berlin",
	     1},
	    {"time zone not a zone file", "sources:\n  - {name: s, path: /x, timezone: Europe}\n",
	     "t.yaml:2:35: bad 'timezone' 'Europe': no time zone 'Europe' in /usr/share/zoneinfo; "
	     "expected UTC, local, an offset such as +02:00, or a zone name such as Europe/Berlin",
	     1},
	    {"empty time zone", "sources:\n  - {name: s, path: /x, timezone: ''}\n",
	     "t.yaml:2:35: 'timezone' must not be empty", 1},
	    {"lateness too long", "lateness: 2h\n",
	     "t.yaml:1:11: 'lateness' must be 0 or a duration up to 1h, got '2h'", 1},
	    {"lateness not a duration", "lateness: -5s\n",
	     "t.yaml:1:11: 'lateness' must be 0 or a duration up to 1h, got '-5s'", 1},
	    {"max_future zero", "max_future: 0\n",
	     "t.yaml:1:13: 'max_future' must be a duration from 1s to 1d, got '0'", 1},
	    {"max_future too long", "max_future: 25h\n",
	     "t.yaml:1:13: 'max_future' must be a duration from 1s to 1d, got '25h'", 1},
	    {"max_future a list", "max_future: [5m]\n",
	     "t.yaml:1:13: 'max_future' must be a duration such as 5m, not a sequence", 1},
	    {"unknown http key", "http:\n  hots: [a]\n",
	     "t.yaml:2:3: unknown key 'hots' in http; expected one of: token_file, auth_reads, "
	     "unauthenticated_writes, hosts, tls_cert, tls_key, max_connections, "
	     "max_connections_per_client, max_streams, header_timeout, timeout, nice",
	     1},
	    {"unauthenticated_writes not a bool", "http:\n  unauthenticated_writes: yes\n",
	     "t.yaml:2:27: 'unauthenticated_writes' must be true or false, got 'yes'", 1},
	    {"unauthenticated_writes with a token",
	     "http:\n  token_file: /etc/weir/token\n  unauthenticated_writes: true\n",
	     "t.yaml:3:27: 'unauthenticated_writes' contradicts 'token_file' (writes need the "
	     "token); give one or the other",
	     1},
	    {"hosts not a list", "http:\n  hosts: weir.example\n",
	     "t.yaml:2:10: 'hosts' must be a sequence, not a string", 1},
	    {"hosts with a port", "http:\n  hosts: [a.example, 'b.example:8080']\n",
	     "t.yaml:2:22: 'hosts' lists host names as a browser sends them in Host, without a "
	     "scheme or port (weir.example.com, [2001:db8::1]); got 'b.example:8080'",
	     1},
	    {"hosts with a scheme", "http:\n  hosts:\n    - http://a.example\n",
	     "t.yaml:3:7: 'hosts' lists host names as a browser sends them in Host, without a "
	     "scheme or port (weir.example.com, [2001:db8::1]); got 'http://a.example'",
	     1},
	    {"hosts with an empty name", "http:\n  hosts: ['']\n",
	     "t.yaml:2:11: 'hosts' lists host names as a browser sends them in Host, without a "
	     "scheme or port (weir.example.com, [2001:db8::1]); got ''",
	     1},
	    {"hosts with a bad IPv6", "http:\n  hosts: ['[::g]']\n",
	     "t.yaml:2:11: 'hosts' lists host names as a browser sends them in Host, without a "
	     "scheme or port (weir.example.com, [2001:db8::1]); got '[::g]'",
	     1},
	    {"max_connections_per_client zero", "http: {max_connections_per_client: 0}\n",
	     "t.yaml:1:36: 'max_connections_per_client' must be from 1 to 65536, got 0", 1},
	    {"max_streams too many", "http: {max_streams: 5000}\n",
	     "t.yaml:1:21: 'max_streams' must be from 1 to 4096, got 5000", 1},
	    {"header_timeout too long", "http: {header_timeout: 6m}\n",
	     "t.yaml:1:24: 'header_timeout' must be a duration from 1s to 5m, got '6m'", 1},
	    {"header_timeout zero", "http: {header_timeout: 0s}\n",
	     "t.yaml:1:24: 'header_timeout' must be a duration from 1s to 5m, got '0s'", 1},
	    {"timeout too long", "http: {timeout: 2h}\n",
	     "t.yaml:1:17: 'timeout' must be a duration from 1s to 1h, got '2h'", 1},
	};

	return cr_make_param_array(struct err_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct err_case *c, config, each_error_is_reported_at_its_position)
{
	char *errs = load_err(c->yaml);
	size_t n = strlen(c->line);

	cr_expect(!strncmp(errs, c->line, n) && errs[n] == '\n',
		  "%s:\nexpected first line\n%s\ngot\n%s", c->what, c->line, errs);
	cr_expect_eq(count_lines(errs), c->nerrs, "%s: %zu lines expected, got\n%s", c->what,
		     c->nerrs, errs);
	cr_expect_eq(errs[strlen(errs) - 1], '\n');
	free(errs);
}

Test(config, unclosed_bracket_is_reported_at_the_bracket_and_at_the_end)
{
	char *errs = load_err("windows: [10s, 1m\n");

	cr_expect_str_eq(errs, "t.yaml:1:10: this '[' is never closed\n"
			       "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow "
			       "sequence started at 1:10)\n");
	free(errs);
	errs = load_err("rules: [{name: a, match: x}\n# c\n\n");
	cr_expect_str_eq(errs, "t.yaml:1:8: this '[' is never closed\n"
			       "t.yaml:4:1: did not find expected ',' or ']' (while parsing a flow "
			       "sequence started at 1:8)\n");
	free(errs);
}

/* libyaml's marks count characters and start a line after every YAML 1.1
 * line break; a reader error (bad UTF-8) has a byte offset instead. Every
 * one comes out as the same 1-based line:col in characters. */
Test(config, syntax_error_positions_count_characters_and_every_line_break)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
	    {"\xc3\xa9\xc3\xa9: [a, b\n", "t.yaml:1:5: this '[' is never closed\n"},
	    {"\xef\xbb\xbfwindows: [a\n", "t.yaml:1:10: this '[' is never closed\n"},
	    {"a: 1\r\nb: 2\rc: [x\n", "t.yaml:3:4: this '[' is never closed\n"},
	    {"a: 1\xc2\x85"
	     "b: [x\n",
	     "t.yaml:2:4: this '[' is never closed\n"},
	    {"a: 1\xe2\x80\xa8"
	     "b: [x\n",
	     "t.yaml:2:4: this '[' is never closed\n"},
	    {"\xc3\x85: [x\n", "t.yaml:1:4: this '[' is never closed\n"}, /* 85 in a char */
	    {"a: b\n\xc3\xa9x: \xff\n", "t.yaml:2:5: invalid leading UTF-8 octet (0xff)\n"},
	    {"a: \xc3\xa9\xc2\x80\n", "t.yaml:1:5: control characters are not allowed (0x80)\n"},
	    {"a: '\xc3\xa9\xe0\x80'\n", "t.yaml:1:7: invalid trailing UTF-8 octet (0x27)\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *errs = load_err(cases[i].yaml);
		size_t n = strlen(cases[i].want);

		cr_expect(!strncmp(errs, cases[i].want, n), "case %zu: want\n%sgot\n%s", i,
			  cases[i].want, errs);
		free(errs);
	}
}

Test(config, utf16_is_refused)
{
	static const char le[] = "\xff\xfer\0u\0l\0e\0s\0:\0 \0[\0]\0\n\0";
	struct cfg *cfg = NULL;
	char *errs = NULL;

	cr_assert_eq(cfg_load_string("t.yaml", le, sizeof(le) - 1, &cfg, &errs), -EINVAL);
	cr_expect_str_eq(errs, "t.yaml:1:1: the file starts with a UTF-16 byte order mark; a "
			       "config must be UTF-8\n");
	free(errs);
}

/* What libyaml gives and the getters care about: a quoted scalar is never
 * empty-as-null, tags are ignored, an implied empty value is null and
 * takes its key's position, "\0" in double quotes is a NUL. */
Test(config, scalar_styles_and_empty_values)
{
	struct cfg *cfg =
	    load_ok("state_dir: !!str '/q'\nrules:\n  - name: \"r\"\n    "
		    "match: >-\n      a\n      b\n  - name: s\n    match: |\n      c\n");
	char *errs;

	cr_expect_str_eq(cfg->state_dir, "/q");
	cr_assert_eq(cfg->nrules, 2);
	cr_expect_str_eq(cfg->rules[0].name, "r");
	cr_expect_str_eq(cfg->rules[0].match, "a b");
	cr_expect_str_eq(cfg->rules[1].match, "c\n");
	cfg_free(cfg);
	errs = load_err("state_dir: ''\n");
	cr_expect_str_eq(errs, "t.yaml:1:12: 'state_dir' must not be empty\n");
	free(errs);
	errs = load_err("state_dir: \"a\\0b\"\n");
	cr_expect_str_eq(errs, "t.yaml:1:12: 'state_dir' must not contain a NUL character\n");
	free(errs);
	errs = load_err("tuning:\n  workers: &w\n");
	cr_expect_str_eq(errs, "t.yaml:2:3: 'workers' has no value; expected an integer\n");
	free(errs);
}

Test(config, all_errors_are_reported_together_in_document_order)
{
	static const char yaml[] = "listen: localhost\n"
				   "windows: [10s, never]\n"
				   "rules:\n"
				   "  - name: a\n"
				   "    match: x\n"
				   "    colour: red\n"
				   "  - name: a\n"
				   "    match: y\n"
				   "  - name: b\n"
				   "tuning:\n"
				   "  workers: lots\n"
				   "bogus: 1\n";
	char *errs = load_err(yaml);

	cr_expect_str_eq(
	    errs, "t.yaml:1:9: bad 'listen' value 'localhost': expected HOST:PORT, e.g. "
		  "127.0.0.1:8080 or [::1]:8080\n"
		  "t.yaml:2:16: bad duration 'never' in 'windows'; expected e.g. 10s, 5m, "
		  "1h, 1d\n"
		  "t.yaml:6:5: unknown key 'colour' in rule; expected one of: name, match, "
		  "flags, caseless, where, value, unit, top, top_k, group_by, distinct, time\n"
		  "t.yaml:7:11: duplicate rule name 'a' (also used by the rule at t.yaml:4)\n"
		  "t.yaml:9:5: rule 'b' needs 'match' (a regex), 'where' (fields), or both\n"
		  "t.yaml:11:12: 'workers' must be an integer, got 'lots'\n"
		  "t.yaml:12:1: unknown key 'bogus' at top level; expected one of: listen, "
		  "state_dir, checkpoint_interval, windows, sources, rules, tuning, include, "
		  "lateness, max_future, http, samples\n");
	free(errs);
}

Test(config, errors_are_capped_and_the_rest_counted)
{
	size_t cap = 150 * 16 + 1, off = 0;
	char *yaml = malloc(cap);
	char *errs;

	cr_assert_not_null(yaml);
	for (int i = 0; i < 150; i++)
		off += snprintf(yaml + off, cap - off, "k%d: 1\n", i);
	errs = load_err(yaml);
	cr_expect_eq(count_lines(errs), 101);
	cr_expect_not_null(strstr(errs, "\nt.yaml: 50 more errors not shown\n"));
	free(errs);
	free(yaml);
}

Test(config, user_text_in_a_message_stays_on_one_line)
{
	char *errs = load_err("\"a\\nb\": 1\n");

	cr_expect_eq(count_lines(errs), 1, "%s", errs);
	cr_expect(!strncmp(errs, "t.yaml:1:1: unknown key 'a?b' at top level", 42), "%s", errs);
	free(errs);
}

Test(config, syntax_errors_are_not_printed_to_stderr)
{
	char path[] = "/tmp/test_config_stderr.XXXXXX";
	int fd = mkstemp(path), saved;
	char *errs;

	cr_assert_geq(fd, 0);
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	cr_assert_geq(saved, 0);
	dup2(fd, STDERR_FILENO);
	errs = load_err("a: [1, 2\nb: {c\n");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	cr_expect_eq(lseek(fd, 0, SEEK_END), 0, "libyaml wrote to stderr");
	close(fd);
	free(errs);
}

/* ---------------------------------------------------------------------------
 * listen
 */

struct listen_case {
	char value[32]; /* written double-quoted */
	char host[16];	/* "": must be rejected */
	int port;
	char why[128]; /* rejected: the end of the message */
	char addr[48]; /* accepted: the address it resolves to, numeric ("": not checked) */
};

#define NOT_HOST                                                                                   \
	" is not a host name or an IP address; use 0.0.0.0 for all IPv4 addresses, [::] for all "  \
	"IPv6 addresses"
#define NOT_QUAD " is not an IPv4 address in dotted-decimal form, as in 127.0.0.1"

ParameterizedTestParameters(config, listen_values)
{
	static struct listen_case cases[] = {
	    {"127.0.0.1:8080", "127.0.0.1", 8080, "", "127.0.0.1"},
	    {"0.0.0.0:0", "0.0.0.0", 0, "", "0.0.0.0"},
	    {"localhost:65535", "localhost", 65535, "", ""},
	    {"[::1]:8080", "::1", 8080, "", "::1"},
	    {"[::]:80", "::", 80, "", "::"},
	    {"[fe80::1%lo]:9000", "fe80::1%lo", 9000, "", "fe80::1%lo"},
	    {"*:8080", "", 0, "'*'" NOT_HOST, ""},
	    {"web_1!:80", "", 0, "'web_1!'" NOT_HOST, ""},
	    {"0:0", "", 0, "'0'" NOT_QUAD, ""},
	    {"127.1:8080", "", 0, "'127.1'" NOT_QUAD, ""},
	    {"0x7f.1:8080", "", 0, "'0x7f.1'" NOT_QUAD, ""},
	    {"[127.0.0.1]:80", "", 0, "brackets are only for IPv6 addresses, e.g. [::1]:8080", ""},
	    {"[::1x]:80", "", 0, "'::1x' is not an IPv6 address", ""},
	    {"[fe80::1%nosuchif0]:80", "", 0, "this host has no network interface 'nosuchif0'", ""},
	    {"8080", "", 0, "expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", ""},
	    {"::1:8080", "", 0, "an IPv6 address must be in brackets, e.g. [::1]:8080", ""},
	    {":8080", "", 0, "the host is empty; use 0.0.0.0 for all IPv4 addresses", ""},
	    {"[]:8080", "", 0, "the host is empty; use 0.0.0.0 for all IPv4 addresses", ""},
	    {"h:65536", "", 0, "the port must be a number from 0 to 65535", ""},
	    {"h:-1", "", 0, "the port must be a number from 0 to 65535", ""},
	    {"h:", "", 0, "the port must be a number from 0 to 65535", ""},
	    {"h:80x", "", 0, "the port must be a number from 0 to 65535", ""},
	    {"h:99999999999999999999999", "", 0, "the port must be a number from 0 to 65535", ""},
	    {"[::1]8080", "", 0, "expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", ""},
	    {"[::1", "", 0, "expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", ""},
	    {"a b:80", "", 0, "the host must not contain spaces, '/', '[' or ']'", ""},
	};

	return cr_make_param_array(struct listen_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct listen_case *c, config, listen_values)
{
	char yaml[128], want[256];
	struct cfg *cfg = NULL;
	char *errs = NULL;
	int rc;

	snprintf(yaml, sizeof(yaml), "listen: \"%s\"\n", c->value);
	rc = cfg_load_string("t.yaml", yaml, strlen(yaml), &cfg, &errs);
	if (c->host[0]) {
		char addr[64], port[8];

		cr_assert_eq(rc, 0, "%s: %s", c->value, errs);
		cr_expect_str_eq(cfg->listen_host, c->host);
		cr_expect_eq(cfg->listen_port, c->port);
		/* What the HTTP server binds, resolved at load. */
		cr_assert_eq(getnameinfo((const struct sockaddr *)&cfg->listen_addr,
					 cfg->listen_addrlen, addr, sizeof(addr), port,
					 sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV),
			     0);
		cr_expect_eq(strtol(port, NULL, 10), c->port);
		if (c->addr[0])
			cr_expect_str_eq(addr, c->addr);
	} else {
		cr_assert_eq(rc, -EINVAL, "%s accepted", c->value);
		snprintf(want, sizeof(want), "t.yaml:1:9: bad 'listen' value '%s': %s\n", c->value,
			 c->why);
		cr_expect_str_eq(errs, want);
	}
	cfg_free(cfg);
	free(errs);
}

Test(config, listen_host_name_resolves_at_load)
{
	struct cfg *cfg = load_ok("listen: localhost:8080\n");
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&cfg->listen_addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&cfg->listen_addr;

	cr_assert(cfg->listen_addr.ss_family == AF_INET || cfg->listen_addr.ss_family == AF_INET6);
	if (cfg->listen_addr.ss_family == AF_INET) {
		cr_expect_eq(cfg->listen_addrlen, sizeof(*a4));
		cr_expect_eq(ntohl(a4->sin_addr.s_addr) >> 24, 127,
			     "localhost is a loopback address");
		cr_expect_eq(ntohs(a4->sin_port), 8080);
	} else {
		cr_expect_eq(cfg->listen_addrlen, sizeof(*a6));
		cr_expect(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
		cr_expect_eq(ntohs(a6->sin6_port), 8080);
	}
	cfg_free(cfg);
}

Test(config, default_listen_is_resolved_too)
{
	struct cfg *cfg = load_ok("windows: [10s]\n");
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&cfg->listen_addr;

	cr_assert_eq(cfg->listen_addr.ss_family, AF_INET);
	cr_expect_eq(cfg->listen_addrlen, sizeof(*a4));
	cr_expect_eq(ntohl(a4->sin_addr.s_addr), INADDR_LOOPBACK);
	cr_expect_eq(ntohs(a4->sin_port), 8080);
	cfg_free(cfg);
}

Test(config, unquoted_ipv6_listen_is_a_yaml_error)
{
	char *errs = load_err("listen: [::1]:8080\n");

	cr_expect(!strncmp(errs, "t.yaml:1:", 9), "%s", errs);
	free(errs);
}

/* ---------------------------------------------------------------------------
 * Durations
 */

struct dur_case {
	char in[32];
	int rc;
	uint32_t secs;
	char shortest[16]; /* cfg_format_duration(secs) */
};

ParameterizedTestParameters(config, durations)
{
	static struct dur_case cases[] = {
	    {"1s", 0, 1, "1s"},
	    {"10s", 0, 10, "10s"},
	    {"90s", 0, 90, "90s"},
	    {"60s", 0, 60, "1m"},
	    {"1m", 0, 60, "1m"},
	    {"5m", 0, 300, "5m"},
	    {"15m", 0, 900, "15m"},
	    {"90m", 0, 5400, "90m"},
	    {"60m", 0, 3600, "1h"},
	    {"1h", 0, 3600, "1h"},
	    {"24h", 0, 86400, "24h"},
	    {"1d", 0, 86400, "24h"},
	    {"36h", 0, 129600, "36h"},
	    {"48h", 0, 172800, "2d"},
	    {"30d", 0, 2592000, "30d"},
	    {"10", 0, 10, "10s"},
	    {"3600", 0, 3600, "1h"},
	    {"007s", 0, 7, "7s"},
	    {"4294967295", 0, 4294967295u, "4294967295s"},
	    {"49710d", 0, 4294944000u, "49710d"},
	    {"0", -EINVAL, 0, ""},
	    {"0s", -EINVAL, 0, ""},
	    {"0d", -EINVAL, 0, ""},
	    {"", -EINVAL, 0, ""},
	    {"s", -EINVAL, 0, ""},
	    {"10x", -EINVAL, 0, ""},
	    {"10S", -EINVAL, 0, ""},
	    {"1.5h", -EINVAL, 0, ""},
	    {"-1s", -EINVAL, 0, ""},
	    {"+1s", -EINVAL, 0, ""},
	    {" 1s", -EINVAL, 0, ""},
	    {"1s ", -EINVAL, 0, ""},
	    {"1 s", -EINVAL, 0, ""},
	    {"1hh", -EINVAL, 0, ""},
	    {"1h30m", -EINVAL, 0, ""},
	    {"4294967296", -EINVAL, 0, ""},
	    {"49711d", -EINVAL, 0, ""},
	    {"71582788m", 0, 4294967280u, "71582788m"},
	    {"71582789m", -EINVAL, 0, ""},
	    {"99999999999999999999999s", -EINVAL, 0, ""},
	};

	return cr_make_param_array(struct dur_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dur_case *c, config, durations)
{
	uint32_t secs = 12345;
	char buf[32];
	int rc = cfg_parse_duration(c->in, &secs);

	cr_assert_eq(rc, c->rc, "'%s': rc %d, want %d", c->in, rc, c->rc);
	if (rc) {
		cr_expect_eq(secs, 12345, "'%s': *secs changed on failure", c->in);
		return;
	}
	cr_expect_eq(secs, c->secs, "'%s': %u, want %u", c->in, secs, c->secs);
	cfg_format_duration(secs, buf, sizeof(buf));
	cr_expect_str_eq(buf, c->shortest, "'%s'", c->in);
	/* The shortest form parses back to the same value. */
	cr_expect_eq(cfg_parse_duration(buf, &secs), 0);
	cr_expect_eq(secs, c->secs);
}

Test(config, format_duration_edge_cases)
{
	char buf[8];

	cfg_format_duration(0, buf, sizeof(buf));
	cr_expect_str_eq(buf, "0s");
	cfg_format_duration(59, buf, sizeof(buf));
	cr_expect_str_eq(buf, "59s");
	cfg_format_duration(61, buf, sizeof(buf));
	cr_expect_str_eq(buf, "61s");
	cfg_format_duration(86400 + 3600, buf, sizeof(buf));
	cr_expect_str_eq(buf, "25h");
	cfg_format_duration(3600, buf, 2); /* cut, still terminated */
	cr_expect_str_eq(buf, "1");
	cfg_format_duration(3600, NULL, 0); /* no buffer: nothing happens */
	cr_expect_eq(cfg_parse_duration(NULL, NULL), -EINVAL);
}

/* ---------------------------------------------------------------------------
 * Files
 */

Test(config, missing_file_is_enoent_naming_the_file)
{
	struct cfg *cfg = (struct cfg *)1;
	char *errs = NULL;
	int rc = cfg_load_file("/nonexistent/weir-test.yaml", &cfg, &errs);

	cr_expect_eq(rc, -ENOENT);
	cr_expect_null(cfg);
	cr_assert_not_null(errs);
	cr_expect_str_eq(errs, "/nonexistent/weir-test.yaml: cannot read: No such file or "
			       "directory\n");
	free(errs);
}

Test(config, fifo_or_directory_is_refused_without_waiting)
{
	char dir[] = "/tmp/test_config.XXXXXX", fifo[64], want[128];
	struct cfg *cfg = (struct cfg *)1;
	char *errs = NULL;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/weir.yaml", dir);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	/* No writer: a blocking open would wait here for ever. */
	cr_expect_eq(cfg_load_file(fifo, &cfg, &errs), -EINVAL);
	cr_expect_null(cfg);
	snprintf(want, sizeof(want), "%s: not a regular file (a FIFO)\n", fifo);
	cr_expect_str_eq(errs, want);
	free(errs);
	cr_expect_eq(cfg_load_file(dir, &cfg, &errs), -EINVAL);
	snprintf(want, sizeof(want), "%s: not a regular file (a directory)\n", dir);
	cr_expect_str_eq(errs, want);
	free(errs);
	unlink(fifo);
	rmdir(dir);
}

Test(config, file_errors_name_the_path)
{
	char path[] = "/tmp/test_config.XXXXXX";
	static const char bad[] = "rules:\n  - name: a\n";
	static const char good[] = "rules:\n  - name: a\n    match: x\n";
	struct cfg *cfg = NULL;
	char *errs = NULL, want[128];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	cr_expect_eq(cfg_load_file(path, &cfg, &errs), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2:5: rule 'a' needs 'match' (a regex), 'where' (fields), or both\n", path);
	cr_expect_str_eq(errs, want);
	free(errs);

	cr_assert_eq(ftruncate(fd, 0), 0);
	cr_assert_eq(pwrite(fd, good, sizeof(good) - 1, 0), (ssize_t)(sizeof(good) - 1));
	cr_expect_eq(cfg_load_file(path, &cfg, &errs), 0);
	cr_assert_not_null(cfg);
	cr_expect_str_eq(cfg->file, path);
	cr_expect_neq(cfg->file, path, "cfg->file is a copy");
	cr_expect_eq(cfg->rules[0].pos.file, cfg->file);
	cr_expect_eq(cfg->rules[0].match_pos.line, 3);
	cr_expect_eq(cfg->rules[0].match_pos.col, 12);
	cfg_free(cfg);
	close(fd);
	unlink(path);
}

Test(config, free_null_is_a_no_op)
{
	cfg_free(NULL);
}
