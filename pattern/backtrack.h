/*
 * backtrack.h - spotting regexes that make a backtracking engine (PCRE2,
 * which runs a rule's captures) take exponential time: a group repeated
 * without bound whose body can itself repeat without bound, as in (a+)+,
 * (\w*)*, (x+y?)+ or (?:a|b+){2,}. Hyperscan, which decides matches, is not
 * affected; only the captures are, and PAT_MATCH_LIMIT bounds their cost.
 * A heuristic over the regex text, like the "star height" checks of
 * safe-regex: it may miss an overlap of alternatives ((a|aa)+) and it
 * ignores quantified groups that are atomic or possessive.
 */
#ifndef WEIR_BACKTRACK_H
#define WEIR_BACKTRACK_H

#include <stdbool.h>
#include <stddef.h>

/* Does re (NUL-terminated) nest unbounded quantifiers? When it does,
 * *at (OUT) is the offset of the outer group's '('. */
bool pat_regex_nests_quantifiers(const char *re, size_t *at);

#endif
