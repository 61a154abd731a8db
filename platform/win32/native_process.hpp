#pragma once
// The Win32 NativeProcess: the handles behind one child, and what the exit watcher and
// signal_process need to know about it.

#include <cstdint>

#include "handle.hpp"

namespace modhost::detail {

struct NativeProcess {
  win32::UniqueHandle process;  // the child's process handle (signalled when it exits)
  win32::UniqueHandle job;      // the job it was started in (see spawn.cpp for its limits)
  DWORD pid = 0;
  // Started with CREATE_NEW_PROCESS_GROUP in a kill-on-close job: Kill terminates the whole job,
  // and CTRL_BREAK can be sent to the group.
  bool own_group = false;
  // The host had a console and the child was started in it (no CREATE_NO_WINDOW), so a
  // CTRL_BREAK_EVENT can reach the child's group.
  bool console_shared = false;
  // The child's registration with the exit watcher (0 when none).
  std::uint64_t watch_id = 0;
};

}  // namespace modhost::detail
