/* snapshot.c - see snapshot.h. */
#include "aggregate/snapshot.h"

#include "aggregate/samples.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct snapshot *snap_new(uint32_t nrules, uint32_t nwindows)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nrules = nrules;
	s->nwindows = nwindows;
	s->totals = calloc(nrules ? nrules : 1, sizeof(*s->totals));
	s->windows =
	    calloc((size_t)(nrules ? nrules : 1) * (nwindows ? nwindows : 1), sizeof(*s->windows));
	s->observed = calloc(nwindows ? nwindows : 1, sizeof(*s->observed));
	if (!s->totals || !s->windows || !s->observed) {
		free(s->totals);
		free(s->windows);
		free(s->observed);
		free(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	return s;
}

void snap_release(struct snapshot *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(s->totals);
	free(s->windows);
	free(s->observed);
	free(s->json);
	free(s->sources_json);
	free(s->delta_json);
	free(s->rule_extra);
	free(s->rule_extra_off);
	free(s->rule_off);
	free(s->win_off);
	for (size_t i = 0; s->tops && i < (size_t)s->nrules * s->nwindows; i++)
		free(s->tops[i].item_off);
	free(s->tops);
	free(s->wextra);
	free(s->metrics);
	free(s->stats_json);
	smp_pub_release(s->samples);
	for (int i = 0; i < SNAP_NBODIES; i++)
		free(atomic_load_explicit(&s->gz[i], memory_order_acquire));
	free(s);
}

struct snap_wextra *snap_wextra(struct snapshot *s, uint32_t r, uint32_t w)
{
	if (r >= s->nrules || w >= s->nwindows)
		return NULL;
	if (!s->wextra)
		s->wextra = calloc((size_t)s->nrules * s->nwindows, sizeof(*s->wextra));
	return s->wextra ? &s->wextra[(size_t)r * s->nwindows + w] : NULL;
}

void snap_store_init(struct snap_store *st)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&st->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&st->cur, NULL);
	atomic_init(&st->readers, 0);
	st->nretired = 0;
	st->woken = false;
	st->following = false;
	st->nbacklog = 0;
}

void snap_store_destroy(struct snap_store *st)
{
	snap_store_unfollow(st);
	snap_release(atomic_load(&st->cur));
	atomic_store(&st->cur, NULL);
	for (unsigned i = 0; i < st->nretired; i++)
		snap_release(st->retired[i]);
	st->nretired = 0;
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->mu);
}

/* Drop the store's references to the retired snapshots if no reader is
 * between loading cur and taking its reference (see snap_store_acquire);
 * with wait, yield until none is. Under mu. */
static void reclaim(struct snap_store *st, bool wait)
{
	while (atomic_load(&st->readers)) {
		if (!wait)
			return;
		sched_yield();
	}
	for (unsigned i = 0; i < st->nretired; i++)
		snap_release(st->retired[i]);
	st->nretired = 0;
}

void snap_store_publish(struct snap_store *st, struct snapshot *s)
{
	struct snapshot *old, *dropped = NULL;

	pthread_mutex_lock(&st->mu);
	old = atomic_exchange(&st->cur, s);
	if (old) {
		if (st->nretired == SNAP_RETIRED)
			reclaim(st, true); /* a reader stalled for ticks: wait it out */
		st->retired[st->nretired++] = old;
	}
	reclaim(st, false);
	if (st->following) {
		if (st->nbacklog == SNAP_BACKLOG) {
			dropped = st->backlog[0];
			memmove(st->backlog, st->backlog + 1,
				sizeof(*st->backlog) * (SNAP_BACKLOG - 1));
			st->nbacklog--;
		}
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
		st->backlog[st->nbacklog++] = s;
	}
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
	snap_release(dropped);
}

/*
 * Lock-free, so that a reader running at a low priority never holds
 * anything the aggregator waits for. A reader announces itself in readers
 * before it loads cur and leaves after taking its reference; a replaced
 * snapshot keeps the store's reference (retired) until a publish sees no
 * reader in between. All four steps are sequentially consistent: a
 * publish that reads readers == 0 after its exchange comes after the
 * reference increment of every reader that loaded the old pointer.
 */
struct snapshot *snap_store_acquire(struct snap_store *st)
{
	struct snapshot *s;

	atomic_fetch_add(&st->readers, 1);
	s = atomic_load(&st->cur);
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	atomic_fetch_sub(&st->readers, 1);
	return s;
}

/* The current snapshot's seq, 0 if none; under mu (no publish meanwhile). */
static uint64_t cur_seq(struct snap_store *st)
{
	struct snapshot *s = atomic_load_explicit(&st->cur, memory_order_relaxed);

	return s ? s->seq : 0;
}

uint64_t snap_store_wait(struct snap_store *st, uint64_t after_seq, int timeout_ms)
{
	struct timespec until;
	uint64_t seq;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&st->mu);
	while (!st->woken && cur_seq(st) == after_seq)
		if (pthread_cond_timedwait(&st->cond, &st->mu, &until) == ETIMEDOUT)
			break;
	st->woken = false;
	seq = cur_seq(st);
	pthread_mutex_unlock(&st->mu);
	return seq;
}

void snap_store_wake(struct snap_store *st)
{
	pthread_mutex_lock(&st->mu);
	st->woken = true;
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->mu);
}

struct snapshot *snap_store_next(struct snap_store *st, uint64_t after_seq)
{
	struct snapshot *taken[SNAP_BACKLOG], *s = NULL;
	unsigned n = 0, i;

	pthread_mutex_lock(&st->mu);
	st->following = true;
	while (n < st->nbacklog && st->backlog[n]->seq <= after_seq) {
		taken[n] = st->backlog[n];
		n++;
	}
	st->nbacklog -= n;
	memmove(st->backlog, st->backlog + n, sizeof(*st->backlog) * st->nbacklog);
	if (st->nbacklog)
		s = st->backlog[0];
	else if (cur_seq(st) > after_seq)
		s = atomic_load(&st->cur);
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&st->mu);
	for (i = 0; i < n; i++)
		snap_release(taken[i]);
	return s;
}

void snap_store_unfollow(struct snap_store *st)
{
	struct snapshot *taken[SNAP_BACKLOG];
	unsigned n, i;

	pthread_mutex_lock(&st->mu);
	st->following = false;
	n = st->nbacklog;
	memcpy(taken, st->backlog, sizeof(*taken) * n);
	st->nbacklog = 0;
	pthread_mutex_unlock(&st->mu);
	for (i = 0; i < n; i++)
		snap_release(taken[i]);
}

void snap_json_open(struct strbuf *sb, const struct snapshot *s, bool with_seq)
{
	strbuf_putc(sb, '{');
	if (with_seq) {
		strbuf_puts(sb, "\"seq\":");
		json_u64(sb, s->seq);
		strbuf_putc(sb, ',');
	}
	strbuf_puts(sb, "\"time\":");
	json_time_ms(sb, s->time_ms);
	strbuf_puts(sb, ",\"time_ms\":");
	json_i64(sb, s->time_ms);
}
