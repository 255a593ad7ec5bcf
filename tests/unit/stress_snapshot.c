/*
 * stress_snapshot.c - the snapshot store's lock-free acquire against a
 * publisher that replaces the snapshot as fast as it can: every reader
 * sees whole snapshots in publish order, and none is freed while a reader
 * holds it (its fields are checked after the publisher has moved on). A
 * plain program (no Criterion) so that `make test` runs it under ASan
 * (use-after-free, leaks) and TSan, which must report nothing.
 */
#include "aggregate/snapshot.h"
#include "tests/unit/stress.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define PUBLISHES 200000u
#define READERS 3

struct shared {
	struct snap_store st;
	_Atomic bool done;
};

struct reader {
	struct shared *sh;
	pthread_t t;
	unsigned long taken, torn, backwards, held_long;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	uint64_t last = 0;

	while (!atomic_load_explicit(&r->sh->done, memory_order_acquire)) {
		struct snapshot *s = snap_store_acquire(&r->sh->st);

		if (!s)
			continue;
		r->taken++;
		if (s->seq < last)
			r->backwards++;
		last = s->seq;
		/* every field says the same seq: nothing was freed or reused */
		if (s->totals[0] != s->seq || s->windows[1] != s->seq * 3 ||
		    s->time_ms != (int64_t)s->seq)
			r->torn++;
		if (r->taken % 1000 == 0) {
			/* hold one across many publishes, then look again */
			for (int i = 0; i < 50; i++)
				sched_yield();
			r->held_long++;
			if (s->totals[0] != s->seq || s->windows[1] != s->seq * 3)
				r->torn++;
		}
		snap_release(s);
	}
	return NULL;
}

int main(void)
{
	struct shared sh;
	struct reader rd[READERS];
	uint64_t followed = 0, misses = 0;

	memset(&sh, 0, sizeof(sh));
	memset(rd, 0, sizeof(rd));
	snap_store_init(&sh.st);
	for (int i = 0; i < READERS; i++) {
		rd[i].sh = &sh;
		pthread_create(&rd[i].t, NULL, read_loop, &rd[i]);
	}
	for (uint64_t seq = 1; seq <= PUBLISHES; seq++) {
		struct snapshot *s = snap_new(1, 2), *f;

		if (!s) {
			CHECK(0, "snap_new failed");
			break;
		}
		s->seq = seq;
		s->time_ms = (int64_t)seq;
		s->totals[0] = seq;
		s->windows[1] = seq * 3;
		snap_store_publish(&sh.st, s);
		if (seq % 16 == 0)
			sched_yield(); /* let the readers in on one core too */
		/* a follower too, every so often, as the event stream is */
		if (seq % 8 == 0) {
			while ((f = snap_store_next(&sh.st, followed))) {
				if (f->seq != followed + 1 && followed)
					misses++;
				followed = f->seq;
				snap_release(f);
			}
		}
	}
	atomic_store_explicit(&sh.done, true, memory_order_release);
	for (int i = 0; i < READERS; i++) {
		pthread_join(rd[i].t, NULL);
		CHECK(rd[i].taken > 0, "reader %d took nothing", i);
		CHECK(!rd[i].torn, "reader %d saw %lu torn or freed snapshots", i, rd[i].torn);
		CHECK(!rd[i].backwards, "reader %d saw seq go back %lu times", i, rd[i].backwards);
	}
	CHECK(followed == PUBLISHES - PUBLISHES % 8, "the follower ended at %llu",
	      (unsigned long long)followed);
	CHECK(!misses, "the follower skipped %llu times", (unsigned long long)misses);
	CHECK(sh.st.nretired <= SNAP_RETIRED, "%u retired", sh.st.nretired);
	snap_store_destroy(&sh.st); /* ASan: every snapshot freed by now */
	printf("stress_snapshot: %d passed, %d failed (readers took %lu, %lu, %lu)\n", passed,
	       failed, rd[0].taken, rd[1].taken, rd[2].taken);
	return failed ? 1 : 0;
}
