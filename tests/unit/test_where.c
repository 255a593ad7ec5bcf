/* test_where.c - `where:` conditions on syslog fields, the sender and the
 * source: loaded from YAML, compiled, and tested record by record. */
#include "core/batch.h"
#include "config/config.h"
#include "core/peer.h"
#include "pattern/pattern.h"
#include "pattern/where.h" /* private to pattern/: for where_compile */

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char rules_yaml[] =
    "rules:\n"
    "  - {name: sshd_err, where: {severity: '<=err', app: sshd}}\n"
    "  - {name: auth_failed, match: Failed, where: {facility: [auth, authpriv]}}\n"
    "  - {name: not_cron, where: {app: '!=cron'}}\n"
    "  - {name: web, where: {hostname: [web1, web2]}}\n"
    "  - {name: lan, where: {peer: 10.0.0.0/8}}\n"
    "  - {name: v6, where: {peer: ['fd00::/8', '::1']}}\n"
    "  - {name: su47, where: {msgid: ID47, procid: '123', source: sys}}\n"
    "  - {name: warn_up, where: {severity: '>warning'}}\n"
    "  - {name: any}\n"
    "    # a rule needs match or where; this one is replaced below\n";

enum { SSHD_ERR, AUTH_FAILED, NOT_CRON, WEB, LAN, V6, SU47, WARN_UP, NRULES };

static struct cfg *load(const char *yaml)
{
	struct cfg *cfg = NULL;
	char *errs = NULL;
	int rc = cfg_load_string("w.yaml", yaml, strlen(yaml), &cfg, &errs);

	cr_assert_eq(rc, 0, "%s", errs ? errs : "");
	free(errs);
	return cfg;
}

static void peer4(struct peer_addr *p, const char *a)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	inet_pton(AF_INET, a, p->addr);
}

static void peer6(struct peer_addr *p, const char *a)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	inet_pton(AF_INET6, a, p->addr);
}

struct rec_case {
	const char *text;
	const char *peer; /* "4:a.b.c.d", "6:addr", or NULL */
	bool hits[NRULES];
};

Test(where, each_condition_passes_exactly_the_records_it_names)
{
	/* the `any` rule has no match and no where: an error, so drop it */
	const char *end = strstr(rules_yaml, "  - {name: any}");
	char yaml[sizeof(rules_yaml)];
	static const struct rec_case cases[] = {
	    /* auth.err (4*8+3 = 35) from sshd, RFC 3164 */
	    {"<35>Oct 11 22:14:15 host1 sshd[77]: Failed password for root",
	     "4:10.1.2.3",
	     {[SSHD_ERR] = 1, [AUTH_FAILED] = 1, [NOT_CRON] = 1, [LAN] = 1}},
	    /* cron.info: not_cron false; severity 6 is above warning (4) */
	    {"<78>Oct 11 22:14:15 host1 cron[1]: job", "4:192.168.0.1", {[WARN_UP] = 1}},
	    /* authpriv.crit (10*8+2 = 82) sshd over IPv6 */
	    {"<82>1 2024-01-01T00:00:00Z web1 sshd 9 - - Failed again",
	     "6:fd00::1",
	     {[SSHD_ERR] = 1, [AUTH_FAILED] = 1, [NOT_CRON] = 1, [WEB] = 1, [V6] = 1}},
	    /* RFC 5424 §6.5 example 1: auth.crit (34), su, ID47, no PROCID */
	    {"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
	     "6:::1",
	     {[NOT_CRON] = 1, [V6] = 1}},
	    /* with PROCID 123: su47 */
	    {"<34>1 2003-10-11T22:14:15.003Z web2 su 123 ID47 - hi",
	     NULL,
	     {[NOT_CRON] = 1, [WEB] = 1, [SU47] = 1}},
	    /* local7.debug (191): severity 7 > warning */
	    {"<191>Oct 11 22:14:15 web2 app: x",
	     "4:11.0.0.1",
	     {[NOT_CRON] = 1, [WEB] = 1, [WARN_UP] = 1}},
	    /* not syslog at all: no fields, every condition fails (even !=) */
	    {"plain text Failed sshd", "4:10.0.0.1", {[LAN] = 1}},
	    /* a bad PRI: a parse error, raw text */
	    {"<999>Oct 11 22:14:15 web1 sshd: Failed", NULL, {0}},
	    /* no PRI but a BSD stamp: user.notice (13); severity 5 is not <= 3 */
	    {"Oct 11 22:14:15 web1 sshd[1]: Failed",
	     NULL,
	     {[NOT_CRON] = 1, [WEB] = 1, [WARN_UP] = 1}},
	};
	size_t ncases = sizeof(cases) / sizeof(cases[0]);
	struct rec_meta meta[16];
	char buf[4096];
	size_t len = 0, i, r;
	struct cfg *cfg;
	struct pat_db *db = NULL;
	struct pat_scanner *sc = NULL;
	char *errs = NULL;
	uint64_t counts[NRULES] = {0}, parse_errors = 0;
	struct pat_cut cut = {0, 0};
	struct pat_batch b;

	memcpy(yaml, rules_yaml, (size_t)(end - rules_yaml));
	yaml[end - rules_yaml] = '\0';
	cfg = load(yaml);
	cr_assert_eq(cfg->nrules, NRULES);
	cr_assert_eq(pat_db_compile(cfg, &db, &errs), 0, "%s", errs);
	cr_assert(pat_db_uses_fields(db));
	cr_assert_eq(pat_scanner_new(db, &sc), 0);
	for (i = 0; i < ncases; i++) {
		size_t n = strlen(cases[i].text);

		memcpy(buf + len, cases[i].text, n);
		len += n;
		buf[len++] = '\n';
		memset(&meta[i], 0, sizeof(meta[i]));
		if (cases[i].peer && cases[i].peer[0] == '4')
			peer4(&meta[i].peer, cases[i].peer + 2);
		else if (cases[i].peer)
			peer6(&meta[i].peer, cases[i].peer + 2);
	}
	/* one batch per record, so each record's hits are seen alone */
	for (i = 0, len = 0; i < ncases; i++) {
		uint64_t one[NRULES] = {0};
		size_t n = strlen(cases[i].text) + 1;

		b = (struct pat_batch){buf + len,	n, &meta[i], 1, "sys", CFG_FORMAT_SYSLOG,
				       1700000000000LL, 0};
		cr_assert_eq(pat_scan_batch(sc, &b, 4096, one, &cut, &parse_errors), 1);
		for (r = 0; r < NRULES; r++) {
			cr_expect_eq(one[r], cases[i].hits[r], "record %zu (%s), rule %s: %llu", i,
				     cases[i].text, cfg->rules[r].name, (unsigned long long)one[r]);
			counts[r] += one[r];
		}
		len += n;
	}
	cr_expect_eq(parse_errors, 1, "only the bad PRI is a parse error");
	/* the same records as one batch give the same totals */
	{
		uint64_t all[NRULES] = {0}, pe = 0;

		b = (struct pat_batch){
		    buf, len, meta, (uint32_t)ncases, "sys", CFG_FORMAT_SYSLOG, 1700000000000LL, 0};
		cr_assert_eq(pat_scan_batch(sc, &b, 4096, all, &cut, &pe), (int64_t)ncases);
		for (r = 0; r < NRULES; r++)
			cr_expect_eq(all[r], counts[r], "rule %s", cfg->rules[r].name);
		/* another source: su47 names source sys */
		memset(all, 0, sizeof(all));
		b.source_name = "other";
		pat_scan_batch(sc, &b, 4096, all, &cut, &pe);
		cr_expect_eq(all[SU47], 0);
		/* not parsed as syslog (format raw): only the peer conditions hold */
		memset(all, 0, sizeof(all));
		b.format = CFG_FORMAT_RAW;
		pat_scan_batch(sc, &b, 4096, all, &cut, &pe);
		for (r = 0; r < NRULES; r++)
			if (r != LAN && r != V6)
				cr_expect_eq(all[r], 0, "raw: rule %s", cfg->rules[r].name);
		cr_expect_eq(all[LAN], 2);
		cr_expect_eq(all[V6], 2);
	}
	pat_scanner_free(sc);
	pat_db_free(db);
	cfg_free(cfg);
}

Test(where, a_rule_without_match_or_where_is_an_error)
{
	static const char y[] = "rules:\n  - {name: r}\n";
	struct cfg *cfg = NULL;
	char *errs = NULL;

	cr_assert_eq(cfg_load_string("w.yaml", y, strlen(y), &cfg, &errs), -EINVAL);
	cr_expect_str_eq(
	    errs, "w.yaml:2:5: rule 'r' needs 'match' (a regex), 'where' (fields), or both\n");
	free(errs);
}

struct where_err {
	char yaml[128];
	char want[200];
};

ParameterizedTestParameters(where, errors_name_the_value_and_its_position)
{
	static struct where_err cases[] = {
	    {"rules:\n  - {name: r, where: {severity: '<=bad'}}\n",
	     "w.yaml:2:33: 'severity' value 'bad' is not a severity: emerg, alert, crit, err, "
	     "warning, notice, info, debug or 0-7"},
	    {"rules:\n  - {name: r, where: {severity: 8}}\n",
	     "w.yaml:2:33: 'severity' value '8' is not a severity: emerg, alert, crit, err, "
	     "warning, notice, info, debug or 0-7"},
	    {"rules:\n  - {name: r, where: {facility: local8}}\n",
	     "w.yaml:2:33: 'facility' value 'local8' is not a facility: kern, user, mail, daemon, "
	     "auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, security, console, "
	     "solaris-cron, local0-local7 or 0-23"},
	    {"rules:\n  - {name: r, where: {app: '<x'}}\n",
	     "w.yaml:2:28: 'where: app' compares text: use a value, a list, or \"!=value\"; '<' is "
	     "for facility and severity"},
	    {"rules:\n  - {name: r, where: {peer: 10.0.0.0/33}}\n",
	     "w.yaml:2:29: 'peer' value '10.0.0.0/33' is not an IP address or CIDR block "
	     "(10.0.0.1, 10.0.0.0/8, fd00::/8)"},
	    {"rules:\n  - {name: r, where: {'col our': red}}\n",
	     "w.yaml:2:23: 'col our' is not a field name (letters, digits, '_', '.', '-', '@')"},
	    {"rules:\n  - {name: r, where: {host: a, hostname: b}}\n",
	     "w.yaml:2:32: field 'host' appears twice in where"},
	    {"rules:\n  - {name: r, where: [sshd]}\n",
	     "w.yaml:2:22: 'where' must be a mapping of fields to values, as in {severity: "
	     "\"<=err\", app: sshd}"},
	    {"rules:\n  - {name: r, where: {app: []}}\n",
	     "w.yaml:2:28: 'where: app' needs a value or a list of values"},
	    {"rules:\n  - {name: r, where: {app: '!='}}\n",
	     "w.yaml:2:28: 'where: app' needs a value after the comparison"},
	};

	return cr_make_param_array(struct where_err, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct where_err *c, where, errors_name_the_value_and_its_position)
{
	struct cfg *cfg = NULL;
	char *errs = NULL;
	char want[256];

	cr_assert_eq(cfg_load_string("w.yaml", c->yaml, strlen(c->yaml), &cfg, &errs), -EINVAL,
		     "accepted: %s", c->yaml);
	snprintf(want, sizeof(want), "%s\n", c->want);
	cr_expect_str_eq(errs, want);
	free(errs);
}

/* where_compile straight from a cfg_rule: a CIDR prefix is read as the
 * config checked it (digits, leading zeros too); one the config would have
 * refused makes a block no peer is in, never a /0 that every peer is in. */
Test(where, peer_prefixes_are_read_bounded_and_checked)
{
	static const struct {
		const char *value;
		uint16_t family;
		uint8_t bits;
	} c[] = {
	    {"10.1.0.0/16", AF_INET, 16},
	    {"10.0.0.0/008", AF_INET, 8},
	    {"10.0.0.1", AF_INET, 32},
	    {"0.0.0.0/0", AF_INET, 0},
	    {"fd00::/8", AF_INET6, 8},
	    {"::1", AF_INET6, 128},
	    {"::/128", AF_INET6, 128},
	    {"10.0.0.0/33", 0, 0},
	    {"fd00::/129", 0, 0},
	    {"10.0.0.0/x", 0, 0},
	    {"10.0.0.0/", 0, 0},
	    {"10.0.0.0/8x", 0, 0},
	    {"10.0.0.0/-8", 0, 0},
	    {"10.0.0.0/ 8", 0, 0},
	    {"10.0.0.0/99999999999999999999", 0, 0},
	};
	enum { N = sizeof(c) / sizeof(c[0]) };
	char *values[N];
	struct cfg_where cw = {
	    .field = CFG_FIELD_PEER, .cmp = CFG_CMP_EQ, .values = values, .nvalues = N};
	struct cfg_rule r = {.name = "r", .where = &cw, .nwhere = 1};
	struct where w;

	for (size_t i = 0; i < N; i++)
		values[i] = (char *)c[i].value;
	cr_assert_eq(where_compile(&r, &w), 0);
	cr_assert_eq(w.n, 1);
	cr_assert_eq(w.c[0].n, N);
	for (size_t i = 0; i < N; i++) {
		cr_expect_eq(w.c[0].nets[i].family, c[i].family, "%s: family %u", c[i].value,
			     w.c[0].nets[i].family);
		if (c[i].family)
			cr_expect_eq(w.c[0].nets[i].bits, c[i].bits, "%s: bits %u", c[i].value,
				     w.c[0].nets[i].bits);
	}
	where_free(&w);
}
