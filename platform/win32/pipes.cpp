// Named pipes for a child's stdio (see pipes.hpp).

#include "pipes.hpp"

#include <atomic>
#include <cstdio>

namespace modhost::detail::win32 {
namespace {

constexpr DWORD kPipeBufferSize = 64 * 1024;

// A name no one else uses: our pid, a counter, and random bits so a squatter cannot predict it.
// FILE_FLAG_FIRST_PIPE_INSTANCE makes creation fail rather than join a pipe someone else made.
std::wstring unique_pipe_name() {
  static std::atomic<unsigned long long> counter{0};
  unsigned long long random = 0;
  (void)os_random(&random, sizeof random);  // the pid and counter alone are already unique
  wchar_t name[96];
  std::swprintf(name, sizeof name / sizeof name[0], L"\\\\.\\pipe\\modhost-%lu-%llu-%016llx",
                static_cast<unsigned long>(GetCurrentProcessId()), ++counter, random);
  return name;
}

}  // namespace

Result<ChildPipe> make_child_pipe(bool parent_reads) {
  SECURITY_ATTRIBUTES inheritable{};
  inheritable.nLength = sizeof inheritable;
  inheritable.bInheritHandle = TRUE;

  const DWORD open_mode = (parent_reads ? PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED
                                        : PIPE_ACCESS_OUTBOUND) |
                          FILE_FLAG_FIRST_PIPE_INSTANCE;
  const DWORD pipe_mode =
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
  for (int attempt = 0;; ++attempt) {
    const std::wstring name = unique_pipe_name();
    // Not inheritable (null security attributes): the parent's end never reaches a child.
    UniqueHandle server(CreateNamedPipeW(name.c_str(), open_mode, pipe_mode, 1, kPipeBufferSize,
                                         kPipeBufferSize, 0, nullptr));
    if (!server.valid()) {
      const DWORD err = GetLastError();
      // Taken by someone else: try another name a few times.
      if ((err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY) && attempt < 4) continue;
      return os_error(err, "cannot create a pipe for the child");
    }
    // The child's end is a plain synchronous handle: children expect ordinary blocking stdio.
    UniqueHandle client(CreateFileW(name.c_str(), parent_reads ? GENERIC_WRITE : GENERIC_READ, 0,
                                    &inheritable, OPEN_EXISTING, 0, nullptr));
    if (!client.valid()) return last_error("cannot open the child's end of a pipe");
    ChildPipe pipe;
    pipe.parent = Pipe(to_native(server.release()));
    pipe.child = std::move(client);
    return pipe;
  }
}

Result<UniqueHandle> open_null_device(bool for_reading) {
  SECURITY_ATTRIBUTES inheritable{};
  inheritable.nLength = sizeof inheritable;
  inheritable.bInheritHandle = TRUE;
  UniqueHandle h(CreateFileW(L"NUL", for_reading ? GENERIC_READ : GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_WRITE, &inheritable, OPEN_EXISTING, 0,
                             nullptr));
  if (!h.valid()) return last_error("cannot open the NUL device");
  return h;
}

}  // namespace modhost::detail::win32
