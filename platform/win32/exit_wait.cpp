// Looking at a child's exit on Win32: the one probe (settle_exit), the in-place wait on the process
// handle, the non-blocking check, and the parts of the exit contract that have nothing to do on
// Windows.

#include <algorithm>
#include <chrono>

#include "exit_watcher.hpp"
#include "native_process.hpp"
#include "modhost_process_state.hpp"

namespace modhost::detail {

namespace win32 {

namespace {

// Run under the state's mutex (ProcessState::settle). A signalled handle means the process has
// ended and its exit code is final; the handle keeps the process object, so the pid is not
// reused meanwhile and nothing needs reaping.
Probe probe_exit(const NativeProcess& native) noexcept {
  if (WaitForSingleObject(native.process.get(), 0) != WAIT_OBJECT_0) return Probe::running();
  DWORD code = 0;
  if (!GetExitCodeProcess(native.process.get(), &code)) code = 0xFFFFFFFFu;
  // Windows exit codes are 32-bit unsigned; NTSTATUS-style codes (0xC0000005) read as negative.
  return Probe::exited(ExitStatus::exited(static_cast<int>(code)));
}

}  // namespace

bool settle_exit(ProcessState& state) noexcept {
  const NativeProcess& native = *state.native();
  return state.settle([&] { return probe_exit(native); });
}

}  // namespace win32

namespace {

// Milliseconds until `deadline` for a Win32 wait, rounded up (waking early would only wait again);
// false when it has passed. A far deadline is capped at a day: the loop simply waits again.
bool wait_millis(std::chrono::steady_clock::time_point deadline, DWORD& millis) noexcept {
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    millis = INFINITE;
    return true;
  }
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return false;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  millis = static_cast<DWORD>(std::min<long long>(ms, 24LL * 3600 * 1000));
  return true;
}

}  // namespace

InPlaceWait wait_exit_in_place(ProcessState& state, std::chrono::steady_clock::time_point deadline,
                               const CancellationToken* cancel) noexcept {
  if (!state.begin_in_place_wait()) return InPlaceWait::Unavailable;
  struct Release {
    ProcessState& state;
    ~Release() { state.end_in_place_wait(); }
  } release{state};

  // The token's wake-up: a manual-reset event its callback sets, waited on with the process.
  win32::UniqueHandle event;
  CancellationRegistration registration;
  if (cancel != nullptr) {
    event.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!event.valid()) return InPlaceWait::Unavailable;
    HANDLE raw = event.get();
    registration = cancel->on_cancel([raw] { SetEvent(raw); });
  }
  const HANDLE handles[2] = {state.native()->process.get(), event.get()};
  const DWORD count = cancel != nullptr ? 2 : 1;
  InPlaceWait result = InPlaceWait::Unavailable;
  for (;;) {
    // Settled here, on the waiting thread, without a hop through the watcher thread.
    if (win32::settle_exit(state)) {
      result = InPlaceWait::Exited;
      break;
    }
    if (cancel != nullptr && cancel->is_cancelled()) {
      result = InPlaceWait::Cancelled;
      break;
    }
    DWORD millis = 0;
    if (!wait_millis(deadline, millis)) {
      result = InPlaceWait::TimedOut;
      break;
    }
    // Whatever woke us (the process, the event, the timeout) is looked at again at the top of the
    // loop. A failed wait (it cannot fail with valid handles) leaves the caller to the condition
    // variable, which the watcher notifies.
    if (WaitForMultipleObjects(count, handles, FALSE, millis) == WAIT_FAILED) break;
  }
  // The registration goes first: dropping it waits for a callback that may be setting the event.
  registration.reset();
  event.reset();
  return result;
}

void poll_exit(ProcessState& state, bool /*overdue*/) noexcept {
  // An overdue exit would mean the watcher's packet was lost (it cannot be, short of memory); there
  // is no fallback mechanism to switch to, so finding the exit here is all there is to do.
  if (!state.finished()) win32::settle_exit(state);
}

// A process handle cannot be taken away by the host, unlike SIGCHLD on POSIX.
Result<void> check_exit_notification(const ProcessState&) { return ok_result(); }

// Windows has one exit mechanism (the process handle); there is no fallback to force.
bool set_exit_fallback_for_testing(bool) noexcept { return false; }

}  // namespace modhost::detail
