/* sources_json.c - see sources_json.h. */
#include "aggregate/sources_json.h"

#include "config/config.h"
#include "core/json.h"
#include "core/peer.h"
#include "pipeline/pipeline.h"
#include "core/strbuf.h"

#include <string.h>

void put_u64_field(struct strbuf *sb, const char *key, uint64_t v)
{
	strbuf_putc(sb, ',');
	json_key(sb, key);
	json_u64(sb, v);
}

static void put_time_field(struct strbuf *sb, const char *key, uint64_t ms)
{
	strbuf_putc(sb, ',');
	json_key(sb, key);
	if (ms)
		json_time_ms(sb, (int64_t)ms);
	else
		strbuf_puts(sb, "null");
}

struct src_totals source_totals(const struct pipeline *p, uint32_t i)
{
	struct src_totals t = {0};
	uint32_t w;

	t.cut_lines = stat_get(&p->source_stats[i].lines_truncated);
	t.cut_bytes = stat_get(&p->source_stats[i].bytes_discarded);
	for (w = 0; w < p->nworkers; w++) {
		t.lines += stat_get(&p->worker_stats[w].src_records[i]);
		t.cut_lines += stat_get(&p->worker_stats[w].src_lines_truncated[i]);
		t.cut_bytes += stat_get(&p->worker_stats[w].src_bytes_discarded[i]);
		t.parse_errors += stat_get(&p->worker_stats[w].src_parse_errors[i]);
		t.unmatched += stat_get(&p->worker_stats[w].src_unmatched[i]);
		t.no_timestamp += stat_get(&p->worker_stats[w].src_no_timestamp[i]);
	}
	return t;
}

static const char *const file_states[] = {"free", "open", "draining", "error"};

void unmatched_keep(struct unmatched_recent *u, const struct unmatched_sample *s)
{
	uint32_t keep = s->len < UNMATCHED_TEXT ? s->len : UNMATCHED_TEXT;

	memcpy(u->text[u->next], s->text, keep);
	u->len[u->next] = keep;
	u->full_len[u->next] = s->full_len;
	u->next = (u->next + 1) % UNMATCHED_KEEP;
	if (u->n < UNMATCHED_KEEP)
		u->n++;
}

/* One file, as ingest published it. */
static void render_file(struct strbuf *sb, const struct pipeline *p, const struct files_table *t,
			const struct file_view *fi)
{
	uint32_t f = fi->slot;
	struct file_stats *st = &p->file_stats[f];
	uint64_t size = stat_get(&st->size), offset = stat_get(&st->offset);
	uint64_t lines = 0, cut_lines = stat_get(&st->lines_truncated);
	uint64_t cut_bytes = stat_get(&st->bytes_discarded);
	uint32_t w;

	for (w = 0; w < p->nworkers; w++) {
		lines += stat_get(&p->worker_stats[w].file_records[f]);
		cut_lines += stat_get(&p->worker_stats[w].file_lines_truncated[f]);
		cut_bytes += stat_get(&p->worker_stats[w].file_bytes_discarded[f]);
	}
	strbuf_puts(sb, "{\"path\":");
	json_cstr(sb, t->paths + fi->path);
	strbuf_puts(sb, ",\"state\":");
	json_cstr(sb, file_states[fi->state]);
	put_u64_field(sb, "inode", stat_get(&st->inode));
	put_u64_field(sb, "offset", offset);
	put_u64_field(sb, "size", size);
	put_u64_field(sb, "lag", size > offset ? size - offset : 0);
	put_u64_field(sb, "lines", lines - fi->base_lines);
	put_u64_field(sb, "bytes", stat_get(&st->bytes));
	put_u64_field(sb, "lines_truncated", cut_lines - fi->base_cut_lines);
	put_u64_field(sb, "bytes_discarded", cut_bytes - fi->base_cut_bytes);
	put_u64_field(sb, "truncations", stat_get(&st->truncations));
	put_u64_field(sb, "errors", stat_get(&st->errors));
	strbuf_puts(sb, ",\"error\":");
	if (fi->err)
		json_cstr(sb, strerror(fi->err));
	else
		strbuf_puts(sb, "null");
	put_time_field(sb, "last_read", stat_get(&st->last_read_ms));
	strbuf_putc(sb, '}');
}

/* One syslog listener: its counters and, in full, its top senders. */
static void render_listener(struct strbuf *sb, const struct pipeline *p,
			    const struct sources_view *v, uint32_t li, const char *url, bool full)
{
	struct listener_stats *st = &p->listener_stats[li];
	struct cfg_listen a;
	char why[8], peer[PEER_TEXT_MAX];
	const struct listener_top *top = &v->tops[li];
	uint32_t k;

	strbuf_puts(sb, "{\"url\":");
	json_cstr(sb, url);
	put_u64_field(sb, "received", stat_get(&st->received));
	put_u64_field(sb, "bytes", stat_get(&st->bytes));
	put_u64_field(sb, "truncated", stat_get(&st->truncated));
	put_u64_field(sb, "dropped_full", stat_get(&st->dropped_full));
	put_u64_field(sb, "dropped_kernel", stat_get(&st->dropped_kernel));
	put_u64_field(sb, "buffers_exhausted", stat_get(&st->buffers_exhausted));
	if (!cfg_parse_listen(url, &a, why, sizeof(why)) && a.kind == CFG_LISTEN_TCP) {
		put_u64_field(sb, "connections", stat_get(&st->connections));
		put_u64_field(sb, "accepted", stat_get(&st->accepted));
		put_u64_field(sb, "refused", stat_get(&st->refused));
		put_u64_field(sb, "idle_closed", stat_get(&st->idle_closed));
		put_u64_field(sb, "resets", stat_get(&st->resets));
		put_u64_field(sb, "framing_errors", stat_get(&st->framing_errors));
	}
	if (full) {
		/* Space-Saving: a sender with more than total / K messages is
		 * listed; each count may be high by its error. */
		put_u64_field(sb, "top_peers_bound", top->total / PEER_TOP_K);
		strbuf_puts(sb, ",\"top_peers\":[");
		for (k = 0; k < top->n; k++) {
			if (k)
				strbuf_putc(sb, ',');
			peer_format(&top->e[k].host, false, peer, sizeof(peer));
			strbuf_puts(sb, "{\"peer\":");
			json_cstr(sb, peer);
			put_u64_field(sb, "messages", top->e[k].messages);
			put_u64_field(sb, "bytes", top->e[k].bytes);
			put_u64_field(sb, "dropped", top->e[k].dropped);
			put_u64_field(sb, "error", top->e[k].err);
			strbuf_putc(sb, '}');
		}
		strbuf_putc(sb, ']');
	}
	strbuf_putc(sb, '}');
}

/* The last records of source i that no rule counted, oldest first. */
static void render_unmatched(struct strbuf *sb, const struct unmatched_recent *u)
{
	uint32_t k;

	strbuf_puts(sb, ",\"unmatched_recent\":[");
	for (k = 0; k < u->n; k++) {
		uint32_t j = (u->next + UNMATCHED_KEEP - u->n + k) % UNMATCHED_KEEP;

		if (k)
			strbuf_putc(sb, ',');
		strbuf_puts(sb, "{\"text\":");
		json_str(sb, u->text[j], u->len[j]);
		put_u64_field(sb, "length", u->full_len[j]);
		strbuf_putc(sb, '}');
	}
	strbuf_putc(sb, ']');
}

/* A source; with_files adds its files (GET /api/v1/sources). */
void render_source(struct strbuf *sb, const struct pipeline *p, const struct sources_view *v,
		   uint32_t i, bool with_files)
{
	const struct pipe_source *src = &p->sources[i];
	struct source_stats *st = &p->source_stats[i];
	struct src_totals t = source_totals(p, i);
	uint32_t k, f, n = 0;

	strbuf_puts(sb, "{\"name\":");
	json_cstr(sb, src->name);
	strbuf_puts(sb, src->syslog ? ",\"type\":\"syslog\",\"listen\":["
				    : ",\"type\":\"file\",\"paths\":[");
	for (k = 0; k < src->npatterns; k++) {
		if (k)
			strbuf_putc(sb, ',');
		json_cstr(sb, src->patterns[k]);
	}
	strbuf_putc(sb, ']');
	put_u64_field(sb, "files_open", stat_get(&st->files_open));
	put_u64_field(sb, "lines", t.lines);
	put_u64_field(sb, "bytes", stat_get(&st->bytes));
	put_u64_field(sb, "lines_truncated", t.cut_lines);
	put_u64_field(sb, "bytes_discarded", t.cut_bytes);
	put_u64_field(sb, "partial_flushes", stat_get(&st->partial_flushes));
	put_u64_field(sb, "rotations", stat_get(&st->rotations));
	put_u64_field(sb, "truncations", stat_get(&st->truncations));
	put_u64_field(sb, "files_closed", stat_get(&st->files_closed));
	put_u64_field(sb, "errors", stat_get(&st->errors));
	put_time_field(sb, "last_read", stat_get(&st->last_read_ms));
	if (src->syslog) {
		put_u64_field(sb, "received", stat_get(&st->received));
		put_u64_field(sb, "dropped_full", stat_get(&st->dropped_full));
		put_u64_field(sb, "dropped_kernel", stat_get(&st->dropped_kernel));
		put_u64_field(sb, "buffers_exhausted", stat_get(&st->buffers_exhausted));
	}
	strbuf_puts(sb, ",\"format\":");
	json_cstr(sb, cfg_format_name((enum cfg_format)src->format));
	if (src->format != CFG_FORMAT_RAW)
		put_u64_field(sb, "parse_errors", t.parse_errors);
	put_u64_field(sb, "unmatched", t.unmatched);
	strbuf_puts(sb, ",\"time\":");
	json_cstr(sb, src->time == CFG_TIME_EVENT ? "event" : "arrival");
	if (src->time == CFG_TIME_EVENT)
		put_u64_field(sb, "no_timestamp", t.no_timestamp);
	if (with_files)
		render_unmatched(sb, &v->recent[i]);
	if (src->syslog) {
		strbuf_puts(sb, ",\"listeners\":[");
		for (k = 0; k < src->npatterns; k++) {
			if (k)
				strbuf_putc(sb, ',');
			render_listener(sb, p, v, src->first_listener + k, src->patterns[k],
					with_files);
		}
		strbuf_putc(sb, ']');
	}
	if (with_files) {
		strbuf_puts(sb, ",\"files\":[");
		for (f = 0; f < v->files->n; f++) {
			if (v->files->v[f].source != i)
				continue;
			if (n++)
				strbuf_putc(sb, ',');
			render_file(sb, p, v->files, &v->files->v[f]);
		}
		strbuf_putc(sb, ']');
	}
	strbuf_putc(sb, '}');
}
