// POSIX half of src/cli/shell.hpp: commands run under /bin/sh -c, as foreman and honcho run them,
// with `exec` in front of simple commands (see shell.hpp for why), and plain commands run
// directly, as foreman (through Ruby's spawn) runs them.

#include "cli/shell.hpp"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <memory>

namespace modhost::cli {

namespace {

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// An absolute path without `.` or `..` components: the only `PWD` a shell keeps.
bool is_clean_absolute(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string_view part(path.data() + start, end - start);
    if (part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// The `PWD` that `sh` exports when started in `dir` with `inherited` in its environment: the
// inherited value when it names `dir` (a path through a symlink stays as the user has it), else
// the physical path (what getcwd() gives). nullopt when that cannot be found.
std::optional<std::string> shell_pwd(const std::string& dir,
                                     const std::optional<std::string>& inherited) {
  if (inherited && is_clean_absolute(*inherited) && same_file(*inherited, dir)) return inherited;
  std::unique_ptr<char, decltype(&::free)> real(::realpath(dir.c_str(), nullptr), &::free);
  if (!real) return std::nullopt;
  return std::string(real.get());
}

// Whether the program `sh` would find for `name` is the one the spawn finds: an absolute path, or
// a bare name on a PATH of absolute folders (the spawn resolves in the tool's folder, the shell
// in `dir`, so a relative path or PATH entry could name another file).
bool found_alike(const std::string& name, const std::optional<std::string>& path) {
  if (name.find('/') != std::string::npos) return name.front() == '/';
  if (!path || path->empty()) return false;
  std::size_t start = 0;
  while (start <= path->size()) {
    std::size_t end = path->find(':', start);
    if (end == std::string::npos) end = path->size();
    // An empty entry means the current folder.
    if (end == start || (*path)[start] != '/') return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

ShellCommand shell_command(const std::string& command) {
  std::string line = is_simple_shell_command(command) ? "exec " + command : command;
  return {"/bin/sh", {"-c", std::move(line)}, {}, false};
}

ShellCommand start_command(const std::string& command, const std::string& dir,
                           const std::optional<std::string>& path,
                           const std::optional<std::string>& pwd) {
  std::optional<std::vector<std::string>> words = plain_command_words(command);
  if (!words || !found_alike(words->front(), path)) return shell_command(command);
  std::optional<std::string> new_pwd = shell_pwd(dir, pwd);
  if (!new_pwd) return shell_command(command);
  ShellCommand direct;
  direct.program = std::move(words->front());
  direct.args.assign(std::make_move_iterator(words->begin() + 1),
                     std::make_move_iterator(words->end()));
  direct.env.emplace_back("PWD", std::move(*new_pwd));
  direct.direct = true;
  return direct;
}

}  // namespace modhost::cli
