/*
 * mailbox.h - a bounded single-producer single-consumer queue of small
 * fixed-size messages, copied in and out.
 *
 * For things one thread tells another now and then (a sample of a record,
 * not the data path): the producer never waits, and a message that finds
 * the mailbox full is dropped and counted. Same index discipline as
 * core/ring.h (free-running indices, acquire/release). Exactly one
 * producer and one consumer thread, for life. Owns its slots.
 */
#ifndef WEIR_MAILBOX_H
#define WEIR_MAILBOX_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mailbox {
	alignas(64) _Atomic size_t tail; /* written by the producer */
	alignas(64) _Atomic size_t head; /* written by the consumer */
	alignas(64) size_t mask;	 /* capacity - 1 */
	size_t size;			 /* bytes per message */
	_Atomic uint64_t dropped;	 /* messages that found it full */
	unsigned char *slots;
};

/* capacity messages (rounded up to a power of two) of size bytes each.
 * 0 or -ENOMEM. */
int mailbox_init(struct mailbox *m, size_t capacity, size_t size);
void mailbox_destroy(struct mailbox *m);

/* Producer: the slot for the next message, or NULL when full (the drop is
 * counted). Fill it, then mailbox_post(). */
void *mailbox_slot(struct mailbox *m);
void mailbox_post(struct mailbox *m);

/* Consumer: the oldest message (valid until mailbox_done), or NULL. */
const void *mailbox_peek(struct mailbox *m);
void mailbox_done(struct mailbox *m);

#endif
