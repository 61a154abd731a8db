#pragma once
// The floor server: a child process, forked at the very start of the bench binary's main() before
// any modhost call, that performs the raw-system-call floors on request and times them itself.
//
// Why a separate process: once modhost has spawned anything, the bench process carries its SIGCHLD
// handler, its exit-watcher thread and its pthread_atfork handlers, and a raw posix_spawn + waitpid
// run in that process is a few percent slower than in a clean one, which would flatter every ratio
// to the floor. The server never calls modhost, so it stays the clean process the workloads ask for.
//
// Protocol: the bench process writes one FloorRequest to the request pipe; the server performs the
// operation, measures only the operation (the round trip is never part of a figure), and writes one
// FloorReply back. The server exits when the request pipe reaches EOF, that is when the bench
// process closes it or exits, and it reaps its own children with waitpid(pid) only.

#include <cstdint>

namespace bench {

// What the server can run. Each reply's wall_ns covers the timed part named here only.
enum class FloorOp : std::int32_t {
  // W1/W1B: posix_spawn /bin/true with stdio on /dev/null, waitpid. Timed: all of it.
  SpawnTrue = 1,
  // W1B reference: fork + execve /bin/true + waitpid, from the server (with its heap, if held).
  ForkExecTrue,
  // W1B: hold arg bytes of touched heap in the server until the next HoldHeap (0 frees it).
  HoldHeap,
  // W2: posix_spawn /bin/echo hello, stdout and stderr on two pipes, poll + read both to EOF,
  // waitpid. Timed: all of it.
  EchoPipes,
  // W4: posix_spawn /bin/sleep 1000 (untimed), then kill(SIGTERM) + waitpid. Timed: the stop.
  StopSleeper,
  // W3: the line writer with arg lines of arg2 bytes in the request's shape (a LineShape), read
  // with poll + read() counting '\n', waitpid. Timed: all of it; reply carries lines, bytes and
  // the server's CPU time.
  ReadLines,
  // Concurrent stops: arg sleepers spawned (untimed) and arg threads parked at a gate; timed from
  // their release until the last thread's kill(SIGTERM) + waitpid(pid) returned.
  ConcurrentStop,
  // Teardown: arg idle sleepers spawned (untimed); timed: kill(SIGKILL) + waitpid of each in turn
  // (what a vector of owning objects does when destroyed).
  KillEachIdle,
  // Teardown: arg idle sleepers spawned (untimed); timed: kill(SIGTERM) to all, then waitpid of
  // each (one graceful round, what a shutdown of well-behaved children needs).
  TermAllIdle,
  // W8: hold arg idle sleepers in the server until the next HoldIdle (0 kills and reaps them), so
  // that the floor's own cost of many live children is measured beside modhost's. Untimed.
  HoldIdle,
};

struct FloorRequest {
  FloorOp op = FloorOp::SpawnTrue;
  // ReadLines: the line shape (a LineShape of line_shapes.hpp); 0 elsewhere.
  std::int32_t shape = 0;
  std::int64_t arg = 0;
  std::int64_t arg2 = 0;
};

struct FloorReply {
  // Monotonic-clock nanoseconds of the timed part, measured in the server.
  std::int64_t wall_ns = 0;
  // The server's CPU time (all its threads) over the timed part.
  std::int64_t cpu_ns = 0;
  // ReadLines: lines and bytes read.
  std::int64_t lines = 0;
  std::int64_t bytes = 0;
  // 0, or an errno value (or -1 when the server is gone) telling why the operation failed.
  std::int32_t error = 0;
  std::int32_t reserved = 0;

  bool ok() const { return error == 0; }
  double seconds() const { return static_cast<double>(wall_ns) * 1e-9; }
  double cpu_seconds() const { return static_cast<double>(cpu_ns) * 1e-9; }
};

// Forks the server. Call first thing in main(), before anything else runs in the process; returns
// false (with errno set) if the pipes or the fork failed. The server process never returns.
bool start_floor_server();

// Closes the request pipe and waits for the server to exit. Optional: exiting the bench process
// closes the pipe just as well.
void stop_floor_server();

// Runs one operation in the server and returns its reply; error -1 when there is no server. One
// caller at a time (benchmarks run on one thread).
FloorReply floor_call(FloorOp op, std::int64_t arg = 0, std::int64_t arg2 = 0,
                      std::int32_t shape = 0);

}  // namespace bench
