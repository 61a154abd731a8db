// LocalProcessBackend cases that need POSIX tools: /bin/sh scripts, pidfds to wait for processes
// that are not our children, /proc for zombies and memory.

#include "modhost_platform.hpp"

#if defined(MODHOST_PLATFORM_POSIX)

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "backend_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

OopModuleConfig sh(const std::string& module, const std::string& script) {
  OopModuleConfig c(module, BackendKind::LocalProcess);
  c.binary = "/bin/sh";
  c.args = {"-c", script};
  return c;
}

// Waits (event-driven, through a pidfd) until process `pid` is gone; true if it is.
bool wait_gone(long pid, int timeout_ms) {
#if defined(SYS_pidfd_open)
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0u));
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  ::close(fd);
  return r == 1;
#else
  (void)timeout_ms;
  return ::kill(static_cast<pid_t>(pid), 0) != 0;
#endif
}

// 'Z' for a zombie, 0 when the process does not exist.
char proc_state(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!std::getline(f, all)) return 0;
  auto close = all.rfind(')');
  return close == std::string::npos || close + 2 >= all.size() ? 0 : all[close + 2];
}

long vm_hwm_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The child is reaped at once (no zombie), not when it is stopped.
TEST(LocalBackendPosix, ExitedInstanceIsReapedAtOnce) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(sh("m", "exit 4"));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_EQ(proc_state(*h->pid), 0) << "still a zombie";
  EXPECT_EQ(backend.status(h->instance_id)->exit_status, ExitStatus::exited(4));
}

// No process of the instance's group survives a stop, nor a shutdown. The leaders die of
// SIGTERM, their grandchildren ignore it; in a shutdown several leaders die at once.
TEST(LocalBackendPosix, GrandchildDoesNotSurviveStopOrShutdown) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.instance_stop_grace = 300ms;
  o.shutdown_grace = 300ms;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  constexpr int kInstances = 4;
  std::vector<InstanceHandle> handles;
  for (int i = 0; i < kInstances; ++i) {
    auto h = backend.spawn_instance(child_config("m", {"grandchild"}));
    ASSERT_TRUE(h.ok());
    handles.push_back(*h);
  }
  auto is_pid = [](const Rec& r) {
    return r.stream && !r.line.empty() && std::isdigit(static_cast<unsigned char>(r.line[0]));
  };
  ASSERT_TRUE(rec.wait([&] {
    int n = 0;
    for (const auto& r : rec.recs_) n += is_pid(r);
    return n == kInstances;
  }));
  std::vector<long> grandchildren(kInstances, 0);
  for (const auto& r : rec.records()) {
    if (!is_pid(r)) continue;
    for (int i = 0; i < kInstances; ++i) {
      if (r.id == handles[static_cast<std::size_t>(i)].instance_id) grandchildren[static_cast<std::size_t>(i)] = std::stol(r.line);
    }
  }
  for (long g : grandchildren) ASSERT_GT(g, 0);
  ASSERT_TRUE(backend.stop_instance(handles[0]).ok());
  EXPECT_TRUE(wait_gone(grandchildren[0], 2000));
  backend.shutdown();
  for (int i = 1; i < kInstances; ++i) EXPECT_TRUE(wait_gone(grandchildren[static_cast<std::size_t>(i)], 2000)) << i;
}

// Every line written in the SIGTERM handler is forwarded; the child is not SIGPIPEd.
TEST(LocalBackendPosix, OutputWrittenWhileShuttingDownIsForwarded) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  const char* script =
      "trap 'i=0; while [ $i -lt 2000 ]; do echo \"bye $i\"; echo \"err $i\" >&2; i=$((i+1)); done;"
      " exit 0' TERM; echo ready; while :; do sleep 1; done";
  auto h = backend.spawn_instance(sh("m", script));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  backend.shutdown();
  auto lines = rec.lines_of(h->instance_id);
  // The shell may add "Terminated" about its killed sleep; the 4,000 lines must all be there.
  std::size_t out = 0, err = 0;
  for (const auto& l : lines) {
    out += *l.stream == StreamKind::Stdout && l.line.rfind("bye ", 0) == 0;
    err += *l.stream == StreamKind::Stderr && l.line.rfind("err ", 0) == 0;
  }
  EXPECT_EQ(out, 2000u);
  EXPECT_EQ(err, 2000u);
  auto exits = rec.exits();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].exit_status, ExitStatus::exited(0));  // not killed by SIGPIPE
}

// A 64 MiB line without a newline: bounded memory, delivered in pieces, nothing dropped.
TEST(LocalBackendPosix, HugeLineIsSplitWithBoundedMemory) {
  Recorder rec;
  std::size_t bytes = 0, pieces = 0, max_piece = 0, continuations = 0;
  LocalBackendOptions o;
  o.sink = [&](const LogRecord& r) {
    if (!r.stream) return;
    bytes += r.line.size();
    ++pieces;
    continuations += r.continuation;
    max_piece = std::max(max_piece, r.line.size());
  };
  o.on_exit = rec.options().on_exit;
  long before = vm_hwm_kib();
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(sh("m", "head -c 67108864 /dev/zero | tr '\\0' a"));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1, 60s));
  backend.shutdown();
  EXPECT_EQ(bytes, 64u << 20);
  EXPECT_EQ(max_piece, o.max_line_length);
  EXPECT_EQ(pieces, (64u << 20) / o.max_line_length);
  EXPECT_EQ(continuations, pieces - 1);
  long after = vm_hwm_kib();
  // A design that buffers the whole line grows by 64 MiB at least.
  EXPECT_LT(after - before, 32 * 1024) << "peak RSS grew by " << (after - before) << " KiB";
}

// A descendant that left the group (setsid) and keeps the pipes open. It is killed in TearDown,
// so a failed assertion does not leave it running for 1000 s.
class DescendantHoldingThePipes : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalBackendOptions o = rec.options();
    o.forwarder_drain_timeout = 100ms;
    backend = make_backend(CancellationToken(), o);
    auto spawned =
        backend->spawn_instance(sh("m", "setsid sh -c 'echo $$; exec sleep 1000' & exec sleep 1000"));
    ASSERT_TRUE(spawned.ok());
    handle = *spawned;
    ASSERT_TRUE(rec.wait([&] {
      for (const auto& r : rec.recs_) if (r.stream) return true;
      return false;
    }));
    escaped = static_cast<pid_t>(std::stol(rec.lines_of(handle.instance_id).at(0).line));
  }
  void TearDown() override {
    if (escaped > 0) ::kill(escaped, SIGKILL);
  }

  Recorder rec;
  std::unique_ptr<LocalProcessBackend> backend;
  InstanceHandle handle;
  pid_t escaped = -1;
};

// The stop waits for the pipes for the drain timeout only. A stop that waited for their EOF would
// last as long as the descendant (1000 s), so the upper bounds below (10 s) tell the two apart
// with room for a loaded machine under a sanitizer; the lower bound shows the drain timeout was
// given.
TEST_F(DescendantHoldingThePipes, StopDoesNotHang) {
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(backend->stop_instance(handle).ok());
  double took = seconds_since(t0);
  EXPECT_GE(took, 0.09);
  EXPECT_LT(took, 10.0);
  EXPECT_EQ(rec.exits().size(), 1u);
}

TEST_F(DescendantHoldingThePipes, ShutdownDoesNotHang) {
  auto t0 = std::chrono::steady_clock::now();
  backend->shutdown();
  EXPECT_LT(seconds_since(t0), 10.0);
}

// After an exit by itself, a descendant still holding the pipes keeps being forwarded; the exit
// record does not wait for it longer than the drain timeout.
TEST(LocalBackendPosix, ExitRecordDoesNotWaitForDescendant) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.forwarder_drain_timeout = 100ms;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(sh("m", "setsid sh -c 'echo $$; exec sleep 1000' & exit 5"));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1, 5s));
  EXPECT_EQ(rec.exits()[0].exit_status, ExitStatus::exited(5));
  ASSERT_TRUE(rec.wait([&] {
    for (const auto& r : rec.recs_) if (r.stream) return true;
    return false;
  }));
  ::kill(static_cast<pid_t>(std::stol(rec.lines_of(h->instance_id).at(0).line)), SIGKILL);
}

TEST(LocalBackendPosix, PartialLineTimeoutFlushesAWaitingLine) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.partial_line_timeout = 50ms;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(sh("m", "printf 'Password: '; exec sleep 1000"));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("Password: "));
  auto lines = rec.lines_of(h->instance_id);
  EXPECT_FALSE(lines.at(0).continuation);
  ASSERT_TRUE(backend.stop_instance(*h).ok());
}

TEST(LocalBackendPosix, WithoutPartialLineTimeoutPartialLineWaitsForEof) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(
      sh("m", "trap 'printf half; exit 0' TERM; echo ready; while :; do sleep 1; done"));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  ASSERT_TRUE(backend.stop_instance(*h).ok());
  std::vector<std::string> out;
  for (const auto& l : rec.lines_of(h->instance_id)) {
    if (*l.stream == StreamKind::Stdout) out.push_back(l.line);
  }
  // "half" is delivered when the stop closed the stream (stderr may say "Terminated").
  EXPECT_EQ(out, (std::vector<std::string>{"ready", "half"}));
}

}  // namespace
}  // namespace modhost::test

#endif  // MODHOST_PLATFORM_POSIX
