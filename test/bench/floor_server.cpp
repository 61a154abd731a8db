// The floor server process (see floor_server.hpp): its start from main(), its request loop, and
// the bench process's side of the two pipes.

#include "floor_server.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <vector>

#include "raw_floor.hpp"

namespace bench {
namespace {

// The bench process's ends: it writes requests to g_request_fd and reads replies from
// g_reply_fd. Both close-on-exec, so no child of the bench process (modhost's, or a raw floor's of
// W5/W6) holds them: the server sees EOF as soon as the bench process is gone.
int g_request_fd = -1;
int g_reply_fd = -1;
pid_t g_server_pid = -1;

bool read_full(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_full(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// W1B's heap in the server: every page written, so the server's address space is as large as the
// bench process's while W1B runs.
std::unique_ptr<char[]> hold_heap(std::int64_t bytes) {
  if (bytes <= 0) return nullptr;
  std::unique_ptr<char[]> heap(new char[static_cast<std::size_t>(bytes)]);
  for (std::int64_t i = 0; i < bytes; i += 4096) heap[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return heap;
}

// The server's life: one request, one reply, until the request pipe reaches EOF. It leaves through
// _exit() so that nothing of the bench process's (stdio buffers, static destructors, Google
// Benchmark's state) runs twice.
[[noreturn]] void serve(int request_fd, int reply_fd) {
#if defined(__linux__)
  // Only a name for ps and top; the server's lifetime rests on the pipe's EOF.
  ::prctl(PR_SET_NAME, "floor_server", 0, 0, 0);
#endif
  std::unique_ptr<char[]> heap;
  std::vector<pid_t> idle;
  FloorRequest request;
  while (read_full(request_fd, &request, sizeof request)) {
    FloorReply reply;
    switch (request.op) {
      case FloorOp::SpawnTrue: reply = raw::spawn_true(); break;
      case FloorOp::ForkExecTrue: reply = raw::fork_exec_true(); break;
      case FloorOp::HoldHeap:
        heap.reset();
        heap = hold_heap(request.arg);
        break;
      case FloorOp::EchoPipes: reply = raw::echo_pipes(); break;
      case FloorOp::StopSleeper: reply = raw::stop_sleeper(); break;
      case FloorOp::ReadLines:
        reply = raw::read_lines(request.arg, request.arg2, static_cast<LineShape>(request.shape));
        break;
      case FloorOp::ConcurrentStop: reply = raw::concurrent_stop(request.arg); break;
      case FloorOp::KillEachIdle: reply = raw::kill_each_idle(request.arg); break;
      case FloorOp::TermAllIdle: reply = raw::term_all_idle(request.arg); break;
      case FloorOp::HoldIdle: reply = raw::hold_idle(request.arg, idle); break;
      default: reply.error = EINVAL; break;
    }
    if (!write_full(reply_fd, &reply, sizeof reply)) break;
  }
  ::_exit(0);
}

}  // namespace

bool start_floor_server() {
  int request[2], reply[2];
  if (::pipe2(request, O_CLOEXEC) != 0) return false;
  if (::pipe2(reply, O_CLOEXEC) != 0) {
    int saved = errno;
    ::close(request[0]);
    ::close(request[1]);
    errno = saved;
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int saved = errno;
    for (int fd : {request[0], request[1], reply[0], reply[1]}) ::close(fd);
    errno = saved;
    return false;
  }
  if (pid == 0) {
    // The server keeps only its own ends: with the bench process's write end closed here, the
    // request pipe's EOF means exactly "the bench process is gone or done".
    ::close(request[1]);
    ::close(reply[0]);
    serve(request[0], reply[1]);
  }
  ::close(request[0]);
  ::close(reply[1]);
  g_request_fd = request[1];
  g_reply_fd = reply[0];
  g_server_pid = pid;
  return true;
}

void stop_floor_server() {
  if (g_request_fd >= 0) ::close(g_request_fd);
  if (g_reply_fd >= 0) ::close(g_reply_fd);
  g_request_fd = g_reply_fd = -1;
  if (g_server_pid > 0) {
    // This one pid only: modhost's exit watcher owns the bench process's other children.
    while (::waitpid(g_server_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    g_server_pid = -1;
  }
}

FloorReply floor_call(FloorOp op, std::int64_t arg, std::int64_t arg2, std::int32_t shape) {
  FloorReply reply;
  reply.error = -1;
  if (g_request_fd < 0) return reply;
  FloorRequest request;
  request.op = op;
  request.arg = arg;
  request.arg2 = arg2;
  request.shape = shape;
  if (!write_full(g_request_fd, &request, sizeof request) ||
      !read_full(g_reply_fd, &reply, sizeof reply)) {
    // The server is gone: later calls fail at once instead of writing into a broken pipe (and
    // taking SIGPIPE).
    ::close(g_request_fd);
    ::close(g_reply_fd);
    g_request_fd = g_reply_fd = -1;
    reply = FloorReply();
    reply.error = -1;
  }
  return reply;
}

}  // namespace bench
