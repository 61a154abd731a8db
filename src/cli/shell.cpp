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

namespace {

// Bytes no POSIX shell gives a meaning to inside a word (`=` only matters in a leading
// assignment, which is_simple_shell_command already refuses).
bool is_plain_byte(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_': case '-': case '.': case '/': case ',': case ':': case '+': case '@': case '%':
    case '=':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::vector<std::string>> plain_command_words(std::string_view command) {
  if (!is_simple_shell_command(command)) return std::nullopt;
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < command.size()) {
    if (command[i] == ' ' || command[i] == '\t') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    for (; i < command.size() && command[i] != ' ' && command[i] != '\t'; ++i) {
      if (!is_plain_byte(command[i])) return std::nullopt;
    }
    words.emplace_back(command.substr(start, i - start));
  }
  // `exec -x` would be read as an option of exec.
  if (words.empty() || words.front().front() == '-') return std::nullopt;
  return words;
}

}  // namespace modhost::cli
