#pragma once
// How other threads talk to a LocalProcessBackend's poll thread: they post Commands to its
// Mailbox, which wakes the poll thread's PipeReader; the poll thread takes them all at its next
// event, before it handles that event, and acts on them in order. The Mailbox is shared (a
// shared_ptr) with the exit listeners of the instances' children, which may run on the platform's
// watcher thread after the backend is gone: posting to a closed mailbox does nothing.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "modhost/log.hpp"
#include "modhost/pipe.hpp"
#include "modhost/uuid.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail {

struct Instance;

// What a blocking caller (stop_instance, shutdown) waits for; `done` is set by the poll thread
// under the backend's mutex, and its condition variable is notified.
struct Completion {
  bool done = false;
};

// One request for the poll thread.
struct Command {
  enum class Kind {
    Record,    // deliver a supervisor record: level, event, module, id, text
    Spawned,   // start reading inst's pipes out/err; on_spawn; the "spawned" record (text: binary)
    Exited,    // the exit of instance `seq` was published
    Stop,      // stop instance `id` (module: for the record if it is unknown); then complete done
    Shutdown,  // stop everything with `grace`; complete the backend's shutdown completion
    KillAll,   // mark every live instance killed (the caller already sent the signals)
  };
  Kind kind = Kind::Record;
  std::shared_ptr<Instance> inst;
  Pipe out;
  Pipe err;
  std::uint64_t seq = 0;
  Uuid id;
  std::string module;
  std::string text;
  LogLevel level = LogLevel::Info;
  SupervisorEvent event = SupervisorEvent::None;
  std::chrono::milliseconds grace{0};
  std::shared_ptr<Completion> done;
};

class Mailbox {
 public:
  // Connects the mailbox to the reader whose thread takes the commands.
  void attach(PipeReader* reader) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    reader_ = reader;
  }

  // Queues `command` and wakes the poll thread. Dropped once the mailbox is closed. Thread-safe.
  void post(Command command) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (reader_ == nullptr) return;
    queue_.push_back(std::move(command));
    pending_.store(true, std::memory_order_release);
    reader_->wake();
  }

  // Moves every queued command to `out` (which must be empty). Cheap when nothing is queued: one
  // atomic load, so the poll thread may call it before every event.
  bool take(std::vector<Command>& out) {
    if (!pending_.load(std::memory_order_acquire)) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(queue_);
    pending_.store(false, std::memory_order_relaxed);
    return !out.empty();
  }

  // No more commands: the reader is going away. Queued ones are dropped. Thread-safe.
  void close() {
    std::vector<Command> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      reader_ = nullptr;
      dropped.swap(queue_);
    }
  }

 private:
  std::mutex mutex_;
  PipeReader* reader_ = nullptr;  // Guarded by mutex_.
  std::vector<Command> queue_;    // Guarded by mutex_.
  std::atomic<bool> pending_{false};
};

}  // namespace modhost::detail
