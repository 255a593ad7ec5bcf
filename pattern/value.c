/*
 * value.c - what rules read from a record (see value.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "pattern/value.h"

#include "pattern/fields.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

int pat_field(const struct pat_fields *f, const struct pat_ref *r, const char **v, size_t *len)
{
	const struct field *fd;

	if (r->group > 0) {
		size_t a, b;

		if (!f->ovec || (uint32_t)r->group >= f->ncap)
			return -1;
		a = f->ovec[2 * r->group];
		b = f->ovec[2 * r->group + 1];
		if (a == PCRE2_UNSET || b < a)
			return -1;
		*v = f->rec + a;
		*len = b - a;
		return 0;
	}
	if (!f->fs || !(fd = fields_get(f->fs, r->name, r->nlen)))
		return -1;
	*v = fd->val;
	*len = fd->vlen;
	return 0;
}

int pat_number(const char *v, size_t len, bool units, double *out)
{
	static const struct {
		const char *sfx;
		double scale;
	} sfx[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3},
		   {"s", 1},	 {"m", 60},    {"h", 3600}};
	char buf[64], *end;
	double x;
	size_t i;

	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	/* strtod would take hex, inf and nan: only decimal numbers here */
	for (i = 0; i < len; i++)
		if (!strchr("0123456789+-.eE", buf[i]) && !(units && i))
			return -1;
	x = strtod(buf, &end);
	if (end == buf || x != x || x - x != 0)
		return -1;
	if (*end) {
		if (!units)
			return -1;
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (!strcmp(end, sfx[i].sfx))
				break;
		if (i == sizeof(sfx) / sizeof(sfx[0]))
			return -1;
		x *= sfx[i].scale;
	}
	*out = x;
	return 0;
}
