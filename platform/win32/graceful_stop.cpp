// request_graceful_stop (graceful_stop.hpp): picks the request a child can receive, sends
// CTRL_BREAK at once where the host shares the child's console, and queues the other two
// requests as thread-pool work items.

#include <memory>
#include <string>
#include <utility>

#include "graceful_stop.hpp"

namespace modhost::detail::win32 {
namespace {

enum class Route { CloseWindows, HelperCtrlBreak };

// One queued request. It holds the child's state, so the process handle stays open (and the
// process id cannot be reused) until the request is done.
struct Work {
  std::shared_ptr<ProcessState> state;
  Route route;
  std::wstring helper;
};

// Called under the state's mutex (with_running), while the exit is not published.
void kill_undelivered(ProcessState& state, const std::string& why) {
  NativeProcess& native = *state.native();
  // An exit that happened while the request was on its way is not a failed request: the child
  // ended (maybe of something else), and its stop sees a plain exit. Nor is one after a kill
  // (the grace ran out before the request was done): the stop reports that kill itself.
  if (native.killed || WaitForSingleObject(native.process.get(), 0) == WAIT_OBJECT_0) return;
  state.set_undelivered_request(why);
  (void)kill_child(native);
}

void CALLBACK run_work(PTP_CALLBACK_INSTANCE, void* context) {
  std::unique_ptr<Work> work(static_cast<Work*>(context));
  ProcessState& state = *work->state;
  if (state.finished()) return;
  const NativeProcess& native = *state.native();
  Result<void> delivered = work->route == Route::CloseWindows
                               ? close_top_level_windows(native)
                               : ctrl_break_through_helper(native, work->helper);
  if (delivered) return;
  // Nothing reached the child, so no grace period can help: it is killed now, as when there is
  // no request to send at all, and the stop reports it killed.
  const std::string why = delivered.error().message();
  state.with_running([&] { kill_undelivered(state, why); });
}

Result<void> queue(NativeProcess& native, Route route, std::wstring helper) {
  std::shared_ptr<ProcessState> state = native.owner.lock();
  if (!state) {
    // spawn_process sets the owner before the state is shared; nothing else can get here.
    return Error(errc::unsupported, "cannot stop process " + std::to_string(native.pid) +
                                        " gracefully: its state is gone");
  }
  auto work = std::make_unique<Work>(Work{std::move(state), route, std::move(helper)});
  // The system's pool runs the work items in parallel, so the requests of a shutdown of many
  // children do not queue behind one another.
  if (!TrySubmitThreadpoolCallback(&run_work, work.get(), nullptr)) {
    return last_error("cannot queue the graceful request for process " +
                      std::to_string(native.pid));
  }
  work.release();  // run_work owns it now
  return ok_result();
}

}  // namespace

Result<void> request_graceful_stop(NativeProcess& native) {
  if (native.gui) return queue(native, Route::CloseWindows, std::wstring());
  // A console child in the host's own process group cannot be sent CTRL_BREAK without sending it
  // to the host as well.
  if (!native.own_group) {
    return Error(errc::unsupported,
                 "cannot stop process " + std::to_string(native.pid) +
                     " gracefully: it shares this process's console process group "
                     "(new_process_group is off), so CTRL_BREAK would reach this process too");
  }
  if (native.console_shared && GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, native.pid)) {
    return ok_result();
  }
  // The child is on a console of its own (or the host's console did not take the event): the
  // event must come from a process attached to the child's console.
  if (WaitForSingleObject(native.process.get(), 0) == WAIT_OBJECT_0) return ok_result();
  Result<std::wstring> helper = find_ctrl_break_helper();
  if (!helper) {
    return Error(errc::unsupported, "cannot stop process " + std::to_string(native.pid) +
                                        " gracefully: " + helper.error().message());
  }
  return queue(native, Route::HelperCtrlBreak, std::move(*helper));
}

}  // namespace modhost::detail::win32
