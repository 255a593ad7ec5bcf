/*
 * value.h - what rules read from a record: the text of a field or a
 * capture, and a number in it. Private to pattern/ (scan.c for value:,
 * top: and distinct:, where.c for `where:` on named fields). Both
 * functions borrow their arguments and keep nothing.
 */
#ifndef WEIR_PATTERN_VALUE_H
#define WEIR_PATTERN_VALUE_H

#include "pattern/pattern.h"

#include <stdbool.h>
#include <stddef.h>

/* The value of r in f: 0 and *v, *len (OUT: borrowed from the record or
 * its fieldset), or -1 when the record has none. */
int pat_field(const struct pat_fields *f, const struct pat_ref *r, const char **v /* OUT */,
	      size_t *len /* OUT */);

/* The number at v[0..len) ("12", "-0.5", "1e3"; a unit suffix ns, us, ms,
 * s, m, h is read when units and turned into seconds). 0 and *out (OUT),
 * or -1. */
int pat_number(const char *v, size_t len, bool units, double *out /* OUT */);

#endif
