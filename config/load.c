/*
 * load.c - load weir's YAML configuration into a struct cfg (see config.h):
 * the public cfg_load_* entry points, the defaults, the top-level keys
 * (windows, event time, checkpoints; listen:, tuning: and http: are in
 * settings.c), include:, and the error report handed to the caller.
 *
 * Two passes: yaml.c builds the tree of the text, then it is walked key by
 * key into a struct cfg pre-filled with defaults, `sources:` by sources.c
 * and `rules:` by rules.c, the rest here. Every problem becomes one
 * "FILE:LINE:COL: message" line and the walk goes on, so one run reports
 * all it can; ld_finish() hands the lines out sorted by position
 * (cfg_errors_sort).
 *
 * Ownership: the cfg owns every string and array reachable from it, freed
 * by cfg_free(); an included file's name is kept in cfg->includes, which
 * the cfg_pos of its rules point into. The loader (struct ld) owns the
 * error lines until ld_finish() joins them into the caller's string.
 */
#include "config/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_FILE_MAX (16u << 20) /* a config file larger than this is refused */

#define WINDOW_MIN 1u
#define WINDOW_MAX (30u * 86400u)

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

	rc = ld_want_seq(ld, v, "windows");
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

		if (ld_want_scalar(ld, it, "windows", "a duration such as 10s, 5m, 1h or 1d")) {
			bad = true;
			continue;
		}
		if (cfg_parse_duration(it->str, &w[n]) && !cfg_duration_is_zero(it->str)) {
			ld_err(ld, it,
			       "bad duration '%.*s' in 'windows'; expected e.g. 10s, 5m, 1h, 1d",
			       ynode_qlen(it), it->str);
			bad = true;
			continue;
		}
		if (cfg_duration_is_zero(it->str) || w[n] < WINDOW_MIN || w[n] > WINDOW_MAX) {
			cfg_format_duration(WINDOW_MIN, lo, sizeof(lo));
			cfg_format_duration(WINDOW_MAX, hi, sizeof(hi));
			ld_err(ld, it,
			       "window '%.*s' is out of range; windows must be from %s to %s",
			       ynode_qlen(it), it->str, lo, hi);
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

static const char *const top_keys[] = {
    "listen",  "state_dir", "checkpoint_interval", "windows", "sources", "rules", "tuning",
    "include", "lateness",  "max_future",	   "http",    "samples"};
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
	TOP_SAMPLES,
	TOP_N
};

#define INCLUDE_FILES_MAX 1024

static int read_all(const char *path, char **bufp, size_t *lenp, const char **kind);
static void do_include(struct ld *ld, struct cfg *cfg, const struct ynode *v);

static const char *const include_keys[] = {"rules", "include"};

/* Read one included file: a mapping of `rules:` and `include:` only. */
static void include_file(struct ld *ld, struct cfg *cfg, const char *path, const struct ynode *at)
{
	const char *ftext = ld->text; /* the including file's, restored at the end */
	size_t flen = ld->len;
	static const struct ld_keyset ks = {"in an included file", include_keys, 2};
	const struct ynode *v[2] = {0};
	const char *file = ld->file;
	unsigned fileno = ld->fileno;
	struct ytree tree = {0};
	char *text = NULL, **inc;
	const char *kind;
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
	rc = read_all(path, &text, &len, &kind);
	if (rc) {
		if (kind)
			ld_err(ld, at, "include '%s': not a regular file (%s)", path, kind);
		else
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
	ld->text = text;
	ld->len = len;
	ld->chain[ld->depth++] = rp ? rp : "";
	if (!ytree_build(ld, text, len, &tree) && tree.root &&
	    !(tree.root->type == Y_SCALAR && tree.root->null)) {
		if (tree.root->type != Y_MAP) {
			ld_err(ld, tree.root,
			       "an included file must be a mapping (rules:, include:), not %s",
			       ynode_kind(tree.root));
		} else {
			ld_map_collect(ld, tree.root, &ks, v);
			if (v[1])
				do_include(ld, cfg, v[1]);
			if (v[0])
				ld_rules(ld, cfg, v[0]);
		}
	}
	ytree_free(&tree);
	free(text);
	ld->depth--;
	free(rp);
	ld->file = file;
	ld->fileno = fileno;
	ld->text = ftext;
	ld->len = flen;
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

		if (ld_want_scalar(ld, it, "include", "a path") || !it->len)
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

	if (ld_want_scalar(ld, v, "checkpoint_interval", "a duration such as 5s"))
		return;
	if (cfg_parse_duration(v->str, &secs) || secs > CHECKPOINT_MAX) {
		ld_err(ld, v, "'checkpoint_interval' must be a duration from 1s to 1h, got '%.*s'",
		       ynode_qlen(v), v->str);
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

	if (ld_want_scalar(ld, v, "lateness", "a duration such as 1m, or 0"))
		return;
	if (cfg_duration_is_zero(v->str))
		cfg->lateness_s = 0;
	else if (cfg_parse_duration(v->str, &secs) || secs > LATENESS_MAX)
		ld_err(ld, v, "'lateness' must be 0 or a duration up to 1h, got '%.*s'",
		       ynode_qlen(v), v->str);
	else
		cfg->lateness_s = secs;
}

static void do_max_future(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	uint32_t secs;

	if (ld_want_scalar(ld, v, "max_future", "a duration such as 5m"))
		return;
	if (cfg_parse_duration(v->str, &secs) || secs > MAX_FUTURE_MAX)
		ld_err(ld, v, "'max_future' must be a duration from 1s to 1d, got '%.*s'",
		       ynode_qlen(v), v->str);
	else
		cfg->max_future_s = secs;
}

static void do_top(struct ld *ld, struct cfg *cfg, const struct ynode *root)
{
	static const struct ld_keyset ks = {"at top level", top_keys, TOP_N};
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
	ld_map_collect(ld, root, &ks, v);
	if (v[TOP_LISTEN])
		ld_listen(ld, cfg, v[TOP_LISTEN]);
	if (v[TOP_STATE_DIR])
		ld_get_string(ld, v[TOP_STATE_DIR], "state_dir", &cfg->state_dir);
	if (v[TOP_CHECKPOINT])
		do_checkpoint(ld, cfg, v[TOP_CHECKPOINT]);
	if (v[TOP_WINDOWS])
		do_windows(ld, cfg, v[TOP_WINDOWS]);
	if (v[TOP_LATENESS])
		do_lateness(ld, cfg, v[TOP_LATENESS]);
	if (v[TOP_MAX_FUTURE])
		do_max_future(ld, cfg, v[TOP_MAX_FUTURE]);
	if (v[TOP_SOURCES] && ld_sources(ld, cfg, v[TOP_SOURCES]))
		return;
	if (v[TOP_RULES])
		ld_rules(ld, cfg, v[TOP_RULES]);
	if (v[TOP_INCLUDE])
		do_include(ld, cfg, v[TOP_INCLUDE]);
	if (v[TOP_TUNING])
		ld_tuning(ld, cfg, v[TOP_TUNING]);
	if (v[TOP_HTTP])
		ld_http(ld, cfg, v[TOP_HTTP]);
	if (v[TOP_SAMPLES])
		ld_samples(ld, cfg, v[TOP_SAMPLES]);
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
	{
		char why[128];

		if (cfg_resolve_hostport(cfg->listen_host, cfg->listen_port, &cfg->listen_addr,
					 &cfg->listen_addrlen, why, sizeof(why))) {
			cfg_free(cfg); /* a numeric address: never */
			return NULL;
		}
	}
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
	cfg->samples_keep = 20;
	cfg->samples_line_bytes = KIB;
	cfg->samples_per_key = 5;
	cfg->samples_bytes = 16 * MIB;
	cfg->checkpoint_s = 5;
	cfg->http_max_connections = 256;
	cfg->http_max_per_client = 128;
	cfg->http_max_streams = 64;
	cfg->http_header_timeout_s = 10;
	cfg->http_timeout_s = 30;
	cfg->http_nice = 19;
	cfg->lateness_s = 60;
	cfg->max_future_s = 300;
	return cfg;
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
	cfg_errors_sort(ld->errv, ld->nerrv);
	for (size_t i = 0; i < ld->nerrv; i++)
		len += ld->errv[i].len;
	len += strlen(tail[0]) + strlen(tail[1]);
	s = errs ? malloc(len + 1) : NULL;
	if (s) {
		for (size_t i = 0; i < ld->nerrv; i++) {
			memcpy(s + off, ld->errv[i].text, ld->errv[i].len);
			off += ld->errv[i].len;
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

/* Partial loads: free the rules marked in broken and close the gaps. */
static void drop_broken_rules(struct cfg *cfg, const bool *broken)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nrules; i++) {
		if (broken[i])
			cfg_rule_clear(&cfg->rules[i]);
		else
			cfg->rules[n++] = cfg->rules[i];
	}
	cfg->nrules = n;
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
	ld.text = text ? text : "";
	ld.len = text ? len : 0;
	rc = ytree_build(&ld, ld.text, ld.len, &tree);
	if (!rc)
		do_top(&ld, cfg, tree.root);
	ytree_free(&tree);
	free(ld.top_real);
	if (ld.oom || rc == -ENOMEM)
		rc = -ENOMEM;
	else if (ld.nerr)
		rc = -EINVAL;
	if (rc == -EINVAL && partial)
		drop_broken_rules(cfg, ld.broken);
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

/* What a path that is not a regular file is, for messages. */
static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return S_ISSOCK(m) ? "a socket" : "not a file";
}

/*
 * Read all of path, a regular file, into a malloc'd buffer, at most
 * CFG_FILE_MAX bytes. Anything else is refused with -EINVAL and *kind (OUT)
 * saying what it is: opened without O_NONBLOCK, a FIFO would wait for a
 * writer for ever (check, start and reload hung there, beyond SIGTERM).
 */
static int read_all(const char *path, char **bufp, size_t *lenp, const char **kind)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *p;
	struct stat st;
	ssize_t n;
	int fd, rc;

	*kind = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		*kind = file_kind(st.st_mode);
		rc = -EINVAL;
		goto err;
	}
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
	const char *kind;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (errs)
		*errs = NULL;
	rc = read_all(path, &text, &len, &kind);
	if (rc) {
		struct ld ld = {.file = path};

		if (kind)
			ld_err_at(&ld, 0, 0, "not a regular file (%s)", kind);
		else if (rc == -EFBIG)
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

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->http_token_file);
	for (size_t i = 0; i < cfg->http_nhosts; i++)
		free(cfg->http_hosts[i]);
	free(cfg->http_hosts);
	free(cfg->http_tls_cert);
	free(cfg->http_tls_key);
	for (size_t i = 0; i < cfg->nsources; i++)
		cfg_source_clear(&cfg->sources[i]);
	free(cfg->sources);
	for (size_t i = 0; i < cfg->nrules; i++)
		cfg_rule_clear(&cfg->rules[i]);
	free(cfg->rules);
	for (size_t i = 0; i < cfg->nincludes; i++)
		free(cfg->includes[i]);
	free(cfg->includes);
	free(cfg->listen_host);
	free(cfg->state_dir);
	free(cfg->file);
	free(cfg);
}
