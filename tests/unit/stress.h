/*
 * stress.h - the check macro of the plain (non-Criterion) stress programs,
 * which `make test` also runs under the sanitizers. Each program prints
 * its passed/failed counts and exits 1 if any check failed.
 */
#ifndef WEIR_TESTS_STRESS_H
#define WEIR_TESTS_STRESS_H

#include <stdio.h>

static int failed, passed; /* each program includes this once */

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failed++;                                                                  \
		} else {                                                                           \
			passed++;                                                                  \
		}                                                                                  \
	} while (0)

#endif
