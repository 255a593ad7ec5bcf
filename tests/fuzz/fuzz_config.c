/*
 * fuzz_config.c - libFuzzer target for the config loader (config/): YAML
 * through libyaml, every section, values and units, includes.
 *
 * Loads the input as a config from memory, and checks the loader's
 * promises: it succeeds with a config and no errors, or fails with no
 * config and errors; every error is one line "FILE:LINE:COL: message" (or
 * "FILE: message" for what has no place), with LINE and COL inside the
 * input for errors about it; a loaded config is freed cleanly (ASan finds
 * leaks and double frees). An include is read from the file system,
 * relative to the config's directory: the config is named as a file in an
 * empty temporary directory; absolute includes still reach real files,
 * which the loader must refuse or read like any other.
 *
 * Host names are not looked up: getaddrinfo below adds AI_NUMERICHOST, so
 * a name in listen: fails as unresolvable at once. A fuzzer must not wait
 * on the network: a CI run hung 20 minutes in the resolver on
 * "listen: 127.0null.0.9:8080", and its speed fell to 24 inputs a second.
 * The loader's own checks still run on every name (see config/value.c).
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined;
 * `make replay` runs the seeds through a gcc build (tests/fuzz/replay.h).
 */
#include "config/config.h"

#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libc's getaddrinfo, numeric hosts only (this definition takes the calls
 * of the loader linked into this program). */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
	struct addrinfo h = {0};

	if (!real)
		real = (int (*)(const char *, const char *, const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		abort();
	if (hints)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

static char name[64]; /* DIR/fuzz.yaml, DIR a fresh temporary directory */

/* Lines and columns an error about the input may name. */
static void check_place(const char *line, size_t size, size_t nlines)
{
	size_t n = strlen(name);
	unsigned long ln, col;
	char *end;

	if (strncmp(line, name, n) || line[n] != ':')
		return; /* about an included file */
	line += n + 1;
	if (*line < '0' || *line > '9')
		return; /* "fuzz.yaml: message" */
	ln = strtoul(line, &end, 10);
	if (*end != ':')
		abort();
	col = strtoul(end + 1, &end, 10);
	if (*end != ':' || end[1] != ' ')
		abort();
	/* 1-based; a position just past the end names where input ended */
	if (ln > nlines + 1 || col > size + 2)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *cfg = NULL;
	char *errs = NULL;
	size_t nlines = 1;
	int rc;

	if (!name[0]) {
		char dir[] = "/tmp/weir-fuzz-config-XXXXXX";

		if (!mkdtemp(dir))
			abort();
		snprintf(name, sizeof(name), "%s/fuzz.yaml", dir);
	}
	if (size > 1 << 16)
		return 0; /* configs are small; long inputs only slow the search */
	/* what YAML may take for a line break: LF, CR (alone or before LF:
	 * counted twice, an upper bound), and YAML 1.1's NEL (C2 85: each
	 * 0x85 counted, an upper bound) and LS/PS (E2 80 A8/A9) */
	for (size_t i = 0; i < size; i++)
		nlines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xe2;
	rc = cfg_load_string(name, (const char *)data, size, &cfg, &errs);
	if (rc == 0) {
		if (!cfg || errs)
			abort();
	} else {
		if (cfg || !errs || !*errs)
			abort();
		for (char *line = errs, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (!nl)
				abort(); /* every error ends its line */
			*nl = '\0';
			check_place(line, size, nlines);
		}
	}
	free(errs);
	cfg_free(cfg);
	return 0;
}

#include "tests/fuzz/replay.h"
