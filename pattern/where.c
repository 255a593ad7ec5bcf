/*
 * where.c - see where.h.
 */
#include "pattern/where.h"

#include "core/peer.h"
#include "pattern/syslog.h"
#include "pattern/value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static uint32_t numeric_mask(const struct cfg_where *cw)
{
	uint32_t m = 0, v;
	size_t i;

	if (cw->nvalues > 1 || cw->cmp == CFG_CMP_EQ) {
		for (i = 0; i < cw->nvalues; i++)
			m |= 1u << cw->nums[i];
		return m;
	}
	for (v = 0; v < 24; v++) {
		int n = cw->nums[0];
		bool pass = cw->cmp == CFG_CMP_NE   ? (int)v != n
			    : cw->cmp == CFG_CMP_LT ? (int)v < n
			    : cw->cmp == CFG_CMP_LE ? (int)v <= n
			    : cw->cmp == CFG_CMP_GT ? (int)v > n
						    : (int)v >= n;

		if (pass)
			m |= 1u << v;
	}
	return m;
}

/* s is an address or address/prefix (config/ checked it: the prefix is
 * digits, at most the address's bits). Anything else leaves family 0: a
 * block that no peer is in. */
static void parse_net(const char *s, struct where_net *n)
{
	char a[INET6_ADDRSTRLEN + 8], *end;
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;

	memset(n, 0, sizeof(*n));
	if (len >= sizeof(a))
		return; /* the config checked it */
	memcpy(a, s, len);
	a[len] = '\0';
	if (inet_pton(AF_INET, a, n->addr) == 1) {
		n->family = AF_INET;
		n->bits = 32;
	} else if (inet_pton(AF_INET6, a, n->addr) == 1) {
		n->family = AF_INET6;
		n->bits = 128;
	}
	if (!slash)
		return;
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || errno || bits > n->bits)
		n->family = 0;
	else
		n->bits = (uint8_t)bits;
}

int where_compile(const struct cfg_rule *r, struct where *w)
{
	size_t i, k;

	memset(w, 0, sizeof(*w));
	if (!r->nwhere)
		return 0;
	w->c = calloc(r->nwhere, sizeof(*w->c));
	if (!w->c)
		return -ENOMEM;
	w->n = (uint32_t)r->nwhere;
	for (i = 0; i < r->nwhere; i++) {
		const struct cfg_where *cw = &r->where[i];
		struct where_cond *c = &w->c[i];

		c->field = cw->field;
		c->negate = cw->cmp == CFG_CMP_NE;
		c->n = (uint32_t)cw->nvalues;
		c->cmp = cw->cmp;
		c->num = cw->num;
		if (cw->field == CFG_FIELD_NAMED)
			c->ref = (struct pat_ref){cw->name, (uint32_t)strlen(cw->name), -1};
		switch (cw->field) {
		case CFG_FIELD_FACILITY:
		case CFG_FIELD_SEVERITY:
			c->mask = numeric_mask(cw);
			break;
		case CFG_FIELD_PEER:
			c->nets = calloc(cw->nvalues, sizeof(*c->nets));
			if (!c->nets)
				return -ENOMEM;
			for (k = 0; k < cw->nvalues; k++)
				parse_net(cw->values[k], &c->nets[k]);
			break;
		default:
			c->strs = calloc(cw->nvalues, sizeof(*c->strs));
			if (!c->strs)
				return -ENOMEM;
			for (k = 0; k < cw->nvalues; k++) {
				c->strs[k].s = cw->values[k];
				c->strs[k].len = (uint32_t)strlen(cw->values[k]);
			}
			break;
		}
	}
	return 0;
}

void where_free(struct where *w)
{
	uint32_t i;

	for (i = 0; w->c && i < w->n; i++) {
		free(w->c[i].strs);
		free(w->c[i].nets);
	}
	free(w->c);
	memset(w, 0, sizeof(*w));
}

static bool in_net(const struct where_net *n, const struct peer_addr *p)
{
	uint32_t full = n->bits / 8, rest = n->bits % 8;

	if (n->family != p->family || memcmp(n->addr, p->addr, full))
		return false;
	return !rest || !((n->addr[full] ^ p->addr[full]) & (0xffu << (8 - rest)));
}

static bool str_in(const struct where_cond *c, const char *s, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < c->n; i++)
		if (c->strs[i].len == len && !memcmp(c->strs[i].s, s, len))
			return true;
	return false;
}

static bool named(const struct where_cond *c, const struct pat_fields *f)
{
	const char *v;
	size_t len;
	double x;

	if (pat_field(f, &c->ref, &v, &len))
		return false;
	switch (c->cmp) {
	case CFG_CMP_EQ:
	case CFG_CMP_NE:
		return (len <= UINT32_MAX && str_in(c, v, (uint32_t)len)) != c->negate;
	default:
		break;
	}
	if (pat_number(v, len, false, &x))
		return false;
	switch (c->cmp) {
	case CFG_CMP_LT:
		return x < c->num;
	case CFG_CMP_LE:
		return x <= c->num;
	case CFG_CMP_GT:
		return x > c->num;
	default:
		return x >= c->num;
	}
}

static bool cond(const struct where_cond *c, const struct pat_fields *f)
{
	const struct syslog_msg *m = f->sys;
	struct syslog_str v;
	uint32_t i;
	bool hit;

	switch (c->field) {
	case CFG_FIELD_FACILITY:
		return m && (c->mask >> m->facility & 1);
	case CFG_FIELD_SEVERITY:
		return m && (c->mask >> m->severity & 1);
	case CFG_FIELD_PEER:
		if (!f->peer || (f->peer->family != AF_INET && f->peer->family != AF_INET6))
			return false;
		for (hit = false, i = 0; i < c->n && !hit; i++)
			hit = in_net(&c->nets[i], f->peer);
		return hit != c->negate;
	case CFG_FIELD_SOURCE:
		return f->source_name &&
		       str_in(c, f->source_name, (uint32_t)strlen(f->source_name)) != c->negate;
	case CFG_FIELD_HOST:
		v = m ? m->hostname : (struct syslog_str){0};
		break;
	case CFG_FIELD_APP:
		v = m ? m->app_name : (struct syslog_str){0};
		break;
	case CFG_FIELD_PROCID:
		v = m ? m->procid : (struct syslog_str){0};
		break;
	case CFG_FIELD_MSGID:
		v = m ? m->msgid : (struct syslog_str){0};
		break;
	case CFG_FIELD_NAMED:
		return named(c, f);
	default:
		return false;
	}
	if (!v.p)
		return false; /* absent or NILVALUE */
	return str_in(c, v.p, v.len) != c->negate;
}

bool where_eval(const struct where *w, const struct pat_fields *f)
{
	uint32_t i;

	for (i = 0; i < w->n; i++)
		if (!cond(&w->c[i], f))
			return false;
	return true;
}
