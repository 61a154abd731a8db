// The instance state machine of LocalProcessBackend, run on the poll thread only (see the diagram
// in backend_impl.hpp and docs/architecture.md). Every transition of an instance happens here, in
// response to a command another thread posted, to an exit, to the end of its pipes, or to a
// deadline; only here are the callbacks called, never with a lock held.

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend_impl.hpp"
#include "modhost_process_state.hpp"

namespace modhost {

using detail::Command;
using detail::Completion;
using detail::Instance;
using detail::Phase;

namespace {

// After a kill, how long until the poll thread looks for the exit itself, in case it was not
// reported (a host that keeps SIGCHLD from modhost's handler). A guard, not how exits are learned.
constexpr std::chrono::seconds kKillRecheck{1};

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

void LocalProcessBackend::Impl::emit(const LogRecord& record) { options_.sink(record); }

void LocalProcessBackend::Impl::supervisor(LogLevel level, SupervisorEvent event,
                                           std::string_view module, const Uuid& id,
                                           std::string_view text) {
  LogRecord record;
  record.level = level;
  record.module = module;
  record.instance_id = id;
  record.line = text;
  record.event = event;
  record.timestamp = std::chrono::system_clock::now();
  emit(record);
}

LocalProcessBackend::Impl::InstancePtr LocalProcessBackend::Impl::live(std::uint64_t seq) const {
  auto it = live_.find(seq);
  return it == live_.end() ? nullptr : it->second;
}

void LocalProcessBackend::Impl::on_command(Command& command) {
  switch (command.kind) {
    case Command::Kind::Record:
      supervisor(command.level, command.event, command.module, command.id, command.text);
      break;
    case Command::Kind::Spawned: on_spawned(command); break;
    case Command::Kind::Exited: on_exited(command.seq); break;
    case Command::Kind::Stop: on_stop(command); break;
    case Command::Kind::Shutdown: on_shutdown(command); break;
    case Command::Kind::KillAll: on_kill_all(); break;
  }
}

void LocalProcessBackend::Impl::on_spawned(Command& command) {
  InstancePtr inst = command.inst;
  live_.emplace(inst->seq, inst);
  // on_spawn and the "spawned" record come before any line of the instance: its pipes are only
  // handed to the reader below, on this same thread.
  if (options_.on_spawn) options_.on_spawn(inst->handle);
  supervisor(LogLevel::Info, SupervisorEvent::Spawned, inst->handle.module,
             inst->handle.instance_id,
             "spawned " + command.text + " (pid " + std::to_string(inst->handle.pid.value_or(0)) + ")");
  const StreamKind streams[2] = {StreamKind::Stdout, StreamKind::Stderr};
  Pipe* pipes[2] = {&command.out, &command.err};
  for (int i = 0; i < 2; ++i) {
    if (!pipes[i]->valid()) continue;
    const std::uint64_t key = detail::ReaderKey{inst->seq, streams[i]}.encode();
    Result<void> added = reader_->add(key, std::move(*pipes[i]));
    if (added) {
      ++inst->open_streams;
      continue;
    }
    // Its output cannot be read: rather than leave it to block on a full pipe, it is killed.
    supervisor(LogLevel::Error, SupervisorEvent::Error, inst->handle.module,
               inst->handle.instance_id, "cannot forward the output: " + added.error().message());
    kill(*inst, "its output cannot be forwarded");
  }
}

void LocalProcessBackend::Impl::on_exited(std::uint64_t seq) {
  InstancePtr inst = live(seq);
  if (!inst || inst->phase == Phase::Draining || inst->phase == Phase::Reported) return;
  Result<std::optional<ExitStatus>> status = inst->child.try_wait();
  // Windows sends some graceful requests off this thread; one that could not be delivered made
  // the platform kill the child at once (ProcessState::set_undelivered_request).
  std::optional<std::string> undelivered;
  if (inst->stop.requested && !inst->stop.killed) {
    undelivered = detail::ChildProcessAccess::state(inst->child).undelivered_request();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (undelivered) {
      inst->stop.killed = true;
      inst->stop.graceful_sent = false;
    }
    inst->phase = Phase::Draining;
    if (status.ok() && status->has_value()) inst->exit_status = **status;
    inst->exited_by_itself = !inst->stop.requested;
    inst->stop.kill_at = detail::kNever;
    inst->stop.recheck_at = detail::kNever;
  }
  if (undelivered) {
    supervisor(LogLevel::Info, SupervisorEvent::Killed, inst->handle.module,
               inst->handle.instance_id,
               "killed: the graceful request could not be delivered: " + *undelivered);
  }
  if (!status.ok()) {
    supervisor(LogLevel::Warn, SupervisorEvent::Warning, inst->handle.module,
               inst->handle.instance_id,
               "exited, but its status is unknown: " + status.error().message());
  }
  // Its last lines may still be in the pipes: the record waits for their end, at most the drain
  // timeout (a descendant may hold them open for ever).
  if (inst->open_streams > 0) {
    inst->drain_at = SteadyClock::now() + options_.forwarder_drain_timeout;
    schedule(inst->drain_at);
  }
  advance(inst);
}

void LocalProcessBackend::Impl::on_stop(Command& command) {
  InstancePtr inst;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = instances_.find(command.id);
    if (it != instances_.end()) inst = it->second;
  }
  if (!inst || live_.count(inst->seq) == 0) {
    supervisor(LogLevel::Debug, SupervisorEvent::UnknownInstance, command.module, command.id,
               "stop_instance: unknown instance " + command.id.to_string() + ", nothing to stop");
    complete(command.done);
    return;
  }
  if (command.done) inst->waiters.push_back(command.done);
  request_forget(*inst);
  // Another stop already reached it: no second graceful request; this one waits for that one.
  if (inst->phase == Phase::Running) {
    begin_stop(*inst, SteadyClock::now() + options_.instance_stop_grace);
  }
  advance(inst);
}

void LocalProcessBackend::Impl::on_shutdown(Command& command) {
  shutting_down_ = true;
  const auto kill_at = SteadyClock::now() + command.grace;
  std::vector<InstancePtr> all;
  all.reserve(live_.size());
  for (const auto& kv : live_) all.push_back(kv.second);
  // Oldest first, as the records of a shutdown are easiest to read in that order.
  std::sort(all.begin(), all.end(),
            [](const InstancePtr& a, const InstancePtr& b) { return a->seq < b->seq; });
  if (!all.empty()) {
    supervisor(LogLevel::Info, SupervisorEvent::ShutdownStarted, {}, Uuid(),
               "shutting down " + std::to_string(all.size()) + " instance(s), grace " +
                   ms(command.grace));
  }
  // Everyone gets the graceful request now and one deadline for all: N stubborn children take one
  // grace period, not N. Each exit is handled as it comes, so each record comes when its
  // instance ends. An instance a stop_instance is stopping gets no second request, but the same
  // deadline if it is earlier than its own.
  for (const auto& inst : all) {
    request_forget(*inst);
    if (inst->phase == Phase::Running) {
      begin_stop(*inst, kill_at);
    } else if (inst->phase == Phase::Stopping && inst->stop.kill_at > kill_at) {
      inst->stop.kill_at = kill_at;
      schedule(kill_at);
    }
    advance(inst);
  }
  if (live_.empty()) finish_shutdown();
}

void LocalProcessBackend::Impl::on_kill_all() {
  std::vector<InstancePtr> all;
  for (const auto& kv : live_) all.push_back(kv.second);
  for (const auto& inst : all) {
    if (inst->phase == Phase::Running || inst->phase == Phase::Stopping) kill(*inst, "kill_all");
  }
}

void LocalProcessBackend::Impl::begin_stop(Instance& inst, SteadyClock::time_point kill_at) {
  // An instance found gone here ended before any stop of it began: by itself. Its Exited command
  // is already on its way (the exit was published), and will say so.
  Result<std::optional<ExitStatus>> early = inst.child.try_wait();
  if (!early.ok() || early->has_value()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst.phase = Phase::Stopping;
    inst.stop.requested = true;
    inst.stop.kill_at = kill_at;
  }
  // terminate() also marks the child's stop, so that the reaper kills what is left of the group
  // when the leader dies of this signal (its SIGTERM-ignoring descendants do not survive it).
  Result<void> sent = inst.child.terminate();
  if (!sent) {
    // Where no request can be sent (Windows: a console child without its own group, or without
    // the helper program for its console) waiting is pointless.
    kill(inst, "the graceful request could not be sent: " + sent.error().message());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst.stop.graceful_sent = true;
  }
  auto grace = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - SteadyClock::now());
  supervisor(LogLevel::Debug, SupervisorEvent::StopRequested, inst.handle.module,
             inst.handle.instance_id,
             "stopping: graceful request sent, killing in " + ms(std::max(grace, decltype(grace)::zero())) +
                 " if still running");
  schedule(kill_at);
}

void LocalProcessBackend::Impl::kill(Instance& inst, const std::string& why) {
  if (inst.stop.killed) return;
  const auto recheck_at = SteadyClock::now() + kKillRecheck;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst.stop.requested = true;
    inst.stop.killed = true;
    inst.phase = Phase::Stopping;
    inst.stop.kill_at = detail::kNever;
    inst.stop.recheck_at = recheck_at;
  }
  // ChildProcess::kill signals the group only while its leader is not reaped, so a reused id is
  // never hit.
  (void)inst.child.kill();
  supervisor(LogLevel::Info, SupervisorEvent::Killed, inst.handle.module, inst.handle.instance_id,
             "killing: " + why);
  schedule(recheck_at);
}

void LocalProcessBackend::Impl::request_forget(Instance& inst) {
  inst.stop.forget = true;
  // A reported instance (it ended by itself) may still have pipes a descendant holds: they are
  // drained for the drain timeout, then closed, before it is forgotten.
  if (inst.phase == Phase::Reported && inst.open_streams > 0 && inst.drain_at == detail::kNever) {
    inst.drain_at = SteadyClock::now() + options_.forwarder_drain_timeout;
    schedule(inst.drain_at);
  }
}

void LocalProcessBackend::Impl::advance(const InstancePtr& inst) {
  const bool drained = inst->open_streams == 0 || SteadyClock::now() >= inst->drain_at;
  if (inst->phase == Phase::Draining && drained) report(inst);
  if (inst->phase == Phase::Reported && inst->stop.forget &&
      (inst->open_streams == 0 || SteadyClock::now() >= inst->drain_at)) {
    forget(inst);
  }
}

void LocalProcessBackend::Impl::finish_streams(Instance& inst) {
  // Whatever still holds the pipes (a descendant that left the group) is not waited for. What was
  // read is still forwarded, a partial last line included.
  if (inst.open_streams == 0) return;
  reader_->remove(detail::ReaderKey{inst.seq, StreamKind::Stdout}.encode());
  reader_->remove(detail::ReaderKey{inst.seq, StreamKind::Stderr}.encode());
  auto ts = std::chrono::system_clock::now();
  inst.out.finish(inst.context(), target(), ts);
  inst.err.finish(inst.context(), target(), ts);
  inst.open_streams = 0;
}

void LocalProcessBackend::Impl::report(const InstancePtr& inst) {
  // A stopped instance's pipes are closed once drained; one that ended by itself keeps them (a
  // descendant may still log) until it is stopped.
  if (inst->stop.requested) finish_streams(*inst);
  inst->drain_at = detail::kNever;
  InstanceStatus s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst->phase = Phase::Reported;
    s = snapshot_locked(*inst);
  }
  std::string status = s.exit_status ? s.exit_status->to_string() : std::string("status unknown");
  if (s.exited_by_itself) {
    bool bad = !s.exit_status || !s.exit_status->success();
    supervisor(bad ? LogLevel::Warn : LogLevel::Info, SupervisorEvent::Exited, inst->handle.module,
               inst->handle.instance_id, "exited: " + status);
  } else {
    bool killed = s.stop_result && s.stop_result->killed;
    supervisor(killed ? LogLevel::Warn : LogLevel::Info, SupervisorEvent::Stopped,
               inst->handle.module, inst->handle.instance_id,
               "stopped: " + status + (killed ? " (killed)" : ""));
  }
  if (options_.on_exit) options_.on_exit(s);
}

void LocalProcessBackend::Impl::forget(const InstancePtr& inst) {
  finish_streams(*inst);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    instances_.erase(inst->handle.instance_id);
  }
  live_.erase(inst->seq);
  for (const auto& done : inst->waiters) complete(done);
  inst->waiters.clear();
  if (shutting_down_ && live_.empty()) finish_shutdown();
}

void LocalProcessBackend::Impl::finish_shutdown() {
  std::shared_ptr<Completion> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lifecycle_ = Lifecycle::Done;
    done = shutdown_done_;
  }
  complete(done);
}

}  // namespace modhost
