/*
 * peer.c - see peer.h.
 */
#include "core/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void peer_from_sockaddr(struct peer_addr *p, const struct sockaddr *sa, socklen_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(p, 0, sizeof(*p));
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		p->family = AF_INET;
		p->port = ntohs(in->sin_port);
		memcpy(p->addr, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		p->port = ntohs(in6->sin6_port);
		if (!memcmp(&in6->sin6_addr, mapped, sizeof(mapped))) {
			p->family = AF_INET;
			memcpy(p->addr, (const uint8_t *)&in6->sin6_addr + 12, 4);
		} else {
			p->family = AF_INET6;
			memcpy(p->addr, &in6->sin6_addr, 16);
		}
	} else if (sa->sa_family == AF_UNIX) {
		p->family = AF_UNIX;
	}
}

size_t peer_format(const struct peer_addr *p, bool with_port, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (!cap)
		return 0;
	if (p->family == AF_INET || p->family == AF_INET6) {
		inet_ntop(p->family, p->addr, a, sizeof(a));
		if (!with_port)
			n = snprintf(buf, cap, "%s", a);
		else if (p->family == AF_INET)
			n = snprintf(buf, cap, "%s:%u", a, p->port);
		else
			n = snprintf(buf, cap, "[%s]:%u", a, p->port);
	} else {
		n = snprintf(buf, cap, "%s", p->family == AF_UNIX ? "local" : "unknown");
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}

bool peer_same_host(const struct peer_addr *a, const struct peer_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

void peer_top_init(struct peer_top *t)
{
	memset(t, 0, sizeof(*t));
}

void peer_top_add(struct peer_top *t, const struct peer_addr *p, uint64_t messages, uint64_t bytes)
{
	struct peer_count *e;
	uint32_t i, min;

	t->total += messages;
	if (t->n && peer_same_host(&t->e[t->last].host, p)) {
		e = &t->e[t->last];
		goto add;
	}
	for (i = 0; i < t->n; i++)
		if (peer_same_host(&t->e[i].host, p)) {
			t->last = i;
			e = &t->e[i];
			goto add;
		}
	if (t->n < PEER_TOP_K) {
		t->last = t->n++;
		e = &t->e[t->last];
		memset(e, 0, sizeof(*e));
	} else {
		/* Space-Saving: the newcomer takes over the smallest counter and
		 * inherits its count as its possible error. */
		for (min = 0, i = 1; i < t->n; i++)
			if (t->e[i].messages < t->e[min].messages)
				min = i;
		t->last = min;
		e = &t->e[min];
		e->err = e->messages;
		e->bytes = 0;
		e->dropped = 0;
	}
	e->host = *p;
	e->host.port = 0;
add:
	e->messages += messages;
	e->bytes += bytes;
}

void peer_top_dropped(struct peer_top *t, const struct peer_addr *p, uint64_t n)
{
	uint32_t i;

	if (t->n && peer_same_host(&t->e[t->last].host, p)) {
		t->e[t->last].dropped += n;
		return;
	}
	for (i = 0; i < t->n; i++)
		if (peer_same_host(&t->e[i].host, p)) {
			t->e[i].dropped += n;
			return;
		}
}

static int by_messages(const void *a, const void *b)
{
	const struct peer_count *x = a, *y = b;

	return x->messages < y->messages ? 1 : x->messages > y->messages ? -1 : 0;
}

uint32_t peer_top_sorted(const struct peer_top *t, struct peer_count *out, uint32_t cap)
{
	struct peer_count all[PEER_TOP_K];

	memcpy(all, t->e, sizeof(all[0]) * t->n);
	qsort(all, t->n, sizeof(all[0]), by_messages);
	if (cap > t->n)
		cap = t->n;
	memcpy(out, all, sizeof(all[0]) * cap);
	return cap;
}
