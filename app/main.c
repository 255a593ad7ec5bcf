/*
 * main.c - weir's command line: serve (the daemon), check, scan, version.
 *
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken by
 * the main thread with sigwait(), so no handler ever runs inside a worker.
 * SIGPIPE is ignored (a client that hangs up is the HTTP library's business).
 *
 * Exit status: 0 success; 1 a runtime failure; 2 bad usage or a bad config.
 * scan --expect: 1 also when the result differs, 2 when the golden is unusable.
 */
#include "core/version.h"
#include "aggregate/aggregator.h"
#include "aggregate/snapshot.h"
#include "config/config.h"
#include "app/expect.h"
#include "core/log.h"
#include "app/run.h"
#include "core/strbuf.h"
#include "http/server.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs(
	    "usage: weir [serve] [-c FILE]         run the daemon (default config: built-in demo)\n"
	    "       weir check -c FILE             validate the config and compile its rules\n"
	    "       weir scan -c FILE [LOG...]     count rule matches over files (or stdin), print "
	    "JSON\n"
	    "       weir scan -c FILE --expect GOLDEN [LOG...]\n"
	    "                                      no JSON: compare with GOLDEN (saved output),\n"
	    "                                      exit 1 and list differences if they differ\n"
	    "       weir version\n"
	    "options: -c, --config FILE   -w, --workers N   -v, --verbose   -h, --help\n"
	    "         --expect GOLDEN, --format FMT (scan only: raw, syslog, combined, common,\n"
	    "         json, logfmt; default: the format of the config's sources, if they share "
	    "one)\n",
	    f);
}

struct opts {
	const char *config;
	const char *expect; /* scan --expect: the golden file, or NULL */
	uint32_t workers;
	bool verbose;
	int format; /* scan --format: enum cfg_format, or -1 (from the config) */
	bool scan;
};

/* Long options without a short form. */
enum { OPT_EXPECT = 256, OPT_FORMAT };

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"workers", required_argument, NULL, 'w'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"expect", required_argument, NULL, OPT_EXPECT},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+c:w:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'w': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v > 64) {
				fprintf(stderr, "weir: --workers wants a number from 0 to 64\n");
				return -EINVAL;
			}
			o->workers = (uint32_t)v;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case OPT_EXPECT:
			o->expect = optarg;
			break;
		case OPT_FORMAT: {
			enum cfg_format f;

			if (cfg_format_parse(optarg, &f)) {
				fprintf(stderr,
					"weir: --format wants raw, syslog, combined, common, "
					"json or logfmt\n");
				return -EINVAL;
			}
			o->format = (int)f;
			break;
		}
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	return 0;
}

/* scan reads its files with the `time:` all the config's sources share (or
 * arrival) and the `timezone:` they all share (or UTC). */
static void scan_time(const struct cfg *cfg, struct run_opts *po)
{
	bool same_time = cfg->nsources > 0, same_zone = cfg->nsources > 0;

	for (size_t i = 1; i < cfg->nsources; i++) {
		const char *a = cfg->sources[0].timezone, *b = cfg->sources[i].timezone;

		same_time &= cfg->sources[i].time == cfg->sources[0].time;
		same_zone &= a == b || (a && b && !strcmp(a, b));
	}
	po->scan_time = (uint8_t)(same_time ? cfg->sources[0].time : CFG_TIME_ARRIVAL);
	po->scan_zone = same_zone ? cfg->sources[0].zone : NULL;
}

/* scan reads its files in the format all the config's sources share, or raw. */
static enum cfg_format scan_format(const struct cfg *cfg)
{
	for (size_t i = 1; i < cfg->nsources; i++)
		if (cfg->sources[i].format != cfg->sources[0].format)
			return CFG_FORMAT_RAW;
	return cfg->nsources ? cfg->sources[0].format : CFG_FORMAT_RAW;
}

/* Does line t start with "NAME:LINE:COL: "? Sets *line and *col. */
static bool errline_at(const char *t, const char *name, long *line, long *col)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(t, name, n) || t[n] != ':' || t[n + 1] < '0' || t[n + 1] > '9')
		return false;
	*line = strtol(t + n + 1, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	*col = strtol(end + 1, &end, 10);
	return *end == ':';
}

/* Where error line e points: a file of cfg (the longest name that fits). */
static void errline_place(const struct cfg *cfg, struct cfg_errline *e)
{
	size_t best = 0;
	long line, col;

	e->file = cfg->nincludes + 1; /* last */
	for (size_t k = 0; k <= cfg->nincludes; k++) {
		const char *name = k ? cfg->includes[k - 1] : cfg->file;

		if (strlen(name) >= best && errline_at(e->text, name, &line, &col)) {
			best = strlen(name);
			e->file = k;
			e->line = line;
			e->col = col;
		}
	}
}

/*
 * One report of the config's errors a and its rules' errors b (each
 * "FILE:LINE:COL: message" lines, or NULL; both freed), sorted as the
 * config's own errors are (cfg_errors_sort): by file (the config, then its
 * includes in reading order), line and column; lines without a position
 * (the count of errors not shown, out of memory) last. Returns a malloc'd string; NULL
 * when out of memory.
 */
static char *errs_join(const struct cfg *cfg, char *a, char *b)
{
	struct strbuf all = {0}, out = {0};
	struct cfg_errline *v = NULL;
	size_t n = 0, i;
	char *p;

	strbuf_puts(&all, a ? a : "");
	if (all.len && all.buf[all.len - 1] != '\n')
		strbuf_putc(&all, '\n');
	strbuf_puts(&all, b ? b : "");
	free(a);
	free(b);
	if (all.oom || !all.len)
		return strbuf_take(&all);
	for (p = all.buf; *p; p++)
		n += *p == '\n';
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return strbuf_take(&all); /* unsorted rather than nothing */
	for (p = all.buf, n = 0; *p; n++) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

		v[n] = (struct cfg_errline){.text = p, .len = len, .seq = n};
		errline_place(cfg, &v[n]);
		p += len;
	}
	cfg_errors_sort(v, n);
	for (i = 0; i < n; i++)
		strbuf_append(&out, v[i].text, v[i].len);
	if (out.len && out.buf[out.len - 1] != '\n')
		strbuf_putc(&out, '\n');
	free(v);
	if (out.oom) {
		strbuf_free(&out);
		return strbuf_take(&all);
	}
	strbuf_free(&all);
	return strbuf_take(&out);
}

/* The formats records come in: scan's (--format, else the one its sources
 * share, else raw), or the sources'. */
static unsigned formats_of(const struct opts *o, const struct cfg *cfg)
{
	if (!o->scan)
		return pat_cfg_formats(cfg);
	return 1u << (o->format >= 0 ? o->format : (int)scan_format(cfg));
}

/*
 * Load the config (the embedded default without -c) and compile its rules.
 * A config file with errors is still compiled, less its broken rules, so
 * that one run reports every error. On success 0, *cfg and *db (caller
 * frees); otherwise -EINVAL and *errs, all errors sorted (caller frees).
 */
static int load_all(const struct opts *o, struct cfg **cfg, struct pat_db **db, char **errs)
{
	char *cerrs = NULL;
	int rc, crc;

	*db = NULL;
	*errs = NULL;
	if (o->config)
		rc = cfg_load_file_partial(o->config, cfg, errs);
	else
		rc = cfg_load_string("<embedded default>", cfg_default_yaml,
				     strlen(cfg_default_yaml), cfg, errs);
	if (!*cfg)
		return -EINVAL;
	crc = pat_db_compile_for(*cfg, formats_of(o, *cfg), db, &cerrs);
	if (!rc && !crc) {
		free(*errs);
		*errs = NULL;
		return 0;
	}
	*errs = errs_join(*cfg, *errs, cerrs);
	pat_db_free(*db);
	*db = NULL;
	cfg_free(*cfg);
	*cfg = NULL;
	return -EINVAL;
}

/* The rules' warnings (pat_db_warnings): on stderr for `weir check`, in
 * the log for serve and reloads. They do not stop anything. */
static void warn_rules(const struct cfg *cfg, const struct pat_db *db, bool to_log)
{
	struct strbuf sb = {0};
	char *line, *save = NULL;

	if (!pat_db_warnings(db, cfg, &sb) || sb.oom) {
		strbuf_free(&sb);
		return;
	}
	if (!to_log)
		fputs(sb.buf, stderr);
	else
		for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			log_warn("%s", line);
	strbuf_free(&sb);
}

/* load_all, printing the errors. 0 or -EINVAL. */
static int load(const struct opts *o, struct cfg **cfg, struct pat_db **db)
{
	char *errs;

	if (!load_all(o, cfg, db, &errs))
		return 0;
	fputs(errs ? errs : "weir: cannot load the config\n", stderr);
	free(errs);
	return -EINVAL;
}

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int cmd_check(const struct opts *o)
{
	struct cfg *cfg;
	struct pat_db *db;

	if (!o->config) {
		fprintf(stderr, "weir check: -c FILE is required\n");
		return 2;
	}
	if (load(o, &cfg, &db))
		return 2;
	warn_rules(cfg, db, false);
	printf("%s: ok (%zu sources, %zu rules, %zu windows)\n", cfg->file, cfg->nsources,
	       cfg->nrules, cfg->nwindows);
	pat_db_free(db);
	cfg_free(cfg);
	return 0;
}

static int cmd_scan(const struct opts *o, int nfiles, char **files)
{
	static const char *const stdin_file[] = {"/dev/stdin"};
	struct run_opts po = {.scan = true, .workers = o->workers};
	struct run *r = NULL;
	struct snapshot *s;
	struct strbuf out = {0};
	struct expect *golden = NULL;
	struct cfg *cfg;
	struct pat_db *db;
	sigset_t set;
	int i, rc = 1;

	if (!o->config) {
		fprintf(stderr, "weir scan: -c FILE is required\n");
		return 2;
	}
	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i], "-") && access(files[i], R_OK) < 0) {
			fprintf(stderr, "weir scan: %s: %s\n", files[i], strerror(errno));
			return 2;
		}
	if (load(o, &cfg, &db))
		return 2;
	if (o->expect) {
		char *errs;

		if (expect_load(o->expect, &golden, &errs)) {
			fputs(errs ? errs : "weir scan: cannot load the golden\n", stderr);
			free(errs);
			rc = 2;
			goto out;
		}
	}
	if (nfiles) {
		for (i = 0; i < nfiles; i++)
			if (!strcmp(files[i], "-"))
				files[i] = (char *)stdin_file[0];
		po.files = (const char *const *)files;
		po.nfiles = (size_t)nfiles;
	} else {
		po.files = stdin_file;
		po.nfiles = 1;
	}
	block_signals(&set);
	po.scan_format = (uint8_t)(o->format >= 0 ? o->format : (int)scan_format(cfg));
	scan_time(cfg, &po);
	if (run_new(cfg, db, &po, &r) || run_start(r))
		goto out;
	run_join(r);
	s = snap_store_acquire(run_store(r));
	if (!s)
		goto out;
	agg_render_totals(&r->p, s, &out);
	snap_release(s);
	if (golden)
		rc = expect_report(golden, out.oom ? NULL : out.buf, out.len, "weir scan", stderr);
	else if (!out.oom && fwrite(out.buf, 1, out.len, stdout) == out.len && fflush(stdout) == 0)
		rc = 0;
	strbuf_free(&out);
	for (i = 0; i < (int)r->p.nsources; i++)
		if (stat_get(&r->p.source_stats[i].errors))
			rc = 1;
out:
	run_free(r);
	expect_free(golden);
	pat_db_free(db);
	cfg_free(cfg);
	return rc;
}

/* Tailed files and TCP connections each hold a descriptor: take the most
 * the system allows (the soft limit is often 1024, the hard one far more). */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r))
		log_warn("cannot raise the open-file limit to %llu: %s",
			 (unsigned long long)r.rlim_max, strerror(errno));
}

/* What a reload needs; one reload runs at a time (mu). */
struct reloader {
	const struct opts *o;
	const struct cfg *first; /* the config serve started with (sources, listen, ...) */
	struct run *r;
	struct http_server *h;
	pthread_mutex_t mu;
};

/* Does b differ from a in what a reload does not apply? */
static bool outside_rules_changed(const struct cfg *a, const struct cfg *b)
{
	if (a->nsources != b->nsources || a->nwindows != b->nwindows ||
	    memcmp(a->windows, b->windows, sizeof(a->windows)) ||
	    a->listen_port != b->listen_port || strcmp(a->listen_host, b->listen_host) ||
	    strcmp(a->state_dir, b->state_dir) || a->workers != b->workers ||
	    a->batch_size != b->batch_size || a->max_line != b->max_line ||
	    a->tick_ms != b->tick_ms || a->lateness_s != b->lateness_s ||
	    a->max_future_s != b->max_future_s || a->checkpoint_s != b->checkpoint_s ||
	    a->samples_keep != b->samples_keep || a->samples_line_bytes != b->samples_line_bytes ||
	    a->samples_per_key != b->samples_per_key || a->samples_bytes != b->samples_bytes)
		return true;
	for (size_t i = 0; i < a->nsources; i++)
		if (strcmp(a->sources[i].name, b->sources[i].name) ||
		    a->sources[i].format != b->sources[i].format ||
		    a->sources[i].npaths != b->sources[i].npaths ||
		    a->sources[i].nlistens != b->sources[i].nlistens ||
		    a->sources[i].time != b->sources[i].time ||
		    strcmp(a->sources[i].timezone ? a->sources[i].timezone : "",
			   b->sources[i].timezone ? b->sources[i].timezone : ""))
			return true;
	return false;
}

/*
 * Reload the rules from the config file: load and compile it here (off
 * the hot path); a config with errors is refused with them (*msg) and the
 * running rules stay. 0, -EINVAL (the config's fault) or -errno.
 */
static int reload(void *arg, char **msg)
{
	struct reloader *rl = arg;
	struct strbuf sb = {0};
	struct cfg *cfg = NULL;
	struct pat_db *db = NULL;
	char *errs = NULL;
	int rc;

	*msg = NULL;
	if (!rl->o->config) {
		*msg = strdup("weir runs its embedded default config: there is no file to reload "
			      "(start it with -c FILE)");
		return -EINVAL;
	}
	pthread_mutex_lock(&rl->mu);
	if (load_all(rl->o, &cfg, &db, &errs)) {
		log_error("reload refused; the running rules stay:\n%s", errs ? errs : "");
		*msg = errs;
		pthread_mutex_unlock(&rl->mu);
		return -EINVAL;
	}
	warn_rules(cfg, db, true);
	strbuf_printf(&sb, "%zu rules from %s", cfg->nrules, cfg->file);
	if (outside_rules_changed(rl->first, cfg)) {
		strbuf_puts(&sb, "; only rules are reloaded: the other changes need a restart");
		log_warn("reload: %s: only rules are reloaded; the other changes need a restart",
			 cfg->file);
	}
	/* The rendering reads cfg, which the pipeline owns once it is handed over. */
	rc = http_set_rules(rl->h, cfg);
	if (!rc)
		rc = run_reload(rl->r, cfg, db, 10000);
	else {
		pat_db_free(db);
		cfg_free(cfg);
	}
	pthread_mutex_unlock(&rl->mu);
	if (rc) {
		strbuf_free(&sb);
		*msg = strdup(rc == -ETIMEDOUT ? "reload not applied within 10 s" : strerror(-rc));
		return rc == -EINVAL ? -EIO : rc;
	}
	log_info("reload: %s", sb.buf ? sb.buf : "done");
	*msg = strbuf_take(&sb);
	return 0;
}

/* GET /api/v1/series: asked of the aggregator (arg: the run). */
static int series(void *arg, struct agg_query *q)
{
	return agg_query_post(((struct run *)arg)->agg, q);
}

static int cmd_serve(const struct opts *o)
{
	struct run_opts po = {.workers = o->workers};
	struct run *r = NULL;
	struct http_server *h = NULL;
	struct cfg *cfg;
	struct pat_db *db;
	struct reloader rl = {.mu = PTHREAD_MUTEX_INITIALIZER};
	sigset_t set;
	int sig, rc = 1;

	if (load(o, &cfg, &db))
		return 2;
	warn_rules(cfg, db, true);
	block_signals(&set);
	raise_nofile();
	if (run_new(cfg, db, &po, &r))
		goto out;
	if (http_start(cfg, run_store(r), &h))
		goto out;
	if (run_start(r))
		goto out;
	rl.o = o;
	rl.first = cfg;
	rl.r = r;
	rl.h = h;
	http_set_reload(h, reload, &rl);
	http_set_series(h, series, r);
	http_set_ready(h, true);
	log_info("weir %s: %zu rules, %u workers, %u sources; Ctrl-C to stop", WEIR_VERSION,
		 cfg->nrules, r->p.nworkers, r->p.nsources);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			char *msg = NULL;

			log_info("SIGHUP: reloading the rules");
			reload(&rl, &msg);
			free(msg);
			continue;
		}
		break;
	}
	log_info("%s: stopping", strsignal(sig));
	/* Answer no more requests, stop reading, drain the rings. */
	http_stop(h);
	h = NULL;
	run_stop(r);
	run_join(r);
	log_info("stopped cleanly");
	rc = 0;
out:
	http_stop(h);
	run_free(r);
	pat_db_free(db);
	cfg_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {.format = -1};
	const char *cmd = "serve";
	int rc;

	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argc--;
		argv++;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("weir %s\n", WEIR_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (parse_opts(argc, argv, &o))
		return 2;
	if (o.verbose)
		log_set_level(LOG_DEBUG);
	if (o.expect && strcmp(cmd, "scan")) {
		fprintf(stderr, "weir: --expect is an option of scan only\n");
		return 2;
	}
	o.scan = !strcmp(cmd, "scan");
	if (!strcmp(cmd, "serve"))
		rc = optind < argc ? (usage(stderr), 2) : cmd_serve(&o);
	else if (!strcmp(cmd, "check"))
		rc = optind < argc ? (usage(stderr), 2) : cmd_check(&o);
	else if (!strcmp(cmd, "scan"))
		rc = cmd_scan(&o, argc - optind, argv + optind);
	else {
		fprintf(stderr, "weir: unknown command '%s'\n", cmd);
		usage(stderr);
		rc = 2;
	}
	return rc;
}
