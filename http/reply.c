/*
 * reply.c - see reply.h. The only place that sets a JSON reply's headers
 * and writes the error body.
 */
#include "http/reply.h"

#include "core/json.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>

enum MHD_Result http_send_body(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_send_static(struct MHD_Connection *c, const char *body, size_t len)
{
	return http_send_body(
	    c, MHD_HTTP_OK,
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT));
}

enum MHD_Result http_send_built(struct MHD_Connection *c, struct strbuf *sb)
{
	size_t len = sb->len;
	char *body = strbuf_take(sb);

	if (!body)
		return http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return http_send_body(c, MHD_HTTP_OK,
			      MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE));
}

enum MHD_Result http_send_error_with(struct MHD_Connection *c, unsigned status, const char *msg,
				     const char *name, const char *value)
{
	struct strbuf sb = {0};
	struct MHD_Response *r;
	char *body;
	size_t len;

	strbuf_puts(&sb, "{\"error\":{\"status\":");
	json_u64(&sb, status);
	strbuf_puts(&sb, ",\"message\":");
	json_cstr(&sb, msg);
	strbuf_puts(&sb, "}}\n");
	len = sb.len;
	body = strbuf_take(&sb);
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (name)
		MHD_add_response_header(r, name, value);
	return http_send_body(c, status, r);
}

enum MHD_Result http_send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return http_send_error_with(c, status, msg, NULL, NULL);
}

enum MHD_Result http_send_no_rule(struct MHD_Connection *c, const char *name)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "no such rule: %.120s", name);
	return http_send_error(c, MHD_HTTP_NOT_FOUND, msg);
}
