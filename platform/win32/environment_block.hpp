#pragma once
// The child's environment on Windows, kept in UTF-16 from end to end: the inherited variables are
// passed through exactly as GetEnvironmentStringsW gives them (a value UTF-8 cannot carry, such as
// a lone surrogate, arrives unchanged), and only the caller's changes are converted from UTF-8.
// Keys are compared the way Windows compares them: ordinally, ignoring case beyond ASCII too.

#include <string>
#include <string_view>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost/result.hpp"

namespace modhost::detail::win32 {

// The parent's environment as UTF-16 "KEY=VALUE" entries, unchanged (GetEnvironmentStringsW).
std::vector<std::wstring> parent_environment();

// True when two variable names are the same variable for Windows: CompareStringOrdinal with
// ignore-case, which uses the system's upper-case table ("MH_äö" is "MH_ÄÖ"), not only ASCII's.
bool same_variable(std::wstring_view a, std::wstring_view b) noexcept;

// The child's entries: `base` (ignored with options.clear_env) with options.env applied in order
// (a value sets the variable in place of every spelling of its name, nullopt removes them all).
// Only the overrides are converted; errors (errc::invalid_argument) name the variable whose key
// or value is not valid UTF-8.
Result<std::vector<std::wstring>> child_environment(std::vector<std::wstring> base,
                                                     const SpawnOptions& options);

// The value of variable `key` in `env` (compared with same_variable), or nullptr when absent. The
// pointer is into `env` and valid while it is unchanged.
const wchar_t* find_variable(const std::vector<std::wstring>& env, std::wstring_view key) noexcept;

// The block for CREATE_UNICODE_ENVIRONMENT: the entries sorted by key without regard to case (the
// order Windows keeps its own blocks in, which some programs rely on), each NUL-terminated, and
// the block ended by one more NUL (two for an empty block).
std::wstring make_environment_block(std::vector<std::wstring> entries);

}  // namespace modhost::detail::win32
