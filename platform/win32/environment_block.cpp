// The Win32 environment block (see environment_block.hpp).

#include "environment_block.hpp"

#include <algorithm>

#include "handle.hpp"
#include "text.hpp"

namespace modhost::detail::win32 {
namespace {

// The key part of an entry; "=C:=C:\dir" (a per-drive directory) has a key starting with '='.
std::wstring_view key_of(const std::wstring& entry) {
  const std::size_t eq = entry.size() > 1 ? entry.find(L'=', 1) : std::wstring::npos;
  return eq == std::wstring::npos ? std::wstring_view(entry) : std::wstring_view(entry).substr(0, eq);
}

}  // namespace

std::vector<std::string> parent_environment() {
  std::vector<std::string> env;
  wchar_t* block = GetEnvironmentStringsW();
  if (block == nullptr) return env;
  for (const wchar_t* p = block; *p != L'\0';) {
    std::wstring_view entry(p);
    env.push_back(to_utf8(entry));
    p += entry.size() + 1;
  }
  FreeEnvironmentStringsW(block);
  return env;
}

Result<std::wstring> make_environment_block(const std::vector<std::string>& env) {
  std::vector<std::wstring> entries;
  entries.reserve(env.size());
  for (const auto& entry : env) {
    const std::size_t eq = entry.size() > 1 ? entry.find('=', 1) : std::string::npos;
    auto wide = to_wide(entry, "environment variable " + entry.substr(0, eq));
    if (!wide) return wide.error();
    entries.push_back(std::move(*wide));
  }
  // CompareStringOrdinal with ignore-case uses the OS's own upper-case table, as Windows does
  // when it sorts a block.
  std::stable_sort(entries.begin(), entries.end(), [](const std::wstring& a, const std::wstring& b) {
    std::wstring_view ka = key_of(a), kb = key_of(b);
    return CompareStringOrdinal(ka.data(), static_cast<int>(ka.size()), kb.data(),
                                static_cast<int>(kb.size()), TRUE) == CSTR_LESS_THAN;
  });
  std::wstring block;
  for (const auto& entry : entries) {
    block.append(entry);
    block.push_back(L'\0');
  }
  if (entries.empty()) block.push_back(L'\0');
  block.push_back(L'\0');
  return block;
}

}  // namespace modhost::detail::win32
