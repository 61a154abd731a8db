// See modhost_ops.hpp.

#include "modhost_ops.hpp"

#include <chrono>

#include "paired.hpp"

namespace bench {

modhost::SpawnOptions true_options() {
  modhost::SpawnOptions o;
  o.program = "/bin/true";
  o.stdin_mode = modhost::Stdio::Null;
  o.stdout_mode = modhost::Stdio::Null;
  o.stderr_mode = modhost::Stdio::Null;
  return o;
}

modhost::SpawnOptions echo_options() {
  modhost::SpawnOptions o;
  o.program = "/bin/echo";
  o.args = {"hello"};
  o.stdout_mode = modhost::Stdio::Pipe;
  o.stderr_mode = modhost::Stdio::Pipe;
  return o;
}

modhost::SpawnOptions sleeper_options() {
  modhost::SpawnOptions o;
  o.program = "/bin/sleep";
  o.args = {"1000"};
  o.stdout_mode = modhost::Stdio::Null;
  o.stderr_mode = modhost::Stdio::Null;
  return o;
}

double modhost_true_once(const modhost::SpawnOptions& o) {
  auto t0 = Clock::now();
  auto c = modhost::ChildProcess::spawn(o);
  if (!c || !c->wait()) return -1;
  return seconds_since(t0);
}

double modhost_echo_once(const modhost::SpawnOptions& o) {
  auto t0 = Clock::now();
  auto c = modhost::ChildProcess::spawn(o);
  if (!c) return -1;
  auto out = c->output();
  if (!out || out->stdout_data != "hello\n") return -1;
  return seconds_since(t0);
}

double modhost_stop_once(const modhost::SpawnOptions& o) {
  auto c = modhost::ChildProcess::spawn(o);
  if (!c) return -1;
  auto t0 = Clock::now();
  auto r = c->stop(std::chrono::seconds(5));
  if (!r || r->killed) return -1;
  return seconds_since(t0);
}

}  // namespace bench
