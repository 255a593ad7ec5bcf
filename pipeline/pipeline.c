/* pipeline.c - setting up and tearing down the shared tables (see pipeline.h). */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <stdlib.h>

int pipe_files_pub_init(struct pipeline *p)
{
	int rc = tribuf_init(&p->files_pub, sizeof(struct files_table));

	if (rc)
		return rc;
	for (int i = 0; i < 3; i++) {
		struct files_table *t = p->files_pub.slot[i];

		t->paths_cap = p->max_files * FILES_PATHS_PER_FILE;
		t->v = calloc(p->max_files ? p->max_files : 1, sizeof(*t->v));
		t->paths = malloc(t->paths_cap ? t->paths_cap : 1);
		if (!t->v || !t->paths)
			return -ENOMEM; /* pipe_files_pub_destroy frees what was made */
	}
	return 0;
}

void pipe_files_pub_destroy(struct pipeline *p)
{
	for (int i = 0; i < 3; i++) {
		struct files_table *t = p->files_pub.slot[i];

		if (t) {
			free(t->v);
			free(t->paths);
		}
	}
	tribuf_destroy(&p->files_pub);
}

static _Atomic uint64_t *counters(size_t n)
{
	return calloc(n ? n : 1, sizeof(_Atomic uint64_t));
}

int pipe_worker_init(struct pipeline *p, uint32_t i, uint32_t ring_batches, uint32_t panes)
{
	struct worker_stats *ws = &p->worker_stats[i];
	int rc;

	ws->src_records = counters(p->nsources);
	ws->src_lines_truncated = counters(p->nsources);
	ws->src_bytes_discarded = counters(p->nsources);
	ws->src_parse_errors = counters(p->nsources);
	ws->src_unmatched = counters(p->nsources);
	ws->src_no_timestamp = counters(p->nsources);
	/* one more slot: batches from syslog listeners, which are not files */
	ws->file_records = counters(p->max_files + 1);
	ws->file_lines_truncated = counters(p->max_files + 1);
	ws->file_bytes_discarded = counters(p->max_files + 1);
	if (!ws->src_records || !ws->src_lines_truncated || !ws->src_bytes_discarded ||
	    !ws->src_parse_errors || !ws->src_unmatched || !ws->src_no_timestamp ||
	    !ws->file_records || !ws->file_lines_truncated || !ws->file_bytes_discarded)
		return -ENOMEM;
	/* The return ring can hold every batch and the worker's checkpoint
	 * barrier, so a worker never waits to hand one back. */
	if ((rc = ring_init(&p->batch_rings[i], ring_batches)) ||
	    (rc = ring_init(&p->return_rings[i], p->nbatches + 1)) ||
	    (rc = ring_init(&p->pane_rings[i], panes)) ||
	    (rc = ring_init(&p->pane_returns[i], panes)))
		return rc;
	return mailbox_init(&p->unmatched[i], UNMATCHED_MAILBOX, sizeof(struct unmatched_sample));
}

void pipe_worker_destroy(struct pipeline *p, uint32_t i)
{
	if (p->batch_rings)
		ring_destroy(&p->batch_rings[i]);
	if (p->return_rings)
		ring_destroy(&p->return_rings[i]);
	if (p->pane_rings)
		ring_destroy(&p->pane_rings[i]);
	if (p->pane_returns)
		ring_destroy(&p->pane_returns[i]);
	if (p->unmatched)
		mailbox_destroy(&p->unmatched[i]);
	if (p->worker_stats) {
		struct worker_stats *ws = &p->worker_stats[i];

		free(ws->src_records);
		free(ws->src_lines_truncated);
		free(ws->src_bytes_discarded);
		free(ws->src_parse_errors);
		free(ws->src_unmatched);
		free(ws->src_no_timestamp);
		free(ws->file_records);
		free(ws->file_lines_truncated);
		free(ws->file_bytes_discarded);
	}
}
