/*
 * compile.c - every rule of a config into one Hyperscan block-mode database.
 *
 * Rule i of the config has Hyperscan id i; a rule without a regex is left
 * out of the database and tested on every record instead (where.c). Each expression is compiled
 * with HS_FLAG_SINGLEMATCH (a record counts once per rule, and Hyperscan stops looking for a rule
 * once it has matched) and HS_FLAG_ALLOWEMPTY (so `^$` counts empty records). Errors name the
 * rule's file:line:col.
 */
#include "pattern/internal.h"

#include "core/config.h"
#include "core/strbuf.h"

#include <errno.h>
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

static void report(struct strbuf *errs, const struct cfg_rule *r, const char *why)
{
	strbuf_printf(errs, "%s:%d:%d: rule '%s': cannot compile /%s/: %s\n",
		      r->match_pos.file ? r->match_pos.file : "<config>", r->match_pos.line,
		      r->match_pos.col, r->name, r->match, why);
}

/* After a failed multi-compile, compile each rule alone so every bad rule
 * is reported, not only the first. */
static void report_each(const struct cfg *cfg, struct strbuf *errs)
{
	size_t i;

	for (i = 0; i < cfg->nrules; i++) {
		hs_database_t *db = NULL;
		hs_compile_error_t *ce = NULL;

		if (!cfg->rules[i].match)
			continue;
		if (hs_compile(cfg->rules[i].match, rule_hs_flags(&cfg->rules[i]), HS_MODE_BLOCK,
			       NULL, &db, &ce) != HS_SUCCESS) {
			report(errs, &cfg->rules[i], ce ? ce->message : "unknown error");
			hs_free_compile_error(ce);
		}
		hs_free_database(db);
	}
}

int pat_db_compile(const struct cfg *cfg, struct pat_db **out, char **errs)
{
	struct pat_db *db;
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	hs_compile_error_t *ce = NULL;
	struct strbuf eb = {0};
	size_t i, n = 0;
	int rc = -ENOMEM;

	*out = NULL;
	*errs = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->nrules = (uint32_t)cfg->nrules;
	if (!cfg->nrules) {
		*out = db; /* no rules: every scan matches nothing */
		return 0;
	}
	exprs = calloc(cfg->nrules, sizeof(*exprs));
	flags = calloc(cfg->nrules, sizeof(*flags));
	ids = calloc(cfg->nrules, sizeof(*ids));
	db->where = calloc(cfg->nrules, sizeof(*db->where));
	db->always = calloc(cfg->nrules, sizeof(*db->always));
	if (!exprs || !flags || !ids || !db->where || !db->always)
		goto out;
	for (i = 0; i < cfg->nrules; i++) {
		if (where_compile(&cfg->rules[i], &db->where[i]))
			goto out;
		db->uses_fields |= db->where[i].n > 0;
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
		if (ce && ce->expression >= 0 && (size_t)ce->expression < n)
			report_each(cfg, &eb);
		if (!eb.len)
			strbuf_printf(&eb, "%s: rules: cannot compile database: %s\n", cfg->file,
				      ce ? ce->message : "unknown error");
		hs_free_compile_error(ce);
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
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
	for (uint32_t i = 0; db->where && i < db->nrules; i++)
		where_free(&db->where[i]);
	free(db->where);
	free(db->always);
	free(db);
}

uint32_t pat_db_nrules(const struct pat_db *db)
{
	return db->nrules;
}

bool pat_db_uses_fields(const struct pat_db *db)
{
	return db->uses_fields;
}

void *pat_db_hs(const struct pat_db *db)
{
	return db->hs;
}
