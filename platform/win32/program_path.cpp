// Program lookup (see program_path.hpp).

#include "program_path.hpp"

#include <vector>

#include "handle.hpp"
#include "utf16.hpp"

namespace modhost::detail::win32 {
namespace {

bool is_file(const std::wstring& path) {
  const DWORD attrs = GetFileAttributesW(path.c_str());
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

std::vector<std::wstring> split_list(const std::wstring& list) {
  std::vector<std::wstring> parts;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(L';', start);
    if (end == std::wstring::npos) end = list.size();
    std::wstring part = list.substr(start, end - start);
    // PATH entries are sometimes quoted ("C:\Program Files\x"); the quotes are not part of it.
    if (part.size() >= 2 && part.front() == L'"' && part.back() == L'"') {
      part = part.substr(1, part.size() - 2);
    }
    if (!part.empty()) parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

// The candidates for one base name: as it is when it has an extension, then with each PATHEXT
// extension (CreateProcessW itself would only ever add ".exe").
bool find_with_extensions(const std::wstring& base, const std::vector<std::wstring>& exts,
                          std::wstring& found) {
  const std::size_t slash = base.find_last_of(L"\\/");
  const std::size_t dot = base.find_last_of(L'.');
  const bool has_ext = dot != std::wstring::npos && (slash == std::wstring::npos || dot > slash);
  if (has_ext && is_file(base)) {
    found = base;
    return true;
  }
  for (const auto& ext : exts) {
    std::wstring candidate = base + ext;
    if (is_file(candidate)) {
      found = candidate;
      return true;
    }
  }
  return false;
}

std::wstring full_path(const std::wstring& path) {
  DWORD size = GetFullPathNameW(path.c_str(), 0, nullptr, nullptr);
  if (size == 0) return path;
  std::wstring out(size, L'\0');
  size = GetFullPathNameW(path.c_str(), size, out.data(), nullptr);
  out.resize(size);
  return out;
}

std::wstring system_path() {
  wchar_t dir[MAX_PATH];
  std::wstring result;
  UINT n = GetSystemDirectoryW(dir, MAX_PATH);
  if (n > 0 && n < MAX_PATH) result.append(dir, n);
  n = GetWindowsDirectoryW(dir, MAX_PATH);
  if (n > 0 && n < MAX_PATH) result.append(L";").append(dir, n);
  return result;
}

}  // namespace

Result<std::wstring> resolve_program(std::string_view program, const wchar_t* path,
                                     const wchar_t* pathext) {
  auto wide = to_wide(program, "program");
  if (!wide) return wide.error();
  std::wstring exts_text = L".COM;.EXE;.BAT;.CMD";
  if (pathext != nullptr) exts_text = pathext;
  const std::vector<std::wstring> exts = split_list(exts_text);
  std::wstring found;
  if (wide->find_first_of(L"\\/:") != std::wstring::npos) {
    const std::wstring full = full_path(*wide);
    if (find_with_extensions(full, exts, found)) return found;
    // Said as POSIX says it (execve gives EACCES for a directory): "File not found" would send
    // the reader looking for a file that is there.
    const DWORD attrs = GetFileAttributesW(full.c_str());
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0) {
      const Error denied = os_error(ERROR_ACCESS_DENIED, "");
      return Error(denied.code(), denied.message() + " (it is a directory)");
    }
    return os_error(ERROR_FILE_NOT_FOUND, "");
  }
  std::wstring dirs = system_path();
  if (path != nullptr) dirs = path;
  for (const auto& dir : split_list(dirs)) {
    std::wstring base = dir;
    if (base.back() != L'\\' && base.back() != L'/') base.push_back(L'\\');
    base += *wide;
    if (find_with_extensions(base, exts, found)) return full_path(found);
  }
  return os_error(ERROR_FILE_NOT_FOUND, "");
}

}  // namespace modhost::detail::win32
