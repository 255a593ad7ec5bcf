/*
 * yaml.c - the YAML side of loading a config: the tree of struct ynode built
 * from libyaml's events, typed access to its values, and the error lines
 * every problem becomes (see internal.h).
 *
 * The tree is built here from libyaml's event parser (yaml_parser_parse),
 * each node carrying the 1-based line:col where it was written (libyaml's
 * marks count characters, so a column is a character's, not a byte's).
 * libyaml never prints: its one syntax error is read from the parser and
 * reshaped into a "FILE:LINE:COL: message" line like the rest. A problem
 * with no position (the file cannot be read) is "FILE: message".
 *
 * Ownership: the tree (struct ytree) owns every ynode through its `all`
 * list; an alias shares the anchored node, so nodes are freed from that
 * list and never by walking the tree. Each libyaml event is deleted as soon
 * as its node is made (strings are copied). The loader owns each error
 * line's text (struct ld.errv) until ld_finish() in load.c.
 */
#include "config/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CFG_QUOTE_MAX 60 /* user text quoted in a message is cut here */

/* ---------------------------------------------------------------------------
 * Errors
 */

/* The length of the line break at p (LF, CR, CRLF, and YAML 1.1's NEL, LS
 * and PS in UTF-8: C2 85, E2 80 A8, E2 80 A9), or 0. libyaml starts a new
 * line after each, so every line number here counts them all. (A lone 0x85
 * byte is no break: libyaml reads UTF-8, where it is the tail of a
 * character such as C3 85, or an error.) */
static size_t line_break_at(const unsigned char *p, const unsigned char *end)
{
	if (*p == '\n')
		return 1;
	if (*p == '\r')
		return end - p > 1 && p[1] == '\n' ? 2 : 1;
	if (*p == 0xc2 && end - p > 1 && p[1] == 0x85)
		return 2;
	if (*p == 0xe2 && end - p > 2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/* col, at most one past the end of the text's line (a column counts
 * characters, so it is never more than the line's bytes; this keeps every
 * position inside the input whatever a caller computed). */
static int col_on_line(const struct ld *ld, int line, int col)
{
	const unsigned char *p = (const unsigned char *)ld->text, *end, *eol;
	size_t brk = 0;

	if (!p)
		return col;
	end = p + ld->len;
	for (int i = 1; i < line && p < end; p += brk ? brk : 1) {
		brk = line_break_at(p, end);
		i += brk != 0;
	}
	for (eol = p; eol < end && !line_break_at(eol, end); eol++)
		;
	if (col - 1 > eol - p)
		col = (int)(eol - p) + 1;
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

/* A node at a libyaml mark (0-based line and column, counted in
 * characters), or without a position when m is NULL. */
static struct ynode *ynode_new(struct ytree *t, enum ytype type, const yaml_mark_t *m)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	if (m) {
		n->line = (int)m->line + 1;
		n->col = (int)m->column + 1;
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

/* Attach n under cur (or make it the root). A node without a position (an
 * empty scalar) borrows it from the node before it, else its parent. */
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

static int ytree_anchor(struct ytree *t, const yaml_char_t *anchor, struct ynode *n)
{
	char *name;

	if (!anchor)
		return 0;
	if (t->nanchors == t->acap) {
		size_t cap = t->acap ? t->acap * 2 : 8;
		struct yanchor *p = realloc(t->anchors, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->anchors = p;
		t->acap = cap;
	}
	name = strdup((const char *)anchor);
	if (!name)
		return -ENOMEM;
	t->anchors[t->nanchors].name = name;
	t->anchors[t->nanchors].node = n;
	t->nanchors++;
	return 0;
}

/* The node an alias names; the latest definition of an anchor wins. */
static struct ynode *ytree_lookup(const struct ytree *t, const char *name)
{
	for (size_t i = t->nanchors; i-- > 0;)
		if (!strcmp(t->anchors[i].name, name))
			return t->anchors[i].node;
	return NULL;
}

static bool scalar_is_null(yaml_scalar_style_t style, const char *s, size_t len)
{
	if (style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return len == 0 || (len == 1 && s[0] == '~') ||
	       (len == 4 &&
		(!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* Turn one parser event into tree nodes. Returns 0, -EINVAL (an error was
 * recorded; stop) or -ENOMEM. Tags are ignored: every scalar is text. */
static int ytree_event(struct ld *ld, struct ytree *t, struct ynode **curp, const yaml_event_t *e,
		       unsigned *ndocs)
{
	const yaml_mark_t *m = &e->start_mark;
	struct ynode *n = NULL;
	const char *s;
	size_t len;
	int rc;

	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs > 1) {
			ld_err_at(ld, (int)m->line + 1, (int)m->column + 1,
				  "only one YAML document is allowed in a config file");
			return -EINVAL;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		s = (const char *)e->data.scalar.value;
		len = e->data.scalar.length;
		/* A plain scalar of no characters is one libyaml implied (a
		 * key with no value, a '-' with no item): its mark is where
		 * the parser stood, so it takes its position from its
		 * neighbours instead, like a key's missing value its key. */
		if (len == 0 && e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			m = NULL;
		n = ynode_new(t, Y_SCALAR, m);
		if (!n)
			return -ENOMEM;
		n->str = malloc(len + 1);
		if (!n->str)
			return -ENOMEM;
		if (len)
			memcpy(n->str, s, len);
		n->str[len] = '\0';
		n->len = len;
		n->null = scalar_is_null(e->data.scalar.style, s, len);
		n->done = true;
		rc = ytree_anchor(t, e->data.scalar.anchor, n);
		break;
	case YAML_SEQUENCE_START_EVENT:
		n = ynode_new(t, Y_SEQ, m);
		if (!n)
			return -ENOMEM;
		if (e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE)
			n->flow = '[';
		rc = ytree_anchor(t, e->data.sequence_start.anchor, n);
		break;
	case YAML_MAPPING_START_EVENT:
		n = ynode_new(t, Y_MAP, m);
		if (!n)
			return -ENOMEM;
		if (e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
			n->flow = '{';
		rc = ytree_anchor(t, e->data.mapping_start.anchor, n);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (*curp) {
			(*curp)->done = true;
			*curp = (*curp)->parent;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		s = (const char *)e->data.alias.anchor;
		n = ytree_lookup(t, s);
		if (!n || !n->done) {
			len = strlen(s);
			ld_err_at(ld, (int)m->line + 1, (int)m->column + 1,
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

/* ---------------------------------------------------------------------------
 * Before the parser: what a config must not hold
 *
 * YAML directives (%YAML, %TAG: a line that starts with '%') are refused
 * before the parser sees them: a config never needs one (tags are ignored
 * anyway), and the library weir used before libyaml looped forever on some
 * malformed ones (found by tests/fuzz/fuzz_config.c). A line starts
 * wherever libyaml sees one: at the start (after a byte order mark), and
 * after every line break (line_break_at). One error per such line; -EINVAL
 * if any.
 *
 * C0 control characters other than tab and line breaks, and DEL, are
 * refused too, the first one at its place: YAML allows none, and this way
 * every one gets weir's own message and a position, whatever the parser
 * would make of it. A UTF-16 byte order mark is refused: a config is UTF-8
 * (libyaml would decode UTF-16, and every position here counts UTF-8).
 */
static int no_directives(struct ld *ld, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len, *bol_at = p;
	int line = 1, bad = 0;
	bool bol = true, cc_seen = false; /* p is at the start of a line */

	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff))) {
		ld_err_at(ld, 1, 1,
			  "the file starts with a UTF-16 byte order mark; a config must be UTF-8");
		return -EINVAL;
	}
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		size_t brk = line_break_at(p, end);

		if (bol && *p == '%') {
			ld_err_at(ld, line, 1, "YAML directives (%%YAML, %%TAG) are not supported");
			bad = -EINVAL;
		}
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

/* ---------------------------------------------------------------------------
 * libyaml's errors as weir's error lines
 *
 * libyaml stops at its first error and names it in the parser: a problem
 * with its mark, and often a context (what it was reading) with the mark
 * where that began. Marks are 0-based and count characters, as libyaml
 * reads lines (LF, CR, CRLF, NEL, LS, PS); a reader error (bad UTF-8) has
 * only a byte offset instead.
 */

/* The byte where the character at 0-based line:col (counted as libyaml
 * does) starts, or len when that is past the end. */
static size_t byte_of_mark(const char *text, size_t len, size_t line, size_t col)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (line && p < end) {
		size_t brk = line_break_at(p, end);

		p += brk ? brk : 1;
		line -= brk != 0;
	}
	while (col && p < end && !line_break_at(p, end)) {
		p++;
		while (p < end && (*p & 0xc0) == 0x80) /* the rest of a character */
			p++;
		col--;
	}
	return (size_t)(p - (const unsigned char *)text);
}

/* The 1-based line:col (in characters) of byte offset off. */
static void mark_of_byte(const char *text, size_t len, size_t off, int *line, int *col)
{
	const unsigned char *p = (const unsigned char *)text, *stop;

	if (off > len)
		off = len;
	stop = p + off;
	*line = *col = 1;
	if (off >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < stop) {
		size_t brk = line_break_at(p, stop);

		if (brk) {
			p += brk;
			++*line;
			*col = 1;
			continue;
		}
		*col += (*p & 0xc0) != 0x80;
		p++;
	}
}

/* Record the parser's error. A flow collection or quoted scalar still open
 * at the end of the input is also reported where it opens. */
static void ytree_syntax_error(struct ld *ld, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	size_t at, ctx;
	char what[160] = "";
	int line, col;

	if (p->error == YAML_READER_ERROR) {
		mark_of_byte(text, len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			ld_err_at(ld, line, col, "%s (0x%x)", problem, (unsigned)p->problem_value);
		else
			ld_err_at(ld, line, col, "%s", problem);
		return;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	at = byte_of_mark(text, len, p->problem_mark.line, p->problem_mark.column);
	/* Tabs: libyaml says only that a token cannot start there. */
	if (at < len && text[at] == '\t' &&
	    !strcmp(problem, "found character that cannot start any token")) {
		size_t bol = at;

		while (bol > 0 && (text[bol - 1] == ' ' || text[bol - 1] == '\t'))
			bol--;
		if (bol == 0 || text[bol - 1] == '\n' || text[bol - 1] == '\r')
			problem = "tab character may not be used as indentation";
		else
			problem = "a tab may not start a token here (YAML wants a space after '-' "
				  "and '?')";
	}
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		snprintf(what, sizeof(what), " (%s started at %d:%d)", p->context,
			 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	ld_err_at(ld, line, col, "%s%s", problem, what);
	if (!p->context)
		return;
	ctx = byte_of_mark(text, len, p->context_mark.line, p->context_mark.column);
	if (ctx >= len || !text[ctx] || !strchr("[{'\"", text[ctx]))
		return;
	line = (int)p->context_mark.line + 1;
	col = (int)p->context_mark.column + 1;
	if (at >= len) /* the input ended inside it */
		ld_err_at(ld, line, col,
			  text[ctx] == '\'' ? "this \"%c\" is never closed"
					    : "this '%c' is never closed",
			  text[ctx]);
	else if ((text[ctx] == '[' || text[ctx] == '{') &&
		 p->problem_mark.line > p->context_mark.line)
		/* A flow collection across lines: most likely its bracket is
		 * missing, and the parser ran into the next key. */
		ld_err_at(ld, line, col, "this '%c' is not closed before %d:%d", text[ctx],
			  (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1);
}

/* Parse text into t. Returns 0, -EINVAL (errors recorded) or -ENOMEM. */
int ytree_build(struct ld *ld, const char *text, size_t len, struct ytree *t)
{
	yaml_parser_t parser;
	yaml_event_t e;
	struct ynode *cur = NULL;
	unsigned ndocs = 0;
	bool end = false;
	int rc = 0;

	if (no_directives(ld, text, len))
		return -EINVAL;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""),
				     text ? len : 0);
	while (!rc && !end) {
		if (!yaml_parser_parse(&parser, &e)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				rc = -ENOMEM;
			} else {
				ytree_syntax_error(ld, &parser, text ? text : "", text ? len : 0);
				rc = -EINVAL;
			}
			break;
		}
		end = e.type == YAML_STREAM_END_EVENT;
		rc = ytree_event(ld, t, &cur, &e, &ndocs);
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&parser);
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
