/*
 * assets.h - the dashboard's files as the binary holds them: one row per
 * URL path, with both representations and their entity tags. Types only.
 *
 * The table is written by scripts/web_assets.py from the bundle that
 * web/build.mjs made (build/web/assets.c) and is linked into the weir
 * program only; static.c declares a weak empty table, so every other
 * program that links libweir.a (unit tests, fuzz targets, benchmarks)
 * links too and serves no page. Everything here is constant data.
 */
#ifndef WEIR_HTTP_ASSETS_H
#define WEIR_HTTP_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

struct http_asset {
	const char *path;	   /* the URL path: "/" or "/assets/app-HASH.js" */
	const char *type;	   /* Content-Type */
	const unsigned char *body; /* identity bytes */
	size_t len;
	const unsigned char *gz; /* the same, gzip level 9 */
	size_t gz_len;
	const char *etag;    /* strong, quoted, from a hash of body */
	const char *etag_gz; /* the gzip copy's ("...-gz") */
	bool immutable;	     /* a hashed name: cacheable for a year */
};

struct http_asset_table {
	const struct http_asset *items;
	size_t n;
};

/* The dashboard (build/web/assets.c), or static.c's empty weak default. */
extern const struct http_asset_table http_web_assets;

#endif
