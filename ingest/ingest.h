/*
 * ingest.h - the ingest thread: one io_uring ring that reads every source,
 * frames records into batches and hands them to the workers.
 *
 * Owns: the io_uring ring, the batch pool, every source's fd, inotify watch
 * and current batch. Runs on its own thread (ing_main); other threads may
 * only call ing_stop().
 */
#ifndef WEIR_INGEST_H
#define WEIR_INGEST_H

struct pipeline;
struct ingest;

/* Set up the ring, the pool and the sources of p. 0 or -errno (logged). */
int ing_new(struct pipeline *p, struct ingest **out);
void ing_free(struct ingest *ing);

/* Thread body; arg is the struct ingest. */
void *ing_main(void *arg);

/* Any thread: stop reading, hand over what is framed, finish. */
void ing_stop(struct ingest *ing);
/* Make the loop look at its requests (a reload) now. Any thread. */
void ing_wake(struct ingest *ing);

#endif
