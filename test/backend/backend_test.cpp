// LocalProcessBackend with real processes (the helper child and the W3 line writer): the module
// runtime's contract (its error texts, the working-directory warning, v7 instance ids), instance
// state and exits, stops and shutdown, lines not lost.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "backend_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

TEST(LocalBackend, SpawnRejectsNonLocalBackend) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  OopModuleConfig cfg("m", BackendKind::K8s);
  cfg.binary = child_path();
  auto r = backend.spawn_instance(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("can only spawn LocalProcess"), std::string::npos);
}

TEST(LocalBackend, SpawnRequiresExecutablePath) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto r = backend.spawn_instance(OopModuleConfig("m", BackendKind::LocalProcess));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("executable_path must be set"), std::string::npos);
}

TEST(LocalBackend, SpawnFailureNamesBinaryAndReason) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  OopModuleConfig cfg("m", BackendKind::LocalProcess);
  cfg.binary = "/no/such/modhost-binary";
  auto r = backend.spawn_instance(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("failed to spawn process: /no/such/modhost-binary: ", 0), 0u)
      << r.error().message();
}

TEST(LocalBackend, SpawnForwardsStdoutAndStderrWithContext) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("api", {"lines", "10", "16", "2"}));
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_TRUE(rec.wait_exits(1));
  auto lines = rec.lines_of(h->instance_id);
  ASSERT_EQ(lines.size(), 10u);
  int out = 0, err = 0;
  for (const auto& l : lines) {
    EXPECT_EQ(l.module, "api");
    EXPECT_EQ(l.line.size(), 16u);
    (*l.stream == StreamKind::Stdout ? out : err)++;
  }
  EXPECT_EQ(out, 5);
  EXPECT_EQ(err, 5);
  bool spawned = false;
  for (const auto& r : rec.records()) {
    if (!r.stream && r.line.find("spawned") == 0 &&
        r.line.find("pid " + std::to_string(*h->pid)) != std::string::npos) {
      spawned = r.id == h->instance_id && r.module == "api";
    }
  }
  EXPECT_TRUE(spawned);
}

TEST(LocalBackend, LevelIsDetectedFromTheText) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"lines", "3", "64"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  OopModuleConfig cfg("m", BackendKind::LocalProcess);
  cfg.binary = line_writer_path();
  cfg.args = {"10", "64"};
  auto w = backend.spawn_instance(cfg);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(rec.wait_exits(2));
  auto lines = rec.lines_of(w->instance_id);
  ASSERT_EQ(lines.size(), 10u);
  for (const auto& l : lines) EXPECT_EQ(l.level, LogLevel::Info);
}

TEST(LocalBackend, MergedStderrKeepsTheOrderAndEachLineItsLevel) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  OopModuleConfig cfg = child_config("m", {"alternate", "50"});
  cfg.merge_stderr_into_stdout = true;
  auto h = backend.spawn_instance(cfg);
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_TRUE(rec.wait_exits(1));
  auto lines = rec.lines_of(h->instance_id);
  ASSERT_EQ(lines.size(), 100u);
  for (std::size_t i = 0; i < 50; ++i) {
    const Rec& out = lines[2 * i];
    const Rec& err = lines[2 * i + 1];
    EXPECT_EQ(out.line, "out " + std::to_string(i + 1));
    EXPECT_EQ(err.line, "2026-01-01T00:00:00Z ERROR alternate: err " + std::to_string(i + 1));
    EXPECT_EQ(*out.stream, StreamKind::Stdout);
    EXPECT_EQ(*err.stream, StreamKind::Stdout);  // one pipe: the stream cannot be told apart
    EXPECT_EQ(out.level, LogLevel::Info);
    EXPECT_EQ(err.level, LogLevel::Error);
  }
}

TEST(LocalBackend, InstanceIdsAreV7AndIncreasing) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto a = backend.spawn_instance(child_config("m", {"exit", "0"}));
  auto b = backend.spawn_instance(child_config("m", {"exit", "0"}));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->instance_id.version(), 7);
  EXPECT_EQ(b->instance_id.version(), 7);
  EXPECT_TRUE(a->instance_id < b->instance_id);
  EXPECT_EQ(a->backend, BackendKind::LocalProcess);
}

TEST(LocalBackend, ListInstancesFiltersByModule) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto a1 = backend.spawn_instance(child_config("a", {"sleep", "100"}));
  auto b1 = backend.spawn_instance(child_config("b", {"sleep", "100"}));
  auto a2 = backend.spawn_instance(child_config("a", {"sleep", "100"}));
  ASSERT_TRUE(a1.ok() && b1.ok() && a2.ok());
  auto la = backend.list_instances("a");
  ASSERT_TRUE(la.ok());
  ASSERT_EQ(la->size(), 2u);
  EXPECT_EQ((*la)[0].instance_id, a1->instance_id);  // oldest first
  EXPECT_EQ((*la)[1].instance_id, a2->instance_id);
  auto lb = backend.list_instances("b");
  ASSERT_EQ(lb->size(), 1u);
  EXPECT_EQ((*lb)[0].instance_id, b1->instance_id);
  EXPECT_TRUE(backend.list_instances("c")->empty());
}

TEST(LocalBackend, StopUnknownInstanceIsOk) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  InstanceHandle h;
  h.module = "ghost";
  h.instance_id = Uuid::new_v7();
  EXPECT_TRUE(backend.stop_instance(h).ok());
  bool debug = false;
  for (const auto& r : rec.records()) {
    if (r.level == LogLevel::Debug && r.id == h.instance_id && r.line.find("unknown") != std::string::npos) debug = true;
  }
  EXPECT_TRUE(debug);
}

#ifndef _WIN32  // needs a graceful stop; CTRL_BREAK is absent without a shared console and in Wine.
TEST(LocalBackend, StopInstanceStopsAndForgetsIt) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"term-line"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  ASSERT_TRUE(backend.stop_instance(*h).ok());
  EXPECT_FALSE(backend.status(h->instance_id).has_value());
  EXPECT_TRUE(backend.list_instances("m")->empty());
  auto exits = rec.exits();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].state, InstanceState::Exited);
  EXPECT_FALSE(exits[0].exited_by_itself);
  ASSERT_TRUE(exits[0].stop_result.has_value());
  EXPECT_FALSE(exits[0].stop_result->killed);
  EXPECT_EQ(exits[0].exit_status, ExitStatus::exited(0));
  // Written in the child's SIGTERM handler, forwarded before stop_instance returned.
  EXPECT_TRUE(rec.wait([&] { return rec.has_line_locked("got SIGTERM"); }, 0ms));
  // A second stop of the forgotten instance is the unknown-instance case.
  EXPECT_TRUE(backend.stop_instance(*h).ok());
}
#endif

#ifndef _WIN32  // Windows skips the grace when CTRL_BREAK cannot be sent.
TEST(LocalBackend, StopInstanceKillsAfterItsGrace) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.instance_stop_grace = 300ms;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"ignore-term"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(backend.stop_instance(*h).ok());
  EXPECT_GE(seconds_since(t0), 0.29);
  auto exits = rec.exits();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0].stop_result->killed);
}
#endif

TEST(LocalBackend, MissingWorkingDirectoryWarnsAndUsesCurrent) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto cfg = child_config("m", {"cwd"});
  cfg.working_directory = "/no/such/dir/for/modhost";
  auto h = backend.spawn_instance(cfg);
  ASSERT_TRUE(h.ok()) << h.error().message();
  ASSERT_TRUE(rec.wait_exits(1));
  auto lines = rec.lines_of(h->instance_id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(std::filesystem::path(lines[0].line), std::filesystem::current_path());
  bool warned = false;
  for (const auto& r : rec.records()) {
    if (!r.stream && r.level == LogLevel::Warn && r.line.find("/no/such/dir/for/modhost") != std::string::npos) warned = true;
  }
  EXPECT_TRUE(warned);
}

TEST(LocalBackend, NonDirectoryWorkingDirectoryWarns) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto file = std::filesystem::temp_directory_path() / "modhost-backend-not-a-dir";
  std::ofstream(file.string()) << "x";
  auto cfg = child_config("m", {"cwd"});
  cfg.working_directory = file.string();
  auto h = backend.spawn_instance(cfg);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_EQ(std::filesystem::path(rec.lines_of(h->instance_id).at(0).line), std::filesystem::current_path());
  std::filesystem::remove(file);
}

TEST(LocalBackend, WorkingDirectoryIsUsed) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto dir = std::filesystem::canonical(std::filesystem::temp_directory_path());
  auto cfg = child_config("m", {"cwd"});
  cfg.working_directory = dir.string();
  auto h = backend.spawn_instance(cfg);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_EQ(std::filesystem::path(rec.lines_of(h->instance_id).at(0).line), dir);
}

// An instance that exits by itself is noticed at once, with its status.
TEST(LocalBackend, ExitByItselfIsNoticedAtOnce) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"exit", "3"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  auto s = backend.status(h->instance_id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, InstanceState::Exited);
  EXPECT_TRUE(s->exited_by_itself);
  EXPECT_EQ(s->exit_status, ExitStatus::exited(3));
  bool record = false;
  for (const auto& r : rec.records()) {
    if (!r.stream && r.id == h->instance_id && r.line == "exited: " + ExitStatus::exited(3).to_string()) {
      record = r.level == LogLevel::Warn;
    }
  }
  EXPECT_TRUE(record);
  // Still listed until stopped; stopping an exited instance is fine and forgets it.
  EXPECT_EQ(backend.list_instances("m")->size(), 1u);
  EXPECT_TRUE(backend.stop_instance(*h).ok());
  EXPECT_TRUE(backend.list_instances("m")->empty());
  EXPECT_EQ(rec.exits().size(), 1u);  // on_exit once per instance
}

// Shutdown is parallel against one deadline. The grace is 3 s so that each bound below has
// seconds of room on a loaded machine (or under Wine, where killing five processes once took
// 1.2 s) and is still missed by a wrong design: one that waits out a grace it did not need, or
// stops the five in turn (15 s).
TEST(LocalBackend, ShutdownOfStubbornChildrenTakesOneGracePeriod) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.shutdown_grace = 3000ms;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(backend.spawn_instance(child_config("m", {"ignore-term"})).ok());
  ASSERT_TRUE(rec.wait([&] {
    int n = 0;
    for (const auto& r : rec.recs_) n += r.line == "ready";
    return n == 5;
  }));
  auto t0 = std::chrono::steady_clock::now();
  backend.shutdown();
  double took = seconds_since(t0);
  auto exits = rec.exits();
  ASSERT_EQ(exits.size(), 5u);
  for (const auto& e : exits) EXPECT_TRUE(e.stop_result && e.stop_result->killed);
  // Where the graceful request could be sent (always on POSIX), the stubborn children get their
  // one grace period; where it cannot (Windows without a shared console, Wine), there is nothing
  // to wait for and they are killed at once.
  if (exits[0].stop_result->graceful_sent) {
    EXPECT_GE(took, 2.99);
  } else {
    EXPECT_LT(took, 2.5);
  }
  EXPECT_LT(took, 9.0);  // sequential stops would take 15 s
  EXPECT_TRUE(backend.statuses().empty());
  auto again = backend.spawn_instance(child_config("m", {"exit", "0"}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), make_error_code(errc::cancelled));
}

// Bytes pass through unchanged; the child is not hurt.
TEST(LocalBackend, InvalidUtf8PassesThrough) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"invalid-utf8"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  auto lines = rec.lines_of(h->instance_id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].line, "\xff\xfe\xc3\x28 bad \x80");
  EXPECT_EQ(rec.exits()[0].exit_status, ExitStatus::exited(0));
}

TEST(LocalBackend, LastLineWithoutNewlineArrives) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  // A partial line is forwarded at EOF, and the exit record waits for EOF at most the drain
  // timeout: generous here, so the line comes first even where EOF lags the exit (under Wine the
  // pipe breaks 100-250 ms after the process handle is signalled; elsewhere EOF comes at once).
  o.forwarder_drain_timeout = std::chrono::seconds(10);
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"no-newline"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  auto lines = rec.lines_of(h->instance_id);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].line, "partial");
}

// 100,000 lines written just before exit all arrive, in order per stream, before the exit record.
TEST(LocalBackend, LinesWrittenBeforeExitAllArriveInOrder) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  // The exit record waits for the pipes' EOF, or this long: generous, so that a loaded machine
  // cannot reorder it before the last lines (EOF comes right after the exit anyway).
  o.forwarder_drain_timeout = std::chrono::seconds(10);
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  OopModuleConfig cfg("w", BackendKind::LocalProcess);
  cfg.binary = line_writer_path();
  cfg.args = {"100000", "64"};
  auto h = backend.spawn_instance(cfg);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  long next_out = 0, next_err = 9, count = 0;
  bool ordered = true;
  auto all = rec.records();
  std::size_t exit_index = 0, last_line_index = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& r = all[i];
    if (r.id != h->instance_id) continue;
    if (!r.stream) {
      if (r.line.rfind("exited", 0) == 0) exit_index = i;
      continue;
    }
    last_line_index = i;
    ++count;
    long seq = std::stol(r.line.substr(35, 9));
    if (*r.stream == StreamKind::Stdout) {
      if (next_out % 10 == 9) ++next_out;
      ordered = ordered && seq == next_out;
      ++next_out;
    } else {
      ordered = ordered && seq == next_err;
      next_err += 10;
    }
    EXPECT_EQ(r.line.size(), 63u);
  }
  EXPECT_EQ(count, 100000);
  EXPECT_TRUE(ordered);
  EXPECT_GT(exit_index, last_line_index);
}

// A slow sink slows the child through its full pipe; nothing is lost.
TEST(LocalBackend, SlowSinkAppliesBackpressureAndLosesNothing) {
  Recorder rec;
  std::atomic<bool> blocked{false};
  rec.set_hook([&](const LogRecord& r) {
    if (r.stream && !blocked.exchange(true)) std::this_thread::sleep_for(300ms);  // the slow sink
  });
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  OopModuleConfig cfg("w", BackendKind::LocalProcess);
  cfg.binary = line_writer_path();
  cfg.args = {"20000", "100"};
  auto h = backend.spawn_instance(cfg);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_EQ(rec.lines_of(h->instance_id).size(), 20000u);
  EXPECT_EQ(rec.exits()[0].exit_status, ExitStatus::exited(0));
}

#ifndef _WIN32  // expects the child to see SIGTERM; no CTRL_BREAK in Wine.
TEST(LocalBackend, TokenCancelledFromInsideTheSinkShutsDown) {
  Recorder rec;
  CancellationToken token;
  rec.set_hook([&](const LogRecord& r) {
    if (r.line == "ready") token.cancel();  // on the poll thread; must not block it
  });
  auto backend_owner = make_backend(token, rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"term-line"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_TRUE(rec.wait_line("got SIGTERM"));
  EXPECT_FALSE(rec.exits()[0].stop_result->killed);
  auto again = backend.spawn_instance(child_config("m", {"exit", "0"}));
  EXPECT_FALSE(again.ok());
}
#endif

TEST(LocalBackend, AlreadyCancelledTokenRefusesSpawns) {
  Recorder rec;
  CancellationToken token;
  token.cancel();
  auto backend_owner = make_backend(token, rec.options());
  LocalProcessBackend& backend = *backend_owner;
  backend.shutdown();
  EXPECT_FALSE(backend.spawn_instance(child_config("m", {"exit", "0"})).ok());
}

TEST(LocalBackend, DestructorShutsDown) {
  Recorder rec;
  {
    LocalBackendOptions o = rec.options();
    o.shutdown_grace = 200ms;
    auto backend_owner = make_backend(CancellationToken(), o);
    LocalProcessBackend& backend = *backend_owner;
    ASSERT_TRUE(backend.spawn_instance(child_config("m", {"ignore-term"})).ok());
    ASSERT_TRUE(backend.spawn_instance(child_config("m", {"term-line"})).ok());
    ASSERT_TRUE(rec.wait([&] {
      int n = 0;
      for (const auto& r : rec.recs_) n += r.line == "ready";
      return n == 2;
    }));
  }
  EXPECT_EQ(rec.exits().size(), 2u);
}

TEST(LocalBackend, ConcurrentSpawnStopListFromEightThreads) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::string module = "mod" + std::to_string(t % 3);
      for (int i = 0; i < 4; ++i) {
        auto h = backend.spawn_instance(child_config(module, {"sleep", "100"}));
        if (!h.ok()) { ++failures; continue; }
        if (!backend.list_instances(module).ok()) ++failures;
        (void)backend.statuses();
        if (!backend.status(h->instance_id)) ++failures;
        if (!backend.stop_instance(*h).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(backend.statuses().empty());
  EXPECT_EQ(rec.exits().size(), 32u);
}

TEST(LocalBackend, ShutdownWhileSpawnsAreInFlight) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  std::atomic<int> spawned{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        auto h = backend.spawn_instance(child_config("m", {"sleep", "100"}));
        if (!h.ok()) {
          EXPECT_EQ(h.error().code(), make_error_code(errc::cancelled));
          return;
        }
        ++spawned;
      }
    });
  }
  ASSERT_TRUE(rec.wait([&] { return spawned.load() >= 8; }));
  backend.shutdown();
  for (auto& th : threads) th.join();
  EXPECT_TRUE(backend.statuses().empty());
  EXPECT_EQ(rec.exits().size(), static_cast<std::size_t>(spawned.load()));
}

}  // namespace
}  // namespace modhost::test
