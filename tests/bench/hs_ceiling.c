/*
 * hs_ceiling.c - the raw Hyperscan ceiling for a rule pack over a corpus:
 * how fast T threads can push the file's bytes through one database, with
 * nothing else (no reading, no framing, no per-line bookkeeping, no
 * aggregation). `weir scan` is compared against this number.
 *
 *   hs_ceiling -c CONFIG [-t THREADS] [-n RUNS] [-b BLOCK] [-m weir|lines] CORPUS
 *
 * The corpus is mmap'd (MAP_POPULATE, then every page touched) before the
 * clock starts; the clock (CLOCK_MONOTONIC) covers only the scanning. The
 * file is cut into T contiguous ranges, one per thread, and each thread
 * calls hs_scan() (block mode) on consecutive BLOCK-sized pieces (default
 * 1 MiB) of its range, with its own scratch (cloned: the database is
 * shared, a scratch never is). Ranges and blocks end just after a '\n' so
 * no line is split. The callback counts matches and returns 0. The best
 * of RUNS runs is reported as one JSON object on stdout.
 *
 * Two databases (-m):
 *   weir   (default) the database weir itself scans with: pat_db_compile()
 *          on the config, taken through pat_db_hs(). Its rules carry
 *          HS_FLAG_SINGLEMATCH (made for one record per scan), so on a
 *          1 MiB block each rule reports once. Hyperscan may stop a scan
 *          early once every rule has matched: seen with a 3-rule pack
 *          (tens of GB/s), not with rules50.yaml (1 MiB and 16 MiB blocks
 *          scan at the same rate). So before timing, the first 32 MiB are
 *          scanned single-threaded with BLOCK and 16 x BLOCK pieces: a scan
 *          that stops early costs the same per block, whatever its size, so
 *          the big pieces go much faster. Over 2x reports "early_stop":true
 *          and run.sh then holds weir to the next mode instead.
 *   lines  the same expressions and flags, but without SINGLEMATCH and
 *          with HS_FLAG_MULTILINE: every match in the block is reported
 *          and ^/$ hold at line boundaries - the least work an exact
 *          per-line counter built on one block scan must do.
 * Hyperscan calls stay here and in pattern/ only.
 */
#include "core/config.h"
#include "pattern/pattern.h"

#include <hs.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CEIL_MAX_THREADS 64

/* One thread's share. Owned by main(); the thread writes only matches/rc. */
struct ceil_job {
	const char *base; /* its range of the mapping */
	size_t len;
	size_t block;
	const hs_database_t *db;
	hs_scratch_t *scratch; /* this thread's own */
	uint64_t matches;      /* OUT */
	int rc;		       /* OUT: 0 or an hs_error_t */
};

static void usage(FILE *f)
{
	fputs("usage: hs_ceiling -c CONFIG [-t THREADS] [-n RUNS] [-b BLOCK_BYTES] "
	      "[-m weir|lines] CORPUS\n",
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

/* The offset just past the first '\n' at or after want (or len). */
static size_t line_end_after(const char *base, size_t len, size_t want)
{
	if (want >= len)
		return len;
	const char *nl = memchr(base + want, '\n', len - want);
	return nl ? (size_t)(nl - base) + 1 : len;
}

static void *scan_range(void *arg)
{
	struct ceil_job *j = arg;
	size_t pos = 0;

	j->matches = 0;
	j->rc = 0;
	while (pos < j->len) {
		size_t end = line_end_after(j->base, j->len, pos + j->block);
		hs_error_t err = hs_scan(j->db, j->base + pos, (unsigned)(end - pos), 0, j->scratch,
					 on_match, &j->matches);
		if (err != HS_SUCCESS) {
			j->rc = err;
			break;
		}
		pos = end;
	}
	return NULL;
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

/* The "lines" database: the config's rules as weir compiles them, minus
 * SINGLEMATCH, plus MULTILINE. Returns 0 and *out, or -EINVAL. */
static int compile_lines_db(const struct cfg *cfg, hs_database_t **out)
{
	const char **exprs = calloc(cfg->nrules, sizeof(*exprs));
	unsigned *flags = calloc(cfg->nrules, sizeof(*flags));
	unsigned *ids = calloc(cfg->nrules, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (!exprs || !flags || !ids)
		goto out;
	for (size_t i = 0; i < cfg->nrules; i++) {
		const struct cfg_rule *r = &cfg->rules[i];
		exprs[i] = r->match;
		flags[i] = HS_FLAG_MULTILINE | HS_FLAG_ALLOWEMPTY;
		if (r->flags & CFG_RULE_CASELESS)
			flags[i] |= HS_FLAG_CASELESS;
		if (r->flags & CFG_RULE_DOTALL)
			flags[i] |= HS_FLAG_DOTALL;
		if (r->flags & CFG_RULE_UTF8)
			flags[i] |= HS_FLAG_UTF8 | HS_FLAG_UCP;
		ids[i] = (unsigned)i;
	}
	if (hs_compile_multi(exprs, flags, ids, (unsigned)cfg->nrules, HS_MODE_BLOCK, NULL, out,
			     &ce) != HS_SUCCESS) {
		fprintf(stderr, "hs_ceiling: cannot compile: %s\n", ce ? ce->message : "?");
		hs_free_compile_error(ce);
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL, *mode = "weir";
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
	uint64_t t;

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
	if (!strcmp(mode, "lines")) {
		if (compile_lines_db(cfg, &own_db) < 0)
			goto out;
		db = own_db;
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

	double best = 0;
	uint64_t matches = 0;
	for (uint64_t r = 0; r < runs; r++) {
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
		matches = 0;
		for (t = 0; t < nthreads; t++) {
			if (jobs[t].rc) {
				fprintf(stderr, "hs_ceiling: hs_scan failed: %d\n", jobs[t].rc);
				goto out;
			}
			matches += jobs[t].matches;
		}
		if (r == 0 || secs < best)
			best = secs;
	}

	printf("{\"bytes\":%zu,\"seconds\":%.6f,\"mb_per_s\":%.1f,\"threads\":%" PRIu64
	       ",\"block\":%" PRIu64 ",\"mode\":\"%s\",\"matches\":%" PRIu64
	       ",\"early_stop\":%s}\n",
	       len, best, (double)len / best / 1e6, nthreads, block, mode, matches,
	       early ? "true" : "false");
	ret = 0;
out:
	for (t = 0; t < CEIL_MAX_THREADS; t++)
		hs_free_scratch(jobs[t].scratch);
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
