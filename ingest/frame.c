/* frame.c - see frame.h. */
#include "ingest/frame.h"

#include <string.h>

uint32_t frame_feed(struct framer *f, char *buf, uint32_t len, uint32_t n, uint32_t *complete)
{
	uint32_t start = len - n;
	char *nl;

	if (f->discarding) {
		/* Drop the tail of a cut line, up to and including its '\n'. */
		nl = memchr(buf + start, '\n', n);
		if (!nl) {
			f->bytes_discarded += n;
			return start;
		}
		uint32_t drop = (uint32_t)(nl - (buf + start)) + 1;
		f->bytes_discarded += drop - 1;
		memmove(buf + start, nl + 1, n - drop);
		len -= drop;
		n -= drop;
		f->discarding = false;
	}
	nl = n ? memrchr(buf + start, '\n', n) : NULL;
	if (nl)
		*complete = (uint32_t)(nl - buf) + 1;
	if (len - *complete > f->max_line) {
		/* The partial record outgrew the cap: keep max_line bytes of it. */
		uint32_t cut = *complete + f->max_line;

		f->bytes_discarded += len - cut; /* buf[cut] on is the dropped rest */
		buf[cut] = '\n';
		len = cut + 1;
		*complete = len;
		f->lines_truncated++;
		f->discarding = true;
	}
	return len;
}

uint32_t frame_finish(struct framer *f, char *buf, uint32_t len, uint32_t *complete)
{
	f->discarding = false;
	if (len > *complete) {
		buf[len++] = '\n';
		*complete = len;
	}
	return len;
}
