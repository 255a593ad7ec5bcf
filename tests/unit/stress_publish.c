/*
 * stress_publish.c - the triple buffer and the mailbox across two threads.
 *
 * Triple buffer: the writer publishes values 1..N, each filling its whole
 * slot with the same number; the reader must only ever see a whole value
 * (every word equal), never an older one after a newer one, and at the end
 * the last. Mailbox: every message the producer posts arrives exactly once
 * and in order, and every message it could not post is counted as dropped.
 * A plain program so `make test` runs it under ThreadSanitizer too.
 */
#include "core/mailbox.h"
#include "core/tribuf.h"
#include "tests/unit/stress.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define WORDS 64
#define VALUES 200000u
#define MESSAGES 1000000u

struct tb {
	struct tribuf t;
	_Atomic bool done;
	uint64_t torn, backwards, reads;
};

static void *tb_writer(void *arg)
{
	struct tb *s = arg;

	for (uint64_t v = 1; v <= VALUES; v++) {
		uint64_t *w = tribuf_back(&s->t);

		for (int i = 0; i < WORDS; i++)
			w[i] = v;
		tribuf_publish(&s->t);
	}
	atomic_store(&s->done, true);
	return NULL;
}

static uint64_t tb_read_one(struct tb *s, uint64_t last)
{
	const uint64_t *w = tribuf_read(&s->t);

	s->reads++;
	for (int i = 1; i < WORDS; i++)
		if (w[i] != w[0])
			s->torn++;
	if (w[0] < last)
		s->backwards++;
	return w[0];
}

static void test_tribuf(void)
{
	struct tb s = {0};
	pthread_t th;
	uint64_t last = 0;

	CHECK(tribuf_init(&s.t, WORDS * sizeof(uint64_t)) == 0, "tribuf_init");
	CHECK(((const uint64_t *)tribuf_read(&s.t))[0] == 0, "zero before any publish");
	pthread_create(&th, NULL, tb_writer, &s);
	while (!atomic_load(&s.done))
		last = tb_read_one(&s, last);
	pthread_join(th, NULL);
	last = tb_read_one(&s, last);
	CHECK(s.torn == 0, "tribuf: %llu torn reads", (unsigned long long)s.torn);
	CHECK(s.backwards == 0, "tribuf: %llu reads went back", (unsigned long long)s.backwards);
	CHECK(last == VALUES, "tribuf: last read %llu, want %u", (unsigned long long)last, VALUES);
	/* nothing new: the same value again */
	CHECK(tb_read_one(&s, last) == VALUES, "tribuf: re-read keeps the newest");
	tribuf_destroy(&s.t);
}

struct mb {
	struct mailbox m;
	_Atomic bool done;
	uint64_t posted;
};

static void *mb_producer(void *arg)
{
	struct mb *s = arg;

	for (uint64_t i = 1; i <= MESSAGES; i++) {
		uint64_t *slot = mailbox_slot(&s->m);

		if (!slot) {
			if (i % 64 == 0)
				sched_yield();
			continue;
		}
		slot[0] = i;
		slot[1] = ~i;
		mailbox_post(&s->m);
		s->posted++;
	}
	atomic_store(&s->done, true);
	return NULL;
}

static void test_mailbox(void)
{
	struct mb s = {0};
	pthread_t th;
	uint64_t got = 0, last = 0, disorder = 0, torn = 0;
	const uint64_t *msg;

	CHECK(mailbox_init(&s.m, 16, 2 * sizeof(uint64_t)) == 0, "mailbox_init");
	CHECK(mailbox_peek(&s.m) == NULL, "empty at first");
	pthread_create(&th, NULL, mb_producer, &s);
	for (;;) {
		bool done = atomic_load(&s.done);

		while ((msg = mailbox_peek(&s.m))) {
			if (msg[0] <= last)
				disorder++;
			if (msg[1] != ~msg[0])
				torn++;
			last = msg[0];
			got++;
			mailbox_done(&s.m);
		}
		if (done)
			break;
	}
	pthread_join(th, NULL);
	CHECK(disorder == 0, "mailbox: %llu out of order", (unsigned long long)disorder);
	CHECK(torn == 0, "mailbox: %llu torn", (unsigned long long)torn);
	CHECK(got == s.posted, "mailbox: got %llu of %llu posted", (unsigned long long)got,
	      (unsigned long long)s.posted);
	CHECK(got + atomic_load(&s.m.dropped) == MESSAGES, "mailbox: got %llu + dropped %llu != %u",
	      (unsigned long long)got, (unsigned long long)atomic_load(&s.m.dropped), MESSAGES);
	CHECK(got > 0, "mailbox: nothing arrived");
	/* full: exactly capacity messages fit, the next is dropped */
	for (int i = 0; i < 16; i++) {
		uint64_t *slot = mailbox_slot(&s.m);

		CHECK(slot != NULL, "mailbox: slot %d of 16", i);
		if (slot)
			mailbox_post(&s.m);
	}
	CHECK(mailbox_slot(&s.m) == NULL, "mailbox: the 17th finds it full");
	mailbox_destroy(&s.m);
}

int main(void)
{
	test_tribuf();
	test_mailbox();
	printf("stress_publish: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
