/*
 * scan.c - count rule matches per record, and read the fields rules ask for.
 *
 * One hs_scan per record: exact by construction (a match can neither span
 * records nor see a neighbour's bytes, and `^`/`$` mean the record's ends).
 * See docs/ARCHITECTURE.md for the measured cost against block scanning.
 * Each rule has HS_FLAG_SINGLEMATCH, so the callback fires at most once per
 * rule per record. A plain rule (no fields, no outputs) just adds one.
 * Other rules, on a hit: PCRE2-JIT extracts the captures if the rule reads
 * one (timed, per rule), `where:` is tested, and value/top/distinct go to
 * the sink. A record's format is parsed once, before its scan, and only
 * when some rule reads a format field (syslog: when any rule tests a field,
 * as before). Nothing here allocates per record.
 *
 * Event time: a batch in which some rule counts at event time (decided
 * once per batch) is scanned by a second instance of the same code
 * (rule_hit_t and scan_one_t with ev true), so batches without one do no
 * per-record work for it. In an event batch a record's own second is
 * worked out at the first event-time rule that counts it: from the syslog
 * header, the format's fields (parsed then if no rule needed them before)
 * or a stamp at the start of a raw line. A count in another second than
 * the batch's waits in the scanner (pend_*) while the same rule keeps
 * counting records of that second, and is emitted as one PAT_OBS_COUNT
 * when the second changes or the batch ends.
 */
#include "pattern/internal.h"

#include "core/batch.h"
#include "core/calendar.h"
#include "config/config.h"
#include "pattern/syslog.h"
#include "pattern/parsers.h"
#include "pattern/timestamp.h"
#include "pattern/value.h"
#include "core/tzone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pat_scanner_new(const struct pat_db *db, struct pat_scanner **out)
{
	struct pat_scanner *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->db = db;
	if (db->hs && hs_alloc_scratch(db->hs, &s->scratch) != HS_SUCCESS)
		goto err;
	s->fs = malloc(sizeof(*s->fs));
	s->extract_ns = calloc(db->nrules + 1, sizeof(*s->extract_ns));
	s->extract_n = calloc(db->nrules + 1, sizeof(*s->extract_n));
	s->limit_n = calloc(db->nrules + 1, sizeof(*s->limit_n));
	s->missing_n = calloc(db->nrules + 1, sizeof(*s->missing_n));
	s->missing = calloc(db->nrules + 1, sizeof(*s->missing));
	s->pend_dsec = calloc(db->nrules + 1, sizeof(*s->pend_dsec));
	s->pend_n = calloc(db->nrules + 1, sizeof(*s->pend_n));
	s->pend = calloc(db->nrules + 1, sizeof(*s->pend));
	if (!s->fs || !s->extract_ns || !s->extract_n || !s->pend_dsec || !s->pend_n || !s->pend ||
	    !s->limit_n || !s->missing_n || !s->missing)
		goto err;
	fields_reset(s->fs);
	if (db->nextract) {
		s->md = pcre2_match_data_create(db->max_groups, NULL);
		s->mctx = pcre2_match_context_create(NULL);
		s->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
		if (!s->md || !s->mctx || !s->jit)
			goto err;
		pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
	}
	*out = s;
	return 0;
err:
	pat_scanner_free(s);
	return -ENOMEM;
}

void pat_scanner_free(struct pat_scanner *s)
{
	if (!s)
		return;
	hs_free_scratch(s->scratch);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	pcre2_jit_stack_free(s->jit);
	free(s->extract_ns);
	free(s->extract_n);
	free(s->limit_n);
	free(s->missing_n);
	free(s->missing);
	free(s->pend_dsec);
	free(s->pend_n);
	free(s->pend);
	free(s->fs);
	free(s);
}

/* One record's scan: where its results go and what its rules read. */
struct match_ctx {
	struct pat_scanner *s;
	struct pat_sink *sk;
	struct pat_fields *f; /* the record's fields */
	bool matched;	      /* some rule counted the record */
	int err;
	/* Event batches only (see the file comment). */
	const struct pat_batch *b;
	const struct tz_zone *zone; /* stamps without a zone */
	int64_t now_s;		    /* floor(b->now_ms / 1000) */
	int32_t tz_now;		    /* zone's offset at now: syslog_parse's default */
	bool ev_source;		    /* the source's time is event */
	bool fmt;		    /* format fields are parsed before each scan */
	bool fs_parsed;		    /* the record's format fields are in s->fs */
	bool ev_known;		    /* ev_dsec holds the record's second */
	int32_t ev_dsec;
	size_t full_len; /* the record's length before the max_line cut */
	uint32_t index;	 /* the record's place in the batch */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A match of rule id that lacked an output field: counted, published with
 * the extraction costs (PAT_OBS_MISSING). */
static void field_missing(struct pat_scanner *s, uint32_t id)
{
	if (!s->missing_n[id]++)
		s->missing[s->nmissing++] = id;
}

static void emit_key(struct match_ctx *x, uint32_t id, const struct pat_ref *r, enum pat_obs kind)
{
	const char *v;
	size_t len;

	if (!r->name || !x->sk->obs)
		return;
	if (pat_field(x->f, r, &v, &len)) {
		field_missing(x->s, id);
		return;
	}
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	if (!x->err)
		x->err = x->sk->obs(x->sk, id, kind, v, (uint32_t)len, 0);
}

static int parse_format(struct pat_scanner *s, const struct pat_batch *b, const char *p,
			size_t rlen, int64_t now_ms, const struct tz_zone *zone);

/* Did a legacy syslog stamp name its zone? RFC 5424 stamps always do; an
 * RFC 3164 "Mmm dd hh:mm:ss" never; an ISO one when it ends in Z or has a
 * sign after its seconds. */
static bool syslog_stamp_zoned(const struct syslog_msg *m)
{
	const char *t = m->timestamp.p;
	uint32_t n = m->timestamp.len;

	if (m->format == SYSLOG_FMT_RFC5424)
		return true;
	if (!t || n < 20 || t[0] < '0' || t[0] > '9')
		return false;
	if (t[n - 1] == 'Z' || t[n - 1] == 'z')
		return true;
	for (uint32_t i = 19; i < n; i++)
		if (t[i] == '+' || t[i] == '-')
			return true;
	return false;
}

/* Work out the record's event second relative to now (x->ev_dsec). */
static void event_second(struct match_ctx *x, size_t rlen)
{
	const struct pat_batch *b = x->b;
	struct fieldset *fs = x->s->fs;
	int64_t ms = 0, d;
	bool ok = false;

	x->ev_known = true;
	if (b->format == CFG_FORMAT_SYSLOG) {
		const struct syslog_msg *m = x->f->sys;

		if (m && m->ts_ms != INT64_MIN) {
			ms = m->ts_ms;
			ok = true;
			/* syslog_parse read a zone-less stamp at the offset the zone
			 * has now; redo it at the offset of the stamp's own time */
			if (!tz_zone_fixed(x->zone) && !syslog_stamp_zoned(m)) {
				int64_t local = ms + (int64_t)x->tz_now * 1000;

				ms = local -
				     (int64_t)tz_offset_local(x->zone, floor_div(local, 1000)) *
					 1000;
			}
		}
	} else if (b->format == CFG_FORMAT_RAW) {
		ok = ts_parse_prefix(x->f->rec, rlen, b->now_ms, x->zone, &ms) > 0;
	} else {
		if (!x->fs_parsed) { /* no rule read a field: parsed for the stamp only */
			parse_format(x->s, b, x->f->rec, rlen, b->now_ms, x->zone);
			x->fs_parsed = true;
		}
		ok = fs->has_ts;
		ms = fs->ts_ms;
	}
	if (!ok) {
		x->sk->no_timestamp++;
		x->ev_dsec = 0;
		return;
	}
	d = floor_div(ms, 1000) - x->now_s;
	x->ev_dsec = d > INT32_MAX ? INT32_MAX : d < INT32_MIN ? INT32_MIN : (int32_t)d;
}

/* Emit rule id's pending event-time count. */
static void pend_flush(struct match_ctx *x, uint32_t id)
{
	struct pat_scanner *s = x->s;
	int32_t keep = x->sk->dsec;

	x->sk->dsec = s->pend_dsec[id];
	if (!x->err)
		x->err = x->sk->obs(x->sk, id, PAT_OBS_COUNT, NULL, s->pend_n[id], 0);
	x->sk->dsec = keep;
	s->pend_n[id] = 0;
}

/* Count rule id's record at its own second (x->ev_dsec, not 0). */
static void count_at(struct match_ctx *x, uint32_t id)
{
	struct pat_scanner *s = x->s;

	if (s->pend_n[id]) {
		if (s->pend_dsec[id] == x->ev_dsec && s->pend_n[id] < UINT32_MAX) {
			s->pend_n[id]++;
			return;
		}
		pend_flush(x, id);
	} else {
		s->pend[s->npend++] = id;
	}
	s->pend_dsec[id] = x->ev_dsec;
	s->pend_n[id] = 1;
}

/* Emit every pending count (end of batch). */
static void pend_flush_all(struct match_ctx *x)
{
	struct pat_scanner *s = x->s;

	for (uint32_t i = 0; i < s->npend; i++)
		if (s->pend_n[s->pend[i]])
			pend_flush(x, s->pend[i]);
	s->npend = 0;
}

/* Count a record for rule r (id) in an event batch. */
static void count_ev(struct match_ctx *x, uint32_t id, const struct pat_rule *r, size_t rlen)
{
	if (r->time == CFG_TIME_ARRIVAL || (r->time == CFG_TIME_INHERIT && !x->ev_source)) {
		x->sk->dsec = 0;
		x->sk->counts[id]++;
		return;
	}
	if (!x->ev_known)
		event_second(x, rlen);
	x->sk->dsec = x->ev_dsec;
	if (x->ev_dsec)
		count_at(x, id);
	else
		x->sk->counts[id]++;
}

/* Offer the record rule id counted as a sample (its budget is not 0):
 * with a top: rule's key, read while the rule's captures are current. */
static __attribute__((noinline, cold)) void sample_hit(struct match_ctx *x, uint32_t id,
						       const struct pat_rule *r, size_t rlen)
{
	struct pat_sample smp = {x->f->rec, rlen, x->full_len, x->index, NULL, 0};
	const char *v;
	size_t len;

	x->sk->sample_left[id]--;
	if (r->top.name && !pat_field(x->f, &r->top, &v, &len)) {
		smp.key = v;
		smp.key_len = len;
	}
	x->sk->sample(x->sk, id, &smp);
}

/* Rule id matched the record (its regex did, or it has none). ev: the
 * batch counts some rules at event time; a constant at each call, so each
 * caller gets its own copy without the other's work. */
static inline __attribute__((always_inline)) void rule_hit_t(struct match_ctx *x, uint32_t id,
							     size_t rlen, bool ev)
{
	struct pat_scanner *s = x->s;
	const struct pat_rule *r = &s->db->rules[id];
	const char *v;
	size_t len;
	double val;

	if (r->plain && !ev) {
		x->sk->counts[id]++;
		x->matched = true;
		if (x->sk->sample_left && x->sk->sample_left[id])
			sample_hit(x, id, r, rlen);
		return;
	}
	if (!r->plain) {
		x->f->ovec = NULL;
		x->f->ncap = 0;
		if (r->re) {
			int64_t t0 = mono_ns();
			uint64_t want = PAT_MATCH_LIMIT + (uint64_t)rlen * PAT_MATCH_PER_BYTE;
			uint32_t limit = want > UINT32_MAX ? UINT32_MAX : (uint32_t)want;
			int rc;

			pcre2_set_match_limit(s->mctx, limit);
			pcre2_set_depth_limit(s->mctx, limit);
			rc = pcre2_jit_match(r->re, (PCRE2_SPTR)x->f->rec, rlen, 0, 0, s->md,
					     s->mctx);

			if (rc == PCRE2_ERROR_JIT_BADOPTION)
				rc = pcre2_match(r->re, (PCRE2_SPTR)x->f->rec, rlen, 0, 0, s->md,
						 s->mctx);
			s->extract_ns[id] += (uint64_t)(mono_ns() - t0);
			s->extract_n[id]++;
			if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			    rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
				s->limit_n[id]++;
			if (rc > 0) {
				x->f->ovec = pcre2_get_ovector_pointer(s->md);
				x->f->ncap = (uint32_t)rc;
			}
		}
		if (r->where.n && !where_eval(&r->where, x->f))
			return;
	}
	if (ev)
		count_ev(x, id, r, rlen);
	else
		x->sk->counts[id]++;
	x->matched = true;
	if (x->sk->sample_left && x->sk->sample_left[id])
		sample_hit(x, id, r, rlen);
	if (r->plain || !x->sk->obs)
		return;
	if (r->value.name) {
		if (pat_field(x->f, &r->value, &v, &len) || pat_number(v, len, true, &val))
			field_missing(s, id);
		else if (!x->err)
			x->err =
			    x->sk->obs(x->sk, id, PAT_OBS_VALUE, NULL, 0, val * r->value_scale);
	}
	emit_key(x, id, &r->top, PAT_OBS_TOP);
	emit_key(x, id, &r->distinct, PAT_OBS_DISTINCT);
}

struct hs_ctx {
	struct match_ctx *x;
	size_t rlen;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *arg)
{
	struct hs_ctx *h = arg;

	(void)from;
	(void)to;
	(void)flags;
	rule_hit_t(h->x, id, h->rlen, false);
	return h->x->err ? 1 : 0;
}

static int on_match_ev(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		       void *arg)
{
	struct hs_ctx *h = arg;

	(void)from;
	(void)to;
	(void)flags;
	rule_hit_t(h->x, id, h->rlen, true);
	return h->x->err ? 1 : 0;
}

/* Scan one record of rlen bytes (already cut to max_line). */
static inline __attribute__((always_inline)) int
scan_one_t(struct pat_scanner *s, const char *p, size_t rlen, struct match_ctx *x, bool ev)
{
	const struct pat_db *db = s->db;
	struct hs_ctx h = {x, rlen};
	uint32_t i;

	x->matched = false;
	x->f->rec = p;
	if (ev) {
		x->ev_known = false;
		x->fs_parsed = x->fmt;
	}
	if (s->scratch &&
	    hs_scan(db->hs, p, (unsigned)rlen, 0, s->scratch, ev ? on_match_ev : on_match, &h) !=
		HS_SUCCESS &&
	    !x->err)
		return -EIO;
	for (i = 0; i < db->nalways && !x->err; i++)
		rule_hit_t(x, db->always[i], rlen, ev);
	return x->err;
}

/* The syslog header's fields, by name, for rules that read them so. */
static void syslog_fields(const struct syslog_msg *m, struct fieldset *fs)
{
	static const char sev[] = "severity", fac[] = "facility";
	const char *n;

	if (m->hostname.p)
		fields_add(fs, "host", 4, m->hostname.p, m->hostname.len);
	if (m->app_name.p)
		fields_add(fs, "app", 3, m->app_name.p, m->app_name.len);
	if (m->procid.p)
		fields_add(fs, "procid", 6, m->procid.p, m->procid.len);
	if (m->msgid.p)
		fields_add(fs, "msgid", 5, m->msgid.p, m->msgid.len);
	if (m->msg.p)
		fields_add(fs, "msg", 3, m->msg.p, m->msg.len);
	if (m->pri >= 0 && (n = syslog_severity_name(m->severity)))
		fields_add(fs, sev, sizeof(sev) - 1, n, strlen(n));
	if (m->pri >= 0 && (n = syslog_facility_name(m->facility)))
		fields_add(fs, fac, sizeof(fac) - 1, n, strlen(n));
	if (m->ts_ms != INT64_MIN) {
		fs->has_ts = true;
		fs->ts_ms = m->ts_ms;
	}
}

/* Parse one record by the batch's format into the scanner's fieldset; its
 * stamp is read with now_ms and zone (see fields.h). Returns 0, or -1 when
 * the record is not in that format. */
static int parse_format(struct pat_scanner *s, const struct pat_batch *b, const char *p,
			size_t rlen, int64_t now_ms, const struct tz_zone *zone)
{
	int rc;

	fields_reset(s->fs);
	s->fs->ts_now_ms = now_ms;
	s->fs->ts_zone = zone;
	switch (b->format) {
	case CFG_FORMAT_COMBINED:
	case CFG_FORMAT_COMMON:
		rc = access_parse(p, rlen, s->fs);
		break;
	case CFG_FORMAT_JSON:
		rc = json_parse_fields(p, rlen, s->fs);
		break;
	case CFG_FORMAT_LOGFMT:
		rc = logfmt_parse(p, rlen, s->fs);
		break;
	default:
		return 0;
	}
	if (rc)
		fields_reset(s->fs); /* kept as raw: its text still matches */
	return rc;
}

int64_t pat_scan(struct pat_scanner *s, const struct pat_batch *b, uint32_t max_line,
		 struct pat_sink *sk)
{
	return pat_scan_time(s, b, NULL, max_line, sk);
}

int64_t pat_scan_time(struct pat_scanner *s, const struct pat_batch *b, const struct pat_time *t,
		      uint32_t max_line, struct pat_sink *sk)
{
	static const struct pat_time arrival = {false, NULL};
	const char *p = b->buf, *end = b->buf + b->len;
	const struct pat_db *db = s->db;
	bool sys = b->format == CFG_FORMAT_SYSLOG;
	bool fmt = b->format != CFG_FORMAT_SYSLOG && b->format != CFG_FORMAT_RAW && db->uses_format;
	/* Does some rule count at event time here? Then the ev copies run. */
	bool ev;
	struct tz_zone fixed = {0};
	struct syslog_msg msg;
	struct pat_fields f = {NULL, NULL, b->source_name, s->fs, NULL, NULL, 0};
	struct match_ctx x = {.s = s, .sk = sk, .f = &f};
	int32_t tz = b->tz_offset_s;
	int64_t n = 0;
	uint32_t i;

	if (!t)
		t = &arrival;
	ev = sk->obs && (t->event ? !db->all_arrival : db->any_event);
	fields_reset(s->fs);
	sk->dsec = 0;
	for (i = 0; i < s->npend; i++) /* left by a scan that failed */
		s->pend_n[s->pend[i]] = 0;
	s->npend = 0;
	if (tz > TZ_OFFSET_MAX || tz < -TZ_OFFSET_MAX)
		tz = 0;
	if (ev) {
		fixed.off0 = tz;
		x.b = b;
		x.zone = t->zone ? t->zone : &fixed;
		x.now_s = floor_div(b->now_ms, 1000);
		x.ev_source = t->event;
		x.fmt = fmt;
		tz = tz_offset_at(x.zone, x.now_s);
		x.tz_now = tz;
	} else if (t->zone) {
		tz = tz_offset_at(t->zone, floor_div(b->now_ms, 1000));
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *rec_end = nl ? nl : end;
		size_t rlen = (size_t)(rec_end - p);

		if (rlen && p[rlen - 1] == '\r')
			rlen--;
		x.full_len = rlen;
		x.index = (uint32_t)n;
		if (rlen > max_line) {
			sk->cut.lines++;
			sk->cut.bytes += rlen - max_line;
			rlen = max_line;
		}
		if (sys) {
			syslog_parse(p, rlen, b->now_ms, tz, &msg);
			sk->parse_errors += msg.parse_error;
			f.sys = msg.format != SYSLOG_FMT_RAW ? &msg : NULL;
			if (db->uses_format) {
				fields_reset(s->fs);
				if (f.sys)
					syslog_fields(&msg, s->fs);
			}
		} else if (fmt && parse_format(s, b, p, rlen, ev ? b->now_ms : TS_NOW_NONE,
					       ev ? x.zone : NULL)) {
			sk->parse_errors++;
		}
		f.peer = b->meta && (uint64_t)n < b->nmeta ? &b->meta[n].peer : NULL;
		if (ev ? scan_one_t(s, p, rlen, &x, true) : scan_one_t(s, p, rlen, &x, false))
			return x.err ? x.err : -EIO;
		if (!x.matched) {
			sk->unmatched++;
			sk->last_unmatched = p;
			sk->last_unmatched_len = (uint32_t)rlen;
		}
		n++;
		p = nl ? nl + 1 : end;
	}
	if (ev) {
		pend_flush_all(&x);
		if (x.err)
			return x.err;
	}
	sk->dsec = 0;
	for (i = 0; i < db->nextract && sk->obs; i++) {
		uint32_t id = db->extract[i];
		int rc;

		if (!s->extract_n[id])
			continue;
		rc = sk->obs(sk, id, PAT_OBS_EXTRACT, NULL, (uint32_t)s->extract_n[id],
			     (double)s->extract_ns[id]);
		if (!rc && s->limit_n[id])
			rc = sk->obs(sk, id, PAT_OBS_LIMIT, NULL, (uint32_t)s->limit_n[id], 0);
		if (rc)
			return rc;
		s->extract_n[id] = s->extract_ns[id] = s->limit_n[id] = 0;
	}
	for (i = 0; i < s->nmissing && sk->obs; i++) {
		uint32_t id = s->missing[i];
		int rc = sk->obs(sk, id, PAT_OBS_MISSING, NULL, (uint32_t)s->missing_n[id], 0);

		if (rc)
			return rc;
		s->missing_n[id] = 0;
	}
	if (sk->obs)
		s->nmissing = 0;
	return n;
}

int64_t pat_scan_batch(struct pat_scanner *s, const struct pat_batch *b, uint32_t max_line,
		       uint64_t *counts, struct pat_cut *cut, uint64_t *parse_errors)
{
	struct pat_sink sk = {.counts = counts};
	int64_t n = pat_scan(s, b, max_line, &sk);

	cut->lines += sk.cut.lines;
	cut->bytes += sk.cut.bytes;
	*parse_errors += sk.parse_errors;
	return n;
}

int64_t pat_scan_lines(struct pat_scanner *s, const char *buf, size_t len, uint32_t max_line,
		       uint64_t *counts, struct pat_cut *cut)
{
	struct pat_batch b = {buf, len, NULL, 0, NULL, CFG_FORMAT_RAW, 0, 0};
	uint64_t errs = 0;

	return pat_scan_batch(s, &b, max_line, counts, cut, &errs);
}
