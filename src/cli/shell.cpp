#include "shell.hpp"

#include "text.hpp"

namespace modhost::cli {

bool is_simple_shell_command(std::string_view command) noexcept {
  command = trim(command);
  if (command.empty()) return false;
  for (char c : command) {
    if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`' || c == '\n' ||
        c == '{' || c == '}') {
      return false;
    }
  }
  if (command.find("$(") != std::string_view::npos) return false;
  std::size_t end = 0;
  while (end < command.size() && !is_ascii_space(command[end])) ++end;
  std::string_view first = command.substr(0, end);
  // `FOO=1 prog` would make exec try to run "FOO=1".
  if (first.find('=') != std::string_view::npos) return false;
  // Keywords and builtins: `exec if ...` or `exec cd ...` is not what the user wrote.
  static constexpr std::string_view kNotExecutable[] = {
      "if",   "then", "else", "elif", "fi",     "for",    "while", "until", "do",
      "done", "case", "esac", "!",    "exec",   "cd",     "export", "set",  "unset",
      ".",    "source", "eval", "trap", "ulimit", "umask", "wait",  "exit", "return"};
  for (std::string_view k : kNotExecutable) {
    if (first == k) return false;
  }
  return true;
}

}  // namespace modhost::cli
