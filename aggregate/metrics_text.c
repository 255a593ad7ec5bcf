/*
 * metrics_text.c - see metrics_text.h.
 *
 * /metrics follows the text exposition format 0.0.4: every family has one
 * HELP and one TYPE line and its samples right after them; label values
 * escape backslash, double quote and newline; HELP text escapes backslash
 * and newline. Counters end in _total. The value summaries are per window
 * (like every window number, they can go down: they describe the window,
 * not the time since start).
 *
 * Both bodies are built once per tick, from the snapshot under
 * construction (so rule and window numbers equal its JSON's), the
 * aggregator's core, and the pipeline's relaxed counters (each whole, not a
 * consistent cut: pipeline/stats.h). The throughput compares this tick's
 * snapshot with earlier ones (hist).
 */
#include "core/version.h"
#include "aggregate/metrics_text.h"

#include "aggregate/aggcore.h"
#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/snapshot.h"
#include "aggregate/sources_json.h"
#include "aggregate/tiers.h"
#include "config/config.h"
#include "core/json.h"
#include "pipeline/pipeline.h"
#include "core/strbuf.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* jemalloc's control interface, if jemalloc is linked (the Makefile links
 * it except in sanitizer builds, whose runtimes bring their own malloc):
 * weak, so it is NULL otherwise. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

static const double quantiles[SNAP_NQUANTILES] = {0.5, 0.9, 0.99, 0.999};
static const char *const quantile_labels[SNAP_NQUANTILES] = {"0.5", "0.9", "0.99", "0.999"};

#define RATE_BACK_MS 10000 /* the longer throughput: the last 10 s */

/* metrics_render's arguments, for the renderers below. */
struct metrics_in {
	struct pipeline *p;
	const struct cfg *rcfg;
	const struct agg_core *c;
	uint64_t checkpoints, checkpoint_errors;
};

void metrics_record_window(struct snapshot *s, uint32_t r, uint32_t w, const struct tiers_acc *acc,
			   bool value, bool distinct)
{
	struct snap_wextra *x = snap_wextra(s, r, w);

	if (!x)
		return;
	if (value) {
		x->vn = acc->vn;
		x->vsum = acc->vsum;
		x->have_q = acc->dds && acc->dds->count;
		for (size_t q = 0; x->have_q && q < SNAP_NQUANTILES; q++)
			x->q[q] = dds_quantile(acc->dds, quantiles[q]);
	}
	if (distinct && acc->hll) {
		x->distinct = (uint64_t)(hll_estimate(acc->hll) + 0.5);
		x->have_distinct = true;
	}
}

/* --- what the process and the allocator say --- */

struct proc_info {
	bool stat_ok;
	double cpu_s;	     /* user + system */
	uint64_t rss, vsize; /* bytes */
	double start_s;	     /* unix seconds; 0 if unknown */
	bool fds_ok;
	uint64_t open_fds, max_fds;
};

struct jemalloc_info {
	bool ok;
	uint64_t allocated, active, resident, mapped;
};

/* Read a small /proc file into buf (NUL-terminated). Its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)got < cap - 1 && (n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* The boot time (btime of /proc/stat), in unix seconds; 0 if unknown. */
static uint64_t boot_time(void)
{
	char line[512];
	uint64_t bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	/* A long line (intr) comes in pieces; none of them starts "btime ". */
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6)) {
			bt = strtoull(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return bt;
}

/* /proc/self/stat (proc(5)): utime 14, stime 15, starttime 22, vsize 23,
 * rss 24 (pages); the fields after the parenthesised command name. */
static void proc_read(struct proc_info *pi, uint64_t *btime)
{
	char buf[1024], *q, *end;
	uint64_t f[25] = {0};
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	struct dirent *de;
	DIR *d;

	memset(pi, 0, sizeof(*pi));
	if (read_small("/proc/self/stat", buf, sizeof(buf)) > 0 && (q = strrchr(buf, ')')) &&
	    q[1] == ' ' && q[2]) {
		q += 3; /* field 3, the state: one character */
		while (*q && *q != ' ')
			q++;
		for (int i = 4; i <= 24 && *q == ' '; i++) {
			f[i] = strtoull(q + 1, &end, 10);
			if (end == q + 1)
				break;
			q = end;
			pi->stat_ok = i == 24;
		}
	}
	if (pi->stat_ok && hz > 0) {
		if (!*btime)
			*btime = boot_time();
		pi->cpu_s = (double)(f[14] + f[15]) / (double)hz;
		pi->start_s = *btime ? (double)*btime + (double)f[22] / (double)hz : 0;
		pi->vsize = f[23];
		pi->rss = f[24] * (uint64_t)(page > 0 ? page : 4096);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && (d = opendir("/proc/self/fd"))) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				pi->open_fds++;
		closedir(d);
		if (pi->open_fds)
			pi->open_fds--; /* the directory's own */
		pi->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
		pi->fds_ok = true;
	}
}

static void jemalloc_read(struct jemalloc_info *ji)
{
	static const char *const names[] = {"stats.allocated", "stats.active", "stats.resident",
					    "stats.mapped"};
	uint64_t *out[] = {&ji->allocated, &ji->active, &ji->resident, &ji->mapped};
	uint64_t epoch = 1;
	size_t v, len = sizeof(epoch);

	memset(ji, 0, sizeof(*ji));
	if (!mallctl)
		return;
	/* The stats are cached until the epoch advances. */
	if (mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch)))
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		len = sizeof(v);
		if (mallctl(names[i], &v, &len, NULL, 0))
			return;
		*out[i] = v;
	}
	ji->ok = true;
}

/* --- the text format --- */

/* A label value: backslash, double quote and newline escaped. */
static void put_label_value(struct strbuf *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			strbuf_puts(sb, "\\\\");
		else if (*v == '"')
			strbuf_puts(sb, "\\\"");
		else if (*v == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_putc(sb, *v);
	}
}

/* # HELP and # TYPE of a family (help escapes backslash and newline). */
static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_puts(sb, "# HELP ");
	strbuf_puts(sb, name);
	strbuf_putc(sb, ' ');
	for (; *help; help++) {
		if (*help == '\\')
			strbuf_puts(sb, "\\\\");
		else if (*help == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_putc(sb, *help);
	}
	strbuf_puts(sb, "\n# TYPE ");
	strbuf_puts(sb, name);
	strbuf_putc(sb, ' ');
	strbuf_puts(sb, type);
	strbuf_putc(sb, '\n');
}

/* name{k="v",...} with labels as NULL-terminated key, value pairs (NULL:
 * none), then a space. */
static void sample_head(struct strbuf *sb, const char *name, const char *const *labels)
{
	strbuf_puts(sb, name);
	if (labels && labels[0]) {
		strbuf_putc(sb, '{');
		for (size_t i = 0; labels[i]; i += 2) {
			if (i)
				strbuf_putc(sb, ',');
			strbuf_puts(sb, labels[i]);
			strbuf_puts(sb, "=\"");
			put_label_value(sb, labels[i + 1]);
			strbuf_putc(sb, '"');
		}
		strbuf_putc(sb, '}');
	}
	strbuf_putc(sb, ' ');
}

static void sample_u64(struct strbuf *sb, const char *name, const char *const *labels, uint64_t v)
{
	sample_head(sb, name, labels);
	strbuf_printf(sb, "%" PRIu64 "\n", v);
}

/* A float as Go's ParseFloat reads it: NaN, +Inf, -Inf, or the fewest of
 * 15 or 17 digits that read back as v. */
static void sample_f(struct strbuf *sb, const char *name, const char *const *labels, double v)
{
	char b[40];

	sample_head(sb, name, labels);
	if (isnan(v)) {
		strbuf_puts(sb, "NaN\n");
	} else if (isinf(v)) {
		strbuf_puts(sb, v > 0 ? "+Inf\n" : "-Inf\n");
	} else {
		snprintf(b, sizeof(b), "%.15g", v);
		if (strtod(b, NULL) != v)
			snprintf(b, sizeof(b), "%.17g", v);
		strbuf_puts(sb, b);
		strbuf_putc(sb, '\n');
	}
}

/* The per-rule counters, in this order (rule_counter picks them). */
static const struct {
	const char *name, *help;
} rule_counters[] = {
    {"weir_rule_matches_total", "Records the rule matched since start."},
    {"weir_rule_late_total", "Matches stamped behind the watermark (counted and placed)."},
    {"weir_rule_too_old_total",
     "Matches stamped older than the history holds (counted, not placed)."},
    {"weir_rule_future_total", "Matches stamped beyond max_future (counted, not placed)."},
};

static uint64_t rule_counter(const struct metrics_in *in, const struct snapshot *s, uint32_t r,
			     size_t k)
{
	const struct agg_rule *ar = &in->c->rules[r];

	return k == 0 ? s->totals[r] : k == 1 ? ar->late : k == 2 ? ar->too_old : ar->future;
}

static void render_rules(struct strbuf *sb, const struct metrics_in *in, const struct snapshot *s)
{
	const struct cfg *cfg = in->p->cfg;
	char win[CFG_MAX_WINDOWS][16];
	bool any_value = false, any_distinct = false;
	uint32_t r, w;

	for (w = 0; w < s->nwindows; w++)
		cfg_format_duration(cfg->windows[w], win[w], sizeof(win[w]));
	for (r = 0; r < s->nrules; r++) {
		any_value |= in->rcfg->rules[r].value != NULL;
		any_distinct |= in->rcfg->rules[r].distinct != NULL;
	}
	for (size_t k = 0; k < sizeof(rule_counters) / sizeof(rule_counters[0]); k++) {
		family(sb, rule_counters[k].name, "counter", rule_counters[k].help);
		for (r = 0; r < s->nrules; r++) {
			const char *l[] = {"rule", in->rcfg->rules[r].name, NULL};

			sample_u64(sb, rule_counters[k].name, l, rule_counter(in, s, r, k));
		}
	}
	family(sb, "weir_window_observed_seconds", "gauge",
	       "Seconds of the rolling window weir watched (a window's rate is its matches "
	       "over these).");
	for (w = 0; w < s->nwindows; w++) {
		const char *l[] = {"window", win[w], NULL};

		sample_u64(sb, "weir_window_observed_seconds", l, s->observed[w]);
	}
	family(sb, "weir_rule_window_matches", "gauge",
	       "Matches in the rolling window ending at this snapshot.");
	for (r = 0; r < s->nrules; r++)
		for (w = 0; w < s->nwindows; w++) {
			const char *l[] = {"rule", in->rcfg->rules[r].name, "window", win[w], NULL};

			sample_u64(sb, "weir_rule_window_matches", l,
				   s->windows[(size_t)w * s->nrules + r]);
		}
	if (any_value && s->wextra) {
		family(sb, "weir_rule_value", "summary",
		       "The rule's value: field over the rolling window (quantiles within 0.5%; "
		       "NaN when the window has no value or its tier keeps no sketch).");
		for (r = 0; r < s->nrules; r++) {
			if (!in->rcfg->rules[r].value)
				continue;
			for (w = 0; w < s->nwindows; w++) {
				const struct snap_wextra *x =
				    &s->wextra[(size_t)r * s->nwindows + w];
				const char *l[] = {
				    "rule", in->rcfg->rules[r].name, "window", win[w], NULL, NULL,
				    NULL};

				for (size_t q = 0; q < SNAP_NQUANTILES; q++) {
					l[4] = "quantile";
					l[5] = quantile_labels[q];
					sample_f(sb, "weir_rule_value", l,
						 x->have_q ? x->q[q] : NAN);
				}
				l[4] = NULL;
				sample_f(sb, "weir_rule_value_sum", l, x->vsum);
				sample_u64(sb, "weir_rule_value_count", l, x->vn);
			}
		}
	}
	if (any_distinct && s->wextra) {
		family(sb, "weir_rule_window_distinct", "gauge",
		       "Estimated distinct values of the rule's distinct: field in the rolling "
		       "window (HyperLogLog; windows beyond 24 h keep no sketch).");
		for (r = 0; r < s->nrules; r++) {
			if (!in->rcfg->rules[r].distinct)
				continue;
			for (w = 0; w < s->nwindows; w++) {
				const struct snap_wextra *x =
				    &s->wextra[(size_t)r * s->nwindows + w];
				const char *l[] = {"rule", in->rcfg->rules[r].name, "window",
						   win[w], NULL};

				if (x->have_distinct)
					sample_u64(sb, "weir_rule_window_distinct", l, x->distinct);
			}
		}
	}
}

/* The per-source families, in this order (source_value picks them). */
static const struct {
	const char *name, *type, *help;
} source_families[] = {
    {"weir_source_records_total", "counter", "Records read from the source and scanned."},
    {"weir_source_bytes_total", "counter", "Bytes read from the source."},
    {"weir_source_lines_truncated_total", "counter", "Records cut at max_line."},
    {"weir_source_parse_errors_total", "counter",
     "Records the source's format could not parse (still matched as raw text)."},
    {"weir_source_unmatched_total", "counter", "Records no rule counted."},
    {"weir_source_errors_total", "counter", "Failed opens and reads."},
    {"weir_source_files_open", "gauge", "Files being tailed now."},
};

static uint64_t source_value(struct pipeline *p, uint32_t i, const struct src_totals *t, size_t k)
{
	struct source_stats *st = &p->source_stats[i];

	switch (k) {
	case 0:
		return t->lines;
	case 1:
		return stat_get(&st->bytes);
	case 2:
		return t->cut_lines;
	case 3:
		return t->parse_errors;
	case 4:
		return t->unmatched;
	case 5:
		return stat_get(&st->errors);
	default:
		return stat_get(&st->files_open);
	}
}

static void render_ingest(struct strbuf *sb, const struct metrics_in *in, const struct snapshot *s,
			  const struct src_totals *tot)
{
	struct pipeline *p = in->p;
	char wk[16];
	uint32_t i, w;

	family(sb, "weir_records_total", "counter", "Records in the aggregates since start.");
	sample_u64(sb, "weir_records_total", NULL, s->records);
	family(sb, "weir_bytes_total", "counter", "Bytes read from every source since start.");
	sample_u64(sb, "weir_bytes_total", NULL, s->bytes);
	for (size_t k = 0; k < sizeof(source_families) / sizeof(source_families[0]); k++) {
		family(sb, source_families[k].name, source_families[k].type,
		       source_families[k].help);
		for (i = 0; i < p->nsources; i++) {
			const char *l[] = {"source", p->sources[i].name, NULL};

			sample_u64(sb, source_families[k].name, l, source_value(p, i, &tot[i], k));
		}
	}
	family(sb, "weir_source_dropped_total", "counter",
	       "Syslog messages dropped: reason full (no batch room) or kernel (socket queue "
	       "full).");
	for (i = 0; i < p->nsources; i++) {
		const char *l[] = {"source", p->sources[i].name, "reason", "full", NULL};

		sample_u64(sb, "weir_source_dropped_total", l,
			   stat_get(&p->source_stats[i].dropped_full));
		l[3] = "kernel";
		sample_u64(sb, "weir_source_dropped_total", l,
			   stat_get(&p->source_stats[i].dropped_kernel));
	}
	family(sb, "weir_ingest_backpressure_total", "counter",
	       "Times a full worker ring or an empty batch pool paused reading.");
	sample_u64(sb, "weir_ingest_backpressure_total", NULL,
		   stat_get(&p->ingest_stats.backpressure));
	family(sb, "weir_files_refused_total", "counter", "Files found beyond tuning.max_files.");
	sample_u64(sb, "weir_files_refused_total", NULL, stat_get(&p->ingest_stats.files_refused));
	family(sb, "weir_checkpoints_total", "counter", "Checkpoints written.");
	sample_u64(sb, "weir_checkpoints_total", NULL, in->checkpoints);
	family(sb, "weir_checkpoint_errors_total", "counter", "Checkpoints that failed.");
	sample_u64(sb, "weir_checkpoint_errors_total", NULL, in->checkpoint_errors);
	family(sb, "weir_ring_items", "gauge",
	       "Items waiting in a worker's ring: batch (ingest to worker) or pane (worker to "
	       "aggregator).");
	for (int k = 0; k < 2; k++)
		for (w = 0; w < p->nworkers; w++) {
			const char *l[] = {"ring", k ? "pane" : "batch", "worker", wk, NULL};

			snprintf(wk, sizeof(wk), "%" PRIu32, w);
			sample_u64(sb, "weir_ring_items", l,
				   ring_count(k ? &p->pane_rings[w] : &p->batch_rings[w]));
		}
	family(sb, "weir_ring_capacity", "gauge", "Slots of a worker's ring.");
	for (int k = 0; k < 2; k++)
		for (w = 0; w < p->nworkers; w++) {
			const char *l[] = {"ring", k ? "pane" : "batch", "worker", wk, NULL};

			snprintf(wk, sizeof(wk), "%" PRIu32, w);
			sample_u64(sb, "weir_ring_capacity", l,
				   ring_capacity(k ? &p->pane_rings[w] : &p->batch_rings[w]));
		}
	family(sb, "weir_aggregate_bytes", "gauge",
	       "Heap held by the pane history and its sketches (refreshed every 10 ticks).");
	sample_u64(sb, "weir_aggregate_bytes", NULL, s->aggregate_bytes);
	family(sb, "weir_sketch_oom_total", "counter",
	       "Observations a pane sketch had no memory for.");
	sample_u64(sb, "weir_sketch_oom_total", NULL, in->c->sketch_oom);
	family(sb, "weir_rules", "gauge", "Rules configured.");
	sample_u64(sb, "weir_rules", NULL, s->nrules);
	family(sb, "weir_workers", "gauge", "Worker threads.");
	sample_u64(sb, "weir_workers", NULL, p->nworkers);
}

static void render_process(struct strbuf *sb, const struct metrics_in *in, const struct snapshot *s,
			   const struct proc_info *pi, const struct jemalloc_info *ji)
{
	if (pi->stat_ok) {
		family(sb, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		sample_f(sb, "process_cpu_seconds_total", NULL, pi->cpu_s);
		family(sb, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		sample_u64(sb, "process_resident_memory_bytes", NULL, pi->rss);
		family(sb, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		sample_u64(sb, "process_virtual_memory_bytes", NULL, pi->vsize);
		if (pi->start_s > 0) {
			family(sb, "process_start_time_seconds", "gauge",
			       "Start time of the process since unix epoch in seconds.");
			sample_f(sb, "process_start_time_seconds", NULL, pi->start_s);
		}
	}
	if (pi->fds_ok) {
		family(sb, "process_open_fds", "gauge", "Number of open file descriptors.");
		sample_u64(sb, "process_open_fds", NULL, pi->open_fds);
		family(sb, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		sample_u64(sb, "process_max_fds", NULL, pi->max_fds);
	}
	if (ji->ok) {
		const char *l[] = {"stat", "allocated", NULL};

		family(sb, "weir_jemalloc_bytes", "gauge",
		       "jemalloc's statistics: allocated, active, resident and mapped bytes.");
		sample_u64(sb, "weir_jemalloc_bytes", l, ji->allocated);
		l[1] = "active";
		sample_u64(sb, "weir_jemalloc_bytes", l, ji->active);
		l[1] = "resident";
		sample_u64(sb, "weir_jemalloc_bytes", l, ji->resident);
		l[1] = "mapped";
		sample_u64(sb, "weir_jemalloc_bytes", l, ji->mapped);
	}
	{
		const char *l[] = {"version", WEIR_VERSION, NULL};

		family(sb, "weir_build_info", "gauge", "Always 1; the version weir was built as.");
		sample_u64(sb, "weir_build_info", l, 1);
	}
	family(sb, "weir_uptime_seconds", "gauge", "Seconds since weir started.");
	sample_f(sb, "weir_uptime_seconds", NULL, (double)(s->time_ms - in->p->start_ms) / 1000.0);
}

/* --- /api/v1/stats --- */

/* The newest sample at least back ms older than ms (back 1: the previous
 * tick), else the oldest; NULL if there is none. */
static const struct metrics_sample *hist_base(const struct metrics_hist *h, int64_t ms,
					      int64_t back)
{
	const struct metrics_sample *oldest = NULL;

	for (uint32_t k = 1; k <= h->n; k++) {
		const struct metrics_sample *e = &h->h[(h->next + METRICS_HIST - k) % METRICS_HIST];

		if (e->ms <= ms - back)
			return e;
		oldest = e;
	}
	return oldest && oldest->ms < ms ? oldest : NULL;
}

static void put_rate(struct strbuf *sb, const char *key, const struct metrics_hist *h,
		     const struct snapshot *s, int64_t back)
{
	const struct metrics_sample *b = hist_base(h, s->time_ms, back);
	double span = b ? (double)(s->time_ms - b->ms) / 1000.0 : 0;
	double rec = 0, bytes = 0;

	if (b && span > 0) {
		rec = s->records > b->records ? (double)(s->records - b->records) / span : 0;
		bytes = s->bytes > b->bytes ? (double)(s->bytes - b->bytes) / span : 0;
	}
	strbuf_putc(sb, ',');
	json_key(sb, key);
	strbuf_puts(sb, "{\"span_s\":");
	json_double(sb, span);
	strbuf_puts(sb, ",\"records_per_s\":");
	json_double(sb, rec);
	strbuf_puts(sb, ",\"bytes_per_s\":");
	json_double(sb, bytes);
	strbuf_putc(sb, '}');
}

static void render_stats(struct strbuf *sb, const struct metrics_hist *h,
			 const struct metrics_in *in, const struct snapshot *s,
			 const struct proc_info *pi, const struct jemalloc_info *ji)
{
	struct pipeline *p = in->p;
	uint64_t full = 0, kernel = 0;
	uint32_t i, w;

	for (i = 0; i < p->nsources; i++) {
		full += stat_get(&p->source_stats[i].dropped_full);
		kernel += stat_get(&p->source_stats[i].dropped_kernel);
	}
	snap_json_open(sb, s, false);
	strbuf_puts(sb, ",\"version\":");
	json_cstr(sb, WEIR_VERSION);
	strbuf_puts(sb, ",\"start_time\":");
	json_time_ms(sb, p->start_ms);
	strbuf_puts(sb, ",\"start_time_ms\":");
	json_i64(sb, p->start_ms);
	strbuf_puts(sb, ",\"uptime_s\":");
	json_seconds_ms(sb, s->time_ms - p->start_ms);
	put_u64_field(sb, "workers", p->nworkers);
	put_u64_field(sb, "rules", s->nrules);
	put_u64_field(sb, "sources", p->nsources);
	put_u64_field(sb, "records", s->records);
	put_u64_field(sb, "bytes", s->bytes);
	strbuf_puts(sb, ",\"throughput\":{\"tick_ms\":");
	json_u64(sb, p->cfg->tick_ms);
	put_rate(sb, "tick", h, s, 1);
	put_rate(sb, "10s", h, s, RATE_BACK_MS);
	strbuf_puts(sb, "},\"rings\":{");
	for (int k = 0; k < 2; k++) {
		strbuf_puts(sb, k ? "],\"pane\":[" : "\"batch\":[");
		for (w = 0; w < p->nworkers; w++) {
			struct ring *rg = k ? &p->pane_rings[w] : &p->batch_rings[w];

			strbuf_puts(sb, w ? ",{\"worker\":" : "{\"worker\":");
			json_u64(sb, w);
			put_u64_field(sb, "items", ring_count(rg));
			put_u64_field(sb, "capacity", ring_capacity(rg));
			strbuf_putc(sb, '}');
		}
	}
	strbuf_puts(sb, "]}");
	put_u64_field(sb, "batches", p->nbatches);
	put_u64_field(sb, "backpressure", stat_get(&p->ingest_stats.backpressure));
	strbuf_puts(sb, ",\"drops\":{\"dropped_full\":");
	json_u64(sb, full);
	put_u64_field(sb, "dropped_kernel", kernel);
	put_u64_field(sb, "too_old", in->c->too_old);
	put_u64_field(sb, "future", in->c->future);
	put_u64_field(sb, "files_refused", stat_get(&p->ingest_stats.files_refused));
	put_u64_field(sb, "sketch_oom", in->c->sketch_oom);
	strbuf_putc(sb, '}');
	put_u64_field(sb, "pcre2_interpreted_rules", in->c->pcre2_interpreted);
	put_u64_field(sb, "lines_truncated", s->lines_truncated);
	put_u64_field(sb, "parse_errors", s->parse_errors);
	put_u64_field(sb, "unmatched", s->unmatched);
	strbuf_puts(sb, ",\"checkpoints\":{\"written\":");
	json_u64(sb, in->checkpoints);
	put_u64_field(sb, "errors", in->checkpoint_errors);
	strbuf_puts(sb, "},\"memory\":{\"allocator\":");
	json_cstr(sb, ji->ok ? "jemalloc" : "libc");
	strbuf_puts(sb, ",\"jemalloc\":");
	if (ji->ok) {
		strbuf_puts(sb, "{\"allocated\":");
		json_u64(sb, ji->allocated);
		put_u64_field(sb, "active", ji->active);
		put_u64_field(sb, "resident", ji->resident);
		put_u64_field(sb, "mapped", ji->mapped);
		strbuf_putc(sb, '}');
	} else {
		strbuf_puts(sb, "null");
	}
	strbuf_puts(sb, ",\"rss_bytes\":");
	if (pi->stat_ok)
		json_u64(sb, pi->rss);
	else
		strbuf_puts(sb, "null");
	put_u64_field(sb, "aggregate_bytes", s->aggregate_bytes);
	strbuf_puts(sb, "}}\n");
}

static void hist_add(struct metrics_hist *h, const struct snapshot *s)
{
	h->h[h->next] = (struct metrics_sample){s->time_ms, s->records, s->bytes};
	h->next = (h->next + 1) % METRICS_HIST;
	if (h->n < METRICS_HIST)
		h->n++;
}

void metrics_render(struct metrics_hist *hist, struct pipeline *p, const struct cfg *rcfg,
		    const struct agg_core *c, uint64_t checkpoints, uint64_t checkpoint_errors,
		    struct snapshot *s)
{
	const struct metrics_in m = {p, rcfg, c, checkpoints, checkpoint_errors}, *in = &m;
	struct strbuf sb = {0};
	size_t len;
	struct src_totals *tot;
	struct proc_info pi;
	struct jemalloc_info ji;

	if (p->scan)
		return;
	tot = calloc(p->nsources ? p->nsources : 1, sizeof(*tot));
	if (!tot)
		return;
	for (uint32_t i = 0; i < p->nsources; i++)
		tot[i] = source_totals(p, i);
	proc_read(&pi, &hist->boot_s);
	jemalloc_read(&ji);

	render_rules(&sb, in, s);
	render_ingest(&sb, in, s, tot);
	render_process(&sb, in, s, &pi, &ji);
	free(tot);
	len = sb.len;
	s->metrics = strbuf_take(&sb);
	s->metrics_len = s->metrics ? len : 0;

	render_stats(&sb, hist, in, s, &pi, &ji);
	len = sb.len;
	s->stats_json = strbuf_take(&sb);
	s->stats_len = s->stats_json ? len : 0;
	hist_add(hist, s);
}
