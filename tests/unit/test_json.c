/* test_json.c - the JSON writer escapes any bytes into valid JSON. */
#include "core/json.h"

#include <criterion/criterion.h>
#include <string.h>

static char *esc(const char *s, size_t n)
{
	struct strbuf sb = {0};

	json_str(&sb, s, n);
	return strbuf_take(&sb);
}

struct case_ {
	const char *in;
	size_t len;
	const char *out;
};

Test(json, strings_escape_to_valid_json_and_utf8)
{
	static const struct case_ cases[] = {
	    {"plain", 5, "\"plain\""},
	    {"q\"b\\", 4, "\"q\\\"b\\\\\""},
	    {"\n\r\t\x01\x7f", 5, "\"\\n\\r\\t\\u0001\\u007f\""},
	    {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},	      /* valid UTF-8 kept */
	    {"\xff\xfe", 2, "\"\\ufffd\\ufffd\""},	      /* invalid bytes */
	    {"\xc3", 1, "\"\\ufffd\""},			      /* truncated sequence */
	    {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},	      /* overlong */
	    {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""}, /* surrogate */
	    {"a\0b", 3, "\"a\\u0000b\""},
	    {"\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = esc(cases[i].in, cases[i].len);

		cr_assert_str_eq(got, cases[i].out, "case %zu", i);
		free(got);
	}
}

Test(json, numbers_and_times)
{
	struct strbuf sb = {0};
	char *s;

	json_u64(&sb, 18446744073709551615ull);
	strbuf_putc(&sb, ' ');
	json_double(&sb, 0.5);
	strbuf_putc(&sb, ' ');
	json_double(&sb, 1.0 / 0.0);
	strbuf_putc(&sb, ' ');
	json_time_ms(&sb, 1795241876123);
	s = strbuf_take(&sb);
	cr_assert_str_eq(s, "18446744073709551615 0.5 null \"2026-11-21T06:17:56.123Z\"");
	free(s);
}

/* Plain decimals, never exponent form: uptime after 11.6 days printed as
 * 1.00224e+06 with %.6g (issue 16). */
Test(json, numbers_stay_plain_decimals)
{
	static const struct {
		double v;
		int sig;
		const char *out;
	} cases[] = {
	    {0.5, 6, "0.5"},
	    {2.0, 6, "2"},
	    {1002240.125, 6, "1002240"},
	    {1234567.8, 6, "1234570"},
	    {123456789012.0, 6, "123457000000"},
	    {0.000125, 6, "0.000125"},
	    {0.0001234567, 6, "0.000123457"},
	    {1003.456789, 6, "1003.46"},
	    {-2.5, 6, "-2.5"},
	    {-0.00000001, 2, "-0.00000001"},
	    {1e-50, 6, "0"},
	    {0.1 + 0.2, 15, "0.3"},
	    {123.456, 15, "123.456"},
	    {1e20, 15, "100000000000000000000"},
	    {0.0, 6, "0"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = {0};
		char *s;

		json_number(&sb, cases[i].v, cases[i].sig);
		s = strbuf_take(&sb);
		cr_assert_str_eq(s, cases[i].out, "case %zu: %.17g", i, cases[i].v);
		cr_assert_null(strchr(s, 'e'), "case %zu", i);
		free(s);
	}
}

Test(json, seconds_from_milliseconds_are_exact)
{
	static const struct {
		int64_t ms;
		const char *out;
	} cases[] = {
	    {0, "0"}, {1500, "1.5"}, {1002240125, "1002240.125"}, {1000, "1"}, {-250, "-0.25"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = {0};
		char *s;

		json_seconds_ms(&sb, cases[i].ms);
		s = strbuf_take(&sb);
		cr_assert_str_eq(s, cases[i].out, "case %zu", i);
		free(s);
	}
}
