# modhost — GNU make build. Needs only a C++17 compiler (and GoogleTest / Google Benchmark for
# `make test` / `make bench`). The source lists live in the plain-text sources.txt files named below, which
# meson.build reads too, so the two builds cannot drift apart.
#
#   make                 build/libmodhost.a and build/modhost
#   make -j2 test        build and run every GoogleTest suite and the examples, in parallel
#   make examples        build the API examples (examples/api/)
#   make bench           build and run the Google Benchmark suite
#   make run             run the modhost Procfile runner on examples/Procfile
#   make install         headers, library, tool and modhost.pc under $(DESTDIR)$(PREFIX)
#   make print-vendor-sources   the one compile command a vendoring user needs
#   make clean
#
# Knobs: PLATFORM=posix|win32, BUILD=dir, CXX=..., AR=..., OPT=..., SANITIZE=address,undefined|thread,
#        EXTRA_CXXFLAGS=..., WERROR= (empty to allow warnings), GTEST_FILTER=...,
#        CROSS=aarch64-linux-gnu- (a toolchain prefix: CXX=$(CROSS)g++, AR=$(CROSS)ar),
#        MINSIZE=1 (-Os, function/data sections, --gc-sections: the smallest static builds),
#        PREFIX=/usr/local, DESTDIR=, LIBDIR=, INCLUDEDIR=, BINDIR= (make install),
#        VENDOR_DIR=third_party/modhost (the folder print-vendor-sources names).
# A cross build (the compiler's target machine is not this one) builds GoogleTest from source
# with the cross compiler and never asks the host's pkg-config; scripts/qemu-test.sh runs its
# tests under qemu-user.

PLATFORM ?= posix
PLATFORMS := posix win32
# A mistyped name would otherwise read no platform source list and fail late, at the link.
ifneq ($(words $(filter $(PLATFORMS),$(PLATFORM))) $(words $(PLATFORM)),1 1)
  $(error PLATFORM=$(PLATFORM) is not a platform: use one of $(PLATFORMS))
endif
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

# Every source list named in this file exists; a missing one is an error, not an empty build.
read_list = $(if $(wildcard $(1)),$(strip $(shell cat $(1))),$(error source list $(1) is missing))

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
# Windows only: the program that sends CTRL_BREAK to a child on a console of its own (see
# docs/win32.md), installed next to the program that links the library; and a GUI-subsystem test
# child for the WM_CLOSE tests.
CTRL_BREAK_HELPER := $(if $(filter win32,$(PLATFORM)),$(BUILD)/modhost-ctrl-break.exe)
TEST_GUI_CHILD    := $(if $(filter win32,$(PLATFORM)),$(BUILD)/modhost_test_gui_child.exe)

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
             -DMODHOST_TEST_GUI_CHILD='"$(abspath $(BUILD)/modhost_test_gui_child.exe)"' \
             -DMODHOST_LINE_WRITER='"$(abspath $(LINE_WRITER))"' \
             -DMODHOST_TOOL='"$(abspath $(TOOL))"' \
             -DMODHOST_SOURCE_DIR='"$(abspath .)"'

.PHONY: all lib tool test tests examples bench run clean fuzz install print-vendor-sources
all: lib tool
lib: $(LIB) $(CTRL_BREAK_HELPER)
tool: $(TOOL) $(CTRL_BREAK_HELPER)

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

# The line writer stands for any program in W7, where twenty of it start: linked with the C++
# runtime statically (it uses nothing of it but what it compiles in), each start loads libc only,
# like the floor's seq and sed, instead of also relocating libstdc++ (a third of its start).
$(LINE_WRITER): $(BUILD)/hobj/test/bench/line_writer.o
	$(CXX) $^ -o $@ $(HELPER_LDFLAGS) -static-libstdc++ -static-libgcc

# The helper is part of the library's Windows build: it uses kernel32 only, and is built like the
# library (it is shipped), without the test helpers' sanitizer choices.
$(BUILD)/modhost-ctrl-break.exe: platform/win32/helper/ctrl_break.cpp platform/win32/ctrl_break_protocol.hpp
	@mkdir -p $(@D)
	$(CXX) -std=c++17 $(OPT) $(WARNINGS) $(EXTRA_CXXFLAGS) $< -o $@ $(STATIC) $(EXTRA_LDFLAGS)

# -mwindows: the GUI subsystem, which is what makes a child get WM_CLOSE rather than CTRL_BREAK.
$(BUILD)/modhost_test_gui_child.exe: $(BUILD)/hobj/test/helper/gui_child.o
	$(CXX) $^ -o $@ -mwindows $(HELPER_LDFLAGS)

# Two objects, two rules: -j compiles them at the same time as the library.
$(BUILD)/gtest/%.o: $(GTEST_DIR)/src/%.cc
	@mkdir -p $(@D)
	$(CXX) -std=c++17 $(OPT) -pthread $(SAN_FLAGS) $(TIME64_FLAGS) -isystem $(GTEST_DIR)/include -I$(GTEST_DIR) \
	  -c $< -o $@

$(BUILD)/gtest/libgtest_main.a: $(BUILD)/gtest/gtest-all.o $(BUILD)/gtest/gtest_main.o
	$(AR) rcs $@ $^

# One test executable per suite (test/<suite>/sources.txt).
define suite_rules
$(1)_SRCS := $$(call read_list,test/$(1)/sources.txt)
$(1)_BIN  := $(BUILD)/test_$(1)$(EXE)
$$($(1)_BIN): $$($(1)_SRCS:%.cpp=$(BUILD)/tobj/%.o) $(if $(filter cli,$(1)),$(CLI_OBJS)) $(LIB) $$(GTEST_DEPS)
	$$(CXX) $$(filter-out $$(GTEST_DEPS),$$^) -o $$@ $$(GTEST_LIBS) $$(MH_LDFLAGS) $$(OS_LIBS)
TEST_BINS += $$($(1)_BIN)
endef
$(foreach s,$(TEST_SUITES),$(eval $(call suite_rules,$(s))))

# What the suites run as children: the helper programs, the line writer and the tool.
TEST_HELPERS := $(TEST_CHILD) $(CTRL_BREAK_HELPER) $(TEST_GUI_CHILD) $(LINE_WRITER) $(TOOL)
tests: $(TEST_BINS) $(TEST_HELPERS)

# ---- API examples (examples/api/sources.txt): one program per file, built against the public
# headers and the library only, as a user's program is. They run POSIX shell commands and
# signals, so they are built for the POSIX platform.
EXAMPLE_SRCS := $(if $(filter posix,$(PLATFORM)),$(call read_list,examples/api/sources.txt))
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/api/%.cpp=$(BUILD)/examples/%$(EXE))
examples: $(EXAMPLE_BINS)

$(BUILD)/examples/%$(EXE): examples/api/%.cpp $(LIB)
	@mkdir -p $(@D)
	$(CXX) -Iinclude $(MH_CXXFLAGS) -MMD -MP $< -o $@ $(LIB) $(MH_LDFLAGS) $(OS_LIBS)

# ---- make test: every suite is a run of its own, so `make -jN test` builds and runs N things at
# a time. scripts/run-suite.sh keeps each run's output in $(BUILD)/test-logs/<run>.log and prints
# it whole only when the run failed; a run that passed prints its GoogleTest summary ("[  PASSED
# ] N tests.", which .ci/run adds up). Every run goes on when another fails; `test` then fails.
#
# The backend and tool suites run a second time with both POSIX fallbacks forced through the
# environment (the fork/execve spawn path and the SIGCHLD exit mechanism), so every one of their
# tests covers both; the process suite runs each combination itself (test/process/
# process_test_util.hpp). Windows has no fallbacks.
FALLBACK_ENV   := MODHOST_FORCE_FORK=1 MODHOST_FORCE_SIGCHLD=1
FALLBACK_SUITES := $(if $(filter posix,$(PLATFORM)),backend cli)
GTEST_ARGS     := $(if $(GTEST_FILTER),--gtest_filter='$(GTEST_FILTER)')
TEST_LOGS      := $(BUILD)/test-logs
TEST_RUNS      := $(TEST_SUITES) $(FALLBACK_SUITES:%=%-fallbacks) $(if $(EXAMPLE_BINS),examples)
RUN_SUITE      := sh scripts/run-suite.sh $(TEST_LOGS)

# test-run-NAME runs suite SUITE's executable, after ENV (empty, or `env` and the fallbacks).
define test_run
.PHONY: test-run-$(1)
test-run-$(1): $(BUILD)/test_$(2)$(EXE) $$(TEST_HELPERS)
	@$$(RUN_SUITE) $(1) $(3) $$(RUNNER) $(BUILD)/test_$(2)$(EXE) $$(GTEST_ARGS)
endef
$(foreach s,$(TEST_SUITES),$(eval $(call test_run,$(s),$(s),)))
$(foreach s,$(FALLBACK_SUITES),$(eval $(call test_run,$(s)-fallbacks,$(s),env $(FALLBACK_ENV))))

.PHONY: test-run-examples
test-run-examples: $(EXAMPLE_BINS)
	@$(RUN_SUITE) examples sh scripts/check-examples.sh examples/api $(EXAMPLE_BINS)

test: $(TEST_RUNS:%=test-run-%)
	@failed=; for r in $(TEST_RUNS); do \
	  [ "$$(cat $(TEST_LOGS)/$$r.status)" = passed ] || failed="$$failed $$r"; \
	done; \
	if [ -n "$$failed" ]; then echo "== make test: FAILED:$$failed"; exit 1; fi; \
	echo "== make test: all $(words $(TEST_RUNS)) runs passed ($(TEST_RUNS))"

BENCH_BIN := $(BUILD)/bench_modhost$(EXE)
$(BENCH_BIN): $(BENCH_SRCS:%.cpp=$(BUILD)/tobj/%.o) $(LIB)
	$(CXX) $^ -o $@ $(BENCH_LIBS) $(MH_LDFLAGS) $(OS_LIBS)

BENCH_ARGS ?= --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
bench: $(BENCH_BIN) $(TEST_CHILD) $(LINE_WRITER) $(if $(wildcard src/cli/main.cpp),$(TOOL))
	$(RUNNER) $(BENCH_BIN) $(BENCH_ARGS)

run: tool
	$(TOOL) start -f examples/Procfile

# libFuzzer target for LineSplitter + detect_log_level (clang only). New inputs go to the build's
# corpus; test/fuzz/seeds (one line of each shape the fast paths take) and the dictionary of level
# words start it where those paths are.
FUZZ_BIN := $(BUILD)/fuzz_lines
FUZZ_SECONDS ?= 60
$(FUZZ_BIN): test/fuzz/fuzz_lines.cpp $(call read_list,test/fuzz/sources.txt)
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined $(MH_CPPFLAGS) $^ -o $@
fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=test/fuzz/levels.dict \
	    $(BUILD)/fuzz-corpus test/fuzz/seeds

# ---- make install: the public headers, the static library, the tool, and a pkg-config file that
# gives a consumer everything it needs to link (`pkg-config --cflags --libs modhost`).
VERSION    := $(shell sed -n "s/^ *version: '\([^']*\)',/\1/p" meson.build)
PREFIX     ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR     ?= $(PREFIX)/lib
BINDIR     ?= $(PREFIX)/bin
# The library is static, so its own dependencies go into Libs, not Libs.private.
PC_LIBS    := -pthread $(filter-out -lkernel32,$(OS_LIBS))

install: lib tool
	install -d $(DESTDIR)$(INCLUDEDIR)/modhost/detail $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR)
	install -m 644 include/modhost/*.hpp $(DESTDIR)$(INCLUDEDIR)/modhost/
	install -m 644 include/modhost/detail/*.hpp $(DESTDIR)$(INCLUDEDIR)/modhost/detail/
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(TOOL) $(CTRL_BREAK_HELPER) $(DESTDIR)$(BINDIR)/
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' 'libdir=$(LIBDIR)' '' \
	  'Name: modhost' 'Description: Runs out-of-process modules as supervised child processes' \
	  'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lmodhost $(strip $(PC_LIBS))' \
	  > $(DESTDIR)$(LIBDIR)/pkgconfig/modhost.pc

# ---- Vendoring: the one command that compiles the library from a copy of this tree in
# VENDOR_DIR, generated from the same source lists as this build (add your own files and -o).
VENDOR_DIR ?= third_party/modhost
print-vendor-sources:
	@echo $(CXX) -std=c++17 $(TIME64_FLAGS) -I$(VENDOR_DIR)/include -I$(VENDOR_DIR)/src \
	  $(LIB_SRCS:%=$(VENDOR_DIR)/%) -pthread $(filter-out -lkernel32,$(OS_LIBS))

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
