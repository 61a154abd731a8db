#pragma once
// The environment block CreateProcessW takes with CREATE_UNICODE_ENVIRONMENT.

#include <string>
#include <vector>

#include "modhost/result.hpp"

namespace modhost::detail::win32 {

// The parent's environment as UTF-8 "KEY=VALUE" entries (GetEnvironmentStringsW).
std::vector<std::string> parent_environment();

// The block for `env` ("KEY=VALUE" entries, UTF-8): UTF-16, sorted by key without regard to case
// (the order Windows keeps its own blocks in, which some programs rely on), each entry
// NUL-terminated and the block ended by one more NUL (two for an empty block). Errors
// (errc::invalid_argument) name the variable whose text is not valid UTF-8.
Result<std::wstring> make_environment_block(const std::vector<std::string>& env);

}  // namespace modhost::detail::win32
