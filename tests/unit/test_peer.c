/* test_peer.c - sender addresses and the bounded top-senders count. */
#include "core/peer.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static struct peer_addr v4(uint32_t host_order, uint16_t port)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct peer_addr p;

	in.sin_addr.s_addr = htonl(host_order);
	peer_from_sockaddr(&p, (struct sockaddr *)&in, sizeof(in));
	return p;
}

Test(peer, addresses_are_read_and_written_back)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(514)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct peer_addr p = v4(0x0a000001, 5514);
	char buf[PEER_TEXT_MAX];

	peer_format(&p, true, buf, sizeof(buf));
	cr_expect_str_eq(buf, "10.0.0.1:5514");
	peer_format(&p, false, buf, sizeof(buf));
	cr_expect_str_eq(buf, "10.0.0.1");

	inet_pton(AF_INET6, "2001:db8::7", &in6.sin6_addr);
	peer_from_sockaddr(&p, (struct sockaddr *)&in6, sizeof(in6));
	cr_expect_eq(p.family, AF_INET6);
	peer_format(&p, true, buf, sizeof(buf));
	cr_expect_str_eq(buf, "[2001:db8::7]:514");

	/* an IPv4 sender on a dual-stack socket is an IPv4 address */
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &in6.sin6_addr);
	peer_from_sockaddr(&p, (struct sockaddr *)&in6, sizeof(in6));
	cr_expect_eq(p.family, AF_INET);
	peer_format(&p, false, buf, sizeof(buf));
	cr_expect_str_eq(buf, "192.0.2.9");
	cr_expect(peer_same_host(&p, &(struct peer_addr){0}) == false);

	peer_from_sockaddr(&p, (struct sockaddr *)&un, sizeof(sa_family_t));
	peer_format(&p, true, buf, sizeof(buf));
	cr_expect_str_eq(buf, "local");
	peer_from_sockaddr(&p, NULL, 0);
	peer_format(&p, true, buf, 4);
	cr_expect_str_eq(buf, "unk", "cut to the buffer");
}

Test(peer, same_host_ignores_the_port)
{
	struct peer_addr a = v4(0x7f000001, 1), b = v4(0x7f000001, 2), c = v4(0x7f000002, 1);

	cr_expect(peer_same_host(&a, &b));
	cr_expect(!peer_same_host(&a, &c));
}

/* Space-Saving's promise, checked against exact counts: every host with
 * more than total / K messages is listed, and every listed count is at
 * least the true count and at most the true count plus its error. */
Test(peer, top_senders_keep_the_space_saving_bounds)
{
	enum { HOSTS = 5000, HEAVY = 20 };
	static uint64_t exact[HOSTS];
	struct peer_top t;
	struct peer_count out[PEER_TOP_K];
	uint64_t total = 0, drops0 = 0;
	uint32_t i, n, seed = 12345;

	memset(exact, 0, sizeof(exact));
	peer_top_init(&t);
	for (i = 0; i < 400000; i++) {
		uint32_t h;

		seed = seed * 1103515245u + 12345u;
		/* half the traffic from 20 heavy hosts, the rest spread thin */
		h = (seed >> 8) % 2 ? (seed >> 9) % HEAVY : HEAVY + (seed >> 9) % (HOSTS - HEAVY);
		struct peer_addr p = v4(0x0a000000 + h, (uint16_t)(i & 0xffff));

		peer_top_add(&t, &p, 1, 100);
		if (h == 0 && i % 7 == 0) {
			peer_top_dropped(&t, &p, 1);
			drops0++;
		}
		exact[h]++;
		total++;
	}
	cr_assert_eq(t.total, total);
	n = peer_top_sorted(&t, out, PEER_TOP_K);
	cr_assert_eq(n, PEER_TOP_K);
	for (i = 1; i < n; i++)
		cr_expect_geq(out[i - 1].messages, out[i].messages, "sorted, most first");
	for (i = 0; i < n; i++) {
		uint32_t h = ntohl(*(uint32_t *)out[i].host.addr) - 0x0a000000;

		cr_assert_lt(h, HOSTS);
		cr_expect_eq(out[i].host.port, 0, "hosts, not ports");
		cr_expect_geq(out[i].messages, exact[h]);
		cr_expect_leq(out[i].messages - out[i].err, exact[h]);
	}
	for (uint32_t h = 0; h < HOSTS; h++) {
		bool listed = false;

		if (exact[h] <= total / PEER_TOP_K)
			continue;
		for (i = 0; i < n; i++)
			listed |= ntohl(*(uint32_t *)out[i].host.addr) - 0x0a000000 == h;
		cr_expect(listed, "host %u sent %llu > %llu and must be listed", h,
			  (unsigned long long)exact[h], (unsigned long long)(total / PEER_TOP_K));
	}
	/* host 0's drops: counted since it last took its entry, so at most
	 * all of them and, as it is heavy, most of them */
	for (i = 0; i < n; i++)
		if (ntohl(*(uint32_t *)out[i].host.addr) == 0x0a000000) {
			cr_expect_leq(out[i].dropped, drops0);
			cr_expect_geq(out[i].dropped, drops0 * 9 / 10);
		}
	/* the heavy hosts come first */
	for (i = 0; i < HEAVY; i++)
		cr_expect_lt(ntohl(*(uint32_t *)out[i].host.addr) - 0x0a000000, HEAVY);
}
