// What LocalProcessBackend's poll thread does with the reader's events: it first runs the commands
// other threads posted (so a Spawned command always precedes its instance's first line), then
// forwards pipe data line by line, finishes a stream at EOF, and acts on deadlines (kills at the
// end of a grace period, drain timeouts, partial-line flushes).

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "backend_impl.hpp"
#include "modhost_process_state.hpp"

namespace modhost {

using detail::Command;
using detail::Instance;
using detail::Phase;

bool LocalProcessBackend::Impl::on_poll_thread() const noexcept {
  return poll_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

void LocalProcessBackend::Impl::run_commands() {
  if (poll_thread_.load(std::memory_order_relaxed) == std::thread::id()) {
    poll_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  std::vector<Command> batch;
  while (mailbox_->take(batch)) {
    for (Command& command : batch) on_command(command);
    batch.clear();
  }
}

void LocalProcessBackend::Impl::on_data(std::uint64_t key, std::string_view bytes) {
  run_commands();
  const detail::ReaderKey which = detail::ReaderKey::decode(key);
  auto it = live_.find(which.seq);
  if (it == live_.end()) return;
  Instance& inst = *it->second;
  detail::StreamForwarder& fw = which.stream == StreamKind::Stdout ? inst.out : inst.err;
  // One clock read per read() (up to 64 KiB, ~1,000 lines), not per line.
  fw.feed(bytes, inst.context(), target(), std::chrono::system_clock::now());
  if (options_.partial_line_timeout.count() > 0 && fw.has_partial()) {
    fw.partial_since = SteadyClock::now();
    schedule(fw.partial_since + options_.partial_line_timeout);
  }
}

void LocalProcessBackend::Impl::on_eof(std::uint64_t key) {
  run_commands();
  const detail::ReaderKey which = detail::ReaderKey::decode(key);
  InstancePtr inst = live(which.seq);
  if (!inst) return;
  detail::StreamForwarder& fw = which.stream == StreamKind::Stdout ? inst->out : inst->err;
  fw.finish(inst->context(), target(), std::chrono::system_clock::now());
  if (inst->open_streams > 0) --inst->open_streams;
  advance(inst);
}

void LocalProcessBackend::Impl::on_wake() {
  run_commands();
  if (SteadyClock::now() >= next_deadline_) run_timers();
}

void LocalProcessBackend::Impl::schedule(SteadyClock::time_point when) {
  if (when < next_deadline_) {
    next_deadline_ = when;
    reader_->set_deadline(when);
  }
}

void LocalProcessBackend::Impl::run_timers() {
  const auto now = SteadyClock::now();
  const bool flush_partials = options_.partial_line_timeout.count() > 0;
  std::vector<InstancePtr> to_kill, to_recheck, to_advance, partial;
  for (const auto& kv : live_) {
    const InstancePtr& inst = kv.second;
    if (inst->phase == Phase::Stopping) {
      if (inst->stop.kill_at <= now) to_kill.push_back(inst);
      if (inst->stop.recheck_at <= now) to_recheck.push_back(inst);
    }
    if (inst->drain_at <= now) to_advance.push_back(inst);
    if (flush_partials && inst->open_streams > 0) partial.push_back(inst);
  }
  for (const auto& inst : to_kill) {
    kill(*inst, "the grace period is over");
  }
  for (const auto& inst : to_recheck) {
    // Killed a while ago and still no exit heard of: look for it directly. An exit found here
    // is published, and its Exited command follows; else look again later.
    detail::poll_exit(detail::ChildProcessAccess::state(inst->child), true);
    if (inst->phase == Phase::Stopping) {
      std::lock_guard<std::mutex> lock(mutex_);
      inst->stop.recheck_at = now + std::chrono::seconds(1);
    }
  }
  for (const auto& inst : to_advance) {
    if (live_.count(inst->seq) != 0) advance(inst);
  }
  for (const auto& inst : partial) {
    for (detail::StreamForwarder* fw : {&inst->out, &inst->err}) {
      // A lone trailing '\r' stays held back (a '\n' may follow); new bytes reschedule it.
      if (fw->has_partial() && fw->partial_since + options_.partial_line_timeout <= now) {
        fw->flush(inst->context(), target(), std::chrono::system_clock::now());
      }
    }
  }
  // The next deadline, over everything that is still waiting for one.
  auto next = detail::kNever;
  for (const auto& kv : live_) {
    const Instance& inst = *kv.second;
    if (inst.phase == Phase::Stopping) next = std::min({next, inst.stop.kill_at, inst.stop.recheck_at});
    next = std::min(next, inst.drain_at);
    if (flush_partials) {
      // A partial line flushed just now (a lone '\r' is kept back) waits for new bytes, which
      // schedule it again; only the ones not yet due count.
      for (const detail::StreamForwarder* fw : {&inst.out, &inst.err}) {
        auto due = fw->partial_since + options_.partial_line_timeout;
        if (fw->has_partial() && due > now) next = std::min(next, due);
      }
    }
  }
  next_deadline_ = next;
  reader_->set_deadline(next);
}

}  // namespace modhost
