/* internal.h - pattern/'s private types; only files in pattern/ include this. */
#ifndef WEIR_PATTERN_INTERNAL_H
#define WEIR_PATTERN_INTERNAL_H

#include "pattern/pattern.h"

#include <hs.h>

/* Owned by whoever compiled it; read-only (and shared) once built. */
struct pat_db {
	hs_database_t *hs; /* NULL when there are no rules */
	uint32_t nrules;
};

/* Owned by one thread. */
struct pat_scanner {
	const struct pat_db *db; /* borrowed */
	hs_scratch_t *scratch;	 /* this thread's own */
};

#endif
