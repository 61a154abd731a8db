#pragma once
// The Win32 NativeProcess: the handles behind one child, and what signal_process needs to know
// about it.

#include <memory>

#include "handle.hpp"

namespace modhost::detail {

class ProcessState;

struct NativeProcess {
  // The child's process handle: signalled when it exits, the one source of its exit (see
  // exit_watcher.hpp). Closed with the NativeProcess, after the watcher's wait on it is gone.
  win32::UniqueHandle process;
  // The job it was started in (see spawn.cpp for its limits): Kill terminates it, and closing it
  // ends a kill-on-close job's whole tree. It reports to no completion port.
  win32::UniqueHandle job;
  DWORD pid = 0;
  // Started with CREATE_NEW_PROCESS_GROUP in a kill-on-close job: Kill terminates the whole job,
  // and CTRL_BREAK can be sent to the group.
  bool own_group = false;
  // The host had a console and the child was started in it (no CREATE_NO_WINDOW), so a
  // CTRL_BREAK_EVENT can reach the child's group.
  bool console_shared = false;
  // The program is a GUI program (graceful_stop.hpp): its graceful request is WM_CLOSE to its
  // windows, not CTRL_BREAK.
  bool gui = false;
  // The state that owns this NativeProcess, so a graceful request sent off the caller's thread
  // can hold it (and with it the process handle, so the process id is not reused meanwhile).
  std::weak_ptr<ProcessState> owner;
  // Set by kill_child, under the state's mutex: a graceful request that fails after the child was
  // killed (its grace ran out first) is no longer a request that went undelivered.
  bool killed = false;
};

// Kills the child: terminates its job (the whole tree) when it has its own group, else the
// process alone. Ok when it has exited already. Called under the state's mutex (with_running),
// while its exit is not published. (process.cpp)
Result<void> kill_child(NativeProcess& native);

}  // namespace modhost::detail
