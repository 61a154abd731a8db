#pragma once
// The .env grammar of the modhost tool (the common dotenv dialect that foreman, honcho and
// docker compose users write):
//
//   # comment                    KEY=unquoted value   # inline comment after whitespace
//   export KEY=value             KEY='literal, no escapes, no $expansion'
//   KEY = value                  KEY="escapes \n \t \r \" \\ \$, ${VAR} and $VAR expansion,
//                                     and several lines"
//
// `${VAR}`, `${VAR:-default}` and `$VAR` are expanded in unquoted and double-quoted values, from
// the variables defined earlier (in this file or an earlier one), then from the inherited
// environment; an unknown variable expands to nothing.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modhost/result.hpp"

namespace modhost::cli {

/// Environment variables in definition order; setting a key again replaces its value in place.
class EnvVars {
 public:
  /// Sets `key` to `value`, replacing an earlier value (later definitions win).
  void set(std::string key, std::string value);
  /// The value of `key`, or nullptr when it is not set here.
  const std::string* find(std::string_view key) const noexcept;
  /// The value a child started with these variables on top of the tool's environment gets for
  /// `key`: this set's, else the tool's own (`std::getenv`); nullopt when neither has it.
  std::optional<std::string> value_for_child(const char* key) const;
  /// All variables, in the order they were first defined.
  const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

/// Looks a variable up in the inherited environment (the tool passes `std::getenv`; tests pass a
/// map). Returns nullopt when the variable is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// True when `key` is a valid variable name: `[A-Za-z_][A-Za-z0-9_]*`.
bool is_valid_env_key(std::string_view key) noexcept;

/// Parses the text of one .env file into `vars` (adding to what earlier files defined; later
/// definitions win). `file` names the file in messages. A line that is not `KEY=VALUE` at all (no
/// `=`, or a key that is not a variable name, such as `-foo=command`) is skipped, as foreman and
/// honcho do, with a warning `FILE:LINE: what, skipped` added to `warnings` when given. Errors
/// (`errc::parse_error`), each `FILE:LINE: what`, for what cannot be skipped safely: an
/// unterminated quote (reported at the line where the quote opened: where the value ends is
/// unknown), text after a closing quote, an unterminated `${` or a bad name in it. On error,
/// `vars` keeps the definitions read before the bad line. Pure apart from calling `inherited`.
Result<void> parse_dotenv(std::string_view text, std::string_view file, EnvVars& vars,
                          const EnvLookup& inherited,
                          std::vector<std::string>* warnings = nullptr);

}  // namespace modhost::cli
