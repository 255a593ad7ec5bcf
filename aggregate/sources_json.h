/*
 * sources_json.h - the JSON of the sources, their files and listeners, as
 * the snapshot and GET /api/v1/sources show them. Runs on the aggregator
 * thread: reads the pipeline's counters and what the other stages
 * published (pipeline/published.h), which the aggregator gathers into a
 * struct sources_view; takes no lock.
 */
#ifndef WEIR_SOURCES_JSON_H
#define WEIR_SOURCES_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline/published.h"

struct pipeline;
struct strbuf;

/* The last records of a source that no rule counted (oldest first from
 * next - n), kept by the aggregator from the workers' samples. */
struct unmatched_recent {
	char text[UNMATCHED_KEEP][UNMATCHED_TEXT];
	uint32_t len[UNMATCHED_KEEP];
	uint32_t full_len[UNMATCHED_KEEP];
	uint32_t next, n;
};

/* Keep sample s in u (the oldest one goes when u is full). */
void unmatched_keep(struct unmatched_recent *u, const struct unmatched_sample *s);

/* What the other stages published, as the aggregator last read it. */
struct sources_view {
	const struct files_table *files;       /* ingest's file table */
	const struct listener_top *tops;       /* [nlisteners] ingest's busiest senders */
	const struct unmatched_recent *recent; /* [nsources] */
};

/* A source's totals over every file it had (workers' counts included). */
struct src_totals {
	uint64_t lines, cut_lines, cut_bytes, parse_errors, unmatched;
	uint64_t no_timestamp; /* event-time matches of records without a stamp */
};

struct src_totals source_totals(const struct pipeline *p, uint32_t i);

/* Source i as a JSON object; with_files adds its files, recent unmatched
 * records and listeners' top senders (GET /api/v1/sources). */
void render_source(struct strbuf *sb, const struct pipeline *p, const struct sources_view *v,
		   uint32_t i, bool with_files);

/* ",\"key\":v" */
void put_u64_field(struct strbuf *sb, const char *key, uint64_t v);

#endif
