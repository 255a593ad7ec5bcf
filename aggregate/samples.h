/*
 * samples.h - the most recent records each rule matched, for
 * GET /api/v1/rules/{name}/samples.
 *
 * The workers copy a bounded number of matched records per rule into each
 * pane (aggregate/pane.h, struct pane_sample); the aggregator hands each
 * one to smp_add. The store keeps, per rule:
 *  - the newest `keep` samples (the "main" ring), ordered by ingest's order
 *    (struct pane_sample.seq), not by arrival at the aggregator, so that
 *    samples from two workers still come out in the order of the log;
 *  - for a top: rule, up to `per_key` older samples of each of its most
 *    recently seen keys (SMP_KEYS at most, fewer when its top_k is): a
 *    sample pushed out of the main ring moves to its key's ring, so a rare
 *    key keeps lines while a busy one fills the main ring.
 * Each rule's slots are allocated at its first sample, once; a rule's share
 * of samples.bytes bounds them (smp_rule_slots), so the store never holds
 * more than its budget whatever the rules match. Lines longer than
 * line_bytes were cut by the worker (truncated in the JSON).
 *
 * Owned by the aggregator thread; no locking inside. What HTTP threads
 * read is struct smp_pub: immutable, made at a tick when something changed
 * (shared by the snapshots until the next change), reference counted like
 * the snapshot that carries it. It is one block per rule (struct
 * smp_block, counted too): a publish renders only the rules whose samples
 * changed since the last one and shares the others' blocks, so its cost
 * follows what the tick brought, not what the store holds. Not
 * checkpointed.
 */
#ifndef WEIR_SAMPLES_H
#define WEIR_SAMPLES_H

#include "aggregate/pane.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct strbuf;

#define SMP_KEYS 32 /* keys with a ring of their own per top: rule, at most */

/* One kept sample; text holds its line, then its key. */
struct smp_slot {
	uint64_t seq;
	int64_t t_ms;
	uint32_t source;
	uint32_t full_len;
	uint32_t len;
	uint16_t key_len;
	bool has_key;
	char *text; /* the rule's slot_size bytes, in its slab */
};

/* A recent key of a top: rule and the samples it kept from the main ring. */
struct smp_keyring {
	uint64_t last_seq; /* its newest sample seen: the least recent key is replaced */
	uint16_t key_len;
	bool used;
	char key[PANE_KEY_MAX];
	uint32_t n;
	struct smp_slot **s; /* [per_key] */
};

struct smp_rule {
	uint32_t keep;	      /* main ring size (0: this rule keeps nothing) */
	uint32_t nkeys;	      /* key rings (0: not a top: rule, or per_key 0) */
	uint32_t nslots;      /* keep + nkeys * per_key + 1 */
	uint32_t slot_size;   /* line_bytes (+ PANE_KEY_MAX for a top: rule) */
	struct smp_slot *all; /* [nslots], NULL until the first sample */
	char *slab;	      /* nslots * slot_size */
	struct smp_slot **free;
	uint32_t nfree;
	struct smp_slot **main; /* [keep + 1], unordered */
	uint32_t nmain;
	struct smp_keyring *keys; /* [nkeys] */
	bool dirty;		  /* changed since blk was rendered */
	struct smp_block *blk;	  /* its samples as last published (a reference), or NULL */
};

struct smp_pub;
struct smp_block;

struct smp_store {
	uint32_t nrules;
	struct smp_rule *rules;		    /* [nrules] */
	uint32_t keep, per_key, line_bytes; /* samples: as configured */
	uint64_t added;			    /* samples taken */
	uint64_t dropped;		    /* samples with no memory for their rule */
	bool dirty;			    /* changed since pub was made */
	struct smp_pub *pub;
};

/*
 * An empty store for rules' rules with settings' samples: (keep 0: one
 * that keeps nothing). 0 or -ENOMEM (st is then empty, smp_store_free-able).
 */
int smp_store_init(struct smp_store *st, const struct cfg *settings, const struct cfg *rules);
void smp_store_free(struct smp_store *st);
/* How many samples rule r keeps in its main ring and how many keys get a
 * ring, within its share of settings' bytes. */
void smp_rule_slots(const struct cfg *settings, size_t nrules, bool top, uint32_t top_k,
		    uint32_t *keep, uint32_t *nkeys);

/* Keep one sample of rule h->rule: its line (h->len bytes) and key. */
void smp_add(struct smp_store *st, const struct pane_sample *h, const char *line, const char *key);
/* Every sample a pane carries. */
void smp_take_pane(struct smp_store *st, const struct pane *pn);
/*
 * A reload: the samples of each new rule r whose from[r] is an old rule
 * (not UINT32_MAX) move from old into st (an empty store for the new
 * rules); the others start empty. old is left to be freed.
 */
void smp_store_carry(struct smp_store *st, const struct smp_store *old, const uint32_t *from);

/* --- what the HTTP threads read --- */

/* One sample as published: its JSON object and its key. */
struct smp_entry {
	uint64_t seq;
	size_t off, len; /* its {"t_ms":...} in json */
	size_t key_off;	 /* its key's raw bytes in keys */
	uint16_t key_len;
	bool has_key;
	bool main; /* in the main ring (else a key ring's older one) */
};

/* One rule's samples as published: its entries, newest first. */
struct smp_block {
	_Atomic uint32_t refs;
	uint32_t n;
	struct smp_entry *e; /* [n] */
	char *json;
	char *keys;
};

struct smp_pub {
	_Atomic uint32_t refs;
	uint32_t nrules;
	uint32_t keep;		  /* samples.keep: the API's default limit */
	struct smp_block **rules; /* [nrules], each a reference or NULL (none yet) */
};

/*
 * The store as an immutable smp_pub, with a reference for the caller:
 * made anew when something changed, else the last one again. names: the
 * sources' names, by index (struct pane_sample.source), nnames of them.
 * NULL on ENOMEM.
 */
struct smp_pub *smp_publish(struct smp_store *st, const char *const *names, uint32_t nnames);
/* Drop one reference; the last one frees. NULL is a no-op. */
void smp_pub_release(struct smp_pub *p);

/*
 * Append to out a JSON array of rule r's newest samples, at most limit:
 * with key (key_len bytes; NULL: any), those whose key is exactly that,
 * from the main ring and the key's own; without, the main ring's.
 * Returns how many.
 */
uint32_t smp_pub_render(const struct smp_pub *p, uint32_t r, const char *key, size_t key_len,
			uint32_t limit, struct strbuf *out);

#endif
