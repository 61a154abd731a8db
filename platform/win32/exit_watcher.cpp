// The Win32 exit watcher (see exit_watcher.hpp).
//
// Why a job completion port and not one wait per child: WaitForMultipleObjects stops at 64
// handles, and a thread (or thread-pool wait) per child costs per child. Every job can report to
// the same port, so one thread serves any number of children. Job messages are documented as
// notifications, so the watcher never trusts a message alone: it looks at the process handle
// before it reports an exit, and release_process() waits on the handle itself.

#include "exit_watcher.hpp"

#include <mutex>
#include <thread>
#include <unordered_map>

#include "native_process.hpp"
#include "process_state.hpp"

namespace modhost::detail::win32 {
namespace {

class ExitWatcher {
 public:
  // The one watcher, created on first use and deliberately never destroyed: a static destructor
  // running at exit() while the thread still uses the maps would be a race.
  static ExitWatcher& instance() {
    static ExitWatcher* watcher = new ExitWatcher();
    return *watcher;
  }

  Result<std::uint64_t> add(HANDLE job, const std::shared_ptr<ProcessState>& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (port_ == nullptr) {
      port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
      if (port_ == nullptr) return last_error("cannot create the exit watcher's completion port");
      std::thread([this] { run(); }).detach();
    }
    const std::uint64_t id = ++next_id_;
    JOBOBJECT_ASSOCIATE_COMPLETION_PORT assoc{};
    assoc.CompletionKey = reinterpret_cast<PVOID>(static_cast<ULONG_PTR>(id));
    assoc.CompletionPort = port_;
    if (!SetInformationJobObject(job, JobObjectAssociateCompletionPortInformation, &assoc,
                                 sizeof assoc)) {
      return last_error("cannot attach the job to the exit watcher");
    }
    children_.emplace(id, state);
    return id;
  }

  void remove(std::uint64_t id) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    children_.erase(id);
  }

 private:
  void run() {
    for (;;) {
      DWORD message = 0;
      ULONG_PTR key = 0;
      OVERLAPPED* ov = nullptr;
      if (!GetQueuedCompletionStatus(port_, &message, &key, &ov, INFINITE) && ov == nullptr) {
        Sleep(10);  // the port cannot fail short of being closed; do not spin if it does
        continue;
      }
      // For the process messages, lpOverlapped carries the pid the message is about.
      const auto pid = static_cast<DWORD>(reinterpret_cast<ULONG_PTR>(ov));
      if (message != JOB_OBJECT_MSG_EXIT_PROCESS &&
          message != JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS &&
          message != JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO) {
        continue;
      }
      std::shared_ptr<ProcessState> state;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = children_.find(static_cast<std::uint64_t>(key));
        if (it == children_.end()) continue;
        state = it->second.lock();
        if (!state) {
          children_.erase(it);
          continue;
        }
      }
      NativeProcess* native = state->native();
      const bool ours = message == JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO || pid == native->pid;
      if (!ours) continue;  // a grandchild left the job
      // The message can precede the moment the process object is signalled by a hair; the
      // process is exiting, so a short wait settles it. Should it not (it cannot), the next
      // message or release_process() reports the exit.
      if (WaitForSingleObject(native->process.get(), 2000) != WAIT_OBJECT_0) continue;
      deliver_exit(*state, native->process.get());
      remove(static_cast<std::uint64_t>(key));
    }
  }

  std::mutex mutex_;
  HANDLE port_ = nullptr;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<ProcessState>> children_;
};

}  // namespace

Result<std::uint64_t> exit_watcher_register(HANDLE job, const std::shared_ptr<ProcessState>& state) {
  return ExitWatcher::instance().add(job, state);
}

void exit_watcher_unregister(std::uint64_t id) noexcept {
  if (id != 0) ExitWatcher::instance().remove(id);
}

void deliver_exit(ProcessState& state, HANDLE process) noexcept {
  DWORD code = 0;
  if (!GetExitCodeProcess(process, &code)) code = 0xFFFFFFFFu;
  // Windows exit codes are 32-bit unsigned; NTSTATUS-style codes (0xC0000005) read as negative.
  state.set_exited(ExitStatus::exited(static_cast<int>(code)));
}

}  // namespace modhost::detail::win32
