// Path services for the tool's configuration: an absolute, lexically normal path and a
// regular-file check. Plain string work plus getcwd(), so the tool needs no std::filesystem (whose
// libstdc++ code, with its locale and codecvt parts, would double a static binary's size).

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "modhost_platform.hpp"

namespace modhost::detail {
namespace {

// The working directory, growing the buffer until getcwd() takes it (PATH_MAX is not a bound on
// every system, and some directories are deeper than it).
Result<std::string> current_directory() {
  std::string buf(256, '\0');
  for (;;) {
    if (::getcwd(&buf[0], buf.size()) != nullptr) {
      buf.resize(buf.find('\0'));
      return buf;
    }
    if (errno != ERANGE || buf.size() >= (std::size_t{1} << 20)) {
      return Error::from_os(errno, "cannot read the current directory");
    }
    buf.resize(buf.size() * 2);
  }
}

std::string lexically_normal_absolute(const std::string& absolute) {
  // Components are collected on a stack: "." is dropped, ".." pops (and stops at the root, as
  // the kernel's own lookup does), and repeated slashes make empty components that are dropped.
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= absolute.size()) {
    std::size_t end = absolute.find('/', i);
    if (end == std::string::npos) end = absolute.size();
    std::string part = absolute.substr(i, end - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = end + 1;
  }
  std::string out;
  for (const std::string& part : parts) out += "/" + part;
  return out.empty() ? "/" : out;
}

}  // namespace

Result<std::string> absolute_path(const std::string& path) {
  if (path.empty()) return absolute_path(".");
  if (path[0] == '/') return lexically_normal_absolute(path);
  Result<std::string> cwd = current_directory();
  if (!cwd) return cwd.error();
  return lexically_normal_absolute(*cwd + "/" + path);
}

bool is_regular_file(const std::string& path) noexcept {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace modhost::detail
