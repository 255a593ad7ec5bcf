/*
 * run.c - build, start, stop and reload the threads (see run.h).
 *
 * The shared tables (struct pipeline) are filled here before any thread
 * starts; each thread object is made from them; threads are named so
 * `top -H`, perf and gdb show who is who.
 */
#include "app/run.h"

#include "aggregate/aggregator.h"
#include "config/config.h"
#include "core/le.h"
#include "core/log.h"
#include "pipeline/state.h"
#include "core/clock.h"
#include "ingest/demo.h"
#include "ingest/ingest.h"
#include "pattern/pattern.h"
#include "aggregate/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCHES_PER_WORKER 8 /* ring depth: enough to keep a worker busy */
#define SPARE_BATCHES 24     /* for files reading or holding records at once */

static int add_source(struct pipeline *p, const char *name, char *const *patterns, size_t n,
		      bool at_end, bool follow)
{
	struct pipe_source *s = &p->sources[p->nsources];
	size_t i;

	s->name = strdup(name);
	s->patterns = calloc(n ? n : 1, sizeof(char *));
	if (!s->name || !s->patterns)
		return -ENOMEM;
	p->nsources++; /* from here on run_free frees what was set */
	for (i = 0; i < n; i++) {
		s->patterns[i] = strdup(patterns[i]);
		if (!s->patterns[i])
			return -ENOMEM;
		s->npatterns++;
	}
	s->start_at_end = at_end;
	s->follow = follow;
	return 0;
}

static int build_sources(struct run *r, const struct run_opts *o)
{
	struct pipeline *p = &r->p;
	size_t n = o->scan ? o->nfiles : p->cfg->nsources, i;
	int rc;

	p->sources = calloc(n ? n : 1, sizeof(*p->sources));
	p->source_stats = calloc(n ? n : 1, sizeof(*p->source_stats));
	if (!p->sources || !p->source_stats)
		return -ENOMEM;
	if (o->scan) {
		for (i = 0; i < o->nfiles; i++) {
			if ((rc = add_source(p, o->files[i], (char *const *)&o->files[i], 1, false,
					     false)))
				return rc;
			p->sources[i].format = o->scan_format;
			p->sources[i].time =
			    o->scan_time == CFG_TIME_EVENT ? CFG_TIME_EVENT : CFG_TIME_ARRIVAL;
			p->sources[i].zone = o->scan_zone;
		}
		return 0;
	}
	for (i = 0; i < p->cfg->nsources; i++) {
		const struct cfg_source *cs = &p->cfg->sources[i];
		struct pipe_source *ps;

		if (cs->type == CFG_SOURCE_DEMO) {
			const char *path;

			if (r->demo) {
				log_error("%s:%d:%d: only one demo source is supported",
					  cs->pos.file, cs->pos.line, cs->pos.col);
				return -EINVAL;
			}
			rc = demo_new(cs->rate, &r->demo, &path);
			if (rc)
				return rc;
			rc = add_source(p, cs->name, (char *const *)&path, 1,
					cs->start == CFG_START_END, true);
		} else if (cs->type == CFG_SOURCE_SYSLOG) {
			rc = add_source(p, cs->name, cs->listens, cs->nlistens, false, true);
			if (!rc) {
				ps = &p->sources[p->nsources - 1];
				ps->syslog = true;
				ps->first_listener = p->nlisteners;
				ps->max_connections = cs->max_connections;
				ps->idle_timeout_ms = cs->idle_timeout_s * 1000;
				p->nlisteners += ps->npatterns;
			}
		} else {
			rc = add_source(p, cs->name, cs->paths, cs->npaths,
					cs->start == CFG_START_END, true);
		}
		if (rc)
			return rc;
		ps = &p->sources[p->nsources - 1];
		ps->format = (uint8_t)cs->format;
		ps->flush_after_ms = cs->flush_after_s * 1000;
		ps->time = cs->time == CFG_TIME_EVENT ? CFG_TIME_EVENT : CFG_TIME_ARRIVAL;
		ps->zone = cs->zone;
		ps->excludes = cs->excludes;
		ps->nexcludes = (uint32_t)cs->nexcludes;
	}
	return 0;
}

/* Durable state: lock state_dir and read what the last run left there. */
/* A LEB128 varint (the aggregates' integers), 0 and r->bad past the end. */
static uint64_t get_varint(struct le_reader *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64 && !r->bad; shift += 7) {
		uint64_t b = le_read(r, 1);

		v |= (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

/* How many rules a saved state holds, for the log. Version 1 lists them;
 * later versions keep the aggregator's own block, whose head is read here
 * (aggregate/persist.c: "WAGG", u32 version, varint records, i64 max_sec,
 * varints late, too_old, future, then nrules). */
static uint32_t saved_rules(const struct state *st)
{
	const struct state_agg *a = &st->agg;
	struct le_reader r;
	uint64_t n = 0;

	if (!a->blob)
		return a->nrules;
	if (a->blob_len < 8 || memcmp(a->blob, "WAGG", 4))
		return 0;
	r = (struct le_reader){(const unsigned char *)a->blob + 8,
			       (const unsigned char *)a->blob + a->blob_len, false};
	get_varint(&r);
	le_read(&r, 8);
	for (int i = 0; i < 4; i++) /* late, too_old, future, nrules */
		n = get_varint(&r);
	return r.bad || n > UINT32_MAX ? 0 : (uint32_t)n;
}

static int open_state(struct pipeline *p)
{
	struct state *st;
	uint32_t retired = 0;
	char more[64] = "";
	int rc;

	rc = state_dir_open(p->cfg->state_dir);
	if (rc)
		return rc;
	p->durable = true;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	rc = state_load(p->cfg->state_dir, st);
	if (rc == -ENOENT) {
		free(st);
		log_info("state: no saved state in %s; starting fresh", p->cfg->state_dir);
		return 0;
	}
	if (rc) {
		free(st);
		return rc;
	}
	for (uint32_t i = 0; i < st->nfiles; i++)
		retired += st->files[i].retired;
	if (retired)
		snprintf(more, sizeof(more), "; %u closed files remembered", retired);
	log_info("state: resuming from %s/%s (%u files, %u rules%s)", p->cfg->state_dir, STATE_FILE,
		 st->nfiles - retired, saved_rules(st), more);
	p->restored = st;
	return 0;
}

int run_new(const struct cfg *cfg, const struct pat_db *db, const struct run_opts *o,
	    struct run **out)
{
	struct run *r;
	struct pipeline *p;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint32_t i;
	int rc = -ENOMEM;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->reload_lock, NULL);
	p = &r->p;
	p->cfg = cfg;
	p->db = db;
	p->scan = o->scan;
	p->nrules = pat_db_nrules(db);
	p->nworkers = o->workers ? o->workers : cfg->workers;
	if (!p->nworkers)
		p->nworkers = ncpu > 0 ? (uint32_t)ncpu : 1;
	p->start_ms = now_ms();
	p->batch_rings = calloc(p->nworkers, sizeof(struct ring));
	p->return_rings = calloc(p->nworkers, sizeof(struct ring));
	p->pane_rings = calloc(p->nworkers, sizeof(struct ring));
	p->pane_returns = calloc(p->nworkers, sizeof(struct ring));
	p->worker_wakes = calloc(p->nworkers, sizeof(struct wake));
	p->worker_stats = calloc(p->nworkers, sizeof(struct worker_stats));
	p->unmatched = calloc(p->nworkers, sizeof(struct mailbox));
	r->workers = calloc(p->nworkers, sizeof(*r->workers));
	r->worker_threads = calloc(p->nworkers, sizeof(pthread_t));
	if (!p->batch_rings || !p->return_rings || !p->pane_rings || !p->pane_returns ||
	    !p->worker_wakes || !p->worker_stats || !p->unmatched || !r->workers ||
	    !r->worker_threads)
		goto err;
	rc = build_sources(r, o);
	if (rc)
		goto err;
	p->listener_stats = calloc(p->nlisteners ? p->nlisteners : 1, sizeof(*p->listener_stats));
	if (!p->listener_stats) {
		rc = -ENOMEM;
		goto err;
	}
	if ((rc = tribuf_init(&p->peers_pub,
			      (p->nlisteners ? p->nlisteners : 1) * sizeof(struct listener_top))))
		goto err;
	p->max_files = o->scan ? (uint32_t)(o->nfiles ? o->nfiles : 1) : cfg->max_files;
	p->file_stats = calloc(p->max_files, sizeof(*p->file_stats));
	if (!p->file_stats) {
		rc = -ENOMEM;
		goto err;
	}
	if ((rc = pipe_files_pub_init(p)))
		goto err;
	if (!o->scan && (rc = open_state(p)))
		goto err_quiet;
	/* Every batch can sit in any one return ring, so pushes there never
	 * fail; the same holds for panes. A file holds a batch only while it
	 * reads or has records to ship, so the pool does not grow with the
	 * number of files; the extra ones keep many files reading at once. */
	p->nbatches = p->nworkers * BATCHES_PER_WORKER + SPARE_BATCHES;
	for (i = 0; i < p->nworkers; i++) {
		if ((rc = pipe_worker_init(p, i, BATCHES_PER_WORKER, WORKER_PANES)))
			goto err;
		if ((rc = worker_new(p, i, &r->workers[i])))
			goto err;
	}
	if ((rc = ing_new(p, &r->ingest)) || (rc = agg_new(p, &r->agg)))
		goto err;
	*out = r;
	return 0;
err:
	log_error("cannot set up the pipeline: %s", strerror(-rc));
err_quiet:
	run_free(r);
	return rc;
}

/* Each thread names itself (pthread_setname_np) in its main function. */
int run_start(struct run *r)
{
	struct pipeline *p = &r->p;
	uint32_t i;
	int rc;

	atomic_store(&p->workers_running, p->nworkers);
	if (r->demo && (rc = demo_start(r->demo)))
		return rc;
	for (i = 0; i < p->nworkers; i++)
		if ((rc = pthread_create(&r->worker_threads[i], NULL, worker_main, r->workers[i])))
			goto fail;
	if ((rc = pthread_create(&r->agg_thread, NULL, agg_main, r->agg)))
		goto fail;
	if ((rc = pthread_create(&r->ingest_thread, NULL, ing_main, r->ingest)))
		goto fail;
	r->started = true;
	return 0;
fail:
	/* Threads already started: no clean way back; this is start-up only. */
	log_error("cannot start threads: %s", strerror(rc));
	abort();
}

void run_stop(struct run *r)
{
	if (r->started)
		ing_stop(r->ingest);
}

void run_join(struct run *r)
{
	uint32_t i;

	if (!r->started)
		return;
	pthread_join(r->ingest_thread, NULL);
	for (i = 0; i < r->p.nworkers; i++)
		pthread_join(r->worker_threads[i], NULL);
	pthread_join(r->agg_thread, NULL);
	r->started = false;
}

struct snap_store *run_store(struct run *r)
{
	return agg_store(r->agg);
}

/* Free a ruleset and what it still holds (made-ready or replaced parts). */
static void ruleset_free(struct pipeline *p, struct ruleset *rs)
{
	if (!rs)
		return;
	for (uint32_t w = 0; w < p->nworkers; w++)
		worker_unprepare(rs->scanners ? rs->scanners[w] : NULL,
				 rs->panes ? rs->panes[w] : NULL);
	if (rs->panes)
		for (uint32_t w = 0; w < p->nworkers; w++)
			free(rs->panes[w]);
	free(rs->panes);
	free(rs->scanners);
	agg_unprepare(rs);
	pat_db_free(rs->db);
	cfg_free(rs->cfg);
	free(rs);
}

int run_reload(struct run *r, struct cfg *cfg, struct pat_db *db, int timeout_ms)
{
	struct pipeline *p = &r->p;
	struct ruleset *rs = calloc(1, sizeof(*rs));
	uint64_t want;
	int64_t deadline;
	uint32_t w;
	int rc = -ENOMEM;

	if (!rs) {
		pat_db_free(db);
		cfg_free(cfg);
		return -ENOMEM;
	}
	rs->cfg = cfg;
	rs->db = db;
	rs->nrules = pat_db_nrules(db);
	rs->scanners = calloc(p->nworkers, sizeof(*rs->scanners));
	rs->panes = calloc(p->nworkers, sizeof(*rs->panes));
	if (!rs->scanners || !rs->panes)
		goto fail;
	for (w = 0; w < p->nworkers; w++)
		if (!(rs->panes[w] = calloc(WORKER_PANES, sizeof(struct pane *))) ||
		    worker_prepare(p->cfg, db, &rs->scanners[w], rs->panes[w]))
			goto fail;
	if (agg_prepare(p, rs))
		goto fail;
	pthread_mutex_lock(&r->reload_lock);
	want = rs->gen = ++r->reloads_asked;
	atomic_store_explicit(&p->reload_req, rs, memory_order_release);
	ing_wake(r->ingest);
	deadline = now_ms() + timeout_ms;
	while ((atomic_load_explicit(&p->reloads_applied, memory_order_acquire) < want ||
		atomic_load_explicit(&rs->switched, memory_order_acquire) < p->nworkers) &&
	       now_ms() < deadline)
		sleep_ms(2);
	if (atomic_load_explicit(&p->reloads_applied, memory_order_acquire) < want ||
	    atomic_load_explicit(&rs->switched, memory_order_acquire) < p->nworkers) {
		/* still under way: it is freed with the pipeline */
		rs->prev = r->rules_cur;
		r->rules_cur = rs;
		pthread_mutex_unlock(&r->reload_lock);
		log_error("reload: not applied after %d ms; it will be when ingest gets to it",
			  timeout_ms);
		return -ETIMEDOUT;
	}
	/* Switched: what rs holds now is the old side; the rules it replaced
	 * are no longer used by anyone. */
	for (w = 0; w < p->nworkers; w++) {
		worker_unprepare(rs->scanners[w], rs->panes[w]);
		rs->scanners[w] = NULL;
		memset(rs->panes[w], 0, WORKER_PANES * sizeof(struct pane *));
	}
	agg_unprepare(rs);
	rs->prev = r->rules_cur;
	r->rules_cur = rs;
	while (rs->prev) {
		struct ruleset *old = rs->prev;

		rs->prev = old->prev;
		old->prev = NULL;
		ruleset_free(p, old);
	}
	pthread_mutex_unlock(&r->reload_lock);
	return 0;
fail:
	ruleset_free(p, rs);
	log_error("reload: out of memory");
	return rc;
}

void run_free(struct run *r)
{
	struct pipeline *p;
	uint32_t i;

	if (!r)
		return;
	p = &r->p;
	run_join(r);

	demo_free(r->demo);
	ing_free(r->ingest); /* takes the batches back from the return rings */
	agg_free(r->agg);
	for (i = 0; i < p->nworkers; i++) {
		worker_free(r->workers ? r->workers[i] : NULL);
		pipe_worker_destroy(p, i);
	}
	for (i = 0; i < p->nsources; i++) {
		uint32_t k;

		free(p->sources[i].name);
		for (k = 0; k < p->sources[i].npatterns; k++)
			free(p->sources[i].patterns[k]);
		free(p->sources[i].patterns);
	}
	pipe_files_pub_destroy(p);
	tribuf_destroy(&p->peers_pub);
	free(p->file_stats);
	if (p->restored) {
		state_free(p->restored);
		free(p->restored);
	}
	free(p->sources);
	free(p->source_stats);
	free(p->listener_stats);
	free(p->unmatched);
	free(p->batch_rings);
	free(p->return_rings);
	free(p->pane_rings);
	free(p->pane_returns);
	free(p->worker_wakes);
	free(p->worker_stats);
	free(r->workers);
	free(r->worker_threads);
	while (r->rules_cur) {
		struct ruleset *rs = r->rules_cur;

		r->rules_cur = rs->prev;
		ruleset_free(p, rs);
	}
	pthread_mutex_destroy(&r->reload_lock);
	free(r);
}
