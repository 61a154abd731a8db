// LocalProcessBackend's public methods: construction, spawn, stop, list, status; and the records
// the supervisor writes about them.

#include "modhost/local_backend.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "backend/backend_impl.hpp"

namespace modhost {

using detail::Instance;

LocalProcessBackend::Impl::Impl(CancellationToken token, LocalBackendOptions opts)
    : token_(std::move(token)), options_(std::move(opts)) {
  if (!options_.sink) options_.sink = stderr_sink();
}

LocalProcessBackend::Impl::~Impl() = default;

void LocalProcessBackend::Impl::emit(const LogRecord& record) {
  std::lock_guard<std::recursive_mutex> lock(sink_mutex_);
  options_.sink(record);
}

void LocalProcessBackend::Impl::supervisor(LogLevel level, std::string_view module,
                                           const Uuid& id, std::string_view text) {
  LogRecord record;
  record.level = level;
  record.module = module;
  record.instance_id = id;
  record.line = text;
  record.timestamp = std::chrono::system_clock::now();
  emit(record);
}

InstanceStatus LocalProcessBackend::Impl::snapshot_locked(const Instance& inst) const {
  InstanceStatus s;
  s.handle = inst.handle;
  s.state = inst.state;
  s.exit_status = inst.exit_status;
  s.exited_by_itself = inst.exited_by_itself;
  s.stop_result = inst.stop_result;
  return s;
}

void LocalProcessBackend::Impl::emit_exit(const std::shared_ptr<Instance>& inst) {
  InstanceStatus s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s = snapshot_locked(*inst);
  }
  std::string text;
  LogLevel level = LogLevel::Info;
  std::string status = s.exit_status ? s.exit_status->to_string() : std::string("status unknown");
  if (s.exited_by_itself) {
    text = "exited: " + status;
    if (!s.exit_status || !s.exit_status->success()) level = LogLevel::Warn;
  } else {
    text = "stopped: " + status;
    if (s.stop_result && s.stop_result->killed) {
      text += " (killed)";
      level = LogLevel::Warn;
    }
  }
  {
    // One hold of the sink lock for both, so no other record comes between the record and
    // on_exit (on_exit is serialized with the sink, as documented).
    std::lock_guard<std::recursive_mutex> sink_lock(sink_mutex_);
    supervisor(level, inst->handle.module, inst->handle.instance_id, text);
    if (options_.on_exit) options_.on_exit(s);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inst->delivered = true;
  }
  cv_.notify_all();
}

LocalProcessBackend::LocalProcessBackend(CancellationToken cancel, LocalBackendOptions options)
    : impl_(new Impl(std::move(cancel), std::move(options))) {
  Result<std::unique_ptr<detail::PipeReader>> reader = detail::start_pipe_reader(*impl_);
  if (reader) {
    impl_->reader_ = std::move(*reader);
  } else {
    // A constructor cannot fail without exceptions; the error is returned by every spawn.
    impl_->reader_error_ = reader.error().with_context("cannot start the log forwarder");
    impl_->phase_ = Impl::Phase::Done;
  }
  // Last, so that a token cancelled already finds a complete object in the callback.
  Impl* impl = impl_.get();
  impl_->registration_ = impl_->token_.on_cancel([impl] { impl->start_stopper(); });
}

LocalProcessBackend::~LocalProcessBackend() {
  // No new stopper after this: reset() also waits for a callback running right now.
  impl_->registration_.reset();
  impl_->shutdown(impl_->options_.shutdown_grace);
  if (impl_->stopper_.joinable()) impl_->stopper_.join();
  if (impl_->reader_) impl_->reader_->stop();
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
  std::uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    if (impl_->reader_error_) return *impl_->reader_error_;
    if (impl_->phase_ != Impl::Phase::Open) {
      return Error(errc::cancelled, "module " + config.name + ": the backend is shut down");
    }
    ++impl_->spawns_in_flight_;
    seq = impl_->next_seq_++;
  }
  // Shutdown waits for spawns in flight, so it sees every instance that spawn inserts.
  struct InFlight {
    Impl* impl;
    ~InFlight() {
      {
        std::lock_guard<std::mutex> lock(impl->mutex_);
        --impl->spawns_in_flight_;
      }
      impl->cv_.notify_all();
    }
  } in_flight{impl_.get()};

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
  so.new_process_group = true;
  so.kill_on_parent_death = impl_->options_.kill_on_parent_death;
  if (config.working_directory && !config.working_directory->empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(*config.working_directory, ec)) {
      so.working_directory = *config.working_directory;
    } else {
      impl_->supervisor(LogLevel::Warn, config.name, handle.instance_id,
                        "working directory '" + *config.working_directory +
                            "' does not exist or is not a directory; using the current directory");
    }
  }

  Result<ChildProcess> child = ChildProcess::spawn(so);
  if (!child) {
    const Error& e = child.error();
    if (e.message().rfind("failed to spawn process", 0) == 0) return e;
    return e.with_context("failed to spawn process: " + binary);
  }
  handle.pid = child->pid();
  handle.created_at = std::chrono::steady_clock::now();

  auto inst = std::make_shared<Instance>(handle, seq, impl_->options_.max_line_length);
  inst->child = std::move(*child);
  Pipe out = inst->child.take_stdout();
  Pipe err = inst->child.take_stderr();
  inst->open_streams = (out.valid() ? 1 : 0) + (err.valid() ? 1 : 0);
  inst->exit_watched = true;  // optimistic, so an early EOF does not take the fallback path
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    impl_->instances_.emplace(handle.instance_id, inst);
    impl_->by_seq_.emplace(seq, inst);
  }
  {
    // The sink lock is held from before the pipes are read until on_spawn and the "spawned"
    // record are out: the poll thread, which takes it for every line, cannot deliver the
    // instance's first line before them. The reader's add() never waits for its thread, so this
    // cannot deadlock; and a failed add is reported before on_spawn, which is then not called.
    std::lock_guard<std::recursive_mutex> sink_lock(impl_->sink_mutex_);
    Result<void> added = impl_->reader_->add(inst->key(detail::kStdoutSlot), std::move(out));
    if (added) added = impl_->reader_->add(inst->key(detail::kStderrSlot), std::move(err));
    if (!added) {
      impl_->reader_->remove(inst->key(detail::kStdoutSlot));
      {
        std::lock_guard<std::mutex> lock(impl_->mutex_);
        impl_->instances_.erase(handle.instance_id);
        impl_->by_seq_.erase(seq);
      }
      // ~ChildProcess kills and reaps it; nothing of this instance is left.
      return added.error().with_context("module " + config.name + ": cannot forward the output");
    }
    if (impl_->options_.on_spawn) impl_->options_.on_spawn(handle);
    impl_->supervisor(LogLevel::Info, config.name, handle.instance_id,
                      "spawned " + binary + " (pid " + std::to_string(*handle.pid) + ")");
  }
  Result<void> watch = impl_->reader_->watch_exit(inst->key(detail::kExitSlot), *handle.pid);
  if (!watch) {
    {
      std::lock_guard<std::mutex> lock(impl_->mutex_);
      inst->exit_watched = false;
    }
    // Unsupported: both pipes closing is the hint (poll_handler.cpp). Any other error (ESRCH)
    // means the child is already gone: its exit is handled here and now.
    if (watch.error().code() != make_error_code(errc::unsupported)) impl_->handle_exit(inst, false);
  }
  return handle;
}

Result<void> LocalProcessBackend::stop_instance(const InstanceHandle& handle) {
  if (impl_->on_poll_thread()) {
    return Error(errc::invalid_argument,
                 "stop_instance called from the sink (the poll thread) would deadlock");
  }
  std::shared_ptr<Instance> inst;
  bool mine = false;
  CancellationToken killed_now;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    auto it = impl_->instances_.find(handle.instance_id);
    if (it != impl_->instances_.end()) {
      inst = it->second;
      mine = impl_->begin_stop_locked(*inst);
      killed_now = impl_->kill_token_;
    }
  }
  if (!inst) {
    impl_->supervisor(LogLevel::Debug, handle.module, handle.instance_id,
                      "stop_instance: unknown instance " + handle.instance_id.to_string() +
                          ", nothing to stop");
    return ok_result();
  }
  // Not ours (a shutdown, another stop_instance or kill_all reached it first): no second graceful
  // request; that stop ends it, and this call only waits for it below.
  if (mine) {
    if (impl_->send_graceful(*inst)) {
      (void)inst->child.wait_for(impl_->options_.instance_stop_grace, &killed_now);
    }
    impl_->kill_now(*inst);
  }
  Result<void> collected = impl_->collect_exit(inst);
  impl_->drain_and_forget({inst});
  if (!collected) {
    return collected.error().with_context("module " + handle.module + ": cannot stop instance " +
                                       handle.instance_id.to_string());
  }
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
