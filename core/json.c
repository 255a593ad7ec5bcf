/* json.c - see json.h. */
#include "core/json.h"

#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* json_str; with html, '<', '>' and '&' are escaped too. */
static void put_str(struct strbuf *sb, const char *str, size_t n, bool html)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	strbuf_putc(sb, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' &&
		    !(html && (c == '<' || c == '>' || c == '&'))) {
			i++;
			run++;
			continue;
		}
		strbuf_append(sb, s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			strbuf_append(sb, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
			char e[8];
			switch (c) {
			case '\n':
				strbuf_puts(sb, "\\n");
				break;
			case '\r':
				strbuf_puts(sb, "\\r");
				break;
			case '\t':
				strbuf_puts(sb, "\\t");
				break;
			default:
				snprintf(e, sizeof(e), "\\u%04x", c);
				strbuf_puts(sb, e);
			}
			i++;
		} else if ((l = utf8_len(s + i, n - i)) > 0) {
			strbuf_append(sb, s + i, l);
			i += l;
		} else {
			strbuf_puts(sb, "\\ufffd");
			i++;
		}
	}
	strbuf_append(sb, s + i - run, run);
	strbuf_putc(sb, '"');
}

void json_str(struct strbuf *sb, const char *s, size_t len)
{
	put_str(sb, s, len, false);
}

void json_text(struct strbuf *sb, const char *s, size_t len)
{
	put_str(sb, s, len, true);
}

void json_cstr(struct strbuf *sb, const char *s)
{
	if (!s) {
		strbuf_puts(sb, "null");
		return;
	}
	json_str(sb, s, strlen(s));
}

void json_u64(struct strbuf *sb, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	strbuf_append(sb, b, (size_t)n);
}

void json_i64(struct strbuf *sb, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	strbuf_append(sb, b, (size_t)n);
}

void json_number(struct strbuf *sb, double v, int sig)
{
	char b[400];
	int n, dec;

	if (!isfinite(v)) {
		strbuf_puts(sb, "null");
		return;
	}
	if (v == 0) {
		strbuf_putc(sb, '0');
		return;
	}
	/* decimals that leave sig significant digits; above that, round the
	 * integer part to sig digits instead (what %g would have printed as
	 * an exponent) */
	dec = sig - 1 - (int)floor(log10(fabs(v)));
	if (dec < 0) {
		double q = pow(10, -dec);

		v = round(v / q) * q;
		dec = 0;
	}
	if (dec > 40)
		dec = 40; /* below 1e-40: prints as 0 */
	n = snprintf(b, sizeof(b), "%.*f", dec, v);
	if (n <= 0 || n >= (int)sizeof(b)) {
		strbuf_puts(sb, "null");
		return;
	}
	if (memchr(b, '.', (size_t)n)) {
		while (b[n - 1] == '0')
			n--;
		if (b[n - 1] == '.')
			n--;
	}
	if (n == 2 && b[0] == '-' && b[1] == '0') { /* -0.0000001 rounded */
		b[0] = '0';
		n = 1;
	}
	strbuf_append(sb, b, (size_t)n);
}

void json_double(struct strbuf *sb, double v)
{
	json_number(sb, v, 6);
}

void json_seconds_ms(struct strbuf *sb, int64_t ms)
{
	uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	char b[32];
	int n = snprintf(b, sizeof(b), "%s%llu.%03llu", ms < 0 ? "-" : "",
			 (unsigned long long)(a / 1000), (unsigned long long)(a % 1000));

	while (b[n - 1] == '0')
		n--;
	if (b[n - 1] == '.')
		n--;
	strbuf_append(sb, b, (size_t)n);
}

void json_key(struct strbuf *sb, const char *key)
{
	json_cstr(sb, key);
	strbuf_putc(sb, ':');
}

void json_time_ms(struct strbuf *sb, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char b[40];
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(b, sizeof(b), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	strbuf_append(sb, b, (size_t)n);
}
