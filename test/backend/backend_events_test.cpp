// What the backend tells and lets its user do beyond spawning and stopping: typed supervisor
// events (no filtering by message text), signals by handle that can never reach a reused pid,
// construction that fails with an Error, and a cancel that needs no thread of its own.

#include "modhost_platform.hpp"

#include <csignal>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

std::vector<SupervisorEvent> events_of(Recorder& rec, const Uuid& id) {
  std::vector<SupervisorEvent> out;
  std::lock_guard<std::mutex> lock(rec.mutex_);
  for (const auto& r : rec.recs_) {
    if (r.id == id && !r.stream) out.push_back(r.event);
  }
  return out;
}

bool has_event(Recorder& rec, SupervisorEvent e) {
  std::lock_guard<std::mutex> lock(rec.mutex_);
  for (const auto& r : rec.recs_) {
    if (r.event == e) return true;
  }
  return false;
}

TEST(LocalBackendEvents, EverySupervisorRecordCarriesItsEvent) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.instance_stop_grace = 100ms;
  auto owner = make_backend(CancellationToken(), o);
  LocalProcessBackend& backend = *owner;

  auto by_itself = backend.spawn_instance(child_config("m", {"exit", "3"}));
  ASSERT_TRUE(by_itself.ok());
  ASSERT_TRUE(rec.wait_exits(1));
  EXPECT_EQ(events_of(rec, by_itself->instance_id),
            (std::vector<SupervisorEvent>{SupervisorEvent::Spawned, SupervisorEvent::Exited}));

  auto stubborn = backend.spawn_instance(child_config("m", {"ignore-term"}));
  ASSERT_TRUE(stubborn.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  ASSERT_TRUE(backend.stop_instance(*stubborn).ok());
  std::vector<SupervisorEvent> stop_events = events_of(rec, stubborn->instance_id);
#ifndef _WIN32  // Wine cannot send the graceful request: the stop kills at once, without one.
  EXPECT_EQ(stop_events, (std::vector<SupervisorEvent>{SupervisorEvent::Spawned,
                                                       SupervisorEvent::StopRequested,
                                                       SupervisorEvent::Killed,
                                                       SupervisorEvent::Stopped}));
#else
  ASSERT_FALSE(stop_events.empty());
  EXPECT_EQ(stop_events.back(), SupervisorEvent::Stopped);
#endif

  OopModuleConfig nowhere = child_config("m", {"exit", "0"});
  nowhere.working_directory = "/no/such/directory/at/all";
  auto warned = backend.spawn_instance(nowhere);
  ASSERT_TRUE(warned.ok());
  ASSERT_TRUE(rec.wait_exits(3));
  EXPECT_EQ(events_of(rec, warned->instance_id).front(), SupervisorEvent::Warning);

  InstanceHandle unknown = *by_itself;
  unknown.instance_id = Uuid::new_v7();
  ASSERT_TRUE(backend.stop_instance(unknown).ok());
  EXPECT_EQ(events_of(rec, unknown.instance_id),
            std::vector<SupervisorEvent>{SupervisorEvent::UnknownInstance});

  ASSERT_TRUE(backend.spawn_instance(child_config("m", {"sleep", "100"})).ok());
  backend.shutdown();
  EXPECT_TRUE(has_event(rec, SupervisorEvent::ShutdownStarted));
  // Child output is never a supervisor event.
  std::lock_guard<std::mutex> lock(rec.mutex_);
  for (const auto& r : rec.recs_) EXPECT_EQ(r.stream.has_value(), r.event == SupervisorEvent::None);
}

#ifndef _WIN32  // Wine cannot deliver CTRL_BREAK, which is what SIGTERM means on Windows.
TEST(LocalBackendEvents, SignalInstanceReachesItAndRefusesOnceItIsReaped) {
  Recorder rec;
  auto owner = make_backend(CancellationToken(), rec.options());
  LocalProcessBackend& backend = *owner;
  auto h = backend.spawn_instance(child_config("m", {"term-line"}));
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(rec.wait_line("ready"));
  ASSERT_TRUE(backend.signal_instance(*h, SIGTERM).ok());
  ASSERT_TRUE(rec.wait_line("got SIGTERM"));
  ASSERT_TRUE(rec.wait_exits(1));
  // Ended by a signal the user sent, not by a stop: by itself, as far as the backend knows.
  EXPECT_TRUE(rec.exits()[0].exited_by_itself);
  // Listed (it ended by itself) but reaped: its pid may belong to anyone now.
  auto late = backend.signal_instance(*h, SIGTERM);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), make_error_code(errc::not_running));
  InstanceHandle unknown = *h;
  unknown.instance_id = Uuid::new_v7();
  auto missing = backend.signal_instance(unknown, SIGTERM);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), make_error_code(errc::not_running));
}
#endif

// The poll thread is the backend's only thread: when it cannot start, create() says so, leaves
// the caller's signal mask as it was, and the next create() works.
TEST(LocalBackendEvents, CreateFailsWithAnErrorWhenThePollThreadCannotStart) {
  Recorder rec;
  detail::fail_thread_starts_for_testing(1);
  auto failed = LocalProcessBackend::create(CancellationToken(), rec.options());
  detail::fail_thread_starts_for_testing(0);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("cannot start the backend's poll thread"),
            std::string::npos)
      << failed.error().message();
  auto works = LocalProcessBackend::create(CancellationToken(), rec.options());
  ASSERT_TRUE(works.ok()) << works.error().message();
  ASSERT_TRUE((*works)->spawn_instance(child_config("m", {"exit", "0"})).ok());
  EXPECT_TRUE(rec.wait_exits(1));
}

// Cancelling the token starts the shutdown without creating a thread: it happens even when no
// thread can be created any more.
TEST(LocalBackendEvents, CancelNeedsNoThread) {
  Recorder rec;
  LocalBackendOptions o = rec.options();
  o.shutdown_grace = 10s;
  CancellationToken token;
  auto owner = make_backend(token, o);
  auto h = owner->spawn_instance(child_config("m", {"sleep", "100"}));
  ASSERT_TRUE(h.ok());
  detail::fail_thread_starts_for_testing(1000);
  token.cancel();
  bool ended = rec.wait_exits(1);
  detail::fail_thread_starts_for_testing(0);
  ASSERT_TRUE(ended);
  EXPECT_FALSE(rec.exits()[0].exited_by_itself);
  owner->shutdown();
  EXPECT_TRUE(owner->statuses().empty());
}

}  // namespace
}  // namespace modhost::test
