// Win32 operations on a running child: the graceful request (graceful_stop.hpp) and job
// termination (signal_process, send_signal), release, and reading its pipes to the end.

#include <csignal>
#include <memory>
#include <string>

#include "exit_watcher.hpp"
#include "graceful_stop.hpp"
#include "native_process.hpp"
#include "modhost_process_state.hpp"

namespace modhost::detail {

namespace {

// The exit code a killed child reports (what TerminateProcess is told), as Rust and libuv do.
constexpr UINT kKilledExitCode = 1;

// SIGKILL's number on POSIX systems. <csignal> has no SIGKILL on Windows, but send_signal takes
// POSIX signal numbers, and a caller that means "kill" passes this one.
constexpr int kKillSignal = 9;

bool has_exited(HANDLE process) { return WaitForSingleObject(process, 0) == WAIT_OBJECT_0; }

// Sends `signal`; called under the state's mutex while the exit is unpublished (with_running).
Result<void> deliver(NativeProcess& native, StopSignal signal) {
  if (signal == StopSignal::Kill) return kill_child(native);
  return win32::request_graceful_stop(native);
}

}  // namespace

Result<void> kill_child(NativeProcess& native) {
  native.killed = true;
  // The job holds the child and everything it started: terminating it ends the whole tree at
  // once. Without its own group the child alone is killed, as on POSIX.
  const BOOL ok = native.own_group ? TerminateJobObject(native.job.get(), kKilledExitCode)
                                   : TerminateProcess(native.process.get(), kKilledExitCode);
  if (!ok && !has_exited(native.process.get())) {
    return win32::last_error("cannot kill process " + std::to_string(native.pid));
  }
  return ok_result();
}

void NativeProcessDeleter::operator()(NativeProcess* native) const noexcept {
  // Closing the job handle of a kill-on-close job ends whatever is left of the tree. The exit
  // watcher held the state until its wait on the process handle was unregistered, so nothing
  // waits on the handles any more.
  delete native;
}

Result<void> signal_process(ProcessState& state, StopSignal signal) noexcept {
  Result<void> result = ok_result();
  // A child whose exit is published needs nothing: ok, as documented.
  state.with_running([&] { result = deliver(*state.native(), signal); });
  return result;
}

Result<void> send_signal(ProcessState& state, int sig) noexcept {
  StopSignal signal;
  if (sig == SIGINT || sig == SIGTERM) {
    signal = StopSignal::Terminate;
  } else if (sig == kKillSignal) {
    signal = StopSignal::Kill;
  } else {
    return Error(errc::unsupported,
                 "cannot send signal " + std::to_string(sig) + " to process " +
                     std::to_string(state.pid()) +
                     ": Windows has no signals; only SIGINT and SIGTERM (sent as the graceful "
                     "request: CTRL_BREAK or WM_CLOSE) and 9 (termination) are supported");
  }
  Result<void> result = ok_result();
  if (!state.with_running([&] { result = deliver(*state.native(), signal); })) {
    return Error(errc::not_running, "cannot send signal " + std::to_string(sig) + " to process " +
                                        std::to_string(state.pid()) + ": it has exited");
  }
  return result;
}

void release_process(ProcessState& state) noexcept {
  NativeProcess& native = *state.native();
  state.begin_stop();
  // Whatever is left of the tree goes, even when the child itself already exited: no grandchild
  // survives its owner.
  if (native.own_group) {
    TerminateJobObject(native.job.get(), kKilledExitCode);
  } else {
    state.with_running([&] { TerminateProcess(native.process.get(), kKilledExitCode); });
  }
  // The process handle is the authority on the exit: wait on it here and settle in place, which
  // depends on no other thread.
  WaitForSingleObject(native.process.get(), INFINITE);
  win32::settle_exit(state);
}

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
