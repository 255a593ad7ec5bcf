/*
 * config.h - weir's configuration: the YAML file a user writes, parsed into
 * plain structs.
 *
 * Owns: a struct cfg and every string and array reachable from it; all are
 * freed by cfg_free(). Nothing else in weir frees or mutates a loaded cfg,
 * so threads may read it freely once loading has returned.
 *
 * Errors: every problem found while loading is one line of the form
 *   FILE:LINE:COL: message
 * (line and column 1-based). Loading continues past an error where it can,
 * so one run reports as many errors as possible. Unknown keys are errors.
 */
#ifndef WEIR_CONFIG_H
#define WEIR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CFG_MAX_WINDOWS 16

struct tz_zone;

/* Where a value was written: for error messages about it later (e.g. a
 * regex Hyperscan rejects). file points at cfg->file (not owned). */
struct cfg_pos {
	const char *file;
	int line; /* 1-based; 0 when unknown */
	int col;  /* 1-based; 0 when unknown */
};

enum cfg_source_type {
	CFG_SOURCE_FILE,   /* tail a file */
	CFG_SOURCE_DEMO,   /* built-in generator writing a temp file weir tails */
	CFG_SOURCE_SYSLOG, /* syslog receiver: `listen:` udp://, tcp://, unix:// */
};

/* How a source's records are parsed into fields (`format:`). */
enum cfg_format {
	CFG_FORMAT_RAW,	   /* no fields: rules see the text only */
	CFG_FORMAT_SYSLOG, /* RFC 5424 / RFC 3164 (pattern/syslog.h); default for syslog sources */
	CFG_FORMAT_COMBINED, /* access logs, NCSA combined (and common: both parse either) */
	CFG_FORMAT_COMMON,
	CFG_FORMAT_JSON,   /* one JSON object per record; nested keys dotted */
	CFG_FORMAT_LOGFMT, /* key=value key="quoted value" */
	CFG_FORMAT_N
};

/* Which second a record is counted in (`time:` on a source or a rule). */
enum cfg_time {
	CFG_TIME_INHERIT, /* a rule: its source's; a source: arrival */
	CFG_TIME_ARRIVAL, /* when weir received it */
	CFG_TIME_EVENT,	  /* the timestamp the record carries (arrival if it has none) */
};

enum cfg_start {
	CFG_START_BEGINNING,
	CFG_START_END,
};

/* One entry of `sources:`. Owned by struct cfg. */
struct cfg_source {
	char *name;		   /* unique among sources */
	enum cfg_source_type type; /* `type: file | demo` */
	/* file: `path:` one path or glob, or a list of them; demo: none (a temp
	 * file is made). Globs use glob(3) syntax (*, ?, [...]); a path with
	 * none of those is literal, and its absence is an error weir retries. */
	char **paths;
	size_t npaths;
	/* file: `exclude:` globs (one or a list) matched against each file
	 * the paths find, with fnmatch(3) and FNM_PATHNAME when the pattern has
	 * a '/', else against the file's base name. */
	char **excludes;
	size_t nexcludes;
	/* syslog: `listen:` one URL or a list: udp://HOST:PORT, tcp://HOST:PORT
	 * (IPv6 as [::1]:PORT) or unix:///PATH (a datagram socket). See
	 * cfg_parse_listen. */
	char **listens;
	size_t nlistens;
	/* syslog, TCP: `max_connections:` open at once per listener (1..65536,
	 * default 4096; more are accepted and closed at once, and counted);
	 * `idle_timeout:` a connection silent this long is closed (default
	 * CFG_IDLE_TIMEOUT_DEFAULT_S; 0 written out = never; dead peers are
	 * also found by TCP keepalive). */
	uint32_t max_connections;
	uint32_t idle_timeout_s;
	enum cfg_format format; /* `format: raw | syslog`; default syslog for syslog sources,
				   raw otherwise */
	enum cfg_start start;	/* `start:`; default beginning */
	double rate;		/* demo: lines per second; default 200 */
	uint32_t flush_after_s; /* a partial last line idle this long becomes a record; 5 */
	struct cfg_pos pos;	/* of the source's mapping */
	/* `time:` arrival (default) or event: the second a record counts in,
	 * for rules without a `time:` of their own (never INHERIT once
	 * loaded). `timezone:` how stamps without a zone are read: UTC (the
	 * default), local, a fixed offset (+02:00, -0530) or a tz database name
	 * (Europe/Berlin). timezone is the text as written (NULL: not given);
	 * zone is it loaded (core/tzone.h; owned; NULL: UTC). */
	enum cfg_time time;
	char *timezone;
	struct tz_zone *zone;
};

/* Flags a rule may set (`flags: [caseless, dotall, ...]` or `caseless: true`). */
enum cfg_rule_flag {
	CFG_RULE_CASELESS = 1u << 0,
	CFG_RULE_DOTALL = 1u << 1, /* note: even with dotall a rule never matches across records */
	CFG_RULE_UTF8 = 1u << 2,
};

/* Record fields a rule's `where:` can test. */
enum cfg_field {
	CFG_FIELD_FACILITY, /* syslog facility: kern..local7 or 0..23 */
	CFG_FIELD_SEVERITY, /* syslog severity: emerg..debug or 0..7 (lower is worse) */
	CFG_FIELD_HOST,	    /* syslog HOSTNAME (`host` or `hostname`) */
	CFG_FIELD_APP,	    /* syslog APP-NAME / RFC 3164 tag (`app` or `app_name`) */
	CFG_FIELD_PROCID,   /* syslog PROCID / the [pid] of the tag */
	CFG_FIELD_MSGID,    /* syslog MSGID (RFC 5424) */
	CFG_FIELD_PEER,	    /* the sender's address (syslog listeners): IP or CIDR */
	CFG_FIELD_SOURCE,   /* the name of the source the record came from */
	CFG_FIELD_NAMED,    /* any other name: a field of the source's format or a named
			       capture of the rule's match (struct cfg_where.name) */
	CFG_FIELD_N
};

enum cfg_cmp { CFG_CMP_EQ, CFG_CMP_NE, CFG_CMP_LT, CFG_CMP_LE, CFG_CMP_GT, CFG_CMP_GE };

/*
 * One condition of `where:` (all must hold). A record that lacks the field
 * (no syslog header, no sender address) fails the condition, whatever cmp.
 * Numbers (facility, severity): `severity: "<=err"` compares num with cmp;
 * a list (`[err, crit]`) means any of them (cmp EQ, values holds the names).
 * Strings: one value or a list, equal to any of them (EQ); a single value
 * written "!=x" means not equal to x (NE). Peer values are an address or a
 * CIDR block (10.0.0.0/8, fd00::/8), checked here, compiled by pattern/.
 * Named fields (status, level, a capture...): a value or a list is string
 * equality, "!=x" inequality, and "<N", "<=N", ">N", ">=N" compare the
 * field's value as a number (a field that is not a number fails).
 */
struct cfg_where {
	enum cfg_field field;
	char *name; /* CFG_FIELD_NAMED: the field's name (owned) */
	enum cfg_cmp cmp;
	double num;    /* named field, cmp <, <=, >, >=: the number */
	char **values; /* strings (the "!=" removed); numbers: their names/digits */
	size_t nvalues;
	int nums[24]; /* numbers: values as numbers */
	struct cfg_pos pos;
};

/* One entry of `rules:`. Owned by struct cfg. */
struct cfg_rule {
	char *name;		 /* unique among rules; [A-Za-z0-9_.-]+ */
	char *match;		 /* the regex, as written; NULL: every record (needs where) */
	struct cfg_where *where; /* `where:` conditions, all must hold */
	size_t nwhere;
	unsigned flags;		  /* enum cfg_rule_flag bits */
	struct cfg_pos pos;	  /* of the rule's mapping */
	struct cfg_pos match_pos; /* of the `match:` value */
	/* `value: FIELD` a number per matched record (sum, min, max, mean,
	 * quantiles), scaled by `unit:` into the base unit (seconds for
	 * ns/us/ms/s/m/h, bytes for b/kb/mb/gb); value_unit names it ("s",
	 * "bytes" or "" for none). A value written with its own suffix ("12ms",
	 * "1.5s") is read in that unit. */
	char *value;
	double value_scale;
	const char *value_unit;
	struct cfg_pos value_pos;
	/* `top: FIELD` (or `group_by:`): the field's most frequent values,
	 * `top_k:` of them (default 10); `distinct: FIELD`: how many different
	 * values it takes. */
	char *top;
	uint32_t top_k;
	struct cfg_pos top_pos;
	char *distinct;
	struct cfg_pos distinct_pos;
	/* `time:` arrival or event; CFG_TIME_INHERIT (not given): its source's. */
	enum cfg_time time;
};

struct cfg {
	char *file;	 /* the path loaded, or a name such as "<embedded>" */
	char **includes; /* files read through `include:` (owned; cfg_pos points here) */
	size_t nincludes;
	char *listen_host;    /* `listen: HOST:PORT`; default 127.0.0.1 */
	uint16_t listen_port; /* default 8080; 0 = pick a free port */
	/* listen_host:listen_port as resolved when the config was loaded: the
	 * address the HTTP server binds (a host name is looked up then). */
	struct sockaddr_storage listen_addr;
	socklen_t listen_addrlen;
	char *state_dir; /* `state_dir:`; default /var/lib/weir */
	uint32_t
	    windows[CFG_MAX_WINDOWS]; /* seconds, ascending; `windows: [10s, 1m, 5m]` (default) */
	size_t nwindows;
	struct cfg_source *sources;
	size_t nsources;
	struct cfg_rule *rules;
	size_t nrules;
	/* Tuning (`tuning:` mapping; all optional). */
	uint32_t workers;    /* `workers:` 0 = one per core (default) */
	uint32_t batch_size; /* bytes per batch buffer, 64 KiB..4 MiB; default 256 KiB */
	uint32_t max_line;   /* longest record; longer lines are cut; default 64 KiB; must be <
				batch_size/2 */
	uint32_t tick_ms;    /* aggregation tick; default 1000 */
	uint32_t max_files;  /* files tailed at once, all sources; 1..1048576, default 8192 */
	/* Recent matching records per rule (`samples:` mapping; all optional;
	 * docs/CONFIG.md, aggregate/samples.h). keep: per rule, 0..1000 (0: off;
	 * default 20); line_bytes: bytes kept of each record, 64 B..64 KiB
	 * (default 1 KiB); per_key: older ones kept per recent key of a top:
	 * rule, 0..100 (default 5); bytes: all rules' samples together, 64 KiB
	 * ..1 GiB (default 16 MiB). A reload does not change them. */
	uint32_t samples_keep;
	uint32_t samples_line_bytes;
	uint32_t samples_per_key;
	uint32_t samples_bytes;
	/* Event time (top level): `lateness:` how far behind the newest second
	 * seen a record may arrive and still be counted as on time (later ones
	 * are still added to their pane while it is held, and counted as late);
	 * default 1m. `max_future:` a record stamped further ahead of the clock
	 * than this is counted as future and not placed; default 5m. */
	uint32_t lateness_s;
	uint32_t max_future_s;
	/* `http:` (all optional). token_file: a file holding the bearer token
	 * (surrounding whitespace ignored) that writes (POST) need, and with
	 * auth_reads every request but /healthz and /readyz;
	 * unauthenticated_writes: without a token, writes are still served
	 * (default false: refused; not with token_file); hosts: the names,
	 * besides loopback names and IP literals of the listen address, that
	 * a request's Host may give (others get 421); tls_cert/tls_key: PEM
	 * files, HTTPS instead of HTTP; max_connections: open at once, in
	 * total (default 256); max_connections_per_client: from one address
	 * (default 128); max_streams: event streams at once (default 64);
	 * header_timeout: a connection that has not sent a whole request head
	 * this long after it opened or was last answered is closed (default
	 * 10s); timeout: an idle connection is closed after it (default 30s);
	 * nice: the HTTP threads' nice value, 0..19 (default 19: serving takes
	 * only the CPU that ingest and the machine's own work leave). Paths
	 * relative to the config file's directory. */
	char *http_token_file;
	bool http_auth_reads;
	bool http_unauthenticated_writes;
	char **http_hosts; /* [http_nhosts], as written */
	size_t http_nhosts;
	char *http_tls_cert;
	char *http_tls_key;
	uint32_t http_max_connections;
	uint32_t http_max_per_client;
	uint32_t http_max_streams;
	uint32_t http_header_timeout_s;
	uint32_t http_timeout_s;
	uint32_t http_nice;
	/* `checkpoint_interval:` (top level): seconds between checkpoints of
	 * file offsets and aggregates to state_dir; 1s..1h, default 5s. */
	uint32_t checkpoint_s;
};

/*
 * Load the YAML file at path. On success returns 0 and sets *out (caller
 * frees with cfg_free). On failure returns -EINVAL (bad content) or -errno
 * (cannot read), sets *out to NULL and *errs to a malloc'd string of one
 * "FILE:LINE:COL: message\n" line per problem (caller frees).
 */
int cfg_load_file(const char *path, struct cfg **out, char **errs);

/* As cfg_load_file, from text in memory; name is used as FILE in messages. */
int cfg_load_string(const char *name, const char *text, size_t len, struct cfg **out, char **errs);

/*
 * As cfg_load_file, except that a config with errors (-EINVAL, and *errs)
 * still comes back in *out (caller frees), holding what did load: every
 * rule without an error of its own (those with one are left out), so that
 * `weir check` can compile their regexes and report all errors in one run.
 * Such a cfg is for reporting only, never for running. A file with a YAML
 * syntax error adds no rules. On other errors *out is NULL.
 */
int cfg_load_file_partial(const char *path, struct cfg **out, char **errs);

/*
 * One line of an error report and where it points, for cfg_errors_sort.
 * The loader fills these for its own errors; `weir check` for a report that
 * adds the rules' regex errors to them. The array and text are the caller's.
 */
struct cfg_errline {
	char *text;  /* "FILE:LINE:COL: message\n" (not owned by the sort) */
	size_t len;  /* bytes of text */
	size_t file; /* 0: cfg->file; k: cfg->includes[k - 1] (the order the files
			were read); greater than cfg->nincludes: after them all */
	long line;   /* 1-based; 0: no position (first in its file) */
	long col;    /* 1-based; 0: none */
	size_t seq;  /* the order the lines were found, which ties keep */
};

/*
 * Sort n error lines into document order: by file, then line, then column,
 * then seq. This is the order of every report cfg_load_* hands out, and of
 * one a caller joins from it and errors of its own (placed by file, line and
 * column the same way).
 */
void cfg_errors_sort(struct cfg_errline *v, size_t n);

/* The built-in default config (demo source, built-in rule pack), as YAML text. */
extern const char cfg_default_yaml[];

/* Parse a duration such as "10s", "1m", "5m", "1h", "24h", "1d" into seconds.
 * Returns 0 and sets *secs, or -EINVAL. */
int cfg_parse_duration(const char *s, uint32_t *secs);

/* Format seconds back into the shortest form ("10s", "1m", "24h"). */
void cfg_format_duration(uint32_t secs, char *buf, size_t cap);

/*
 * A syslog TCP connection silent this long is closed unless the source says
 * otherwise: idle peers must not keep max_connections' slots (and their
 * partial frames) forever, which locked out every other sender. Five
 * minutes spares senders that log every few minutes, frees a full listener
 * within five minutes, and costs a quiet sender only a reconnect (rsyslog's
 * plain-TCP sender looks for the close before each send and reconnects).
 */
#define CFG_IDLE_TIMEOUT_DEFAULT_S 300

enum cfg_listen_kind {
	CFG_LISTEN_UDP,
	CFG_LISTEN_UNIX, /* unix datagram socket */
	CFG_LISTEN_TCP,	 /* RFC 6587: octet counting or LF framing, per message */
};

/* A parsed `listen:` URL of a syslog source. */
struct cfg_listen {
	enum cfg_listen_kind kind;
	char host[256]; /* udp, tcp: numeric address, brackets removed */
	uint16_t port;	/* udp, tcp: 1..65535 */
	char path[108]; /* unix: the socket's path (sun_path size) */
};

/* Parse a `listen:` URL. 0, or -EINVAL with why filled in. */
int cfg_parse_listen(const char *url, struct cfg_listen *out, char *why, size_t whylen);

/* The canonical name of a field ("severity", "host", ...; "field" for NAMED). */
const char *cfg_field_name(enum cfg_field f);

/* A format's name ("raw", "combined", ...), and back: 0 or -EINVAL. */
const char *cfg_format_name(enum cfg_format f);
int cfg_format_parse(const char *s, enum cfg_format *out);

/* Do two rules count the same thing (name and every key equal)? */
bool cfg_rule_same(const struct cfg_rule *a, const struct cfg_rule *b);

void cfg_free(struct cfg *cfg);

#endif
