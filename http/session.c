/*
 * session.c - see session.h.
 */
#include "http/session.h"

#include "core/log.h"
#include "core/sha256.h"
#include "core/strbuf.h"
#include "http/internal.h"
#include "http/query.h"
#include "http/reply.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAC_LABEL "weir-session:"

bool http_secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;

	for (size_t i = 0; i < blen; i++)
		d |= (unsigned char)(a[i % (alen ? alen : 1)] ^ b[i]);
	return !d && blen;
}

/* hex HMAC of MAC_LABEL EXPIRY into out[2 * SHA256_LEN + 1]. */
static void mac_hex(const unsigned char key[HTTP_SESSION_KEY_LEN], const char *expiry, size_t elen,
		    char *out)
{
	static const char hex[] = "0123456789abcdef";
	char msg[sizeof(MAC_LABEL) + 24];
	unsigned char mac[SHA256_LEN];
	size_t n = sizeof(MAC_LABEL) - 1;

	memcpy(msg, MAC_LABEL, n);
	memcpy(msg + n, expiry, elen);
	hmac_sha256(key, HTTP_SESSION_KEY_LEN, msg, n + elen, mac);
	for (int i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[2 * SHA256_LEN] = '\0';
}

void http_session_value(const unsigned char key[HTTP_SESSION_KEY_LEN], int64_t expiry, char *out)
{
	int n = snprintf(out, HTTP_SESSION_VALUE_MAX, "%" PRId64 ".", expiry);

	mac_hex(key, out, (size_t)n - 1, out + n);
}

bool http_session_check(const unsigned char key[HTTP_SESSION_KEY_LEN], const char *value,
			int64_t now)
{
	char want[2 * SHA256_LEN + 1];
	const char *dot;
	int64_t expiry = 0;
	size_t elen;

	if (!value || !(dot = strchr(value, '.')))
		return false;
	elen = (size_t)(dot - value);
	if (!elen || elen > 18)
		return false;
	for (size_t i = 0; i < elen; i++) {
		if (value[i] < '0' || value[i] > '9')
			return false;
		expiry = expiry * 10 + (value[i] - '0');
	}
	if (expiry <= now)
		return false;
	mac_hex(key, value, elen, want);
	return http_secret_equal(dot + 1, strlen(dot + 1), want, 2 * SHA256_LEN);
}

bool http_session_valid(const struct http_server *h, struct MHD_Connection *c)
{
	return http_session_check(
	    h->session_key, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, HTTP_SESSION_COOKIE),
	    time(NULL));
}

/* 204 with the cookie set to value for max_age seconds. */
static enum MHD_Result send_cookie(const struct http_req *rq, const char *value, long max_age)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	char cookie[HTTP_SESSION_VALUE_MAX + 128];
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	snprintf(cookie, sizeof(cookie),
		 HTTP_SESSION_COOKIE "=%s; Max-Age=%ld; Path=/; HttpOnly; "
				     "SameSite=Strict%s",
		 value, max_age, rq->h->tls_cert ? "; Secure" : "");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(rq->c, MHD_HTTP_NO_CONTENT, r);
	MHD_destroy_response(r);
	return ret;
}

/* The token a login offers: the bearer header's, else the body's
 * {"token":"..."} (copied into buf). NULL and *bad set when a body is
 * there but not that shape. */
static const char *login_token(const struct http_req *rq, char *buf, size_t size, size_t *len,
			       bool *bad)
{
	const char *v = http_bearer_parse(
	    MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    len);
	json_t *doc, *tok;

	*bad = false;
	if (v || !rq->body_len)
		return v;
	doc = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, NULL);
	tok = json_is_object(doc) ? json_object_get(doc, "token") : NULL;
	if (!json_is_string(tok) || json_string_length(tok) >= size) {
		*bad = true;
		json_decref(doc);
		return NULL;
	}
	*len = json_string_length(tok);
	memcpy(buf, json_string_value(tok), *len);
	buf[*len] = '\0';
	json_decref(doc);
	return buf;
}

enum MHD_Result http_serve_login(const struct http_req *rq)
{
	static struct log_limit failed;
	const struct http_server *h = rq->h;
	char buf[1024], value[HTTP_SESSION_VALUE_MAX];
	const char *tok;
	size_t len = 0;
	bool bad;

	if (!h->token)
		return http_send_error(rq->c, MHD_HTTP_FORBIDDEN,
				       "no token is configured (http: token_file): there is "
				       "nothing to log in with");
	tok = login_token(rq, buf, sizeof(buf), &len, &bad);
	if (bad)
		return http_send_error(rq->c, MHD_HTTP_BAD_REQUEST,
				       "bad login body: send {\"token\":\"TOKEN\"} (JSON) or "
				       "Authorization: Bearer TOKEN");
	if (!tok || !http_secret_equal(tok, len, h->token, h->token_len)) {
		explicit_bzero(buf, sizeof(buf));
		log_limited(&failed, 1000, LOG_WARN, "http: a login with %s token was refused",
			    tok ? "a wrong" : "no");
		return http_send_error_with(rq->c, MHD_HTTP_UNAUTHORIZED,
					    tok ? "the token is not valid"
						: "a token is required: Authorization: Bearer "
						  "TOKEN, or the body {\"token\":\"TOKEN\"}",
					    MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					    "Bearer realm=\"weir\"");
	}
	explicit_bzero(buf, sizeof(buf));
	http_session_value(h->session_key, (int64_t)time(NULL) + HTTP_SESSION_MAX_AGE, value);
	return send_cookie(rq, value, HTTP_SESSION_MAX_AGE);
}

enum MHD_Result http_serve_logout(const struct http_req *rq)
{
	return send_cookie(rq, "", 0);
}

enum MHD_Result http_serve_session(const struct http_req *rq)
{
	const struct http_server *h = rq->h;
	bool authed = false;
	struct strbuf sb = {0};
	const char *v;
	size_t n;

	if (h->token) {
		v = http_bearer_parse(MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND,
								  MHD_HTTP_HEADER_AUTHORIZATION),
				      &n);
		authed = v ? http_secret_equal(v, n, h->token, h->token_len)
			   : http_session_valid(h, rq->c);
	}
	strbuf_puts(&sb, h->auth_reads ? "{\"auth_reads\":true" : "{\"auth_reads\":false");
	strbuf_puts(&sb, authed ? ",\"authenticated\":true}\n" : ",\"authenticated\":false}\n");
	return http_send_built(rq->c, &sb);
}
