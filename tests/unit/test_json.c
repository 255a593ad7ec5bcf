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
