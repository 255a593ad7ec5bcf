/*
 * frame.h - cut a byte stream into LF-terminated records inside a batch
 * buffer, with a hard cap on record length.
 *
 * Pure functions over a buffer the caller owns: tests and fuzzers call them
 * directly. The buffer holds buf[0..complete) whole records (each ended by
 * '\n'), then a partial record [complete..len). Bytes are appended by the
 * caller (a read) and then fed here.
 *
 * Records longer than max_line: while a record has no '\n' yet and its
 * partial part exceeds max_line, it is cut: a '\n' is written after its
 * first max_line bytes and the rest of that line, up to and including its
 * own '\n', is discarded (counted in lines_truncated / bytes_discarded).
 * So the partial part never exceeds max_line and a batch of more than
 * 2 * max_line bytes always has room to read. (A long record that arrives
 * whole in one read is cut by the worker when it scans; see pattern/.)
 */
#ifndef WEIR_FRAME_H
#define WEIR_FRAME_H

#include <stdbool.h>
#include <stdint.h>

struct framer {
	uint32_t max_line;	  /* longest record kept, in bytes (without its '\n') */
	bool discarding;	  /* inside the cut-off rest of an overlong line */
	uint64_t lines_truncated; /* records cut at max_line */
	uint64_t bytes_discarded; /* bytes dropped from those records */
};

/*
 * buf[0..len) holds complete records up to *complete, a partial record, and
 * n newly appended bytes at its end (len includes them). Updates *complete
 * and returns the new length (smaller than len when bytes were discarded).
 */
uint32_t frame_feed(struct framer *f, char *buf, uint32_t len, uint32_t n, uint32_t *complete);

/*
 * End of input (a file read once, or a flush): a partial record becomes a
 * record by appending '\n' (buf must have one spare byte beyond len, which
 * frame_feed's invariant leaves whenever cap > max_line). Returns the new length.
 */
uint32_t frame_finish(struct framer *f, char *buf, uint32_t len, uint32_t *complete);

#endif
