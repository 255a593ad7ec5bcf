/*
 * test_backtrack.c - pattern/backtrack.c: which regexes nest unbounded
 * quantifiers (exponential backtracking for PCRE2), and which do not.
 */
#include "pattern/backtrack.h"

#include <criterion/criterion.h>

Test(backtrack, nested_unbounded_quantifiers_are_found_where_they_start)
{
	static const struct {
		const char *re;
		size_t at;
	} bad[] = {
	    {"(a+)+b", 0},	   {"(?<x>(a+)+)b", 5}, {"^(\\w*)*$", 1},
	    {"x(?:a|b+){2,}y", 1}, {"((a+))+", 0},	{"(a+b?)*c", 0},
	    {"([a-z]+\\s*)+$", 0}, {"(a{1,100})+", 0},	{"[(](a+)+", 3},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t at = 9999;

		cr_assert(pat_regex_nests_quantifiers(bad[i].re, &at), "%s", bad[i].re);
		cr_assert_eq(at, bad[i].at, "%s: at %zu", bad[i].re, at);
	}
}

Test(backtrack, single_or_bounded_repetition_is_fine)
{
	static const char *const good[] = {
	    "Failed password for (invalid user )?(?<user>\\S+) from (?<ip>\\S+)",
	    "(ab)+",
	    "(a+)?b",
	    "(\\d+\\.){3}\\d+",
	    "(a{1,3})+",
	    "(?>a+)+b",
	    "(a+)++b",
	    "[(a+)+]",
	    "\\(a+\\)+",
	    "a+b*c+",
	    "",
	    "(",
	    ")+",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t at = 0;

		cr_assert_not(pat_regex_nests_quantifiers(good[i], &at), "%s (at %zu)", good[i],
			      at);
	}
}
