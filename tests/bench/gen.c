/*
 * gen.c - write a benchmark corpus of realistic log lines (ingest/loggen.c).
 *
 *   gen -o FILE -b BYTES [-s SEED]
 *
 * Writes whole lines until the file holds at least BYTES bytes (suffixes
 * K, M, G: powers of 1024). The same BYTES and SEED always give the same
 * file: the clock starts at a fixed instant (2026-11-21 06:12:01 UTC) and
 * advances 5 ms per line on average. "-o -" writes to standard output.
 */
#include "ingest/loggen.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEN_START_MS 1795241521000LL /* 2026-11-21T06:12:01Z */
#define GEN_STEP_MS 5
#define GEN_BUF (1u << 20) /* bytes handed to write(2) at a time */
#define GEN_LINE_MAX 1024  /* loggen_line() never needs more */

static char out_buf[GEN_BUF + GEN_LINE_MAX];

static void usage(FILE *f)
{
	fputs("usage: gen -o FILE -b BYTES[K|M|G] [-s SEED]\n", f);
}

/* Parse "123", "200M", "1G" into *out. Returns 0 or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] != '\0' && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Write all of buf to fd. Returns 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	uint64_t want = 0, seed = 1;
	int have_size = 0, opt;

	while ((opt = getopt(argc, argv, "o:b:s:h")) != -1) {
		switch (opt) {
		case 'o':
			path = optarg;
			break;
		case 'b':
			if (parse_size(optarg, &want) < 0) {
				fprintf(stderr, "gen: bad size '%s'\n", optarg);
				return 2;
			}
			have_size = 1;
			break;
		case 's':
			if (parse_size(optarg, &seed) < 0) {
				fprintf(stderr, "gen: bad seed '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || !have_size || optind != argc) {
		usage(stderr);
		return 2;
	}

	int fd = STDOUT_FILENO;
	if (strcmp(path, "-")) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}

	struct loggen g;
	loggen_init(&g, seed, GEN_START_MS, GEN_STEP_MS);
	uint64_t total = 0, lines = 0;
	size_t fill = 0;
	int rc = 0;
	while (total < want) {
		size_t n = loggen_line(&g, out_buf + fill, GEN_LINE_MAX);
		fill += n;
		total += n;
		lines++;
		if (fill >= GEN_BUF) {
			rc = write_all(fd, out_buf, fill);
			if (rc < 0)
				goto err;
			fill = 0;
		}
	}
	rc = write_all(fd, out_buf, fill);
	if (rc < 0)
		goto err;
	if (fd != STDOUT_FILENO && close(fd) < 0) {
		rc = -errno;
		fd = -1;
		goto err;
	}
	fprintf(stderr, "gen: wrote %" PRIu64 " bytes, %" PRIu64 " lines (seed %" PRIu64 ")\n",
		total, lines, seed);
	return 0;
err:
	fprintf(stderr, "gen: %s: %s\n", path, strerror(-rc));
	if (fd > STDOUT_FILENO)
		close(fd);
	return 1;
}
