/*
 * demo.h - the built-in demo source: a thread that writes realistic
 * access-log and syslog lines (ingest/loggen.h) into a temporary file at a
 * steady rate, for weir to tail like any file. Used by `make run`.
 *
 * Owns: its thread and the temporary file, which demo_free() removes.
 * The file is truncated back to empty past DEMO_MAX_BYTES, which ingest sees
 * as a copy-truncate.
 */
#ifndef WEIR_DEMO_H
#define WEIR_DEMO_H

#define DEMO_MAX_BYTES (64u << 20)

struct demo;

/* Create the temp file (its path in *path, owned by the demo) without
 * starting to write. 0 or -errno. */
int demo_new(double lines_per_sec, struct demo **out, const char **path);
int demo_start(struct demo *d);
/* Stop the writer, join it, remove the file. NULL is a no-op. */
void demo_free(struct demo *d);

#endif
