#pragma once
// How the Win32 platform learns of a child's exit: from the child's process handle, which is
// signalled when the process ends, whoever looks. The exit watcher (exit_watcher.cpp) is one
// thread for the whole process that settles every exit even when nobody waits for it; waiters
// look at the handle themselves (exit_wait.cpp). Job objects play no part in it: their
// completion-port messages are documented as not guaranteed to arrive.

#include <memory>

#include "modhost/result.hpp"

namespace modhost::detail {
class ProcessState;
}

namespace modhost::detail::win32 {

// Makes sure the watcher's completion port and thread exist. Both are made on the first call and
// live as long as the process; after a failure the next call tries again. Called before a child
// is created, so that a failure leaves nothing to undo. Errors: the port or the thread could not
// be made. Thread-safe.
Result<void> prepare_exit_watcher();

// Hands a freshly created child to the watcher: a thread-pool wait on its process handle posts to
// the watcher's port when it is signalled, and the watcher then settles the exit (settle_exit),
// unregisters the wait and only then lets go of `state`, so the handle outlives the wait. A child
// that has already exited is reported at once. Requires a successful prepare_exit_watcher().
// Errors: the wait could not be registered (nothing is kept then). Thread-safe.
Result<void> watch_child(std::shared_ptr<ProcessState> state);

// The one probe of every path that learns of an exit (the watcher, an in-place wait, poll_exit,
// release_process): if the process handle is signalled, publishes its exit code through
// ProcessState::settle. Returns true once the exit is published (now or before). Never blocks.
bool settle_exit(ProcessState& state) noexcept;

}  // namespace modhost::detail::win32
