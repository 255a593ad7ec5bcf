# weir - build, test, benchmark, install.
#   make run      install missing packages, build, start weir on its demo config
#   make test     install missing packages, build, run every test suite,
#                 replay every fuzz seed (ASan+UBSan) and fuzz each target 20 s
#   make bench    benchmarks (see tests/bench/README.md)
#   make soak     everything at once for SOAK_SECONDS (600), release then ASan+UBSan (tests/soak/README.md)
#   make lint     clang-format, floors, include circles, banned calls
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (60) each (see tests/fuzz/README.md)
#   make fuzz-short  the same for FUZZ_SHORT_SECONDS (20) each, as make test does
#   make replay   every fuzz target built by gcc without libFuzzer, run over its seeds
#   make SANITIZER=address,undefined | thread   sanitizer builds (in build/<name>/)
#   V=1           show commands

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
# The shipped rule packs (packaging/rules/*.yaml): data a config includes,
# replaced on upgrade, never edited in place (copy one to /etc to change it).
RULESDIR   ?= $(DATADIR)/weir/rules
DESTDIR    ?=

SANITIZER ?=
comma := ,
ifeq ($(SANITIZER),)
B := build/release
else
B := build/$(subst $(comma),-,$(SANITIZER))
endif

CC      ?= cc
PKGS    := liburing libhs libmicrohttpd libpcre2-8 yaml-0.1 jansson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -pthread -D_GNU_SOURCE -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -pthread

ifneq ($(SANITIZER),)
CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZER)
else
# jemalloc is the process allocator; sanitizers bring their own.
LDLIBS  += -ljemalloc
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS := $(sort $(wildcard core/*.c config/*.c pattern/*.c pipeline/*.c ingest/*.c aggregate/*.c http/*.c alert/*.c app/*.c))
LIB_SRCS := $(filter-out app/main.c,$(LIB_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
STRESS_SRCS := $(sort $(wildcard tests/unit/stress_*.c))
STRESS_BINS := $(STRESS_SRCS:tests/unit/%.c=$(B)/tests/%)
# Criterion cannot start under TSan (its arena clashes with TSan's memory
# layout): the TSan build runs the plain stress programs and the e2e suite.
ifneq ($(findstring thread,$(SANITIZER)),)
RUN_UNIT := $(STRESS_BINS)
else
RUN_UNIT := $(UNIT_BINS) $(STRESS_BINS)
endif
BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/bench/%)

PY := /usr/bin/python3

.PHONY: all deps run test unit e2e web-test check-all asan tsan bench soak soak-run fuzz fuzz-short \
	replay install uninstall deb clean lint format
all: $(B)/weir

deps:
	@scripts/deps.sh build

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/libweir.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/weir: $(B)/app/main.o $(B)/web/assets.o $(B)/libweir.a
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The dashboard (web/, served by http/static.c). npm ci runs once per
# package-lock.json (a stamp), the bundle is made once per change in web/
# (web/build.mjs, which fails above its size budget), and scripts/
# web_assets.py turns it into C once, in build/web/. Each build compiles
# that C with its own flags and links it into weir only: every other
# program that links libweir.a gets static.c's weak empty table
# (http/assets.h), so unit tests, fuzz targets and benchmarks need no npm.
WEB      := build/web
WEB_SRCS := $(sort $(shell find web/src -type f 2>/dev/null)) web/index.html web/build.mjs

$(WEB)/npm.stamp: web/package.json web/package-lock.json
	@mkdir -p $(WEB)
	@echo "  NPM ci web/"
	$(Q)cd web && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

$(WEB)/dist.stamp: $(WEB)/npm.stamp $(WEB_SRCS)
	@echo "  WEB $(WEB)/dist"
	$(Q)node web/build.mjs $(WEB)/dist
	$(Q)touch $@

$(WEB)/assets.c: $(WEB)/dist.stamp scripts/web_assets.py
	$(Q)$(PY) scripts/web_assets.py $(WEB)/dist $@

$(B)/web/assets.o: $(WEB)/assets.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/tests/stress_%: tests/unit/stress_%.c $(B)/libweir.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libweir.a $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libweir.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libweir.a $(LDLIBS) -lcriterion

$(B)/bench/%: tests/bench/%.c $(B)/libweir.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libweir.a $(LDLIBS)

# make run: the embedded default config (demo source, built-in rules, API on :8080).
run:
	@scripts/deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	$(B)/weir serve

# The whole test suite: release build, then every fuzz target for
# FUZZ_SHORT_SECONDS (once: it builds its own ASan+UBSan library), then
# ASan+UBSan (which also replays every fuzz seed), then TSan, then a
# TEST_SOAK_SECONDS soak of each of the release and ASan+UBSan builds.
TEST_SOAK_SECONDS ?= 90
test:
	@scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory check-all
	$(Q)$(MAKE) --no-print-directory fuzz-short
	$(Q)$(MAKE) --no-print-directory SANITIZER=address,undefined check-all
	$(Q)$(MAKE) --no-print-directory SANITIZER=thread check-all
	$(Q)$(MAKE) --no-print-directory SOAK_SECONDS=$(TEST_SOAK_SECONDS) soak-run
	@echo "make test: all suites passed (release, fuzz, asan+ubsan with seed replay, tsan, soak)"

asan:
	@scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory SANITIZER=address,undefined check-all
tsan:
	@scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory SANITIZER=thread check-all

# The ASan+UBSan build replays the fuzz seeds first (a second or two).
ifneq ($(findstring address,$(SANITIZER)),)
check-all: replay unit e2e
else
check-all: unit e2e
endif
# The browser tests (tests/web/) run in the release build only: the page's
# bytes are the same in every build and its code runs in Chromium, not in
# weir; the C that serves it is tested under the sanitizers by e2e
# (tests/e2e/test_dashboard_http.py).
ifeq ($(SANITIZER),)
check-all: web-test
endif

SAN_ENV := ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:halt_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

unit: $(RUN_UNIT) $(B)/weir
	@set -e; for t in $(filter-out $(STRESS_BINS),$(RUN_UNIT)); do \
		echo "== $$t"; $(SAN_ENV) $$t --jobs 1 || exit 1; \
	done; for t in $(filter $(STRESS_BINS),$(RUN_UNIT)); do \
		echo "== $$t"; $(SAN_ENV) $$t || exit 1; \
	done

e2e: $(B)/weir
	$(SAN_ENV) WEIR_BIN=$(CURDIR)/$(B)/weir WEIR_SANITIZER=$(SANITIZER) \
		$(PY) -m pytest -q tests/e2e

# make web-test: the dashboard in headless Chromium (playwright-core from
# web/node_modules, Debian's /usr/bin/chromium) against this build's weir;
# screenshots go to $(B)/web-test/.
web-test: $(B)/weir
	$(Q)mkdir -p $(B)/web-test
	WEIR_BIN=$(CURDIR)/$(B)/weir WEB_TEST_OUT=$(CURDIR)/$(B)/web-test \
		node --test --test-concurrency=1 tests/web/

bench: $(B)/weir $(BENCH_BINS)
	@scripts/deps.sh bench
	@rc=0; WEIR_BIN=$(CURDIR)/$(B)/weir BENCH_BIN=$(CURDIR)/$(B)/bench tests/bench/run.sh || rc=1; \
	if [ "$${BENCH_SYSLOG:-1}" != 0 ]; then echo; \
		WEIR_BIN=$(CURDIR)/$(B)/weir BENCH_BIN=$(CURDIR)/$(B)/bench $(PY) tests/bench/syslog.py all || rc=1; \
	fi; exit $$rc

# make soak: tests/soak/soak.py (files written, rotated every way, syslog
# floods, slow and half-open clients, HTTP and SSE load, reloads, kill -9
# and restarts, all at once) for SOAK_SECONDS against the release build,
# then against the ASan+UBSan build. Both run; either failing fails it.
# The syslog sender is always the release build's.
SOAK_SECONDS ?= 600
SOAK_RUN = $(SAN_ENV) SOAK_SECONDS=$(SOAK_SECONDS) \
	SOAK_SENDER=$(CURDIR)/build/release/bench/syslog_send $(PY) tests/soak/soak.py

soak:
	@scripts/deps.sh test
	$(Q)$(MAKE) --no-print-directory soak-run

soak-run:
	$(Q)$(MAKE) --no-print-directory SANITIZER= build/release/weir build/release/bench/syslog_send
	$(Q)$(MAKE) --no-print-directory SANITIZER=address,undefined build/address-undefined/weir
	@rc=0; \
	echo "== soak: release, $(SOAK_SECONDS) s"; \
	WEIR_BIN=$(CURDIR)/build/release/weir WEIR_SANITIZER= $(SOAK_RUN) || rc=1; \
	echo "== soak: address,undefined, $(SOAK_SECONDS) s"; \
	WEIR_BIN=$(CURDIR)/build/address-undefined/weir WEIR_SANITIZER=address,undefined \
		$(SOAK_RUN) || rc=1; \
	exit $$rc

# make fuzz: every tests/fuzz/fuzz_X.c, linked by clang with libFuzzer and
# ASan+UBSan against a clang build of the library (build/fuzz/), runs for
# FUZZ_SECONDS (extra libFuzzer flags in FUZZ_ARGS). Its corpus
# build/fuzz/corpus/X/ is kept between runs and is seeded from
# tests/fuzz/seeds/X/ (if present) and from the inputs of the JSONL case
# file FUZZ_JSONL_X (if set). A crash, leak or UBSan report fails
# the target; the input is saved in build/fuzz/artifacts/X/. Library objects
# build with -w: gcc's -Werror build checks them, and clang warns differently.
# An input that runs FUZZ_TIMEOUT seconds is a hang and fails the target
# (libFuzzer's default is 20 minutes).
FUZZ_SECONDS  ?= 60
FUZZ_TIMEOUT  ?= 30
FUZZ_ARGS     ?=
WEIR_TESTDATA ?= ../shared/testdata
FUZZ_CC    := clang
FZ         := build/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_FLAGS := -std=gnu11 -pthread -D_GNU_SOURCE -I. $(PKG_CFLAGS) -g -O1 $(FUZZ_SAN) -MMD -MP
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES ?= $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS  := $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
FUZZ_OBJS  := $(LIB_SRCS:%.c=$(FZ)/obj/%.o)
FUZZ_JSONL_syslog := $(WEIR_TESTDATA)/syslog/syslog_parse_cases.jsonl
FUZZ_JSONL_octet  := $(WEIR_TESTDATA)/syslog/rfc6587_framing_cases.jsonl

# One corpus file per case: its bytes (input_b64/stream_b64, else input/stream_text).
define FUZZ_SEED_PY
import base64, json, os, re, sys
src, out = sys.argv[1], sys.argv[2]
if not os.path.exists(src):
    sys.exit("make fuzz: seed cases %s not found (set WEIR_TESTDATA)" % src)
os.makedirs(out, exist_ok=True)
n = 0
for line in open(src, encoding="utf-8"):
    c = json.loads(line)
    b64 = c.get("input_b64") or c.get("stream_b64")
    text = c.get("input", c.get("stream_text"))
    data = base64.b64decode(b64) if b64 else (text or "").encode()
    name = "seed-" + re.sub(r"[^A-Za-z0-9._-]", "_", str(c.get("id", n)))
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    n += 1
print("  seeded %d inputs from %s" % (n, src))
endef
export FUZZ_SEED_PY

$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [fuzz] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -w -fsanitize=fuzzer-no-link -c $< -o $@

$(FZ)/libweir.a: $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FZ)/libweir.a
	@$(if $(Q),echo "  LD [fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -fsanitize=fuzzer -o $@ $< $(FZ)/libweir.a $(PKG_LIBS) -lm -pthread

define fuzz_run
	@mkdir -p $(FZ)/corpus/$(1) $(FZ)/artifacts/$(1)
	$(if $(FUZZ_JSONL_$(1)),$(Q)$(PY) -c "$$FUZZ_SEED_PY" $(FUZZ_JSONL_$(1)) $(FZ)/corpus/$(1))
	@echo "== fuzz_$(1): $(FUZZ_SECONDS) s (log: $(FZ)/fuzz_$(1).log)"
	$(Q)if LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp $(FZ)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 $(FUZZ_ARGS) \
		-artifact_prefix=$(FZ)/artifacts/$(1)/ $(FZ)/corpus/$(1) \
		$(wildcard tests/fuzz/seeds/$(1)) >$(FZ)/fuzz_$(1).log 2>&1; then \
		grep -E '(INITED|DONE) ' $(FZ)/fuzz_$(1).log | sed 's/^/  /'; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
			$(FZ)/fuzz_$(1).log | sed 's/^/  /'; \
	else \
		tail -n 60 $(FZ)/fuzz_$(1).log; \
		echo "make fuzz: fuzz_$(1) failed; input saved in $(FZ)/artifacts/$(1)/"; exit 1; \
	fi

endef

fuzz:
	@scripts/deps.sh fuzz
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
	$(foreach n,$(FUZZ_NAMES),$(call fuzz_run,$(n)))
	@echo "make fuzz: $(words $(FUZZ_NAMES)) fuzzer(s), up to $(FUZZ_SECONDS) s each, no crash"

# make fuzz-short: make fuzz for at most FUZZ_SHORT_RUNS inputs or
# FUZZ_SHORT_SECONDS each (make test's run), from a fixed random seed: on a
# fresh clone it tries the same inputs in the same order on every machine
# (a slower one stops earlier in the same sequence, a faster one at the
# same input), so make test fails on what the code does, not on what a
# search happened to reach that day. make fuzz draws a new seed each run:
# it is the search.
FUZZ_SHORT_SECONDS ?= 20
FUZZ_SHORT_RUNS    ?= 60000
FUZZ_SHORT_SEED    ?= 1
fuzz-short:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) \
		FUZZ_ARGS="-seed=$(FUZZ_SHORT_SEED) -runs=$(FUZZ_SHORT_RUNS) $(FUZZ_ARGS)"

# make replay: each fuzz target built by $(CC) with -DWEIR_FUZZ_REPLAY (a
# main() from tests/fuzz/replay.h, no libFuzzer) against this build's
# library, run over every seed: tests/fuzz/seeds/X/ and the inputs of
# FUZZ_JSONL_X. A target without seeds fails. make test runs it in the
# ASan+UBSan build; the log of each is $(B)/fuzz-replay/fuzz_X.log.
RP          := $(B)/fuzz-replay
REPLAY_BINS := $(FUZZ_NAMES:%=$(RP)/fuzz_%)

$(RP)/fuzz_%: tests/fuzz/fuzz_%.c $(B)/libweir.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [replay] $<")
	$(Q)$(CC) $(CFLAGS) -DWEIR_FUZZ_REPLAY $(LDFLAGS) -o $@ $< $(B)/libweir.a $(LDLIBS)

define replay_run
	$(if $(FUZZ_JSONL_$(1)),$(Q)rm -rf $(RP)/seeds/$(1) && \
		$(PY) -c "$$FUZZ_SEED_PY" $(FUZZ_JSONL_$(1)) $(RP)/seeds/$(1) >/dev/null)
	$(Q)n=$$(find tests/fuzz/seeds/$(1) $(RP)/seeds/$(1) -type f 2>/dev/null | wc -l); \
	if [ "$$n" = 0 ]; then \
		echo "make replay: fuzz_$(1) has no seeds (add some in tests/fuzz/seeds/$(1)/)"; exit 1; \
	fi; \
	if find tests/fuzz/seeds/$(1) $(RP)/seeds/$(1) -type f 2>/dev/null | sort | \
		$(SAN_ENV) xargs $(RP)/fuzz_$(1) >$(RP)/fuzz_$(1).log 2>&1; then \
		echo "== replay fuzz_$(1): $$n inputs, no crash"; \
	else \
		tail -n 40 $(RP)/fuzz_$(1).log; \
		echo "make replay: fuzz_$(1) failed (log: $(RP)/fuzz_$(1).log)"; exit 1; \
	fi

endef

replay: $(REPLAY_BINS)
	$(foreach n,$(FUZZ_NAMES),$(call replay_run,$(n)))

RULE_PACKS := $(sort $(wildcard packaging/rules/*.yaml))

install: $(B)/weir
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(RULESDIR)
	install -m 0755 $(B)/weir $(DESTDIR)$(BINDIR)/weir
	install -m 0644 $(RULE_PACKS) $(DESTDIR)$(RULESDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/weir $(addprefix $(DESTDIR)$(RULESDIR)/,$(notdir $(RULE_PACKS)))
	rmdir $(DESTDIR)$(RULESDIR) $(DESTDIR)$(DATADIR)/weir 2>/dev/null || true

# make lint: clang-format, then the house rules about structure
# (scripts/layers.py): no include from a higher floor, no include circle
# between modules, no banned call (strcpy, sprintf, strcat, atoi, gets...).
lint:
	@clang-format --dry-run --Werror $$(git ls-files -co --exclude-standard '*.c' '*.h') && echo "lint: clang-format clean"
	@$(PY) scripts/layers.py lint


format:
	clang-format -i $$(git ls-files -co --exclude-standard '*.c' '*.h')

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(B)/app/main.d $(B)/web/assets.d $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d) $(REPLAY_BINS:=.d)
