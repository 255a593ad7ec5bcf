/*
 * internal.h - what the files of config/ share while loading a config;
 * nothing outside config/ includes it.
 *
 * Loading runs in two passes. yaml.c turns the text into a tree of struct
 * ynode (each with the line:col it was written at) and gives typed access
 * to it, recording every problem in the loader (struct ld) as one
 * "FILE:LINE:COL: message" line. Then the tree is walked into a struct cfg:
 * load.c the top level, tuning, http and includes; sources.c the `sources:`
 * section; rules.c the `rules:` section. value.c holds the pure parsers of
 * scalar values (numbers, sizes, durations, addresses, names) they share.
 *
 * Ownership: struct ytree owns every ynode (through its `all` list; an
 * alias shares the anchored node). Strings are copied out of the tree into
 * the cfg. struct ld owns its error lines until ld_finish() (load.c) joins
 * them into the caller's string, and its broken[] array. Out-of-memory is
 * the sticky ld->oom, turned into -ENOMEM at the API edge.
 */
#ifndef WEIR_CONFIG_INTERNAL_H
#define WEIR_CONFIG_INTERNAL_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_ERRS_MAX 100    /* error lines kept; the rest are counted */
#define INCLUDE_DEPTH_MAX 8 /* include nesting (struct ld.chain) */

#define KIB 1024u
#define MIB (1024u * 1024u)

/* The loader's state while one config is read. */
struct ld {
	const char *file; /* the file being read: FILE in messages (owned by the cfg) */
	const char *text; /* and its text (len bytes), to keep a column on its line */
	size_t len;
	unsigned fileno; /* which: 0 the config, then its includes in reading order */
	unsigned depth;	 /* include nesting */
	const char *chain[INCLUDE_DEPTH_MAX]; /* real paths of the files being included */
	char *top_real;			      /* the config's own real path, or NULL */
	struct cfg_errline *errv;	      /* owned, with each text */
	size_t nerrv;
	size_t cap;
	unsigned nerr; /* errors found (also those past CFG_ERRS_MAX) */
	bool oom;
	bool *broken; /* owned; [cfg->nrules]: the rule had an error of its own */
};

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

/* One YAML node. Owned by struct ytree (its `all` list). */
struct ynode {
	enum ytype type;
	int line; /* 1-based; 0 while it has none (an implied empty scalar) */
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

struct yanchor;

/* A parsed document. Owns all nodes and anchors. A zeroed one is empty. */
struct ytree {
	struct ynode *all;
	struct ynode *root; /* NULL for an empty stream */
	struct yanchor *anchors;
	size_t nanchors;
	size_t acap;
};

/* The keys a mapping may hold. */
struct ld_keyset {
	const char *where; /* "in rule", "at top level", ... */
	const char *const *names;
	size_t n;
};

/* yaml.c: the tree, errors, typed access. The ld_get_* and ld_want_*
 * functions record an error at v and return -EINVAL when v is not what
 * key wants; key names it in the message. */

/* Parse text into t (zeroed). 0, -EINVAL (errors recorded) or -ENOMEM. */
int ytree_build(struct ld *ld, const char *text, size_t len, struct ytree *t);
/* Free every node and anchor of t and zero it. */
void ytree_free(struct ytree *t);
/* "a sequence", "a mapping", "empty" or "a string", for messages. */
const char *ynode_kind(const struct ynode *n);
/* User text in a message: printed with "%.*s", ynode_qlen(n), n->str. */
int ynode_qlen(const struct ynode *n);
/* Record an error at line:col (1-based; line 0: no position). */
void ld_err_at(struct ld *ld, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Record an error at node at (NULL: no position). */
void ld_err(struct ld *ld, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Where n was written, as a cfg_pos in the file being read. */
struct cfg_pos ld_pos(const struct ld *ld, const struct ynode *n);
/* Sort map's values into vals[ks->n] (zeroed) by key; bad keys are errors. */
void ld_map_collect(struct ld *ld, const struct ynode *map, const struct ld_keyset *ks,
		    const struct ynode **vals);
/* v must be a non-empty scalar; what says what was expected ("a string"). */
int ld_want_scalar(struct ld *ld, const struct ynode *v, const char *key, const char *what);
/* v must be a sequence, or empty (returns 1: nothing to walk). */
int ld_want_seq(struct ld *ld, const struct ynode *v, const char *key);
/* A non-empty string; replaces *out (freeing the old value). */
int ld_get_string(struct ld *ld, const struct ynode *v, const char *key, char **out);
/* An integer from lo to hi. */
int ld_get_uint(struct ld *ld, const struct ynode *v, const char *key, uint64_t lo, uint64_t hi,
		uint32_t *out);
/* A size in bytes (65536, 256KiB, 1MiB) from lo to hi. */
int ld_get_size(struct ld *ld, const struct ynode *v, const char *key, uint32_t lo, uint32_t hi,
		uint32_t *out);
/* true or false. */
int ld_get_bool(struct ld *ld, const struct ynode *v, const char *key, bool *out);
/* One of names[n] (listed as list in the message); *out is its index. */
int ld_get_enum(struct ld *ld, const struct ynode *v, const char *key, const char *const *names,
		size_t n, const char *list, int *out);

/* value.c: pure parsers of scalar values; 0 or -EINVAL (-ENOMEM where said). */

/* `time:` values, in enum cfg_time order from CFG_TIME_ARRIVAL. */
extern const char *const cfg_time_names[2];
/* `format:` values, in enum cfg_format order. */
extern const char *const cfg_format_names[CFG_FORMAT_N];
/* An integer: decimal digits only. */
int cfg_parse_int(const char *s, uint64_t *v);
/* A size: bytes, or a number with B, KiB, MiB or GiB. */
int cfg_parse_size(const char *s, uint64_t *v);
/* "0", "0s", "0m", ...: well formed, but no duration cfg_parse_duration takes. */
bool cfg_duration_is_zero(const char *s);
/* "HOST:PORT" or "[IPv6]:PORT" into a malloc'd *host; *why says what is wrong. */
int cfg_parse_hostport(const char *s, char **host, uint16_t *port, const char **why);
/*
 * The address a server binds for host (as cfg_parse_hostport leaves it) and
 * port, into *out (OUT) and *outlen (OUT): a dotted-decimal IPv4 address, an
 * IPv6 address (its %scope an interface of this host), or a host name,
 * resolved now (getaddrinfo) to its first address of a family this host
 * has. 0, or -EINVAL with why written (whylen bytes).
 */
int cfg_resolve_hostport(const char *host, uint16_t port, struct sockaddr_storage *out,
			 socklen_t *outlen, char *why, size_t whylen);
/* A source or rule name: [A-Za-z0-9_.-]+. */
bool cfg_name_ok(const char *s, size_t len);
/* A field name (what JSON and logfmt keys usually are): [A-Za-z0-9_.@-]{1,128}. */
bool cfg_field_name_ok(const char *s, size_t len);

/* sources.c: the `sources:` sequence v into cfg->sources. 0, or -ENOMEM
 * when the array cannot be allocated (ld->oom set). */
int ld_sources(struct ld *ld, struct cfg *cfg, const struct ynode *v);
/* Free every string, array and zone src owns (src itself is the caller's). */
void cfg_source_clear(struct cfg_source *src);

/* rules.c: append the rules of the sequence v to cfg->rules, marking in
 * ld->broken those with errors of their own. */
void ld_rules(struct ld *ld, struct cfg *cfg, const struct ynode *v);
/* Free every string and array rule owns (rule itself is the caller's). */
void cfg_rule_clear(struct cfg_rule *rule);

/* settings.c: the top-level listen:, tuning: and http: into cfg. */
void ld_listen(struct ld *ld, struct cfg *cfg, const struct ynode *v);
void ld_tuning(struct ld *ld, struct cfg *cfg, const struct ynode *map);
/* samples: (settings.c) */
void ld_samples(struct ld *ld, struct cfg *cfg, const struct ynode *map);
void ld_http(struct ld *ld, struct cfg *cfg, const struct ynode *map);

#endif
