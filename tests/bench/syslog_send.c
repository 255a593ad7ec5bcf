/*
 * syslog_send.c - a fast syslog sender for the syslog benchmark (syslog.py).
 *
 *   syslog_send (--tcp|--udp) HOST:PORT [--count N] [--conns C] [--rate R]
 *               [--seed S] [--pool P] [--max-len B] [--rfc5424 PERMILLE]
 *               [--batch B] [--chunk BYTES] [--wait]
 *   syslog_send --dump [--count N] [--seed S] [--max-len B] [--rfc5424 PERMILLE]
 *
 * Messages: ingest/loggen.c's lines made into what real senders put on the
 * wire. Its syslog lines get a PRI for their program (sshd authpriv, kernel
 * kern, postfix mail, CRON cron, systemd daemon, apps local0) and stay RFC
 * 3164; its access-log lines are sent the way nginx's `access_log
 * syslog:server=` sends them ("<190>Nov 21 06:12:01 web-01 nginx: LINE").
 * PERMILLE of the messages (default 300) are rewritten as RFC 5424 instead
 * ("<86>1 2026-11-21T06:12:01.123Z web-01 sshd 4242 - - MSG"), some of them
 * with a [meta sequenceId=".."] element. A message longer than --max-len
 * (300) is skipped, not cut, so every message is a whole realistic line.
 *
 * All P distinct messages (default min(N, 262144)) are generated before
 * anything is sent, then sent in order, cycling, until N are sent: the
 * generator costs nothing during the timed part, and the pool stays warm.
 * The same seed, pool and limits give the same messages.
 *
 * --tcp: C connections (default 1), each in its own thread, N/C messages
 *   each, RFC 6587 octet counting ("LEN SP MSG", no trailer), written in
 *   writes of --chunk bytes (default 256 KiB) that ignore frame boundaries,
 *   as a stream allows. Then shutdown(SHUT_WR) and close.
 * --udp: one datagram per message, C connected sockets in C threads, sent
 *   with sendmmsg(2) in batches of up to --batch (default 256). --rate R
 *   offers R messages/s in all (0: as fast as possible), paced against the
 *   clock (message k of a thread leaves no earlier than start + k*C/R; a
 *   thread that falls behind catches up in full batches). ENOBUFS is
 *   retried and counted ("retries").
 * --wait: connect, then print "ready" and wait for a line on stdin before
 *   sending, so the caller can start its clock at the first send.
 * --dump: print the first N messages, one per line, and exit.
 *
 * At the end one JSON line goes to stdout: mode, sent, bytes (of messages,
 * without framing), wire_bytes, seconds (first send to last send returned),
 * start and end (CLOCK_MONOTONIC seconds, the clock of Python's
 * time.monotonic()), rate offered and achieved. Exit 0, or 1 on a send
 * error (the JSON line still says what was sent), 2 on bad usage.
 */
#include "ingest/loggen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SEND_START_MS 1795241521000LL /* 2026-11-21T06:12:01Z, as gen */
#define SEND_STEP_MS 5
#define SEND_LINE_MAX 1024 /* loggen_line() never needs more */
#define SEND_MAX_CONNS 64
#define SEND_MAX_BATCH 1024 /* UIO_MAXIOV: the most sendmmsg(2) takes */

enum mode { MODE_NONE, MODE_TCP, MODE_UDP, MODE_DUMP };

/* The messages: their bytes back to back in buf (no separators), message i
 * at buf + off[i], off[n] = the end. tcp is the same messages framed ("LEN
 * SP MSG"), frame i at tcp + toff[i]. Owned by main, read-only once built. */
struct pool {
	char *buf;
	size_t *off;
	char *tcp;
	size_t *toff;
	size_t n;
};

struct opts {
	enum mode mode;
	const char *dest;
	uint64_t count;
	unsigned conns;
	double rate;
	uint64_t seed;
	size_t pool;
	size_t max_len;
	unsigned rfc5424; /* permille */
	unsigned batch;
	size_t chunk;
	int wait;
};

/* One sending thread: its socket and share; the results are its own. */
struct sender {
	const struct opts *o;
	const struct pool *p;
	int fd;
	uint64_t count;	    /* messages to send */
	size_t first;	    /* pool index of its first message */
	double rate;	    /* its share of --rate, 0 = unpaced */
	struct timespec t0; /* common start */
	uint64_t sent, bytes, wire, retries;
	struct timespec end;
	int err; /* 0 or an errno */
};

/* ---- time ------------------------------------------------------------- */

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void ts_add_ns(struct timespec *t, uint64_t ns)
{
	ns += (uint64_t)t->tv_nsec;
	t->tv_sec += (time_t)(ns / 1000000000u);
	t->tv_nsec = (long)(ns % 1000000000u);
}

struct civil {
	unsigned year, mon, day, hour, min, sec, msec;
};

/* UTC date and time of ms since the epoch (H. Hinnant's days_from_civil
 * inverse; ms >= 0). */
static void civil_from_ms(int64_t ms, struct civil *c)
{
	int64_t secs = ms / 1000, days = secs / 86400;
	unsigned sod = (unsigned)(secs % 86400);

	c->msec = (unsigned)(ms % 1000);
	c->hour = sod / 3600;
	c->min = sod / 60 % 60;
	c->sec = sod % 60;
	days += 719468;
	int64_t era = days / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	c->day = doy - (153 * mp + 2) / 5 + 1;
	c->mon = mp < 10 ? mp + 3 : mp - 9;
	c->year = (unsigned)(yoe + era * 400 + (c->mon <= 2));
}

/* ---- messages --------------------------------------------------------- */

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const WEB_HOSTS[] = {"web-01", "web-02", "web-03", "web-04", "lb-01"};

/* splitmix64, for the choices made here (loggen has its own). */
static uint64_t mix_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned mix_below(uint64_t *s, unsigned n)
{
	return (unsigned)(((mix_next(s) >> 32) * n) >> 32);
}

/* A syslog line from loggen, cut into its parts ("Nov 21 06:12:01 HOST
 * TAG[PID]: MSG"; no PID for sudo and kernel). Pointers into the line. */
struct parts {
	const char *host, *tag, *pid, *msg;
	size_t host_len, tag_len, pid_len, msg_len;
};

/* Returns 0 when line (len bytes, no '\n') is such a syslog line. */
static int split_3164(const char *line, size_t len, struct parts *pt)
{
	const char *end = line + len, *p;

	if (len < 17 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[15] != ' ')
		return -1;
	pt->host = line + 16;
	p = memchr(pt->host, ' ', (size_t)(end - pt->host));
	if (!p)
		return -1;
	pt->host_len = (size_t)(p - pt->host);
	pt->tag = p + 1;
	for (p = pt->tag; p < end && *p != '[' && *p != ':'; p++)
		;
	if (p == end)
		return -1;
	pt->tag_len = (size_t)(p - pt->tag);
	pt->pid = NULL;
	pt->pid_len = 0;
	if (*p == '[') {
		pt->pid = p + 1;
		p = memchr(p, ']', (size_t)(end - p));
		if (!p)
			return -1;
		pt->pid_len = (size_t)(p - pt->pid);
		p++;
	}
	if (end - p < 2 || p[0] != ':' || p[1] != ' ')
		return -1;
	pt->msg = p + 2;
	pt->msg_len = (size_t)(end - pt->msg);
	return 0;
}

static int has(const struct parts *pt, const char *word)
{
	return memmem(pt->msg, pt->msg_len, word, strlen(word)) != NULL;
}

static int tag_is(const struct parts *pt, const char *prefix)
{
	size_t n = strlen(prefix);
	return pt->tag_len >= n && !memcmp(pt->tag, prefix, n);
}

/* PRI = facility * 8 + severity, as these programs log. */
static unsigned pri_of(const struct parts *pt)
{
	unsigned fac, sev = 6; /* info */

	if (tag_is(pt, "sshd")) {
		fac = 10; /* authpriv */
	} else if (tag_is(pt, "sudo")) {
		fac = 10;
		sev = has(pt, "incorrect password") || has(pt, "NOT in sudoers") ? 1 : 5;
	} else if (tag_is(pt, "kernel")) {
		fac = 0;
		sev = has(pt, "error") || has(pt, "Out of memory") || has(pt, "segfault") ? 3 : 4;
	} else if (tag_is(pt, "CRON")) {
		fac = 9;
	} else if (tag_is(pt, "postfix")) {
		fac = 2;
		sev = has(pt, "reject") ? 5 : 6;
	} else if (tag_is(pt, "systemd")) {
		fac = 3;
		sev = has(pt, "Failed") || has(pt, "failed") ? 3 : 6;
	} else if (tag_is(pt, "nginx")) {
		fac = 23;
		sev = has(pt, "[error]") ? 3 : has(pt, "[warn]") ? 4 : 6;
	} else {
		fac = 16; /* local0: the applications */
		if (has(pt, "FATAL") || has(pt, "level=fatal"))
			sev = 2;
		else if (has(pt, "ERROR") || has(pt, "level=error"))
			sev = 3;
		else if (has(pt, "WARN") || has(pt, "level=warn"))
			sev = 4;
		else if (has(pt, "DEBUG") || has(pt, "level=debug"))
			sev = 7;
	}
	return fac * 8 + sev;
}

/*
 * The next message into out (cap > 2 * SEND_LINE_MAX), without a trailer.
 * g: loggen's state; s: our own choices. Returns the length.
 */
static size_t msg_next(struct loggen *g, uint64_t *s, const struct opts *o, char *out, size_t cap)
{
	char line[SEND_LINE_MAX];
	struct parts pt;
	struct civil c;
	int64_t ms = g->now_ms; /* the time loggen stamps on this line */
	size_t len = loggen_line(g, line, sizeof(line));
	int n;

	if (len && line[len - 1] == '\n')
		len--;
	civil_from_ms(ms, &c);
	if (split_3164(line, len, &pt) < 0) {
		/* an access-log line, as nginx sends it */
		pt.host = WEB_HOSTS[mix_below(s, sizeof(WEB_HOSTS) / sizeof(WEB_HOSTS[0]))];
		pt.host_len = strlen(pt.host);
		pt.tag = "nginx";
		pt.tag_len = 5;
		pt.pid = NULL;
		pt.pid_len = 0;
		pt.msg = line;
		pt.msg_len = len;
		if (mix_below(s, 1000) >= o->rfc5424) {
			n = snprintf(out, cap, "<190>%s %2u %02u:%02u:%02u %.*s nginx: %.*s",
				     MONTHS[c.mon - 1], c.day, c.hour, c.min, c.sec,
				     (int)pt.host_len, pt.host, (int)len, line);
			return n < 0 ? 0 : (size_t)n;
		}
	} else if (mix_below(s, 1000) >= o->rfc5424) {
		/* loggen's line is RFC 3164 already: add the PRI */
		n = snprintf(out, cap, "<%u>%.*s", pri_of(&pt), (int)len, line);
		return n < 0 ? 0 : (size_t)n;
	}

	/* RFC 5424: PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG */
	const char *procid = pt.pid ? pt.pid : "-";
	int procid_len = pt.pid ? (int)pt.pid_len : 1;
	const char *msgid = tag_is(&pt, "nginx") && !pt.pid ? "access" : "-";
	char sd[64] = "-";

	if (mix_below(s, 1000) < 200)
		snprintf(sd, sizeof(sd), "[meta sequenceId=\"%u\"]", 1 + mix_below(s, 999999));
	n = snprintf(out, cap, "<%u>1 %04u-%02u-%02uT%02u:%02u:%02u.%03uZ ", pri_of(&pt), c.year,
		     c.mon, c.day, c.hour, c.min, c.sec, c.msec);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	int m = snprintf(out + n, cap - (size_t)n, "%.*s %.*s %.*s %s %s %.*s", (int)pt.host_len,
			 pt.host, (int)pt.tag_len, pt.tag, procid_len, procid, msgid, sd,
			 (int)pt.msg_len, pt.msg);
	n = m < 0 ? -1 : n + m;
	return n < 0 ? 0 : (size_t)n;
}

/* Build the pool: n messages of at most max_len bytes, and their frames. */
static int pool_build(struct pool *p, const struct opts *o, size_t n)
{
	struct loggen g;
	uint64_t s = o->seed ^ 0x5359534c4f47ULL; /* "SYSLOG" */
	char tmp[2 * SEND_LINE_MAX + 128];
	size_t cap = n * (o->max_len + 8) + 1, used = 0, tused = 0, i;

	memset(p, 0, sizeof(*p));
	p->buf = malloc(cap);
	p->tcp = malloc(cap);
	p->off = malloc((n + 1) * sizeof(*p->off));
	p->toff = malloc((n + 1) * sizeof(*p->toff));
	if (!p->buf || !p->tcp || !p->off || !p->toff)
		return -ENOMEM;
	loggen_init(&g, o->seed, SEND_START_MS, SEND_STEP_MS);
	for (i = 0; i < n;) {
		size_t len = msg_next(&g, &s, o, tmp, sizeof(tmp));
		if (len == 0 || len > o->max_len || len >= sizeof(tmp) - 1)
			continue;
		p->off[i] = used;
		memcpy(p->buf + used, tmp, len);
		used += len;
		p->toff[i] = tused;
		tused += (size_t)sprintf(p->tcp + tused, "%zu ", len);
		memcpy(p->tcp + tused, tmp, len);
		tused += len;
		i++;
	}
	p->off[n] = used;
	p->toff[n] = tused;
	p->n = n;
	return 0;
}

static void pool_free(struct pool *p)
{
	free(p->buf);
	free(p->tcp);
	free(p->off);
	free(p->toff);
}

/* ---- sockets ---------------------------------------------------------- */

/* Resolve "HOST:PORT" or "[V6]:PORT" (numeric host) into *ss. */
static int parse_dest(const char *dest, struct sockaddr_storage *ss, socklen_t *len, int udp)
{
	char host[256];
	const char *colon, *h = dest;
	size_t hlen;

	if (*dest == '[') {
		const char *rb = strchr(dest, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = dest + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(dest, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - dest);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';

	struct addrinfo hints = {0}, *res;
	hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A connected socket to dest, in *fdp. Returns 0 or -errno. */
static int open_conn(const struct sockaddr_storage *ss, socklen_t len, int udp, int *fdp)
{
	int fd = socket(ss->ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int size = 4 << 20, one = 1;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (!udp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* ---- sending ---------------------------------------------------------- */

/* Send all of buf on a stream socket, at most chunk bytes a call. */
static int send_all(int fd, const char *buf, size_t len, size_t chunk)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len < chunk ? len : chunk, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *tcp_thread(void *arg)
{
	struct sender *sd = arg;
	const struct pool *p = sd->p;
	uint64_t left = sd->count;
	size_t i = sd->first;

	while (left > 0) {
		size_t take = p->n - i;
		if (take > left)
			take = (size_t)left;
		int rc = send_all(sd->fd, p->tcp + p->toff[i], p->toff[i + take] - p->toff[i],
				  sd->o->chunk);
		if (rc < 0) {
			sd->err = -rc;
			break;
		}
		sd->sent += take;
		sd->bytes += p->off[i + take] - p->off[i];
		sd->wire += p->toff[i + take] - p->toff[i];
		left -= take;
		i = (i + take) % p->n;
	}
	clock_gettime(CLOCK_MONOTONIC, &sd->end);
	shutdown(sd->fd, SHUT_WR);
	return NULL;
}

static void *udp_thread(void *arg)
{
	struct sender *sd = arg;
	const struct pool *p = sd->p;
	struct mmsghdr mm[SEND_MAX_BATCH];
	struct iovec iov[SEND_MAX_BATCH];
	unsigned batch = sd->o->batch;
	size_t i = sd->first;

	/* Paced: about 10,000 batches a second, so a batch leaves every ~100 us. */
	if (sd->rate > 0) {
		double b = sd->rate / 10000.0;
		batch = b < 1 ? 1 : b < batch ? (unsigned)b : batch;
	}
	memset(mm, 0, sizeof(mm));
	while (sd->sent < sd->count) {
		unsigned k, want = batch;
		if (sd->count - sd->sent < want)
			want = (unsigned)(sd->count - sd->sent);
		if (sd->rate > 0) {
			struct timespec due = sd->t0, now;
			ts_add_ns(&due, (uint64_t)((double)sd->sent * 1e9 / sd->rate));
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (ts_sec(&now) < ts_sec(&due)) {
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due,
						       NULL) == EINTR)
					;
			} else {
				/* behind: catch up in full batches, as many as are due */
				double due_n = (ts_sec(&now) - ts_sec(&sd->t0)) * sd->rate;
				double behind = due_n - (double)sd->sent;
				want = behind >= sd->o->batch ? sd->o->batch
				       : behind > want	      ? (unsigned)behind
							      : want;
				if (sd->count - sd->sent < want)
					want = (unsigned)(sd->count - sd->sent);
			}
		}
		for (k = 0; k < want; k++) {
			size_t j = (i + k) % p->n;
			iov[k].iov_base = p->buf + p->off[j];
			iov[k].iov_len = p->off[j + 1] - p->off[j];
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		for (k = 0; k < want;) {
			int n = sendmmsg(sd->fd, mm + k, want - k, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == ENOBUFS || errno == EAGAIN) {
					sd->retries++;
					sched_yield();
					continue;
				}
				sd->err = errno;
				goto out;
			}
			for (int m = 0; m < n; m++)
				sd->bytes += iov[k + (unsigned)m].iov_len;
			k += (unsigned)n;
			sd->sent += (unsigned)n;
		}
		i = (i + want) % p->n;
	}
out:
	sd->wire = sd->bytes;
	clock_gettime(CLOCK_MONOTONIC, &sd->end);
	return NULL;
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs(
	    "usage: syslog_send (--tcp|--udp) HOST:PORT [--count N] [--conns C] [--rate R]\n"
	    "                   [--seed S] [--pool P] [--max-len B] [--rfc5424 PERMILLE]\n"
	    "                   [--batch B] [--chunk BYTES] [--wait]\n"
	    "       syslog_send --dump [--count N] [--seed S] [--max-len B] [--rfc5424 PERMILLE]\n",
	    f);
}

/* A count: "5000000", "5e6", "2M" (10^6), "500k". */
static int parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1e6, end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {{"tcp", required_argument, NULL, 't'},
						 {"udp", required_argument, NULL, 'u'},
						 {"dump", no_argument, NULL, 'd'},
						 {"count", required_argument, NULL, 'n'},
						 {"conns", required_argument, NULL, 'c'},
						 {"rate", required_argument, NULL, 'r'},
						 {"seed", required_argument, NULL, 's'},
						 {"pool", required_argument, NULL, 'p'},
						 {"max-len", required_argument, NULL, 'l'},
						 {"rfc5424", required_argument, NULL, '5'},
						 {"batch", required_argument, NULL, 'b'},
						 {"chunk", required_argument, NULL, 'k'},
						 {"wait", no_argument, NULL, 'w'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	double v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == 't' || opt == 'u' || opt == 'd') {
			if (o->mode != MODE_NONE)
				goto bad;
			o->mode = opt == 't' ? MODE_TCP : opt == 'u' ? MODE_UDP : MODE_DUMP;
			o->dest = optarg;
			continue;
		}
		if (opt == 'w') {
			o->wait = 1;
			continue;
		}
		if (opt == '?' || parse_num(optarg, &v) < 0) {
			if (opt != '?')
				fprintf(stderr, "syslog_send: bad number '%s'\n", optarg);
			goto bad;
		}
		switch (opt) {
		case 'n':
			o->count = (uint64_t)v;
			break;
		case 'c':
			if (v < 1 || v > SEND_MAX_CONNS)
				goto bad;
			o->conns = (unsigned)v;
			break;
		case 'r':
			o->rate = v;
			break;
		case 's':
			o->seed = (uint64_t)v;
			break;
		case 'p':
			if (v < 1)
				goto bad;
			o->pool = (size_t)v;
			break;
		case 'l':
			if (v < 64 || v > SEND_LINE_MAX)
				goto bad;
			o->max_len = (size_t)v;
			break;
		case '5':
			if (v > 1000)
				goto bad;
			o->rfc5424 = (unsigned)v;
			break;
		case 'b':
			if (v < 1 || v > SEND_MAX_BATCH)
				goto bad;
			o->batch = (unsigned)v;
			break;
		case 'k':
			if (v < 1)
				goto bad;
			o->chunk = (size_t)v;
			break;
		}
	}
	if (o->mode == MODE_NONE || optind != argc)
		goto bad;
	return 0;
bad:
	usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct opts o = {.count = 1000000,
			 .conns = 1,
			 .seed = 1,
			 .pool = 262144,
			 .max_len = 300,
			 .rfc5424 = 300,
			 .batch = 256,
			 .chunk = 256 << 10};
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct sender sd[SEND_MAX_CONNS];
	pthread_t th[SEND_MAX_CONNS];
	struct pool p;
	unsigned c;
	int rc, status = 0;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.mode != MODE_DUMP && parse_dest(o.dest, &ss, &sslen, o.mode == MODE_UDP) < 0) {
		fprintf(stderr, "syslog_send: bad destination '%s' (HOST:PORT, [V6]:PORT)\n",
			o.dest);
		return 2;
	}
	if (o.count == 0) {
		fprintf(stderr, "syslog_send: --count must be at least 1\n");
		return 2;
	}

	size_t n = o.count < o.pool ? (size_t)o.count : o.pool;
	rc = pool_build(&p, &o, n);
	if (rc < 0) {
		fprintf(stderr, "syslog_send: pool of %zu messages: %s\n", n, strerror(-rc));
		pool_free(&p);
		return 1;
	}
	if (o.mode == MODE_DUMP) {
		for (uint64_t i = 0; i < o.count; i++) {
			size_t j = (size_t)(i % p.n);
			fwrite(p.buf + p.off[j], 1, p.off[j + 1] - p.off[j], stdout);
			putchar('\n');
		}
		pool_free(&p);
		return fflush(stdout) ? 1 : 0;
	}

	if (o.conns > o.count)
		o.conns = (unsigned)o.count;
	memset(sd, 0, sizeof(sd));
	for (c = 0; c < o.conns; c++) {
		sd[c].o = &o;
		sd[c].p = &p;
		sd[c].count = o.count / o.conns + (c < o.count % o.conns);
		sd[c].first = (size_t)((uint64_t)p.n * c / o.conns);
		sd[c].rate = o.rate / o.conns;
		rc = open_conn(&ss, sslen, o.mode == MODE_UDP, &sd[c].fd);
		if (rc < 0) {
			fprintf(stderr, "syslog_send: connect to %s://%s: %s\n",
				o.mode == MODE_UDP ? "udp" : "tcp", o.dest, strerror(-rc));
			while (c-- > 0)
				close(sd[c].fd);
			pool_free(&p);
			return 1;
		}
	}
	/* Paced sleeps end within a microsecond or so, not the default 50 us. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	if (o.wait) {
		char line[64];
		printf("ready %zu messages, %zu bytes\n", p.n, p.off[p.n]);
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			fprintf(stderr, "syslog_send: stdin closed before go\n");
			status = 1;
			goto out;
		}
	}

	struct timespec t0;
	unsigned started;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (started = 0; started < o.conns; started++) {
		sd[started].t0 = t0;
		rc = pthread_create(&th[started], NULL,
				    o.mode == MODE_UDP ? udp_thread : tcp_thread, &sd[started]);
		if (rc) {
			fprintf(stderr, "syslog_send: pthread_create: %s\n", strerror(rc));
			status = 1;
			break;
		}
	}
	uint64_t sent = 0, bytes = 0, wire = 0, retries = 0;
	double end = ts_sec(&t0);
	for (c = 0; c < started; c++) {
		pthread_join(th[c], NULL);
		sent += sd[c].sent;
		bytes += sd[c].bytes;
		wire += sd[c].wire;
		retries += sd[c].retries;
		if (ts_sec(&sd[c].end) > end)
			end = ts_sec(&sd[c].end);
		if (sd[c].err) {
			fprintf(stderr,
				"syslog_send: connection %u: %s after %" PRIu64 " messages\n", c,
				strerror(sd[c].err), sd[c].sent);
			status = 1;
		}
	}
	double secs = end - ts_sec(&t0);
	printf("{\"mode\":\"%s\",\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"wire_bytes\":%" PRIu64
	       ",\"seconds\":%.6f,\"start\":%.6f,\"end\":%.6f,\"conns\":%u,\"rate_offered\":%.0f,"
	       "\"rate_achieved\":%.0f,\"pool\":%zu,\"retries\":%" PRIu64 ",\"ok\":%s}\n",
	       o.mode == MODE_UDP ? "udp" : "tcp", sent, bytes, wire, secs, ts_sec(&t0), end,
	       o.conns, o.rate, secs > 0 ? (double)sent / secs : 0.0, p.n, retries,
	       status ? "false" : "true");
	fflush(stdout);
out:
	for (c = 0; c < o.conns; c++)
		close(sd[c].fd);
	pool_free(&p);
	return status;
}
