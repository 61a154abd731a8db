// The Win32 exit watcher (see exit_watcher.hpp): one thread blocked on one I/O completion port.
//
// Each child gets a thread-pool wait on its process handle (RegisterWaitForSingleObject, run once)
// whose callback does nothing but post a packet naming the child to the port, as libuv does. The
// pool waits on up to 63 handles per pool thread, so there is no thread per child and no 64-handle
// limit, and the callback takes no lock of ours. The watcher thread takes each packet, settles the
// exit (which wakes the waiters and runs the state's exit listener, the way the backend hears of
// it), unregisters the wait, and then drops its reference to the state: the process handle is
// therefore never closed while a wait on it is registered.
//
// Why not the job's completion port: Microsoft documents job messages as notifications whose
// delivery is not guaranteed, and a lost JOB_OBJECT_MSG_EXIT_PROCESS would be a wait that never
// returns. A process handle cannot miss its exit.

#include "exit_watcher.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "native_process.hpp"
#include "modhost_process_state.hpp"

namespace modhost::detail::win32 {
namespace {

// One child the watcher holds. Its address is the thread-pool callback's context, so it stays put
// (owned through a unique_ptr) until the wait is unregistered.
struct Watch {
  HANDLE port = nullptr;       // where the callback posts
  ULONG_PTR key = 0;           // what it posts: names this watch in the watcher's map
  HANDLE wait = nullptr;       // the registered wait
  std::shared_ptr<ProcessState> state;
};

// Runs on a pool thread when the process handle is signalled. It only posts: everything else
// happens on the watcher thread, which may unregister the wait (a callback must not unregister its
// own wait and wait for itself). PostQueuedCompletionStatus fails only for want of memory; the
// exit is then still found by any wait (in place, or poll_exit after a quiet slice).
void CALLBACK on_process_signalled(void* context, BOOLEAN /*timed_out: never, no timeout*/) {
  const Watch* watch = static_cast<const Watch*>(context);
  PostQueuedCompletionStatus(watch->port, 0, watch->key, nullptr);
}

class ExitWatcher {
 public:
  // The one watcher, made on the first successful call and deliberately never destroyed: a
  // static destructor running at exit() while the thread still uses the map would be a race.
  static Result<ExitWatcher*> instance() {
    static std::mutex creation;
    static ExitWatcher* watcher = nullptr;
    std::lock_guard<std::mutex> lock(creation);
    if (watcher != nullptr) return watcher;
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    if (port == nullptr) return last_error("cannot create the exit watcher's completion port");
    std::unique_ptr<ExitWatcher> made(new ExitWatcher(port));
    ExitWatcher* raw = made.get();
    Result<Thread> thread = Thread::start([raw] { raw->run(); }, "the exit watcher thread");
    if (!thread) {
      made.reset();
      CloseHandle(port);
      return thread.error();
    }
    thread->detach();
    watcher = made.release();
    return watcher;
  }

  Result<void> add(std::shared_ptr<ProcessState> state) {
    HANDLE process = state->native()->process.get();
    auto watch = std::make_unique<Watch>();
    Watch* raw = watch.get();
    raw->port = port_;
    raw->state = std::move(state);
    // Registered under the mutex, after the entry is in the map: a child that has already exited
    // fires the callback at once, and the watcher thread must then find the entry (and its wait
    // handle) when it takes the packet.
    std::lock_guard<std::mutex> lock(mutex_);
    raw->key = ++next_key_;
    // WT_EXECUTEINWAITTHREAD: the callback only posts, so it runs on the pool's wait thread itself
    // instead of being handed to a worker. WT_EXECUTEONLYONCE: a signalled process stays
    // signalled, and the wait would otherwise fire again and again.
    if (!RegisterWaitForSingleObject(&raw->wait, process, on_process_signalled, raw, INFINITE,
                                     WT_EXECUTEINWAITTHREAD | WT_EXECUTEONLYONCE)) {
      return last_error("cannot register a wait for the child's exit");
    }
    watches_.emplace(raw->key, std::move(watch));
    return ok_result();
  }

 private:
  explicit ExitWatcher(HANDLE port) noexcept : port_(port) {}

  void run() {
    for (;;) {
      DWORD bytes = 0;
      ULONG_PTR key = 0;
      OVERLAPPED* ov = nullptr;
      if (!GetQueuedCompletionStatus(port_, &bytes, &key, &ov, INFINITE)) {
        Sleep(10);  // the port cannot fail short of being closed; do not spin if it does
        continue;
      }
      on_packet(key);
    }
  }

  void on_packet(ULONG_PTR key) {
    std::unique_ptr<Watch> watch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = watches_.find(key);
      if (it == watches_.end()) return;
      watch = std::move(it->second);
      watches_.erase(it);
    }
    // Publishes the exit unless an in-place wait, poll_exit or release_process already did; the
    // exit listener runs here then.
    const bool published = settle_exit(*watch->state);
    // The callback has run (it posted this packet); INVALID_HANDLE_VALUE still waits for it to
    // return, so neither the Watch nor the handle can be in use by the pool afterwards.
    UnregisterWaitEx(watch->wait, INVALID_HANDLE_VALUE);
    if (!published) {
      // The callback runs only once the handle is signalled, and a process stays signalled, so
      // this does not happen; should it, the child is watched again rather than forgotten.
      (void)add(std::move(watch->state));
    }
    // The state goes last: it may be its final reference, whose deleter closes the handles.
    watch.reset();
  }

  const HANDLE port_;
  std::mutex mutex_;  // guards the two members below
  ULONG_PTR next_key_ = 0;
  std::unordered_map<ULONG_PTR, std::unique_ptr<Watch>> watches_;
};

}  // namespace

Result<void> prepare_exit_watcher() {
  Result<ExitWatcher*> watcher = ExitWatcher::instance();
  if (!watcher) return watcher.error();
  return ok_result();
}

Result<void> watch_child(std::shared_ptr<ProcessState> state) {
  Result<ExitWatcher*> watcher = ExitWatcher::instance();
  if (!watcher) return watcher.error();
  return (*watcher)->add(std::move(state));
}

}  // namespace modhost::detail::win32
