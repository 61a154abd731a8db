#pragma once
// Reaping orphans: what the tool does so that it can be a container's PID 1 (as tini and dumb-init
// are) and so that the descendants its processes leave behind do not stay zombies. Implemented
// once per platform in platform/<os>/cli/reaper.cpp.

#include "modhost/result.hpp"

namespace modhost::cli {

/// Makes the tool reap the orphaned descendants of its processes, for the rest of its life.
///
/// Linux: the tool becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`), so an orphan of one of
/// its processes is reparented to it (as to PID 1 in a container), and a thread reaps every child
/// that exits and is not the library's: it peeks with `waitid(P_ALL, WNOWAIT)` and asks
/// `modhost::is_modhost_child` before reaping, so no instance ever loses its exit status, on
/// either of the library's exit paths. It learns of exits from a SIGCHLD handler writing to a
/// self-pipe; the handler is installed here, before the library's first spawn, so the library's
/// own handler (on its SIGCHLD path) chains to it. Other POSIX systems: the same reaper, without
/// the subreaper (it then reaps only what is reparented to a PID 1 tool). Call once, on the main
/// thread, before the tool spawns anything; later calls do nothing. Errors: the pipe, the handler
/// or the thread could not be made (the tool then runs without reaping orphans).
///
/// Windows: does nothing (no zombies there; a job object already ends the tree).
Result<void> start_orphan_reaper();

}  // namespace modhost::cli
