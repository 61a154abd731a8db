#pragma once
// Shared by the backend tests: a sink that keeps copies of every record and lets a test wait for
// a condition on them (a hang is the failure, bounded at 20 s), and the helper programs' paths.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "modhost/local_backend.hpp"

namespace modhost::test {

inline const char* child_path() { return MODHOST_TEST_CHILD; }
inline const char* line_writer_path() { return MODHOST_LINE_WRITER; }

struct Rec {
  LogLevel level;
  std::string module;
  Uuid id;
  std::optional<StreamKind> stream;
  std::string line;
  bool continuation;
  SupervisorEvent event;
};

class Recorder {
 public:
  LocalBackendOptions options() {
    LocalBackendOptions o;
    o.sink = [this](const LogRecord& r) {
      std::function<void(const LogRecord&)> hook;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        recs_.push_back({r.level, std::string(r.module), r.instance_id, r.stream,
                         std::string(r.line), r.continuation, r.event});
        hook = hook_;
      }
      if (hook) hook(r);
      cv_.notify_all();
    };
    o.on_exit = [this](const InstanceStatus& s) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        exits_.push_back(s);
      }
      cv_.notify_all();
    };
    return o;
  }

  // Runs on the calling thread of the sink, after the record was stored.
  void set_hook(std::function<void(const LogRecord&)> hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    hook_ = std::move(hook);
  }

  template <class P>
  bool wait(P pred, std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, bound, [&] { return pred(); });
  }

  // Must be called with the lock held (inside wait's predicate) or after the activity ended.
  bool has_line_locked(const std::string& line) const {
    for (const auto& r : recs_) {
      if (r.line == line) return true;
    }
    return false;
  }
  // How many records carry `line`; same locking rule as has_line_locked.
  std::size_t count_line_locked(const std::string& line) const {
    std::size_t n = 0;
    for (const auto& r : recs_) n += r.line == line ? 1 : 0;
    return n;
  }
  bool wait_line(const std::string& line) {
    return wait([&] { return has_line_locked(line); });
  }
  bool wait_exits(std::size_t n, std::chrono::milliseconds bound = std::chrono::seconds(20)) {
    return wait([&] { return exits_.size() >= n; }, bound);
  }
  std::vector<Rec> records() {
    std::lock_guard<std::mutex> lock(mutex_);
    return recs_;
  }
  std::vector<InstanceStatus> exits() {
    std::lock_guard<std::mutex> lock(mutex_);
    return exits_;
  }
  std::vector<Rec> lines_of(const Uuid& id) {
    std::vector<Rec> out;
    for (const auto& r : records()) {
      if (r.id == id && r.stream) out.push_back(r);
    }
    return out;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Rec> recs_;
  std::vector<InstanceStatus> exits_;
  std::function<void(const LogRecord&)> hook_;
};

// A backend for a test; creation does not fail on a healthy machine, so a failure ends the test
// program with the reason (a test cannot go on without its backend).
inline std::unique_ptr<LocalProcessBackend> make_backend(CancellationToken token,
                                                         LocalBackendOptions options) {
  auto created = LocalProcessBackend::create(std::move(token), std::move(options));
  if (!created) {
    ADD_FAILURE() << "cannot create the backend: " << created.error().message();
    std::abort();
  }
  return std::move(*created);
}

inline OopModuleConfig child_config(const std::string& module, std::vector<std::string> args) {
  OopModuleConfig c(module, BackendKind::LocalProcess);
  c.binary = child_path();
  c.args = std::move(args);
  return c;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace modhost::test
