/*
 * reply.h - the JSON replies the routes send: a body with the headers every
 * such reply has, and the one error shape every error has:
 *   {"error":{"status":404,"message":"..."}}
 * Each function queues its response on the connection and drops its own
 * reference; the result is MHD's (MHD_NO when nothing could be queued).
 */
#ifndef WEIR_HTTP_REPLY_H
#define WEIR_HTTP_REPLY_H

#include <microhttpd.h>
#include <stddef.h>

struct strbuf;

/* r (a JSON body; NULL: MHD_NO) with status, Cache-Control: no-store. */
enum MHD_Result http_send_body(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
/* 200 with body, len bytes in static storage (never freed). */
enum MHD_Result http_send_static(struct MHD_Connection *c, const char *body, size_t len);
/* 200 with sb's bytes, taken (sb is left empty); 500 if sb ran out of memory. */
enum MHD_Result http_send_built(struct MHD_Connection *c, struct strbuf *sb);
/* The error body for status and msg. */
enum MHD_Result http_send_error(struct MHD_Connection *c, unsigned status, const char *msg);
/* The same with one header (name: value) beside it: Allow on a 405,
 * WWW-Authenticate on a 401. */
enum MHD_Result http_send_error_with(struct MHD_Connection *c, unsigned status, const char *msg,
				     const char *name, const char *value);
/* 404 "no such rule: NAME" (the routes that take a rule name). */
enum MHD_Result http_send_no_rule(struct MHD_Connection *c, const char *name);

#endif
