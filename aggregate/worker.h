/*
 * worker.h - a worker thread: takes batches from its ring, scans them with
 * its own Hyperscan scratch, adds matches into its current 1-second pane,
 * returns the batch, and ships panes to the aggregator.
 *
 * Owns: its scanner, its pane pool and current pane. Touches the pipeline
 * only through its own rings, wake-up and stats slot.
 */
#ifndef WEIR_WORKER_H
#define WEIR_WORKER_H

#include <stdint.h>

struct cfg;
struct pipeline;
struct worker;
struct pat_db;
struct pat_scanner;
struct pane;

#define WORKER_PANES 64 /* panes per worker; the pane rings hold all of them */

int worker_new(struct pipeline *p, uint32_t id, struct worker **out);
void worker_free(struct worker *w);
/* A scanner and WORKER_PANES panes for db (a reload makes them ready
 * before the switch), with room for samples as cfg's samples: says (the
 * config weir started with). 0 or -ENOMEM (nothing left allocated). */
int worker_prepare(const struct cfg *cfg, const struct pat_db *db, struct pat_scanner **sc,
		   struct pane **panes);
void worker_unprepare(struct pat_scanner *sc, struct pane **panes);
/* Thread body; arg is the struct worker. */
void *worker_main(void *arg);

#endif
