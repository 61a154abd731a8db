// Callbacks may call every public method of the backend. Each callback (the sink on a line of
// output, the sink on a supervisor record, on_spawn, on_exit) calls each method once, on the poll
// thread, and the method does what it says: it completes, or (stop_instance, shutdown) starts its
// work and returns at once, and that work then completes. A deadlock is the failure (every wait
// is bounded at 20 s).

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "backend_test_util.hpp"

namespace modhost::test {
namespace {

using namespace std::chrono_literals;

enum class Callback { SinkLine, SinkRecord, OnSpawn, OnExit };
enum class Method {
  Spawn,
  StopTarget,
  Shutdown,
  KillAll,
  SignalTarget,
  List,
  Status,
  Statuses,
  Cancel,
};

std::string name_of(Callback c) {
  switch (c) {
    case Callback::SinkLine: return "SinkLine";
    case Callback::SinkRecord: return "SinkRecord";
    case Callback::OnSpawn: return "OnSpawn";
    case Callback::OnExit: return "OnExit";
  }
  return "?";
}

std::string name_of(Method m) {
  switch (m) {
    case Method::Spawn: return "Spawn";
    case Method::StopTarget: return "StopInstance";
    case Method::Shutdown: return "Shutdown";
    case Method::KillAll: return "KillAll";
    case Method::SignalTarget: return "SignalInstance";
    case Method::List: return "ListInstances";
    case Method::Status: return "Status";
    case Method::Statuses: return "Statuses";
    case Method::Cancel: return "Cancel";
  }
  return "?";
}

using Param = std::tuple<Callback, Method>;

class Reentrancy : public ::testing::TestWithParam<Param> {};

// The scenario: a target instance that prints "ready" and then lives until stopped. The callback
// under test fires once, for the target (on its "ready" line, its "spawned" record, its
// on_spawn), or, for on_exit, for a short-lived trigger instance spawned while the target is
// alive, and calls the method under test on the target / the backend.
TEST_P(Reentrancy, CallbackCallsMethod) {
  const Callback callback = std::get<0>(GetParam());
  const Method method = std::get<1>(GetParam());

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> lines;
  std::vector<InstanceStatus> exits;
  std::optional<InstanceHandle> target;
  std::atomic<bool> fired{false};
  std::atomic<bool> call_done{false};
  std::atomic<bool> call_ok{false};
  std::string call_error;
  CancellationToken token;
  LocalProcessBackend* backend = nullptr;

  auto notify = [&] { cv.notify_all(); };
  // The method under test, called from inside the callback (on the poll thread).
  auto act = [&]() {
    if (fired.exchange(true)) return;
    InstanceHandle t;
    {
      std::lock_guard<std::mutex> lock(mu);
      t = *target;
    }
    bool ok = true;
    switch (method) {
      case Method::Spawn: ok = backend->spawn_instance(child_config("extra", {"exit", "0"})).ok(); break;
      case Method::StopTarget: ok = backend->stop_instance(t).ok(); break;
      case Method::Shutdown: backend->shutdown(); break;
      case Method::KillAll: backend->kill_all(); break;
      case Method::SignalTarget: ok = backend->signal_instance(t, SIGTERM).ok(); break;
      case Method::List: ok = backend->list_instances("target").ok(); break;
      case Method::Status: ok = backend->status(t.instance_id).has_value(); break;
      case Method::Statuses: ok = !backend->statuses().empty(); break;
      case Method::Cancel: token.cancel(); break;
    }
    call_ok = ok;
    call_done = true;
    notify();
  };

  LocalBackendOptions o;
  o.instance_stop_grace = 10s;
  o.shutdown_grace = 10s;
  o.sink = [&](const LogRecord& r) {
    bool mine;
    {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(r.line);
      mine = target && r.instance_id == target->instance_id;
    }
    notify();
    if (callback == Callback::SinkLine && mine && r.line == "ready") act();
    if (callback == Callback::SinkRecord && mine && r.event == SupervisorEvent::Spawned) act();
  };
  o.on_spawn = [&](const InstanceHandle& h) {
    bool mine;
    {
      std::lock_guard<std::mutex> lock(mu);
      mine = target && h.instance_id == target->instance_id;
    }
    if (callback == Callback::OnSpawn && mine) act();
  };
  o.on_exit = [&](const InstanceStatus& s) {
    {
      std::lock_guard<std::mutex> lock(mu);
      exits.push_back(s);
    }
    notify();
    if (callback == Callback::OnExit && s.handle.module == "trigger") act();
  };
  auto owner = make_backend(token, o);
  backend = owner.get();

  auto wait = [&](auto pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 20s, pred);
  };
  auto has_line = [&](const std::string& l) {
    for (const auto& x : lines) {
      if (x == l) return true;
    }
    return false;
  };
  auto exited = [&](const std::string& module) {
    for (const auto& s : exits) {
      if (s.handle.module == module) return true;
    }
    return false;
  };

  {
    // The lock is held while the target is spawned, so that a callback that fires at once
    // (on_spawn, the "spawned" record) finds its handle.
    std::unique_lock<std::mutex> lock(mu);
    auto h = backend->spawn_instance(child_config("target", {"term-line"}));
    ASSERT_TRUE(h.ok()) << h.error().message();
    target = *h;
  }
  notify();
  if (callback == Callback::OnExit) {
    ASSERT_TRUE(wait([&] { return has_line("ready"); }));
    ASSERT_TRUE(backend->spawn_instance(child_config("trigger", {"exit", "0"})).ok());
  }
  ASSERT_TRUE(wait([&] { return call_done.load(); })) << "the callback's call did not return";
  EXPECT_TRUE(call_ok.load());

  switch (method) {
    case Method::Spawn:
      EXPECT_TRUE(wait([&] { return exited("extra"); }));
      break;
    case Method::StopTarget:
    case Method::KillAll:
    case Method::SignalTarget:
      EXPECT_TRUE(wait([&] { return exited("target"); })) << "the target did not end";
      break;
    case Method::Shutdown:
    case Method::Cancel:
      EXPECT_TRUE(wait([&] { return exited("target"); })) << "the shutdown did not run";
      backend->shutdown();  // returns once the shutdown the callback started is done
      EXPECT_TRUE(backend->statuses().empty());
      EXPECT_FALSE(backend->spawn_instance(child_config("late", {"exit", "0"})).ok());
      break;
    case Method::List:
    case Method::Status:
    case Method::Statuses:
      break;
  }
  if (method == Method::StopTarget) {
    // The stop started from the callback also forgets the instance, right after its on_exit: a
    // stop asked now (ordered after that on the poll thread) finds it unknown.
    EXPECT_TRUE(backend->stop_instance(*target).ok());
    EXPECT_FALSE(backend->status(target->instance_id).has_value());
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(has_line("stop_instance: unknown instance " + target->instance_id.to_string() +
                         ", nothing to stop"));
  }
  // The destructor shuts down whatever is left, without waiting out a grace.
  auto t0 = std::chrono::steady_clock::now();
  owner.reset();
  EXPECT_LT(seconds_since(t0), 8.0) << "the target ignored SIGTERM?";
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return name_of(std::get<0>(info.param)) + "_" + name_of(std::get<1>(info.param));
}

std::vector<Method> all_methods() {
  std::vector<Method> out = {Method::Spawn,  Method::StopTarget, Method::Shutdown,
                             Method::KillAll, Method::List,      Method::Status,
                             Method::Statuses, Method::Cancel};
#ifndef _WIN32  // Wine cannot deliver CTRL_BREAK, which is what SIGTERM means on Windows.
  out.push_back(Method::SignalTarget);
#endif
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, Reentrancy,
                         ::testing::Combine(::testing::Values(Callback::SinkLine,
                                                              Callback::SinkRecord,
                                                              Callback::OnSpawn, Callback::OnExit),
                                            ::testing::ValuesIn(all_methods())),
                         param_name);

}  // namespace
}  // namespace modhost::test
