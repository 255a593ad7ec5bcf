/*
 * sse.h - GET /api/v1/stream: server-sent events, one per tick.
 *
 * A stream starts with "retry: 2000", then an `event: snapshot` holding the
 * full snapshot JSON (its id is the snapshot's seq), then one `event: tick`
 * per published snapshot with what changed (aggregate/delta_json.h), ids
 * contiguous. With `Last-Event-ID: N` the stream instead replays the tick
 * events after N that are still kept (the last SSE_KEEP) and goes on live;
 * when N is too old, unknown (seq went back: weir restarted) or not a number,
 * it starts with a snapshot event. ": keep-alive" comments fill silences of
 * SSE_KEEPALIVE_MS.
 *
 * At most max_streams streams at once: a new one beyond that ends the
 * stream furthest behind (the most ticks not yet handed over, then the
 * most bytes its client has not taken from the kernel), so clients that
 * stop reading cannot keep newcomers out.
 *
 * Owns: a notifier thread that waits on the snapshot store for each new
 * seq, keeps the formatted tick events in a ring, and resumes the suspended
 * streams (a stream with nothing to send suspends its MHD connection, so
 * it never blocks MHD's polling thread). Borrows the snapshot store.
 *
 * Order of use: sse_new before the MHD daemon starts (which needs
 * MHD_ALLOW_SUSPEND_RESUME); sse_shutdown before MHD_stop_daemon (MHD must
 * not stop with a suspended connection); sse_free after it (the responses,
 * and with them the streams, are gone).
 */
#ifndef WEIR_HTTP_SSE_H
#define WEIR_HTTP_SSE_H

#include <microhttpd.h>

#define SSE_KEEP 300	       /* tick events kept for Last-Event-ID */
#define SSE_KEEPALIVE_MS 15000 /* a comment after this long without a byte */
#define SSE_RETRY_MS 2000      /* the reconnection delay told to clients */

struct snap_store;
struct sse;

/* Start the notifier on store (borrowed, outlives the module), for at most
 * max_streams streams at once. 0 or -errno. */
int sse_new(struct snap_store *store, unsigned max_streams, struct sse **out);
/*
 * A response for a GET /api/v1/stream on c: the caller queues it with 200
 * and destroys its own reference. With max_streams open, the one furthest
 * behind is ended to make room. On failure *out is NULL, *why says why (a
 * static string) and the result is -ESHUTDOWN (stopping: answer 503) or
 * -ENOMEM (500).
 */
int sse_open(struct sse *m, struct MHD_Connection *c, struct MHD_Response **out, const char **why);
/* End every stream (they send what they hold no more and finish), refuse new
 * ones, and stop the notifier. Returns without waiting for MHD. Idempotent. */
void sse_shutdown(struct sse *m);
/* Shut down if not yet, and free. Only once MHD has dropped every response.
 * NULL is a no-op. */
void sse_free(struct sse *m);

#endif
