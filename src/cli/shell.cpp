#include "shell.hpp"

#include "strings.hpp"

namespace modhost::cli {

bool is_simple_shell_command(std::string_view command) noexcept {
  command = trim(command);
  if (command.empty()) return false;
  // Control operators only count outside quotes: `python -c "print(1)"` is still one command.
  char quote = 0;
  for (std::size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"') ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\') {
      ++i;
    } else if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`' || c == '\n') {
      return false;
    }
  }
  if (quote != 0) return false;  // unbalanced: let the shell report it, unchanged
  std::size_t end = 0;
  while (end < command.size() && !is_ascii_space(command[end])) ++end;
  std::string_view first = command.substr(0, end);
  // `FOO=1 prog` would make exec try to run "FOO=1".
  if (first.find('=') != std::string_view::npos) return false;
  // Keywords and builtins: `exec if ...` or `exec cd ...` is not what the user wrote.
  static constexpr std::string_view kNotExecutable[] = {
      "{",    "if",   "then", "else", "elif", "fi",     "for",    "while", "until", "do",
      "done", "case", "esac", "!",    "exec",   "cd",     "export", "set",  "unset",
      ".",    "source", "eval", "trap", "ulimit", "umask", "wait",  "exit", "return"};
  for (std::string_view k : kNotExecutable) {
    if (first == k) return false;
  }
  return true;
}

}  // namespace modhost::cli
