#pragma once
// The Procfile grammar of the modhost tool: `NAME: COMMAND` lines, as foreman and honcho read them,
// except that a line that is neither an entry, a comment nor blank is reported, not dropped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "modhost/result.hpp"

namespace modhost::cli {

/// One `NAME: COMMAND` entry of a Procfile.
struct ProcfileEntry {
  /// The process type's name: letters, digits, `_` and `-`.
  std::string name;
  /// The shell command, trimmed of surrounding whitespace.
  std::string command;
  /// The 1-based line number the entry was read from.
  std::size_t line = 0;
};

/// A line the parser skipped, with the reason.
struct ParseWarning {
  /// The 1-based line number.
  std::size_t line = 0;
  /// Why it was skipped, e.g. `not a "NAME: COMMAND" line`.
  std::string message;
};

/// A parsed Procfile: its entries in file order (which decides colours and ports) and the lines
/// that were skipped.
struct Procfile {
  /// The entries, in file order.
  std::vector<ProcfileEntry> entries;
  /// Lines that were neither entries, comments nor blank.
  std::vector<ParseWarning> warnings;

  /// The index of the entry called `name`, or `entries.size()` when there is none.
  std::size_t index_of(std::string_view name) const noexcept;
};

/// True when `name` is a valid process name: non-empty, only ASCII letters, digits, `_` and `-`.
bool is_valid_process_name(std::string_view name) noexcept;

/// Parses the text of a Procfile. Blank lines and lines whose first non-blank character is `#` are
/// skipped; `\r\n` line ends and a leading UTF-8 BOM are accepted; any other line that is not
/// `NAME: COMMAND` becomes a warning with its line number. Errors (`errc::parse_error`): a name
/// defined twice (`line 4: duplicate process name "web" (first defined on line 1)`). An empty
/// Procfile is not an error here (the caller decides). Never blocks; pure function.
Result<Procfile> parse_procfile(std::string_view text);

}  // namespace modhost::cli
