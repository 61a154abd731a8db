# modhost — GNU make build. Needs only a C++17 compiler (and GoogleTest / Google Benchmark for
# `make test` / `make bench`). The source lists live in the plain-text sources.txt files named below, which
# meson.build reads too, so the two builds cannot drift apart.
#
#   make                 build/libmodhost.a and build/modhost
#   make test            build and run every GoogleTest suite
#   make bench           build and run the Google Benchmark suite
#   make run             run the modhost Procfile runner on examples/Procfile
#   make clean
#
# Knobs: PLATFORM=posix|win32, BUILD=dir, CXX=..., AR=..., OPT=..., SANITIZE=address,undefined|thread,
#        EXTRA_CXXFLAGS=..., WERROR= (empty to allow warnings), GTEST_FILTER=...,
#        CROSS=aarch64-linux-gnu- (a toolchain prefix: CXX=$(CROSS)g++, AR=$(CROSS)ar),
#        MINSIZE=1 (-Os, function/data sections, --gc-sections: the smallest static builds).
# A cross build (the compiler's target machine is not this one) builds GoogleTest from source
# with the cross compiler and never asks the host's pkg-config; scripts/qemu-test.sh runs its
# tests under qemu-user.

PLATFORM ?= posix
BUILD    ?= build
OPT      ?= -O2 -g
SANITIZE ?=
WERROR   ?= -Werror
EXTRA_CXXFLAGS ?=
EXTRA_LDFLAGS  ?=

CROSS ?=
ifneq ($(CROSS),)
  CXX := $(CROSS)g++
  AR  := $(CROSS)ar
endif
MINSIZE ?=
ifneq ($(MINSIZE),)
  OPT := -Os
  EXTRA_CXXFLAGS += -ffunction-sections -fdata-sections
  EXTRA_LDFLAGS  += -Wl,--gc-sections
endif

ifeq ($(PLATFORM),win32)
  CXX      := x86_64-w64-mingw32-g++-posix
  AR       := x86_64-w64-mingw32-gcc-ar-posix
  EXE      := .exe
  OS_LIBS  := -lbcrypt -lkernel32
  STATIC   := -static
  RUNNER   ?= wine
else
  EXE      :=
  OS_LIBS  :=
  STATIC   :=
  RUNNER   ?=
endif

read_list = $(strip $(shell cat $(1) 2>/dev/null))

# The compiler's target machine against this machine: they differ in a cross build.
TARGET_MACHINE := $(shell $(CXX) -dumpmachine 2>/dev/null)
CROSS_BUILD    := $(if $(filter $(shell uname -m)-%,$(TARGET_MACHINE)),,yes)
# 32-bit glibc targets get a 64-bit time_t (and off_t, which it requires), so that timestamps
# survive 2038; on 64-bit targets both macros change nothing.
TIME64_FLAGS   := $(if $(filter posix,$(PLATFORM)),-D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64)

LIB_SRCS   := $(call read_list,src/sources.txt) $(call read_list,platform/$(PLATFORM)/sources.txt)
CLI_SRCS   := $(call read_list,src/cli/sources.txt) $(call read_list,platform/$(PLATFORM)/cli/sources.txt)
TEST_SUITES := core process backend cli
BENCH_SRCS := $(call read_list,test/bench/sources.txt)

SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
WARNINGS  := -Wall -Wextra -Wpedantic $(WERROR)
MH_CPPFLAGS := -Iinclude -Isrc
MH_CXXFLAGS := -std=c++17 $(OPT) $(WARNINGS) -pthread $(SAN_FLAGS) $(TIME64_FLAGS) $(EXTRA_CXXFLAGS)
# Hidden visibility matches the Meson build: only what the headers export is the library's API.
LIB_CXXFLAGS := $(MH_CXXFLAGS) -fvisibility=hidden
MH_LDFLAGS  := -pthread $(SAN_FLAGS) $(STATIC) $(EXTRA_LDFLAGS)

LIB      := $(BUILD)/libmodhost.a
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.cpp=$(BUILD)/obj/%.o)
TOOL     := $(BUILD)/modhost$(EXE)
TEST_CHILD  := $(BUILD)/modhost_test_child$(EXE)
LINE_WRITER := $(BUILD)/line_writer$(EXE)

# ---- GoogleTest: pkg-config first; built from Debian's sources when that fails, when cross
# compiling, or under TSan (an uninstrumented gtest gives TSan false reports).
GTEST_DIR ?= /usr/src/googletest/googletest
ifeq ($(PLATFORM)$(findstring thread,$(SANITIZE))$(CROSS_BUILD),posix)
  GTEST_PKG := $(shell pkg-config --exists gtest_main 2>/dev/null && echo yes)
endif
ifeq ($(GTEST_PKG),yes)
  GTEST_CFLAGS := $(shell pkg-config --cflags gtest_main)
  GTEST_LIBS   := $(shell pkg-config --libs gtest_main)
  GTEST_DEPS   :=
else
  GTEST_CFLAGS := -isystem $(GTEST_DIR)/include
  GTEST_LIBS   := $(BUILD)/gtest/libgtest_main.a
  GTEST_DEPS   := $(GTEST_LIBS)
endif
BENCH_LIBS ?= $(shell pkg-config --libs benchmark 2>/dev/null || echo -lbenchmark) -lpthread

TEST_DEFS := -DMODHOST_TEST_CHILD='"$(abspath $(TEST_CHILD))"' \
             -DMODHOST_LINE_WRITER='"$(abspath $(LINE_WRITER))"' \
             -DMODHOST_TOOL='"$(abspath $(TOOL))"' \
             -DMODHOST_SOURCE_DIR='"$(abspath .)"'

.PHONY: all lib tool test tests bench run clean fuzz
all: lib $(if $(wildcard src/cli/main.cpp),tool)
lib: $(LIB)
tool: $(TOOL)

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(MH_CPPFLAGS) $(LIB_CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tobj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(MH_CPPFLAGS) $(GTEST_CFLAGS) $(TEST_DEFS) $(MH_CXXFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(TOOL): $(BUILD)/obj/src/cli/main.o $(CLI_OBJS) $(LIB)
	$(CXX) $^ -o $@ $(MH_LDFLAGS) $(OS_LIBS)

# The helper programs the tests run as children use no modhost code, so a sanitizer has nothing to
# check in them, and ThreadSanitizer's runtime gets in the way: it defers an asynchronous signal to
# its next interceptor, and in these single-threaded children a SIGTERM sometimes never reached its
# handler (Stop.GracefulStop: 9 of 120 runs with the child built with TSan, 0 of 120 without).
# They are built with the same flags minus TSan; ASan and UBSan stay.
HELPER_SAN     := $(if $(findstring thread,$(SANITIZE)),,$(SAN_FLAGS))
HELPER_FLAGS   := -std=c++17 $(OPT) $(WARNINGS) -pthread $(HELPER_SAN) $(EXTRA_CXXFLAGS)
HELPER_LDFLAGS := -pthread $(HELPER_SAN) $(STATIC) $(EXTRA_LDFLAGS)

$(BUILD)/hobj/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(MH_CPPFLAGS) $(TEST_DEFS) $(HELPER_FLAGS) -MMD -MP -c $< -o $@

$(TEST_CHILD): $(BUILD)/hobj/test/helper/child.o
	$(CXX) $^ -o $@ $(HELPER_LDFLAGS) $(OS_LIBS)

$(LINE_WRITER): $(BUILD)/hobj/test/bench/line_writer.o
	$(CXX) $^ -o $@ $(HELPER_LDFLAGS)

$(BUILD)/gtest/libgtest_main.a:
	@mkdir -p $(@D)
	$(CXX) -std=c++17 $(OPT) -pthread $(SAN_FLAGS) $(TIME64_FLAGS) -isystem $(GTEST_DIR)/include -I$(GTEST_DIR) \
	  -c $(GTEST_DIR)/src/gtest-all.cc -o $(BUILD)/gtest/gtest-all.o
	$(CXX) -std=c++17 $(OPT) -pthread $(SAN_FLAGS) $(TIME64_FLAGS) -isystem $(GTEST_DIR)/include -I$(GTEST_DIR) \
	  -c $(GTEST_DIR)/src/gtest_main.cc -o $(BUILD)/gtest/gtest_main.o
	$(AR) rcs $@ $(BUILD)/gtest/gtest-all.o $(BUILD)/gtest/gtest_main.o

# One test executable per suite (test/<suite>/sources.txt); suites with an empty list are skipped.
define suite_rules
$(1)_SRCS := $$(call read_list,test/$(1)/sources.txt)
$(1)_BIN  := $$(if $$($(1)_SRCS),$(BUILD)/test_$(1)$(EXE))
$$($(1)_BIN): $$($(1)_SRCS:%.cpp=$(BUILD)/tobj/%.o) $(if $(filter cli,$(1)),$(CLI_OBJS)) $(LIB) $$(GTEST_DEPS)
	$$(CXX) $$(filter-out $$(GTEST_DEPS),$$^) -o $$@ $$(GTEST_LIBS) $$(MH_LDFLAGS) $$(OS_LIBS)
TEST_BINS += $$($(1)_BIN)
endef
$(foreach s,$(TEST_SUITES),$(eval $(call suite_rules,$(s))))

tests: $(TEST_BINS) $(TEST_CHILD) $(if $(wildcard test/bench/line_writer.cpp),$(LINE_WRITER)) $(if $(wildcard src/cli/main.cpp),$(TOOL))

# The backend and tool suites run a second time with both POSIX fallbacks forced through the
# environment (the fork/execve spawn path and the SIGCHLD exit mechanism), so every one of their
# tests covers both; the process suite runs each combination itself (test/process/
# process_test_util.hpp). Windows has no fallbacks.
FALLBACK_ENV   := MODHOST_FORCE_FORK=1 MODHOST_FORCE_SIGCHLD=1
FALLBACK_BINS  := $(if $(filter posix,$(PLATFORM)),$(filter %test_backend %test_cli,$(TEST_BINS)))
GTEST_ARGS     := $(if $(GTEST_FILTER),--gtest_filter='$(GTEST_FILTER)')

# Runs every suite even when one fails, then fails if any did.
test: tests
	@rc=0; for t in $(TEST_BINS); do \
	  echo "== $$t"; \
	  $(RUNNER) $$t $(GTEST_ARGS) || rc=1; \
	done; \
	for t in $(FALLBACK_BINS); do \
	  echo "== $$t with $(FALLBACK_ENV)"; \
	  env $(FALLBACK_ENV) $(RUNNER) $$t $(GTEST_ARGS) || rc=1; \
	done; exit $$rc

BENCH_BIN := $(BUILD)/bench_modhost$(EXE)
$(BENCH_BIN): $(BENCH_SRCS:%.cpp=$(BUILD)/tobj/%.o) $(LIB)
	$(CXX) $^ -o $@ $(BENCH_LIBS) $(MH_LDFLAGS) $(OS_LIBS)

BENCH_ARGS ?= --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
bench: $(BENCH_BIN) $(TEST_CHILD) $(LINE_WRITER) $(if $(wildcard src/cli/main.cpp),$(TOOL))
	$(RUNNER) $(BENCH_BIN) $(BENCH_ARGS)

run: tool
	$(TOOL) start -f examples/Procfile

# libFuzzer target for LineSplitter + detect_log_level (clang only).
FUZZ_BIN := $(BUILD)/fuzz_lines
FUZZ_SECONDS ?= 60
$(FUZZ_BIN): test/fuzz/fuzz_lines.cpp $(call read_list,test/fuzz/sources.txt)
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined $(MH_CPPFLAGS) $^ -o $@
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(BUILD)/fuzz-corpus

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
