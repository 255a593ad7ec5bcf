/*
 * sources.c - the `sources:` section of a config: each entry's keys, which
 * of them its type allows, and their values (paths and excludes, syslog
 * listen URLs, connection limits, time and timezone).
 *
 * Ownership: cfg->sources and every string and zone of a source belong to
 * the cfg; cfg_source_clear() frees a source's, for cfg_free(). Values are
 * copied out of the YAML tree.
 */
#include "config/internal.h"

#include "core/tzone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const source_keys[] = {
    "name",	    "type", "path",	   "exclude", "format",
    "start",	    "rate", "flush_after", "listen",  "max_connections",
    "idle_timeout", "time", "timezone"};
enum {
	SK_NAME,
	SK_TYPE,
	SK_PATH,
	SK_EXCLUDE,
	SK_FORMAT,
	SK_START,
	SK_RATE,
	SK_FLUSH,
	SK_LISTEN,
	SK_MAXCONN,
	SK_IDLE,
	SK_TIME,
	SK_TZ,
	SK_N
};
static const char *const source_types[] = {"file", "demo",
					   "syslog"};		 /* enum cfg_source_type order */
static const char *const source_starts[] = {"beginning", "end"}; /* enum cfg_start order */
/* The source type a key belongs to (enum cfg_source_type), or -1: any. */
static const int key_owner[SK_N] = {
    [SK_NAME] = -1,
    [SK_TYPE] = -1,
    [SK_PATH] = CFG_SOURCE_FILE,
    [SK_EXCLUDE] = CFG_SOURCE_FILE,
    [SK_FORMAT] = -1,
    [SK_START] = -1,
    [SK_RATE] = CFG_SOURCE_DEMO,
    [SK_FLUSH] = -1,
    [SK_LISTEN] = CFG_SOURCE_SYSLOG,
    [SK_MAXCONN] = CFG_SOURCE_SYSLOG,
    [SK_IDLE] = CFG_SOURCE_SYSLOG,
    [SK_TIME] = -1,
    [SK_TZ] = -1,
};

/* rate: a decimal number above 0 (200, 0.5, 1e3). */
static void do_rate(struct ld *ld, const struct ynode *v, double *out)
{
	char *end;
	double d;

	if (ld_want_scalar(ld, v, "rate", "a number of lines per second"))
		return;
	errno = 0;
	d = strtod(v->str, &end);
	/* strtod also takes "inf", "nan", hex and leading space: refuse those. */
	if (end == v->str || *end || errno || !(d > 0) || !strchr("0123456789.", v->str[0]) ||
	    strspn(v->str, "0123456789.eE+-") != v->len) {
		ld_err(ld, v, "'rate' must be a number of lines per second above 0, got '%.*s'",
		       ynode_qlen(v), v->str);
		return;
	}
	*out = d;
}

/* One entry of `path:` or `exclude:`: a non-empty string; a path must also
 * be absolute. what names the expected value in a message. */
static int list_item_ok(struct ld *ld, const struct ynode *it, const char *key, const char *what,
			bool absolute)
{
	if (ld_want_scalar(ld, it, key, what))
		return -EINVAL;
	if (!it->len) {
		ld_err(ld, it, "'%s' must not be empty", key);
		return -EINVAL;
	}
	if (absolute && it->str[0] != '/') {
		ld_err(ld, it, "'%s' must be an absolute path, got '%.*s'", key, ynode_qlen(it),
		       it->str);
		return -EINVAL;
	}
	return 0;
}

/* `path:` (paths true) or `exclude:`: one string or a sequence of them,
 * copied into a new array in *out of *n strings, owned by the source.
 * Paths must be absolute, listed once, and at least one; an empty exclude
 * (no value or []) excludes nothing. Entries in error are left out. */
static void get_strings(struct ld *ld, const struct ynode *v, const char *key, bool paths,
			char ***out, size_t *n)
{
	const char *what = paths ? "an absolute path" : "a glob pattern";
	size_t nitems = v->type == Y_SEQ ? v->nkids : 1;
	char **arr;

	if (v->type == Y_MAP || (v->type == Y_SCALAR && v->null && paths)) {
		ld_err(ld, v,
		       v->null ? "'%s' has no value; expected %s or a list of them"
			       : "'%s' must be %s or a list of them, not a mapping",
		       key, what);
		return;
	}
	if (v->type == Y_SCALAR && v->null)
		return;
	if (!nitems) {
		if (paths)
			ld_err(ld, v, "'%s' must list at least one path", key);
		return;
	}
	arr = calloc(nitems, sizeof(*arr));
	if (!arr) {
		ld->oom = true;
		return;
	}
	*out = arr;
	*n = 0;
	for (size_t i = 0; i < nitems; i++) {
		const struct ynode *it = v->type == Y_SEQ ? v->kids[i] : v;
		size_t j;

		if (list_item_ok(ld, it, key, what, paths))
			continue;
		for (j = 0; paths && j < i; j++) {
			const struct ynode *prev = v->kids[j];

			if (prev->type == Y_SCALAR && prev->len == it->len &&
			    !memcmp(prev->str, it->str, it->len))
				break;
		}
		if (paths && j < i) {
			ld_err(ld, it, "'%s' lists '%.*s' twice (first at line %d)", key,
			       ynode_qlen(it), it->str, v->kids[j]->line);
			continue;
		}
		arr[*n] = strdup(it->str);
		if (!arr[*n]) {
			ld->oom = true;
			return;
		}
		(*n)++;
	}
}

static void do_listens(struct ld *ld, const struct ynode *v, struct cfg_source *src)
{
	size_t i, n;

	get_strings(ld, v, "listen", false, &src->listens, &src->nlistens);
	n = v->type == Y_SEQ ? v->nkids : 1;
	for (i = 0; i < n && i < src->nlistens; i++) {
		const struct ynode *item = v->type == Y_SEQ ? v->kids[i] : v;
		struct cfg_listen l;
		char why[160];

		if (src->listens[i] && cfg_parse_listen(src->listens[i], &l, why, sizeof(why)))
			ld_err(ld, item, "bad listen URL '%s': %s", src->listens[i], why);
	}
}

/* idle_timeout: 0 (never) or a duration up to 7 days. */
static void do_idle_timeout(struct ld *ld, const struct ynode *v, uint32_t *out)
{
	uint32_t secs;

	if (ld_want_scalar(ld, v, "idle_timeout", "a duration such as 5m, or 0"))
		return;
	if (cfg_duration_is_zero(v->str))
		*out = 0;
	else if (cfg_parse_duration(v->str, &secs) || secs > 7 * 86400)
		ld_err(ld, v, "'idle_timeout' must be 0 or a duration up to 7d, got '%.*s'",
		       ynode_qlen(v), v->str);
	else
		*out = secs;
}

/* timezone: UTC, local, +hh:mm, or a tz database name; loaded here so a
 * zone that does not exist is an error at its position. */
static void do_timezone(struct ld *ld, const struct ynode *v, struct cfg_source *src)
{
	char why[200];
	int rc;

	if (ld_get_string(ld, v, "timezone", &src->timezone))
		return;
	rc = tz_zone_load(src->timezone, &src->zone, why, sizeof(why));
	if (rc == -ENOMEM)
		ld->oom = true;
	else if (rc)
		ld_err(ld, v,
		       "bad 'timezone' '%.*s': %s; expected UTC, local, an offset such as "
		       "+02:00, or a zone name such as Europe/Berlin",
		       ynode_qlen(v), v->str, why);
}

static void do_source(struct ld *ld, struct cfg *cfg, const struct ynode *map, size_t idx)
{
	static const struct ld_keyset ks = {"in source", source_keys, SK_N};
	struct cfg_source *src = &cfg->sources[idx];
	const struct ynode *v[SK_N] = {0};
	bool type_ok = true;
	int x;

	src->pos = ld_pos(ld, map);
	src->max_connections = 4096;
	src->idle_timeout_s = CFG_IDLE_TIMEOUT_DEFAULT_S;
	ld_map_collect(ld, map, &ks, v);

	if (!v[SK_NAME]) {
		ld_err(ld, map, "missing required key 'name' in source");
	} else if (!ld_get_string(ld, v[SK_NAME], "name", &src->name)) {
		if (!cfg_name_ok(src->name, strlen(src->name))) {
			ld_err(
			    ld, v[SK_NAME],
			    "source name '%.*s' may only contain letters, digits, '_', '.' and '-'",
			    ynode_qlen(v[SK_NAME]), v[SK_NAME]->str);
		} else {
			for (size_t j = 0; j < idx; j++) {
				if (cfg->sources[j].name &&
				    !strcmp(cfg->sources[j].name, src->name)) {
					ld_err(
					    ld, v[SK_NAME],
					    "duplicate source name '%s' (also used by the source "
					    "at line %d)",
					    src->name, cfg->sources[j].pos.line);
					break;
				}
			}
		}
	}
	if (v[SK_TYPE]) {
		if (ld_get_enum(ld, v[SK_TYPE], "type", source_types, 3, "file, demo, syslog", &x))
			type_ok = false;
		else
			src->type = (enum cfg_source_type)x;
	}
	if (v[SK_START] &&
	    !ld_get_enum(ld, v[SK_START], "start", source_starts, 2, "beginning, end", &x))
		src->start = (enum cfg_start)x;
	if (v[SK_FORMAT] && !ld_get_enum(ld, v[SK_FORMAT], "format", cfg_format_names, CFG_FORMAT_N,
					 "raw, syslog, combined, common, json, logfmt", &x))
		src->format = (enum cfg_format)x;
	else if (src->type == CFG_SOURCE_SYSLOG)
		src->format = CFG_FORMAT_SYSLOG;
	src->flush_after_s = 5;
	if (v[SK_FLUSH] &&
	    !ld_want_scalar(ld, v[SK_FLUSH], "flush_after", "a duration such as 5s")) {
		uint32_t secs;

		if (cfg_parse_duration(v[SK_FLUSH]->str, &secs) || secs > 86400)
			ld_err(ld, v[SK_FLUSH],
			       "'flush_after' must be a duration from 1s to 24h, got '%.*s'",
			       ynode_qlen(v[SK_FLUSH]), v[SK_FLUSH]->str);
		else
			src->flush_after_s = secs;
	}
	src->time = CFG_TIME_ARRIVAL;
	if (v[SK_TIME] &&
	    !ld_get_enum(ld, v[SK_TIME], "time", cfg_time_names, 2, "arrival, event", &x))
		src->time = (enum cfg_time)(CFG_TIME_ARRIVAL + x);
	if (v[SK_TZ])
		do_timezone(ld, v[SK_TZ], src);

	if (!type_ok)
		return; /* which keys a source needs depends on its type */
	for (size_t k = 0; k < SK_N; k++)
		if (v[k] && key_owner[k] >= 0 && key_owner[k] != (int)src->type)
			ld_err(ld, v[k], "'%s' is only valid for sources of type %s",
			       source_keys[k], source_types[key_owner[k]]);
	if (src->type == CFG_SOURCE_FILE) {
		if (!v[SK_PATH])
			ld_err(ld, map, "missing required key 'path' in file source");
		else
			get_strings(ld, v[SK_PATH], "path", true, &src->paths, &src->npaths);
		if (v[SK_EXCLUDE])
			get_strings(ld, v[SK_EXCLUDE], "exclude", false, &src->excludes,
				    &src->nexcludes);
	} else if (src->type == CFG_SOURCE_SYSLOG) {
		if (!v[SK_LISTEN])
			ld_err(ld, map, "missing required key 'listen' in syslog source");
		else
			do_listens(ld, v[SK_LISTEN], src);
		if (v[SK_MAXCONN])
			ld_get_uint(ld, v[SK_MAXCONN], "max_connections", 1, 65536,
				    &src->max_connections);
		if (v[SK_IDLE])
			do_idle_timeout(ld, v[SK_IDLE], &src->idle_timeout_s);
	} else {
		src->rate = 200;
		if (v[SK_RATE])
			do_rate(ld, v[SK_RATE], &src->rate);
	}
}

int ld_sources(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	if (ld_want_seq(ld, v, "sources") || !v->nkids)
		return 0;
	cfg->sources = calloc(v->nkids, sizeof(*cfg->sources));
	if (!cfg->sources) {
		ld->oom = true;
		return -ENOMEM;
	}
	cfg->nsources = v->nkids;
	for (size_t i = 0; i < v->nkids && !ld->oom; i++) {
		if (v->kids[i]->type != Y_MAP)
			ld_err(ld, v->kids[i],
			       "each entry of 'sources' must be a mapping (a source), not %s",
			       ynode_kind(v->kids[i]));
		else
			do_source(ld, cfg, v->kids[i], i);
	}
	return 0;
}

void cfg_source_clear(struct cfg_source *src)
{
	free(src->name);
	for (size_t j = 0; j < src->npaths; j++)
		free(src->paths[j]);
	free(src->paths);
	for (size_t j = 0; j < src->nexcludes; j++)
		free(src->excludes[j]);
	free(src->excludes);
	for (size_t j = 0; j < src->nlistens; j++)
		free(src->listens[j]);
	free(src->listens);
	free(src->timezone);
	tz_zone_free(src->zone);
}
