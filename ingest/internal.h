/*
 * internal.h - what ingest.c (the io_uring loop: reads, framing, shipping,
 * checkpoint barriers) and files.c (which files to tail: globs, identity,
 * rotation, saved offsets) share. Private to ingest/; everything here is
 * touched by the ingest thread only, except where a comment says so.
 */
#ifndef WEIR_INGEST_INTERNAL_H
#define WEIR_INGEST_INTERNAL_H

#include "core/batch.h"
#include "config/config.h"
#include "pipeline/pipeline.h"
#include "ingest/frame.h"
#include "ingest/idmap.h"
#include "ingest/octet.h"
#include "ingest/retired.h"

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define ROTATE_WAIT_MS 1000 /* a file gone from its path is closed after this long quiet */
#define RESCAN_MIN_MS 100   /* directory events trigger a rescan at most this often */
#define WD_DIR 0x80000000u  /* idmap value: a directory watch */
#define CKPT_SOON_MS 100    /* a checkpoint this soon after a file is retired */

struct state_file;
struct stat;

enum op { OP_READ = 1, OP_INOTIFY, OP_EVENTFD, OP_RECV, OP_ACCEPT, OP_CONN };

/* user_data of a request: what it is and whose (file slot, listener, conn) */
#define UD(op, idx) (((uint64_t)(op) << 32) | (uint32_t)(idx))
#define UD_OP(ud) ((enum op)((ud) >> 32))
#define UD_IDX(ud) ((uint32_t)(ud))

/* A syslog socket (listen.c; TCP connections in tcp.c). Index i of
 * ing->listeners is listener i of the pipeline (p->listener_stats[i]). */
struct listener {
	uint32_t source; /* index into p->sources */
	const char *url; /* borrowed from the source */
	struct cfg_listen addr;
	int fd;		       /* the datagram socket, or the TCP listening socket */
	bool stream;	       /* TCP: records come from its connections */
	bool armed;	       /* a multishot recvmsg / accept is in flight */
	int64_t retry_ms;      /* TCP: accept failed; re-arm at this time */
	struct batch *b;       /* records received, not yet shipped */
	uint32_t kernel_drops; /* the socket's SO_RXQ_OVFL total seen so far */
	uint32_t nconns;       /* TCP: connections open */
	struct listener_stats *st;
	struct peer_top top; /* busiest senders */
};

/* A ring of provided buffers (listen.c): n buffers of size bytes that the
 * kernel fills as data arrives, named in completions by buffer id. */
struct bufring {
	struct io_uring_buf_ring *br;
	char *bufs; /* n x size */
	uint32_t n; /* a power of two */
	uint32_t size;
	uint16_t bgid;
	bool registered;
};

/* One TCP connection (tcp.c). Slot idx of ing->conns. */
struct conn {
	int fd;		   /* -1: the slot is free */
	uint32_t listener; /* index into ing->listeners */
	struct peer_addr peer;
	struct octet_framer fr;
	char *frbuf;	   /* the framer's buffer: a max_line mapping, accept to close */
	bool armed;	   /* a recv is in flight */
	bool queued;	   /* in ing->connq */
	bool eof;	   /* no more data: finish the framer and close */
	bool cancelled;	   /* a cancel of its recv was sent */
	bool idle;	   /* closed for idleness */
	bool held;	   /* a received chunk waits for batch room */
	uint16_t held_bid; /* its provided buffer */
	uint32_t held_off, held_len;
	int64_t last_ms; /* last data (or the accept) */
};

/* One tailed file (or a path that cannot be opened). Slot idx of
 * ing->files; the API sees it as p->files[idx] and p->file_stats[idx]. */
struct file {
	uint32_t idx;
	uint32_t source; /* index into p->sources */
	const struct pipe_source *desc;
	struct source_stats *sst;
	struct file_stats *st;
	char *path;	       /* owned: where it was last found */
	char *real;	       /* owned: path resolved, when path is a symlink (the
				  checkpoint saves it: a restart looks for a file
				  rotated away in its real directory), else NULL */
	enum file_state state; /* FILE_FREE when the slot is unused */
	bool literal;	       /* a configured literal path (its error slot stays) */
	bool closing;	       /* closed; the slot is freed once its batches are back */
	bool rotated;	       /* counted as rotated (its path named a new file) */
	bool fresh;	       /* opened from 0 as a new file in this rescan, not read yet */
	bool held;	       /* may be a copy of slot copy_of: not read until known (copy.c) */
	bool held_full;	       /* held: it starts with that one's whole head */
	bool path_err;	       /* its path cannot be looked at now (logged once) */
	uint32_t copy_of;      /* held: the file it starts like, and that one's identity */
	dev_t of_dev;
	ino_t of_ino;
	uint64_t held_size; /* held: its size at the last look */
	int64_t held_ms;    /* held: since when */
	int fd;		    /* -1 when not open */
	int wd;		    /* inotify watch, -1 if none */
	dev_t dev;	    /* identity of the open file */
	ino_t ino;
	uint64_t fp; /* fingerprint of the first fp_len bytes */
	uint32_t fp_len;
	uint64_t offset;   /* file offset of the next read */
	uint64_t shipped;  /* every record before this offset has been shipped */
	bool shipped_disc; /* and what follows it is the cut-off rest of a line */
	struct batch *b;   /* batch being filled; owned while not NULL */
	uint32_t complete; /* bytes of whole records in b */
	char *carry;	   /* a partial record kept while idle without a batch */
	uint32_t carry_len;
	uint32_t carry_cap;
	struct framer fr;
	uint64_t fr_lines, fr_bytes; /* framer cuts already added to the source */
	bool reading;		     /* a read is in flight (b->buf belongs to the kernel) */
	bool want_read;		     /* there may be more to read */
	bool blocked;		     /* whole records wait for a ring slot or a free batch */
	bool starved;		     /* wants to read but no batch was free */
	bool at_eof;		     /* scan: read to the end; done once all of it is shipped */
	bool done;		     /* scan: finished (read and shipped, or failed) */
	bool stream;	      /* a pipe or terminal (scan of stdin): read at the current position */
	uint32_t gen;	      /* the last rescan that found it */
	int64_t drain_ms;     /* when it became FILE_DRAINING */
	int64_t data_ms;      /* the last read with data (or the open) */
	uint32_t outstanding; /* batches shipped and not yet back */
	int err;	      /* errno of the current failure (FILE_ERROR) */
	uint32_t apos;	      /* position in ing->active */
	/* the workers' per-slot counters when this use of the slot began */
	uint64_t base_lines, base_cut_lines, base_cut_bytes;
};

struct dirwatch {
	char *dir;
	int wd; /* -1: not watched (yet) */
};

struct ingest {
	struct pipeline *p; /* borrowed */
	struct io_uring ring;
	bool ring_ok;
	struct batch_pool pool;
	struct file *files; /* [p->max_files] */
	uint32_t *active;   /* slots in use, in no particular order */
	uint32_t nactive;
	uint32_t *freelist;
	uint32_t nfree;
	uint32_t rr;	  /* round-robin start over active */
	struct idmap ids; /* (dev, ino, source) -> slot, open files */
	struct idmap wds; /* inotify wd -> slot, or WD_DIR */
	struct dirwatch *dirs;
	uint32_t ndirs, capdirs;
	uint32_t gen;
	bool rescan_due;
	bool scanned_once;
	int64_t last_rescan_ms;
	struct state_file *registry; /* saved offsets of the last run, until the first scan */
	uint32_t nregistry;
	bool restored;		/* started from a state file */
	struct retired retired; /* files read and closed, in case they come back */
	struct idmap refused;	/* files refused (max_files) -> the rescan that last did */
	struct idmap skipped;	/* paths skipped (not regular files) -> last rescan seeing them */
	uint32_t *pat_base;	/* [nsources]: where a source's patterns start in pat_err */
	int *pat_err;		/* per pattern: errno of its glob's failure, 0 if it works */
	uint32_t nheld;		/* files held as possible copies */
	bool refused_logged;
	bool files_dirty;   /* a file changed since the table was last published */
	uint64_t batch_seq; /* the last data batch shipped (struct batch.seq) */

	uint32_t next_worker; /* round-robin start */
	int inotify_fd;
	int event_fd;
	_Atomic bool stop_req; /* ing_stop() was called (the eventfd also wakes for reloads) */
	uint64_t event_val;    /* eventfd read target */
	char *inotify_buf;     /* INOTIFY_BUF bytes, aligned for struct inotify_event */
	uint32_t inflight;     /* requests not yet completed */
	bool inotify_armed, event_armed;
	bool stopping;
	int64_t next_poll_ms;

	/* Checkpoint barriers: one per worker, not from the pool. */
	struct batch *barriers; /* [nworkers] */
	bool *barrier_pending;	/* [nworkers]: decided, not yet pushed */
	uint32_t npending;
	uint32_t barriers_out; /* pushed, not yet back */
	void *ckpt_payload;    /* struct ckpt_files of the barrier being pushed */
	int64_t next_ckpt_ms;
	int64_t ckpt_soon_ms; /* a file was retired: checkpoint then (0: not due) */

	/* Syslog receivers (listen.c) and their provided-buffer ring. */
	struct listener *listeners;
	uint32_t nlisteners;
	struct bufring dgram; /* datagrams, one per buffer */
	struct msghdr msgh;   /* the recvmsg layout: name and control sizes */
	/* TCP connections (tcp.c) and their own provided-buffer ring. */
	struct conn *conns; /* [nconns_max] */
	uint32_t nconns_max;
	uint32_t nconns_open;
	uint32_t *conn_free; /* free slots (a stack) */
	uint32_t nconn_free;
	uint32_t *connq; /* conns to serve: arm, feed a held chunk, finish */
	uint32_t nconnq;
	uint32_t *starved; /* conns whose recv found no buffer, waiting for one */
	uint32_t nstarved;
	uint32_t sbufs_held; /* stream buffers held by blocked conns */
	uint64_t nofile;     /* the open-file limit (RLIMIT_NOFILE soft) */
	bool nofile_warned;
	struct bufring stream; /* TCP chunks */
};

/* ingest.c */
/* A free submission entry (submitting to make room), or NULL. */
struct io_uring_sqe *ing_get_sqe(struct ingest *ing);

/* A worker ring with room, round-robin, or -1. */
int ing_pick_worker(struct ingest *ing);

/* listen.c */
/* Set up and register r. 0 or -errno (logged). */
int bufring_init(struct ingest *ing, struct bufring *r, uint16_t bgid, uint32_t n, uint32_t size);
void bufring_destroy(struct ingest *ing, struct bufring *r);
static inline char *bufring_buf(const struct bufring *r, uint16_t bid)
{
	return r->bufs + (size_t)bid * r->size;
}
/* Give buffer bid back to the kernel. */
void bufring_put(struct bufring *r, uint16_t bid);
/* The address a `listen:` URL names; returns its family. */
int listen_sockaddr(const struct cfg_listen *l, struct sockaddr_storage *ss, socklen_t *len);
int listeners_init(struct ingest *ing);
void listeners_destroy(struct ingest *ing);
void listeners_arm(struct ingest *ing);
void listeners_cancel(struct ingest *ing);
void listener_on_recv(struct ingest *ing, uint32_t idx, int res, uint32_t flags);
bool listener_ship(struct ingest *ing, struct listener *l);
/* Ship every listener's records and serve waiting connections; false if
 * some records wait for a ring slot or a batch. */
bool listeners_flush(struct ingest *ing);
/* Room for n more bytes of records (plus the LF of each) and nrec records
 * in l's batch, shipping a full one; false when none can be had now. */
bool listener_room(struct ingest *ing, struct listener *l, uint32_t n, uint32_t nrec);
/* Append one record (room made sure of); LFs inside become spaces. */
void listener_put(struct listener *l, const char *data, uint32_t n, const struct rec_meta *m);
/* Everything the listeners hold is shipped and every connection closed. */
bool listeners_settled(struct ingest *ing);
/* Once a second: publish top peers, close idle connections, retry accepts. */
void listeners_poll(struct ingest *ing, int64_t t);

/* tcp.c */
int tcp_init(struct ingest *ing);
void tcp_destroy(struct ingest *ing);
int tcp_open(const struct cfg_listen *a, int *fdp);
void tcp_arm_accept(struct ingest *ing, uint32_t li);
void tcp_on_accept(struct ingest *ing, uint32_t li, int res, uint32_t flags);
void tcp_on_recv(struct ingest *ing, uint32_t ci, int res, uint32_t flags);
/* Serve queued connections; false if some wait for batch room. */
bool tcp_serve(struct ingest *ing);
void tcp_cancel(struct ingest *ing);
void tcp_poll(struct ingest *ing, int64_t t);

/* files.c */
int files_init(struct ingest *ing);
void files_destroy(struct ingest *ing);
/* Find what every source's paths name now: open new files, mark vanished
 * ones draining, retry failed paths. */
void files_rescan(struct ingest *ing);
/* Close f (read to its end and shipped by the caller). */
void file_close(struct ingest *ing, struct file *f);
/* A batch of f came back; frees a closing slot once all have. */
void file_batch_back(struct ingest *ing, struct file *f);
/* Publish f's path, state and error for the API (after changing them). */
void file_changed(struct ingest *ing, struct file *f);
/* Open path as a new file of source si (st: what stat said of it) and
 * tail it, draining (read to its end, closed once quiet, unless the paths
 * name it), from saved's offset if its head matches saved. The file, or
 * NULL (refused, or it could not be opened). */
struct file *file_add(struct ingest *ing, uint32_t si, const char *path, const struct stat *st,
		      bool draining, const struct state_file *saved);
/* The fingerprint of the first want bytes of fd (fewer if size is less). */
void file_head(int fd, uint64_t size, uint32_t want, uint64_t *fp, uint32_t *fp_len);
/* Whether the last run's state has an entry of its own for this file. */
bool file_saved(const struct ingest *ing, dev_t dev, ino_t ino, uint32_t si);
/* Whether two paths are in the same directory. */
bool same_dir(const char *a, const char *b);
/* The key of an identity in ing->ids, ing->retired, ing->refused. */
static inline struct idkey id_key(dev_t dev, ino_t ino, uint32_t source)
{
	return (struct idkey){(uint64_t)dev, (uint64_t)ino, source};
}

/* copy.c: copytruncate. What weir had read of a file that was truncated
 * (or found truncated at a restart): where its copy is looked for, what
 * the copy starts with, and where weir was. */
struct copy_want {
	uint32_t source;
	const char *path; /* the truncated file: its copy is in the same directory */
	dev_t dev;	  /* its identity (not a copy of itself) */
	ino_t ino;
	uint64_t fp; /* its head as weir read it */
	uint32_t fp_len;
	uint64_t from; /* every record before this offset is counted */
	bool disc;     /* and what follows is the cut-off rest of a line */
};
/* Find the copy of w's file (in its directory: the same head, at least
 * w->from long) and read it on from w->from. true if found. */
bool copy_take_over(struct ingest *ing, const struct copy_want *w);
/* End of a rescan: hold each file opened in it that starts like a file
 * already tailed (a copy being made?); clear the fresh marks. */
void copy_hold_fresh(struct ingest *ing);
/* A held file changed: look at its head again; read it from 0 if it now
 * starts otherwise than any file tailed beside it. false if released. */
bool copy_recheck(struct ingest *ing, struct file *f, int64_t t);
/* Once a second for a held file: copy_recheck, and read it from 0 once it
 * has been unchanged for ROTATE_WAIT_MS while the file it starts like was
 * read to its end and not truncated. */
void copy_poll_held(struct ingest *ing, struct file *f, int64_t t);
/* orig is being closed: files held as its copies are files of their own. */
void copy_orig_closed(struct ingest *ing, const struct file *orig);
/* read.c: take back the batches the workers returned (and barriers). */
void ing_take_returns(struct ingest *ing);
/* read.c: a read of file slot idx completed with res. */
void file_on_read(struct ingest *ing, uint32_t idx, int res);
/* read.c: once a second, rescan the paths and look at every file. */
void files_poll(struct ingest *ing);
/* read.c: let every active file ship and read (from a moving start);
 * sets *any_blocked while records wait for a ring slot or a batch. */
void files_visit(struct ingest *ing, bool *any_blocked);
/* ckpt.c: owe every worker a barrier with the files' shipped offsets
 * (final: the last one; rules: a reload's rule set travels with it). */
void ckpt_begin(struct ingest *ing, bool final, struct ruleset *rules);
/* ckpt.c: push the barriers owed, where a worker's ring has room. */
void ckpt_push(struct ingest *ing);
/* ckpt.c: at the end, the last checkpoint after the last record shipped. */
void ckpt_final(struct ingest *ing);
/* Publish the file table for the aggregator if a file changed since. */
void files_publish(struct ingest *ing);
/* The offsets to checkpoint now (malloc'd struct ckpt_files), or NULL. */
void *files_checkpoint(struct ingest *ing);

#endif
