/*
 * loggen.c - a deterministic generator of realistic log lines (see loggen.h).
 *
 * Mix: about 70% nginx "combined" access-log lines with the request time
 * appended, 30% RFC 3164 syslog lines (sshd, sudo, kernel, systemd, cron,
 * postfix, nginx error log, application logs). Output is plain ASCII.
 *
 * Invariants:
 *  - All state is struct loggen: a splitmix64 counter and the clock. The
 *    same seed, start time and step give the same bytes on every platform
 *    (no libc randomness, no locale, no time zone: dates are UTC, computed
 *    here, not by gmtime()).
 *  - Nothing is allocated. A line is built by a bounded appender that never
 *    writes past cap; a line that would not fit is cut and still ends in
 *    '\n' (cap >= 1024 always fits: the longest template is ~450 bytes).
 */
#include "ingest/loggen.h"

#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- randomness ---------------------------------------------------------- */

/* splitmix64: one 64-bit word of state, good enough statistics for test data. */
static uint64_t rnd(struct loggen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (multiply-shift; bias is negligible for small n). */
static uint32_t below(struct loggen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t range(struct loggen *g, uint32_t lo, uint32_t hi)
{
	return lo + below(g, hi - lo + 1);
}

/* True with probability pct/1000. */
static int chance(struct loggen *g, uint32_t permille)
{
	return below(g, 1000) < permille;
}

/* A weighted table: each entry is chosen with probability w / sum(w). */
struct wstr {
	uint32_t w;
	const char *s;
};

static size_t pick_index(struct loggen *g, const struct wstr *t, size_t n)
{
	uint32_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += t[i].w;
	uint32_t r = below(g, total);
	for (size_t i = 0; i < n; i++) {
		if (r < t[i].w)
			return i;
		r -= t[i].w;
	}
	return n - 1;
}

#define PICK(g, t) ((t)[pick_index((g), (t), NELEM(t))].s)
#define PICK_IDX(g, t) pick_index((g), (t), NELEM(t))
/* Uniform choice from an array of strings. */
#define ANY(g, a) ((a)[below((g), (uint32_t)NELEM(a))])

/* ---- bounded appender ---------------------------------------------------- */

/* Writes into [p, end); end leaves one byte for the final '\n'. */
struct out {
	char *p;
	char *end;
};

static void put_mem(struct out *o, const char *s, size_t n)
{
	size_t room = (size_t)(o->end - o->p);
	if (n > room)
		n = room;
	memcpy(o->p, s, n);
	o->p += n;
}

static void put_str(struct out *o, const char *s)
{
	put_mem(o, s, strlen(s));
}

static void put_ch(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

/* Decimal, zero-padded to at least width digits. */
static void put_uint_w(struct out *o, uint64_t v, int width)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	while (n < width && n < (int)sizeof(tmp))
		tmp[n++] = '0';
	while (n > 0)
		put_ch(o, tmp[--n]);
}

static void put_uint(struct out *o, uint64_t v)
{
	put_uint_w(o, v, 1);
}

/* Lower-case hex, zero-padded to width digits. */
static void put_hex(struct out *o, uint64_t v, int width)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = width - 1; i >= 0; i--)
		put_ch(o, digits[(v >> (4 * i)) & 0xf]);
}

/* Milliseconds as seconds with three decimals: 23 -> "0.023". */
static void put_msec(struct out *o, uint32_t ms)
{
	put_uint(o, ms / 1000);
	put_ch(o, '.');
	put_uint_w(o, ms % 1000, 3);
}

/* ---- time ---------------------------------------------------------------- */

static const char *const MONTHS[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct tm_utc {
	int64_t year;
	unsigned mon; /* 1..12 */
	unsigned day; /* 1..31 */
	unsigned hour, min, sec, msec;
};

/* Civil date from a count of days since 1970-01-01 (H. Hinnant's algorithm). */
static void utc_from_ms(int64_t ms, struct tm_utc *t)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	t->msec = (unsigned)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	unsigned sod = (unsigned)(secs - days * 86400);
	t->hour = sod / 3600;
	t->min = sod / 60 % 60;
	t->sec = sod % 60;

	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	t->day = doy - (153 * mp + 2) / 5 + 1;
	t->mon = mp < 10 ? mp + 3 : mp - 9;
	t->year = (int64_t)yoe + era * 400 + (t->mon <= 2);
}

static void put_hms(struct out *o, const struct tm_utc *t)
{
	put_uint_w(o, t->hour, 2);
	put_ch(o, ':');
	put_uint_w(o, t->min, 2);
	put_ch(o, ':');
	put_uint_w(o, t->sec, 2);
}

/* "21/Nov/2026:06:12:01 +0000" (nginx $time_local, UTC). */
static void put_time_clf(struct out *o, const struct tm_utc *t)
{
	put_uint_w(o, t->day, 2);
	put_ch(o, '/');
	put_str(o, MONTHS[t->mon - 1]);
	put_ch(o, '/');
	put_uint(o, (uint64_t)t->year);
	put_ch(o, ':');
	put_hms(o, t);
	put_str(o, " +0000");
}

/* "Nov  1 06:12:01" (RFC 3164: day space-padded). */
static void put_time_3164(struct out *o, const struct tm_utc *t)
{
	put_str(o, MONTHS[t->mon - 1]);
	put_ch(o, ' ');
	if (t->day < 10)
		put_ch(o, ' ');
	put_uint(o, t->day);
	put_ch(o, ' ');
	put_hms(o, t);
}

/* "2026/11/21 06:12:01" (nginx error log). */
static void put_time_ngx_err(struct out *o, const struct tm_utc *t)
{
	put_uint(o, (uint64_t)t->year);
	put_ch(o, '/');
	put_uint_w(o, t->mon, 2);
	put_ch(o, '/');
	put_uint_w(o, t->day, 2);
	put_ch(o, ' ');
	put_hms(o, t);
}

/* ---- shared vocabulary --------------------------------------------------- */

/* Heavy hitters: a few clients send a large share of the traffic. */
static const struct wstr HEAVY_IPS[] = {
    {30, "203.0.113.7"},  {18, "198.51.100.23"}, {12, "192.0.2.45"},
    {10, "66.249.66.1"},  {8, "157.55.39.12"},	 {8, "10.0.3.17"},
    {6, "185.220.101.4"}, {5, "45.146.164.110"}, {3, "172.16.8.250"},
};

static const uint8_t FIRST_OCTETS[] = {23,  31,	 37,  45,  46,	51,  62,  66,  77,  78,	 81,
				       82,  86,	 89,  91,  94,	103, 104, 109, 141, 146, 151,
				       159, 176, 178, 185, 188, 193, 195, 203, 212, 213, 217};

static void put_ipv4(struct out *o, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	put_uint(o, a);
	put_ch(o, '.');
	put_uint(o, b);
	put_ch(o, '.');
	put_uint(o, c);
	put_ch(o, '.');
	put_uint(o, d);
}

/* A client address: heavy hitters, a long tail of public IPv4, a little IPv6. */
static void put_client_ip(struct loggen *g, struct out *o)
{
	uint32_t r = below(g, 1000);
	if (r < 280) {
		put_str(o, PICK(g, HEAVY_IPS));
	} else if (r < 980) {
		put_ipv4(o, ANY(g, FIRST_OCTETS), below(g, 256), below(g, 256), range(g, 1, 254));
	} else {
		put_str(o, "2001:db8:");
		put_hex(o, below(g, 0x10000), 4);
		put_str(o, "::");
		put_hex(o, range(g, 1, 0xffff), 4);
	}
}

/* Attacker-ish sources for sshd/postfix: mostly random public, some repeat offenders. */
static void put_remote_ip(struct loggen *g, struct out *o)
{
	static const char *const REPEAT[] = {"198.51.100.23", "185.220.101.4", "45.146.164.110",
					     "61.177.172.140", "218.92.0.112"};
	if (chance(g, 350))
		put_str(o, ANY(g, REPEAT));
	else
		put_ipv4(o, ANY(g, FIRST_OCTETS), below(g, 256), below(g, 256), range(g, 1, 254));
}

static const char *const HOSTS[] = {"web-01", "web-02", "web-03", "web-04", "db-01",
				    "db-02",  "app-01", "app-02", "app-03", "lb-01"};

static const char *const BAD_USERS[] = {"admin",   "test",     "oracle",  "ubuntu",    "user",
					"guest",   "postgres", "ftpuser", "git",       "pi",
					"support", "hadoop",   "tomcat",  "minecraft", "deploy1"};

static const char *const GOOD_USERS[] = {"root", "deploy", "alice", "bob", "ansible", "backup"};

static const char *const SERVICES[] = {"nginx",	 "postgresql", "redis-server",
				       "docker", "php8.2-fpm", "api",
				       "worker", "billing",    "node-exporter"};

static const char *const PROCS[] = {"java",	  "node", "python3", "postgres",
				    "php-fpm8.2", "ruby", "mysqld",  "nginx"};

/* ---- access log ---------------------------------------------------------- */

static const struct wstr METHODS[] = {
    {800, "GET"},   {120, "POST"},   {30, "HEAD"},  {20, "PUT"},
    {10, "DELETE"}, {10, "OPTIONS"}, {10, "PATCH"},
};

static const struct wstr PROTOS[] = {{78, "HTTP/1.1"}, {20, "HTTP/2.0"}, {2, "HTTP/1.0"}};

static const char *const PROBES[] = {
    "/wp-login.php",
    "/wp-admin/setup-config.php",
    "/xmlrpc.php",
    "/.env",
    "/admin",
    "/admin/login.php",
    "/phpmyadmin/index.php",
    "/.git/config",
    "/cgi-bin/luci",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/boaform/admin/formLogin",
    "/actuator/health",
    "/wp-content/plugins/wp-file-manager/readme.txt",
    "/.aws/credentials",
};

static const char *const PAGES[] = {
    "/",	   "/index.html",  "/about",	   "/pricing",	"/contact", "/blog",
    "/login",	   "/logout",	   "/cart",	   "/checkout", "/account", "/docs/getting-started",
    "/robots.txt", "/sitemap.xml", "/favicon.ico", "/health"};

static const char *const API_RES[] = {"items",	  "users",  "orders", "products",
				      "sessions", "search", "carts",  "payments"};

static const char *const STATIC_NAMES[] = {"app",  "main",  "vendor", "logo",
					   "hero", "icons", "runtime"};

static const char *const STATIC_EXT[] = {".js", ".css", ".png", ".jpg", ".svg", ".woff2", ".webp"};

static const char *const SEARCH_WORDS[] = {"shoes",	"laptop",  "coffee",
					   "red+dress", "usb-c",   "headphones",
					   "error+404", "timeout", "gift"};

/* Writes the request path; returns 1 when it is a vulnerability probe. */
static int put_path(struct loggen *g, struct out *o)
{
	uint32_t r = below(g, 1000);
	if (r < 50) {
		put_str(o, ANY(g, PROBES));
		return 1;
	}
	if (r < 330) {
		put_str(o, ANY(g, PAGES));
	} else if (r < 700) {
		put_str(o, "/api/v");
		put_uint(o, chance(g, 800) ? 1 : 2);
		put_ch(o, '/');
		put_str(o, ANY(g, API_RES));
		uint32_t k = below(g, 4);
		if (k == 0) {
			put_ch(o, '/');
			put_uint(o, range(g, 1, 99999));
		} else if (k == 1) {
			put_str(o, "?id=");
			put_uint(o, range(g, 1, 9999));
		} else if (k == 2) {
			put_str(o, "?page=");
			put_uint(o, range(g, 1, 40));
			put_str(o, "&limit=50");
		}
	} else if (r < 930) {
		put_str(o, chance(g, 500) ? "/static/" : "/assets/");
		put_str(o, ANY(g, STATIC_NAMES));
		put_ch(o, '.');
		put_hex(o, rnd(g), 8);
		put_str(o, ANY(g, STATIC_EXT));
	} else {
		put_str(o, "/search?q=");
		put_str(o, ANY(g, SEARCH_WORDS));
	}
	return 0;
}

static const struct wstr STATUS_NORMAL[] = {
    {720, "200"}, {80, "304"}, {40, "301"}, {20, "302"}, {60, "404"}, {10, "403"},
    {15, "500"},  {12, "502"}, {10, "503"}, {10, "201"}, {8, "204"},  {8, "401"},
    {7, "400"},	  {5, "499"},  {5, "504"},  {3, "429"},
};

static const struct wstr STATUS_PROBE[] = {{700, "404"}, {200, "403"}, {50, "200"}, {50, "301"}};

static const struct wstr REFERRERS[] = {
    {450, "-"},
    {200, "https://example.com/"},
    {80, "https://example.com/products"},
    {60, "https://www.google.com/"},
    {30, "https://www.bing.com/"},
    {20, "https://duckduckgo.com/"},
    {20, "https://t.co/"},
    {15, "android-app://com.google.android.gm/"},
    {25, "https://example.com/blog"},
};

static const struct wstr AGENTS[] = {
    {260, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	  "Chrome/120.0.0.0 Safari/537.36"},
    {110, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
	  "Gecko) Version/17.1 Safari/605.1.15"},
    {100, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
	  "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"},
    {90, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
	 "Chrome/120.0.6099.43 Mobile Safari/537.36"},
    {70, "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"},
    {40, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	 "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61"},
    {60, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
    {35, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
    {15, "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"},
    {20, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"},
    {12, "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"},
    {25, "curl/7.88.1"},
    {25, "python-requests/2.31.0"},
    {15, "Go-http-client/1.1"},
    {8, "Wget/1.21.3"},
    {8, "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
    {6, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"},
    {10, "kube-probe/1.28"},
    {5, "-"},
};

static const struct wstr PROBE_AGENTS[] = {
    {30, "python-requests/2.31.0"},
    {20, "curl/7.88.1"},
    {20, "Mozilla/5.0 zgrab/0.x"},
    {15, "Go-http-client/1.1"},
    {15, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	 "Chrome/120.0.0.0 Safari/537.36"},
};

/* Response size for a status: 0 for 204/304, small for errors, a skewed spread for 200. */
static uint32_t body_bytes(struct loggen *g, const char *status)
{
	if (!strcmp(status, "304") || !strcmp(status, "204"))
		return 0;
	if (status[0] == '3')
		return range(g, 162, 178);
	if (status[0] != '2')
		return range(g, 150, 680);
	uint32_t r = below(g, 100);
	if (r < 25)
		return range(g, 40, 999);
	if (r < 70)
		return range(g, 1000, 9999);
	if (r < 95)
		return range(g, 10000, 99999);
	return range(g, 100000, 2500000);
}

/* Request time in ms: mostly fast, a slow tail, upstream timeouts at 30-60 s. */
static uint32_t request_ms(struct loggen *g, const char *status)
{
	if (!strcmp(status, "504"))
		return range(g, 30000, 60010);
	if (status[0] == '5' && chance(g, 300))
		return range(g, 1000, 30000);
	uint32_t r = below(g, 1000);
	if (r < 700)
		return below(g, 60);
	if (r < 940)
		return range(g, 60, 400);
	if (r < 990)
		return range(g, 400, 2500);
	return range(g, 2500, 15000);
}

static void gen_access(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	put_client_ip(g, o);
	put_str(o, " - ");
	put_str(o, chance(g, 20) ? ANY(g, GOOD_USERS) : "-");
	put_str(o, " [");
	put_time_clf(o, t);
	put_str(o, "] \"");
	const char *method = PICK(g, METHODS);
	put_str(o, method);
	put_ch(o, ' ');
	int probe = put_path(g, o);
	put_ch(o, ' ');
	put_str(o, PICK(g, PROTOS));
	put_str(o, "\" ");
	const char *status = probe ? PICK(g, STATUS_PROBE) : PICK(g, STATUS_NORMAL);
	put_str(o, status);
	put_ch(o, ' ');
	uint32_t bytes = body_bytes(g, status);
	put_uint(o, strcmp(method, "HEAD") ? bytes : 0);
	put_str(o, " \"");
	put_str(o, probe ? "-" : PICK(g, REFERRERS));
	put_str(o, "\" \"");
	put_str(o, probe ? PICK(g, PROBE_AGENTS) : PICK(g, AGENTS));
	put_str(o, "\" ");
	put_msec(o, request_ms(g, status));
}

/* ---- syslog -------------------------------------------------------------- */

/* "Nov 21 06:12:01 web-01 prog[pid]: " */
static void put_syslog_head(struct loggen *g, struct out *o, const struct tm_utc *t,
			    const char *prog, long pid)
{
	put_time_3164(o, t);
	put_ch(o, ' ');
	put_str(o, ANY(g, HOSTS));
	put_ch(o, ' ');
	put_str(o, prog);
	if (pid >= 0) {
		put_ch(o, '[');
		put_uint(o, (uint64_t)pid);
		put_ch(o, ']');
	}
	put_str(o, ": ");
}

static void put_port(struct loggen *g, struct out *o)
{
	put_str(o, " port ");
	put_uint(o, range(g, 1024, 65535));
}

static void gen_sshd(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const struct wstr KINDS[] = {
	    {28, "failed_invalid"}, {20, "failed_user"}, {16, "invalid"},
	    {8, "accepted_key"},    {3, "accepted_pw"},	 {12, "closed"},
	    {5, "disconnected"},    {5, "session"},	 {2, "kex"},
	    {1, "timeout"},
	};
	put_syslog_head(g, o, t, "sshd", range(g, 300, 65000));
	switch (PICK_IDX(g, KINDS)) {
	case 0:
		put_str(o, "Failed password for invalid user ");
		put_str(o, ANY(g, BAD_USERS));
		put_str(o, " from ");
		put_remote_ip(g, o);
		put_port(g, o);
		put_str(o, " ssh2");
		break;
	case 1:
		put_str(o, "Failed password for ");
		put_str(o, chance(g, 700) ? "root" : ANY(g, GOOD_USERS));
		put_str(o, " from ");
		put_remote_ip(g, o);
		put_port(g, o);
		put_str(o, " ssh2");
		break;
	case 2:
		put_str(o, "Invalid user ");
		put_str(o, ANY(g, BAD_USERS));
		put_str(o, " from ");
		put_remote_ip(g, o);
		put_port(g, o);
		break;
	case 3:
		put_str(o, "Accepted publickey for ");
		put_str(o, ANY(g, GOOD_USERS));
		put_str(o, " from 10.0.");
		put_uint(o, below(g, 8));
		put_ch(o, '.');
		put_uint(o, range(g, 2, 250));
		put_port(g, o);
		put_str(o, chance(g, 600) ? " ssh2: ED25519 SHA256:" : " ssh2: RSA SHA256:");
		put_hex(o, rnd(g), 16);
		put_hex(o, rnd(g), 11);
		break;
	case 4:
		put_str(o, "Accepted password for ");
		put_str(o, ANY(g, GOOD_USERS));
		put_str(o, " from 10.0.");
		put_uint(o, below(g, 8));
		put_ch(o, '.');
		put_uint(o, range(g, 2, 250));
		put_port(g, o);
		put_str(o, " ssh2");
		break;
	case 5:
		if (chance(g, 500)) {
			put_str(o, "Connection closed by authenticating user ");
			put_str(o, chance(g, 600) ? "root" : ANY(g, BAD_USERS));
			put_ch(o, ' ');
		} else {
			put_str(o, "Connection closed by ");
		}
		put_remote_ip(g, o);
		put_port(g, o);
		put_str(o, " [preauth]");
		break;
	case 6:
		put_str(o, "Disconnected from user ");
		put_str(o, ANY(g, GOOD_USERS));
		put_str(o, " 10.0.");
		put_uint(o, below(g, 8));
		put_ch(o, '.');
		put_uint(o, range(g, 2, 250));
		put_port(g, o);
		break;
	case 7: {
		const char *u = ANY(g, GOOD_USERS);
		put_str(o, "pam_unix(sshd:session): session ");
		put_str(o, chance(g, 500) ? "opened" : "closed");
		put_str(o, " for user ");
		put_str(o, u);
		put_str(o, "(uid=");
		put_uint(o, strcmp(u, "root") ? range(g, 1000, 1010) : 0);
		put_str(o, ") by (uid=0)");
		break;
	}
	case 8:
		put_str(o, "error: kex_exchange_identification: Connection closed by remote host");
		break;
	default:
		put_str(o, "Timeout before authentication for ");
		put_remote_ip(g, o);
		put_port(g, o);
		break;
	}
}

static void gen_sudo(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const char *const COMMANDS[] = {
	    "/usr/bin/systemctl restart nginx",
	    "/usr/bin/apt-get update",
	    "/usr/bin/tail -f /var/log/syslog",
	    "/usr/bin/journalctl -u api --since today",
	    "/bin/bash",
	    "/usr/bin/docker ps -a",
	    "/usr/sbin/reboot",
	    "/usr/bin/cat /etc/shadow",
	    "/usr/bin/vim /etc/nginx/nginx.conf",
	};
	static const char *const SUDOERS[] = {"alice", "bob", "deploy", "ansible"};
	const char *u = ANY(g, SUDOERS);
	uint32_t r = below(g, 100);
	put_syslog_head(g, o, t, "sudo", -1);
	if (r < 60) {
		put_str(o, "   ");
		put_str(o, u);
		put_str(o, " : TTY=pts/");
		put_uint(o, below(g, 5));
		put_str(o, " ; PWD=/home/");
		put_str(o, u);
		put_str(o, " ; USER=root ; COMMAND=");
		put_str(o, ANY(g, COMMANDS));
	} else if (r < 92) {
		put_str(o, "pam_unix(sudo:session): session ");
		put_str(o, chance(g, 500) ? "opened" : "closed");
		put_str(o, " for user root(uid=0) by ");
		put_str(o, u);
		put_str(o, "(uid=");
		put_uint(o, range(g, 1000, 1010));
		put_ch(o, ')');
	} else {
		put_str(o, "   ");
		put_str(o, u);
		put_str(o, " : 3 incorrect password attempts ; TTY=pts/");
		put_uint(o, below(g, 5));
		put_str(o, " ; PWD=/home/");
		put_str(o, u);
		put_str(o, " ; USER=root ; COMMAND=");
		put_str(o, ANY(g, COMMANDS));
	}
}

/* "[  12345.678901] " kernel uptime stamp, derived from the clock. */
static void put_uptime(struct loggen *g, struct out *o)
{
	uint64_t up = (uint64_t)(g->now_ms >= 0 ? g->now_ms : -g->now_ms) % 9000000000ULL;
	put_ch(o, '[');
	put_uint(o, up / 1000);
	put_ch(o, '.');
	put_uint_w(o, (up % 1000) * 1000 + below(g, 1000), 6);
	put_str(o, "] ");
}

static void gen_kernel(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const struct wstr KINDS[] = {
	    {15, "oom_kill"}, {10, "oom_invoked"}, {15, "segfault"}, {15, "io_error"},
	    {5, "ext4"},      {30, "ufw"},	   {5, "synflood"},  {5, "conntrack"},
	};
	static const char *const DEVS[] = {"sda", "sdb", "nvme0n1", "vdb"};
	static const uint32_t UFW_PORTS[] = {22, 23, 25, 445, 3389, 5432, 6379, 8080};
	put_syslog_head(g, o, t, "kernel", -1);
	put_uptime(g, o);
	switch (PICK_IDX(g, KINDS)) {
	case 0: {
		put_str(o, "Out of memory: Killed process ");
		put_uint(o, range(g, 300, 65000));
		put_str(o, " (");
		put_str(o, ANY(g, PROCS));
		put_str(o, ") total-vm:");
		uint32_t vm = range(g, 500000, 9000000);
		put_uint(o, vm);
		put_str(o, "kB, anon-rss:");
		put_uint(o, vm / 2 + below(g, vm / 3));
		put_str(o, "kB, file-rss:0kB, shmem-rss:0kB, UID:");
		put_uint(o, chance(g, 300) ? 0 : range(g, 100, 1010));
		put_str(o, " pgtables:");
		put_uint(o, range(g, 1000, 20000));
		put_str(o, "kB oom_score_adj:0");
		break;
	}
	case 1:
		put_str(o, ANY(g, PROCS));
		put_str(o,
			" invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), "
			"order=0, oom_score_adj=0");
		break;
	case 2: {
		const char *p = ANY(g, PROCS);
		put_str(o, p);
		put_ch(o, '[');
		put_uint(o, range(g, 300, 65000));
		put_str(o, "]: segfault at ");
		if (chance(g, 500))
			put_ch(o, '0');
		else
			put_hex(o, 0x100000 | (rnd(g) & 0xfffff), 6);
		put_str(o, " ip 0000");
		put_hex(o, 0x55d5c0000000ULL | (rnd(g) & 0xfffffff), 12);
		put_str(o, " sp 00007ffd");
		put_hex(o, rnd(g), 8);
		put_str(o, " error ");
		put_uint(o, chance(g, 700) ? 4 : 6);
		put_str(o, " in ");
		put_str(o, p);
		put_str(o, "[55d5c0a00000+e6000]");
		break;
	}
	case 3:
		put_str(o, "blk_update_request: I/O error, dev ");
		put_str(o, ANY(g, DEVS));
		put_str(o, ", sector ");
		put_uint(o, rnd(g) % 1953525168ULL);
		put_str(o, chance(g, 700) ? " op 0x0:(READ)" : " op 0x1:(WRITE)");
		put_str(o, " flags 0x0 phys_seg 1 prio class 0");
		break;
	case 4:
		put_str(o, "EXT4-fs error (device ");
		put_str(o, ANY(g, DEVS));
		put_str(o, "1): ext4_find_entry:1455: inode #");
		put_uint(o, range(g, 2, 9000000));
		put_str(o, ": comm ");
		put_str(o, ANY(g, PROCS));
		put_str(o, ": reading directory lblock 0");
		break;
	case 5:
		put_str(
		    o,
		    "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=");
		put_remote_ip(g, o);
		put_str(o, " DST=10.0.0.");
		put_uint(o, range(g, 2, 40));
		put_str(o, " LEN=");
		put_uint(o, range(g, 40, 60));
		put_str(o, " TOS=0x00 PREC=0x00 TTL=");
		put_uint(o, range(g, 40, 250));
		put_str(o, " ID=");
		put_uint(o, below(g, 65536));
		put_str(o, " PROTO=TCP SPT=");
		put_uint(o, range(g, 1024, 65535));
		put_str(o, " DPT=");
		put_uint(o, ANY(g, UFW_PORTS));
		put_str(o, " WINDOW=1024 RES=0x00 SYN URGP=0");
		break;
	case 6:
		put_str(
		    o, "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies. "
		       " Check SNMP counters.");
		break;
	default:
		put_str(o, "nf_conntrack: nf_conntrack: table full, dropping packet");
		break;
	}
}

static void gen_systemd(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const struct wstr KINDS[] = {
	    {30, "session"},	  {20, "starting"},	  {20, "started"},
	    {10, "failed_start"}, {8, "exited"},	  {8, "result"},
	    {16, "logind_new"},	  {12, "logind_removed"}, {6, "timer"},
	};
	static const char *const DESCR[] = {
	    "A high performance web server and a reverse proxy server",
	    "PostgreSQL RDBMS",
	    "Advanced key-value store",
	    "Docker Application Container Engine",
	    "The PHP 8.2 FastCGI Process Manager",
	    "weir API service",
	    "Background worker",
	    "Billing service",
	    "Prometheus exporter for machine metrics"};
	static const char *const TIMERS[] = {
	    "Starting Daily apt upgrade and clean activities...", "Finished Rotate log files.",
	    "Starting Cleanup of Temporary Directories...", "Finished Daily man-db regeneration."};
	size_t k = PICK_IDX(g, KINDS);
	size_t svc = below(g, (uint32_t)NELEM(SERVICES));
	uint32_t session = range(g, 1, 9999);
	if (k >= 6 && k <= 7) {
		put_syslog_head(g, o, t, "systemd-logind", range(g, 300, 65000));
		if (k == 6) {
			put_str(o, "New session ");
			put_uint(o, session);
			put_str(o, " of user ");
			put_str(o, ANY(g, GOOD_USERS));
			put_ch(o, '.');
		} else {
			put_str(o, "Removed session ");
			put_uint(o, session);
			put_ch(o, '.');
		}
		return;
	}
	put_syslog_head(g, o, t, "systemd", 1);
	switch (k) {
	case 0:
		put_str(o, "Started Session ");
		put_uint(o, session);
		put_str(o, " of user ");
		put_str(o, ANY(g, GOOD_USERS));
		put_ch(o, '.');
		break;
	case 1:
		put_str(o, "Starting ");
		put_str(o, DESCR[svc]);
		put_str(o, "...");
		break;
	case 2:
		put_str(o, "Started ");
		put_str(o, SERVICES[svc]);
		put_str(o, ".service - ");
		put_str(o, DESCR[svc]);
		put_ch(o, '.');
		break;
	case 3:
		put_str(o, "Failed to start ");
		put_str(o, SERVICES[svc]);
		put_str(o, ".service - ");
		put_str(o, DESCR[svc]);
		put_ch(o, '.');
		break;
	case 4:
		put_str(o, SERVICES[svc]);
		put_str(o, ".service: Main process exited, code=exited, status=1/FAILURE");
		break;
	case 5:
		put_str(o, SERVICES[svc]);
		put_str(o, ".service: Failed with result 'exit-code'.");
		break;
	default:
		put_str(o, ANY(g, TIMERS));
		break;
	}
}

static void gen_cron(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const struct wstr CMDS[] = {
	    {30, "(root) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)"},
	    {30, "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"},
	    {20, "(www-data) CMD (php /var/www/app/artisan schedule:run >> /dev/null 2>&1)"},
	    {15, "(deploy) CMD (/opt/app/bin/cleanup --older-than 7d)"},
	    {10, "(root) CMD (test -x /usr/sbin/anacron || ( cd / && run-parts --report "
		 "/etc/cron.daily ))"},
	    {5, "(postgres) CMD (/usr/bin/pg_dump -Fc app > /var/backups/app.dump)"},
	};
	put_syslog_head(g, o, t, "CRON", range(g, 300, 65000));
	if (chance(g, 650)) {
		put_str(o, PICK(g, CMDS));
	} else {
		put_str(o, "pam_unix(cron:session): session ");
		put_str(o, chance(g, 500) ? "opened for user root(uid=0) by (uid=0)"
					  : "closed for user root");
	}
}

static void gen_app(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const char *const APPS[] = {"api", "worker", "billing", "payments", "gateway"};
	static const struct wstr LEVELS[] = {
	    {55, "INFO"}, {20, "WARN"}, {18, "ERROR"}, {5, "DEBUG"}, {2, "FATAL"}};
	static const char *const INFO_MSG[] = {
	    "request completed method=GET path=/api/v1/items status=200",
	    "request completed method=POST path=/api/v1/orders status=201",
	    "user login succeeded user_id=",
	    "job finished queue=emails processed=",
	    "cache refreshed keys=",
	    "health check ok upstreams=",
	};
	static const char *const WARN_MSG[] = {
	    "slow query took ",
	    "retrying request to payments-api attempt=",
	    "connection pool nearly exhausted in_use=",
	    "rate limit approaching for client_id=",
	    "deprecated endpoint /api/v1/users called count=",
	};
	static const char *const ERROR_MSG[] = {
	    "upstream request failed: Connection timed out host=db-01:5432 attempt=",
	    "payment declined order_id=",
	    "timeout waiting for lock on table orders after ms=",
	    "database error: connection refused (db-02:5432) retries=",
	    "Unhandled exception in handler: KeyError 'user_id' request_id=",
	    "read tcp 10.0.2.15:48212->10.0.4.9:6379: i/o timeout conn=",
	    "context deadline exceeded while calling inventory-service trace_id=",
	    "failed to publish message to queue events: broker unavailable msg_id=",
	};
	static const char *const DEBUG_MSG[] = {
	    "cache miss key=item:", "sql SELECT * FROM items WHERE id = ",
	    "parsed request headers count="};
	const char *app = ANY(g, APPS);
	size_t lvl = PICK_IDX(g, LEVELS);
	put_syslog_head(g, o, t, app, range(g, 300, 65000));
	int logfmt = chance(g, 500);
	if (logfmt) {
		put_str(o, "level=");
		static const char *const LOWER[] = {"info", "warn", "error", "debug", "fatal"};
		put_str(o, LOWER[lvl]);
		put_str(o, " msg=\"");
	} else {
		put_str(o, LEVELS[lvl].s);
		put_str(o, " [");
		put_str(o, app);
		put_ch(o, '-');
		put_uint(o, below(g, 8));
		put_str(o, "] ");
	}
	switch (lvl) {
	case 0:
		put_str(o, ANY(g, INFO_MSG));
		put_uint(o, range(g, 1, 99999));
		break;
	case 1: {
		const char *m = ANY(g, WARN_MSG);
		put_str(o, m);
		put_uint(o, range(g, 1, 9999));
		if (m == WARN_MSG[0])
			put_str(o, "ms: SELECT * FROM orders WHERE customer_id = $1");
		break;
	}
	case 2:
		put_str(o, ANY(g, ERROR_MSG));
		put_uint(o, range(g, 1, 999999));
		break;
	case 3:
		put_str(o, ANY(g, DEBUG_MSG));
		put_uint(o, range(g, 1, 99999));
		break;
	default:
		put_str(o, "out of file descriptors, shutting down: too many open files pid=");
		put_uint(o, range(g, 300, 65000));
		break;
	}
	if (logfmt)
		put_ch(o, '"');
}

static void gen_postfix(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	uint32_t r = below(g, 100);
	if (r < 40) {
		put_syslog_head(g, o, t, "postfix/smtpd", range(g, 300, 65000));
		put_str(o, chance(g, 500) ? "connect from unknown[" : "disconnect from unknown[");
		put_remote_ip(g, o);
		put_ch(o, ']');
	} else if (r < 70) {
		put_syslog_head(g, o, t, "postfix/smtpd", range(g, 300, 65000));
		put_str(o, "NOQUEUE: reject: RCPT from unknown[");
		put_remote_ip(g, o);
		put_str(o, "]: 554 5.7.1 Service unavailable; Client host blocked using "
			   "zen.spamhaus.org; from=<spam@example.net> to=<info@example.com> "
			   "proto=ESMTP helo=<localhost>");
	} else if (r < 85) {
		put_syslog_head(g, o, t, "postfix/smtpd", range(g, 300, 65000));
		put_str(o, "timeout after AUTH from unknown[");
		put_remote_ip(g, o);
		put_ch(o, ']');
	} else {
		put_syslog_head(g, o, t, "postfix/smtp", range(g, 300, 65000));
		put_hex(o, rnd(g), 10);
		put_str(o, ": to=<ops@example.com>, relay=mx.example.com[192.0.2.25]:25, delay=");
		put_msec(o, range(g, 100, 9000));
		put_str(o, ", dsn=2.0.0, status=sent (250 2.0.0 OK)");
	}
}

static void gen_nginx_error(struct loggen *g, struct out *o, const struct tm_utc *t)
{
	static const char *const ERRS[] = {
	    "upstream timed out (110: Connection timed out) while reading response header from "
	    "upstream",
	    "connect() failed (111: Connection refused) while connecting to upstream",
	    "upstream prematurely closed connection while reading response header from upstream",
	    "open() \"/var/www/html/wp-login.php\" failed (2: No such file or directory)",
	    "limiting requests, excess: 10.520 by zone \"api\"",
	};
	put_syslog_head(g, o, t, "nginx", -1);
	put_time_ngx_err(o, t);
	size_t k = below(g, (uint32_t)NELEM(ERRS));
	put_str(o, k == 4 ? " [warn] " : " [error] ");
	uint32_t pid = range(g, 300, 65000);
	put_uint(o, pid);
	put_ch(o, '#');
	put_uint(o, pid);
	put_str(o, ": *");
	put_uint(o, range(g, 1, 9999999));
	put_ch(o, ' ');
	put_str(o, ERRS[k]);
	put_str(o, ", client: ");
	put_client_ip(g, o);
	put_str(o, ", server: example.com, request: \"GET /api/v1/");
	put_str(o, ANY(g, API_RES));
	put_str(o, " HTTP/1.1\", host: \"example.com\"");
}

/* ---- the mix ------------------------------------------------------------- */

void loggen_init(struct loggen *g, uint64_t seed, int64_t start_ms, uint32_t step_ms)
{
	g->rng = seed;
	(void)rnd(g); /* decorrelate nearby seeds */
	g->rng ^= seed * 0xd1b54a32d192ed03ULL;
	g->now_ms = start_ms;
	g->step_ms = step_ms;
}

size_t loggen_line(struct loggen *g, char *buf, size_t cap)
{
	if (cap == 0)
		return 0;
	struct out o = {buf, buf + cap - 1};
	struct tm_utc t;
	utc_from_ms(g->now_ms, &t);

	uint32_t r = below(g, 1000);
	if (r < 700) {
		gen_access(g, &o, &t);
	} else if (r < 780) {
		gen_sshd(g, &o, &t);
	} else if (r < 795) {
		gen_sudo(g, &o, &t);
	} else if (r < 825) {
		gen_kernel(g, &o, &t);
	} else if (r < 865) {
		gen_systemd(g, &o, &t);
	} else if (r < 900) {
		gen_cron(g, &o, &t);
	} else if (r < 965) {
		gen_app(g, &o, &t);
	} else if (r < 985) {
		gen_postfix(g, &o, &t);
	} else {
		gen_nginx_error(g, &o, &t);
	}
	*o.p++ = '\n';

	/* Uniform in [0, 2*step], so the mean step is step_ms. */
	if (g->step_ms)
		g->now_ms += (int64_t)(rnd(g) % (2 * (uint64_t)g->step_ms + 1));
	return (size_t)(o.p - buf);
}
