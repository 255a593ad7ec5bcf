/*
 * expect.h - `weir scan --expect GOLDEN`: compare a scan's JSON result with a
 * golden file of the same shape and describe every difference.
 *
 * What is compared: each rule of the golden must be in the result (matched
 * by "name") and each rule of the result must be in the golden; within a
 * rule, and at the top level, every key the golden gives is compared with
 * the result's, recursively; keys only the result has are ignored. Numbers:
 * two integers exactly, otherwise as doubles within a relative 1e-9; arrays
 * element by element and by length; strings, booleans and null exactly.
 * Nothing here knows the names of the keys but "rules" and "name", so new
 * keys in the scan output need no code. The exception: keys that time the
 * run (extract_ns) are skipped, as no two runs agree on them.
 *
 * A difference is one line: "  rule NAME: PATH: what" or "  PATH: what",
 * PATH being keys joined by '.', array indexes as [i] ("value.mean",
 * "top.items[0].count").
 *
 * Owns: a struct expect owns its parsed golden and a copy of its path;
 * expect_free() frees both.
 */
#ifndef WEIR_EXPECT_H
#define WEIR_EXPECT_H

#include "core/strbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A golden file larger than this is refused (it is read whole). */
#define EXPECT_MAX_BYTES (64u << 20)

struct expect;

/* Read and parse the golden at path and check its shape (an object whose
 * "rules" is an array of objects, each with a distinct string "name").
 * Returns 0 and *out, or -errno / -EINVAL with *err set (malloc'd, owned by
 * the caller, one line "PATH: message\n"; "PATH:LINE:COL: ..." for invalid
 * JSON, position as jansson reports it). */
int expect_load(const char *path,    /* the golden file */
		struct expect **out, /* OUT: the loaded golden */
		char **err);	     /* OUT: the message on failure, else NULL */
void expect_free(struct expect *e);

/* The rules the golden lists. */
size_t expect_nrules(const struct expect *e);

/* Compare parsed values: appends one line per difference to report and
 * returns how many there were (0: they match), or -ENOMEM. Borrows both. */
int expect_diff(const json_t *golden, /* what was expected */
		const json_t *result, /* what the scan produced */
		struct strbuf *report);

/* Compare a scan's JSON text with the golden. Appends the verdict to
 * verdict: "matches GOLDEN (N rules)\n", or "result differs from GOLDEN:\n"
 * followed by the difference lines. Returns the number of differences, or
 * -EINVAL when result is not JSON, -ENOMEM. */
int expect_check(const struct expect *e, const char *result, size_t len, struct strbuf *verdict);

/* expect_check() for a command: writes "PREFIX: verdict" to f and returns
 * its exit status, 0 when the result matches, 1 otherwise (also when result
 * is NULL, the scan having run out of memory, or cannot be compared). */
int expect_report(const struct expect *e, const char *result, size_t len,
		  const char *prefix, /* e.g. "weir scan" */
		  FILE *f);

#endif
