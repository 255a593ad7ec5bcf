/*
 * peer.h - network peers: an address (IPv4, IPv6 or a local socket) small
 * enough to keep with every message, its text form, and a bounded count of
 * the busiest peers (Space-Saving).
 *
 * Owns nothing outside its structs. A struct peer_top belongs to one
 * thread; others read a copy (peer_top_sorted).
 */
#ifndef WEIR_PEER_H
#define WEIR_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 address and port, or a local (unix socket) sender. */
struct peer_addr {
	uint16_t family;  /* AF_INET, AF_INET6, AF_UNIX, or 0: unknown */
	uint16_t port;	  /* host order; 0 for AF_UNIX */
	uint8_t addr[16]; /* AF_INET: the first 4 bytes */
};

/* Longest peer_format() text with its NUL: "[v6]:port". */
#define PEER_TEXT_MAX 56

/* From a sockaddr as recvmsg/getpeername filled it (len bytes). An IPv4
 * address mapped into IPv6 (::ffff:a.b.c.d) becomes AF_INET. */
void peer_from_sockaddr(struct peer_addr *p /* OUT */, const struct sockaddr *sa, socklen_t len);

/* "10.0.0.1:514", "[::1]:514", "local", "unknown"; with_port false drops
 * the port ("10.0.0.1", "::1"). Returns the length written (< cap). */
size_t peer_format(const struct peer_addr *p, bool with_port, char *buf, size_t cap);

/* Same host (family and address; the port is ignored). */
bool peer_same_host(const struct peer_addr *a, const struct peer_addr *b);

/*
 * The busiest senders by host (port ignored), with bounded memory:
 * Space-Saving (Metwally et al. 2005) over PEER_TOP_K counters. Every host
 * that sent more than total/PEER_TOP_K messages is in the table, and each
 * entry's count overestimates its true count by at most its err.
 */
#define PEER_TOP_K 64

struct peer_count {
	struct peer_addr host; /* port 0 */
	uint64_t messages;     /* an upper bound of what this host sent */
	uint64_t bytes;	       /* bytes counted with those messages */
	uint64_t dropped;      /* of those, dropped by the receiver (no room) */
	uint64_t err;	       /* messages may be too high by this much */
};

struct peer_top {
	struct peer_count e[PEER_TOP_K];
	uint32_t n;
	uint32_t last; /* entry of the last update: senders come in runs */
	uint64_t total;
};

void peer_top_init(struct peer_top *t);
/* Count messages (and bytes) from p's host. */
void peer_top_add(struct peer_top *t, const struct peer_addr *p, uint64_t messages, uint64_t bytes);
/* Of the messages just counted from p's host, n were dropped. */
void peer_top_dropped(struct peer_top *t, const struct peer_addr *p, uint64_t n);
/* Copy up to cap entries, most messages first, into out. Returns how many. */
uint32_t peer_top_sorted(const struct peer_top *t, struct peer_count *out, uint32_t cap);

#endif
