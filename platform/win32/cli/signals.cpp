// Win32 half of src/cli/signals.hpp. Windows has no signals: the console delivers Ctrl-C,
// Ctrl-Break and close events to a handler that the system runs on a thread of its own. The
// handler queues the event; the watcher's thread runs the callback, as on POSIX. Sending goes
// through the library (ChildProcess::send_signal), which turns SIGINT and SIGTERM into Ctrl-Break.
// Like the rest of the tool, this file uses the library's public API only (Error::from_os, not
// the platform layer's internals), so the tool links against a shared build of the library too.
//
// The close event (the console window closed, or "End task") is different from the others:
// Windows ends the process as soon as the handler returns, and anyway a few seconds after the
// event (5 s by default), whatever the handler does. So the handler for it does not return at
// once: it queues Hangup like any event and then waits until the run is over (the watcher is
// destroyed after the processes were stopped and the summary printed), at most kCloseWait, which
// leaves the children their graceful stop within the time Windows allows instead of none. The
// event says how long that is (SignalEvent::ends_process_within), and the tool shortens its
// grace period to fit (src/cli/supervisor.cpp).

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "cli/signals.hpp"
#include "console_events.hpp"

namespace modhost::cli {
namespace {

// The POSIX numbers, so exit codes (128 + n) and names read the same on every platform.
constexpr int kSigHup = 1, kSigInt = 2, kSigUsr1 = 10, kSigUsr2 = 12, kSigTerm = 15;

int to_number(Signal signal) noexcept {
  switch (signal) {
    case Signal::Interrupt: return kSigInt;
    case Signal::Terminate: return kSigTerm;
    case Signal::Hangup: return kSigHup;
    case Signal::User1: return kSigUsr1;
    case Signal::User2: return kSigUsr2;
  }
  return kSigTerm;
}

// How long the close handler holds the process open for the run to end: under the 5 s after which
// Windows ends a process that received CTRL_CLOSE_EVENT, so the handler returns before that.
constexpr DWORD kCloseWaitMillis = 4500;

class Win32SignalWatcher;
// The one watcher (the console handler is process-wide); guarded by g_mutex.
std::mutex g_mutex;
Win32SignalWatcher* g_watcher = nullptr;

// Set (manual reset) when the current watcher is destroyed, i.e. the run is over; the close
// handler waits on it. Created once and never closed: a handler thread may still wait on it after
// the watcher is gone.
HANDLE run_over_event() {
  static HANDLE event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  return event;
}

class Win32SignalWatcher final : public SignalWatcher {
 public:
  explicit Win32SignalWatcher(std::function<void(const SignalEvent&)> callback)
      : callback_(std::move(callback)) {}
  ~Win32SignalWatcher() override {
    SetConsoleCtrlHandler(&Win32SignalWatcher::on_console_event, FALSE);
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      g_watcher = nullptr;
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    // A close handler waiting for the run to end may return now (and Windows ends the process).
    if (HANDLE over = run_over_event()) SetEvent(over);
  }

  Result<void> install() {
    HANDLE over = run_over_event();
    if (over == nullptr) {
      return Error::from_os(static_cast<int>(GetLastError()), "cannot create the close event");
    }
    ResetEvent(over);
    thread_ = std::thread([this] { loop(); });
    if (!SetConsoleCtrlHandler(&Win32SignalWatcher::on_console_event, TRUE)) {
      return Error::from_os(static_cast<int>(GetLastError()), "SetConsoleCtrlHandler");
    }
    return ok_result();
  }

  // Runs on a thread the system creates for the event. Returning TRUE means "handled": the
  // process is not ended (except after a close event, which Windows enforces: see the top).
  static BOOL WINAPI on_console_event(DWORD type) {
    SignalEvent event;
    switch (type) {
      case CTRL_C_EVENT: event.signal = Signal::Interrupt; break;
      case CTRL_BREAK_EVENT: event.signal = Signal::Terminate; break;
      case CTRL_CLOSE_EVENT:
        event.signal = Signal::Hangup;
        event.ends_process_within = std::chrono::milliseconds(kCloseWaitMillis);
        break;
      default: return FALSE;
    }
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      if (g_watcher == nullptr) return FALSE;
      g_watcher->queue_.push_back(event);
      // Notified under the lock: the watcher cannot be destroyed between the check and this call.
      g_watcher->cv_.notify_all();
    }
    if (type == CTRL_CLOSE_EVENT) WaitForSingleObject(run_over_event(), kCloseWaitMillis);
    return TRUE;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(g_mutex);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      SignalEvent event = queue_.front();
      queue_.pop_front();
      lock.unlock();
      callback_(event);
      lock.lock();
    }
  }

  std::function<void(const SignalEvent&)> callback_;
  std::thread thread_;
  std::condition_variable cv_;
  std::deque<SignalEvent> queue_;  // guarded by g_mutex
  bool stop_ = false;              // guarded by g_mutex
};


}  // namespace

namespace win32 {
int handle_console_event_for_testing(unsigned long type) {
  return Win32SignalWatcher::on_console_event(static_cast<DWORD>(type));
}
}  // namespace win32

int signal_exit_code(Signal signal) noexcept { return 128 + to_number(signal); }

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::start(
    std::function<void(const SignalEvent&)> callback) {
  auto watcher = std::make_unique<Win32SignalWatcher>(std::move(callback));
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_watcher != nullptr) {
      return Error(errc::invalid_argument, "a signal watcher is already running");
    }
    g_watcher = watcher.get();
  }
  Result<void> r = watcher->install();
  if (!r) return r.error();
  return std::unique_ptr<SignalWatcher>(std::move(watcher));
}

int signal_number(Signal signal) noexcept { return to_number(signal); }

}  // namespace modhost::cli
