/* batch.c - see batch.h. */
#include "core/batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int batch_pool_init(struct batch_pool *p, uint32_t count, uint32_t buf_size, uint32_t meta_cap)
{
	uint32_t i;

	memset(p, 0, sizeof(*p));
	p->all = calloc(count, sizeof(*p->all));
	p->free = calloc(count, sizeof(*p->free));
	if (!p->all || !p->free)
		goto err;
	for (i = 0; i < count; i++) {
		p->all[i].buf = malloc(buf_size);
		if (!p->all[i].buf)
			goto err;
		if (meta_cap) {
			p->all[i].meta = malloc(sizeof(struct rec_meta) * meta_cap);
			if (!p->all[i].meta) {
				free(p->all[i].buf);
				goto err;
			}
			p->all[i].meta_cap = meta_cap;
		}
		p->all[i].cap = buf_size;
		p->nall++;
		p->free[p->nfree++] = &p->all[i];
	}
	return 0;
err:
	batch_pool_destroy(p);
	return -ENOMEM;
}

void batch_pool_destroy(struct batch_pool *p)
{
	uint32_t i;

	if (p->all)
		for (i = 0; i < p->nall; i++) {
			free(p->all[i].buf);
			free(p->all[i].meta);
		}
	free(p->all);
	free(p->free);
	memset(p, 0, sizeof(*p));
}

struct batch *batch_pool_get(struct batch_pool *p)
{
	struct batch *b;

	if (!p->nfree)
		return NULL;
	b = p->free[--p->nfree];
	b->len = 0;
	b->nmeta = 0;
	b->kind = BATCH_DATA;
	b->source = 0;
	b->arrival_ms = 0;
	return b;
}

void batch_pool_put(struct batch_pool *p, struct batch *b)
{
	p->free[p->nfree++] = b;
}
