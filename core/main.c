/*
 * main.c - weir's command line: serve (the daemon), check, scan, version.
 *
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken by
 * the main thread with sigwait(), so no handler ever runs inside a worker.
 * SIGPIPE is ignored (a client that hangs up is the HTTP library's business).
 *
 * Exit status: 0 success; 1 a runtime failure; 2 bad usage or a bad config.
 */
#include "aggregate/aggregator.h"
#include "core/config.h"
#include "core/log.h"
#include "core/pipeline.h"
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

#ifndef WEIR_VERSION
#define WEIR_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fputs(
	    "usage: weir [serve] [-c FILE]         run the daemon (default config: built-in demo)\n"
	    "       weir check -c FILE             validate the config and compile its rules\n"
	    "       weir scan -c FILE [LOG...]     count rule matches over files (or stdin), print "
	    "JSON\n"
	    "       weir version\n"
	    "options: -c, --config FILE   -w, --workers N   -v, --verbose   -h, --help\n",
	    f);
}

struct opts {
	const char *config;
	uint32_t workers;
	bool verbose;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"workers", required_argument, NULL, 'w'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
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

/* Load the config (the embedded default without -c) and compile its rules.
 * Prints every error; returns 0 or -EINVAL. */
static int load(const struct opts *o, struct cfg **cfg, struct pat_db **db)
{
	char *errs = NULL;
	int rc;

	if (o->config)
		rc = cfg_load_file(o->config, cfg, &errs);
	else
		rc = cfg_load_string("<embedded default>", cfg_default_yaml,
				     strlen(cfg_default_yaml), cfg, &errs);
	if (rc) {
		fputs(errs ? errs : "weir: cannot load the config\n", stderr);
		free(errs);
		return -EINVAL;
	}
	rc = pat_db_compile(*cfg, db, &errs);
	if (rc) {
		fputs(errs ? errs : "weir: cannot compile the rules\n", stderr);
		free(errs);
		cfg_free(*cfg);
		*cfg = NULL;
		return -EINVAL;
	}
	return 0;
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
	printf("%s: ok (%zu sources, %zu rules, %zu windows)\n", cfg->file, cfg->nsources,
	       cfg->nrules, cfg->nwindows);
	pat_db_free(db);
	cfg_free(cfg);
	return 0;
}

static int cmd_scan(const struct opts *o, int nfiles, char **files)
{
	static const char *const stdin_file[] = {"/dev/stdin"};
	struct pipe_opts po = {.scan = true, .workers = o->workers};
	struct pipeline *p = NULL;
	struct snapshot *s;
	struct strbuf out = {0};
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
	if (pipeline_new(cfg, db, &po, &p) || pipeline_start(p))
		goto out;
	pipeline_join(p);
	s = snap_store_acquire(&p->store);
	if (!s)
		goto out;
	agg_render_totals(p, s, &out);
	snap_release(s);
	if (!out.oom && fwrite(out.buf, 1, out.len, stdout) == out.len && fflush(stdout) == 0)
		rc = 0;
	strbuf_free(&out);
	for (i = 0; i < (int)p->nsources; i++)
		if (stat_get(&p->source_stats[i].errors))
			rc = 1;
out:
	pipeline_free(p);
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

static int cmd_serve(const struct opts *o)
{
	struct pipe_opts po = {.workers = o->workers};
	struct pipeline *p = NULL;
	struct http_server *h = NULL;
	struct cfg *cfg;
	struct pat_db *db;
	sigset_t set;
	int sig, rc = 1;

	if (load(o, &cfg, &db))
		return 2;
	block_signals(&set);
	raise_nofile();
	if (pipeline_new(cfg, db, &po, &p))
		goto out;
	if (http_start(cfg, &p->store, &h))
		goto out;
	if (pipeline_start(p))
		goto out;
	log_info("weir %s: %zu rules, %u workers, %u sources; Ctrl-C to stop", WEIR_VERSION,
		 cfg->nrules, p->nworkers, p->nsources);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reload is not supported yet; ignoring");
			continue;
		}
		break;
	}
	log_info("%s: stopping", strsignal(sig));
	/* Answer no more requests, stop reading, drain the rings. */
	http_stop(h);
	h = NULL;
	pipeline_stop(p);
	pipeline_join(p);
	log_info("stopped cleanly");
	rc = 0;
out:
	http_stop(h);
	pipeline_free(p);
	pat_db_free(db);
	cfg_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
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
