# qaudio build. `make` builds build/qaudio; `make test` installs missing system packages, builds
# and runs the unit tests; `make run` runs the end-to-end smoke. See README.md for all targets.
# Sources are found by wildcard: add a .c file to a module folder and it is built; add
# cli/cmd_NAME.c and `qaudio NAME` exists; add tests/unit/test_NAME.c and it runs in `make test`.

BUILD   ?= build
CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local

PKGS := hdf5-serial sndfile samplerate yaml-0.1 sentencepiece libpcre2-8 libutf8proc libcjson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wundef -Wno-unused-parameter
# No -ffast-math/-Ofast anywhere: backward passes need IEEE transcendental functions.
OPT     ?= -O2 -g
CPPFLAGS += -I. -I$(BUILD)/gen -D_GNU_SOURCE $(PKG_CFLAGS)
CFLAGS  += -std=c11 $(OPT) $(WARN) -pthread -MMD -MP
CXXFLAGS += -std=c++17 $(OPT) -Wall -Wextra -pthread -MMD -MP
LDLIBS  += $(PKG_LIBS) -ldnnl -lgomp -lstdc++ -lm -pthread
ifeq ($(CI),true)
  CFLAGS += -Werror
  CXXFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
  CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  CXXFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_DIRS := core core/ops model data optim train eval eval/datasets
LIB_C    := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
LIB_CC   := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.cc)))
CMD_C    := $(sort $(wildcard cli/cmd_*.c))
CLI_C    := cli/cli.c cli/qaudio.c $(CMD_C)
TEST_C   := $(sort $(wildcard tests/unit/test_*.c))
TSUP_C   := $(sort $(wildcard tests/support/*.c))
BENCH_C  := $(sort $(wildcard bench/bench_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(filter %.c,$(1))) $(patsubst %.cc,$(BUILD)/obj/%.o,$(filter %.cc,$(1)))
LIB_O   := $(call obj,$(LIB_C) $(LIB_CC))
CLI_O   := $(call obj,$(CLI_C))
TSUP_O  := $(call obj,$(TSUP_C))
TEST_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_C))
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_C))
LIB_A   := $(BUILD)/libqaudio.a

.PHONY: FORCE test-slow-run fuzz-run all test test-run run run-smoke deps deps-bench asan fuzz bench test-slow install clean
all: $(BUILD)/qaudio

# keep objects made by pattern rules (test and bench objects) so rebuilds are incremental
.SECONDARY:

# `make V=1` prints the full compiler command lines.
Q_CC  = $(if $(filter 1,$(V)),,@echo "  CC      $<";)
Q_CXX = $(if $(filter 1,$(V)),,@echo "  CXX     $<";)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(Q_CXX)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(BUILD)/gen/cli_commands.h: $(CMD_C) tools/gen_cli_table.sh
	@mkdir -p $(dir $@)
	sh tools/gen_cli_table.sh $(CMD_C) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/cli/qaudio.o: $(BUILD)/gen/cli_commands.h

$(LIB_A): $(LIB_O)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/qaudio: $(CLI_O) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $(CLI_O) $(LIB_A) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TSUP_O) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TSUP_O) $(LIB_A) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

# The README's two commands. Each installs what is missing first, then re-reads this Makefile
# (a sub-make) so that pkg-config sees the freshly installed packages.
test: deps
	@$(MAKE) --no-print-directory test-run
run: deps
	@$(MAKE) --no-print-directory run-smoke

# the benchmark programs are only compiled here (run by `make bench`), so an API change cannot break them unseen
test-run: $(BUILD)/qaudio $(TEST_BIN) $(BENCH_BIN)
	@QAUDIO=$(BUILD)/qaudio tests/run.sh $(TEST_BIN)

run-smoke: $(BUILD)/qaudio
	@QAUDIO=$(BUILD)/qaudio bash tools/smoke.sh

deps:
	@bash tools/deps.sh build
deps-bench:
	@bash tools/deps.sh bench

# Unit tests under AddressSanitizer and UBSan, in their own build tree.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=address,undefined OPT="-O1 -g" test-run

bench: deps-bench
	@$(MAKE) --no-print-directory $(BENCH_BIN) $(BUILD)/qaudio
	@bash bench/run.sh $(BUILD)

# libFuzzer targets tests/fuzz/fuzz_NAME.c (each defines LLVMFuzzerTestOneInput), built with clang
# against an instrumented copy of the library, each run for FUZZ_SECONDS (default 30).
FUZZ_C   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(FUZZ_C))
FUZZ_SECONDS ?= 30
build/fuzz/bin/%: tests/fuzz/%.c FORCE
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang CXX=clang++ OPT="-O1 -g -fsanitize=fuzzer-no-link" \
	    SANITIZE=address,undefined build/fuzz/libqaudio.a
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -Ibuild/fuzz/gen -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fsanitize-link-c++-runtime $< build/fuzz/libqaudio.a $(LDLIBS) -o $@
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run
fuzz-run: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  seeds=tests/fuzz/seeds/$$n; [ -d $$seeds ] || seeds=; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  if $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=4096 build/fuzz/corpus/$$n $$seeds \
	     > build/fuzz/$$n.log 2>&1; then tail -3 build/fuzz/$$n.log; \
	  else tail -40 build/fuzz/$$n.log; echo "FAIL $$n: see build/fuzz/$$n.log"; exit 1; fi; done

# Slow checks, not in `make test`: the real-size 7B forward (about 17 GB of disk, ~10 minutes)
# and longer fuzzing.
test-slow: deps
	@$(MAKE) --no-print-directory test-slow-run
test-slow-run: $(BUILD)/qaudio
	bash tools/run_7b_forward.sh
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(SLOW_FUZZ_SECONDS)
SLOW_FUZZ_SECONDS ?= 300

install: $(BUILD)/qaudio
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/qaudio $(DESTDIR)$(PREFIX)/bin/qaudio

clean:
	rm -rf build

FORCE:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
