#pragma once
// The raw-system-call floors, as the floor server runs them. Each function performs one operation
// of floor_server.hpp's FloorOp, times only the part named there, and returns the reply. They are
// meant for the server's clean process: nothing here calls modhost.

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "floor_server.hpp"
#include "line_shapes.hpp"

namespace bench::raw {

FloorReply spawn_true();
FloorReply fork_exec_true();
FloorReply echo_pipes();
FloorReply stop_sleeper();
FloorReply read_lines(std::int64_t lines, std::int64_t length, LineShape shape);
FloorReply concurrent_stop(std::int64_t children);
FloorReply kill_each_idle(std::int64_t children);
FloorReply term_all_idle(std::int64_t children);

// W8's idle children, held between requests: `children` sleepers replace those in `held` (which
// are killed and reaped first). Untimed.
FloorReply hold_idle(std::int64_t children, std::vector<pid_t>& held);

}  // namespace bench::raw
