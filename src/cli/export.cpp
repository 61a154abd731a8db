#include "export.hpp"

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "defaults.hpp"

namespace modhost::cli {

ShellCommand service_shell_command(const std::string& command) {
  std::string line = is_simple_shell_command(command) ? "exec " + command : command;
  return {"/bin/sh", {"-c", std::move(line)}, {}, false};
}

std::string percent_escaped(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%') out += "%%";
    else out.push_back(c);
  }
  return out;
}

std::string default_app_name(const std::string& root) {
  std::string r = root;
  while (r.size() > 1 && (r.back() == '/' || r.back() == '\\')) r.pop_back();
  std::size_t slash = r.find_last_of("/\\");
  std::string name = slash == std::string::npos ? r : r.substr(slash + 1);
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) c = '-';
  }
  if (name.empty() || name == "." || name == "..") return "app";
  return name;
}

bool is_export_format(const std::string& format) noexcept {
  return format == "systemd" || format == "supervisord";
}

Result<std::vector<ExportFile>> export_files(const std::string& format, const ExportSpec& spec) {
  if (format == "systemd") return export_systemd(spec);
  if (format == "supervisord") return export_supervisord(spec);
  return Error(errc::invalid_argument,
               "unknown export format \"" + format + "\" (formats: systemd, supervisord)");
}

Result<void> write_export(const std::string& dir, const std::vector<ExportFile>& files) {
  for (const ExportFile& f : files) {
    const std::string path = join_path(dir, f.name);
    // fopen/errno: a missing folder must say why in the OS's words.
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) {
      std::error_code ec(errno, std::generic_category());
      return Error(ec, "cannot write " + path + ": " + ec.message());
    }
    bool ok = std::fwrite(f.text.data(), 1, f.text.size(), out) == f.text.size();
    int err = ok ? 0 : errno;
    if (std::fclose(out) != 0 && ok) {
      ok = false;
      err = errno;
    }
    if (!ok) {
      std::error_code ec(err, std::generic_category());
      return Error(ec, "cannot write " + path + ": " + ec.message());
    }
  }
  return ok_result();
}

}  // namespace modhost::cli
