/*
 * where.h - a rule's `where:` conditions, compiled for testing records'
 * fields fast: numbers become bit masks, addresses binary CIDR blocks.
 * Private to pattern/. Owns its arrays; read-only (and shared by every
 * worker) once compiled.
 */
#ifndef WEIR_PATTERN_WHERE_H
#define WEIR_PATTERN_WHERE_H

#include "config/config.h"
#include "pattern/pattern.h"

#include <stdbool.h>
#include <stdint.h>

struct where_str {
	const char *s; /* borrowed from the cfg */
	uint32_t len;
};

struct where_net {
	uint16_t family;
	uint8_t bits;
	uint8_t addr[16];
};

struct where_cond {
	enum cfg_field field;
	bool negate;	  /* strings, peers: none of the values */
	enum cfg_cmp cmp; /* named fields: EQ/NE on strings, else on the number */
	double num;
	struct pat_ref ref;	/* named fields: which (compile.c resolves the group) */
	uint32_t mask;		/* facility, severity: bit v set = value v passes */
	struct where_str *strs; /* host, app, procid, msgid, source */
	struct where_net *nets; /* peer */
	uint32_t n;
};

struct where {
	struct where_cond *c;
	uint32_t n;
};

/* Compile r's conditions into w (OUT). 0 or -ENOMEM. */
int where_compile(const struct cfg_rule *r, struct where *w);
void where_free(struct where *w);

/* Do f's fields pass every condition of w? */
bool where_eval(const struct where *w, const struct pat_fields *f);

#endif
