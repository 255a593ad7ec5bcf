/* test_state.c - the state file: CRC32C, encode/decode round trip, corruption
 * detection, atomic save and load with a corrupt file set aside, the state
 * directory lock (and the directory created again when deleted); and the
 * ingest identity map and table of retired identities. */
#include "core/crc32c.h"
#include "core/le.h"
#include "pipeline/state.h"
#include "ingest/idmap.h"
#include "ingest/retired.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(crc32c, known_vectors)
{
	/* RFC 3720 (iSCSI) check value and test patterns. */
	unsigned char zeros[32] = {0}, ones[32];

	memset(ones, 0xff, sizeof(ones));
	cr_assert_eq(crc32c(0, "123456789", 9), 0xe3069283u);
	cr_assert_eq(crc32c(0, zeros, 32), 0x8a9136aau);
	cr_assert_eq(crc32c(0, ones, 32), 0x62a8ab43u);
	/* incremental equals one pass */
	cr_assert_eq(crc32c(crc32c(0, "12345", 5), "6789", 4), 0xe3069283u);
}

static char *dupstr(const char *s)
{
	char *d = strdup(s);

	cr_assert_not_null(d);
	return d;
}

/* A state with two rules, three seconds of history and two files. */
static void sample(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->written_ms = 1795244210800;
	st->agg.blob = malloc(300);
	for (int i = 0; i < 300; i++)
		st->agg.blob[i] = (char)(i * 7);
	st->agg.blob_len = 300;
	st->nfiles = 2;
	st->files = calloc(2, sizeof(*st->files));
	st->files[0] = (struct state_file){dupstr("nginx"),
					   dupstr("/var/log/nginx/access.log"),
					   2049,
					   131077,
					   1 << 20,
					   0xdeadbeefcafef00dull,
					   1024,
					   false,
					   false};
	st->files[1] = (struct state_file){
	    dupstr("app"), dupstr("/var/log/\xff bad.log"), 7, 8, 0, 0xcbf29ce484222325ull, 0, true,
	    false};
}

Test(state, encode_decode_round_trip)
{
	struct state in, out;
	char *buf, why[160];
	size_t len;

	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(out.written_ms, in.written_ms);
	cr_assert_eq(out.agg.blob_len, 300);
	cr_assert_eq(memcmp(out.agg.blob, in.agg.blob, 300), 0);
	cr_assert_eq(out.nfiles, 2);
	cr_assert_str_eq(out.files[0].path, "/var/log/nginx/access.log");
	cr_assert_eq(out.files[0].offset, 1 << 20);
	cr_assert_eq(out.files[0].fp, 0xdeadbeefcafef00dull);
	cr_assert_eq(out.files[0].fp_len, 1024);
	cr_assert_eq(out.files[0].discarding, false);
	cr_assert_str_eq(out.files[1].path, "/var/log/\xff bad.log");
	cr_assert_eq(out.files[1].discarding, true);
	cr_assert_eq(out.files[1].ino, 8);
	free(buf);
	state_free(&in);
	state_free(&out);
}

/* Version 3 keeps, beside the tailed files, retired identities (flag bit 1). */
Test(state, retired_identities_round_trip)
{
	struct state in, out;
	char *buf, why[160];
	size_t len;

	sample(&in);
	in.files[1].retired = true;
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	cr_assert_eq(le_get32(buf + 8), 3);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(out.files[0].retired, false);
	cr_assert_eq(out.files[1].retired, true);
	cr_assert_eq(out.files[1].discarding, true, "the other flag stays");
	state_free(&out);
	free(buf);
	state_free(&in);
}

/* A version 2 file (before retired identities) is still read; it had no
 * flag bit 1. */
Test(state, version_2_file_is_read)
{
	struct state in, out;
	char *buf, why[160];
	size_t len;

	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	le_put32(buf + 8, 2);
	le_put32(buf + len - 4, crc32c(0, buf, len - 4));
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(out.nfiles, 2);
	cr_assert_eq(out.files[0].offset, 1 << 20);
	cr_assert_eq(out.files[1].discarding, true);
	cr_assert_eq(out.files[1].retired, false);
	state_free(&out);
	free(buf);
	state_free(&in);
}

Test(state, fingerprint_goes_on_where_it_stopped)
{
	const char *s = "the first bytes of a log file";
	uint64_t h = state_fingerprint(s, 9);

	cr_assert_eq(state_fingerprint_more(h, s + 9, strlen(s) - 9),
		     state_fingerprint(s, strlen(s)));
	cr_assert_eq(state_fingerprint_more(state_fingerprint(NULL, 0), s, 5),
		     state_fingerprint(s, 5));
}

static void le(unsigned char **p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

/* A version 1 file: one rule, two seconds (the second one sec1), one file. */
static size_t v1_file(unsigned char *buf, int64_t sec1)
{
	unsigned char *p = buf, *payload;

	memcpy(p, "WEIRSTAT", 8);
	p += 8;
	le(&p, 1, 4);
	le(&p, 0, 4);
	le(&p, 0, 8); /* payload length, patched */
	payload = p;
	le(&p, 1795244210800ull, 8);
	le(&p, 1, 4); /* one rule */
	le(&p, 4, 4);
	memcpy(p, "rule", 4);
	p += 4;
	le(&p, 42, 8); /* total */
	le(&p, 99, 8); /* records */
	le(&p, 3, 8);  /* expired */
	le(&p, 2, 4);  /* two seconds */
	le(&p, 1795244200ull, 8);
	le(&p, 40, 8);
	le(&p, (uint64_t)sec1, 8);
	le(&p, 2, 8);
	le(&p, 1, 4); /* one file */
	le(&p, 3, 4);
	memcpy(p, "app", 3);
	p += 3;
	le(&p, 5, 4);
	memcpy(p, "/a/b1", 5);
	p += 5;
	le(&p, 1, 8);
	le(&p, 2, 8);
	le(&p, 777, 8);
	le(&p, 0xabcull, 8);
	le(&p, 10, 4);
	le(&p, 0, 4);
	{
		unsigned char *q = buf + 16;

		le(&q, (uint64_t)(p - payload), 8);
	}
	le(&p, crc32c(0, buf, (size_t)(p - buf)), 4);
	return (size_t)(p - buf);
}

/* A version 1 file (weir before the tiered history) is still read, so an
 * upgrade keeps its offsets and counts. */
Test(state, version_1_file_is_read)
{
	unsigned char buf[512];
	struct state out;
	char why[160];
	size_t len;

	len = v1_file(buf, 1795244201);
	cr_assert_eq(state_decode((char *)buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert_null(out.agg.blob);
	cr_assert_eq(out.agg.nrules, 1);
	cr_assert_str_eq(out.agg.rule_names[0], "rule");
	cr_assert_eq(out.agg.totals[0], 42);
	cr_assert_eq(out.agg.nsecs, 2);
	cr_assert_eq(out.agg.counts[0], 40);
	cr_assert_eq(out.agg.secs[1], 1795244201);
	cr_assert_eq(out.nfiles, 1);
	cr_assert_eq(out.files[0].offset, 777);
	state_free(&out);
}

Test(state, every_flipped_bit_and_every_truncation_is_detected)
{
	struct state in, out;
	char *buf, why[160];
	size_t len, i;
	int bit;

	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (char)(1 << bit);
			cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), -EBADMSG,
				     "byte %zu bit %d", i, bit);
			buf[i] ^= (char)(1 << bit);
		}
	for (i = 0; i < len; i++)
		cr_assert_eq(state_decode(buf, i, &out, why, sizeof(why)), -EBADMSG, "len %zu", i);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0);
	state_free(&out);
	free(buf);
	state_free(&in);
}

/* Remove the files state_load set aside in dir; returns how many. */
static int remove_set_aside(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *dh = opendir(dir);
	int n = 0;

	cr_assert_not_null(dh);
	while ((de = readdir(dh))) {
		if (!strncmp(de->d_name, "weir.state.corrupt-", 19)) {
			n++;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(dh);
	return n;
}

Test(state, save_load_and_corrupt_file_set_aside)
{
	char dir[] = "/tmp/weir-test-state.XXXXXX", path[512];
	struct state in, out;
	char *buf;
	size_t len;
	FILE *fp;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(state_load(dir, &out), -ENOENT); /* nothing yet */
	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	cr_assert_eq(state_save(dir, buf, len), 0);
	cr_assert_eq(state_load(dir, &out), 0);
	cr_assert_eq(out.agg.blob_len, 300);
	state_free(&out);
	/* flip one byte in the middle of the saved file */
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	fp = fopen(path, "r+b");
	cr_assert_not_null(fp);
	fseek(fp, (long)len / 2, SEEK_SET);
	fputc(buf[len / 2] ^ 0x40, fp);
	fclose(fp);
	cr_assert_eq(state_load(dir, &out), -ENOENT, "corrupt: start fresh");
	cr_assert_eq(access(path, F_OK), -1, "the corrupt file was moved away");
	cr_assert_eq(remove_set_aside(dir), 1);
	free(buf);
	state_free(&in);
	rmdir(dir);
}

/* Offset of files[0]'s fp_len in sample()'s encoding: header, written_ms,
 * blob, nfiles, then source, path, dev, ino, offset, fp. */
static size_t sample_fp_len_at(const struct state *st)
{
	return 24 + 8 + 8 + st->agg.blob_len + 4 + 4 + strlen(st->files[0].source) + 4 +
	       strlen(st->files[0].path) + 4 * 8;
}

/* Write v at buf[at] and seal the file again: the CRC32C of everything
 * before the last 4 bytes, little-endian, in them. */
static void patch_u32(char *buf, size_t len, size_t at, uint32_t v)
{
	uint32_t crc;

	for (int i = 0; i < 4; i++)
		buf[at + i] = (char)(v >> (8 * i));
	crc = crc32c(0, buf, len - 4);
	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (char)(crc >> (8 * i));
}

/* A CRC-valid file whose entry claims a 4096-byte fingerprint (ingest
 * reads at most STATE_FP_MAX into its buffer) is corrupt: refused by the
 * decoder, set aside by state_load, never handed to ingest. */
Test(state, fingerprint_longer_than_its_buffer_is_refused)
{
	char dir[] = "/tmp/weir-test-fplen.XXXXXX", path[512], why[160];
	struct state in, out;
	char *buf;
	size_t len, at;
	FILE *fp;

	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	at = sample_fp_len_at(&in);
	cr_assert_eq((unsigned char)buf[at] | (unsigned char)buf[at + 1] << 8, 1024,
		     "the offset of fp_len");
	patch_u32(buf, len, at, STATE_FP_MAX); /* the largest that is allowed */
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(out.files[0].fp_len, STATE_FP_MAX);
	state_free(&out);
	patch_u32(buf, len, at, 4096);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), -EBADMSG);
	cr_assert_not_null(strstr(why, "fingerprint"), "%s", why);
	cr_assert_null(out.files, "nothing is handed out");

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE);
	fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(buf, 1, len, fp), len);
	fclose(fp);
	cr_assert_eq(state_load(dir, &out), -ENOENT, "refused: weir starts fresh");
	cr_assert_eq(out.nfiles, 0);
	cr_assert_eq(access(path, F_OK), -1, "the file was set aside");
	cr_assert_eq(remove_set_aside(dir), 1);
	rmdir(dir);
	free(buf);
	state_free(&in);
}

/* Every other value with a bound: at the bound it is read, one past it
 * the file is refused with a reason naming it. */
Test(state, values_beyond_their_bounds_are_refused)
{
	char why[160], *buf, *long_path = malloc(STATE_STR_MAX + 2);
	unsigned char v1[512];
	struct state in, out;
	size_t len, at;

	cr_assert_not_null(long_path);
	/* a path of STATE_STR_MAX bytes is read, one byte more is not */
	sample(&in);
	memset(long_path, 'p', STATE_STR_MAX + 1);
	long_path[STATE_STR_MAX] = '\0';
	free(in.files[0].path);
	in.files[0].path = long_path;
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(strlen(out.files[0].path), STATE_STR_MAX);
	state_free(&out);
	free(buf);
	in.files[0].path = long_path = realloc(long_path, STATE_STR_MAX + 2);
	memset(long_path, 'p', STATE_STR_MAX + 1);
	long_path[STATE_STR_MAX + 1] = '\0';
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), -EBADMSG);
	cr_assert_not_null(strstr(why, "file path 0: length 4097"), "%s", why);
	free(buf);
	state_free(&in);

	/* a NUL inside a path; flags other than bits 0 and 1 (version 3) */
	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	at = sample_fp_len_at(&in);
	buf[at - 32 - 3] = '\0'; /* in "access.log" */
	patch_u32(buf, len, at, 1024);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), -EBADMSG);
	cr_assert_not_null(strstr(why, "file path 0 holds a NUL byte"), "%s", why);
	buf[at - 32 - 3] = 'l';
	patch_u32(buf, len, at + 4, 1);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), 0, "%s", why);
	cr_assert(out.files[0].discarding);
	state_free(&out);
	patch_u32(buf, len, at + 4, 4);
	cr_assert_eq(state_decode(buf, len, &out, why, sizeof(why)), -EBADMSG);
	cr_assert_not_null(strstr(why, "file 0: unknown flags 0x4"), "%s", why);
	free(buf);
	state_free(&in);

	/* version 1: a second beyond STATE_SEC_MAX (its ms would overflow) */
	len = v1_file(v1, STATE_SEC_MAX);
	cr_assert_eq(state_decode((char *)v1, len, &out, why, sizeof(why)), 0, "%s", why);
	state_free(&out);
	len = v1_file(v1, -STATE_SEC_MAX - 1);
	cr_assert_eq(state_decode((char *)v1, len, &out, why, sizeof(why)), -EBADMSG);
	cr_assert_not_null(strstr(why, "second 1:"), "%s", why);
	len = v1_file(v1, INT64_MAX);
	cr_assert_eq(state_decode((char *)v1, len, &out, why, sizeof(why)), -EBADMSG);
}

Test(state, dir_is_created_and_locked)
{
	char dir[] = "/tmp/weir-test-lock.XXXXXX", sub[64], lock[128];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	cr_assert_eq(state_dir_open(sub), 0);
	cr_assert_eq(access(sub, W_OK), 0);
	/* flock locks belong to the open file description: a second open from
	 * this process conflicts too, as another weir would */
	cr_assert_eq(state_dir_open(sub), -EBUSY);
	snprintf(lock, sizeof(lock), "%s/lock", sub);
	unlink(lock);
	rmdir(sub);
	rmdir(dir);
}

/* state_dir deleted while weir runs: the next save creates it again, with
 * its parents, and takes its lock again. */
Test(state, deleted_dir_is_created_again_and_locked)
{
	char dir[] = "/tmp/weir-test-gone.XXXXXX", sub[128], lock[160], path[160];
	struct state in;
	char *buf;
	size_t len;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/state", dir);
	snprintf(lock, sizeof(lock), "%s/lock", sub);
	snprintf(path, sizeof(path), "%s/%s", sub, STATE_FILE);
	cr_assert_eq(state_dir_open(sub), -ENOENT, "one level only at start");
	snprintf(sub, sizeof(sub), "%s/a", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/a/state", dir);
	cr_assert_eq(state_dir_open(sub), 0);
	unlink(lock);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a/state", dir);
	sample(&in);
	cr_assert_eq(state_encode(&in, &buf, &len), 0);
	cr_assert_eq(state_save(sub, buf, len), 0);
	cr_assert_eq(access(path, R_OK), 0);
	fd = open(lock, O_RDWR);
	cr_assert_geq(fd, 0, "the lock file is back");
	cr_assert_eq(flock(fd, LOCK_EX | LOCK_NB), -1, "and locked");
	close(fd);
	unlink(path);
	unlink(lock);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	rmdir(dir);
	free(buf);
	state_free(&in);
}

Test(idmap, grow_and_keep_only)
{
	struct idmap m;
	uint32_t i, n = 1000;

	cr_assert_eq(idmap_init(&m, 16), 0);
	for (i = 0; i < n; i++) {
		if (m.count >= m.max)
			cr_assert_eq(idmap_grow(&m), 0);
		cr_assert(idmap_put(&m, (struct idkey){i, i * 3, 1}, i % 4));
	}
	cr_assert_eq(m.count, n);
	idmap_keep_only(&m, 2);
	cr_assert_eq(m.count, n / 4);
	for (i = 0; i < n; i++)
		cr_assert_eq(idmap_get(&m, (struct idkey){i, i * 3, 1}),
			     i % 4 == 2 ? 2 : UINT32_MAX, "key %u", i);
	idmap_destroy(&m);
}

Test(retired, bounded_lru_take_and_order)
{
	struct retired r;
	struct retired_ent e = {0}, out;
	uint64_t order[4];
	uint32_t i, n = 0;

	cr_assert_eq(retired_init(&r, 3), 0);
	for (i = 1; i <= 4; i++) {
		e.k = (struct idkey){1, i, 0};
		e.offset = i * 100;
		retired_put(&r, &e);
	}
	cr_assert_eq(r.n, 3, "bounded");
	cr_assert(!retired_take(&r, (struct idkey){1, 1, 0}, &out), "the oldest is forgotten");
	e.k = (struct idkey){1, 2, 0};
	e.offset = 222;
	retired_put(&r, &e); /* again: now the newest */
	for (i = retired_first(&r); i != UINT32_MAX && n < 4; i = retired_next(&r, i))
		order[n++] = r.ents[i].k.b;
	cr_assert_eq(n, 3);
	cr_assert(order[0] == 3 && order[1] == 4 && order[2] == 2, "oldest first");
	cr_assert(retired_take(&r, (struct idkey){1, 2, 0}, &out));
	cr_assert_eq(out.offset, 222);
	cr_assert(!retired_take(&r, (struct idkey){1, 2, 0}, &out), "taken out");
	cr_assert_eq(r.n, 2);
	retired_destroy(&r);
}

Test(idmap, put_get_delete_keep_every_other_key_reachable)
{
	struct idmap m;
	uint32_t i, n = 5000;

	cr_assert_eq(idmap_init(&m, n), 0);
	for (i = 0; i < n; i++)
		cr_assert(idmap_put(&m, (struct idkey){i % 7, i, i % 3}, i));
	cr_assert(!idmap_put(&m, (struct idkey){1, 999999, 0}, 1), "full");
	/* delete every third key; the rest must stay reachable (backward shift) */
	for (i = 0; i < n; i += 3)
		idmap_del(&m, (struct idkey){i % 7, i, i % 3});
	for (i = 0; i < n; i++) {
		uint32_t v = idmap_get(&m, (struct idkey){i % 7, i, i % 3});

		cr_assert_eq(v, i % 3 == 0 ? UINT32_MAX : i, "key %u", i);
	}
	cr_assert_eq(m.count, n - (n + 2) / 3);
	cr_assert(idmap_put(&m, (struct idkey){0, 0, 0}, 42));
	cr_assert_eq(idmap_get(&m, (struct idkey){0, 0, 0}), 42);
	cr_assert_eq(idmap_get(&m, (struct idkey){0, 0, 1}), UINT32_MAX, "c is part of the key");
	idmap_destroy(&m);
}
