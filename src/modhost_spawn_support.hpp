#pragma once
// Portable pieces of spawning a child, shared by every platform: validating SpawnOptions before
// any OS call, and building the child's environment from the parent's plus the overrides.

#include <string>
#include <string_view>
#include <vector>

#include "modhost/child_process.hpp"
#include "modhost/result.hpp"

namespace modhost::detail {

// Checks what can be checked without the OS: a non-empty program; no NUL byte in the program, an
// argument, an environment key or value, or the working directory; environment keys neither empty
// nor containing '='. Errors are errc::invalid_argument and name the bad field
// ("invalid spawn options: argument 2 contains a NUL byte").
Result<void> validate_spawn_options(const SpawnOptions& options);

// The child's environment as "KEY=VALUE" entries: `base` (the parent's, ignored with
// options.clear_env) with options.env applied in order (a value sets, nullopt removes). Keys are
// compared exactly, or ASCII-case-insensitively when `case_insensitive_keys` (Windows).
std::vector<std::string> merge_environment(const std::vector<std::string>& base,
                                           const SpawnOptions& options,
                                           bool case_insensitive_keys);

// `text` made safe to put in a message: valid UTF-8 is kept as it is; control characters, NUL
// and bytes that are not part of valid UTF-8 are written as \xNN, so an error message is always
// valid UTF-8 whatever the caller passed.
std::string printable(std::string_view text);

// The value of `key` in a list of "KEY=VALUE" entries, or nullptr when absent. The pointer is into
// `env` and valid while it is unchanged.
const char* find_environment(const std::vector<std::string>& env, std::string_view key,
                             bool case_insensitive_keys) noexcept;

}  // namespace modhost::detail
