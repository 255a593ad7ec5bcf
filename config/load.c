/*
 * config.c - load weir's YAML configuration into a struct cfg (see config.h).
 *
 * Two passes. First libfyaml's event parser builds a small tree of struct
 * ynode, each node carrying the 1-based line:col where it was written
 * (libfyaml 0.7.12 has no public accessor for a document node's position,
 * but its events carry marks). Then the tree is walked key by key into a
 * struct cfg pre-filled with defaults. Every problem becomes one
 * "FILE:LINE:COL: message" line and the walk goes on, so one run reports all
 * it can; the lines are handed out sorted by position. YAML syntax errors
 * are collected by a private fy_diag (libfyaml never prints) and reshaped
 * the same way. A problem with no position (the file cannot be read) is
 * "FILE: message".
 *
 * Ownership: the tree (struct ytree) owns every ynode through its `all`
 * list; an alias shares the anchored node, so nodes are freed from that
 * list and never by walking the tree. Strings are copied out of the tree
 * into the cfg. The loader (struct ld) owns the error lines until
 * ld_finish() joins them into the caller's string. Out-of-memory is a sticky flag in the loader,
 * turned into -ENOMEM at the API edge.
 */
#include "config/config.h"

#include "config/syslog_names.h"
#include "core/tzone.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#define CFG_FILE_MAX (16u << 20) /* a config file larger than this is refused */
#define CFG_ERRS_MAX 100	 /* error lines kept; the rest are counted */
#define CFG_QUOTE_MAX 60	 /* user text quoted in a message is cut here */

#define KIB 1024u
#define MIB (1024u * 1024u)

#define WINDOW_MIN 1u
#define WINDOW_MAX (30u * 86400u)

/* ---------------------------------------------------------------------------
 * Errors
 */

/* One error line, kept until all are sorted into document order. */
struct lderr {
	unsigned fileno; /* 0: the config itself; then included files in reading order */
	int line;	 /* 0 = no position: sorts first */
	int col;
	unsigned seq; /* order of finding: ties keep it */
	char *text;   /* owned; "FILE:LINE:COL: message\n" */
};

/* The loader's state while one config is read. */
struct ld {
	const char *file;     /* the file being read: FILE in messages (owned by the cfg) */
	unsigned fileno;      /* which: 0 the config, then its includes in reading order */
	unsigned depth;	      /* include nesting */
	const char *chain[8]; /* real paths of the files being included (INCLUDE_DEPTH_MAX) */
	char *top_real;	      /* the config's own real path, or NULL */
	struct lderr *errv;   /* owned, with each text */
	size_t nerrv;
	size_t cap;
	unsigned nerr; /* errors found (also those past CFG_ERRS_MAX) */
	bool oom;
	bool *broken; /* owned; [cfg->nrules]: the rule had an error of its own */
};

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
		struct lderr *v = realloc(ld->errv, cap * sizeof(*v));

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
	ld->errv[ld->nerrv++] = (struct lderr){ld->fileno, line, col, ld->nerr, text};
}

static void ld_err_at(struct ld *ld, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ld_err_at(struct ld *ld, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_verr(ld, line, col, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------------
 * The YAML tree
 */

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

/* One YAML node. Owned by struct ytree (its `all` list). */
struct ynode {
	enum ytype type;
	int line; /* 1-based; 0 when libfyaml gave no mark */
	int col;
	char *str;	     /* scalar: its text, NUL-terminated (may hold a NUL) */
	size_t len;	     /* scalar: bytes in str */
	bool null;	     /* a plain "", "~" or "null" scalar */
	bool done;	     /* collection: its end event was seen */
	char flow;	     /* collection in flow style: '[' or '{'; else 0 */
	struct ynode **kids; /* seq: items; map: key, value, key, value, ... */
	size_t nkids;
	size_t cap;
	struct ynode *parent; /* the collection it was opened in (while building) */
	struct ynode *next;   /* in ytree.all */
};

struct yanchor {
	char *name; /* owned */
	struct ynode *node;
};

/* A parsed document. Owns all nodes and anchors. */
struct ytree {
	struct ynode *all;
	struct ynode *root; /* NULL for an empty stream */
	struct yanchor *anchors;
	size_t nanchors;
	size_t acap;
};

static void ytree_free(struct ytree *t)
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
static int ytree_build(struct ld *ld, const char *text, size_t len, struct ytree *t)
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
 * Scalar parsers (pure; also used by the public duration functions)
 */

/* Decimal digits at s, no sign or space. Sets *v and *end. */
static int parse_u64(const char *s, uint64_t *v, char **end)
{
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno)
		return -EINVAL;
	*v = x;
	return 0;
}

/* An integer: digits only. */
static int parse_int(const char *s, uint64_t *v)
{
	char *end;

	if (parse_u64(s, v, &end) || *end)
		return -EINVAL;
	return 0;
}

/* A size: bytes, or a number with B, KiB, MiB or GiB. */
static int parse_size(const char *s, uint64_t *v)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
	    {"", 1}, {"B", 1}, {"KiB", KIB}, {"MiB", MIB}, {"GiB", 1024ull * MIB},
	};
	uint64_t x;
	char *end;

	if (parse_u64(s, &x, &end))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (x > UINT64_MAX / units[i].mult)
			return -EINVAL;
		*v = x * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int cfg_parse_duration(const char *s, uint32_t *secs)
{
	uint64_t x, mult;
	char *end;

	if (!s || parse_u64(s, &x, &end))
		return -EINVAL;
	if (!end[0])
		mult = 1;
	else if (end[1])
		return -EINVAL;
	else if (end[0] == 's')
		mult = 1;
	else if (end[0] == 'm')
		mult = 60;
	else if (end[0] == 'h')
		mult = 3600;
	else if (end[0] == 'd')
		mult = 86400;
	else
		return -EINVAL;
	if (x == 0 || x > UINT32_MAX / mult)
		return -EINVAL;
	*secs = (uint32_t)(x * mult);
	return 0;
}

/* Days only beyond one day: 86400 is "24h", 172800 is "2d". */
void cfg_format_duration(uint32_t secs, char *buf, size_t cap)
{
	if (!buf || !cap)
		return;
	if (secs > 86400 && secs % 86400 == 0)
		snprintf(buf, cap, "%ud", secs / 86400);
	else if (secs && secs % 3600 == 0)
		snprintf(buf, cap, "%uh", secs / 3600);
	else if (secs && secs % 60 == 0)
		snprintf(buf, cap, "%um", secs / 60);
	else
		snprintf(buf, cap, "%us", secs);
}

/* "0", "0s", "0m", ...: well formed, but no duration cfg_parse_duration takes. */
static bool duration_is_zero(const char *s)
{
	uint64_t x;
	char *end;

	return !parse_u64(s, &x, &end) && x == 0 &&
	       (!end[0] || (strchr("smhd", end[0]) && !end[1]));
}

/* "HOST:PORT" or "[IPv6]:PORT". On success *host is malloc'd. On failure
 * *why says what is wrong; returns -EINVAL, or -ENOMEM. */
static int parse_listen(const char *s, char **host, uint16_t *port, const char **why)
{
	const char *h, *hend, *p;
	uint64_t v;

	*why = "expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080";
	if (s[0] == '[') {
		h = s + 1;
		hend = strchr(h, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		p = hend + 2;
	} else {
		h = s;
		hend = strrchr(s, ':');
		if (!hend)
			return -EINVAL;
		if (memchr(h, ':', (size_t)(hend - h))) {
			*why = "an IPv6 address must be in brackets, e.g. [::1]:8080";
			return -EINVAL;
		}
		p = hend + 1;
	}
	if (hend == h) {
		*why = "the host is empty; use 0.0.0.0 for all IPv4 addresses";
		return -EINVAL;
	}
	for (const char *c = h; c < hend; c++) {
		if ((unsigned char)*c <= ' ' || *c == '/' || *c == '[' || *c == ']') {
			*why = "the host must not contain spaces, '/', '[' or ']'";
			return -EINVAL;
		}
	}
	if (parse_int(p, &v) || v > 65535) {
		*why = "the port must be a number from 0 to 65535";
		return -EINVAL;
	}
	*host = strndup(h, (size_t)(hend - h));
	if (!*host)
		return -ENOMEM;
	*port = (uint16_t)v;
	return 0;
}

static bool name_ok(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------------
 * Walking the tree into a struct cfg
 */

/* User text in a message: printed with "%.*s", qlen(n), n->str. */
static int qlen(const struct ynode *n)
{
	return (int)(n->len < CFG_QUOTE_MAX ? n->len : CFG_QUOTE_MAX);
}

static void ld_err(struct ld *ld, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ld_err(struct ld *ld, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_verr(ld, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
}

static const char *ynode_kind(const struct ynode *n)
{
	if (n->type == Y_SEQ)
		return "a sequence";
	if (n->type == Y_MAP)
		return "a mapping";
	return n->null ? "empty" : "a string";
}

/* The keys a mapping may hold. */
struct keyset {
	const char *where; /* "in rule", "at top level", ... */
	const char *const *names;
	size_t n;
};

/* Sort the pairs of map into vals[] by ks (vals has ks->n slots, zeroed).
 * Unknown, duplicate and non-string keys are errors; their values are
 * skipped. */
static void map_collect(struct ld *ld, const struct ynode *map, const struct keyset *ks,
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
			ld_err(ld, k, "unknown key '%.*s' %s; expected one of: %s", qlen(k), k->str,
			       ks->where, list);
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
static int want_scalar(struct ld *ld, const struct ynode *v, const char *key, const char *what)
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
static int want_seq(struct ld *ld, const struct ynode *v, const char *key)
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
static int get_string(struct ld *ld, const struct ynode *v, const char *key, char **out)
{
	char *s;

	if (want_scalar(ld, v, key, "a string"))
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

static int get_uint(struct ld *ld, const struct ynode *v, const char *key, uint64_t lo, uint64_t hi,
		    uint32_t *out)
{
	uint64_t x;

	if (want_scalar(ld, v, key, "an integer"))
		return -EINVAL;
	if (parse_int(v->str, &x)) {
		ld_err(ld, v, "'%s' must be an integer, got '%.*s'", key, qlen(v), v->str);
		return -EINVAL;
	}
	if (x < lo || x > hi) {
		ld_err(ld, v, "'%s' must be from %llu to %llu, got %.*s", key,
		       (unsigned long long)lo, (unsigned long long)hi, qlen(v), v->str);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

/* Sizes in messages: "64KiB", "1MiB". lo and hi are whole KiB. */
static int get_size(struct ld *ld, const struct ynode *v, const char *key, uint32_t lo, uint32_t hi,
		    uint32_t *out)
{
	uint64_t x;

	if (want_scalar(ld, v, key, "a size"))
		return -EINVAL;
	if (parse_size(v->str, &x)) {
		ld_err(ld, v,
		       "'%s' must be a size in bytes such as 65536, 256KiB or 1MiB, got '%.*s'",
		       key, qlen(v), v->str);
		return -EINVAL;
	}
	if (x < lo || x > hi) {
		char l[32], h[32];

		snprintf(l, sizeof(l), lo % MIB ? "%uKiB" : "%uMiB",
			 lo % MIB ? lo / KIB : lo / MIB);
		snprintf(h, sizeof(h), hi % MIB ? "%uKiB" : "%uMiB",
			 hi % MIB ? hi / KIB : hi / MIB);
		ld_err(ld, v, "'%s' must be from %s to %s, got %.*s", key, l, h, qlen(v), v->str);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

static int get_bool(struct ld *ld, const struct ynode *v, const char *key, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};

	if (want_scalar(ld, v, key, "true or false"))
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
	ld_err(ld, v, "'%s' must be true or false, got '%.*s'", key, qlen(v), v->str);
	return -EINVAL;
}

/* One of names[] (listed as "a, b" in the message); sets *out to its index. */
static int get_enum(struct ld *ld, const struct ynode *v, const char *key, const char *const *names,
		    size_t n, const char *list, int *out)
{
	if (want_scalar(ld, v, key, list))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v->str, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	ld_err(ld, v, "'%s' must be one of: %s; got '%.*s'", key, list, qlen(v), v->str);
	return -EINVAL;
}

static struct cfg_pos pos_of(const struct ld *ld, const struct ynode *n)
{
	struct cfg_pos p = {ld->file, n->line, n->col};

	return p;
}

static void do_listen(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	const char *why;
	char *host = NULL;
	uint16_t port;
	int rc;

	if (want_scalar(ld, v, "listen", "HOST:PORT"))
		return;
	rc = parse_listen(v->str, &host, &port, &why);
	if (rc == -ENOMEM) {
		ld->oom = true;
		return;
	}
	if (rc) {
		ld_err(ld, v, "bad 'listen' value '%.*s': %s", qlen(v), v->str, why);
		return;
	}
	free(cfg->listen_host);
	cfg->listen_host = host;
	cfg->listen_port = port;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void do_windows(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	uint32_t *w;
	size_t n = 0, out = 0;
	bool bad = false;
	int rc;

	rc = want_seq(ld, v, "windows");
	if (rc < 0)
		return;
	if (rc > 0 || !v->nkids) {
		ld_err(ld, v, "'windows' must list at least one window");
		return;
	}
	w = calloc(v->nkids, sizeof(*w));
	if (!w) {
		ld->oom = true;
		return;
	}
	for (size_t i = 0; i < v->nkids; i++) {
		const struct ynode *it = v->kids[i];
		char lo[16], hi[16];

		if (want_scalar(ld, it, "windows", "a duration such as 10s, 5m, 1h or 1d")) {
			bad = true;
			continue;
		}
		if (cfg_parse_duration(it->str, &w[n]) && !duration_is_zero(it->str)) {
			ld_err(ld, it,
			       "bad duration '%.*s' in 'windows'; expected e.g. 10s, 5m, 1h, 1d",
			       qlen(it), it->str);
			bad = true;
			continue;
		}
		if (duration_is_zero(it->str) || w[n] < WINDOW_MIN || w[n] > WINDOW_MAX) {
			cfg_format_duration(WINDOW_MIN, lo, sizeof(lo));
			cfg_format_duration(WINDOW_MAX, hi, sizeof(hi));
			ld_err(ld, it,
			       "window '%.*s' is out of range; windows must be from %s to %s",
			       qlen(it), it->str, lo, hi);
			bad = true;
			continue;
		}
		n++;
	}
	if (!bad) {
		qsort(w, n, sizeof(*w), cmp_u32);
		for (size_t i = 0; i < n; i++)
			if (!out || w[i] != w[out - 1])
				w[out++] = w[i];
		if (out > CFG_MAX_WINDOWS) {
			ld_err(ld, v,
			       "'windows' lists %zu different windows; at most %d are allowed", out,
			       CFG_MAX_WINDOWS);
		} else {
			memcpy(cfg->windows, w, out * sizeof(*w));
			cfg->nwindows = out;
		}
	}
	free(w);
}

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
/* `time:` values, in enum cfg_time order from CFG_TIME_ARRIVAL. */
static const char *const time_names[] = {"arrival", "event"};
static const char *const source_formats[CFG_FORMAT_N] = {
    "raw", "syslog", "combined", "common", "json", "logfmt"}; /* enum cfg_format order */

const char *cfg_format_name(enum cfg_format f)
{
	return (unsigned)f < CFG_FORMAT_N ? source_formats[f] : "?";
}

int cfg_format_parse(const char *s, enum cfg_format *out)
{
	for (int i = 0; i < CFG_FORMAT_N; i++)
		if (!strcmp(s, source_formats[i])) {
			*out = (enum cfg_format)i;
			return 0;
		}
	return -EINVAL;
}

/* rate: a decimal number above 0 (200, 0.5, 1e3). */
static void do_rate(struct ld *ld, const struct ynode *v, double *out)
{
	char *end;
	double d;

	if (want_scalar(ld, v, "rate", "a number of lines per second"))
		return;
	errno = 0;
	d = strtod(v->str, &end);
	/* strtod also takes "inf", "nan", hex and leading space: refuse those. */
	if (end == v->str || *end || errno || !(d > 0) || !strchr("0123456789.", v->str[0]) ||
	    strspn(v->str, "0123456789.eE+-") != v->len) {
		ld_err(ld, v, "'rate' must be a number of lines per second above 0, got '%.*s'",
		       qlen(v), v->str);
		return;
	}
	*out = d;
}

/* One entry of `path:` or `exclude:`: a non-empty string; a path must also
 * be absolute. what names the expected value in a message. */
static int list_item_ok(struct ld *ld, const struct ynode *it, const char *key, const char *what,
			bool absolute)
{
	if (want_scalar(ld, it, key, what))
		return -EINVAL;
	if (!it->len) {
		ld_err(ld, it, "'%s' must not be empty", key);
		return -EINVAL;
	}
	if (absolute && it->str[0] != '/') {
		ld_err(ld, it, "'%s' must be an absolute path, got '%.*s'", key, qlen(it), it->str);
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
			ld_err(ld, it, "'%s' lists '%.*s' twice (first at line %d)", key, qlen(it),
			       it->str, v->kids[j]->line);
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

int cfg_parse_listen(const char *url, struct cfg_listen *out, char *why, size_t whylen)
{
	const char *rest, *colon;
	char *end;
	unsigned long port;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "unix://", 7)) {
		rest = url + 7;
		out->kind = CFG_LISTEN_UNIX;
		if (rest[0] != '/') {
			snprintf(why, whylen,
				 "a unix:// URL needs an absolute path, as in "
				 "unix:///run/weir/log.sock");
			return -EINVAL;
		}
		if (strlen(rest) >= sizeof(out->path)) {
			snprintf(why, whylen, "the socket path is longer than %zu bytes",
				 sizeof(out->path) - 1);
			return -EINVAL;
		}
		strcpy(out->path, rest);
		return 0;
	}
	if (!strncmp(url, "udp://", 6)) {
		out->kind = CFG_LISTEN_UDP;
	} else if (!strncmp(url, "tcp://", 6)) {
		out->kind = CFG_LISTEN_TCP;
	} else {
		snprintf(why, whylen, "expected udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH");
		return -EINVAL;
	}
	rest = url + 6;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (!close || close[1] != ':') {
			snprintf(why, whylen, "an IPv6 address goes in brackets: %.3s://[::1]:5514",
				 url);
			return -EINVAL;
		}
		hl = (size_t)(close - rest - 1);
		rest++;
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (colon && memchr(rest, ':', (size_t)(colon - rest))) {
			snprintf(why, whylen, "an IPv6 address goes in brackets: %.3s://[::1]:5514",
				 url);
			return -EINVAL;
		}
		if (!colon) {
			snprintf(why, whylen, "missing ':PORT', as in %.3s://0.0.0.0:5514", url);
			return -EINVAL;
		}
		hl = (size_t)(colon - rest);
	}
	if (!hl || hl >= sizeof(out->host)) {
		snprintf(why, whylen, "missing or over-long host");
		return -EINVAL;
	}
	memcpy(out->host, rest, hl);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535 || port == 0) {
		snprintf(why, whylen, "the port must be a number from 1 to 65535");
		return -EINVAL;
	}
	out->port = (uint16_t)port;
	{
		unsigned char a[16];

		if (inet_pton(AF_INET, out->host, a) != 1 &&
		    inet_pton(AF_INET6, out->host, a) != 1) {
			snprintf(why, whylen, "'%s' is not a numeric IPv4 or IPv6 address",
				 out->host);
			return -EINVAL;
		}
	}
	return 0;
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

	if (want_scalar(ld, v, "idle_timeout", "a duration such as 5m, or 0"))
		return;
	if (duration_is_zero(v->str))
		*out = 0;
	else if (cfg_parse_duration(v->str, &secs) || secs > 7 * 86400)
		ld_err(ld, v, "'idle_timeout' must be 0 or a duration up to 7d, got '%.*s'",
		       qlen(v), v->str);
	else
		*out = secs;
}

/* timezone: UTC, local, +hh:mm, or a tz database name; loaded here so a
 * zone that does not exist is an error at its position. */
static void do_timezone(struct ld *ld, const struct ynode *v, struct cfg_source *src)
{
	char why[200];
	int rc;

	if (get_string(ld, v, "timezone", &src->timezone))
		return;
	rc = tz_zone_load(src->timezone, &src->zone, why, sizeof(why));
	if (rc == -ENOMEM)
		ld->oom = true;
	else if (rc)
		ld_err(ld, v,
		       "bad 'timezone' '%.*s': %s; expected UTC, local, an offset such as "
		       "+02:00, or a zone name such as Europe/Berlin",
		       qlen(v), v->str, why);
}

static void do_source(struct ld *ld, struct cfg *cfg, const struct ynode *map, size_t idx)
{
	static const struct keyset ks = {"in source", source_keys, SK_N};
	struct cfg_source *src = &cfg->sources[idx];
	const struct ynode *v[SK_N] = {0};
	bool type_ok = true;
	int x;

	src->pos = pos_of(ld, map);
	src->max_connections = 4096;
	map_collect(ld, map, &ks, v);

	if (!v[SK_NAME]) {
		ld_err(ld, map, "missing required key 'name' in source");
	} else if (!get_string(ld, v[SK_NAME], "name", &src->name)) {
		if (!name_ok(src->name, strlen(src->name))) {
			ld_err(
			    ld, v[SK_NAME],
			    "source name '%.*s' may only contain letters, digits, '_', '.' and '-'",
			    qlen(v[SK_NAME]), v[SK_NAME]->str);
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
		if (get_enum(ld, v[SK_TYPE], "type", source_types, 3, "file, demo, syslog", &x))
			type_ok = false;
		else
			src->type = (enum cfg_source_type)x;
	}
	if (v[SK_START] &&
	    !get_enum(ld, v[SK_START], "start", source_starts, 2, "beginning, end", &x))
		src->start = (enum cfg_start)x;
	if (v[SK_FORMAT] && !get_enum(ld, v[SK_FORMAT], "format", source_formats, CFG_FORMAT_N,
				      "raw, syslog, combined, common, json, logfmt", &x))
		src->format = (enum cfg_format)x;
	else if (src->type == CFG_SOURCE_SYSLOG)
		src->format = CFG_FORMAT_SYSLOG;
	src->flush_after_s = 5;
	if (v[SK_FLUSH] && !want_scalar(ld, v[SK_FLUSH], "flush_after", "a duration such as 5s")) {
		uint32_t secs;

		if (cfg_parse_duration(v[SK_FLUSH]->str, &secs) || secs > 86400)
			ld_err(ld, v[SK_FLUSH],
			       "'flush_after' must be a duration from 1s to 24h, got '%.*s'",
			       qlen(v[SK_FLUSH]), v[SK_FLUSH]->str);
		else
			src->flush_after_s = secs;
	}
	src->time = CFG_TIME_ARRIVAL;
	if (v[SK_TIME] && !get_enum(ld, v[SK_TIME], "time", time_names, 2, "arrival, event", &x))
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
			get_uint(ld, v[SK_MAXCONN], "max_connections", 1, 65536,
				 &src->max_connections);
		if (v[SK_IDLE])
			do_idle_timeout(ld, v[SK_IDLE], &src->idle_timeout_s);
	} else {
		src->rate = 200;
		if (v[SK_RATE])
			do_rate(ld, v[SK_RATE], &src->rate);
	}
}

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

/* A field name: what JSON keys and logfmt keys usually are. */
static bool field_name_ok(const char *s, size_t len)
{
	if (!len || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@'))
			return false;
	}
	return true;
}

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

	if (!parse_int(s, &x))
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
	return !slash || (!parse_int(slash + 1, &bits) && bits <= (uint64_t)fam);
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

	w->pos = pos_of(ld, v);
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

		if (want_scalar(ld, it, key, "a value"))
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
		if (k->type != Y_SCALAR || !field_name_ok(k->str, k->len)) {
			ld_err(ld, k,
			       "'%.*s' is not a field name (letters, digits, '_', '.', '-', '@')",
			       qlen(k), k->str);
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
	if (want_scalar(ld, v, key, "a field name"))
		return;
	if (!field_name_ok(v->str, v->len)) {
		ld_err(ld, v,
		       "'%s' wants a field name (letters, digits, '_', '.', '-', '@'), got '%.*s'",
		       key, qlen(v), v->str);
		return;
	}
	*pos = pos_of(ld, v);
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

	if (want_scalar(ld, v, "unit", "a unit such as ms"))
		return;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(v->str, units[i].name)) {
			rule->value_scale = units[i].scale;
			rule->value_unit = units[i].base;
			return;
		}
	ld_err(ld, v,
	       "unknown unit '%.*s'; expected ns, us, ms, s, m, h, b, kb, mb, gb, kib, mib, gib",
	       qlen(v), v->str);
}
static const char *const rule_flags[] = {"caseless", "dotall", "utf8"}; /* bit order */

static void do_rule(struct ld *ld, struct cfg *cfg, const struct ynode *map, size_t idx)
{
	static const struct keyset ks = {"in rule", rule_keys, RK_N};
	struct cfg_rule *rule = &cfg->rules[idx];
	const struct ynode *v[RK_N] = {0};
	bool caseless;
	int x;

	rule->pos = pos_of(ld, map);
	map_collect(ld, map, &ks, v);

	if (!v[RK_NAME]) {
		ld_err(ld, map, "missing required key 'name' in rule");
	} else if (!get_string(ld, v[RK_NAME], "name", &rule->name)) {
		if (!name_ok(rule->name, strlen(rule->name))) {
			ld_err(
			    ld, v[RK_NAME],
			    "rule name '%.*s' may only contain letters, digits, '_', '.' and '-'",
			    qlen(v[RK_NAME]), v[RK_NAME]->str);
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
		rule->match_pos = pos_of(ld, v[RK_MATCH]);
		get_string(ld, v[RK_MATCH], "match", &rule->match);
	}
	if (v[RK_FLAGS] && !want_seq(ld, v[RK_FLAGS], "flags")) {
		for (size_t i = 0; i < v[RK_FLAGS]->nkids; i++)
			if (!get_enum(ld, v[RK_FLAGS]->kids[i], "flags", rule_flags, 3,
				      "caseless, dotall, utf8", &x))
				rule->flags |= 1u << x;
	}
	if (v[RK_CASELESS] && !get_bool(ld, v[RK_CASELESS], "caseless", &caseless)) {
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
			get_uint(ld, v[RK_TOPK], "top_k", 1, 1000, &rule->top_k);
	}
	if (v[RK_DISTINCT])
		get_field(ld, v[RK_DISTINCT], "distinct", &rule->distinct, &rule->distinct_pos);
	if (v[RK_TIME] && !get_enum(ld, v[RK_TIME], "time", time_names, 2, "arrival, event", &x))
		rule->time = (enum cfg_time)(CFG_TIME_ARRIVAL + x);
}

/* Walk the entries of a sequence of mappings (sources or rules) whose
 * array the caller has allocated with one slot per entry. */
static void do_each(struct ld *ld, struct cfg *cfg, const struct ynode *v, const char *key,
		    const char *what,
		    void (*one)(struct ld *, struct cfg *, const struct ynode *, size_t))
{
	for (size_t i = 0; i < v->nkids && !ld->oom; i++) {
		if (v->kids[i]->type != Y_MAP) {
			ld_err(ld, v->kids[i],
			       "each entry of '%s' must be a mapping (a %s), not %s", key, what,
			       ynode_kind(v->kids[i]));
			continue;
		}
		one(ld, cfg, v->kids[i], i);
	}
}

static const char *const tuning_keys[] = {"workers", "batch_size", "max_line", "tick_ms",
					  "max_files"};
enum { TK_WORKERS, TK_BATCH, TK_MAXLINE, TK_TICK, TK_MAXFILES, TK_N };

static void do_tuning(struct ld *ld, struct cfg *cfg, const struct ynode *map)
{
	static const struct keyset ks = {"in tuning", tuning_keys, TK_N};
	const struct ynode *v[TK_N] = {0};
	bool batch_ok = true, line_ok = true;

	if (map->type == Y_SCALAR && map->null)
		return;
	if (map->type != Y_MAP) {
		ld_err(ld, map, "'tuning' must be a mapping, not %s", ynode_kind(map));
		return;
	}
	map_collect(ld, map, &ks, v);
	if (v[TK_WORKERS])
		get_uint(ld, v[TK_WORKERS], "workers", 0, 64, &cfg->workers);
	if (v[TK_BATCH])
		batch_ok =
		    !get_size(ld, v[TK_BATCH], "batch_size", 64 * KIB, 4 * MIB, &cfg->batch_size);
	if (v[TK_MAXLINE])
		line_ok = !get_size(ld, v[TK_MAXLINE], "max_line", KIB, MIB, &cfg->max_line);
	if (v[TK_TICK])
		get_uint(ld, v[TK_TICK], "tick_ms", 100, 10000, &cfg->tick_ms);
	if (v[TK_MAXFILES])
		get_uint(ld, v[TK_MAXFILES], "max_files", 1, 1048576, &cfg->max_files);
	if (batch_ok && line_ok && cfg->max_line >= cfg->batch_size / 2)
		ld_err(ld, v[TK_MAXLINE] ? v[TK_MAXLINE] : v[TK_BATCH],
		       "'max_line' (%u) must be less than half of 'batch_size' (%u / 2 = %u); "
		       "lower max_line or raise batch_size",
		       cfg->max_line, cfg->batch_size, cfg->batch_size / 2);
}

static const char *const http_keys[] = {"token_file",	   "auth_reads", "tls_cert", "tls_key",
					"max_connections", "timeout",	 "nice"};
enum { HK_TOKEN, HK_AUTH_READS, HK_CERT, HK_KEY, HK_MAXCONN, HK_TIMEOUT, HK_NICE, HK_N };

/* A file path given relative to the config: made relative to its directory. */
static void get_path(struct ld *ld, const struct ynode *v, const char *key, char **out)
{
	char *s = NULL, *dir, *full;
	const char *slash;

	if (get_string(ld, v, key, &s))
		return;
	free(*out);
	*out = s;
	slash = strrchr(ld->file ? ld->file : "", '/');
	if (s[0] == '/' || !slash)
		return;
	dir = strndup(ld->file, (size_t)(slash - ld->file));
	full = dir ? malloc(strlen(dir) + strlen(s) + 2) : NULL;
	if (!full) {
		free(dir);
		ld->oom = true;
		return;
	}
	sprintf(full, "%s/%s", dir, s);
	free(dir);
	free(s);
	*out = full;
}

static void do_http(struct ld *ld, struct cfg *cfg, const struct ynode *map)
{
	static const struct keyset ks = {"in http", http_keys, HK_N};
	const struct ynode *v[HK_N] = {0};
	uint32_t secs;

	if (map->type == Y_SCALAR && map->null)
		return;
	if (map->type != Y_MAP) {
		ld_err(ld, map, "'http' must be a mapping, not %s", ynode_kind(map));
		return;
	}
	map_collect(ld, map, &ks, v);
	if (v[HK_TOKEN])
		get_path(ld, v[HK_TOKEN], "token_file", &cfg->http_token_file);
	if (v[HK_AUTH_READS])
		get_bool(ld, v[HK_AUTH_READS], "auth_reads", &cfg->http_auth_reads);
	if (v[HK_CERT])
		get_path(ld, v[HK_CERT], "tls_cert", &cfg->http_tls_cert);
	if (v[HK_KEY])
		get_path(ld, v[HK_KEY], "tls_key", &cfg->http_tls_key);
	if (v[HK_MAXCONN])
		get_uint(ld, v[HK_MAXCONN], "max_connections", 1, 65536,
			 &cfg->http_max_connections);
	if (v[HK_TIMEOUT] && !want_scalar(ld, v[HK_TIMEOUT], "timeout", "a duration such as 30s")) {
		if (cfg_parse_duration(v[HK_TIMEOUT]->str, &secs) || secs > 3600)
			ld_err(ld, v[HK_TIMEOUT],
			       "'timeout' must be a duration from 1s to 1h, got '%.*s'",
			       qlen(v[HK_TIMEOUT]), v[HK_TIMEOUT]->str);
		else
			cfg->http_timeout_s = secs;
	}
	if (v[HK_NICE])
		get_uint(ld, v[HK_NICE], "nice", 0, 19, &cfg->http_nice);
	if (!cfg->http_tls_cert != !cfg->http_tls_key)
		ld_err(ld, map, "'tls_cert' and 'tls_key' go together: give both or neither");
	if (cfg->http_auth_reads && !cfg->http_token_file)
		ld_err(ld, v[HK_AUTH_READS], "'auth_reads' needs a 'token_file'");
}

static const char *const top_keys[] = {
    "listen",  "state_dir", "checkpoint_interval", "windows", "sources", "rules", "tuning",
    "include", "lateness",  "max_future",	   "http"};
enum {
	TOP_LISTEN,
	TOP_STATE_DIR,
	TOP_CHECKPOINT,
	TOP_WINDOWS,
	TOP_SOURCES,
	TOP_RULES,
	TOP_TUNING,
	TOP_INCLUDE,
	TOP_LATENESS,
	TOP_MAX_FUTURE,
	TOP_HTTP,
	TOP_N
};

#define INCLUDE_DEPTH_MAX 8
#define INCLUDE_FILES_MAX 1024

static int read_all(const char *path, char **bufp, size_t *lenp);
static void do_include(struct ld *ld, struct cfg *cfg, const struct ynode *v);

/* Append the rules of the sequence v to cfg->rules. */
static void do_rules(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	struct cfg_rule *r;
	bool *b;
	size_t base = cfg->nrules;

	if (want_seq(ld, v, "rules") || !v->nkids)
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

static const char *const include_keys[] = {"rules", "include"};

/* Read one included file: a mapping of `rules:` and `include:` only. */
static void include_file(struct ld *ld, struct cfg *cfg, const char *path, const struct ynode *at)
{
	static const struct keyset ks = {"in an included file", include_keys, 2};
	const struct ynode *v[2] = {0};
	const char *file = ld->file;
	unsigned fileno = ld->fileno;
	struct ytree tree = {0};
	char *text = NULL, **inc;
	size_t len = 0;
	int rc;

	char *rp = realpath(path, NULL);
	bool loop = rp && ld->top_real && !strcmp(rp, ld->top_real);

	for (unsigned i = 0; rp && i < ld->depth && !loop; i++)
		loop = !strcmp(ld->chain[i], rp);
	if (loop) {
		ld_err(ld, at, "include '%s' includes itself (an include loop)", path);
		free(rp);
		return;
	}
	if (ld->depth >= INCLUDE_DEPTH_MAX || cfg->nincludes >= INCLUDE_FILES_MAX) {
		ld_err(ld, at, "include '%s': more than %u levels or %u files", path,
		       INCLUDE_DEPTH_MAX, INCLUDE_FILES_MAX);
		free(rp);
		return;
	}
	rc = read_all(path, &text, &len);
	if (rc) {
		ld_err(ld, at, "include '%s': cannot read: %s", path,
		       rc == -EFBIG ? "too large" : strerror(-rc));
		free(rp);
		return;
	}
	inc = realloc(cfg->includes, (cfg->nincludes + 1) * sizeof(*inc));
	if (!inc || !(inc[cfg->nincludes] = strdup(path))) {
		if (inc)
			cfg->includes = inc;
		free(text);
		free(rp);
		ld->oom = true;
		return;
	}
	cfg->includes = inc;
	ld->file = cfg->includes[cfg->nincludes++];
	ld->fileno = (unsigned)cfg->nincludes;
	ld->chain[ld->depth++] = rp ? rp : "";
	if (!ytree_build(ld, text, len, &tree) && tree.root &&
	    !(tree.root->type == Y_SCALAR && tree.root->null)) {
		if (tree.root->type != Y_MAP) {
			ld_err(ld, tree.root,
			       "an included file must be a mapping (rules:, include:), not %s",
			       ynode_kind(tree.root));
		} else {
			map_collect(ld, tree.root, &ks, v);
			if (v[1])
				do_include(ld, cfg, v[1]);
			if (v[0])
				do_rules(ld, cfg, v[0]);
		}
	}
	ytree_free(&tree);
	free(text);
	ld->depth--;
	free(rp);
	ld->file = file;
	ld->fileno = fileno;
}

/* include: one path or glob, or a list; relative ones are taken from the
 * directory of the file that names them. A glob matching nothing is an
 * error (a typo would silently drop rules). */
static void do_include(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	size_t n = v->type == Y_SEQ ? v->nkids : 1;

	if (v->type == Y_MAP) {
		ld_err(ld, v, "'include' must be a path or a list of paths");
		return;
	}
	for (size_t i = 0; i < n && !ld->oom; i++) {
		const struct ynode *it = v->type == Y_SEQ ? v->kids[i] : v;
		const char *slash = strrchr(ld->file, '/');
		char path[4096];
		glob_t g;
		int rc;

		if (want_scalar(ld, it, "include", "a path") || !it->len)
			continue;
		if (it->str[0] == '/' || !slash)
			rc = snprintf(path, sizeof(path), "%s", it->str);
		else
			rc = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - ld->file),
				      ld->file, it->str);
		if (rc < 0 || (size_t)rc >= sizeof(path)) {
			ld_err(ld, it, "include path too long");
			continue;
		}
		if (!strpbrk(it->str, "*?[")) {
			include_file(ld, cfg, path, it);
			continue;
		}
		rc = glob(path, 0, NULL, &g);
		if (rc == GLOB_NOMATCH) {
			ld_err(ld, it, "include '%s' matches no file", path);
			continue;
		}
		if (rc) {
			ld_err(ld, it, "include '%s': cannot read the directory", path);
			continue;
		}
		for (size_t k = 0; k < g.gl_pathc; k++)
			include_file(ld, cfg, g.gl_pathv[k], it);
		globfree(&g);
	}
}

#define CHECKPOINT_MAX 3600u

static void do_checkpoint(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	uint32_t secs;

	if (want_scalar(ld, v, "checkpoint_interval", "a duration such as 5s"))
		return;
	if (cfg_parse_duration(v->str, &secs) || secs > CHECKPOINT_MAX) {
		ld_err(ld, v, "'checkpoint_interval' must be a duration from 1s to 1h, got '%.*s'",
		       qlen(v), v->str);
		return;
	}
	cfg->checkpoint_s = secs;
}

#define LATENESS_MAX 3600u
#define MAX_FUTURE_MAX 86400u

/* lateness: 0 or a duration up to 1h; max_future: 1s to 1d. */
static void do_lateness(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	uint32_t secs;

	if (want_scalar(ld, v, "lateness", "a duration such as 1m, or 0"))
		return;
	if (duration_is_zero(v->str))
		cfg->lateness_s = 0;
	else if (cfg_parse_duration(v->str, &secs) || secs > LATENESS_MAX)
		ld_err(ld, v, "'lateness' must be 0 or a duration up to 1h, got '%.*s'", qlen(v),
		       v->str);
	else
		cfg->lateness_s = secs;
}

static void do_max_future(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	uint32_t secs;

	if (want_scalar(ld, v, "max_future", "a duration such as 5m"))
		return;
	if (cfg_parse_duration(v->str, &secs) || secs > MAX_FUTURE_MAX)
		ld_err(ld, v, "'max_future' must be a duration from 1s to 1d, got '%.*s'", qlen(v),
		       v->str);
	else
		cfg->max_future_s = secs;
}

static void do_top(struct ld *ld, struct cfg *cfg, const struct ynode *root)
{
	static const struct keyset ks = {"at top level", top_keys, TOP_N};
	const struct ynode *v[TOP_N] = {0};

	if (!root || (root->type == Y_SCALAR && root->null))
		return; /* an empty file: all defaults */
	if (root->type != Y_MAP) {
		ld_err(ld, root,
		       "the top level must be a mapping (listen:, sources:, rules:, ...), "
		       "not %s",
		       ynode_kind(root));
		return;
	}
	map_collect(ld, root, &ks, v);
	if (v[TOP_LISTEN])
		do_listen(ld, cfg, v[TOP_LISTEN]);
	if (v[TOP_STATE_DIR])
		get_string(ld, v[TOP_STATE_DIR], "state_dir", &cfg->state_dir);
	if (v[TOP_CHECKPOINT])
		do_checkpoint(ld, cfg, v[TOP_CHECKPOINT]);
	if (v[TOP_WINDOWS])
		do_windows(ld, cfg, v[TOP_WINDOWS]);
	if (v[TOP_LATENESS])
		do_lateness(ld, cfg, v[TOP_LATENESS]);
	if (v[TOP_MAX_FUTURE])
		do_max_future(ld, cfg, v[TOP_MAX_FUTURE]);
	if (v[TOP_SOURCES] && !want_seq(ld, v[TOP_SOURCES], "sources") && v[TOP_SOURCES]->nkids) {
		cfg->sources = calloc(v[TOP_SOURCES]->nkids, sizeof(*cfg->sources));
		if (!cfg->sources) {
			ld->oom = true;
			return;
		}
		cfg->nsources = v[TOP_SOURCES]->nkids;
		do_each(ld, cfg, v[TOP_SOURCES], "sources", "source", do_source);
	}
	if (v[TOP_RULES])
		do_rules(ld, cfg, v[TOP_RULES]);
	if (v[TOP_INCLUDE])
		do_include(ld, cfg, v[TOP_INCLUDE]);
	if (v[TOP_TUNING])
		do_tuning(ld, cfg, v[TOP_TUNING]);
	if (v[TOP_HTTP])
		do_http(ld, cfg, v[TOP_HTTP]);
}

/* ---------------------------------------------------------------------------
 * Public API
 */

static struct cfg *cfg_new_defaults(const char *name)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->file = strdup(name);
	cfg->listen_host = strdup("127.0.0.1");
	cfg->state_dir = strdup("/var/lib/weir");
	if (!cfg->file || !cfg->listen_host || !cfg->state_dir) {
		cfg_free(cfg);
		return NULL;
	}
	cfg->listen_port = 8080;
	cfg->windows[0] = 10;
	cfg->windows[1] = 60;
	cfg->windows[2] = 300;
	cfg->windows[3] = 900;
	cfg->windows[4] = 3600;
	cfg->windows[5] = 86400;
	cfg->nwindows = 6;
	cfg->workers = 0;
	cfg->batch_size = 256 * KIB;
	cfg->max_line = 64 * KIB;
	cfg->tick_ms = 1000;
	cfg->max_files = 8192;
	cfg->checkpoint_s = 5;
	cfg->http_max_connections = 256;
	cfg->http_timeout_s = 30;
	cfg->http_nice = 19;
	cfg->lateness_s = 60;
	cfg->max_future_s = 300;
	return cfg;
}

static int cmp_lderr(const void *a, const void *b)
{
	const struct lderr *x = a, *y = b;

	if (x->fileno != y->fileno)
		return x->fileno < y->fileno ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Hand the loader's errors to the caller (or drop them), sorted into
 * document order, then a line for errors past CFG_ERRS_MAX and one for
 * out-of-memory. Frees the loader's error list. */
static void ld_finish(struct ld *ld, char **errs)
{
	char tail[2][160];
	size_t len = 0, off = 0;
	char *s;

	tail[0][0] = tail[1][0] = '\0';
	if (ld->nerr > CFG_ERRS_MAX)
		snprintf(tail[0], sizeof(tail[0]), "%s: %u more errors not shown\n", ld->file,
			 ld->nerr - CFG_ERRS_MAX);
	if (ld->oom)
		snprintf(tail[1], sizeof(tail[1]), "%s: out of memory while loading the config\n",
			 ld->file);
	if (ld->nerrv)
		qsort(ld->errv, ld->nerrv, sizeof(*ld->errv), cmp_lderr);
	for (size_t i = 0; i < ld->nerrv; i++)
		len += strlen(ld->errv[i].text);
	len += strlen(tail[0]) + strlen(tail[1]);
	s = errs ? malloc(len + 1) : NULL;
	if (s) {
		for (size_t i = 0; i < ld->nerrv; i++) {
			size_t n = strlen(ld->errv[i].text);

			memcpy(s + off, ld->errv[i].text, n);
			off += n;
		}
		for (size_t i = 0; i < 2; i++) {
			size_t n = strlen(tail[i]);

			memcpy(s + off, tail[i], n);
			off += n;
		}
		s[off] = '\0';
	}
	if (errs)
		*errs = s;
	for (size_t i = 0; i < ld->nerrv; i++)
		free(ld->errv[i].text);
	free(ld->errv);
	ld->errv = NULL;
	ld->nerrv = ld->cap = 0;
}

/* Partial loads: free the rules marked in broken and close the gaps. They
 * go through cfg_free, so every field a rule owns is freed. 0 or -ENOMEM. */
static int drop_broken_rules(struct cfg *cfg, const bool *broken)
{
	struct cfg *bin;
	size_t n = 0;

	if (!cfg->nrules)
		return 0;
	bin = calloc(1, sizeof(*bin));
	if (!bin || !(bin->rules = calloc(cfg->nrules, sizeof(*bin->rules)))) {
		free(bin);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->nrules; i++) {
		if (broken[i])
			bin->rules[bin->nrules++] = cfg->rules[i];
		else
			cfg->rules[n++] = cfg->rules[i];
	}
	cfg->nrules = n;
	cfg_free(bin);
	return 0;
}

/* Load text into a new cfg. partial: a config with errors (-EINVAL) still
 * comes back in *out, less its broken rules (cfg_load_file_partial). */
static int load_text(const char *name, const char *text, size_t len, bool partial, struct cfg **out,
		     char **errs)
{
	struct ytree tree = {0};
	struct ld ld = {0};
	struct cfg *cfg;
	int rc;

	*out = NULL;
	if (errs)
		*errs = NULL;
	cfg = cfg_new_defaults(name ? name : "<string>");
	if (!cfg)
		return -ENOMEM;
	ld.file = cfg->file;
	ld.top_real = realpath(cfg->file, NULL); /* NULL when not a file */
	rc = ytree_build(&ld, text ? text : "", text ? len : 0, &tree);
	if (!rc)
		do_top(&ld, cfg, tree.root);
	ytree_free(&tree);
	free(ld.top_real);
	if (ld.oom || rc == -ENOMEM)
		rc = -ENOMEM;
	else if (ld.nerr)
		rc = -EINVAL;
	if (rc == -EINVAL && partial && drop_broken_rules(cfg, ld.broken))
		rc = -ENOMEM;
	free(ld.broken);
	if (rc) {
		ld.oom = rc == -ENOMEM;
		ld_finish(&ld, errs);
		if (rc == -EINVAL && partial) {
			*out = cfg;
			return rc;
		}
		cfg_free(cfg);
		return rc;
	}
	ld_finish(&ld, NULL);
	*out = cfg;
	return 0;
}

int cfg_load_string(const char *name, const char *text, size_t len, struct cfg **out, char **errs)
{
	return load_text(name, text, len, false, out, errs);
}

/* Read all of path into a malloc'd buffer, at most CFG_FILE_MAX bytes. */
static int read_all(const char *path, char **bufp, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *p;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (len == cap || !buf) {
			if (buf)
				cap *= 2;
			p = realloc(buf, cap + 1);
			if (!p) {
				rc = -ENOMEM;
				goto err;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CFG_FILE_MAX) {
			rc = -EFBIG;
			goto err;
		}
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
err:
	free(buf);
	close(fd);
	return rc;
}

static int load_file(const char *path, bool partial, struct cfg **out, char **errs)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (errs)
		*errs = NULL;
	rc = read_all(path, &text, &len);
	if (rc) {
		struct ld ld = {.file = path};

		if (rc == -EFBIG)
			ld_err_at(&ld, 0, 0, "cannot read: larger than %u MiB", CFG_FILE_MAX / MIB);
		else
			ld_err_at(&ld, 0, 0, "cannot read: %s", strerror(-rc));
		ld_finish(&ld, errs);
		return rc;
	}
	rc = load_text(path, text, len, partial, out, errs);
	free(text);
	return rc;
}

int cfg_load_file(const char *path, struct cfg **out, char **errs)
{
	return load_file(path, false, out, errs);
}

int cfg_load_file_partial(const char *path, struct cfg **out, char **errs)
{
	return load_file(path, true, out, errs);
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

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->http_token_file);
	free(cfg->http_tls_cert);
	free(cfg->http_tls_key);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct cfg_source *src = &cfg->sources[i];

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
	free(cfg->sources);
	for (size_t i = 0; i < cfg->nrules; i++) {
		free(cfg->rules[i].name);
		free(cfg->rules[i].match);
		free(cfg->rules[i].value);
		free(cfg->rules[i].top);
		free(cfg->rules[i].distinct);
		for (size_t j = 0; j < cfg->rules[i].nwhere; j++) {
			free(cfg->rules[i].where[j].name);
			for (size_t k = 0; k < cfg->rules[i].where[j].nvalues; k++)
				free(cfg->rules[i].where[j].values[k]);
			free(cfg->rules[i].where[j].values);
		}
		free(cfg->rules[i].where);
	}
	free(cfg->rules);
	for (size_t i = 0; i < cfg->nincludes; i++)
		free(cfg->includes[i]);
	free(cfg->includes);
	free(cfg->listen_host);
	free(cfg->state_dir);
	free(cfg->file);
	free(cfg);
}
