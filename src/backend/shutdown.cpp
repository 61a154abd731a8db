// Stopping instances: the steps every stop shares (claim, one graceful request, kill, collect),
// the drain after a stop, the parallel shutdown against one deadline, kill_all, and the stopper
// thread a cancelled token starts.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"

namespace modhost {

using detail::Instance;

bool LocalProcessBackend::Impl::begin_stop_locked(Instance& inst) {
  // One stop per instance sends the graceful request: a shutdown that finds an instance a
  // stop_instance is already stopping (or kill_all killed) must not send SIGTERM a second time,
  // which a child counting its signals ("press Ctrl-C again to quit") would read as "hurry".
  if (inst.state != InstanceState::Running || inst.stop_began) return false;
  inst.state = InstanceState::Stopping;
  inst.stop_began = true;
  return true;
}

bool LocalProcessBackend::Impl::send_graceful(Instance& inst) {
  // Asked after the stop was claimed: an instance found gone here ended before any stop of it
  // began, so it exited by itself even if the poll thread has not noticed yet.
  Result<std::optional<ExitStatus>> early = inst.child.try_wait();
  if (early.ok() && early->has_value()) {
    std::lock_guard<std::mutex> lock(mutex_);
    inst.ended_before_stop = true;
    return false;
  }
  {
    // Marked before the signal: the exit it causes may be handled on the poll thread before
    // terminate() even returns, and that record must say the request was sent.
    std::lock_guard<std::mutex> lock(mutex_);
    inst.graceful_sent = true;
  }
  // terminate() also marks the child's stop, so the exit watcher kills what is left of the group
  // if the leader dies of this signal (its SIGTERM-ignoring descendants do not survive).
  Result<void> sent = inst.child.terminate();
  if (!sent) {
    std::lock_guard<std::mutex> lock(mutex_);
    inst.graceful_sent = false;
  }
  return sent.ok();
}

void LocalProcessBackend::Impl::kill_now(Instance& inst) {
  Result<std::optional<ExitStatus>> st = inst.child.try_wait();
  if (!st.ok() || st->has_value()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst.kill_sent = true;
  }
  // ChildProcess::kill signals the group only while its leader is not reaped, so a reused id is
  // never hit.
  (void)inst.child.kill();
}

Result<void> LocalProcessBackend::Impl::collect_exit(const std::shared_ptr<Instance>& inst) {
  // Every signal was sent: this returns as soon as the OS delivered the SIGKILL, at the latest.
  Result<ExitStatus> status = inst->child.wait();
  if (status) {
    handle_exit(inst, false, *status);
    return ok_result();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (inst->state != InstanceState::Exited) {
      inst->state = InstanceState::Exited;
      inst->close_when_drained = true;
      inst->exit_record_pending = inst->open_streams > 0;
      inst->drain_deadline = SteadyClock::now() + options_.forwarder_drain_timeout;
    }
  }
  reader_->wake();
  return status.error();
}

void LocalProcessBackend::Impl::drain_and_forget(const std::vector<std::shared_ptr<Instance>>& insts) {
  const auto deadline = SteadyClock::now() + options_.forwarder_drain_timeout;
  std::vector<std::shared_ptr<Instance>> to_emit;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& inst : insts) {
      inst->close_when_drained = true;
      if (inst->open_streams > 0) inst->drain_deadline = std::min(inst->drain_deadline, deadline);
      // An exit without a status (collect_exit's error path) whose pipes are already closed has
      // nobody else to emit its record.
      if (inst->open_streams == 0 && !inst->finalized) {
        inst->finalized = true;
        inst->exit_record_pending = false;
        to_emit.push_back(inst);
      }
    }
  }
  for (const auto& inst : to_emit) emit_exit(inst);
  // The poll thread recomputes its deadline, closes the pipes when it passes and emits the exit
  // records (poll_handler.cpp); until then it keeps forwarding what the instances still write.
  reader_->wake();
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] {
    return std::all_of(insts.begin(), insts.end(), [](const std::shared_ptr<Instance>& i) {
      return i->open_streams == 0 && i->delivered;
    });
  });
  for (const auto& inst : insts) {
    // Its exit is known: the watch is no longer needed (a no-op when it already fired).
    reader_->remove(inst->key(detail::kExitSlot));
    instances_.erase(inst->handle.instance_id);
    by_seq_.erase(inst->seq);
  }
}

void LocalProcessBackend::Impl::shutdown(std::chrono::milliseconds grace) {
  if (on_poll_thread()) {
    // Called from the sink: blocking here would stop the very thread the shutdown waits for.
    start_stopper();
    return;
  }
  std::vector<std::shared_ptr<Instance>> all;
  std::vector<bool> mine;
  CancellationToken killed_now;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (phase_ == Phase::Done) return;
    if (phase_ == Phase::ShuttingDown) {
      cv_.wait(lock, [&] { return phase_ == Phase::Done; });
      return;
    }
    phase_ = Phase::ShuttingDown;
    cv_.wait(lock, [&] { return spawns_in_flight_ == 0; });
    for (const auto& kv : instances_) {
      all.push_back(kv.second);
      mine.push_back(begin_stop_locked(*kv.second));
    }
    killed_now = kill_token_;
  }
  if (!all.empty()) {
    supervisor(LogLevel::Info, {}, Uuid(),
               "shutting down " + std::to_string(all.size()) + " instance(s), grace " +
                   std::to_string(grace.count()) + " ms");
  }
  // Everyone gets the graceful request at once, then one deadline for all: N stubborn children
  // take one grace period, not N. Each exit is handled as it happens (on the poll thread, through
  // the exit watch), so each instance's record comes when it ends. When the deadline passes (or
  // kill_all cancels the wait) every survivor is killed at once, so the kills do not queue behind
  // each other's reaping.
  for (std::size_t i = 0; i < all.size(); ++i) {
    // Where the request cannot be sent (Windows without a shared console) waiting is pointless.
    if (mine[i] && !send_graceful(*all[i])) kill_now(*all[i]);
  }
  const auto deadline = SteadyClock::now() + grace;
  for (const auto& inst : all) {
    auto left = std::max(SteadyClock::duration::zero(), deadline - SteadyClock::now());
    auto done = inst->child.wait_for(left, &killed_now);
    // Without an exit watch nobody else tells the backend at once (a no-op with one).
    if (done.ok() && done->has_value()) handle_exit(inst, false, **done);
    if (done.ok() && !done->has_value()) break;  // deadline or kill_all: the rest are killed below
  }
  for (const auto& inst : all) kill_now(*inst);
  for (const auto& inst : all) {
    Result<void> collected = collect_exit(inst);
    if (!collected) {
      supervisor(LogLevel::Error, inst->handle.module, inst->handle.instance_id,
                 "shutdown: cannot stop: " + collected.error().message());
    }
  }
  drain_and_forget(all);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = Phase::Done;
  }
  cv_.notify_all();
}

void LocalProcessBackend::Impl::kill_all() {
  std::vector<std::shared_ptr<Instance>> live;
  CancellationToken waits;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& kv : instances_) {
      Instance& inst = *kv.second;
      if (inst.state == InstanceState::Exited) continue;
      // A kill is a stop too: what ends now did not end by itself, and no stop that begins later
      // sends it a graceful request.
      if (inst.state == InstanceState::Running) {
        inst.state = InstanceState::Stopping;
        inst.stop_began = true;
      }
      live.push_back(kv.second);
    }
    // Stops in progress hold the current token; later stops get a fresh one and their own grace.
    waits = kill_token_;
    kill_token_ = CancellationToken();
  }
  for (const auto& inst : live) kill_now(*inst);
  // After the kills, so that a stopper woken by this finds its processes already signalled.
  waits.cancel();
}

void LocalProcessBackend::Impl::start_stopper() {
  // Runs in the token's callback, on the canceller's thread: it only starts a thread, so the
  // canceller (maybe the sink, on the poll thread) is never blocked by the stop.
  std::lock_guard<std::mutex> lock(mutex_);
  if (phase_ != Phase::Open || stopper_.joinable()) return;
  stopper_ = std::thread([this] { shutdown(options_.shutdown_grace); });
}

}  // namespace modhost
