/*
 * hs_ceiling.c - the raw Hyperscan ceiling for a rule pack over a corpus:
 * how fast T threads can push the file's bytes through one database, with
 * nothing else (no reading, no framing, no per-line bookkeeping, no
 * aggregation). `weir scan` is compared against this number.
 *
 *   hs_ceiling -c CONFIG [-t THREADS] [-n RUNS] [-b BLOCK] [-m lines|weir] CORPUS
 *
 * The corpus is mmap'd (MAP_POPULATE, then every page touched) before the
 * clock starts; the clock (CLOCK_MONOTONIC) covers only the scanning. The
 * file is cut into T contiguous ranges, one per thread, and each thread
 * calls hs_scan() (block mode) on consecutive BLOCK-sized pieces (default
 * 1 MiB) of its range, with its own scratch (cloned: the database is
 * shared, a scratch never is). Ranges and blocks end just after a '\n' so
 * no line is split. The best of RUNS runs is reported as one JSON object on
 * stdout, with its scan threads' CPU time ("cpu_s") and the CPU time the
 * rest of the machine used meanwhile ("others_cpu_s", from /proc/stat; -1
 * when unreadable): on a shared machine, how much the run had to share.
 *
 * Two databases (-m):
 *   lines  (default; the ceiling `make bench` holds weir to) the least work
 *          an exact per-line counter built on one scan per block must do.
 *          The config's expressions and flags without SINGLEMATCH and with
 *          HS_FLAG_MULTILINE, so every match in the block is reported and
 *          ^/$ hold at line boundaries; every negated bracket `[^...]` also
 *          excludes '\n' and DOTALL is dropped, so no match spans two lines
 *          (weir never shows a rule a '\n'). The callback finds the line of
 *          each match (the '\n' at or after its end: one memchr per line
 *          with a match, cached) and counts a rule once per line (matches
 *          arrive in order of end offset, so the line of the rule's last
 *          count is all it needs). Output: exact per-rule line counts,
 *          "counts":[...] in config order - what `weir scan` must print -,
 *          and "unordered": matches that arrived for a line before the
 *          rule's last counted one (then a count may be off; always 0 so
 *          far, and scan.py treats anything else as a failed check).
 *          Exact for rules in the bench subset (README.md), whose only
 *          constructs that can match '\n' are negated brackets.
 *   weir   the database weir itself scans with: pat_db_compile()
 *          on the config, taken through pat_db_hs(). Its rules carry
 *          HS_FLAG_SINGLEMATCH (made for one record per scan), so on a
 *          1 MiB block each rule reports once. Hyperscan may stop a scan
 *          early once every rule has matched: seen with a 3-rule pack
 *          (tens of GB/s), not with rules50.yaml (1 MiB and 16 MiB blocks
 *          scan at the same rate). So before timing, the first 32 MiB are
 *          scanned single-threaded with BLOCK and 16 x BLOCK pieces: a scan
 *          that stops early costs the same per block, whatever its size, so
 *          the big pieces go much faster. Over 2x reports "early_stop":true.
 *          Its callback counts matches per block, not lines: no per-rule
 *          counts. For information (run it by hand).
 * Hyperscan calls stay here and in pattern/ only.
 */
#include "config/config.h"
#include "pattern/pattern.h"

#include <hs.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CEIL_MAX_THREADS 64

/* One thread's share. Owned by main(); the thread writes only the OUT
 * fields and its own counts[] and last[]. */
struct ceil_job {
	const char *base; /* its range of the mapping */
	size_t len;
	size_t block;
	const hs_database_t *db;
	hs_scratch_t *scratch; /* this thread's own */
	bool per_line;	       /* lines mode: count rules per line */
	uint64_t *counts;      /* [nrules], lines mode: lines each rule matched */
	uintptr_t *last;       /* [nrules], lines mode: the '\n' of its last counted line */
	uint64_t matches;      /* OUT: match callbacks */
	double cpu_s;	       /* OUT: this thread's CPU time for its range */
	uint64_t unordered;    /* OUT: matches behind their rule's last counted line */
	int rc;		       /* OUT: 0 or an hs_error_t */
};

/* The block being scanned by one thread, for the per-line callback. */
struct line_ctx {
	struct ceil_job *j;
	const char *blk; /* the block */
	size_t len;
	size_t cur_from; /* a match ending in [cur_from, cur_nl] is on the line ending at cur_nl */
	size_t cur_nl;	 /* offset of that line's '\n' (or len) */
};

static void usage(FILE *f)
{
	fputs("usage: hs_ceiling -c CONFIG [-t THREADS] [-n RUNS] [-b BLOCK_BYTES] "
	      "[-m lines|weir] CORPUS\n",
	      f);
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Lines mode: count rule id once for the line holding the match that ends
 * at offset to. No match contains a '\n' (see the file comment), so that
 * line ends at the first '\n' at or after to. */
static int on_match_line(unsigned int id, unsigned long long from, unsigned long long to,
			 unsigned int flags, void *ctx)
{
	struct line_ctx *c = ctx;
	struct ceil_job *j = c->j;

	(void)from;
	(void)flags;
	j->matches++;
	if (to < c->cur_from || to > c->cur_nl) {
		if (to >= c->len) /* an empty match after the last '\n': no line */
			return 0;
		const char *nl = memchr(c->blk + to, '\n', c->len - (size_t)to);
		c->cur_from = (size_t)to;
		c->cur_nl = nl ? (size_t)(nl - c->blk) : c->len;
	}
	uintptr_t key = (uintptr_t)(c->blk + c->cur_nl);
	if (j->last[id] == key)
		return 0;
	if (j->last[id] > key) /* out of order: it may have been counted already */
		j->unordered++;
	else
		j->last[id] = key;
	j->counts[id]++;
	return 0;
}

/* The offset just past the first '\n' at or after want (or len). */
static size_t line_end_after(const char *base, size_t len, size_t want)
{
	if (want >= len)
		return len;
	const char *nl = memchr(base + want, '\n', len - want);
	return nl ? (size_t)(nl - base) + 1 : len;
}

static double cpu_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *scan_range(void *arg)
{
	struct ceil_job *j = arg;
	size_t pos = 0;
	double cpu0 = cpu_now_s();

	j->matches = 0;
	j->unordered = 0;
	j->rc = 0;
	while (pos < j->len) {
		size_t end = line_end_after(j->base, j->len, pos + j->block);
		hs_error_t err;
		if (j->per_line) {
			struct line_ctx c = {j, j->base + pos, end - pos, 1, 0};
			err = hs_scan(j->db, c.blk, (unsigned)c.len, 0, j->scratch, on_match_line,
				      &c);
		} else {
			err = hs_scan(j->db, j->base + pos, (unsigned)(end - pos), 0, j->scratch,
				      on_match, &j->matches);
		}
		if (err != HS_SUCCESS) {
			j->rc = err;
			break;
		}
		pos = end;
	}
	j->cpu_s = cpu_now_s() - cpu0;
	return NULL;
}

/* CPU time every CPU of the machine has spent busy so far (all processes,
 * and time stolen by a hypervisor), in seconds, from /proc/stat; -1 if it
 * cannot be read. Around a run, its growth minus the run's own CPU time is
 * what others took meanwhile: how quiet the machine was. */
static double machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7])
		  : 0;

	if (f)
		fclose(f);
	if (n != 8)
		return -1;
	/* user nice system idle iowait irq softirq steal: all but idle, iowait */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best of 3 single-threaded scans of j's range, in seconds; -1 on error. */
static double time_job(struct ceil_job *j)
{
	double best = -1;
	for (int i = 0; i < 3; i++) {
		double t0 = now_s();
		scan_range(j);
		double secs = now_s() - t0;
		if (j->rc)
			return -1;
		if (best < 0 || secs < best)
			best = secs;
	}
	return best;
}

/* Does this database stop scanning a block early (see the file comment)?
 * Returns 1 or 0, or -1 when a scan fails. */
static int stops_early(const hs_database_t *db, hs_scratch_t *scratch, const char *map, size_t len,
		       size_t block)
{
	size_t sample = line_end_after(map, len, 32u << 20);
	struct ceil_job j = {.base = map, .len = sample, .db = db, .scratch = scratch};

	j.block = block;
	double small = time_job(&j);
	j.block = 16 * block;
	double big = time_job(&j);
	if (small < 0 || big < 0)
		return -1;
	return big * 2 < small;
}

/* Parse a positive integer into *out. Returns 0 or -EINVAL. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* expr with "\n" added to every negated bracket ("[^ab]" -> "[^\nab]"), so
 * that no match crosses a line; malloc'd, or NULL. Brackets are read as
 * PCRE reads them: a ']' first (after '^') is literal, "\x" is an escape,
 * "[:name:]" a class. */
static char *exclude_newline(const char *expr)
{
	size_t n = strlen(expr), o = 0;
	char *out = malloc(3 * n + 1); /* each '[' adds at most two bytes */

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		if (expr[i] == '\\' && i + 1 < n) {
			out[o++] = expr[i++];
			out[o++] = expr[i++];
			continue;
		}
		if (expr[i] != '[') {
			out[o++] = expr[i++];
			continue;
		}
		out[o++] = expr[i++];
		bool neg = i < n && expr[i] == '^';
		if (neg)
			out[o++] = expr[i++];
		if (i < n && expr[i] == ']')
			out[o++] = expr[i++];
		if (neg) {
			out[o++] = '\\';
			out[o++] = 'n';
		}
		while (i < n && expr[i] != ']') {
			if (expr[i] == '\\' && i + 1 < n) {
				out[o++] = expr[i++];
				out[o++] = expr[i++];
			} else if (expr[i] == '[' && i + 1 < n && expr[i + 1] == ':') {
				const char *e = strstr(expr + i + 2, ":]");
				size_t stop = e ? (size_t)(e - expr) + 2 : n;
				while (i < stop)
					out[o++] = expr[i++];
			} else {
				out[o++] = expr[i++];
			}
		}
		if (i < n)
			out[o++] = expr[i++]; /* the closing ']' */
	}
	out[o] = '\0';
	return out;
}

/* The "lines" database (see the file comment): the config's rules as weir
 * compiles them, minus SINGLEMATCH and DOTALL, plus MULTILINE, negated
 * brackets without '\n'. Returns 0 and *out, or -EINVAL / -ENOMEM. */
static int compile_lines_db(const struct cfg *cfg, hs_database_t **out)
{
	char **exprs = calloc(cfg->nrules, sizeof(*exprs));
	unsigned *flags = calloc(cfg->nrules, sizeof(*flags));
	unsigned *ids = calloc(cfg->nrules, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	unsigned n = 0;
	int rc = -ENOMEM;

	*out = NULL;
	if (!exprs || !flags || !ids)
		goto out;
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct cfg_rule *r = &cfg->rules[i];
		if (!r->match) {
			fprintf(stderr,
				"hs_ceiling: rule '%s' has no match: (lines mode wants one)\n",
				r->name);
			rc = -EINVAL;
			goto out;
		}
		exprs[n] = exclude_newline(r->match);
		if (!exprs[n])
			goto out;
		flags[n] = HS_FLAG_MULTILINE | HS_FLAG_ALLOWEMPTY;
		if (r->flags & CFG_RULE_CASELESS)
			flags[n] |= HS_FLAG_CASELESS;
		if (r->flags & CFG_RULE_UTF8)
			flags[n] |= HS_FLAG_UTF8 | HS_FLAG_UCP;
		ids[n++] = (unsigned)i;
	}
	if (hs_compile_multi((const char *const *)exprs, flags, ids, n, HS_MODE_BLOCK, NULL, out,
			     &ce) != HS_SUCCESS) {
		fprintf(stderr, "hs_ceiling: cannot compile: %s\n", ce ? ce->message : "?");
		hs_free_compile_error(ce);
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
out:
	for (unsigned k = 0; exprs && k < n; k++)
		free(exprs[k]);
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL, *mode = "lines";
	uint64_t nthreads = 2, runs = 3, block = 1u << 20;
	struct cfg *cfg = NULL;
	struct pat_db *pdb = NULL;
	hs_database_t *own_db = NULL;
	hs_scratch_t *proto = NULL;
	struct ceil_job jobs[CEIL_MAX_THREADS];
	pthread_t tids[CEIL_MAX_THREADS];
	char *errs = NULL;
	char *map = MAP_FAILED;
	size_t len = 0;
	int fd = -1, opt, ret = 1;
	uint64_t t, *counts = NULL;
	bool per_line;

	memset(jobs, 0, sizeof(jobs));
	while ((opt = getopt(argc, argv, "c:t:n:b:m:h")) != -1) {
		switch (opt) {
		case 'c':
			cfg_path = optarg;
			break;
		case 't':
			if (parse_u64(optarg, &nthreads) < 0 || nthreads > CEIL_MAX_THREADS) {
				fprintf(stderr, "hs_ceiling: -t wants 1..%d\n", CEIL_MAX_THREADS);
				return 2;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &runs) < 0) {
				fprintf(stderr, "hs_ceiling: bad -n '%s'\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (parse_u64(optarg, &block) < 0 || block > (1u << 30)) {
				fprintf(stderr, "hs_ceiling: bad -b '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			mode = optarg;
			if (strcmp(mode, "weir") && strcmp(mode, "lines")) {
				fprintf(stderr, "hs_ceiling: -m wants weir or lines\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!cfg_path || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *corpus = argv[optind];

	int rc = cfg_load_file(cfg_path, &cfg, &errs);
	if (rc < 0) {
		fprintf(stderr, "%s", errs ? errs : "hs_ceiling: cannot load config\n");
		goto out;
	}
	rc = pat_db_compile(cfg, &pdb, &errs);
	if (rc < 0) {
		fprintf(stderr, "%s", errs ? errs : "hs_ceiling: cannot compile rules\n");
		goto out;
	}
	const hs_database_t *db = pat_db_hs(pdb);
	if (!cfg->nrules) {
		fprintf(stderr, "hs_ceiling: %s has no rules\n", cfg_path);
		goto out;
	}
	per_line = !strcmp(mode, "lines");
	if (per_line) {
		if (compile_lines_db(cfg, &own_db) < 0)
			goto out;
		db = own_db;
		counts = calloc(cfg->nrules, sizeof(*counts));
		if (!counts)
			goto nomem;
	}

	fd = open(corpus, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "hs_ceiling: %s: %s\n", corpus, strerror(errno));
		goto out;
	}
	len = (size_t)st.st_size;
	if (len == 0) {
		fprintf(stderr, "hs_ceiling: %s is empty\n", corpus);
		goto out;
	}
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "hs_ceiling: mmap %s: %s\n", corpus, strerror(errno));
		goto out;
	}
	/* Touch every page so no fault lands inside the timed part. */
	volatile unsigned char sink = 0;
	for (size_t off = 0; off < len; off += 4096)
		sink ^= (unsigned char)map[off];
	(void)sink;

	if (hs_alloc_scratch(db, &proto) != HS_SUCCESS) {
		fprintf(stderr, "hs_ceiling: hs_alloc_scratch failed\n");
		goto out;
	}
	size_t start = 0;
	for (t = 0; t < nthreads; t++) {
		size_t end =
		    t + 1 == nthreads ? len : line_end_after(map, len, len / nthreads * (t + 1));
		if (end < start)
			end = start;
		jobs[t].base = map + start;
		jobs[t].len = end - start;
		jobs[t].block = block;
		jobs[t].db = db;
		jobs[t].per_line = per_line;
		if (per_line) {
			jobs[t].counts = calloc(cfg->nrules, sizeof(*jobs[t].counts));
			jobs[t].last = calloc(cfg->nrules, sizeof(*jobs[t].last));
			if (!jobs[t].counts || !jobs[t].last)
				goto nomem;
		}
		if (hs_clone_scratch(proto, &jobs[t].scratch) != HS_SUCCESS) {
			fprintf(stderr, "hs_ceiling: hs_clone_scratch failed\n");
			goto out;
		}
		start = end;
	}

	int early = 0;
	if (!strcmp(mode, "weir")) {
		early = stops_early(db, jobs[0].scratch, map, len, block);
		if (early < 0) {
			fprintf(stderr, "hs_ceiling: hs_scan failed\n");
			goto out;
		}
	}

	double best = 0, best_cpu = 0, best_others = -1;
	uint64_t matches = 0, unordered = 0;
	for (uint64_t r = 0; r < runs; r++) {
		for (t = 0; per_line && t < nthreads; t++) {
			memset(jobs[t].counts, 0, cfg->nrules * sizeof(*jobs[t].counts));
			memset(jobs[t].last, 0, cfg->nrules * sizeof(*jobs[t].last));
		}
		double busy0 = machine_busy_s();
		double t0 = now_s();
		for (t = 0; t < nthreads; t++) {
			if (pthread_create(&tids[t], NULL, scan_range, &jobs[t])) {
				fprintf(stderr, "hs_ceiling: pthread_create failed\n");
				/* join those started, then fail */
				while (t-- > 0)
					pthread_join(tids[t], NULL);
				goto out;
			}
		}
		for (t = 0; t < nthreads; t++)
			pthread_join(tids[t], NULL);
		double secs = now_s() - t0;
		double busy1 = machine_busy_s(), cpu = 0;
		matches = 0;
		unordered = 0;
		for (t = 0; t < nthreads; t++) {
			if (jobs[t].rc) {
				fprintf(stderr, "hs_ceiling: hs_scan failed: %d\n", jobs[t].rc);
				goto out;
			}
			matches += jobs[t].matches;
			unordered += jobs[t].unordered;
			cpu += jobs[t].cpu_s;
		}
		if (r == 0 || secs < best) {
			best = secs;
			best_cpu = cpu;
			best_others = busy0 < 0 || busy1 < 0 ? -1 : busy1 - busy0 - cpu;
			if (best_others < 0 && busy0 >= 0)
				best_others = 0; /* /proc/stat counts in ticks */
		}
	}

	printf("{\"bytes\":%zu,\"seconds\":%.6f,\"mb_per_s\":%.1f,\"threads\":%" PRIu64
	       ",\"block\":%" PRIu64 ",\"mode\":\"%s\",\"matches\":%" PRIu64
	       ",\"early_stop\":%s,\"cpu_s\":%.3f,\"others_cpu_s\":%.3f",
	       len, best, (double)len / best / 1e6, nthreads, block, mode, matches,
	       early ? "true" : "false", best_cpu, best_others);
	if (per_line) {
		/* The last run's counts: every run scans the same bytes. */
		for (t = 0; t < nthreads; t++)
			for (size_t i = 0; i < cfg->nrules; i++)
				counts[i] += jobs[t].counts[i];
		printf(",\"unordered\":%" PRIu64 ",\"counts\":[", unordered);
		for (size_t i = 0; i < cfg->nrules; i++)
			printf("%s%" PRIu64, i ? "," : "", counts[i]);
		printf("]");
	}
	printf("}\n");
	ret = 0;
	goto out;
nomem:
	fprintf(stderr, "hs_ceiling: out of memory\n");
out:
	for (t = 0; t < CEIL_MAX_THREADS; t++) {
		hs_free_scratch(jobs[t].scratch);
		free(jobs[t].counts);
		free(jobs[t].last);
	}
	free(counts);
	hs_free_scratch(proto);
	if (map != MAP_FAILED)
		munmap(map, len);
	if (fd >= 0)
		close(fd);
	hs_free_database(own_db);
	pat_db_free(pdb);
	cfg_free(cfg);
	free(errs);
	return ret;
}
