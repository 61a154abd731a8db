#include "procfile.hpp"

#include <optional>

#include "strings.hpp"

namespace modhost::cli {

std::size_t Procfile::index_of(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name == name) return i;
  }
  return entries.size();
}

bool is_valid_process_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_ascii_alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

Result<Procfile> parse_procfile(std::string_view text) {
  Procfile out;
  // A BOM is what some Windows editors put first; it is not part of the first name.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  std::optional<Error> error;
  std::size_t line_no = 0;
  for_each_line(text, [&](std::string_view line) -> bool {
    ++line_no;
    std::string_view body = trim(line);
    if (body.empty() || body.front() == '#') return true;

    std::size_t colon = body.find(':');
    if (colon == std::string_view::npos) {
      out.warnings.push_back({line_no, "not a \"NAME: COMMAND\" line (no ':'), skipped"});
      return true;
    }
    std::string_view name = trim(body.substr(0, colon));
    std::string_view command = trim(body.substr(colon + 1));
    if (!is_valid_process_name(name)) {
      out.warnings.push_back({line_no, "invalid process name \"" + std::string(name) +
                                           "\" (use letters, digits, '_' and '-'), skipped"});
      return true;
    }
    if (command.empty()) {
      out.warnings.push_back({line_no, "process \"" + std::string(name) + "\" has no command, skipped"});
      return true;
    }
    std::size_t previous = out.index_of(name);
    if (previous != out.entries.size()) {
      error = Error(errc::parse_error,
                     "line " + std::to_string(line_no) + ": duplicate process name \"" +
                         std::string(name) + "\" (first defined on line " +
                         std::to_string(out.entries[previous].line) + ")");
      return false;
    }
    out.entries.push_back({std::string(name), std::string(command), line_no});
    return true;
  });
  if (error) return *error;
  return out;
}

}  // namespace modhost::cli
