/* test_negotiate.c - Accept-Encoding and If-None-Match as clients send them. */
#include "http/negotiate.h"

#include <criterion/criterion.h>

Test(negotiate, accept_encoding_gzip_with_qvalues)
{
	static const struct {
		const char *ae;
		bool gzip;
	} cases[] = {
	    {NULL, false},
	    {"", false},
	    {"gzip", true},
	    {"GZip", true},
	    {"x-gzip", true},
	    {"gzip, deflate, br", true}, /* browsers */
	    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
	    {"identity", false},
	    {"deflate", false},
	    {"gzip;q=0", false},
	    {"gzip;q=0.0", false},
	    {"gzip; q=0.000", false},
	    {"gzip;q=0.001", true},
	    {"gzip;q=1", true},
	    {"gzip;q=1.000", true},
	    {"gzip;q=1.5", false},  /* not a qvalue: refused */
	    {"gzip;q=abc", false},  /* likewise */
	    {"gzip;level=9", true}, /* other parameters are ignored */
	    {"gzip;level=9;q=0", false},
	    {"*", true},
	    {"*;q=0", false},
	    {"gzip;q=0, *", false}, /* named beats the wildcard */
	    {"*;q=0, gzip", true},
	    {"gzip;q=0, gzip;q=0.5", true}, /* the best of repeats */
	    {" ,, gzip ,", true},
	    {"gzipx", false},
	    {"xgzip", false},
	    {"gzi", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(http_accepts_gzip(cases[i].ae), cases[i].gzip, "%s",
			     cases[i].ae ? cases[i].ae : "(none)");
}

Test(negotiate, if_none_match_weak_comparison)
{
	const char *tag = "\"ab-12\"";

	cr_expect(!http_etag_matches(NULL, tag));
	cr_expect(!http_etag_matches("", tag));
	cr_expect(http_etag_matches("\"ab-12\"", tag));
	cr_expect(http_etag_matches("W/\"ab-12\"", tag));
	cr_expect(http_etag_matches("\"ab-12\"", "W/\"ab-12\""));
	cr_expect(http_etag_matches("\"x\", \"ab-12\"", tag));
	cr_expect(http_etag_matches("\"x\",W/\"ab-12\" , \"y\"", tag));
	cr_expect(http_etag_matches("*", tag));
	cr_expect(!http_etag_matches("\"ab-1\"", tag));
	cr_expect(!http_etag_matches("\"ab-123\"", tag));
	cr_expect(!http_etag_matches("\"ab-12", tag)); /* unterminated */
	cr_expect(!http_etag_matches("ab-12", tag));   /* not a tag */
	cr_expect(!http_etag_matches("\"x\", ab-12", tag));
	cr_expect(!http_etag_matches("\"ab-12-gz\"", tag));
}
