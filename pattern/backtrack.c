/*
 * backtrack.c - nested unbounded quantifiers in a regex (see backtrack.h).
 *
 * One pass over the text with a stack of open groups. Each group notes
 * whether its body holds an unbounded quantifier (*, +, {n,} or {n,m}
 * with m large) and whether it is atomic; when it closes and is itself
 * repeated without bound (not possessively), a body that could repeat
 * means the engine can split a run of input between the two quantifiers
 * in exponentially many ways.
 */
#include "pattern/backtrack.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>

#define MAX_DEPTH 64
#define BIG_REPEAT 16 /* {n,m} with m above this counts as unbounded */

struct group {
	size_t open;  /* offset of its '(' */
	bool atomic;  /* (?>...): no backtracking into it */
	bool repeats; /* its body holds an unbounded quantifier */
};

/* The quantifier at re[i], if any: its length (0: none); *unbounded set
 * when it repeats without (practical) bound; *possessive when it ends in
 * '+'. */
static size_t quantifier(const char *re, size_t i, bool *unbounded, bool *possessive)
{
	size_t n = 0;

	*unbounded = *possessive = false;
	if (re[i] == '*' || re[i] == '+') {
		*unbounded = true;
		n = 1;
	} else if (re[i] == '?') {
		n = 1;
	} else if (re[i] == '{' && isdigit((unsigned char)re[i + 1])) {
		char *end;
		unsigned long lo = strtoul(re + i + 1, &end, 10), hi = lo;

		if (*end == ',') {
			if (end[1] == '}') {
				*unbounded = true;
				end++;
			} else if (isdigit((unsigned char)end[1])) {
				hi = strtoul(end + 1, &end, 10);
			} else {
				return 0;
			}
		}
		if (*end != '}')
			return 0; /* a literal '{' */
		*unbounded |= hi > BIG_REPEAT && hi > lo;
		n = (size_t)(end + 1 - (re + i));
	}
	if (n && (re[i + n] == '+' || re[i + n] == '?')) {
		*possessive = re[i + n] == '+';
		n++;
	}
	return n;
}

/* Past a character class starting at re[i] == '['. */
static size_t skip_class(const char *re, size_t i)
{
	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++; /* a ']' first is literal */
	while (re[i] && re[i] != ']') {
		if (re[i] == '\\' && re[i + 1])
			i++;
		else if (re[i] == '[' && re[i + 1] == ':')
			while (re[i] && !(re[i] == ':' && re[i + 1] == ']'))
				i++;
		i++;
	}
	return re[i] ? i + 1 : i;
}

bool pat_regex_nests_quantifiers(const char *re, size_t *at)
{
	struct group st[MAX_DEPTH];
	int depth = 0;
	size_t i = 0;

	while (re[i]) {
		bool unb, poss;
		size_t q;

		if (re[i] == '\\') {
			i += re[i + 1] ? 2 : 1;
		} else if (re[i] == '[') {
			i = skip_class(re, i);
		} else if (re[i] == '(') {
			if (depth == MAX_DEPTH)
				return false; /* too deep to judge */
			st[depth++] =
			    (struct group){i, re[i + 1] == '?' && re[i + 2] == '>', false};
			i++;
			continue;
		} else if (re[i] == ')' && depth) {
			struct group g = st[--depth];

			i++;
			q = quantifier(re, i, &unb, &poss);
			if (q && unb && !poss && !g.atomic && g.repeats) {
				*at = g.open;
				return true;
			}
			/* the group, repeated or holding a repeat, makes its parent's body repeat
			 */
			if (depth && ((q && unb) || g.repeats))
				st[depth - 1].repeats = true;
			i += q;
			continue;
		} else {
			i++;
		}
		/* after an atom: its quantifier */
		q = quantifier(re, i, &unb, &poss);
		if (q && unb && depth)
			st[depth - 1].repeats = true;
		i += q;
	}
	return false;
}
