/*
 * stress_ring.c - the SPSC ring, the wake-up and the batch pool across two
 * threads: every item arrives exactly once and in order, every batch comes
 * back. A plain program (no Criterion) so that `make test` can run it under
 * ThreadSanitizer, which must report nothing: the ring's synchronisation is
 * C11 acquire/release that TSan understands, with no suppressions.
 */
#include "core/batch.h"
#include "core/ring.h"
#include "core/wake.h"
#include "tests/unit/stress.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#define ITEMS 1000000u
#define BATCH_ROUNDS 100000u

struct stress {
	struct ring r;
	struct wake wk;
	uintptr_t received;
	uintptr_t out_of_order;
};

static void *consumer(void *arg)
{
	struct stress *s = arg;
	uintptr_t expect = 1;

	while (expect <= ITEMS) {
		uint32_t seq = wake_seq(&s->wk);
		void *p = ring_pop(&s->r);

		if (!p) {
			wake_wait(&s->wk, seq, 10);
			continue;
		}
		if ((uintptr_t)p != expect)
			s->out_of_order++;
		expect++;
		s->received++;
	}
	return NULL;
}

/* Every item once, in order, with the consumer sleeping on the wake-up. */
static void every_item_once_in_order(void)
{
	struct stress s = {0};
	pthread_t t;
	uintptr_t i;

	ring_init(&s.r, 64);
	pthread_create(&t, NULL, consumer, &s);
	for (i = 1; i <= ITEMS; i++) {
		while (!ring_push(&s.r, (void *)i))
			sched_yield();
		if ((i & 63) == 0)
			wake_signal(&s.wk);
	}
	wake_signal(&s.wk);
	pthread_join(t, NULL);
	CHECK(s.received == ITEMS, "received %zu of %u", (size_t)s.received, ITEMS);
	CHECK(s.out_of_order == 0, "%zu items out of order", (size_t)s.out_of_order);
	ring_destroy(&s.r);
}

struct pingpong {
	struct ring to, back;
	uint64_t sum;
};

static void *echo(void *arg)
{
	struct pingpong *pp = arg;
	uint32_t got = 0;

	while (got < BATCH_ROUNDS) {
		struct batch *b = ring_pop(&pp->to);

		if (!b) {
			sched_yield();
			continue;
		}
		/* Reads what the producer wrote before its release store. */
		pp->sum += (unsigned char)b->buf[0] + (unsigned char)b->buf[b->len] + b->len;
		b->buf[1] = 'x'; /* and writes that the producer reads after acquire */
		got++;
		while (!ring_push(&pp->back, b))
			sched_yield();
	}
	return NULL;
}

/* Batches go out through one ring and come back through another, as
 * between ingest and a worker; their contents cross both ways. */
static void batches_round_trip(void)
{
	struct batch_pool pool;
	struct pingpong pp = {0};
	uint64_t expect = 0;
	uint32_t sent = 0, xs = 0;
	pthread_t t;
	struct batch *b;

	batch_pool_init(&pool, 8, 4096, 0);
	ring_init(&pp.to, 4);
	ring_init(&pp.back, 8);
	pthread_create(&t, NULL, echo, &pp);
	while (sent < BATCH_ROUNDS) {
		while ((b = ring_pop(&pp.back))) {
			xs += b->buf[1] == 'x';
			batch_pool_put(&pool, b);
		}
		b = batch_pool_get(&pool);
		if (!b) {
			sched_yield();
			continue;
		}
		b->len = 2 + sent % 4000;
		b->buf[0] = (char)(sent & 0x7f);
		b->buf[b->len] = (char)(sent % 13);
		if (!ring_push(&pp.to, b)) {
			batch_pool_put(&pool, b);
			continue;
		}
		expect += (sent & 0x7f) + sent % 13 + 2 + sent % 4000;
		sent++;
	}
	pthread_join(t, NULL);
	while ((b = ring_pop(&pp.back))) {
		xs += b->buf[1] == 'x';
		batch_pool_put(&pool, b);
	}
	CHECK(pp.sum == expect, "consumer saw sum %llu, expected %llu", (unsigned long long)pp.sum,
	      (unsigned long long)expect);
	CHECK(xs == BATCH_ROUNDS, "producer saw %u of the consumer's writes", xs);
	CHECK(pool.nfree == 8, "%u of 8 batches back in the pool", pool.nfree);
	ring_destroy(&pp.to);
	ring_destroy(&pp.back);
	batch_pool_destroy(&pool);
}

int main(void)
{
	every_item_once_in_order();
	batches_round_trip();
	printf("stress_ring: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
