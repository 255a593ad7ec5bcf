/*
 * published.h - what one stage tells the others outside the data path:
 * whole tables published by their one writer and read, without a lock, by
 * the aggregator (which renders them into each tick's JSON).
 *
 *  - The file table: ingest publishes it (a core/tribuf.h triple buffer)
 *    when a file is opened, renamed, fails or closes, never per record.
 *  - The busiest senders of each syslog listener: ingest publishes them
 *    once a second (another triple buffer).
 *  - Records no rule counted: each worker posts a sample (at most one per
 *    batch) to its own mailbox (core/mailbox.h); the aggregator keeps the
 *    last UNMATCHED_KEEP per source.
 *
 * The readers use what they read until their next read; the writers never
 * touch it meanwhile, and nobody waits for anybody.
 */
#ifndef WEIR_PUBLISHED_H
#define WEIR_PUBLISHED_H

#include "core/peer.h"

#include <stdint.h>

enum file_state {
	FILE_FREE,     /* slot unused */
	FILE_OPEN,     /* being tailed */
	FILE_DRAINING, /* gone from its source's paths: read to the end, then closed */
	FILE_ERROR,    /* a path that cannot be opened; retried every second */
};

/*
 * One tailed file as other threads see it. The base_* values are the
 * workers' per-slot counters when the slot was last reused, so a file's
 * own counts are the counters minus them.
 */
struct file_view {
	uint32_t slot;	 /* index into file_stats and the workers' file counters */
	uint32_t source; /* index into sources */
	uint8_t state;	 /* enum file_state, never FILE_FREE here */
	int err;	 /* errno of the last failure, 0 if none */
	uint32_t path;	 /* offset of its NUL-terminated path in files_table.paths */
	uint64_t base_lines, base_cut_lines, base_cut_bytes;
};

/* The files in use, in slot order. One of the three slots of the triple
 * buffer; its arrays are allocated once (max_files entries and
 * FILES_PATHS_PER_FILE bytes of paths per file) and reused. */
#define FILES_PATHS_PER_FILE 256
struct files_table {
	uint32_t n;
	struct file_view *v; /* [max_files] */
	char *paths;	     /* path bytes; a path that does not fit is cut */
	uint32_t paths_len, paths_cap;
};

/* The busiest senders of one listener (a copy of its Space-Saving table). */
#define LISTENER_TOP_PUB 10
struct listener_top {
	struct peer_count e[LISTENER_TOP_PUB];
	uint32_t n;
	uint64_t total; /* messages counted, for the error bound total / PEER_TOP_K */
};

/* A record of a source that no rule counted, as a worker posts it. */
#define UNMATCHED_KEEP 10    /* the aggregator keeps this many per source */
#define UNMATCHED_TEXT 512   /* bytes kept of each; longer ones are cut */
#define UNMATCHED_MAILBOX 64 /* samples a worker may post between two drains */
struct unmatched_sample {
	uint32_t source;
	uint32_t len;	   /* bytes in text */
	uint32_t full_len; /* the record's length */
	char text[UNMATCHED_TEXT];
};

#endif
