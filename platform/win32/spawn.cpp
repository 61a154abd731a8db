// spawn_process() for Win32: resolves the program on the child's PATH, builds the UTF-16 command
// line and environment block, the three std handles, and a job object for a child with its own
// group; then CreateProcessW with exactly those three handles inherited, suspended until it is in
// its job and handed to the exit watcher.

#include <memory>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "environment_block.hpp"
#include "exit_watcher.hpp"
#include "graceful_stop.hpp"
#include "native_process.hpp"
#include "pipes.hpp"
#include "modhost_process_state.hpp"
#include "program_path.hpp"
#include "modhost_spawn_support.hpp"
#include "utf16.hpp"

namespace modhost::detail {
namespace {

using win32::UniqueHandle;

// The reason alone, the Windows text for `err`: ChildProcess::spawn puts the one
// "failed to spawn process: <program>: " in front of every spawn error.
Error spawn_os_error(DWORD err) { return win32::os_error(err, std::string()); }

// The handle a child gets for Stdio::Inherit: an inheritable duplicate of ours (our own may not be
// inheritable, and its flag is not ours to change), or the NUL device when we have none.
Result<UniqueHandle> inherit_std_handle(DWORD which, bool for_reading) {
  HANDLE own = GetStdHandle(which);
  if (own != nullptr && own != INVALID_HANDLE_VALUE) {
    HANDLE dup = nullptr;
    if (DuplicateHandle(GetCurrentProcess(), own, GetCurrentProcess(), &dup, 0, TRUE,
                        DUPLICATE_SAME_ACCESS)) {
      return UniqueHandle(dup);
    }
  }
  return win32::open_null_device(for_reading);
}

// True when this process has a console a child could share (GetConsoleCP is 0 without one).
bool host_has_console() { return GetConsoleCP() != 0; }

// The attribute list that limits inheritance to `handles`, freed by its destructor.
class HandleListAttribute {
 public:
  ~HandleListAttribute() {
    if (list_ != nullptr) DeleteProcThreadAttributeList(list_);
  }
  Result<void> init(std::vector<HANDLE> handles) {
    handles_ = std::move(handles);
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    storage_.reset(new char[size]);
    auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.get());
    if (!InitializeProcThreadAttributeList(list, 1, 0, &size)) {
      return win32::last_error("InitializeProcThreadAttributeList");
    }
    list_ = list;
    if (!UpdateProcThreadAttribute(list_, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles_.data(),
                                   handles_.size() * sizeof(HANDLE), nullptr, nullptr)) {
      return win32::last_error("UpdateProcThreadAttribute(HANDLE_LIST)");
    }
    return ok_result();
  }
  LPPROC_THREAD_ATTRIBUTE_LIST get() const { return list_; }

 private:
  std::vector<HANDLE> handles_;  // must outlive the list, which points into it
  std::unique_ptr<char[]> storage_;
  LPPROC_THREAD_ATTRIBUTE_LIST list_ = nullptr;
};

// A job that kills every process in it when its last handle closes, so the child's tree dies with
// the host, and that TerminateJobObject ends as a whole. It reports to no completion port: exits
// are learned from the process handle (exit_watcher.hpp).
Result<UniqueHandle> make_kill_on_close_job() {
  UniqueHandle job(CreateJobObjectW(nullptr, nullptr));
  if (!job.valid()) return win32::last_error("CreateJobObjectW");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits,
                               sizeof limits)) {
    return win32::last_error("SetInformationJobObject(KILL_ON_JOB_CLOSE)");
  }
  return job;
}

Result<void> check_working_directory(const SpawnOptions& options, std::wstring& wide_dir) {
  if (options.working_directory.empty()) return ok_result();
  auto wide = win32::to_wide(options.working_directory, "working directory");
  if (!wide) return wide.error();
  const DWORD attrs = GetFileAttributesW(wide->c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) {
    // The OS's code is kept, so a caller can tell a missing directory from a bad argument.
    const DWORD err = GetLastError();
    const bool missing = err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND;
    return Error(std::error_code(static_cast<int>(err), std::system_category()),
                 "working directory " + options.working_directory +
                     (missing ? " does not exist" : ": " + win32::error_text(err)));
  }
  if ((attrs & FILE_ATTRIBUTE_DIRECTORY) == 0) {
    // ERROR_DIRECTORY ("The directory name is invalid") is what CreateProcessW itself reports.
    return Error(std::error_code(ERROR_DIRECTORY, std::system_category()),
                 "working directory " + options.working_directory + " is not a directory");
  }
  wide_dir = std::move(*wide);
  return ok_result();
}

}  // namespace

Result<std::shared_ptr<ProcessState>> spawn_process(const SpawnOptions& options) {
  const std::string& program = options.program;
  std::wstring cwd;
  if (Result<void> c = check_working_directory(options, cwd); !c) return c.error();

  // The environment is always passed explicitly: the block must be UTF-16 and sorted.
  // Inherited variables stay UTF-16 as they are; only the overrides are converted.
  auto env = win32::child_environment(
      options.clear_env ? std::vector<std::wstring>() : win32::parent_environment(), options);
  if (!env) return env.error();
  auto resolved = win32::resolve_program(program, win32::find_variable(*env, L"PATH"),
                                         win32::find_variable(*env, L"PATHEXT"));
  std::wstring block = win32::make_environment_block(std::move(*env));
  if (!resolved) return resolved.error();

  // Before anything is created: a watcher that cannot start leaves nothing to undo.
  if (Result<void> watcher = win32::prepare_exit_watcher(); !watcher) return watcher.error();

  std::wstring application = *resolved;
  Result<std::wstring> command_line = std::wstring();
  if (win32::is_batch_file(*resolved)) {
    // CreateProcessW would start cmd.exe for a batch file by itself, with a command line cmd.exe
    // parses by other rules than the runtime's: run it explicitly, quoted for cmd.exe.
    wchar_t sysdir[MAX_PATH];
    UINT n = GetSystemDirectoryW(sysdir, MAX_PATH);
    if (n == 0 || n >= MAX_PATH) return spawn_os_error(GetLastError());
    application = std::wstring(sysdir, n) + L"\\cmd.exe";
    command_line = win32::build_batch_command_line(application, *resolved, options.args);
  } else {
    command_line = win32::build_command_line(program, options.args);
  }
  if (!command_line) return command_line.error();

  // The three std handles of the child, and the parent's pipe ends.
  UniqueHandle child_ends[3];
  Pipe parent_ends[3];
  const DWORD std_ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  const Stdio modes[3] = {options.stdin_mode, options.stdout_mode, options.stderr_mode};
  const int streams = options.merge_stderr_into_stdout ? 2 : 3;
  for (int i = 0; i < streams; ++i) {
    Result<UniqueHandle> h = UniqueHandle();
    if (modes[i] == Stdio::Pipe) {
      auto pipe = win32::make_child_pipe(i != 0);
      if (!pipe) return pipe.error();
      parent_ends[i] = std::move(pipe->parent);
      h = std::move(pipe->child);
    } else if (modes[i] == Stdio::Null) {
      h = win32::open_null_device(i == 0);
    } else {
      h = inherit_std_handle(std_ids[i], i == 0);
    }
    if (!h) return h.error();
    child_ends[i] = std::move(*h);
  }
  HANDLE std_handles[3] = {child_ends[0].get(), child_ends[1].get(),
                           options.merge_stderr_into_stdout ? child_ends[1].get()
                                                            : child_ends[2].get()};
  // Each handle is listed once: the list must not repeat one (stderr merged into stdout).
  std::vector<HANDLE> inherit(std_handles, std_handles + streams);
  HandleListAttribute attribute;
  if (Result<void> a = attribute.init(inherit); !a) return a.error();

  // Only a child with its own group gets a job: the job is how its whole tree is killed.
  UniqueHandle job;
  if (options.new_process_group) {
    Result<UniqueHandle> made = make_kill_on_close_job();
    if (!made) return made.error();
    job = std::move(*made);
  }

  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = std_handles[0];
  si.StartupInfo.hStdOutput = std_handles[1];
  si.StartupInfo.hStdError = std_handles[2];
  si.lpAttributeList = attribute.get();

  const bool console = host_has_console();
  DWORD flags = CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED;
  // Its own console process group, so a CTRL_BREAK_EVENT reaches it (and its tree) and not us.
  if (options.new_process_group) flags |= CREATE_NEW_PROCESS_GROUP;
  // Without a console of our own, a console child would open a window; it gets none instead.
  if (!console) flags |= CREATE_NO_WINDOW;

  // Which graceful request the child can receive (graceful_stop.hpp) is a property of its image,
  // read now, while the file is known to be the one about to run.
  const bool gui = win32::is_gui_program(application);

  PROCESS_INFORMATION pi{};
  std::wstring& cmd = *command_line;
  if (!CreateProcessW(application.c_str(), cmd.data(), nullptr, nullptr, TRUE, flags,
                      block.data(), cwd.empty() ? nullptr : cwd.c_str(), &si.StartupInfo, &pi)) {
    return spawn_os_error(GetLastError());
  }
  UniqueHandle thread(pi.hThread);
  auto native = std::unique_ptr<NativeProcess, NativeProcessDeleter>(new NativeProcess);
  native->process.reset(pi.hProcess);
  native->pid = pi.dwProcessId;
  native->own_group = options.new_process_group;
  native->console_shared = console && options.new_process_group;
  native->gui = gui;
  NativeProcess* raw = native.get();
  raw->job = std::move(job);
  auto state = std::make_shared<ProcessState>(static_cast<ProcessId>(pi.dwProcessId),
                                              std::move(native));
  raw->owner = state;

  // Any failure from here on terminates the suspended child and publishes its exit; the state's
  // deleter closes the handles (once the watcher, if it was given the child, has let go of it).
  auto fail = [&](Error error) -> Result<std::shared_ptr<ProcessState>> {
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, INFINITE);
    win32::settle_exit(*state);
    return error;
  };
  if (raw->job.valid() && !AssignProcessToJobObject(raw->job.get(), pi.hProcess)) {
    return fail(win32::last_error("cannot put the child in its job object"));
  }
  // Watched before the child runs a single instruction; a process handle would report an exit
  // that came first anyway.
  if (Result<void> watched = win32::watch_child(state); !watched) return fail(watched.error());
  if (ResumeThread(pi.hThread) == static_cast<DWORD>(-1)) {
    return fail(win32::last_error("cannot resume the child"));
  }
  state->set_pipes(std::move(parent_ends[0]), std::move(parent_ends[1]),
                   std::move(parent_ends[2]));
  // The child ends close here (child_ends' destructors): the child holds its own copies, and an
  // EOF on a read end must not wait for a handle of ours.
  return state;
}

}  // namespace modhost::detail
