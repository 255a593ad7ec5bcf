/* history.c - see history.h. */
#include "aggregate/history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int agg_history_init(struct agg_history *h, uint32_t nrules, uint32_t nslots)
{
	uint32_t i;

	memset(h, 0, sizeof(*h));
	h->nrules = nrules;
	h->nslots = nslots ? nslots : 1;
	h->slot_sec = malloc(sizeof(*h->slot_sec) * h->nslots);
	h->counts = calloc((size_t)h->nslots * (nrules ? nrules : 1), sizeof(*h->counts));
	h->totals = calloc(nrules ? nrules : 1, sizeof(*h->totals));
	if (!h->slot_sec || !h->counts || !h->totals) {
		agg_history_destroy(h);
		return -ENOMEM;
	}
	for (i = 0; i < h->nslots; i++)
		h->slot_sec[i] = INT64_MIN;
	h->newest = INT64_MIN;
	return 0;
}

void agg_history_destroy(struct agg_history *h)
{
	free(h->slot_sec);
	free(h->counts);
	free(h->totals);
	memset(h, 0, sizeof(*h));
}

static uint32_t slot_of(const struct agg_history *h, int64_t sec)
{
	int64_t m = sec % (int64_t)h->nslots;

	return (uint32_t)(m < 0 ? m + h->nslots : m);
}

void agg_history_add(struct agg_history *h, int64_t sec, const uint64_t *counts)
{
	uint32_t s = slot_of(h, sec), r;
	uint64_t *row = h->counts + (size_t)s * h->nrules;
	uint64_t sum = 0;

	for (r = 0; r < h->nrules; r++) {
		h->totals[r] += counts[r];
		sum += counts[r];
	}
	if (h->newest != INT64_MIN && sec <= h->newest - (int64_t)h->nslots) {
		h->expired += sum; /* older than anything kept: in totals only */
		return;
	}
	if (h->slot_sec[s] != sec) {
		memset(row, 0, sizeof(*row) * h->nrules);
		h->slot_sec[s] = sec;
	}
	for (r = 0; r < h->nrules; r++)
		row[r] += counts[r];
	if (h->newest == INT64_MIN || sec > h->newest)
		h->newest = sec;
}

void agg_history_windows(const struct agg_history *h, int64_t now, const uint32_t *secs,
			 size_t nwin, uint64_t *out)
{
	uint64_t *run;
	size_t w = 0;
	uint32_t age, r;

	memset(out, 0, sizeof(*out) * nwin * h->nrules);
	if (!nwin || !h->nrules)
		return;
	run = out; /* accumulate into window 0, then copy forward at each edge */
	for (age = 0; w < nwin; age++) {
		int64_t sec = now - (int64_t)age;
		uint32_t s;

		if (age == secs[w]) {
			/* Window w is complete; the next starts from its sum. */
			if (w + 1 < nwin)
				memcpy(out + (w + 1) * h->nrules, run, sizeof(*run) * h->nrules);
			w++;
			run = out + w * h->nrules;
			/* Windows of equal length: copy again without adding. */
			while (w < nwin && age == secs[w]) {
				if (w + 1 < nwin)
					memcpy(out + (w + 1) * h->nrules, run,
					       sizeof(*run) * h->nrules);
				w++;
				run = out + w * h->nrules;
			}
			if (w >= nwin)
				break;
		}
		if (age >= h->nslots)
			continue; /* beyond the history: nothing to add */
		s = slot_of(h, sec);
		if (h->slot_sec[s] != sec)
			continue;
		for (r = 0; r < h->nrules; r++)
			run[r] += h->counts[(size_t)s * h->nrules + r];
	}
}
