/*
 * agg_bench.c - what the aggregator costs per matched record, and per tick,
 * for a rule that only counts and for rules with value: (quantiles), top:
 * (top-K) and distinct: fields; and how much memory their history holds.
 *
 *   agg_bench [-n RECORDS] [-r RATE] [-d DISTINCT] [-f FILL] [-R RUNS] [-s SEED]
 *   agg_bench -x RESULT -- COMMAND [ARG...]
 *
 * 1. Per record. RECORDS (5,000,000) records matched by one rule arrive at
 *    RATE (100,000) a second, the clock advancing with them, and go through
 *    what the pipeline does with them: the worker counts each in its pane
 *    (counts[rule]++) and writes its observations into the pane's obs buffer
 *    (pane_obs_put, as aggregate/worker.c's on_obs), shipping the pane when
 *    the second changes or the buffer is full; the aggregator then takes
 *    the pane with agg_core_take() (aggregate/take.c, what the aggregator
 *    thread calls for every pane): per record, the since-start sketches
 *    (dds_add, topk_add, hll_add_hash) and the pane sketches of tiers 0 and
 *    1 (tiers_add_value/top/distinct). Both sides are timed apart (this
 *    thread's CPU time), best of RUNS (3) runs from a fresh agg_core. Keys
 *    are 1,000 keys drawn Zipf(1), or all distinct. After the best run:
 *    tiers_bytes(), what the snapshot shows as ingest.aggregate_bytes.
 * 2. Top-K memory: a top: rule (top_k 10) fed DISTINCT (10,000,000)
 *    distinct keys the same way: tiers_bytes() and the since-start table.
 * 3. Per tick. Every pane of tiers 0 and 1 is filled (900 one-second panes,
 *    1,440 one-minute panes; FILL (10,000) records in each, keys as above,
 *    so every sketch is as big as steady traffic makes it), then one
 *    snapshot's work for the rule is timed: tiers_window_extras() over the
 *    config's default windows (10s, 1m, 5m) and over 10s, 1m, 5m, 15m, 1h,
 *    24h (2,340 panes merged), reading each window's answer as the
 *    snapshot does (4 quantiles, the estimate, the sorted top list). This is
 *    paid every tick for every rule with fields. Best of 5. Beside it,
 *    tiers_window_counts() for 1 and 1,000 counting rules.
 *
 * Inputs (key numbers, values) are generated before the clock starts; a
 * key's bytes are written when used, as a worker has them in the record it
 * just parsed. Prints a table; exit 0 (1: out of memory, 2: usage). Run by
 * tests/bench/agg.py (make bench).
 *
 * -x: run COMMAND (stdin and stdout passed on) and write its peak RSS to
 * RESULT as one JSON line {"rc", "maxrss", "seconds", "cpu_s"}: rc its exit
 * status (-N: killed by signal N), maxrss bytes (wait4's ru_maxrss), wall and
 * CPU seconds. agg.py measures memory this way because a child forked by
 * Python starts with Python's resident pages, and Linux counts those in the
 * child's ru_maxrss (exec keeps the high-water mark of the image it
 * replaces); forked from this small process, the floor is about 2 MiB. The
 * command dies with this process (PR_SET_PDEATHSIG).
 */
#include "aggregate/aggcore.h"
#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/pane.h"
#include "aggregate/tiers.h"
#include "aggregate/topk.h"
#include "config/config.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NAME "agg_bench"
#include "tests/bench/benchutil.h"

#define T0 1795241521LL /* 2026-11-21T06:12:01Z, as gen */
#define ZIPF_KEYS 1000
#define KEY_W 40
#define MERGE_RUNS 5

/* ---- inputs ---- */

/* As sketch_bench: 8 hex digits of a permutation of the key's number (a
 * bijection of 32-bit numbers, so distinct numbers give distinct keys),
 * then one of four paths: 8..29 bytes. */
static const char *const tails[] = {"", "/a", "/api/v1/items", "/static/js/app.min.js"};
static uint8_t tail_len[4];

static uint32_t key_fmt(uint32_t id, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t x = id * 0x9e3779b1u;

	for (int i = 7; i >= 0; i--, x >>= 4)
		out[i] = hex[x & 15];
	memcpy(out + 8, tails[id % 4], tail_len[id % 4]);
	return 8 + (uint32_t)tail_len[id % 4];
}

static uint64_t n_inputs;
static uint32_t *zipf; /* [n_inputs] key numbers, Zipf(1) over ZIPF_KEYS */
static double *vals;   /* [n_inputs] request times in seconds: lognormal, median 50 ms */

static void inputs(uint64_t n)
{
	double cdf[ZIPF_KEYS], sum = 0;
	uint64_t i;

	for (i = 0; i < 4; i++)
		tail_len[i] = (uint8_t)strlen(tails[i]);
	for (i = 0; i < ZIPF_KEYS; i++) {
		sum += 1.0 / (double)(i + 1);
		cdf[i] = sum;
	}
	n_inputs = n;
	zipf = xmalloc(n * sizeof(*zipf));
	vals = xmalloc(n * sizeof(*vals));
	for (i = 0; i < n; i++) {
		double u = unif() * sum;
		uint32_t lo = 0, hi = ZIPF_KEYS - 1;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		zipf[i] = lo;
		vals[i] = 0.05 * exp(1.5 * sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()));
	}
}

/* ---- the rules ---- */

struct kind {
	const char *name;
	const char *yaml; /* the rule's keys beyond name and match */
	bool value, top, distinct;
};

static const struct kind kinds[] = {
    {"count only", "", false, false, false},
    {"value: (quantiles)", "    value: rt\n    unit: s\n", true, false, false},
    {"top: (top_k 10)", "    top: key\n    top_k: 10\n", false, true, false},
    {"distinct:", "    distinct: key\n", false, false, true},
    {"value+top+distinct",
     "    value: rt\n    unit: s\n    top: key\n    top_k: 10\n"
     "    distinct: key\n",
     true, true, true},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define K_COUNT 0
#define K_TOP 2

static struct cfg *load(const char *text)
{
	struct cfg *cfg;
	char *errs = NULL;

	if (cfg_load_string("agg_bench", text, strlen(text), &cfg, &errs)) {
		fprintf(stderr, "agg_bench: config:\n%s", errs ? errs : "(no message)\n");
		exit(2);
	}
	free(errs);
	return cfg;
}

/* One rule of kind k (nrules == 1), or nrules counting rules; the windows
 * of the snapshot's widest use. */
static struct cfg *rule_cfg(const struct kind *k, uint32_t nrules)
{
	size_t cap = 512 + (size_t)nrules * 64, len;
	char *t = xmalloc(cap);
	struct cfg *cfg;

	len = (size_t)snprintf(t, cap,
			       "windows: [10s, 1m, 5m, 15m, 1h, 24h]\n"
			       "sources:\n"
			       "  - {name: app, type: file, path: /dev/null, format: logfmt}\n"
			       "rules:\n");
	if (nrules == 1)
		len += (size_t)snprintf(t + len, cap - len, "  - name: r\n    match: 'x'\n%s",
					k->yaml);
	else
		for (uint32_t r = 0; r < nrules; r++)
			len += (size_t)snprintf(t + len, cap - len,
						"  - {name: r%u, match: 'x%u'}\n", r, r);
	cfg = load(t);
	free(t);
	return cfg;
}

/* ---- per record ---- */

struct pipe_run {
	double worker_ns, agg_ns;
	uint64_t panes, oom;
	size_t tiers_bytes, since_bytes; /* history; since-start sketches */
	uint64_t top_total;
};

static struct pane *pane_new(uint32_t nrules)
{
	struct pane *pn = xmalloc(sizeof(*pn) + nrules * sizeof(pn->counts[0]));

	memset(pn, 0, sizeof(*pn) + nrules * sizeof(pn->counts[0]));
	pn->nrules = nrules;
	pn->obs = xmalloc(PANE_OBS_CAP);
	return pn;
}

/* Ship pn to the aggregator (agg_core_take, timed apart) and empty it for
 * second sec. */
static void ship(struct agg_core *c, struct pane *pn, int64_t sec, int64_t now, double *t,
		 struct pipe_run *pr)
{
	double t1 = now_ns();

	pr->worker_ns += t1 - *t;
	agg_core_take(c, pn, now);
	*t = now_ns();
	pr->agg_ns += *t - t1;
	pr->panes++;
	memset(pn->counts, 0, pn->nrules * sizeof(pn->counts[0]));
	pn->records = 0;
	pn->obs_len = 0;
	pn->sec = sec;
}

/* An observation into pn, shipping it first when full (on_obs). */
static inline void obs(struct agg_core *c, struct pane *pn, enum pat_obs kind, const char *key,
		       uint32_t len, double v, int64_t sec, double *t, struct pipe_run *pr)
{
	struct pane_obs o = {0, (uint16_t)kind, (uint16_t)len, 0, 0, v};

	if (!pane_obs_put(pn, &o, key))
		return;
	ship(c, pn, sec, sec, t, pr);
	pane_obs_put(pn, &o, key);
}

/* n records of rule 0 of kind k, rate a second from T0; ids: key numbers
 * (NULL: record i has key i, all distinct). */
static struct pipe_run run_pipe(const struct kind *k, const uint32_t *ids, uint64_t n,
				uint32_t rate)
{
	struct cfg *cfg = rule_cfg(k, 1);
	struct agg_core c;
	struct pipe_run pr = {0};
	struct pane *pn = pane_new(1);
	char key[KEY_W];
	int64_t sec = T0;
	uint64_t i = 0;
	double t;

	if (agg_core_init(&c, cfg, cfg)) {
		fputs("agg_bench: out of memory\n", stderr);
		exit(1);
	}
	pn->sec = sec;
	t = now_ns();
	while (i < n) {
		uint64_t end = i + rate < n ? i + rate : n;

		if (pn->sec != sec)
			ship(&c, pn, sec, sec, &t, &pr);
		for (; i < end; i++) {
			uint32_t len = 0;

			pn->counts[0]++;
			pn->records++;
			if (k->value)
				obs(&c, pn, PAT_OBS_VALUE, "", 0, vals[i], sec, &t, &pr);
			if (k->top || k->distinct)
				len = key_fmt(ids ? ids[i] : (uint32_t)i, key);
			if (k->top)
				obs(&c, pn, PAT_OBS_TOP, key, len, 0, sec, &t, &pr);
			if (k->distinct)
				obs(&c, pn, PAT_OBS_DISTINCT, key, len, 0, sec, &t, &pr);
		}
		sec++;
	}
	ship(&c, pn, sec, sec, &t, &pr); /* the last pane, a second later */
	pr.worker_ns += now_ns() - t;
	pr.oom = c.sketch_oom;
	pr.tiers_bytes = tiers_bytes(&c.tiers);
	if (c.rules[0].dds)
		pr.since_bytes += sizeof(struct dds);
	if (c.rules[0].hll)
		pr.since_bytes += sizeof(struct hll);
	if (c.rules[0].top) {
		pr.since_bytes += sizeof(struct topk) + topk_bytes(c.rules[0].top);
		pr.top_total = c.rules[0].top->total;
	}
	if (c.rules[0].total != n || c.records != n) {
		fprintf(stderr, "agg_bench: %s: counted %llu of %llu records\n", k->name,
			(unsigned long long)c.rules[0].total, (unsigned long long)n);
		exit(1);
	}
	agg_core_destroy(&c);
	cfg_free(cfg);
	free(pn->obs);
	free(pn);
	return pr;
}

static void mib(char *buf, size_t cap, size_t b)
{
	if (b >= 10u << 20)
		snprintf(buf, cap, "%.0f MiB", (double)b / (1 << 20));
	else
		snprintf(buf, cap, "%.2f MiB", (double)b / (1 << 20));
}

static void bench_records(uint64_t n, uint32_t rate, int runs)
{
	printf("Per matched record: %llu records of one rule at %u/s (%llu s of panes), the "
	       "clock advancing;\nthis thread's CPU time, best of %d; worker = counting and "
	       "writing observations into\npanes (with writing the key), aggregator = "
	       "agg_core_take.\n",
	       (unsigned long long)n, rate, (unsigned long long)((n + rate - 1) / rate), runs);
	printf("  %-20s %-14s %9s %11s %9s %12s %10s\n", "rule", "keys", "worker", "aggregator",
	       "total", "tiers_bytes", "since");

	for (size_t ki = 0; ki < NKINDS; ki++) {
		const struct kind *k = &kinds[ki];

		for (int distinct_keys = 0; distinct_keys < 2; distinct_keys++) {
			struct pipe_run best = {0};
			char tb[32], sb[32];
			double tot;

			if (distinct_keys && !k->top && !k->distinct)
				continue;
			for (int r = 0; r < runs; r++) {
				struct pipe_run pr =
				    run_pipe(k, distinct_keys ? NULL : zipf, n, rate);

				if (!r || pr.worker_ns + pr.agg_ns < best.worker_ns + best.agg_ns)
					best = pr;
			}
			tot = (best.worker_ns + best.agg_ns) / (double)n;
			mib(tb, sizeof(tb), best.tiers_bytes);
			mib(sb, sizeof(sb), best.since_bytes);
			printf("  %-20s %-14s %9.1f %11.1f %9.1f %12s %10s%s\n", k->name,
			       !k->top && !k->distinct ? "-"
			       : distinct_keys	       ? "all distinct"
						       : "1,000 Zipf(1)",
			       best.worker_ns / (double)n, best.agg_ns / (double)n, tot, tb, sb,
			       best.oom ? "  SKETCH OOM" : "");
		}
	}
	printf("  ns per record; tiers_bytes = the history after the run\n  "
	       "(ingest.aggregate_bytes; %llu s of 1-s panes), since = "
	       "the since-start sketches.\n",
	       (unsigned long long)((n + rate - 1) / rate));
}

/* ---- top-K memory ---- */

static void bench_topk_memory(uint64_t n, uint32_t rate)
{
	struct pipe_run pr = run_pipe(&kinds[K_TOP], NULL, n, rate);
	char tb[32], sb[32];

	mib(tb, sizeof(tb), pr.tiers_bytes);
	mib(sb, sizeof(sb), pr.since_bytes);
	printf("\nTop-K memory: a top: rule (top_k 10, %u counters a table) fed %llu distinct "
	       "keys at %u/s:\n  tiers_bytes %s (%zu bytes), since-start table %s; top total "
	       "%llu; %.1f ns/record%s\n",
	       10 * 8, (unsigned long long)n, rate, tb, pr.tiers_bytes, sb,
	       (unsigned long long)pr.top_total, (pr.worker_ns + pr.agg_ns) / (double)n,
	       pr.oom ? "; SKETCH OOM" : "");
}

/* ---- per tick ---- */

struct read_ctx {
	uint32_t top_k;
	struct topk_entry *entries;
};

/* What rendering a window reads of its merged sketches. */
static void read_window(void *arg, uint32_t w, const struct tiers_acc *acc)
{
	static const double qs[] = {0.5, 0.9, 0.99, 0.999};
	struct read_ctx *x = arg;
	double s = (double)acc->vn + (double)w;

	if (acc->dds)
		for (size_t q = 0; q < 4; q++)
			s += dds_quantile(acc->dds, qs[q]);
	if (acc->hll)
		s += hll_estimate(acc->hll);
	if (acc->top)
		s += topk_sorted(acc->top, x->entries, x->top_k) + (double)topk_bound(acc->top);
	sink += (uint64_t)s;
}

/* Fill every pane of tiers 0 and 1 at time now: fill records in each
 * second tier 0 holds (the last 15 minutes), and in the first second of
 * each older minute of the last 24 hours (tiers 1 and 2 only). */
static void fill_panes(struct agg_core *c, const struct kind *k, bool distinct_keys, uint32_t fill,
		       int64_t now)
{
	int64_t edge = now - 900; /* tier 0 holds the seconds after it */
	uint64_t i = 0;
	char key[KEY_W];

	for (int64_t m = 1439; m >= -15; m--) {
		int64_t first = (now / 60 - m) * 60, last = first;

		if (m < 0) { /* then every second tier 0 holds */
			first = edge + 1 + (-1 - m) * 60;
			last = first + 59;
		} else if (first + 59 > edge) {
			continue;
		}
		for (int64_t s = first; s <= last; s++)
			for (uint32_t j = 0; j < fill; j++, i++) {
				uint32_t id = distinct_keys ? (uint32_t)i : zipf[i % n_inputs];
				uint32_t len = key_fmt(id, key);

				if (k->value)
					tiers_add_value(&c->tiers, s, now, 0, vals[i % n_inputs]);
				if (k->top)
					tiers_add_top(&c->tiers, s, now, 0, key, len);
				if (k->distinct)
					tiers_add_distinct(&c->tiers, s, now, 0,
							   hll_hash(key, len));
			}
	}
}

static double merge_ms(struct agg_core *c, struct tiers_scratch *sc, int64_t now,
		       const uint32_t *secs, size_t nwin, struct read_ctx *x)
{
	double best = 1e30;

	for (int r = 0; r < MERGE_RUNS; r++) {
		double t = now_ns();

		tiers_window_extras(&c->tiers, sc, now, secs, nwin, 0, read_window, x);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	return best / 1e6;
}

static void bench_tick(uint32_t fill)
{
	static const uint32_t all[] = {10, 60, 300, 900, 3600, 86400};
	struct read_ctx x = {10, xmalloc(1000 * sizeof(struct topk_entry))};
	int64_t now = T0 + 86400 * 2 + 37; /* not on a minute's edge */
	char tb[32];

	printf("\nPer tick: one snapshot's window merge for one rule, every pane of tiers 0 and "
	       "1 full\n(%u records in each 1-s pane and each older 1-min pane), reading each "
	       "window's answer;\nbest of %d, ms. default = windows 10s,1m,5m (300 1-s panes); "
	       "all six = 10s,1m,5m,15m,1h,24h\n(900 1-s + 1,440 1-min panes).\n",
	       fill, MERGE_RUNS);
	printf("  %-20s %-14s %10s %10s %14s\n", "rule", "keys", "default", "all six",
	       "tiers_bytes");
	for (size_t ki = 1; ki < NKINDS; ki++) {
		const struct kind *k = &kinds[ki];

		for (int distinct_keys = 0; distinct_keys < 2; distinct_keys++) {
			struct cfg *cfg;
			struct agg_core c;
			struct tiers_scratch sc;
			double d, a6;

			if (distinct_keys && !k->top && !k->distinct)
				continue;
			cfg = rule_cfg(k, 1);
			if (agg_core_init(&c, cfg, cfg) || tiers_scratch_init(&sc, &c.tiers)) {
				fputs("agg_bench: out of memory\n", stderr);
				exit(1);
			}
			fill_panes(&c, k, distinct_keys, fill, now);
			d = merge_ms(&c, &sc, now, all, 3, &x);
			a6 = merge_ms(&c, &sc, now, all, 6, &x);
			mib(tb, sizeof(tb), tiers_bytes(&c.tiers));
			printf("  %-20s %-14s %10.3f %10.3f %14s\n", k->name,
			       !k->top && !k->distinct ? "-"
			       : distinct_keys	       ? "all distinct"
						       : "1,000 Zipf(1)",
			       d, a6, tb);
			tiers_scratch_free(&sc);
			agg_core_destroy(&c);
			cfg_free(cfg);
		}
	}
	/* counting rules: every window of every rule at once */
	for (uint32_t nr = 1; nr <= 1000; nr *= 1000) {
		struct cfg *cfg = rule_cfg(&kinds[K_COUNT], nr);
		struct agg_core c;
		uint64_t *row = xmalloc(nr * sizeof(*row)), *out = xmalloc(6 * nr * sizeof(*out));
		double best[2] = {1e30, 1e30};

		if (agg_core_init(&c, cfg, cfg)) {
			fputs("agg_bench: out of memory\n", stderr);
			exit(1);
		}
		for (uint32_t r = 0; r < nr; r++)
			row[r] = r + 1;
		for (int64_t s = now - 86400 + 1; s <= now; s++)
			tiers_add_counts(&c.tiers, s, now, row);
		for (int w = 0; w < 2; w++)
			for (int r = 0; r < MERGE_RUNS; r++) {
				double t = now_ns();

				tiers_window_counts(&c.tiers, now, all, w ? 6 : 3, out);
				t = now_ns() - t;
				best[w] = t < best[w] ? t : best[w];
				sink += out[0];
			}
		mib(tb, sizeof(tb), tiers_bytes(&c.tiers));
		printf("  %-20s %-14s %10.3f %10.3f %14s\n", "count only",
		       nr == 1 ? "1 rule" : "1,000 rules", best[0] / 1e6, best[1] / 1e6, tb);
		agg_core_destroy(&c);
		cfg_free(cfg);
		free(row);
		free(out);
	}
	printf("  tiers_bytes: a rule's history with every pane full, what it holds in steady "
	       "state. count only:\n  tiers_window_counts, every rule's windows at once.\n");
	free(x.entries);
}

/* ---- -x: a command's peak RSS ---- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_measured(const char *result, char **argv)
{
	pid_t parent = getpid(), pid;
	struct rusage ru;
	double t0 = mono_s(), secs;
	int status, rc, nul;
	FILE *f;

	pid = fork();
	if (pid < 0) {
		perror("agg_bench: fork");
		return 2;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "agg_bench: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* only the command holds the pipes now: its readers see their ends */
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		close(nul);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("agg_bench: wait4");
			return 2;
		}
	secs = mono_s() - t0;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	f = fopen(result, "w");
	if (!f) {
		fprintf(stderr, "agg_bench: %s: %s\n", result, strerror(errno));
		return 2;
	}
	fprintf(f, "{\"rc\": %d, \"maxrss\": %lld, \"seconds\": %.6f, \"cpu_s\": %.6f}\n", rc,
		(long long)ru.ru_maxrss * 1024, secs,
		(double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return fclose(f) ? 2 : 0;
}

static void usage(void)
{
	fputs("usage: agg_bench [-n RECORDS] [-r RATE] [-d DISTINCT] [-f FILL] [-R RUNS] "
	      "[-s SEED]\n"
	      "       agg_bench -x RESULT -- COMMAND [ARG...]\n",
	      stderr);
	exit(2);
}

/* 5000000, 5e6, 500k, 10M */
static uint64_t num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M')
		v *= 1e6, end++;
	if (end == s || *end || !(v >= 1) || v > 4e9)
		usage();
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	uint64_t n = 5000000, distinct = 10000000;
	uint32_t rate = 100000, fill = 10000;
	int runs = 3, c;

	rng_s = 1;
	while ((c = getopt(argc, argv, "+n:r:d:f:R:s:x:")) != -1) {
		switch (c) {
		case 'x':
			if (optind < argc && !strcmp(argv[optind], "--"))
				optind++;
			if (optind >= argc)
				usage();
			return run_measured(optarg, argv + optind);
		case 'n':
			n = num(optarg);
			break;
		case 'r':
			rate = (uint32_t)num(optarg);
			break;
		case 'd':
			distinct = num(optarg);
			break;
		case 'f':
			fill = (uint32_t)num(optarg);
			break;
		case 'R':
			runs = (int)num(optarg);
			break;
		case 's':
			rng_s = num(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	inputs(n > fill ? n : fill);
	bench_records(n, rate, runs);
	bench_topk_memory(distinct, rate);
	bench_tick(fill);
	free(zipf);
	free(vals);
	return 0;
}
