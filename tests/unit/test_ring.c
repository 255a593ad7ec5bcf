/*
 * test_ring.c - the SPSC ring and the batch pool, single-threaded.
 * The two-thread tests are in stress_ring.c, which also runs under
 * ThreadSanitizer (Criterion itself cannot start under TSan).
 */
#include "core/batch.h"
#include "core/ring.h"
#include "core/wake.h"

#include <criterion/criterion.h>
#include <stdint.h>

Test(ring, capacity_rounds_up_to_power_of_two)
{
	struct ring r;

	cr_assert_eq(ring_init(&r, 5), 0);
	cr_assert_eq(ring_capacity(&r), 8);
	ring_destroy(&r);
	cr_assert_eq(ring_init(&r, 0), 0);
	cr_assert_eq(ring_capacity(&r), 2);
	ring_destroy(&r);
}

Test(ring, fifo_full_and_empty)
{
	struct ring r;
	uintptr_t i;

	cr_assert_eq(ring_init(&r, 4), 0);
	cr_assert_null(ring_pop(&r));
	for (i = 1; i <= 4; i++)
		cr_assert(ring_push(&r, (void *)i));
	cr_assert_not(ring_push(&r, (void *)5), "a full ring refuses");
	cr_assert_eq(ring_count(&r), 4);
	for (i = 1; i <= 4; i++)
		cr_assert_eq((uintptr_t)ring_pop(&r), i);
	cr_assert_null(ring_pop(&r));
	/* Wrap around many times. */
	for (i = 1; i <= 1000; i++) {
		cr_assert(ring_push(&r, (void *)i));
		cr_assert_eq((uintptr_t)ring_pop(&r), i);
	}
	ring_destroy(&r);
}

Test(pool, exhausts_then_refills)
{
	struct batch_pool pool;
	struct batch *b[3];

	cr_assert_eq(batch_pool_init(&pool, 3, 1024, 0), 0);
	for (int i = 0; i < 3; i++) {
		b[i] = batch_pool_get(&pool);
		cr_assert_not_null(b[i]);
		cr_assert_eq(b[i]->cap, 1024);
	}
	cr_assert_null(batch_pool_get(&pool), "an empty pool is backpressure, not malloc");
	batch_pool_put(&pool, b[1]);
	cr_assert_eq(batch_pool_get(&pool), b[1]);
	batch_pool_destroy(&pool);
}
