// Win32 operations on a running child: CTRL_BREAK and job termination, release, and reading its
// pipes to the end.

#include <memory>
#include <string>

#include "exit_watcher.hpp"
#include "native_process.hpp"
#include "process_state.hpp"

namespace modhost::detail {

namespace {

// The exit code a killed child reports (what TerminateProcess is told), as Rust and libuv do.
constexpr UINT kKilledExitCode = 1;

bool has_exited(HANDLE process) { return WaitForSingleObject(process, 0) == WAIT_OBJECT_0; }

}  // namespace

void NativeProcessDeleter::operator()(NativeProcess* native) const noexcept {
  // Closing the job handle of a kill-on-close job ends whatever is left of the tree.
  win32::exit_watcher_unregister(native->watch_id);
  delete native;
}

Result<void> signal_process(ProcessState& state, StopSignal signal) noexcept {
  NativeProcess& native = *state.native();
  if (state.finished()) return ok_result();
  if (signal == StopSignal::Kill) {
    // The job holds the child and everything it started: terminating it ends the whole tree at
    // once. Without its own group the child alone is killed, as on POSIX.
    const BOOL ok = native.own_group ? TerminateJobObject(native.job.get(), kKilledExitCode)
                                     : TerminateProcess(native.process.get(), kKilledExitCode);
    if (!ok && !has_exited(native.process.get())) {
      return win32::last_error("cannot kill process " + std::to_string(native.pid));
    }
    return ok_result();
  }
  // CTRL_BREAK_EVENT is the only graceful request Windows can deliver to a console program, and
  // only to a process group that shares our console. Without one there is nothing to send, and
  // errc::unsupported tells stop() to skip the grace period.
  if (!native.own_group || !native.console_shared) {
    return Error(errc::unsupported,
                 "cannot stop process " + std::to_string(native.pid) +
                     " gracefully: CTRL_BREAK needs a console shared with the child's own process "
                     "group");
  }
  if (!GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, native.pid)) {
    // Wine 8 does not implement it (FALSE); a real Windows fails only without a shared console.
    const DWORD err = GetLastError();
    if (has_exited(native.process.get())) return ok_result();
    return Error(errc::unsupported, "cannot send CTRL_BREAK to process " +
                                        std::to_string(native.pid) + ": " +
                                        win32::error_text(err));
  }
  return ok_result();
}

void release_process(ProcessState& state) noexcept {
  NativeProcess& native = *state.native();
  state.begin_stop();
  // Whatever is left of the tree goes, even when the child itself already exited: no grandchild
  // survives its owner.
  if (native.own_group) {
    TerminateJobObject(native.job.get(), kKilledExitCode);
  } else if (!state.finished()) {
    TerminateProcess(native.process.get(), kKilledExitCode);
  }
  // The process handle itself is the authority on the exit; waiting on it does not depend on
  // the job's messages, which Windows documents as best-effort.
  WaitForSingleObject(native.process.get(), INFINITE);
  win32::deliver_exit(state, native.process.get());
}

// Job messages and process handles cannot be taken away by the host, unlike SIGCHLD on POSIX.
Result<void> check_exit_notification() { return ok_result(); }

// Windows has one spawn path (CreateProcessW); there is no fallback to force.
bool set_spawn_fallback_for_testing(bool) noexcept { return false; }

Result<void> read_pipes_to_end(Pipe& out, std::string& out_data, Pipe& err, std::string& err_data) {
  // Overlapped reads on both pipes, each with its own event, and one wait on the two events: a
  // child that fills one pipe while we would be blocked on the other cannot deadlock us.
  struct Stream {
    Pipe* pipe;
    std::string* data;
    const char* name;
    OVERLAPPED ov{};
    win32::UniqueHandle event;
    bool pending = false;
    char buf[64 * 1024];
  };
  auto streams = std::make_unique<Stream[]>(2);
  streams[0].pipe = &out;
  streams[0].data = &out_data;
  streams[0].name = "cannot read the child's stdout";
  streams[1].pipe = &err;
  streams[1].data = &err_data;
  streams[1].name = "cannot read the child's stderr";
  for (int i = 0; i < 2; ++i) {
    if (!streams[i].pipe->valid()) continue;
    streams[i].event.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!streams[i].event.valid()) return win32::last_error("CreateEventW");
  }
  auto finish = [&](Stream& s) {
    s.pending = false;
    s.pipe->close();
  };
  // Before an error return: a read still in flight would write into freed buffers.
  auto cancel_all = [&]() {
    for (int i = 0; i < 2; ++i) {
      Stream& s = streams[i];
      if (!s.pending) continue;
      HANDLE h = win32::to_handle(s.pipe->native());
      DWORD ignored = 0;
      CancelIoEx(h, &s.ov);
      GetOverlappedResult(h, &s.ov, &ignored, TRUE);
      s.pending = false;
    }
  };
  for (;;) {
    HANDLE events[2];
    Stream* waiting[2];
    DWORD n = 0;
    for (int i = 0; i < 2; ++i) {
      Stream& s = streams[i];
      if (!s.pipe->valid()) continue;
      if (!s.pending) {
        s.ov = OVERLAPPED{};
        s.ov.hEvent = s.event.get();
        DWORD got = 0;
        if (ReadFile(win32::to_handle(s.pipe->native()), s.buf, sizeof s.buf, &got, &s.ov)) {
          s.data->append(s.buf, got);
          continue;  // completed at once; read again on the next round
        }
        const DWORD e = GetLastError();
        if (e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF) {
          finish(s);
          continue;
        }
        if (e != ERROR_IO_PENDING) {
          finish(s);
          cancel_all();
          return win32::os_error(e, s.name);
        }
        s.pending = true;
      }
      events[n] = s.event.get();
      waiting[n++] = &s;
    }
    if (n == 0) {
      if (!out.valid() && !err.valid()) return ok_result();
      continue;  // every read completed at once; issue the next ones
    }
    const DWORD w = WaitForMultipleObjects(n, events, FALSE, INFINITE);
    if (w >= WAIT_OBJECT_0 + n) {
      Error error = win32::last_error("cannot wait for the child's pipes");
      cancel_all();
      return error;
    }
    Stream& s = *waiting[w - WAIT_OBJECT_0];
    DWORD got = 0;
    if (GetOverlappedResult(win32::to_handle(s.pipe->native()), &s.ov, &got, FALSE)) {
      s.pending = false;
      s.data->append(s.buf, got);
      continue;
    }
    const DWORD e = GetLastError();
    if (e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF) {
      finish(s);
      continue;
    }
    finish(s);
    cancel_all();
    return win32::os_error(e, s.name);
  }
}

}  // namespace modhost::detail
