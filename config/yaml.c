/*
 * yaml.c - the YAML side of loading a config: the tree of struct ynode built
 * from libfyaml's events, typed access to its values, and the error lines
 * every problem becomes (see internal.h).
 *
 * libfyaml 0.7.12 has no public accessor for a document node's position,
 * but its events carry marks, so the tree is built here from the event
 * parser, each node carrying the 1-based line:col where it was written.
 * YAML syntax errors are collected by a private fy_diag (libfyaml never
 * prints) and reshaped into "FILE:LINE:COL: message" lines like the rest.
 * A problem with no position (the file cannot be read) is "FILE: message".
 *
 * Ownership: the tree (struct ytree) owns every ynode through its `all`
 * list; an alias shares the anchored node, so nodes are freed from that
 * list and never by walking the tree. The loader owns each error line's
 * text (struct ld.errv) until ld_finish() in load.c.
 */
#include "config/internal.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_QUOTE_MAX 60 /* user text quoted in a message is cut here */

/* ---------------------------------------------------------------------------
 * Errors
 */

/* col, at most one past the end of the text's line (libfyaml counts some
 * invalid UTF-8 wider than its bytes). */
static int col_on_line(const struct ld *ld, int line, int col)
{
	const char *p = ld->text, *end = p ? p + ld->len : NULL, *nl;

	if (!p)
		return col;
	for (int i = 1; i < line && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	if (col - 1 > (nl ? nl : end) - p)
		col = (int)((nl ? nl : end) - p) + 1;
	return col;
}

/* Record one error at line:col (1-based; line 0 = no position). The message
 * is cut to one line: control characters (from user text) become '?'. */
static void ld_verr(struct ld *ld, int line, int col, const char *fmt, va_list ap)
{
	char msg[400], out[600];
	char *text;
	int n;

	if (ld->nerr++ >= CFG_ERRS_MAX)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (line > 0) {
		col = col > 0 ? col : 1;
		col = col_on_line(ld, line, col);
		n = snprintf(out, sizeof(out), "%s:%d:%d: %s\n", ld->file, line, col, msg);
	} else {
		line = col = 0;
		n = snprintf(out, sizeof(out), "%s: %s\n", ld->file, msg);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(out)) /* cut, but keep the line whole */
		out[sizeof(out) - 2] = '\n';
	if (ld->nerrv == ld->cap) {
		size_t cap = ld->cap ? ld->cap * 2 : 8;
		struct cfg_errline *v = realloc(ld->errv, cap * sizeof(*v));

		if (!v) {
			ld->oom = true;
			return;
		}
		ld->errv = v;
		ld->cap = cap;
	}
	text = strdup(out);
	if (!text) {
		ld->oom = true;
		return;
	}
	ld->errv[ld->nerrv++] = (struct cfg_errline){.text = text,
						     .len = strlen(text),
						     .file = ld->fileno,
						     .line = line,
						     .col = col,
						     .seq = ld->nerr};
}

void ld_err_at(struct ld *ld, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_verr(ld, line, col, fmt, ap);
	va_end(ap);
}

void ld_err(struct ld *ld, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_verr(ld, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
}

/* Document order (see cfg_errors_sort). */
static int cmp_errline(const void *a, const void *b)
{
	const struct cfg_errline *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void cfg_errors_sort(struct cfg_errline *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), cmp_errline);
}

/* ---------------------------------------------------------------------------
 * The YAML tree
 */

struct yanchor {
	char *name; /* owned */
	struct ynode *node;
};

void ytree_free(struct ytree *t)
{
	struct ynode *n = t->all;

	while (n) {
		struct ynode *next = n->next;

		free(n->str);
		free(n->kids);
		free(n);
		n = next;
	}
	for (size_t i = 0; i < t->nanchors; i++)
		free(t->anchors[i].name);
	free(t->anchors);
	memset(t, 0, sizeof(*t));
}

static struct ynode *ynode_new(struct ytree *t, enum ytype type, const struct fy_mark *m)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	if (m) {
		n->line = m->line + 1;
		n->col = m->column + 1;
	}
	n->next = t->all;
	t->all = n;
	return n;
}

static int ynode_push(struct ynode *parent, struct ynode *kid)
{
	if (parent->nkids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **p = realloc(parent->kids, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		parent->kids = p;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

/* Attach n under cur (or make it the root). A node without a mark (an empty
 * scalar) borrows its position from the node before it, else its parent. */
static int ytree_attach(struct ytree *t, struct ynode *cur, struct ynode *n)
{
	if (!cur) {
		t->root = n;
		return 0;
	}
	if (n->line == 0) {
		const struct ynode *from = cur->nkids ? cur->kids[cur->nkids - 1] : cur;

		n->line = from->line;
		n->col = from->col;
	}
	return ynode_push(cur, n);
}

static int ytree_anchor(struct ytree *t, struct fy_token *anchor, struct ynode *n)
{
	const char *s;
	size_t len;
	char *name;

	if (!anchor)
		return 0;
	s = fy_token_get_text(anchor, &len);
	if (!s)
		return -ENOMEM;
	if (t->nanchors == t->acap) {
		size_t cap = t->acap ? t->acap * 2 : 8;
		struct yanchor *p = realloc(t->anchors, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->anchors = p;
		t->acap = cap;
	}
	name = strndup(s, len);
	if (!name)
		return -ENOMEM;
	t->anchors[t->nanchors].name = name;
	t->anchors[t->nanchors].node = n;
	t->nanchors++;
	return 0;
}

/* The node an alias names; the latest definition of an anchor wins. */
static struct ynode *ytree_lookup(const struct ytree *t, const char *name, size_t len)
{
	for (size_t i = t->nanchors; i-- > 0;)
		if (strlen(t->anchors[i].name) == len && !memcmp(t->anchors[i].name, name, len))
			return t->anchors[i].node;
	return NULL;
}

static bool scalar_is_null(struct fy_token *value, const char *s, size_t len)
{
	if (fy_token_scalar_style(value) != FYSS_PLAIN)
		return false;
	return len == 0 || (len == 1 && s[0] == '~') ||
	       (len == 4 &&
		(!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* Turn one parser event into tree nodes. Returns 0, -EINVAL (an error was
 * recorded; stop) or -ENOMEM. */
static int ytree_event(struct ld *ld, struct ytree *t, struct ynode **curp, struct fy_event *e,
		       unsigned *ndocs)
{
	const struct fy_mark *m = fy_event_start_mark(e);
	enum fy_scalar_style style;
	struct fy_token *start;
	struct ynode *n = NULL;
	const char *s;
	size_t len;
	int rc;

	switch (e->type) {
	case FYET_DOCUMENT_START:
		if (++*ndocs > 1) {
			ld_err_at(ld, m ? m->line + 1 : 0, m ? m->column + 1 : 0,
				  "only one YAML document is allowed in a config file");
			return -EINVAL;
		}
		return 0;
	case FYET_SCALAR:
		s = fy_token_get_text(e->scalar.value, &len);
		if (!s)
			return -ENOMEM;
		n = ynode_new(t, Y_SCALAR, m);
		if (!n)
			return -ENOMEM;
		n->str = malloc(len + 1);
		if (!n->str)
			return -ENOMEM;
		memcpy(n->str, s, len);
		n->str[len] = '\0';
		n->len = len;
		n->null = scalar_is_null(e->scalar.value, s, len);
		/* libfyaml marks a quoted scalar just past its opening quote. */
		style = fy_token_scalar_style(e->scalar.value);
		if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n->col > 1)
			n->col--;
		n->done = true;
		rc = ytree_anchor(t, e->scalar.anchor, n);
		break;
	case FYET_SEQUENCE_START:
	case FYET_MAPPING_START:
		n = ynode_new(t, e->type == FYET_SEQUENCE_START ? Y_SEQ : Y_MAP, m);
		if (!n)
			return -ENOMEM;
		if (e->type == FYET_SEQUENCE_START) {
			start = e->sequence_start.sequence_start;
			rc = ytree_anchor(t, e->sequence_start.anchor, n);
		} else {
			start = e->mapping_start.mapping_start;
			rc = ytree_anchor(t, e->mapping_start.anchor, n);
		}
		if (start && fy_token_get_type(start) == FYTT_FLOW_SEQUENCE_START)
			n->flow = '[';
		else if (start && fy_token_get_type(start) == FYTT_FLOW_MAPPING_START)
			n->flow = '{';
		break;
	case FYET_SEQUENCE_END:
	case FYET_MAPPING_END:
		if (*curp) {
			(*curp)->done = true;
			*curp = (*curp)->parent;
		}
		return 0;
	case FYET_ALIAS:
		s = fy_token_get_text(e->alias.anchor, &len);
		if (!s)
			return -ENOMEM;
		n = ytree_lookup(t, s, len);
		if (!n || !n->done) {
			/* Like a quoted scalar, an alias is marked past its '*'. */
			ld_err_at(ld, m ? m->line + 1 : 0, m ? m->column : 0,
				  n ? "alias '*%.*s' refers to a node that contains it"
				    : "alias '*%.*s' names no anchor",
				  (int)(len < CFG_QUOTE_MAX ? len : CFG_QUOTE_MAX), s);
			return -EINVAL;
		}
		return ytree_attach(t, *curp, n);
	default:
		return 0;
	}
	if (rc)
		return rc;
	rc = ytree_attach(t, *curp, n);
	if (rc)
		return rc;
	if (n->type != Y_SCALAR) {
		n->parent = *curp;
		*curp = n;
	}
	return 0;
}

/* Swallow libfyaml's text output: its errors are collected instead
 * (fy_diag_set_collect_errors) and anything else is not ours to print. */
static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* Parse text into t. Returns 0, -EINVAL (errors recorded) or -ENOMEM. */
/* YAML directives (%YAML, %TAG: a line that starts with '%') are refused
 * before libfyaml sees them: a config never needs one, and libfyaml 0.8's
 * directive scanner loops forever on some malformed ones (found by
 * tests/fuzz/fuzz_config.c). A line starts wherever libfyaml may see one:
 * at the start (after a byte order mark), and after LF, CR, and YAML 1.1's
 * NEL (0x85, also as UTF-8 C2 85), LS and PS (E2 80 A8, E2 80 A9). One
 * error per such line; -EINVAL if any. Control characters are refused
 * here too (below). */
static size_t line_break_at(const unsigned char *p, const unsigned char *end)
{
	if (*p == '\n' || *p == 0x85)
		return 1;
	if (*p == '\r')
		return end - p > 1 && p[1] == '\n' ? 2 : 1;
	if (*p == 0xc2 && end - p > 1 && p[1] == 0x85)
		return 2;
	if (*p == 0xe2 && end - p > 2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

static int no_directives(struct ld *ld, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len, *bol_at = p;
	int line = 1, bad = 0;
	bool bol = true, cc_seen = false; /* p is at the start of a line */

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		size_t brk = line_break_at(p, end);

		if (bol && *p == '%') {
			ld_err_at(ld, line, 1, "YAML directives (%%YAML, %%TAG) are not supported");
			bad = -EINVAL;
		}
		/* YAML allows no C0 control character but tab and line breaks,
		 * nor DEL; libfyaml 0.8 crashes on some (a NUL after a tab in
		 * "? ::", found by fuzz_config). The first one is the error. */
		if (!brk && !cc_seen && ((*p < 0x20 && *p != '\t') || *p == 0x7f)) {
			ld_err_at(ld, line, (int)(p - bol_at) + 1,
				  "control character 0x%02x is not allowed in YAML (only tab and "
				  "line breaks are)",
				  *p);
			cc_seen = true;
			bad = -EINVAL;
		}
		bol = brk != 0;
		line += bol;
		p += brk ? brk : 1;
		if (bol)
			bol_at = p;
	}
	return bad;
}

int ytree_build(struct ld *ld, const char *text, size_t len, struct ytree *t)
{
	struct fy_diag_cfg dcfg;
	struct fy_diag *diag = NULL;
	struct fy_parser *fyp = NULL;
	struct fy_parse_cfg pcfg;
	struct ynode *cur = NULL;
	struct fy_event *e;
	unsigned ndocs = 0;
	int last_line = 0, last_col = 0;
	int rc = -ENOMEM;

	if (no_directives(ld, text, len))
		return -EINVAL;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.level = FYET_ERROR;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag)
		goto out;
	fy_diag_set_collect_errors(diag, true);

	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO;
	pcfg.diag = diag;
	fyp = fy_parser_create(&pcfg);
	if (!fyp)
		goto out;
	if (fy_parser_set_string(fyp, text, len))
		goto out;

	rc = 0;
	while (!rc && (e = fy_parser_parse(fyp))) {
		const struct fy_mark *m = fy_event_start_mark(e);

		if (m) {
			last_line = m->line + 1;
			last_col = m->column + 1;
		}
		rc = ytree_event(ld, t, &cur, e, &ndocs);
		fy_parser_event_free(fyp, e);
	}
	if (rc)
		goto out;
	if (fy_parser_get_stream_error(fyp)) {
		struct fy_diag_error *de;
		void *it = NULL;
		unsigned before = ld->nerr;

		/* A collected error's line and column are already 1-based. */
		while ((de = fy_diag_errors_iterate(diag, &it))) {
			if (de->type < FYET_ERROR)
				continue;
			ld_err_at(ld, de->line, de->column, "%s",
				  de->msg ? de->msg : "invalid YAML");
			/* libfyaml reports an unclosed bracket at the end of the
			 * input; point at the bracket too. */
			if (de->msg && strstr(de->msg, "without a closing") && cur && cur->flow)
				ld_err_at(ld, cur->line, cur->col, "this '%c' is never closed",
					  cur->flow);
		}
		if (ld->nerr == before)
			ld_err_at(ld, last_line, last_col, "invalid YAML");
		rc = -EINVAL;
	}
out:
	if (fyp)
		fy_parser_destroy(fyp);
	if (diag)
		fy_diag_destroy(diag);
	return rc;
}

/* ---------------------------------------------------------------------------
 * Typed access: each getter checks a value and records an error at it
 */

/* User text in a message: printed with "%.*s", ynode_qlen(n), n->str. */
int ynode_qlen(const struct ynode *n)
{
	return (int)(n->len < CFG_QUOTE_MAX ? n->len : CFG_QUOTE_MAX);
}

const char *ynode_kind(const struct ynode *n)
{
	if (n->type == Y_SEQ)
		return "a sequence";
	if (n->type == Y_MAP)
		return "a mapping";
	return n->null ? "empty" : "a string";
}

/* Sort the pairs of map into vals[] by ks (vals has ks->n slots, zeroed).
 * Unknown, duplicate and non-string keys are errors; their values are
 * skipped. */
void ld_map_collect(struct ld *ld, const struct ynode *map, const struct ld_keyset *ks,
		    const struct ynode **vals)
{
	for (size_t i = 0; i + 1 < map->nkids; i += 2) {
		const struct ynode *k = map->kids[i];
		size_t j;

		if (k->type != Y_SCALAR) {
			ld_err(ld, k, "a key %s must be a string, not %s", ks->where,
			       ynode_kind(k));
			continue;
		}
		for (j = 0; j < ks->n; j++)
			if (strlen(ks->names[j]) == k->len && !memcmp(ks->names[j], k->str, k->len))
				break;
		if (j == ks->n) {
			char list[200];
			size_t off = 0;

			list[0] = '\0';
			for (size_t x = 0; x < ks->n && off < sizeof(list); x++) {
				int w = snprintf(list + off, sizeof(list) - off, "%s%s",
						 x ? ", " : "", ks->names[x]);

				if (w < 0)
					break;
				off += (size_t)w;
			}
			ld_err(ld, k, "unknown key '%.*s' %s; expected one of: %s", ynode_qlen(k),
			       k->str, ks->where, list);
			continue;
		}
		if (vals[j]) {
			ld_err(ld, k, "duplicate key '%s' %s", ks->names[j], ks->where);
			continue;
		}
		vals[j] = map->kids[i + 1];
	}
}

/* v must be a non-empty scalar; what says what was expected ("a string"). */
int ld_want_scalar(struct ld *ld, const struct ynode *v, const char *key, const char *what)
{
	if (v->type != Y_SCALAR) {
		ld_err(ld, v, "'%s' must be %s, not %s", key, what, ynode_kind(v));
		return -EINVAL;
	}
	if (v->null) {
		ld_err(ld, v, "'%s' has no value; expected %s", key, what);
		return -EINVAL;
	}
	if (strlen(v->str) != v->len) {
		ld_err(ld, v, "'%s' must not contain a NUL character", key);
		return -EINVAL;
	}
	return 0;
}

/* A sequence, or empty (returns 1: nothing to walk). */
int ld_want_seq(struct ld *ld, const struct ynode *v, const char *key)
{
	if (v->type == Y_SCALAR && v->null)
		return 1;
	if (v->type != Y_SEQ) {
		ld_err(ld, v, "'%s' must be a sequence, not %s", key, ynode_kind(v));
		return -EINVAL;
	}
	return 0;
}

/* A non-empty string; replaces *out (freeing the old value). */
int ld_get_string(struct ld *ld, const struct ynode *v, const char *key, char **out)
{
	char *s;

	if (ld_want_scalar(ld, v, key, "a string"))
		return -EINVAL;
	if (!v->len) {
		ld_err(ld, v, "'%s' must not be empty", key);
		return -EINVAL;
	}
	s = strdup(v->str);
	if (!s) {
		ld->oom = true;
		return -ENOMEM;
	}
	free(*out);
	*out = s;
	return 0;
}

int ld_get_uint(struct ld *ld, const struct ynode *v, const char *key, uint64_t lo, uint64_t hi,
		uint32_t *out)
{
	uint64_t x;

	if (ld_want_scalar(ld, v, key, "an integer"))
		return -EINVAL;
	if (cfg_parse_int(v->str, &x)) {
		ld_err(ld, v, "'%s' must be an integer, got '%.*s'", key, ynode_qlen(v), v->str);
		return -EINVAL;
	}
	if (x < lo || x > hi) {
		ld_err(ld, v, "'%s' must be from %llu to %llu, got %.*s", key,
		       (unsigned long long)lo, (unsigned long long)hi, ynode_qlen(v), v->str);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

/* Sizes in messages: "64KiB", "1MiB". lo and hi are whole KiB. */
/* n bytes in its largest whole unit: "64B", "256KiB", "1MiB", "1GiB". */
static void size_text(uint32_t n, char *buf, size_t size)
{
	if (n % KIB)
		snprintf(buf, size, "%uB", n);
	else if (n % MIB)
		snprintf(buf, size, "%uKiB", n / KIB);
	else if (n % (1024 * MIB))
		snprintf(buf, size, "%uMiB", n / MIB);
	else
		snprintf(buf, size, "%uGiB", n / (1024 * MIB));
}

int ld_get_size(struct ld *ld, const struct ynode *v, const char *key, uint32_t lo, uint32_t hi,
		uint32_t *out)
{
	uint64_t x;

	if (ld_want_scalar(ld, v, key, "a size"))
		return -EINVAL;
	if (cfg_parse_size(v->str, &x)) {
		ld_err(ld, v,
		       "'%s' must be a size in bytes such as 65536, 256KiB or 1MiB, got '%.*s'",
		       key, ynode_qlen(v), v->str);
		return -EINVAL;
	}
	if (x < lo || x > hi) {
		char l[32], h[32];

		size_text(lo, l, sizeof(l));
		size_text(hi, h, sizeof(h));
		ld_err(ld, v, "'%s' must be from %s to %s, got %.*s", key, l, h, ynode_qlen(v),
		       v->str);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

int ld_get_bool(struct ld *ld, const struct ynode *v, const char *key, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};

	if (ld_want_scalar(ld, v, key, "true or false"))
		return -EINVAL;
	for (size_t i = 0; i < 3; i++) {
		if (!strcmp(v->str, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(v->str, no[i])) {
			*out = false;
			return 0;
		}
	}
	ld_err(ld, v, "'%s' must be true or false, got '%.*s'", key, ynode_qlen(v), v->str);
	return -EINVAL;
}

/* One of names[] (listed as "a, b" in the message); sets *out to its index. */
int ld_get_enum(struct ld *ld, const struct ynode *v, const char *key, const char *const *names,
		size_t n, const char *list, int *out)
{
	if (ld_want_scalar(ld, v, key, list))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v->str, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	ld_err(ld, v, "'%s' must be one of: %s; got '%.*s'", key, list, ynode_qlen(v), v->str);
	return -EINVAL;
}

struct cfg_pos ld_pos(const struct ld *ld, const struct ynode *n)
{
	struct cfg_pos p = {ld->file, n->line, n->col};

	return p;
}
