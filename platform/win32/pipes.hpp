#pragma once
// The pipes between the host and a child: a named pipe per stream, because only named pipes can
// be opened for overlapped I/O (anonymous pipes cannot), and the PipeReader's completion port
// needs overlapped read ends.

#include "handle.hpp"

namespace modhost::detail::win32 {

// One pipe: the parent's end, not inheritable, and the child's end, inheritable (it is handed to
// exactly one child through PROC_THREAD_ATTRIBUTE_HANDLE_LIST and closed in the parent right after
// CreateProcessW).
struct ChildPipe {
  Pipe parent;
  UniqueHandle child;
};

// `parent_reads`: the child writes (stdout/stderr) and the parent's end is an overlapped read end.
// Otherwise (stdin) the child reads and the parent's end is a plain, synchronous write end, so
// that WriteFile without an OVERLAPPED works on it.
Result<ChildPipe> make_child_pipe(bool parent_reads);

// An inheritable handle to the NUL device, for Stdio::Null.
Result<UniqueHandle> open_null_device(bool for_reading);

}  // namespace modhost::detail::win32
