// What LocalProcessBackend's poll thread does: forward pipe data line by line, finish a stream at
// EOF, learn of exits, and act on deadlines (drain timeouts, partial-line flushes).

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"

namespace modhost {

using detail::Instance;

namespace {

// How long the poll thread waits, after the kernel said a child exited, for the platform's exit
// watcher to reap it and publish the status. It normally takes microseconds; the bound only keeps
// a host that broke the SIGCHLD contract from stalling every other instance's logs.
constexpr std::chrono::seconds kStatusPublishWait{1};

}  // namespace

void LocalProcessBackend::Impl::note_poll_thread() noexcept {
  if (poll_thread_.load(std::memory_order_relaxed) == std::thread::id()) {
    poll_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
}

bool LocalProcessBackend::Impl::on_poll_thread() const noexcept {
  return poll_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

std::shared_ptr<Instance> LocalProcessBackend::Impl::find_locked(std::uint64_t key) const {
  auto it = by_seq_.find(key / 4);
  return it == by_seq_.end() ? nullptr : it->second;
}

void LocalProcessBackend::Impl::on_data(std::uint64_t key, std::string_view bytes) {
  note_poll_thread();
  std::shared_ptr<Instance> inst;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst = find_locked(key);
  }
  if (!inst) return;
  detail::StreamForwarder& fw = (key % 4 == detail::kStdoutSlot) ? inst->out : inst->err;
  {
    // One lock and one clock read per read() (up to 64 KiB, ~1,000 lines), not per line.
    std::lock_guard<std::recursive_mutex> lock(sink_mutex_);
    fw.feed(bytes, inst->context(), options_.sink, std::chrono::system_clock::now());
  }
  if (options_.partial_line_timeout.count() > 0 && fw.has_partial()) {
    fw.partial_since = SteadyClock::now();
    schedule_deadline(fw.partial_since + options_.partial_line_timeout);
  }
}

void LocalProcessBackend::Impl::on_eof(std::uint64_t key) {
  note_poll_thread();
  std::shared_ptr<Instance> inst;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst = find_locked(key);
  }
  if (!inst) return;
  if (key % 4 == detail::kExitSlot) {
    handle_exit(inst, true);
    return;
  }
  detail::StreamForwarder& fw = (key % 4 == detail::kStdoutSlot) ? inst->out : inst->err;
  {
    std::lock_guard<std::recursive_mutex> lock(sink_mutex_);
    fw.finish(inst->context(), options_.sink, std::chrono::system_clock::now());
  }
  bool emit_now = false;
  bool maybe_exited = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (inst->open_streams > 0) --inst->open_streams;
    if (inst->open_streams == 0) {
      if (inst->exit_record_pending && !inst->finalized) {
        inst->finalized = true;
        inst->exit_record_pending = false;
        emit_now = true;
      }
      // Without an exit event from the platform, both pipes closing is the best hint of an exit
      // (also of one kill_all caused, which no stopper waits for).
      maybe_exited = !inst->exit_watched && inst->state != InstanceState::Exited;
    }
  }
  cv_.notify_all();
  if (emit_now) emit_exit(inst);
  if (maybe_exited) handle_exit(inst, true);
}

void LocalProcessBackend::Impl::handle_exit(const std::shared_ptr<Instance>& inst,
                                            bool poll_thread, std::optional<ExitStatus> known) {
  bool watched;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (inst->state == InstanceState::Exited) return;  // noticed already, by another path
    watched = inst->exit_watched;
  }
  Result<std::optional<ExitStatus>> status = known;
  if (!known) {
    status = inst->child.try_wait();
    if (status.ok() && !status->has_value()) {
      // The kernel reports the exit before the watcher has reaped the child. Without an exit
      // event (pipes closed, process maybe alive) wait no longer than the drain timeout.
      auto bound = watched ? std::chrono::duration_cast<std::chrono::nanoseconds>(kStatusPublishWait)
                           : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 options_.forwarder_drain_timeout);
      status = inst->child.wait_for(bound);
    }
    if (status.ok() && !status->has_value() && !watched) return;  // still alive: not an exit
  }
  std::string problem;
  if (!status.ok()) {
    problem = status.error().message();
  } else if (!status->has_value()) {
    problem = "the exit status was not published in time";
  }
  bool emit_now = false;
  SteadyClock::time_point deadline;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (inst->state == InstanceState::Exited) return;
    inst->state = InstanceState::Exited;
    if (status.ok() && status->has_value()) inst->exit_status = **status;
    // By itself means: before any stop of it began. An exit a stop caused is recorded with what
    // that stop did, here and now, so its record need not wait for the rest of a shutdown.
    inst->exited_by_itself = !inst->stop_began || inst->ended_before_stop;
    if (!inst->exited_by_itself) {
      StopResult r;
      r.status = inst->exit_status.value_or(ExitStatus::exited(-1));
      r.graceful_sent = inst->graceful_sent;
      r.killed = inst->kill_sent;
      inst->stop_result = r;
      // A stopped instance's pipes are closed once drained; one that ended by itself keeps them
      // (a descendant may still log) until it is stopped.
      inst->close_when_drained = true;
    }
    if (inst->open_streams == 0) {
      inst->finalized = true;
      emit_now = true;
    } else {
      // Give the pipes the drain timeout to deliver the last lines before the exit record.
      inst->exit_record_pending = true;
      inst->drain_deadline = std::min(inst->drain_deadline,
                                      SteadyClock::now() + options_.forwarder_drain_timeout);
      deadline = inst->drain_deadline;
    }
  }
  if (!problem.empty()) {
    supervisor(LogLevel::Warn, inst->handle.module, inst->handle.instance_id,
               "exited, but its status is unknown: " + problem);
  }
  if (emit_now) {
    emit_exit(inst);
  } else if (poll_thread) {
    schedule_deadline(deadline);
  } else {
    reader_->wake();
  }
}

void LocalProcessBackend::Impl::schedule_deadline(SteadyClock::time_point when) {
  if (when < next_deadline_) {
    next_deadline_ = when;
    reader_->set_deadline(when);
  }
}

void LocalProcessBackend::Impl::on_wake() {
  note_poll_thread();
  const auto now = SteadyClock::now();
  auto next = SteadyClock::time_point::max();
  std::vector<std::shared_ptr<Instance>> to_close;
  std::vector<std::shared_ptr<Instance>> to_emit;
  std::vector<std::shared_ptr<Instance>> partial;
  const bool flush_partials = options_.partial_line_timeout.count() > 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& kv : by_seq_) {
      const std::shared_ptr<Instance>& inst = kv.second;
      if (inst->drain_deadline <= now) {
        inst->drain_deadline = SteadyClock::time_point::max();
        if (inst->close_when_drained && inst->open_streams > 0) to_close.push_back(inst);
        if (inst->exit_record_pending && !inst->finalized) {
          inst->finalized = true;
          inst->exit_record_pending = false;
          to_emit.push_back(inst);
        }
      } else if (inst->drain_deadline != SteadyClock::time_point::max()) {
        next = std::min(next, inst->drain_deadline);
      }
      if (flush_partials && inst->open_streams > 0) partial.push_back(inst);
    }
  }
  for (const auto& inst : to_close) {
    // The instance is gone and the drain timeout passed: whatever still holds the pipes (a
    // descendant that left the group) is not waited for. What was read is still forwarded.
    reader_->remove(inst->key(detail::kStdoutSlot));
    reader_->remove(inst->key(detail::kStderrSlot));
    {
      std::lock_guard<std::recursive_mutex> lock(sink_mutex_);
      auto ts = std::chrono::system_clock::now();
      inst->out.finish(inst->context(), options_.sink, ts);
      inst->err.finish(inst->context(), options_.sink, ts);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      inst->open_streams = 0;
    }
    cv_.notify_all();
  }
  for (const auto& inst : to_emit) emit_exit(inst);
  for (const auto& inst : partial) {
    for (detail::StreamForwarder* fw : {&inst->out, &inst->err}) {
      if (!fw->has_partial()) continue;
      auto due = fw->partial_since + options_.partial_line_timeout;
      if (due <= now) {
        std::lock_guard<std::recursive_mutex> lock(sink_mutex_);
        // A lone trailing '\r' stays held back (a '\n' may follow); new bytes reschedule it.
        fw->flush(inst->context(), options_.sink, std::chrono::system_clock::now());
      } else {
        next = std::min(next, due);
      }
    }
  }
  next_deadline_ = next;
  reader_->set_deadline(next);
}

}  // namespace modhost
