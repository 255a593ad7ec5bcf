/* query.c - see query.h. */
#include "http/query.h"

#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int http_window_parse(const uint32_t *secs, uint32_t n, const char *v)
{
	uint32_t s;

	if (!v || cfg_parse_duration(v, &s))
		return -1;
	for (uint32_t w = 0; w < n; w++)
		if (secs[w] == s)
			return (int)w;
	return -1;
}

int http_k_parse(const char *v, unsigned long *k)
{
	char *end;

	*k = strtoul(v, &end, 10);
	if (!*v || *end || *k < 1 || *k > 1000 || v[0] == '-')
		return -EINVAL;
	return 0;
}

int http_limit_parse(const char *v, unsigned long *n)
{
	return http_k_parse(v, n); /* the same range */
}

int http_duration_parse(const char *v, uint32_t *secs)
{
	if (cfg_parse_duration(v, secs) || !*secs)
		return -EINVAL;
	return 0;
}

bool http_event_id_parse(const char *v, uint64_t *id)
{
	uint64_t n = 0;

	if (!v || !*v)
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*id = n;
	return true;
}

const char *http_bearer_parse(const char *v, size_t *len)
{
	size_t n;

	if (!v || strncasecmp(v, "Bearer ", 7))
		return NULL;
	v += 7;
	while (*v == ' ')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*len = n;
	return v;
}
