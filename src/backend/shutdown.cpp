// Stopping instances: the drain after a stop, the parallel shutdown against one deadline, and the
// stopper thread a cancelled token starts.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"

namespace modhost {

using detail::Instance;

void LocalProcessBackend::Impl::record_stop(Instance& inst, const StopResult& result) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (inst.state == InstanceState::Exited) return;  // it ended by itself first; keep that story
  inst.state = InstanceState::Exited;
  inst.exit_status = result.status;
  inst.exited_by_itself = result.already_exited;
  inst.stop_result = result;
}

void LocalProcessBackend::Impl::drain_and_forget(const std::vector<std::shared_ptr<Instance>>& insts) {
  const auto deadline = SteadyClock::now() + options_.forwarder_drain_timeout;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& inst : insts) {
      // The exit watch is no longer needed: the stop has the status.
      reader_->remove(inst->key(detail::kExitSlot));
      inst->close_when_drained = true;
      if (inst->open_streams > 0) inst->drain_deadline = std::min(inst->drain_deadline, deadline);
    }
  }
  // The poll thread recomputes its deadline and closes the pipes when it passes (poll_handler.cpp);
  // until then it keeps forwarding what the instance wrote while it was stopping.
  reader_->wake();
  std::vector<std::shared_ptr<Instance>> to_emit;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] {
      return std::all_of(insts.begin(), insts.end(),
                         [](const std::shared_ptr<Instance>& i) { return i->open_streams == 0; });
    });
    for (const auto& inst : insts) {
      if (!inst->finalized) {
        inst->finalized = true;
        inst->exit_record_pending = false;
        to_emit.push_back(inst);
      }
      instances_.erase(inst->handle.instance_id);
      by_seq_.erase(inst->seq);
    }
  }
  for (const auto& inst : to_emit) emit_exit(inst);
}

void LocalProcessBackend::Impl::shutdown() {
  if (on_poll_thread()) {
    // Called from the sink: blocking here would stop the very thread the shutdown waits for.
    start_stopper();
    return;
  }
  std::vector<std::shared_ptr<Instance>> all;
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
      if (kv.second->state == InstanceState::Running) kv.second->state = InstanceState::Stopping;
    }
  }
  if (!all.empty()) {
    supervisor(LogLevel::Info, {}, Uuid(),
               "shutting down " + std::to_string(all.size()) + " instance(s), grace " +
                   std::to_string(options_.shutdown_grace.count()) + " ms");
  }
  // Everyone gets the graceful request at once, then one deadline for all: N stubborn children
  // take one grace period, not N. When it passes, every survivor is killed at once too, so the
  // kills do not queue behind each other's reaping.
  std::vector<bool> exited_before(all.size(), false);
  std::vector<bool> killed(all.size(), false);
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto early = all[i]->child.try_wait();
    exited_before[i] = early.ok() && early->has_value();
    if (!exited_before[i]) (void)all[i]->child.terminate();
  }
  const auto deadline = SteadyClock::now() + options_.shutdown_grace;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (exited_before[i]) continue;
    auto left = std::max(SteadyClock::duration::zero(), deadline - SteadyClock::now());
    auto done = all[i]->child.wait_for(left);
    if (done.ok() && !done->has_value()) break;  // the deadline passed: the rest are killed below
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (exited_before[i]) continue;
    auto st = all[i]->child.try_wait();
    if (st.ok() && !st->has_value()) {
      killed[i] = true;
      (void)all[i]->child.kill();
    }
  }
  // stop(0) now only collects each status and removes what is left of each group (a descendant
  // that ignored SIGTERM after its leader exited); the story of the stop is the one above.
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& inst = all[i];
    Result<StopResult> stopped = inst->child.stop(std::chrono::nanoseconds::zero());
    if (stopped) {
      StopResult r = *stopped;
      r.already_exited = exited_before[i];
      r.graceful_sent = !exited_before[i];
      r.killed = killed[i];
      record_stop(*inst, r);
    } else {
      supervisor(LogLevel::Error, inst->handle.module, inst->handle.instance_id,
                 "shutdown: cannot stop: " + stopped.error().message());
      std::lock_guard<std::mutex> lock(mutex_);
      inst->state = InstanceState::Exited;
    }
  }
  drain_and_forget(all);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = Phase::Done;
  }
  cv_.notify_all();
}

void LocalProcessBackend::Impl::start_stopper() {
  // Runs in the token's callback, on the canceller's thread: it only starts a thread, so the
  // canceller (maybe the sink, on the poll thread) is never blocked by the stop.
  std::lock_guard<std::mutex> lock(mutex_);
  if (phase_ != Phase::Open || stopper_.joinable()) return;
  stopper_ = std::thread([this] { shutdown(); });
}

}  // namespace modhost
