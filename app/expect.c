/*
 * expect.c - compare a scan result with a golden (see expect.h).
 *
 * The comparison walks the golden and looks each of its keys up in the
 * result, carrying the path walked so far in a strbuf (pushed and popped by
 * length), so a difference line names exactly where it is. Rules are matched
 * by name through a name -> rule object built for the comparison; it holds
 * references to the rules, dropped with it.
 */
#include "app/expect.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Relative tolerance for numbers that are not both integers. */
#define EXPECT_REL_TOL 1e-9
/* A value shown in a difference line is cut to this many bytes. */
#define EXPECT_SHOW_MAX 200

/* Keys that measure how long the run took rather than what it counted:
 * they differ between two scans of the same input, so a golden made from a
 * scan would never match. Skipped wherever they appear in the golden. */
static const char *const volatile_keys[] = {"extract_ns"};

struct expect {
	char *path;   /* owned copy */
	json_t *root; /* owned reference */
	size_t nrules;
};

/* One comparison. path is "KEY.KEY[i]" below the scope; rule is the name of
 * the rule being compared, or NULL at the top level. */
struct diff {
	struct strbuf *report;
	struct strbuf path;
	const char *rule;
	int n;
};

static char *err_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *err_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* The whole file into sb, at most EXPECT_MAX_BYTES. Returns 0 or -errno
 * (-EFBIG when too large). */
static int read_all(const char *path, struct strbuf *sb)
{
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		if (sb->len + (size_t)n > EXPECT_MAX_BYTES) {
			rc = -EFBIG;
			break;
		}
		strbuf_append(sb, chunk, (size_t)n);
		if (sb->oom) {
			rc = -ENOMEM;
			break;
		}
	}
	close(fd);
	return rc;
}

/* The golden's shape: an object with a "rules" array of objects, each with
 * a string "name" no other rule has. Returns NULL or the message. */
static char *check_shape(const char *path, json_t *root, size_t *nrules)
{
	json_t *rules, *rule, *name, *seen;
	size_t i;
	char *msg = NULL;

	if (!json_is_object(root))
		return err_fmt(
		    "%s: the golden must be a JSON object like the output of weir scan\n", path);
	rules = json_object_get(root, "rules");
	if (!json_is_array(rules))
		return err_fmt("%s: the golden has no \"rules\" array\n", path);
	seen = json_object();
	if (!seen)
		return err_fmt("%s: out of memory\n", path);
	json_array_foreach(rules, i, rule)
	{
		name = json_object_get(rule, "name");
		if (!json_is_string(name)) {
			msg = err_fmt("%s: rules[%zu] is not an object with a string \"name\"\n",
				      path, i);
			break;
		}
		if (json_object_get(seen, json_string_value(name))) {
			msg = err_fmt("%s: rule '%s' is listed twice\n", path,
				      json_string_value(name));
			break;
		}
		if (json_object_set(seen, json_string_value(name), json_true())) {
			msg = err_fmt("%s: out of memory\n", path);
			break;
		}
	}
	json_decref(seen);
	*nrules = json_array_size(rules);
	return msg;
}

int expect_load(const char *path, struct expect **out, char **err)
{
	struct strbuf text = {0};
	struct expect *e = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	size_t nrules = 0;
	int rc;

	*out = NULL;
	*err = NULL;
	rc = read_all(path, &text);
	if (rc) {
		*err = err_fmt("%s: cannot read the golden: %s\n", path,
			       rc == -EFBIG ? "larger than 64 MiB" : strerror(-rc));
		goto err;
	}
	root = json_loadb(text.buf ? text.buf : "", text.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*err = err_fmt("%s:%d:%d: invalid JSON: %s\n", path, jerr.line, jerr.column,
			       jerr.text);
		rc = -EINVAL;
		goto err;
	}
	*err = check_shape(path, root, &nrules);
	if (*err) {
		rc = -EINVAL;
		goto err;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->path = strdup(path))) {
		*err = err_fmt("%s: out of memory\n", path);
		rc = -ENOMEM;
		goto err;
	}
	e->root = root;
	e->nrules = nrules;
	strbuf_free(&text);
	*out = e;
	return 0;
err:
	if (e)
		free(e->path);
	free(e);
	json_decref(root);
	strbuf_free(&text);
	return rc;
}

void expect_free(struct expect *e)
{
	if (!e)
		return;
	json_decref(e->root);
	free(e->path);
	free(e);
}

size_t expect_nrules(const struct expect *e)
{
	return e->nrules;
}

/* v as compact JSON, cut to EXPECT_SHOW_MAX bytes. */
static void show(struct strbuf *sb, const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	size_t len;

	if (!s) {
		strbuf_puts(sb, "(?)");
		return;
	}
	len = strlen(s);
	if (len > EXPECT_SHOW_MAX) {
		strbuf_append(sb, s, EXPECT_SHOW_MAX);
		strbuf_puts(sb, "...");
	} else {
		strbuf_append(sb, s, len);
	}
	free(s);
}

/* Start a difference line: "  [rule NAME: ]PATH: ". */
static void line_start(struct diff *d)
{
	d->n++;
	strbuf_puts(d->report, "  ");
	if (d->rule) {
		strbuf_puts(d->report, "rule ");
		strbuf_puts(d->report, d->rule);
		strbuf_puts(d->report, ": ");
	}
	if (d->path.len) {
		strbuf_append(d->report, d->path.buf, d->path.len);
		strbuf_puts(d->report, ": ");
	}
}

static void differs(struct diff *d, const json_t *want, const json_t *got)
{
	line_start(d);
	strbuf_puts(d->report, "expected ");
	show(d->report, want);
	strbuf_puts(d->report, ", got ");
	show(d->report, got);
	strbuf_putc(d->report, '\n');
}

static bool numbers_equal(const json_t *a, const json_t *b)
{
	double x, y;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	x = json_number_value(a);
	y = json_number_value(b);
	return x == y || fabs(x - y) <= EXPECT_REL_TOL * fmax(fabs(x), fabs(y));
}

static bool is_volatile(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(volatile_keys) / sizeof(volatile_keys[0]); i++)
		if (!strcmp(key, volatile_keys[i]))
			return true;
	return false;
}

static void cmp(struct diff *d, const json_t *want, const json_t *got);

/* Compare want[key] (or want[i]) with got's, the path extended for it. */
static void cmp_key(struct diff *d, const char *key, const json_t *want, const json_t *got)
{
	size_t mark = d->path.len;

	if (is_volatile(key))
		return;
	if (mark)
		strbuf_putc(&d->path, '.');
	strbuf_puts(&d->path, key);
	cmp(d, want, got);
	d->path.len = mark;
	if (d->path.buf)
		d->path.buf[mark] = '\0';
}

static void cmp_index(struct diff *d, size_t i, const json_t *want, const json_t *got)
{
	size_t mark = d->path.len;

	strbuf_printf(&d->path, "[%zu]", i);
	cmp(d, want, got);
	d->path.len = mark;
	if (d->path.buf)
		d->path.buf[mark] = '\0';
}

/* jansson's getters take non-const values though they only read them. */
static void cmp(struct diff *d, const json_t *want, const json_t *got)
{
	json_t *w = (json_t *)want, *g = (json_t *)got;
	const char *key;
	json_t *v;
	size_t i, nw, ng;

	if (!g) {
		line_start(d);
		strbuf_puts(d->report, "missing (expected ");
		show(d->report, w);
		strbuf_puts(d->report, ")\n");
		return;
	}
	if (json_is_number(w) && json_is_number(g)) {
		if (!numbers_equal(w, g))
			differs(d, w, g);
		return;
	}
	if (json_typeof(w) != json_typeof(g)) {
		differs(d, w, g);
		return;
	}
	switch (json_typeof(w)) {
	case JSON_OBJECT:
		json_object_foreach(w, key, v)
		{
			cmp_key(d, key, v, json_object_get(g, key));
		}
		break;
	case JSON_ARRAY:
		nw = json_array_size(w);
		ng = json_array_size(g);
		if (nw != ng) {
			line_start(d);
			strbuf_printf(d->report, "expected %zu elements, got %zu\n", nw, ng);
		}
		for (i = 0; i < nw && i < ng; i++)
			cmp_index(d, i, json_array_get(w, i), json_array_get(g, i));
		break;
	case JSON_STRING:
		if (json_string_length(w) != json_string_length(g) ||
		    memcmp(json_string_value(w), json_string_value(g), json_string_length(w)))
			differs(d, w, g);
		break;
	default: /* true, false, null: the type is the value */
		break;
	}
}

/* name -> rule for the objects with a string "name" in rules (which may be
 * NULL or not an array: then empty). Returns a new object or NULL (OOM). */
static json_t *index_rules(const json_t *rules)
{
	json_t *idx = json_object(), *rule, *name;
	size_t i;

	if (!idx || !json_is_array(rules))
		return idx;
	json_array_foreach((json_t *)rules, i, rule)
	{
		name = json_object_get(rule, "name");
		if (json_is_string(name) &&
		    json_object_set(idx, json_string_value(name), rule) < 0) {
			json_decref(idx);
			return NULL;
		}
	}
	return idx;
}

/* Every golden rule against the result's rule of its name, then the
 * result's rules the golden lacks. Returns 0 or -ENOMEM. */
static int cmp_rules(struct diff *d, const json_t *want, const json_t *got)
{
	json_t *wi = index_rules(want), *gi = index_rules(got), *rule, *name, *other;
	size_t i;
	int rc = -ENOMEM;

	if (!wi || !gi)
		goto out;
	json_array_foreach((json_t *)want, i, rule)
	{
		name = json_object_get(rule, "name");
		if (!json_is_string(name))
			continue;
		d->rule = json_string_value(name);
		other = json_object_get(gi, d->rule);
		if (other) {
			cmp(d, rule, other);
		} else {
			line_start(d);
			strbuf_puts(d->report, "not in the result\n");
		}
	}
	if (json_is_array(got))
		json_array_foreach((json_t *)got, i, rule)
		{
			name = json_object_get(rule, "name");
			if (!json_is_string(name) || json_object_get(wi, json_string_value(name)))
				continue;
			d->rule = json_string_value(name);
			line_start(d);
			strbuf_puts(d->report, "not in the golden\n");
		}
	d->rule = NULL;
	rc = 0;
out:
	json_decref(wi);
	json_decref(gi);
	return rc;
}

int expect_diff(const json_t *golden, const json_t *result, struct strbuf *report)
{
	struct diff d = {.report = report};
	json_t *g = (json_t *)golden, *r = (json_t *)result;
	const char *key;
	json_t *v;
	int rc = 0;

	if (json_is_object(g) && json_is_object(r)) {
		json_object_foreach(g, key, v)
		{
			if (!strcmp(key, "rules") && json_is_array(v))
				rc = cmp_rules(&d, v, json_object_get(r, "rules"));
			else
				cmp_key(&d, key, v, json_object_get(r, key));
			if (rc)
				break;
		}
	} else {
		strbuf_puts(&d.path, "(the whole result)");
		cmp(&d, g, r);
	}
	if (!rc && (d.path.oom || report->oom))
		rc = -ENOMEM;
	strbuf_free(&d.path);
	return rc ? rc : d.n;
}

int expect_check(const struct expect *e, const char *result, size_t len, struct strbuf *verdict)
{
	struct strbuf lines = {0};
	json_t *got;
	int n;

	got = json_loadb(result, len, 0, NULL);
	if (!got)
		return -EINVAL;
	n = expect_diff(e->root, got, &lines);
	json_decref(got);
	if (n == 0)
		strbuf_printf(verdict, "matches %s (%zu rule%s)\n", e->path, e->nrules,
			      e->nrules == 1 ? "" : "s");
	else if (n > 0) {
		strbuf_printf(verdict, "result differs from %s:\n", e->path);
		if (lines.len)
			strbuf_append(verdict, lines.buf, lines.len);
	}
	strbuf_free(&lines);
	if (n >= 0 && verdict->oom)
		n = -ENOMEM;
	return n;
}

int expect_report(const struct expect *e, const char *result, size_t len, const char *prefix,
		  FILE *f)
{
	struct strbuf verdict = {0};
	int n = result ? expect_check(e, result, len, &verdict) : -ENOMEM;

	if (n >= 0)
		fprintf(f, "%s: %s", prefix, verdict.buf);
	else
		fprintf(f, "%s: cannot compare the result with %s: %s\n", prefix, e->path,
			n == -EINVAL ? "the result is not JSON" : strerror(-n));
	strbuf_free(&verdict);
	return n == 0 ? 0 : 1;
}
