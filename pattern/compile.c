/*
 * compile.c - every rule of a config into one Hyperscan block-mode database,
 * plus what each rule needs beyond its count.
 *
 * Rule i of the config has Hyperscan id i; a rule without a regex is left
 * out of the database and tested on every record instead (where.c). Each
 * expression is compiled with HS_FLAG_SINGLEMATCH (a record counts once per
 * rule, and Hyperscan stops looking for a rule once it has matched) and
 * HS_FLAG_ALLOWEMPTY (so `^$` counts empty records).
 *
 * Field names a rule reads (where:, value:, top:, distinct:) are resolved
 * here: a named capture of the rule's own regex wins; otherwise the name
 * must be a field of a format records may come in (json and logfmt give
 * any name). A rule that reads a capture also gets its regex compiled by
 * PCRE2 with JIT, run only on records Hyperscan matched for it.
 *
 * Errors name the rule's file:line:col, one line each (control characters
 * of the regex become '?'), and every bad regex is reported, once: a regex
 * PCRE2 rejects is not handed to Hyperscan (nor are its field names
 * checked: its captures are unknown), and since hs_compile_multi names only
 * the first expression it rejects, a failed database is compiled again one
 * regex at a time to find them all.
 */
#include "pattern/internal.h"

#include "pattern/backtrack.h"

#include "config/config.h"
#include "core/log.h"
#include "core/strbuf.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned rule_hs_flags(const struct cfg_rule *r)
{
	unsigned f = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

	if (r->flags & CFG_RULE_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (r->flags & CFG_RULE_DOTALL)
		f |= HS_FLAG_DOTALL;
	if (r->flags & CFG_RULE_UTF8)
		f |= HS_FLAG_UTF8 | HS_FLAG_UCP;
	return f;
}

static uint32_t rule_pcre2_flags(const struct cfg_rule *r)
{
	uint32_t f = 0;

	if (r->flags & CFG_RULE_CASELESS)
		f |= PCRE2_CASELESS;
	if (r->flags & CFG_RULE_DOTALL)
		f |= PCRE2_DOTALL;
	if (r->flags & CFG_RULE_UTF8)
		f |= PCRE2_UTF | PCRE2_UCP;
	return f;
}

static const char *pos_file(const struct cfg_pos *p)
{
	return p->file ? p->file : "<config>";
}

/* Keep the error line that starts at errs->buf[from] one line: user text
 * (a regex may hold a newline) gets its control characters replaced. */
static void one_line(struct strbuf *errs, size_t from)
{
	for (size_t i = from; errs->buf && i + 1 < errs->len; i++)
		if ((unsigned char)errs->buf[i] < 0x20 || errs->buf[i] == 0x7f)
			errs->buf[i] = '?';
}

static void report(struct strbuf *errs, const struct cfg_rule *r, const char *why)
{
	size_t at = errs->len;

	strbuf_printf(errs, "%s:%d:%d: rule '%s': cannot compile /%s/: %s\n",
		      pos_file(&r->match_pos), r->match_pos.line, r->match_pos.col, r->name,
		      r->match, why);
	one_line(errs, at);
}

/* After a failed multi-compile, compile each of its n expressions alone
 * (ids: their rules) so every bad regex is reported, not only the first. */
static void report_each(const struct cfg *cfg, const unsigned *ids, size_t n, struct strbuf *errs)
{
	for (size_t i = 0; i < n; i++) {
		const struct cfg_rule *r = &cfg->rules[ids[i]];
		hs_database_t *db = NULL;
		hs_compile_error_t *ce = NULL;

		if (hs_compile(r->match, rule_hs_flags(r), HS_MODE_BLOCK, NULL, &db, &ce) !=
		    HS_SUCCESS) {
			report(errs, r, ce ? ce->message : "unknown error");
			hs_free_compile_error(ce);
		}
		hs_free_database(db);
	}
}

/* Fields the built-in parsers give, per format (NULL-ended). */
static const char *const syslog_fields[] = {"host", "app",	"procid",   "msgid",
					    "msg",  "severity", "facility", NULL};
static const char *const access_fields[] = {
    "ip",     "ident", "user",	   "time",	 "method",	 "path", "protocol",
    "status", "bytes", "referrer", "user_agent", "request_time", NULL};

static bool in_list(const char *const *l, const char *name)
{
	for (; *l; l++)
		if (!strcmp(*l, name))
			return true;
	return false;
}

/* Can a record of one of formats carry the field name? */
static bool format_has(unsigned formats, const char *name)
{
	if (formats & (1u << CFG_FORMAT_JSON | 1u << CFG_FORMAT_LOGFMT))
		return true;
	if ((formats & 1u << CFG_FORMAT_SYSLOG) && in_list(syslog_fields, name))
		return true;
	return (formats & (1u << CFG_FORMAT_COMBINED | 1u << CFG_FORMAT_COMMON)) &&
	       in_list(access_fields, name);
}

static void formats_text(unsigned formats, struct strbuf *sb)
{
	bool any = false;

	for (int f = 0; f < CFG_FORMAT_N; f++)
		if (formats & 1u << f) {
			strbuf_printf(sb, "%s%s", any ? ", " : "",
				      cfg_format_name((enum cfg_format)f));
			any = true;
		}
	if (!any)
		strbuf_puts(sb, "raw");
}

/* Resolve one name into ref: a capture of re, or a format field. */
static void resolve(const struct cfg_rule *r, pcre2_code *re, unsigned formats, const char *key,
		    const char *name, const struct cfg_pos *pos, struct pat_ref *ref,
		    struct strbuf *errs)
{
	struct strbuf fm = {0};
	size_t at = errs->len;
	int g = re ? pcre2_substring_number_from_name(re, (PCRE2_SPTR)name) : -1;

	*ref = (struct pat_ref){name, (uint32_t)strlen(name), g > 0 ? g : -1};
	if (g > 0 || format_has(formats, name))
		return;
	formats_text(formats, &fm);
	strbuf_printf(errs,
		      "%s:%d:%d: rule '%s': %s field '%s' is neither a named capture of its "
		      "match nor a field of the sources' format (%s)\n",
		      pos_file(pos), pos->line, pos->col, r->name, key, name,
		      fm.buf ? fm.buf : "raw");
	one_line(errs, at);
	strbuf_free(&fm);
}

/* The regex for PCRE2 when it names groups (*out; NULL when it names
 * none). 0, or -EINVAL when PCRE2 rejects it (reported into errs). */
static int pcre2_for(const struct cfg_rule *r, struct strbuf *errs, pcre2_code **out)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *re;
	uint32_t names = 0;
	size_t at = errs->len;
	int err;

	*out = NULL;
	if (!r->match ||
	    (!strstr(r->match, "(?<") && !strstr(r->match, "(?P<") && !strstr(r->match, "(?'")))
		return 0;
	re = pcre2_compile((PCRE2_SPTR)r->match, PCRE2_ZERO_TERMINATED, rule_pcre2_flags(r), &err,
			   &off, NULL);
	if (!re) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		strbuf_printf(errs,
			      "%s:%d:%d: rule '%s': PCRE2 cannot compile /%s/ at offset %zu: %s\n",
			      pos_file(&r->match_pos), r->match_pos.line, r->match_pos.col, r->name,
			      r->match, (size_t)off, (const char *)msg);
		one_line(errs, at);
		return -EINVAL;
	}
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &names);
	if (!names)
		pcre2_code_free(re);
	else
		*out = re;
	return 0;
}

/* Everything rule i needs beyond Hyperscan. 0; -EINVAL when PCRE2 rejects
 * its regex (reported; its field names are then not checked); or -ENOMEM.
 * Name errors go into errs. */
static int rule_compile(const struct cfg_rule *r, unsigned formats, struct pat_rule *pr,
			struct strbuf *errs)
{
	pcre2_code *re;
	bool caps = false;
	size_t k;
	int bad = pcre2_for(r, errs, &re);

	if (where_compile(r, &pr->where)) {
		pcre2_code_free(re);
		return -ENOMEM;
	}
	if (bad)
		return bad;
	for (k = 0; k < pr->where.n; k++) {
		struct where_cond *c = &pr->where.c[k];

		if (c->field != CFG_FIELD_NAMED)
			continue;
		resolve(r, re, formats, "where", c->ref.name, &r->where[k].pos, &c->ref, errs);
		caps |= c->ref.group > 0;
	}
	if (r->value) {
		resolve(r, re, formats, "value", r->value, &r->value_pos, &pr->value, errs);
		pr->value_scale = r->value_scale;
	}
	if (r->top)
		resolve(r, re, formats, "top", r->top, &r->top_pos, &pr->top, errs);
	if (r->distinct)
		resolve(r, re, formats, "distinct", r->distinct, &r->distinct_pos, &pr->distinct,
			errs);
	caps |= pr->value.group > 0 || pr->top.group > 0 || pr->distinct.group > 0;
	if (!caps) {
		pcre2_code_free(re);
		re = NULL;
	}
	if (re && (pr->jit_err = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE)))
		pr->interpreted = true; /* without JIT it still runs, slower */
	pr->re = re;
	pr->plain = !pr->where.n && !re && !pr->value.name && !pr->top.name && !pr->distinct.name;
	return 0;
}

static bool rule_reads_format(const struct pat_rule *pr)
{
	uint32_t k;

	for (k = 0; k < pr->where.n; k++)
		if (pr->where.c[k].field == CFG_FIELD_NAMED && pr->where.c[k].ref.group < 0)
			return true;
	return (pr->value.name && pr->value.group < 0) || (pr->top.name && pr->top.group < 0) ||
	       (pr->distinct.name && pr->distinct.group < 0);
}

unsigned pat_cfg_formats(const struct cfg *cfg)
{
	unsigned f = 0;

	for (size_t i = 0; i < cfg->nsources; i++)
		f |= 1u << cfg->sources[i].format;
	return f;
}

int pat_db_compile(const struct cfg *cfg, struct pat_db **out, char **errs)
{
	return pat_db_compile_for(cfg, pat_cfg_formats(cfg), out, errs);
}

/* PCRE2's JIT failed (SELinux execmem, MemoryDenyWriteExecute, no JIT
 * support): captures still work, interpreted and slower. Said once per
 * process; /api/v1/stats counts the rules (pcre2_interpreted_rules). */
static void jit_failed(uint32_t rules, int err)
{
	static _Atomic bool said;
	PCRE2_UCHAR msg[160];

	if (atomic_exchange(&said, true))
		return;
	if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", err);
	log_warn("PCRE2 JIT unavailable (%s): the captures of %u rule(s) run interpreted, "
		 "slower",
		 (const char *)msg, rules);
}

int pat_db_compile_for(const struct cfg *cfg, unsigned formats, struct pat_db **out, char **errs)
{
	struct pat_db *db;
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *ce = NULL;
	struct strbuf eb = {0};
	size_t i, n = 0;
	bool event_source = false;
	int rc = -ENOMEM, bad, jit_err = 0;

	*out = NULL;
	*errs = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->nrules = (uint32_t)cfg->nrules;
	db->max_groups = 1;
	db->all_arrival = true;
	for (i = 0; i < cfg->nsources; i++)
		event_source |= cfg->sources[i].time == CFG_TIME_EVENT;
	if (!cfg->nrules) {
		*out = db; /* no rules: every scan matches nothing */
		return 0;
	}
	exprs = calloc(cfg->nrules, sizeof(*exprs));
	flags = calloc(cfg->nrules, sizeof(*flags));
	ids = calloc(cfg->nrules, sizeof(*ids));
	db->rules = calloc(cfg->nrules, sizeof(*db->rules));
	db->always = calloc(cfg->nrules, sizeof(*db->always));
	db->extract = calloc(cfg->nrules, sizeof(*db->extract));
	if (!exprs || !flags || !ids || !db->rules || !db->always || !db->extract)
		goto out;
	for (i = 0; i < cfg->nrules; i++) {
		struct pat_rule *pr = &db->rules[i];
		uint32_t k;

		bad = rule_compile(&cfg->rules[i], formats, pr, &eb);
		if (bad == -ENOMEM)
			goto out;
		if (bad)
			continue; /* its regex is reported once, not again by Hyperscan */
		for (k = 0; k < pr->where.n; k++)
			db->uses_fields |= pr->where.c[k].field != CFG_FIELD_NAMED;
		db->uses_format |= rule_reads_format(pr);
		db->observes |= pr->re || pr->value.name || pr->top.name || pr->distinct.name;
		pr->time = (uint8_t)cfg->rules[i].time;
		db->any_event |= pr->time == CFG_TIME_EVENT;
		db->all_arrival &= pr->time == CFG_TIME_ARRIVAL;
		db->observes |=
		    pr->time == CFG_TIME_EVENT || (pr->time == CFG_TIME_INHERIT && event_source);
		if (pr->re) {
			uint32_t groups = 0;

			if (pr->interpreted && !db->interpreted++)
				jit_err = pr->jit_err;

			pcre2_pattern_info(pr->re, PCRE2_INFO_CAPTURECOUNT, &groups);
			if (groups + 1 > db->max_groups)
				db->max_groups = groups + 1;
			db->extract[db->nextract++] = (uint32_t)i;
		}
		if (!cfg->rules[i].match) {
			db->always[db->nalways++] = (uint32_t)i;
			continue;
		}
		exprs[n] = cfg->rules[i].match;
		flags[n] = rule_hs_flags(&cfg->rules[i]);
		ids[n++] = (unsigned)i;
	}
	if (n && hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db->hs,
				  &ce) != HS_SUCCESS) {
		size_t before = eb.len;

		if (ce && ce->expression >= 0 && (size_t)ce->expression < n)
			report_each(cfg, ids, n, &eb);
		if (eb.len == before)
			strbuf_printf(&eb, "%s: rules: cannot compile database: %s\n", cfg->file,
				      ce ? ce->message : "unknown error");
		hs_free_compile_error(ce);
		rc = -EINVAL;
		goto out;
	}
	rc = eb.len ? -EINVAL : 0;
	if (!rc && db->interpreted)
		jit_failed(db->interpreted, jit_err);
out:
	free(exprs);
	free(flags);
	free(ids);
	if (rc) {
		if (rc == -ENOMEM && !eb.len)
			strbuf_printf(&eb, "%s: out of memory compiling rules\n", cfg->file);
		*errs = strbuf_take(&eb);
		pat_db_free(db);
		return rc;
	}
	strbuf_free(&eb);
	*out = db;
	return 0;
}

void pat_db_free(struct pat_db *db)
{
	if (!db)
		return;
	hs_free_database(db->hs);
	for (uint32_t i = 0; db->rules && i < db->nrules; i++) {
		where_free(&db->rules[i].where);
		pcre2_code_free(db->rules[i].re);
	}
	free(db->rules);
	free(db->always);
	free(db->extract);
	free(db);
}

size_t pat_db_warnings(const struct pat_db *db, const struct cfg *cfg, struct strbuf *out)
{
	size_t n = 0, at;

	for (uint32_t i = 0; i < db->nrules && i < cfg->nrules; i++) {
		const struct cfg_rule *r = &cfg->rules[i];

		if (!db->rules[i].re || !r->match || !pat_regex_nests_quantifiers(r->match, &at))
			continue;
		strbuf_printf(out,
			      "%s:%d:%d: warning: rule '%s': the group at offset %zu repeats "
			      "something that repeats (like (a+)+): its captures can backtrack "
			      "exponentially on long lines; PCRE2 gives up after %u steps plus %u "
			      "per byte and the rule counts match_limit_hits\n",
			      r->match_pos.file, r->match_pos.line, r->match_pos.col, r->name, at,
			      PAT_MATCH_LIMIT, PAT_MATCH_PER_BYTE);
		n++;
	}
	return n;
}

uint32_t pat_db_interpreted(const struct pat_db *db)
{
	return db->interpreted;
}

uint32_t pat_db_nrules(const struct pat_db *db)
{
	return db->nrules;
}

bool pat_db_uses_fields(const struct pat_db *db)
{
	return db->uses_fields || db->uses_format;
}

bool pat_db_observes(const struct pat_db *db)
{
	return db->observes;
}

void *pat_db_hs(const struct pat_db *db)
{
	return db->hs;
}
