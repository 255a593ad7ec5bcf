/*
 * credentials.c - see credentials.h.
 */
#include "http/credentials.h"

#include "core/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole small file into a NUL-terminated buffer. NULL (and errno) on error. */
static char *read_small(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? 2 * cap : 8192;
			if (cap > (1u << 20) || !(nb = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int http_token_read(const char *path, char **tok, size_t *len)
{
	size_t n;
	char *t = read_small(path, &n), *p;
	int err = errno;

	if (!t) {
		log_error("http: cannot read the token file %s: %s", path, strerror(err));
		return -err;
	}
	p = t;
	while (is_space(*p))
		p++;
	n = strlen(p);
	while (n && is_space(p[n - 1]))
		n--;
	if (n < 16) {
		log_error("http: the token in %s is %s; use at least 16 characters", path,
			  n ? "too short" : "empty");
		free(t);
		return -EINVAL;
	}
	memmove(t, p, n);
	t[n] = '\0';
	*tok = t;
	*len = n;
	return 0;
}

int http_tls_read(const char *cert_path, const char *key_path, char **cert, char **key)
{
	const char *path = cert_path;
	int err;

	*key = NULL;
	*cert = read_small(cert_path, NULL);
	if (*cert) {
		path = key_path;
		*key = read_small(key_path, NULL);
	}
	if (*cert && *key)
		return 0;
	err = errno;
	log_error("http: cannot read %s: %s", path, strerror(err));
	free(*cert);
	*cert = NULL;
	return -err;
}
