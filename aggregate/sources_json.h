/*
 * sources_json.h - the JSON of the sources, their files and listeners, as
 * the snapshot and GET /api/v1/sources show them. Reads the pipeline's
 * stats (and, under their locks, its file table and listener tops).
 */
#ifndef WEIR_SOURCES_JSON_H
#define WEIR_SOURCES_JSON_H

#include <stdbool.h>
#include <stdint.h>

struct pipeline;
struct strbuf;

/* A source's totals over every file it had (workers' counts included). */
struct src_totals {
	uint64_t lines, cut_lines, cut_bytes, parse_errors, unmatched;
	uint64_t no_timestamp; /* event-time matches of records without a stamp */
};

struct src_totals source_totals(const struct pipeline *p, uint32_t i);

/* Source i as a JSON object; with_files adds its files, recent unmatched
 * records and listeners' top senders (GET /api/v1/sources). */
void render_source(struct strbuf *sb, struct pipeline *p, uint32_t i, bool with_files);

/* ",\"key\":v" */
void put_u64_field(struct strbuf *sb, const char *key, uint64_t v);

#endif
