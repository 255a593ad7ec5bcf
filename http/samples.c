/* samples.c - see samples.h. */
#include "http/samples.h"

#include "http/internal.h"
#include "http/query.h"
#include "http/reply.h"
#include "http/slice.h"

#include "aggregate/samples.h"
#include "aggregate/snapshot.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 256 /* longer rule names are unknown anyway */

enum MHD_Result http_serve_samples(const struct http_req *rq)
{
	struct MHD_Connection *c = rq->c;
	size_t n = strlen(rq->tail) - strlen(HTTP_SAMPLES_SUFFIX);
	const char *key = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key");
	const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	enum MHD_Result ret;
	unsigned long limit = 0;
	struct snapshot *s;
	struct strbuf sb = {0};
	char name[NAME_MAX_LEN + 1], msg[160];
	int r;

	snprintf(name, sizeof(name), "%.*s", (int)(n < NAME_MAX_LEN ? n : NAME_MAX_LEN), rq->tail);
	if (lim && http_limit_parse(lim, &limit)) {
		snprintf(msg, sizeof(msg), "bad limit: %.40s (a number from 1 to 1000)", lim);
		return http_send_error(c, MHD_HTTP_BAD_REQUEST, msg);
	}
	s = snap_store_acquire(rq->h->store);
	if (!s)
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet");
	if (n > NAME_MAX_LEN || !n || (r = http_rule_index(s, name)) < 0) {
		ret = http_send_no_rule(c, n > NAME_MAX_LEN || !n ? "(bad name)" : name);
		goto out;
	}
	if (!lim) /* default: samples.keep (at least 1) */
		limit = s->samples && s->samples->keep ? s->samples->keep : 1;
	strbuf_puts(&sb, "{\"rule\":");
	json_cstr(&sb, name);
	strbuf_puts(&sb, ",\"key\":");
	if (key)
		json_text(&sb, key, strlen(key));
	else
		strbuf_puts(&sb, "null");
	strbuf_puts(&sb, ",\"limit\":");
	json_u64(&sb, limit);
	strbuf_puts(&sb, ",\"samples\":");
	smp_pub_render(s->samples, (uint32_t)r, key, key ? strlen(key) : 0, (uint32_t)limit, &sb);
	strbuf_puts(&sb, "}\n");
	ret = http_send_built(c, &sb);
out:
	snap_release(s);
	return ret;
}
