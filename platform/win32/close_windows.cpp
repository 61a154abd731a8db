// close_top_level_windows (graceful_stop.hpp): WM_CLOSE to a GUI child's top-level windows, the
// request Windows' own tools send (taskkill without /F, Task Manager's "End task"), and the one
// Microsoft describes for terminating an application cleanly: post WM_CLOSE to the process's
// top-level windows, found with EnumWindows and GetWindowThreadProcessId.
//
// user32 is loaded on first use, by name from the system directory, not linked: a host that never
// stops a GUI child never loads it (its first use costs most of a second under Wine, and on
// Windows it makes a process a GUI thread's owner).

#include <string>
#include <vector>

#include "graceful_stop.hpp"

namespace modhost::detail::win32 {
namespace {

struct User32 {
  decltype(&::EnumWindows) enum_windows = nullptr;
  decltype(&::GetWindowThreadProcessId) window_process = nullptr;
  decltype(&::GetWindow) get_window = nullptr;
  decltype(&::IsWindowEnabled) is_enabled = nullptr;
  decltype(&::PostMessageW) post = nullptr;
  DWORD load_error = 0;
};

template <class F>
void resolve(HMODULE module, const char* name, F& fn) {
  // GetProcAddress returns FARPROC, which is cast to the function's own type by design.
  fn = reinterpret_cast<F>(reinterpret_cast<void*>(GetProcAddress(module, name)));
}

// Loaded once, and never unloaded (a work item may still use it while the host exits).
const User32& user32() {
  static const User32 api = [] {
    User32 u;
    HMODULE module = LoadLibraryExW(L"user32.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (module == nullptr) {
      u.load_error = GetLastError();
      return u;
    }
    resolve(module, "EnumWindows", u.enum_windows);
    resolve(module, "GetWindowThreadProcessId", u.window_process);
    resolve(module, "GetWindow", u.get_window);
    resolve(module, "IsWindowEnabled", u.is_enabled);
    resolve(module, "PostMessageW", u.post);
    if (!u.enum_windows || !u.window_process || !u.get_window || !u.is_enabled || !u.post) {
      u.load_error = ERROR_PROC_NOT_FOUND;
    }
    return u;
  }();
  return api;
}

// The processes whose windows are closed: the child, and with a job every process in it. Each
// other process is opened and checked to be in the job while its id is used, so an id that was
// reused after the listing is never taken for one of ours.
struct Targets {
  std::vector<DWORD> pids;
  std::vector<UniqueHandle> held;  // keeps the listed ids from being reused meanwhile
};

Targets targets_of(const NativeProcess& native) {
  Targets t;
  t.pids.push_back(native.pid);
  if (!native.own_group || !native.job.valid()) return t;
  std::vector<char> buf(sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + 64 * sizeof(ULONG_PTR));
  for (;;) {
    auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(buf.data());
    if (QueryInformationJobObject(native.job.get(), JobObjectBasicProcessIdList, list,
                                  static_cast<DWORD>(buf.size()), nullptr) ||
        GetLastError() == ERROR_MORE_DATA) {
      if (list->NumberOfProcessIdsInList < list->NumberOfAssignedProcesses) {
        buf.resize(sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) +
                   (list->NumberOfAssignedProcesses + 16) * sizeof(ULONG_PTR));
        continue;
      }
      for (DWORD i = 0; i < list->NumberOfProcessIdsInList; ++i) {
        const auto pid = static_cast<DWORD>(list->ProcessIdList[i]);
        if (pid == native.pid) continue;
        // Wine 8 refuses IsProcessInJob with the limited right alone; Windows takes either.
        UniqueHandle h(OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, pid));
        if (!h.valid()) h.reset(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
        BOOL in_job = FALSE;
        if (h.valid() && IsProcessInJob(h.get(), native.job.get(), &in_job) && in_job) {
          t.pids.push_back(pid);
          t.held.push_back(std::move(h));
        }
      }
    }
    return t;  // without the list, the child's own windows are still closed
  }
}

struct Search {
  const User32* api;
  const std::vector<DWORD>* pids;
  int posted;
};

BOOL CALLBACK on_window(HWND window, LPARAM context) {
  auto& s = *reinterpret_cast<Search*>(context);
  DWORD pid = 0;
  s.api->window_process(window, &pid);
  bool ours = false;
  for (DWORD p : *s.pids) ours = ours || p == pid;
  // Top-level (EnumWindows lists only those), unowned and enabled: an owned window belongs to
  // its owner's close, and a disabled one is waiting for a modal dialog to end.
  if (ours && s.api->get_window(window, GW_OWNER) == nullptr && s.api->is_enabled(window) &&
      s.api->post(window, WM_CLOSE, 0, 0)) {
    ++s.posted;
  }
  return TRUE;
}

}  // namespace

Result<void> close_top_level_windows(const NativeProcess& native) {
  const User32& api = user32();
  if (api.load_error != 0) {
    return os_error(api.load_error, "cannot send WM_CLOSE to process " +
                                        std::to_string(native.pid) + ": cannot load user32.dll");
  }
  const Targets targets = targets_of(native);
  Search search{&api, &targets.pids, 0};
  if (!api.enum_windows(&on_window, reinterpret_cast<LPARAM>(&search))) {
    return last_error("cannot send WM_CLOSE to process " + std::to_string(native.pid) +
                      ": EnumWindows");
  }
  if (search.posted == 0) {
    return Error(errc::unsupported, "cannot send WM_CLOSE to process " +
                                        std::to_string(native.pid) +
                                        ": it has no top-level window to close");
  }
  return ok_result();
}

}  // namespace modhost::detail::win32
