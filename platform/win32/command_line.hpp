#pragma once
// Building the one command-line string CreateProcessW takes from a program and its arguments.
// Pure string work (no OS header), so it is unit-tested directly.

#include <string>
#include <string_view>
#include <vector>

#include "modhost/result.hpp"

namespace modhost::detail::win32 {

// Appends `arg` to `cmd` quoted by the rules CommandLineToArgvW and the MSVC runtime use to split
// a command line, so the child's argv gets `arg` back unchanged: quoted when empty or when it has
// a space, tab, newline, vertical tab or quote; inside quotes, a run of backslashes is doubled
// when a quote (the argument's own or the closing one) follows it, and each quote is escaped.
void append_quoted_argument(std::wstring& cmd, std::wstring_view arg);

// The command line of an ordinary program: `argv0` (which the runtime parses without escapes, so
// it may not contain a quote), then every argument quoted as above. Errors (errc::
// invalid_argument): invalid UTF-8 or NUL in an argument (naming it), a quote in argv0, a line
// longer than the 32766 characters CreateProcessW accepts.
Result<std::wstring> build_command_line(std::string_view argv0,
                                        const std::vector<std::string>& args);

// True when `path` names a batch file: it ends in .bat or .cmd in any case, ignoring trailing
// dots and spaces (which Windows strips from file names, so "x.bat. " runs x.bat too).
bool is_batch_file(std::wstring_view path);

// The command line that runs batch file `script` (a full path) through cmd.exe:
//   cmd.exe /d /e:ON /v:OFF /s /c ""<script>" <args>"
// cmd.exe does not split arguments by the runtime's rules: it expands %VAR% even inside quotes
// and treats & | < > ^ ( ) as operators outside them. So each argument is quoted when it holds
// anything but letters, digits and # $ * + - . / : ? @ \ _, and an argument that cmd cannot carry
// safely is refused with errc::invalid_argument: one with a quote, a percent sign, a carriage
// return or a line feed (delayed expansion with ! is switched off by /v:OFF). A quoted argument's
// trailing backslashes are doubled (as Rust's std does), so a script passing %* on to a program
// hands it the argument intact; %~1 in the script then sees them doubled. The script path may not
// hold a quote or a percent sign either. cmd.exe accepts at most 8191 characters.
Result<std::wstring> build_batch_command_line(std::wstring_view cmd_exe, std::wstring_view script,
                                              const std::vector<std::string>& args);

}  // namespace modhost::detail::win32
