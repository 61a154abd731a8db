#pragma once
// The fuzzer's reference level detector (log_level_reference.cpp).

#include <string_view>

#include "modhost/log.hpp"

namespace modhost::reference {

// What modhost::detect_log_level must return for `line`, by the plain scanners of
// log_level_reference.cpp.
LogLevel detect_log_level(std::string_view line) noexcept;

}  // namespace modhost::reference
