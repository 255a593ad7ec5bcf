/*
 * replay.h - a main() that runs a fuzz target over files, for replaying a
 * crash without libFuzzer: each fuzz_X.c includes this last, and a build
 * with -DWEIR_FUZZ_REPLAY gets it (see README.md). Each input is copied to a
 * buffer of exactly its size, so ASan sees reads past its end.
 */
#ifndef WEIR_FUZZ_REPLAY_H
#define WEIR_FUZZ_REPLAY_H

#ifdef WEIR_FUZZ_REPLAY
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		static uint8_t buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		uint8_t *copy = malloc(n ? n : 1); /* exact size, for ASan */
		memcpy(copy, buf, n);
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
		printf("%s: ok\n", argv[i]);
	}
	return 0;
}
#endif

#endif
