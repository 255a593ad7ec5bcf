/* internal.h - pattern/'s private types; only files in pattern/ include this. */
#ifndef WEIR_PATTERN_INTERNAL_H
#define WEIR_PATTERN_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include "pattern/pattern.h"
#include "pattern/where.h"

#include <hs.h>
#include <pcre2.h>

/* What a compiled rule does beyond counting. Owned by struct pat_db. */
struct pat_rule {
	struct where where;   /* its conditions (n 0: none) */
	pcre2_code *re;	      /* its regex for PCRE2, when a capture is used; else NULL */
	struct pat_ref value; /* value:, top:, distinct: (name NULL: none) */
	double value_scale;   /* into the base unit */
	struct pat_ref top;
	struct pat_ref distinct;
	bool plain;	  /* count only: no fields, no captures, no outputs */
	bool interpreted; /* re runs without JIT (jit_err says why) */
	int jit_err;	  /* pcre2_jit_compile's error, 0 if none */
	uint8_t time;	  /* enum cfg_time: the rule's own `time:` (INHERIT: its source's) */
};

/* Owned by whoever compiled it; read-only (and shared) once built. */
struct pat_db {
	hs_database_t *hs; /* NULL when no rule has a regex */
	uint32_t nrules;
	struct pat_rule *rules; /* [nrules] */
	uint32_t *always;	/* rules without a regex: tested on every record */
	uint32_t nalways;
	uint32_t *extract; /* rules with re, for publishing their costs */
	uint32_t nextract;
	uint32_t max_groups;  /* most capture groups of any re, plus one */
	bool uses_fields;     /* some rule tests a syslog field, peer or source */
	bool uses_format;     /* some rule reads a field of the source's format */
	bool observes;	      /* some rule has value/top/distinct or captures, or may
				 count at event time */
	bool any_event;	      /* some rule says `time: event` */
	bool all_arrival;     /* every rule says `time: arrival` (none follows its source) */
	uint32_t interpreted; /* rules with re whose JIT compile failed */
};

/* Owned by one thread. */
struct pat_scanner {
	const struct pat_db *db; /* borrowed */
	hs_scratch_t *scratch;	 /* this thread's own */
	pcre2_match_data *md;	 /* for max_groups */
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	uint64_t *extract_ns; /* [nrules]: since the last publish */
	uint64_t *extract_n;
	uint64_t *limit_n;   /* [nrules]: extractions stopped at a limit, since then */
	uint64_t *missing_n; /* [nrules]: matches that lacked an output field, since then */
	uint32_t *missing;   /* [nrules]: the rules with missing_n > 0 */
	uint32_t nmissing;
	struct fieldset *fs; /* the current record's format fields */
	/* Event-time counts not yet emitted, per rule: a run of records of
	 * one rule in one second becomes one PAT_OBS_COUNT (see scan.c). */
	int32_t *pend_dsec; /* [nrules] */
	uint32_t *pend_n;   /* [nrules]: 0 = nothing pending */
	uint32_t *pend;	    /* [nrules]: the rules with something pending */
	uint32_t npend;
};

#endif
