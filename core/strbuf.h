/*
 * strbuf.h - a growable byte string (curl's dynbuf, redis's sds in spirit).
 * A zeroed struct is a valid empty buffer. Out of memory is sticky: the
 * buffer stops growing, sets oom, and later appends are ignored, so callers
 * check once at the end. The bytes are always NUL-terminated once any
 * append succeeded.
 */
#ifndef WEIR_STRBUF_H
#define WEIR_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
};

void strbuf_append(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (who frees them); the buffer is left empty.
 * Returns NULL when out of memory, or an empty string when nothing was added. */
char *strbuf_take(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

#endif
