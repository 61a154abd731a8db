// Portable SpawnOptions validation and environment merging (see spawn_support.hpp).

#include "modhost_spawn_support.hpp"

#include <cstddef>

namespace modhost::detail {

namespace {

bool has_nul(std::string_view s) noexcept { return s.find('\0') != std::string_view::npos; }

Error bad(const std::string& what) {
  return Error(errc::invalid_argument, "invalid spawn options: " + what);
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool key_equal(std::string_view a, std::string_view b, bool case_insensitive) noexcept {
  if (a.size() != b.size()) return false;
  if (!case_insensitive) return a == b;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The key part of "KEY=VALUE". Windows keeps per-drive entries such as "=C:=C:\\" whose key starts
// with '='; the search for the separator therefore starts after the first character.
std::string_view key_of(std::string_view entry) noexcept {
  std::size_t eq = entry.size() > 1 ? entry.find('=', 1) : std::string_view::npos;
  return eq == std::string_view::npos ? entry : entry.substr(0, eq);
}

}  // namespace

Result<void> validate_spawn_options(const SpawnOptions& options) {
  if (options.program.empty()) return bad("the program is empty");
  if (has_nul(options.program)) return bad("the program contains a NUL byte");
  for (std::size_t i = 0; i < options.args.size(); ++i) {
    if (has_nul(options.args[i])) {
      return bad("argument " + std::to_string(i + 1) + " contains a NUL byte");
    }
  }
  for (const auto& [key, value] : options.env) {
    if (key.empty()) return bad("an environment key is empty");
    if (has_nul(key)) return bad("environment key contains a NUL byte");
    if (key.find('=') != std::string::npos) {
      return bad("environment key '" + key + "' contains '='");
    }
    if (value && has_nul(*value)) {
      return bad("the value of environment variable " + key + " contains a NUL byte");
    }
  }
  if (has_nul(options.working_directory)) return bad("the working directory contains a NUL byte");
  return ok_result();
}

std::vector<std::string> merge_environment(const std::vector<std::string>& base,
                                           const SpawnOptions& options,
                                           bool case_insensitive_keys) {
  std::vector<std::string> env;
  if (!options.clear_env) env = base;
  for (const auto& [key, value] : options.env) {
    bool replaced = false;
    for (std::size_t i = 0; i < env.size();) {
      if (key_equal(key_of(env[i]), key, case_insensitive_keys)) {
        if (value && !replaced) {
          env[i] = key + "=" + *value;
          replaced = true;
          ++i;
        } else {
          env.erase(env.begin() + static_cast<std::ptrdiff_t>(i));
        }
      } else {
        ++i;
      }
    }
    if (value && !replaced) env.push_back(key + "=" + *value);
  }
  return env;
}

const char* find_environment(const std::vector<std::string>& env, std::string_view key,
                             bool case_insensitive_keys) noexcept {
  for (const auto& entry : env) {
    std::string_view k = key_of(entry);
    if (k.size() < entry.size() && key_equal(k, key, case_insensitive_keys)) {
      return entry.c_str() + k.size() + 1;
    }
  }
  return nullptr;
}

namespace {

// The length of the valid UTF-8 sequence at the start of `s` (1-4), or 0 when it is not one:
// overlong forms, surrogates and code points past U+10FFFF are not valid.
std::size_t utf8_sequence(std::string_view s) noexcept {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 ? 2 : 0;
  if (n == 0 || b0 > 0xF4 || s.size() < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  if (b0 == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
  if (b0 == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
  if (b0 == 0xF0 && byte(1) < 0x90) return 0;  // overlong
  if (b0 == 0xF4 && byte(1) >= 0x90) return 0;  // past U+10FFFF
  return n;
}

}  // namespace

std::string printable(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::size_t n = utf8_sequence(text);
    unsigned char b = static_cast<unsigned char>(text[0]);
    if (n == 0 || (n == 1 && (b < 0x20 || b == 0x7F))) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
      n = 1;
    } else {
      out.append(text.data(), n);
    }
    text.remove_prefix(n);
  }
  return out;
}

}  // namespace modhost::detail
