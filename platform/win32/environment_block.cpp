// The Win32 child environment and its block (see environment_block.hpp).

#include "environment_block.hpp"

#include <algorithm>

#include "handle.hpp"
#include "modhost_spawn_support.hpp"
#include "utf16.hpp"

namespace modhost::detail::win32 {
namespace {

// The key part of an entry; "=C:=C:\dir" (a per-drive directory) has a key starting with '='.
std::wstring_view key_of(std::wstring_view entry) noexcept {
  const std::size_t eq = entry.size() > 1 ? entry.find(L'=', 1) : std::wstring_view::npos;
  return eq == std::wstring_view::npos ? entry : entry.substr(0, eq);
}

int compare_keys(std::wstring_view a, std::wstring_view b) noexcept {
  return CompareStringOrdinal(a.data(), static_cast<int>(a.size()), b.data(),
                              static_cast<int>(b.size()), TRUE);
}

}  // namespace

std::vector<std::wstring> parent_environment() {
  std::vector<std::wstring> env;
  wchar_t* block = GetEnvironmentStringsW();
  if (block == nullptr) return env;
  for (const wchar_t* p = block; *p != L'\0';) {
    std::wstring_view entry(p);
    env.emplace_back(entry);
    p += entry.size() + 1;
  }
  FreeEnvironmentStringsW(block);
  return env;
}

bool same_variable(std::wstring_view a, std::wstring_view b) noexcept {
  return compare_keys(a, b) == CSTR_EQUAL;
}

Result<std::vector<std::wstring>> child_environment(std::vector<std::wstring> base,
                                                     const SpawnOptions& options) {
  std::vector<std::wstring> env;
  if (!options.clear_env) env = std::move(base);
  for (const auto& [key, value] : options.env) {
    // The name in a message is escaped: the caller's bytes need not be valid UTF-8.
    const std::string what = "environment variable " + printable(key);
    auto wide_key = to_wide(key, what);
    if (!wide_key) return wide_key.error();
    std::wstring entry;
    if (value) {
      auto wide_value = to_wide(*value, what);
      if (!wide_value) return wide_value.error();
      entry = *wide_key + L"=" + *wide_value;
    }
    bool replaced = false;
    for (std::size_t i = 0; i < env.size();) {
      if (!same_variable(key_of(env[i]), *wide_key)) {
        ++i;
      } else if (value && !replaced) {
        env[i] = entry;
        replaced = true;
        ++i;
      } else {
        env.erase(env.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    if (value && !replaced) env.push_back(std::move(entry));
  }
  return env;
}

const wchar_t* find_variable(const std::vector<std::wstring>& env, std::wstring_view key) noexcept {
  for (const auto& entry : env) {
    std::wstring_view k = key_of(entry);
    if (k.size() < entry.size() && same_variable(k, key)) return entry.c_str() + k.size() + 1;
  }
  return nullptr;
}

std::wstring make_environment_block(std::vector<std::wstring> entries) {
  // CompareStringOrdinal with ignore-case uses the OS's own upper-case table, as Windows does
  // when it sorts a block.
  std::stable_sort(entries.begin(), entries.end(), [](const std::wstring& a, const std::wstring& b) {
    return compare_keys(key_of(a), key_of(b)) == CSTR_LESS_THAN;
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
