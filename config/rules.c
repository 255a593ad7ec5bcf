/*
 * rules.c - the `rules:` section of a config: each rule's keys, its
 * `where:` conditions on record fields (syslog header fields, the sender,
 * named fields), the field `value:`, `top:` and `distinct:` read, and the
 * `unit:` of value; and cfg_rule_same, which compares two loaded rules.
 *
 * Ownership: cfg->rules and every string a rule holds belong to the cfg;
 * cfg_rule_clear() frees a rule's. A rule with an error of its own is
 * marked in ld->broken, so that a partial load (cfg_load_file_partial) can
 * leave it out (load.c, through cfg_rule_clear too).
 */
#include "config/internal.h"

#include "config/syslog_names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const rule_keys[] = {"name", "match", "flags", "caseless", "where",	  "value",
					"unit", "top",	 "top_k", "group_by", "distinct", "time"};
enum {
	RK_NAME,
	RK_MATCH,
	RK_FLAGS,
	RK_CASELESS,
	RK_WHERE,
	RK_VALUE,
	RK_UNIT,
	RK_TOP,
	RK_TOPK,
	RK_GROUPBY,
	RK_DISTINCT,
	RK_TIME,
	RK_N
};

/* where: keys, with their aliases, in enum cfg_field order. */
static const char *const field_names[CFG_FIELD_N][2] = {
    {"facility", NULL},	 {"severity", NULL}, {"host", "hostname"},
    {"app", "app_name"}, {"procid", NULL},   {"msgid", NULL},
    {"peer", NULL},	 {"source", NULL},   {"field", NULL},
};

const char *cfg_field_name(enum cfg_field f)
{
	return (unsigned)f < CFG_FIELD_N ? field_names[f][0] : "?";
}

/* "err", "3", "error" -> 3; facility names -> 0..23. -1 if unknown. */
static int field_number(enum cfg_field f, const char *s)
{
	static const char *const sev_alias[][2] = {
	    {"panic", "emerg"}, {"error", "err"}, {"warn", "warning"}};
	uint64_t x;
	int i, max = f == CFG_FIELD_SEVERITY ? 7 : 23;

	if (!cfg_parse_int(s, &x))
		return x <= (uint64_t)max ? (int)x : -1;
	if (f == CFG_FIELD_SEVERITY)
		for (i = 0; i < 3; i++)
			if (!strcmp(s, sev_alias[i][0]))
				s = sev_alias[i][1];
	for (i = 0; i <= max; i++) {
		const char *n =
		    f == CFG_FIELD_SEVERITY ? syslog_severity_name(i) : syslog_facility_name(i);

		if (n && !strcmp(s, n))
			return i;
	}
	return -1;
}

/* An address, or an address/prefix: the syntax pattern/ compiles. */
static bool peer_value_ok(const char *s)
{
	char a[INET6_ADDRSTRLEN + 8];
	unsigned char bin[16];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t bits;
	int fam;

	if (n >= sizeof(a))
		return false;
	memcpy(a, s, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, bin) == 1)
		fam = 32;
	else if (inet_pton(AF_INET6, a, bin) == 1)
		fam = 128;
	else
		return false;
	return !slash || (!cfg_parse_int(slash + 1, &bits) && bits <= (uint64_t)fam);
}

static bool where_value_ok(struct ld *ld, struct cfg_where *w, const struct ynode *v, const char *s,
			   size_t i)
{
	const char *key = cfg_field_name(w->field);

	if (w->field == CFG_FIELD_FACILITY || w->field == CFG_FIELD_SEVERITY) {
		w->nums[i] = field_number(w->field, s);
		if (w->nums[i] < 0) {
			ld_err(ld, v,
			       w->field == CFG_FIELD_SEVERITY
				   ? "'%s' value '%s' is not a severity: emerg, alert, crit, err, "
				     "warning, notice, info, debug or 0-7"
				   : "'%s' value '%s' is not a facility: kern, user, mail, daemon, "
				     "auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, "
				     "security, console, solaris-cron, local0-local7 or 0-23",
			       key, s);
			return false;
		}
	} else if (w->field == CFG_FIELD_PEER && !peer_value_ok(s)) {
		ld_err(ld, v,
		       "'peer' value '%s' is not an IP address or CIDR block (10.0.0.1, "
		       "10.0.0.0/8, fd00::/8)",
		       s);
		return false;
	}
	return true;
}

/* One `where:` entry: FIELD: VALUE or FIELD: [VALUES]. */
static void do_where_one(struct ld *ld, struct cfg_where *w, const struct ynode *v)
{
	static const struct {
		const char *op;
		enum cfg_cmp cmp;
	} ops[] = {{"<=", CFG_CMP_LE}, {">=", CFG_CMP_GE}, {"!=", CFG_CMP_NE},
		   {"<", CFG_CMP_LT},  {">", CFG_CMP_GT},  {"=", CFG_CMP_EQ}};
	bool numeric = w->field == CFG_FIELD_FACILITY || w->field == CFG_FIELD_SEVERITY;
	bool named = w->field == CFG_FIELD_NAMED;
	const char *key = named ? w->name : cfg_field_name(w->field);
	size_t i, n = v->type == Y_SEQ ? v->nkids : 1;

	w->pos = ld_pos(ld, v);
	if (v->type == Y_MAP || (v->type == Y_SEQ && !v->nkids) ||
	    (v->type == Y_SCALAR && (v->null || !v->len))) {
		ld_err(ld, v, "'where: %s' needs a value or a list of values", key);
		return;
	}
	if (n > sizeof(w->nums) / sizeof(w->nums[0])) {
		ld_err(ld, v, "'where: %s' lists %zu values; at most %zu are allowed", key, n,
		       sizeof(w->nums) / sizeof(w->nums[0]));
		return;
	}
	w->values = calloc(n, sizeof(char *));
	if (!w->values) {
		ld->oom = true;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct ynode *it = v->type == Y_SEQ ? v->kids[i] : v;
		const char *s;
		size_t k;

		if (ld_want_scalar(ld, it, key, "a value"))
			return;
		s = it->str;
		if (v->type == Y_SCALAR) {
			for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
				if (!strncmp(s, ops[k].op, strlen(ops[k].op)))
					break;
			if (k < sizeof(ops) / sizeof(ops[0])) {
				if (!numeric && !named && ops[k].cmp != CFG_CMP_NE &&
				    ops[k].cmp != CFG_CMP_EQ) {
					ld_err(ld, it,
					       "'where: %s' compares text: use a value, a list, or "
					       "\"!=value\"; '%s' is for facility and severity",
					       key, ops[k].op);
					return;
				}
				w->cmp = ops[k].cmp;
				s += strlen(ops[k].op);
				while (*s == ' ')
					s++;
			}
		}
		if (!*s) {
			ld_err(ld, it, "'where: %s' needs a value after the comparison", key);
			return;
		}
		if (named && w->cmp != CFG_CMP_EQ && w->cmp != CFG_CMP_NE) {
			char *end;

			errno = 0;
			w->num = strtod(s, &end);
			if (errno || end == s || *end || w->num != w->num) {
				ld_err(ld, it,
				       "'where: %s' compares numbers: '%s' is not a number (use a "
				       "value or a list to compare text)",
				       key, s);
				return;
			}
		}
		w->values[i] = strdup(s);
		if (!w->values[i]) {
			ld->oom = true;
			return;
		}
		w->nvalues++;
		if (!where_value_ok(ld, w, it, s, i))
			return;
	}
}

static void do_where(struct ld *ld, struct cfg_rule *rule, const struct ynode *v)
{
	size_t i, f, a;

	if (v->type != Y_MAP || !v->nkids) {
		ld_err(ld, v,
		       "'where' must be a mapping of fields to values, as in "
		       "{severity: \"<=err\", app: sshd}");
		return;
	}
	rule->where = calloc(v->nkids / 2, sizeof(*rule->where));
	if (!rule->where) {
		ld->oom = true;
		return;
	}
	for (i = 0; i + 1 < v->nkids; i += 2) {
		const struct ynode *k = v->kids[i];
		struct cfg_where *w;

		for (f = 0; f < CFG_FIELD_NAMED; f++)
			for (a = 0; a < 2; a++)
				if (k->type == Y_SCALAR && field_names[f][a] &&
				    !strcmp(k->str, field_names[f][a]))
					goto found;
		if (k->type != Y_SCALAR || !cfg_field_name_ok(k->str, k->len)) {
			ld_err(ld, k,
			       "'%.*s' is not a field name (letters, digits, '_', '.', '-', '@')",
			       ynode_qlen(k), k->str);
			continue;
		}
	found:
		for (a = 0; a < rule->nwhere; a++)
			if (rule->where[a].field == (enum cfg_field)f &&
			    (f != CFG_FIELD_NAMED || !strcmp(rule->where[a].name, k->str))) {
				ld_err(ld, k, "field '%s' appears twice in where",
				       f == CFG_FIELD_NAMED ? k->str
							    : cfg_field_name((enum cfg_field)f));
				break;
			}
		if (a < rule->nwhere)
			continue;
		w = &rule->where[rule->nwhere++];
		w->field = (enum cfg_field)f;
		if (f == CFG_FIELD_NAMED && !(w->name = strdup(k->str))) {
			ld->oom = true;
			return;
		}
		do_where_one(ld, w, v->kids[i + 1]);
	}
}

/* `value:`/`top:`/`distinct:` name a field: one word. */
static void get_field(struct ld *ld, const struct ynode *v, const char *key, char **out,
		      struct cfg_pos *pos)
{
	if (ld_want_scalar(ld, v, key, "a field name"))
		return;
	if (!cfg_field_name_ok(v->str, v->len)) {
		ld_err(ld, v,
		       "'%s' wants a field name (letters, digits, '_', '.', '-', '@'), got '%.*s'",
		       key, ynode_qlen(v), v->str);
		return;
	}
	*pos = ld_pos(ld, v);
	if (!(*out = strdup(v->str)))
		ld->oom = true;
}

/* unit: names, their scale into the base unit, and that unit. */
static const struct {
	const char *name;
	double scale;
	const char *base;
} units[] = {
    {"ns", 1e-9, "s"},
    {"us", 1e-6, "s"},
    {"ms", 1e-3, "s"},
    {"s", 1, "s"},
    {"m", 60, "s"},
    {"h", 3600, "s"},
    {"b", 1, "bytes"},
    {"bytes", 1, "bytes"},
    {"kb", 1e3, "bytes"},
    {"mb", 1e6, "bytes"},
    {"gb", 1e9, "bytes"},
    {"kib", 1024, "bytes"},
    {"mib", 1048576, "bytes"},
    {"gib", 1073741824, "bytes"},
};

static void do_unit(struct ld *ld, const struct ynode *v, struct cfg_rule *rule)
{
	size_t i;

	if (ld_want_scalar(ld, v, "unit", "a unit such as ms"))
		return;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(v->str, units[i].name)) {
			rule->value_scale = units[i].scale;
			rule->value_unit = units[i].base;
			return;
		}
	ld_err(ld, v,
	       "unknown unit '%.*s'; expected ns, us, ms, s, m, h, b, kb, mb, gb, kib, mib, gib",
	       ynode_qlen(v), v->str);
}

static const char *const rule_flags[] = {"caseless", "dotall", "utf8"}; /* bit order */

static void do_rule(struct ld *ld, struct cfg *cfg, const struct ynode *map, size_t idx)
{
	static const struct ld_keyset ks = {"in rule", rule_keys, RK_N};
	struct cfg_rule *rule = &cfg->rules[idx];
	const struct ynode *v[RK_N] = {0};
	bool caseless;
	int x;

	rule->pos = ld_pos(ld, map);
	ld_map_collect(ld, map, &ks, v);

	if (!v[RK_NAME]) {
		ld_err(ld, map, "missing required key 'name' in rule");
	} else if (!ld_get_string(ld, v[RK_NAME], "name", &rule->name)) {
		if (!cfg_name_ok(rule->name, strlen(rule->name))) {
			ld_err(
			    ld, v[RK_NAME],
			    "rule name '%.*s' may only contain letters, digits, '_', '.' and '-'",
			    ynode_qlen(v[RK_NAME]), v[RK_NAME]->str);
		} else {
			for (size_t j = 0; j < idx; j++) {
				if (cfg->rules[j].name && !strcmp(cfg->rules[j].name, rule->name)) {
					ld_err(ld, v[RK_NAME],
					       "duplicate rule name '%s' (also used by the rule at "
					       "%s:%d)",
					       rule->name, cfg->rules[j].pos.file,
					       cfg->rules[j].pos.line);
					break;
				}
			}
		}
	}
	if (v[RK_WHERE])
		do_where(ld, rule, v[RK_WHERE]);
	if (!v[RK_MATCH] && !v[RK_WHERE]) {
		if (rule->name)
			ld_err(ld, map,
			       "rule '%s' needs 'match' (a regex), 'where' (fields), or both",
			       rule->name);
		else
			ld_err(ld, map,
			       "a rule needs 'match' (a regex), 'where' (fields), or both");
	} else if (v[RK_MATCH]) {
		rule->match_pos = ld_pos(ld, v[RK_MATCH]);
		ld_get_string(ld, v[RK_MATCH], "match", &rule->match);
	}
	if (v[RK_FLAGS] && !ld_want_seq(ld, v[RK_FLAGS], "flags")) {
		for (size_t i = 0; i < v[RK_FLAGS]->nkids; i++)
			if (!ld_get_enum(ld, v[RK_FLAGS]->kids[i], "flags", rule_flags, 3,
					 "caseless, dotall, utf8", &x))
				rule->flags |= 1u << x;
	}
	if (v[RK_CASELESS] && !ld_get_bool(ld, v[RK_CASELESS], "caseless", &caseless)) {
		if (caseless)
			rule->flags |= CFG_RULE_CASELESS;
		else if (rule->flags & CFG_RULE_CASELESS)
			ld_err(ld, v[RK_CASELESS],
			       "'caseless: false' contradicts 'flags: [caseless]'");
	}
	rule->value_scale = 1;
	rule->value_unit = "";
	if (v[RK_VALUE])
		get_field(ld, v[RK_VALUE], "value", &rule->value, &rule->value_pos);
	if (v[RK_UNIT]) {
		if (!v[RK_VALUE])
			ld_err(ld, v[RK_UNIT],
			       "'unit' needs 'value' (the field it is the unit of)");
		else
			do_unit(ld, v[RK_UNIT], rule);
	}
	if (v[RK_TOP] && v[RK_GROUPBY])
		ld_err(ld, v[RK_GROUPBY], "'group_by' and 'top' are the same; give one");
	else if (v[RK_TOP] || v[RK_GROUPBY])
		get_field(ld, v[RK_TOP] ? v[RK_TOP] : v[RK_GROUPBY], v[RK_TOP] ? "top" : "group_by",
			  &rule->top, &rule->top_pos);
	rule->top_k = 10;
	if (v[RK_TOPK]) {
		if (!v[RK_TOP] && !v[RK_GROUPBY])
			ld_err(ld, v[RK_TOPK], "'top_k' needs 'top' (the field to rank)");
		else
			ld_get_uint(ld, v[RK_TOPK], "top_k", 1, 1000, &rule->top_k);
	}
	if (v[RK_DISTINCT])
		get_field(ld, v[RK_DISTINCT], "distinct", &rule->distinct, &rule->distinct_pos);
	if (v[RK_TIME] &&
	    !ld_get_enum(ld, v[RK_TIME], "time", cfg_time_names, 2, "arrival, event", &x))
		rule->time = (enum cfg_time)(CFG_TIME_ARRIVAL + x);
}

void ld_rules(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	struct cfg_rule *r;
	bool *b;
	size_t base = cfg->nrules;

	if (ld_want_seq(ld, v, "rules") || !v->nkids)
		return;
	r = realloc(cfg->rules, (base + v->nkids) * sizeof(*r));
	if (!r) {
		ld->oom = true;
		return;
	}
	memset(r + base, 0, v->nkids * sizeof(*r));
	cfg->rules = r;
	b = realloc(ld->broken, (base + v->nkids) * sizeof(*b));
	if (!b) {
		ld->oom = true;
		return;
	}
	memset(b + base, 0, v->nkids * sizeof(*b));
	ld->broken = b;
	cfg->nrules += v->nkids;
	for (size_t i = 0; i < v->nkids && !ld->oom; i++) {
		unsigned before = ld->nerr;

		if (v->kids[i]->type != Y_MAP)
			ld_err(ld, v->kids[i],
			       "each entry of 'rules' must be a mapping (a rule), not %s",
			       ynode_kind(v->kids[i]));
		else
			do_rule(ld, cfg, v->kids[i], base + i);
		ld->broken[base + i] = ld->nerr != before;
	}
}

void cfg_rule_clear(struct cfg_rule *rule)
{
	free(rule->name);
	free(rule->match);
	free(rule->value);
	free(rule->top);
	free(rule->distinct);
	for (size_t j = 0; j < rule->nwhere; j++) {
		free(rule->where[j].name);
		for (size_t k = 0; k < rule->where[j].nvalues; k++)
			free(rule->where[j].values[k]);
		free(rule->where[j].values);
	}
	free(rule->where);
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool cfg_rule_same(const struct cfg_rule *a, const struct cfg_rule *b)
{
	if (!str_same(a->name, b->name) || !str_same(a->match, b->match) || a->flags != b->flags ||
	    a->nwhere != b->nwhere || !str_same(a->value, b->value) ||
	    a->value_scale != b->value_scale || !str_same(a->top, b->top) || a->top_k != b->top_k ||
	    !str_same(a->distinct, b->distinct) || a->time != b->time)
		return false;
	for (size_t i = 0; i < a->nwhere; i++) {
		const struct cfg_where *x = &a->where[i], *y = &b->where[i];

		if (x->field != y->field || x->cmp != y->cmp || x->num != y->num ||
		    !str_same(x->name, y->name) || x->nvalues != y->nvalues)
			return false;
		for (size_t k = 0; k < x->nvalues; k++)
			if (!str_same(x->values[k], y->values[k]))
				return false;
	}
	return true;
}
