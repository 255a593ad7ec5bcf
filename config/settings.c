/*
 * settings.c - the top-level `listen:`, `tuning:` and `http:` of a config
 * (see config.h for what each key means, docs/CONFIG.md for users): read
 * from the YAML tree into the cfg, every problem a FILE:LINE:COL line.
 * listen: is resolved here once, so what `weir check` accepts is what the
 * HTTP server binds.
 */
#include "config/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* listen: HOST:PORT, parsed and resolved here once, so that what `weir
 * check` accepts is what the HTTP server binds. */
void ld_listen(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	const char *why;
	char *host = NULL, whybuf[256];
	uint16_t port;
	int rc;

	if (ld_want_scalar(ld, v, "listen", "HOST:PORT"))
		return;
	rc = cfg_parse_hostport(v->str, &host, &port, &why);
	if (rc == -ENOMEM) {
		ld->oom = true;
		return;
	}
	if (!rc && (rc = cfg_resolve_hostport(host, port, &cfg->listen_addr, &cfg->listen_addrlen,
					      whybuf, sizeof(whybuf))))
		why = whybuf;
	if (rc) {
		ld_err(ld, v, "bad 'listen' value '%.*s': %s", ynode_qlen(v), v->str, why);
		free(host);
		return;
	}
	free(cfg->listen_host);
	cfg->listen_host = host;
	cfg->listen_port = port;
}

static const char *const tuning_keys[] = {"workers", "batch_size", "max_line", "tick_ms",
					  "max_files"};
enum { TK_WORKERS, TK_BATCH, TK_MAXLINE, TK_TICK, TK_MAXFILES, TK_N };

void ld_tuning(struct ld *ld, struct cfg *cfg, const struct ynode *map)
{
	static const struct ld_keyset ks = {"in tuning", tuning_keys, TK_N};
	const struct ynode *v[TK_N] = {0};
	bool batch_ok = true, line_ok = true;

	if (map->type == Y_SCALAR && map->null)
		return;
	if (map->type != Y_MAP) {
		ld_err(ld, map, "'tuning' must be a mapping, not %s", ynode_kind(map));
		return;
	}
	ld_map_collect(ld, map, &ks, v);
	if (v[TK_WORKERS])
		ld_get_uint(ld, v[TK_WORKERS], "workers", 0, 64, &cfg->workers);
	if (v[TK_BATCH])
		batch_ok = !ld_get_size(ld, v[TK_BATCH], "batch_size", 64 * KIB, 4 * MIB,
					&cfg->batch_size);
	if (v[TK_MAXLINE])
		line_ok = !ld_get_size(ld, v[TK_MAXLINE], "max_line", KIB, MIB, &cfg->max_line);
	if (v[TK_TICK])
		ld_get_uint(ld, v[TK_TICK], "tick_ms", 100, 10000, &cfg->tick_ms);
	if (v[TK_MAXFILES])
		ld_get_uint(ld, v[TK_MAXFILES], "max_files", 1, 1048576, &cfg->max_files);
	if (batch_ok && line_ok && cfg->max_line >= cfg->batch_size / 2)
		ld_err(ld, v[TK_MAXLINE] ? v[TK_MAXLINE] : v[TK_BATCH],
		       "'max_line' (%u) must be less than half of 'batch_size' (%u / 2 = %u); "
		       "lower max_line or raise batch_size",
		       cfg->max_line, cfg->batch_size, cfg->batch_size / 2);
}

static const char *const samples_keys[] = {"keep", "line_bytes", "per_key", "bytes"};
enum { SK_KEEP, SK_LINE, SK_PER_KEY, SK_BYTES, SK_N };

void ld_samples(struct ld *ld, struct cfg *cfg, const struct ynode *map)
{
	static const struct ld_keyset ks = {"in samples", samples_keys, SK_N};
	const struct ynode *v[SK_N] = {0};

	if (map->type == Y_SCALAR && map->null)
		return;
	if (map->type != Y_MAP) {
		ld_err(ld, map,
		       "'samples' must be a mapping (keep:, line_bytes:, per_key:, bytes:), "
		       "not %s",
		       ynode_kind(map));
		return;
	}
	ld_map_collect(ld, map, &ks, v);
	if (v[SK_KEEP])
		ld_get_uint(ld, v[SK_KEEP], "keep", 0, 1000, &cfg->samples_keep);
	if (v[SK_LINE])
		ld_get_size(ld, v[SK_LINE], "line_bytes", 64, 64 * KIB, &cfg->samples_line_bytes);
	if (v[SK_PER_KEY])
		ld_get_uint(ld, v[SK_PER_KEY], "per_key", 0, 100, &cfg->samples_per_key);
	if (v[SK_BYTES])
		ld_get_size(ld, v[SK_BYTES], "bytes", 64 * KIB, 1024 * MIB, &cfg->samples_bytes);
}

static const char *const http_keys[] = {"token_file",
					"auth_reads",
					"unauthenticated_writes",
					"hosts",
					"tls_cert",
					"tls_key",
					"max_connections",
					"max_connections_per_client",
					"max_streams",
					"header_timeout",
					"timeout",
					"nice"};
enum {
	HK_TOKEN,
	HK_AUTH_READS,
	HK_OPEN_WRITES,
	HK_HOSTS,
	HK_CERT,
	HK_KEY,
	HK_MAXCONN,
	HK_PER_CLIENT,
	HK_STREAMS,
	HK_HEADER_TIMEOUT,
	HK_TIMEOUT,
	HK_NICE,
	HK_N
};

#define HTTP_HOSTS_MAX 64 /* names in `hosts:` */

/* A file path given relative to the config: made relative to its directory. */
static void get_path(struct ld *ld, const struct ynode *v, const char *key, char **out)
{
	char *s = NULL, *full;
	const char *slash;
	size_t dirlen, size;

	if (ld_get_string(ld, v, key, &s))
		return;
	free(*out);
	*out = s;
	slash = strrchr(ld->file ? ld->file : "", '/');
	if (s[0] == '/' || !slash)
		return;
	dirlen = (size_t)(slash - ld->file);
	size = dirlen + 1 + strlen(s) + 1;
	full = malloc(size);
	if (!full) {
		ld->oom = true;
		return;
	}
	snprintf(full, size, "%.*s/%s", (int)dirlen, ld->file, s);
	free(s);
	*out = full;
}

/* A duration key of `http:` from 1s to max_s into *out; what describes the
 * range in the message ("1s to 1h"). */
static void get_http_duration(struct ld *ld, const struct ynode *v, const char *key, uint32_t max_s,
			      const char *range, uint32_t *out)
{
	uint32_t secs;

	if (ld_want_scalar(ld, v, key, "a duration such as 30s"))
		return;
	if (cfg_parse_duration(v->str, &secs) || secs > max_s)
		ld_err(ld, v, "'%s' must be a duration from %s, got '%.*s'", key, range,
		       ynode_qlen(v), v->str);
	else
		*out = secs;
}

/* A name `hosts:` may list: a host name (letters, digits, '.', '-', '_';
 * at most 253 characters) or an IPv6 address in brackets; no port. */
static bool host_name_ok(const char *s, size_t len)
{
	unsigned char a6[16];
	char buf[64];

	if (len && s[0] == '[') {
		if (len < 3 || len - 2 >= sizeof(buf) || s[len - 1] != ']')
			return false;
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		return inet_pton(AF_INET6, buf, a6) == 1;
	}
	if (!len || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-_", s[i]))
			return false;
	return true;
}

/* `hosts:` into cfg->http_hosts: a sequence of names (host_name_ok). */
static void get_hosts(struct ld *ld, struct cfg *cfg, const struct ynode *v)
{
	if (ld_want_seq(ld, v, "hosts"))
		return;
	if (v->nkids > HTTP_HOSTS_MAX) {
		ld_err(ld, v, "'hosts' lists %zu names; at most %u", v->nkids, HTTP_HOSTS_MAX);
		return;
	}
	cfg->http_hosts = calloc(v->nkids ? v->nkids : 1, sizeof(*cfg->http_hosts));
	if (!cfg->http_hosts) {
		ld->oom = true;
		return;
	}
	for (size_t i = 0; i < v->nkids; i++) {
		const struct ynode *it = v->kids[i];

		if (ld_want_scalar(ld, it, "hosts", "a host name"))
			continue;
		if (!host_name_ok(it->str, it->len)) {
			ld_err(ld, it,
			       "'hosts' lists host names as a browser sends them in Host, without "
			       "a scheme or port (weir.example.com, [2001:db8::1]); got '%.*s'",
			       ynode_qlen(it), it->str);
			continue;
		}
		cfg->http_hosts[cfg->http_nhosts] = strdup(it->str);
		if (!cfg->http_hosts[cfg->http_nhosts]) {
			ld->oom = true;
			return;
		}
		cfg->http_nhosts++;
	}
}

void ld_http(struct ld *ld, struct cfg *cfg, const struct ynode *map)
{
	static const struct ld_keyset ks = {"in http", http_keys, HK_N};
	const struct ynode *v[HK_N] = {0};

	if (map->type == Y_SCALAR && map->null)
		return;
	if (map->type != Y_MAP) {
		ld_err(ld, map, "'http' must be a mapping, not %s", ynode_kind(map));
		return;
	}
	ld_map_collect(ld, map, &ks, v);
	if (v[HK_TOKEN])
		get_path(ld, v[HK_TOKEN], "token_file", &cfg->http_token_file);
	if (v[HK_AUTH_READS])
		ld_get_bool(ld, v[HK_AUTH_READS], "auth_reads", &cfg->http_auth_reads);
	if (v[HK_OPEN_WRITES])
		ld_get_bool(ld, v[HK_OPEN_WRITES], "unauthenticated_writes",
			    &cfg->http_unauthenticated_writes);
	if (v[HK_HOSTS])
		get_hosts(ld, cfg, v[HK_HOSTS]);
	if (v[HK_CERT])
		get_path(ld, v[HK_CERT], "tls_cert", &cfg->http_tls_cert);
	if (v[HK_KEY])
		get_path(ld, v[HK_KEY], "tls_key", &cfg->http_tls_key);
	if (v[HK_MAXCONN])
		ld_get_uint(ld, v[HK_MAXCONN], "max_connections", 1, 65536,
			    &cfg->http_max_connections);
	if (v[HK_PER_CLIENT])
		ld_get_uint(ld, v[HK_PER_CLIENT], "max_connections_per_client", 1, 65536,
			    &cfg->http_max_per_client);
	if (v[HK_STREAMS])
		ld_get_uint(ld, v[HK_STREAMS], "max_streams", 1, 4096, &cfg->http_max_streams);
	if (v[HK_HEADER_TIMEOUT])
		get_http_duration(ld, v[HK_HEADER_TIMEOUT], "header_timeout", 300, "1s to 5m",
				  &cfg->http_header_timeout_s);
	if (v[HK_TIMEOUT])
		get_http_duration(ld, v[HK_TIMEOUT], "timeout", 3600, "1s to 1h",
				  &cfg->http_timeout_s);
	if (v[HK_NICE])
		ld_get_uint(ld, v[HK_NICE], "nice", 0, 19, &cfg->http_nice);
	if (!cfg->http_tls_cert != !cfg->http_tls_key)
		ld_err(ld, map, "'tls_cert' and 'tls_key' go together: give both or neither");
	if (cfg->http_auth_reads && !cfg->http_token_file)
		ld_err(ld, v[HK_AUTH_READS], "'auth_reads' needs a 'token_file'");
	if (cfg->http_unauthenticated_writes && cfg->http_token_file)
		ld_err(ld, v[HK_OPEN_WRITES],
		       "'unauthenticated_writes' contradicts 'token_file' (writes need the token); "
		       "give one or the other");
}
