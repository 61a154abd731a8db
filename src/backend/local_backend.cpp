// LocalProcessBackend's public methods. They run on the callers' threads: they read the instance
// table under the mutex, post commands to the poll thread, and wait for it where they must.

#include "modhost/local_backend.hpp"

#include <string>
#include <utility>
#include <vector>

#include "backend_impl.hpp"
#include "modhost_process_state.hpp"

namespace modhost {

using detail::Command;
using detail::Completion;
using detail::Instance;

LocalProcessBackend::Impl::Impl(CancellationToken token, LocalBackendOptions opts)
    : token_(std::move(token)),
      options_(std::move(opts)),
      mailbox_(std::make_shared<detail::Mailbox>()) {
  if (!options_.sink) options_.sink = stderr_sink();
}

LocalProcessBackend::Impl::~Impl() = default;

InstanceStatus LocalProcessBackend::Impl::snapshot_locked(const Instance& inst) const {
  InstanceStatus s;
  s.handle = inst.handle;
  switch (inst.phase) {
    case detail::Phase::Running: s.state = InstanceState::Running; break;
    case detail::Phase::Stopping: s.state = InstanceState::Stopping; break;
    case detail::Phase::Draining:
    case detail::Phase::Reported: s.state = InstanceState::Exited; break;
  }
  s.exit_status = inst.exit_status;
  s.exited_by_itself = inst.exited_by_itself;
  if (s.state == InstanceState::Exited && !inst.exited_by_itself) {
    StopResult r;
    r.status = inst.exit_status.value_or(ExitStatus::exited(-1));
    r.graceful_sent = inst.stop.graceful_sent;
    r.killed = inst.stop.killed;
    s.stop_result = r;
  }
  return s;
}

void LocalProcessBackend::Impl::begin_shutdown_locked(std::chrono::milliseconds grace,
                                                      std::shared_ptr<Completion> done) {
  if (lifecycle_ != Lifecycle::Open) return;
  lifecycle_ = Lifecycle::ShuttingDown;
  shutdown_done_ = std::move(done);
  Command c;
  c.kind = Command::Kind::Shutdown;
  c.grace = grace;
  mailbox_->post(std::move(c));
}

void LocalProcessBackend::Impl::wait_for(const std::shared_ptr<Completion>& done) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return done->done; });
}

void LocalProcessBackend::Impl::complete(const std::shared_ptr<Completion>& done) {
  if (!done) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done->done = true;
  }
  cv_.notify_all();
}

void LocalProcessBackend::Impl::shutdown(std::chrono::milliseconds grace) {
  std::shared_ptr<Completion> done;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    begin_shutdown_locked(grace, std::make_shared<Completion>());
    done = shutdown_done_;
  }
  // From a callback the poll thread would wait for itself: the shutdown goes on without us.
  if (!on_poll_thread()) wait_for(done);
}

void LocalProcessBackend::Impl::kill_all() {
  std::vector<std::shared_ptr<Instance>> live;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& kv : instances_) {
      detail::Phase p = kv.second->phase;
      if (p == detail::Phase::Running || p == detail::Phase::Stopping) live.push_back(kv.second);
    }
    // Posted before the signals, so the poll thread marks the kills before it hears of the exits
    // they cause: those instances did not end by themselves.
    Command c;
    c.kind = Command::Kind::KillAll;
    mailbox_->post(std::move(c));
  }
  // From this thread, at once: a poll thread busy in a slow sink does not delay a kill. Signals
  // go through ChildProcess, which refuses a reaped child, so no reused id is hit.
  for (const auto& inst : live) (void)inst->child.kill();
}

// ---- LocalProcessBackend ------------------------------------------------------------------------

LocalProcessBackend::LocalProcessBackend(std::unique_ptr<Impl> impl) noexcept
    : impl_(std::move(impl)) {}

Result<std::unique_ptr<LocalProcessBackend>> LocalProcessBackend::create(CancellationToken cancel,
                                                                        LocalBackendOptions options) {
  auto impl = std::make_unique<Impl>(std::move(cancel), std::move(options));
  Result<std::unique_ptr<detail::PipeReader>> reader = detail::start_pipe_reader(*impl);
  if (!reader) return reader.error().with_context("cannot start the backend's poll thread");
  impl->reader_ = std::move(*reader);
  impl->mailbox_->attach(impl->reader_.get());
  Impl* raw = impl.get();
  std::unique_ptr<LocalProcessBackend> backend(new LocalProcessBackend(std::move(impl)));
  // Last, so that a token cancelled already finds a complete object in the callback (which runs
  // at once, here, then). It only posts: no thread is needed to start a shutdown.
  raw->registration_ = raw->token_.on_cancel([raw] {
    std::lock_guard<std::mutex> lock(raw->mutex_);
    raw->begin_shutdown_locked(raw->options_.shutdown_grace, std::make_shared<Completion>());
  });
  return backend;
}

LocalProcessBackend::~LocalProcessBackend() {
  // No new cancel callback after this: reset() also waits for one running right now.
  impl_->registration_.reset();
  impl_->shutdown(impl_->options_.shutdown_grace);
  impl_->mailbox_->close();
  impl_->reader_->stop();
}

Result<InstanceHandle> LocalProcessBackend::spawn_instance(const OopModuleConfig& config) {
  if (config.backend != BackendKind::LocalProcess) {
    return Error(errc::unsupported, "module " + config.name + ": can only spawn LocalProcess " +
                                        "instances, not " + std::string(to_string(config.backend)));
  }
  if (!config.binary || config.binary->empty()) {
    return Error(errc::invalid_argument,
                 "module " + config.name + ": executable_path must be set (no binary given)");
  }
  const std::string& binary = *config.binary;
  auto refused = [&] {
    return Error(errc::cancelled, "module " + config.name + ": the backend is shut down");
  };
  std::uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    if (impl_->lifecycle_ != Impl::Lifecycle::Open) return refused();
    seq = impl_->next_seq_++;
  }

  InstanceHandle handle;
  handle.module = config.name;
  handle.instance_id = Uuid::new_v7();
  handle.backend = BackendKind::LocalProcess;

  SpawnOptions so;
  so.program = binary;
  so.args = config.args;
  so.env.reserve(config.env.size());
  for (const auto& kv : config.env) so.env.emplace_back(kv.first, kv.second);
  so.stdin_mode = Stdio::Null;
  so.stdout_mode = Stdio::Pipe;
  so.stderr_mode = Stdio::Pipe;
  // One pipe for both: the spawn gives no stderr pipe, and the poll thread reads one stream.
  so.merge_stderr_into_stdout = config.merge_stderr_into_stdout;
  so.new_process_group = true;
  so.kill_on_parent_death = impl_->options_.kill_on_parent_death;
  if (config.working_directory && !config.working_directory->empty()) {
    // The module runtime's contract: a working directory that does not exist or is not a
    // directory is a warning, and the instance runs in the current one.
    if (detail::is_directory(*config.working_directory)) {
      so.working_directory = *config.working_directory;
    } else {
      Command warn;
      warn.kind = Command::Kind::Record;
      warn.level = LogLevel::Warn;
      warn.event = SupervisorEvent::Warning;
      warn.module = config.name;
      warn.id = handle.instance_id;
      warn.text = "working directory '" + *config.working_directory +
                  "' does not exist or is not a directory; using the current directory";
      impl_->mailbox_->post(std::move(warn));
    }
  }

  // Its errors already say `failed to spawn process: <binary>: <reason>`.
  Result<ChildProcess> child = ChildProcess::spawn(so);
  if (!child) return child.error();
  handle.pid = child->pid();
  handle.created_at = std::chrono::steady_clock::now();

  auto inst = std::make_shared<Instance>(handle, seq, impl_->options_.max_line_length);
  inst->child = std::move(*child);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    // A shutdown that began while this spawn was in flight has already listed its instances:
    // this one is refused, and the ChildProcess destructor kills and reaps it.
    if (impl_->lifecycle_ != Impl::Lifecycle::Open) return refused();
    impl_->instances_.emplace(handle.instance_id, inst);
    Command c;
    c.kind = Command::Kind::Spawned;
    c.inst = inst;
    c.out = inst->child.take_stdout();
    c.err = inst->child.take_stderr();
    c.text = binary;
    // Posted under the mutex: ordered with a Shutdown, and before any Exited of this instance.
    impl_->mailbox_->post(std::move(c));
  }
  // After the Spawned command, so that the poll thread knows the instance when it hears of the
  // exit. The listener holds the mailbox, not the instance: no cycle, and safe after the backend.
  std::weak_ptr<detail::Mailbox> mailbox = impl_->mailbox_;
  auto notify = [mailbox, seq] {
    if (auto m = mailbox.lock()) {
      Command c;
      c.kind = Command::Kind::Exited;
      c.seq = seq;
      m->post(std::move(c));
    }
  };
  if (!detail::ChildProcessAccess::state(inst->child).set_exit_listener(notify)) notify();
  return handle;
}

Result<void> LocalProcessBackend::stop_instance(const InstanceHandle& handle) {
  auto done = std::make_shared<Completion>();
  Command c;
  c.kind = Command::Kind::Stop;
  c.id = handle.instance_id;
  c.module = handle.module;
  const bool from_callback = impl_->on_poll_thread();
  if (!from_callback) c.done = done;
  impl_->mailbox_->post(std::move(c));
  // From a callback the poll thread would wait for itself: the stop goes on without us.
  if (!from_callback) impl_->wait_for(done);
  return ok_result();
}

Result<std::vector<InstanceHandle>> LocalProcessBackend::list_instances(const std::string& module) {
  std::vector<InstanceHandle> out;
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  for (const auto& kv : impl_->instances_) {
    if (kv.second->handle.module == module) out.push_back(kv.second->handle);
  }
  return out;
}

Result<void> LocalProcessBackend::signal_instance(const InstanceHandle& handle, int sig) {
  std::shared_ptr<Instance> inst;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    auto it = impl_->instances_.find(handle.instance_id);
    if (it != impl_->instances_.end()) inst = it->second;
  }
  if (!inst) {
    return Error(errc::not_running, "module " + handle.module + ": cannot signal instance " +
                                        handle.instance_id.to_string() + ": it is not known");
  }
  Result<void> sent = inst->child.send_signal(sig);
  if (!sent) {
    return sent.error().with_context("module " + handle.module + ": instance " +
                                     handle.instance_id.to_string());
  }
  return ok_result();
}

std::optional<InstanceStatus> LocalProcessBackend::status(const Uuid& instance_id) const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  auto it = impl_->instances_.find(instance_id);
  if (it == impl_->instances_.end()) return std::nullopt;
  return impl_->snapshot_locked(*it->second);
}

std::vector<InstanceStatus> LocalProcessBackend::statuses() const {
  std::vector<InstanceStatus> out;
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  out.reserve(impl_->instances_.size());
  for (const auto& kv : impl_->instances_) out.push_back(impl_->snapshot_locked(*kv.second));
  return out;
}

void LocalProcessBackend::shutdown() { impl_->shutdown(impl_->options_.shutdown_grace); }

void LocalProcessBackend::shutdown(std::chrono::milliseconds grace) { impl_->shutdown(grace); }

void LocalProcessBackend::kill_all() { impl_->kill_all(); }

}  // namespace modhost
