// Command-line quoting for CreateProcessW (see command_line.hpp).

#include "command_line.hpp"

#include "utf16.hpp"

namespace modhost::detail::win32 {
namespace {

// CreateProcessW's limit is 32767 characters including the terminating NUL.
constexpr std::size_t kMaxCommandLine = 32766;
// cmd.exe's limit on the command it runs.
constexpr std::size_t kMaxCmdExeLine = 8191;

std::string arg_name(std::size_t index) { return "argument " + std::to_string(index + 1); }

bool needs_quotes(std::wstring_view arg) {
  return arg.empty() || arg.find_first_of(L" \t\n\v\"") != std::wstring_view::npos;
}

Error too_long(std::size_t size, std::size_t max, const char* who) {
  return Error(errc::invalid_argument, "the command line is too long for " + std::string(who) +
                                           " (" + std::to_string(size) + " characters, at most " +
                                           std::to_string(max) + ")");
}

// True for the characters a batch-file argument may hold without quotes: nothing cmd.exe gives a
// meaning to. Everything else, non-ASCII included, is quoted (which costs nothing).
bool batch_safe_unquoted(wchar_t c) {
  if ((c >= L'a' && c <= L'z') || (c >= L'A' && c <= L'Z') || (c >= L'0' && c <= L'9')) {
    return true;
  }
  return std::wstring_view(L"#$*+-./:?@\\_").find(c) != std::wstring_view::npos;
}

}  // namespace

void append_quoted_argument(std::wstring& cmd, std::wstring_view arg) {
  if (!needs_quotes(arg)) {
    cmd.append(arg);
    return;
  }
  cmd.push_back(L'"');
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') {
      // 2n+1 backslashes then the quote: n literal backslashes and a literal quote.
      cmd.append(2 * backslashes + 1, L'\\');
    } else {
      // Backslashes not followed by a quote are literal.
      cmd.append(backslashes, L'\\');
    }
    backslashes = 0;
    cmd.push_back(c);
  }
  // The closing quote follows: the trailing run must be doubled so it stays literal.
  cmd.append(2 * backslashes, L'\\');
  cmd.push_back(L'"');
}

Result<std::wstring> build_command_line(std::string_view argv0,
                                        const std::vector<std::string>& args) {
  auto wide0 = to_wide(argv0, "program");
  if (!wide0) return wide0.error();
  // The runtime reads argv[0] up to the next quote (when it starts with one) or blank, with no
  // escapes, and Windows file names cannot contain a quote anyway.
  if (wide0->find(L'"') != std::wstring::npos) {
    return Error(errc::invalid_argument, "program contains a double quote: " + std::string(argv0));
  }
  std::wstring cmd;
  if (wide0->empty() || wide0->find_first_of(L" \t") != std::wstring::npos) {
    cmd.push_back(L'"');
    cmd.append(*wide0);
    cmd.push_back(L'"');
  } else {
    cmd.append(*wide0);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto wide = to_wide(args[i], arg_name(i));
    if (!wide) return wide.error();
    cmd.push_back(L' ');
    append_quoted_argument(cmd, *wide);
  }
  if (cmd.size() > kMaxCommandLine) return too_long(cmd.size(), kMaxCommandLine, "CreateProcessW");
  return cmd;
}

bool is_batch_file(std::wstring_view path) {
  while (!path.empty() && (path.back() == L'.' || path.back() == L' ')) path.remove_suffix(1);
  if (path.size() < 4 || path[path.size() - 4] != L'.') return false;
  std::wstring ext;
  for (wchar_t c : path.substr(path.size() - 3)) {
    ext.push_back(c >= L'A' && c <= L'Z' ? static_cast<wchar_t>(c - L'A' + L'a') : c);
  }
  return ext == L"bat" || ext == L"cmd";
}

Result<std::wstring> build_batch_command_line(std::wstring_view cmd_exe, std::wstring_view script,
                                              const std::vector<std::string>& args) {
  if (script.find_first_of(L"\"%\r\n") != std::wstring_view::npos) {
    return Error(errc::invalid_argument,
                 "batch file path contains a character cmd.exe cannot carry safely "
                 "(a double quote, a percent sign or a line break)");
  }
  std::wstring cmd = L"\"";
  cmd.append(cmd_exe);
  // /d: no AutoRun commands from the registry; /e:ON: the usual extensions; /v:OFF: no delayed
  // !VAR! expansion; /s /c "...": strip exactly the outer quotes and run the rest as it is.
  cmd.append(L"\" /d /e:ON /v:OFF /s /c \"\"");
  cmd.append(script);
  cmd.push_back(L'"');
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto wide = to_wide(args[i], arg_name(i));
    if (!wide) return wide.error();
    if (wide->find_first_of(L"\"%\r\n") != std::wstring::npos) {
      // These cannot be passed through cmd.exe without either changing the argument (%VAR%
      // expands even inside quotes) or letting it escape its quotes and run as a command.
      return Error(errc::invalid_argument,
                   arg_name(i) + " cannot be passed to a batch file safely: cmd.exe would "
                   "interpret its double quote, percent sign or line break");
    }
    cmd.push_back(L' ');
    // A trailing backslash is quoted and doubled: batch files commonly hand their arguments on
    // with %* or "%~1", and a program parsing by the runtime's rules would otherwise read `\"` as
    // an escaped quote and run the rest of the line into this argument.
    bool quote = wide->empty() || wide->back() == L'\\';
    for (wchar_t c : *wide) quote = quote || !batch_safe_unquoted(c);
    if (!quote) {
      cmd.append(*wide);
      continue;
    }
    std::size_t trailing = 0;
    while (trailing < wide->size() && (*wide)[wide->size() - 1 - trailing] == L'\\') ++trailing;
    cmd.push_back(L'"');
    cmd.append(*wide);
    cmd.append(trailing, L'\\');
    cmd.push_back(L'"');
  }
  cmd.push_back(L'"');
  if (cmd.size() > kMaxCmdExeLine) return too_long(cmd.size(), kMaxCmdExeLine, "cmd.exe");
  return cmd;
}

}  // namespace modhost::detail::win32
