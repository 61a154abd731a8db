#pragma once
// The Win32 NativeProcess: the handles behind one child, and what signal_process needs to know
// about it.

#include "handle.hpp"

namespace modhost::detail {

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
};

}  // namespace modhost::detail
