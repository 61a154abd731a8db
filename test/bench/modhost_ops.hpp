#pragma once
// modhost's side of W1, W2 and W4: one operation each, timed by the function itself so that untimed
// setup stays out. Shared by the W1-W4 benchmarks and by W8, which repeats W1 and W4 with idle
// children alive.

#include "modhost/child_process.hpp"

namespace bench {

// /bin/true with stdio on the null device.
modhost::SpawnOptions true_options();
// /bin/echo hello with stdout and stderr piped.
modhost::SpawnOptions echo_options();
// /bin/sleep 1000 with stdio on the null device; it dies on SIGTERM.
modhost::SpawnOptions sleeper_options();

// W1: spawn + wait, timed whole. Seconds, negative on error.
double modhost_true_once(const modhost::SpawnOptions& o);
// W2: spawn + output() (both pipes to EOF, then the exit), timed whole. Seconds, negative on error.
double modhost_echo_once(const modhost::SpawnOptions& o);
// W4: spawn (untimed), then stop() with a 5 s grace, timed until it returned. Seconds, negative on
// error or when the child had to be killed.
double modhost_stop_once(const modhost::SpawnOptions& o);

}  // namespace bench
