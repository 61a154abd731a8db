// Stops that overlap, kill_all, and the notifications around an instance's life: on_spawn before
// its first line, on_exit as each instance ends (also inside a shutdown), kill_on_parent_death.

#include "modhost_platform.hpp"

#include <signal.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "backend_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

// A grace no test may wait out: only the behaviour under test can end the wait in time.
constexpr std::chrono::milliseconds kEndless = std::chrono::minutes(10);

// Both helpers serve only the POSIX tests below; Windows builds compile them unused.
[[maybe_unused]] int count_lines(const std::vector<Rec>& recs, const std::string& line) {
  int n = 0;
  for (const auto& r : recs) n += r.line == line;
  return n;
}

[[maybe_unused]] std::optional<InstanceStatus> exit_of(Recorder& rec, const Uuid& id) {
  for (const auto& s : rec.exits()) {
    if (s.handle.instance_id == id) return s;
  }
  return std::nullopt;
}

// on_spawn comes with the returned handle, before the "spawned" record and the first line.
TEST(LocalBackendStop, OnSpawnPrecedesEveryRecordOfTheInstance) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  std::vector<InstanceHandle> spawned;
  o.on_spawn = [&](const InstanceHandle& h) {
    std::lock_guard<std::mutex> lock(rec.mutex_);
    spawned.push_back(h);
    rec.recs_.push_back({LogLevel::Info, h.module, h.instance_id, std::nullopt, "<on_spawn>", false,
                         SupervisorEvent::None});
  };
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"lines", "3"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  std::vector<Rec> mine;
  for (const auto& r : rec.records()) {
    if (r.id == h->instance_id) mine.push_back(r);
  }
  ASSERT_GE(mine.size(), 3u);
  EXPECT_EQ(mine[0].line, "<on_spawn>");
  EXPECT_EQ(mine[1].line.rfind("spawned ", 0), 0u) << mine[1].line;
  ASSERT_EQ(spawned.size(), 1u);
  EXPECT_EQ(spawned[0].instance_id, h->instance_id);
  EXPECT_EQ(spawned[0].pid, h->pid);
  // A spawn that fails calls nothing.
  OopModuleConfig missing("m", BackendKind::LocalProcess);
  missing.binary = "/no/such/program";
  EXPECT_FALSE(backend.spawn_instance(missing).ok());
  std::lock_guard<std::mutex> lock(rec.mutex_);
  EXPECT_EQ(spawned.size(), 1u);
}

#if !defined(_WIN32)  // needs a child that dies of the graceful signal (no CTRL_BREAK in Wine)

// Inside a shutdown, each instance's on_exit comes when it ends, not after the stubborn
// sibling's whole grace. The grace is endless; kill_all ends the shutdown at once.
TEST(LocalBackendStop, ShutdownDeliversEachExitWhenThatInstanceEndsAndKillAllEndsIt) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.shutdown_grace = kEndless;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto quick = backend.spawn_instance(child_config("quick", {"term-line"}));
  auto stubborn = backend.spawn_instance(child_config("stubborn", {"ignore-term"}));
  ASSERT_TRUE(quick.ok() && stubborn.ok());
  ASSERT_TRUE(rec.wait([&] { return count_lines(rec.recs_, "ready") == 2; }));
  std::thread stopper([&] { backend.shutdown(); });
  ASSERT_TRUE(rec.wait_exits(1)) << "the quick instance's exit waited for its sibling";
  auto q = exit_of(rec, quick->instance_id);
  ASSERT_TRUE(q.has_value());
  EXPECT_FALSE(q->exited_by_itself);
  ASSERT_TRUE(q->stop_result.has_value());
  EXPECT_TRUE(q->stop_result->graceful_sent);
  EXPECT_FALSE(q->stop_result->killed);
  EXPECT_EQ(q->exit_status, ExitStatus::exited(0));
  auto s = backend.status(stubborn->instance_id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, InstanceState::Stopping);
  backend.kill_all();
  stopper.join();
  auto st = exit_of(rec, stubborn->instance_id);
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(st->exited_by_itself);
  ASSERT_TRUE(st->stop_result.has_value());
  EXPECT_TRUE(st->stop_result->killed);
  EXPECT_EQ(st->exit_status, ExitStatus::signaled(SIGKILL));
  EXPECT_TRUE(backend.statuses().empty());
}

// A shutdown that finds an instance stop_instance is already stopping sends it no second SIGTERM,
// and the instance, which the first SIGTERM reached, did not exit by itself.
TEST(LocalBackendStop, ShutdownDuringStopInstanceSendsNoSecondSigterm) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.instance_stop_grace = 500ms;
  o.shutdown_grace = kEndless;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  OopModuleConfig c("m", BackendKind::LocalProcess);
  c.binary = "/bin/sh";
  // Counts the SIGTERMs it gets; the background sleep keeps the trap prompt.
  c.args = {"-c",
            "n=0; trap 'n=$((n+1)); echo \"term $n\"' TERM; echo ready;"
            " while :; do sleep 1 & wait $!; done"};
  auto h = backend.spawn_instance(c);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  std::thread stopper([&] { EXPECT_TRUE(backend.stop_instance(*h).ok()); });
  ASSERT_TRUE(rec.wait_line("term 1"));
  backend.shutdown();  // ends when stop_instance's grace kills the instance
  stopper.join();
  EXPECT_EQ(count_lines(rec.records(), "term 2"), 0) << "the graceful signal was sent twice";
  auto exits = rec.exits();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_FALSE(exits[0].exited_by_itself);
  ASSERT_TRUE(exits[0].stop_result.has_value());
  EXPECT_TRUE(exits[0].stop_result->graceful_sent);
  EXPECT_TRUE(exits[0].stop_result->killed);
}

// kill_all without a stop in progress. The instance ends at once, not by itself, and stays
// listed until stopped; a stop after it gets its own grace again (kill_all cut only the waits in
// progress).
TEST(LocalBackendStop, KillAllKillsNowAndLaterStopsKeepTheirGrace) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.instance_stop_grace = kEndless;
  auto backend_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *backend_owner;
  auto h = backend.spawn_instance(child_config("m", {"ignore-term"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  backend.kill_all();
  ASSERT_TRUE(rec.wait_exits(1));
  auto s = backend.status(h->instance_id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, InstanceState::Exited);
  EXPECT_FALSE(s->exited_by_itself);
  ASSERT_TRUE(s->stop_result.has_value());
  EXPECT_FALSE(s->stop_result->graceful_sent);
  EXPECT_TRUE(s->stop_result->killed);
  EXPECT_EQ(s->exit_status, ExitStatus::signaled(SIGKILL));
  EXPECT_TRUE(backend.stop_instance(*h).ok());
  EXPECT_TRUE(backend.statuses().empty());
  EXPECT_EQ(rec.exits().size(), 1u);

  auto next = backend.spawn_instance(child_config("m", {"term-line"}));
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(rec.wait([&] { return count_lines(rec.recs_, "ready") == 2; }));
  EXPECT_TRUE(backend.stop_instance(*next).ok());
  auto n = exit_of(rec, next->instance_id);
  ASSERT_TRUE(n.has_value());
  EXPECT_FALSE(n->stop_result->killed) << "a stop after kill_all skipped its grace";
  EXPECT_EQ(count_lines(rec.records(), "got SIGTERM"), 1);
}

// An instance that ended before the shutdown began keeps "by itself"; the one the shutdown
// ended does not.
TEST(LocalBackendStop, ExitedByItselfOnlyBeforeTheStopBegan) {
  Recorder rec;
  auto backend_owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *backend_owner;
  auto done = backend.spawn_instance(child_config("done", {"exit", "5"}));
  auto live = backend.spawn_instance(child_config("live", {"term-line"}));
  ASSERT_TRUE(done.ok() && live.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  ASSERT_TRUE(rec.wait_line("ready"));
  backend.shutdown();
  auto d = exit_of(rec, done->instance_id);
  auto l = exit_of(rec, live->instance_id);
  ASSERT_TRUE(d.has_value() && l.has_value());
  EXPECT_TRUE(d->exited_by_itself);
  EXPECT_EQ(d->exit_status, ExitStatus::exited(5));
  EXPECT_FALSE(l->exited_by_itself);
  EXPECT_EQ(l->exit_status, ExitStatus::exited(0));
}

#endif  // !_WIN32

#if defined(__linux__)
// The option reaches the spawn. Linux ties PR_SET_PDEATHSIG to the spawning thread, so an
// instance spawned from a thread that ends is killed then (the documented caveat); one spawned
// without the option lives on.
TEST(LocalBackendStop, KillOnParentDeathIsPassedAndTiedToTheSpawningThread) {
  Recorder with_rec;
  LocalBackendOptions o = with_rec.options();
  o.kill_on_parent_death = true;
  auto with_owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& with = *with_owner;
  Recorder without_rec;
  auto without_owner = make_backend(CancellationToken(), without_rec.options());
  LocalProcessBackend& without = *without_owner;
  Result<InstanceHandle> a = Error(errc::not_running, "not spawned");
  Result<InstanceHandle> b = Error(errc::not_running, "not spawned");
  std::thread spawner([&] {
    a = with.spawn_instance(child_config("m", {"sleep", "100"}));
    b = without.spawn_instance(child_config("m", {"sleep", "100"}));
  });
  spawner.join();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(with_rec.wait_exits(1));
  auto s = with.status(a->instance_id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->exit_status, ExitStatus::signaled(SIGKILL));
  EXPECT_TRUE(s->exited_by_itself);  // no stop of the backend's ended it
  EXPECT_EQ(without.status(b->instance_id)->state, InstanceState::Running);
}
#endif

}  // namespace
}  // namespace modhost::test
