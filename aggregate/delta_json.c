/* delta_json.c - see delta_json.h. */
#include "aggregate/delta_json.h"

#include "aggregate/snapshot.h"
#include "config/config.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The ingest counters, by their name in the snapshot's "ingest" object.
 * The first two are in every delta. */
static const struct {
	const char *name;
	size_t off;
} ingest_fields[DELTA_NINGEST] = {
    {"records", offsetof(struct snapshot, records)},
    {"bytes", offsetof(struct snapshot, bytes)},
    {"lines_truncated", offsetof(struct snapshot, lines_truncated)},
    {"unmatched", offsetof(struct snapshot, unmatched)},
    {"parse_errors", offsetof(struct snapshot, parse_errors)},
    {"aggregate_bytes", offsetof(struct snapshot, aggregate_bytes)},
};

static uint64_t ingest_value(const struct snapshot *s, unsigned i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + ingest_fields[i].off, sizeof(v));
	return v;
}

static bool rule_changed(const struct delta_prev *prev, const struct snapshot *s, uint32_t r)
{
	if (prev->totals[r] != s->totals[r])
		return true;
	for (uint32_t w = 0; w < s->nwindows; w++) {
		size_t i = (size_t)w * s->nrules + r;

		if (prev->windows[i] != s->windows[i])
			return true;
	}
	return false;
}

static void render_rule(struct strbuf *sb, const struct snapshot *s, const struct cfg *rules,
			const struct cfg *cfg, uint32_t r)
{
	char dur[16];

	strbuf_puts(sb, "{\"name\":");
	json_cstr(sb, rules->rules[r].name);
	strbuf_puts(sb, ",\"total\":");
	json_u64(sb, s->totals[r]);
	strbuf_puts(sb, ",\"windows\":{");
	for (uint32_t w = 0; w < s->nwindows; w++) {
		if (w)
			strbuf_putc(sb, ',');
		cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
		json_key(sb, dur);
		json_u64(sb, s->windows[(size_t)w * s->nrules + r]);
	}
	strbuf_puts(sb, "}}");
}

/* Make prev hold s's counts; on ENOMEM prev is left empty (the next delta
 * then lists every rule). */
static void remember(struct delta_prev *prev, const struct snapshot *s, uint64_t rules_gen)
{
	size_t nw = (size_t)s->nwindows * s->nrules;

	if (prev->nrules != s->nrules || prev->nwindows != s->nwindows || !prev->totals) {
		free(prev->totals);
		free(prev->windows);
		prev->totals = malloc(sizeof(uint64_t) * (s->nrules ? s->nrules : 1));
		prev->windows = malloc(sizeof(uint64_t) * (nw ? nw : 1));
		if (!prev->totals || !prev->windows) {
			delta_prev_free(prev);
			return;
		}
		prev->nrules = s->nrules;
		prev->nwindows = s->nwindows;
	}
	memcpy(prev->totals, s->totals, sizeof(uint64_t) * s->nrules);
	memcpy(prev->windows, s->windows, sizeof(uint64_t) * nw);
	for (unsigned i = 0; i < DELTA_NINGEST; i++)
		prev->ingest[i] = ingest_value(s, i);
	prev->rules_gen = rules_gen;
	prev->seq = s->seq;
}

void delta_render(struct delta_prev *prev, struct snapshot *s, const struct cfg *rules,
		  const struct cfg *cfg, uint64_t rules_gen)
{
	struct strbuf sb = {0};
	bool all = !prev->seq || !prev->totals || prev->rules_gen != rules_gen ||
		   prev->nrules != s->nrules || prev->nwindows != s->nwindows;
	bool first = true;

	snap_json_open(&sb, s, true);
	strbuf_puts(&sb, ",\"ingest\":{");
	for (unsigned i = 0; i < DELTA_NINGEST; i++) {
		uint64_t v = ingest_value(s, i);

		if (i >= 2 && !all && v == prev->ingest[i])
			continue;
		if (i)
			strbuf_putc(&sb, ',');
		json_key(&sb, ingest_fields[i].name);
		json_u64(&sb, v);
	}
	/* every tick: the seconds each window watched, for rates (count /
	 * observed_s) of rules not listed as much as of those that are */
	strbuf_puts(&sb, "},\"observed_s\":{");
	for (uint32_t w = 0; w < s->nwindows; w++) {
		char dur[16];

		if (w)
			strbuf_putc(&sb, ',');
		cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
		json_key(&sb, dur);
		json_u64(&sb, s->observed[w]);
	}
	strbuf_puts(&sb, "},\"rules\":[");
	for (uint32_t r = 0; r < s->nrules; r++) {
		if (!all && !rule_changed(prev, s, r))
			continue;
		if (!first)
			strbuf_putc(&sb, ',');
		first = false;
		render_rule(&sb, s, rules, cfg, r);
	}
	strbuf_putc(&sb, ']');
	if (all)
		strbuf_puts(&sb, ",\"all_rules\":true");
	strbuf_putc(&sb, '}');
	s->delta_len = sb.oom ? 0 : sb.len;
	s->delta_json = strbuf_take(&sb);
	remember(prev, s, rules_gen);
}

void delta_prev_free(struct delta_prev *prev)
{
	free(prev->totals);
	free(prev->windows);
	memset(prev, 0, sizeof(*prev));
}
