/* pipeline.c - the file table's slots (see pipeline.h, published.h). */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <stdlib.h>

int pipe_files_pub_init(struct pipeline *p)
{
	int rc = tribuf_init(&p->files_pub, sizeof(struct files_table));

	if (rc)
		return rc;
	for (int i = 0; i < 3; i++) {
		struct files_table *t = p->files_pub.slot[i];

		t->paths_cap = p->max_files * FILES_PATHS_PER_FILE;
		t->v = calloc(p->max_files ? p->max_files : 1, sizeof(*t->v));
		t->paths = malloc(t->paths_cap ? t->paths_cap : 1);
		if (!t->v || !t->paths)
			return -ENOMEM; /* pipe_files_pub_destroy frees what was made */
	}
	return 0;
}

void pipe_files_pub_destroy(struct pipeline *p)
{
	for (int i = 0; i < 3; i++) {
		struct files_table *t = p->files_pub.slot[i];

		if (t) {
			free(t->v);
			free(t->paths);
		}
	}
	tribuf_destroy(&p->files_pub);
}
