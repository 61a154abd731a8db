#pragma once
// The Win32 exit watcher: one thread for the whole process, blocked on one I/O completion port to
// which every child's job object reports (JOB_OBJECT_MSG_EXIT_PROCESS and friends). When a
// child's own process exits, its status is delivered with ProcessState::set_exited().

#include <cstdint>
#include <memory>

#include "handle.hpp"

namespace modhost::detail {
class ProcessState;
}

namespace modhost::detail::win32 {

// Associates `job` with the watcher's port and remembers `state` (weakly) under a new id, which is
// returned. The watcher thread starts on the first call and lives as long as the process (never
// torn down by a static destructor). Thread-safe.
Result<std::uint64_t> exit_watcher_register(HANDLE job, const std::shared_ptr<ProcessState>& state);

// Forgets the id; messages that still arrive for it are ignored. Thread-safe; 0 is ignored.
void exit_watcher_unregister(std::uint64_t id) noexcept;

// Reads the exit code of `process` (which must be signalled) into `state`. Used by the watcher and
// by release_process, whichever is first; the first status delivered wins.
void deliver_exit(ProcessState& state, HANDLE process) noexcept;

}  // namespace modhost::detail::win32
