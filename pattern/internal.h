/* internal.h - pattern/'s private types; only files in pattern/ include this. */
#ifndef WEIR_PATTERN_INTERNAL_H
#define WEIR_PATTERN_INTERNAL_H

#include "pattern/pattern.h"
#include "pattern/where.h"

#include <hs.h>

/* Owned by whoever compiled it; read-only (and shared) once built. */
struct pat_db {
	hs_database_t *hs; /* NULL when no rule has a regex */
	uint32_t nrules;
	struct where *where; /* [nrules]: each rule's conditions (n 0: none) */
	uint32_t *always;    /* rules without a regex: tested on every record */
	uint32_t nalways;
	bool uses_fields; /* some rule has conditions */
};

/* Owned by one thread. */
struct pat_scanner {
	const struct pat_db *db; /* borrowed */
	hs_scratch_t *scratch;	 /* this thread's own */
};

#endif
