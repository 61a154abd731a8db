#include "config.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "modhost_platform.hpp"
#include "strings.hpp"

namespace modhost::cli {

Result<std::string> read_text_file(const std::string& path) {
  // fopen() of a directory succeeds on POSIX and the read then fails with no more than "read
  // error"; Windows says "Permission denied". Either way the user should hear what is wrong.
  if (detail::is_directory(path)) {
    std::error_code ec = std::make_error_code(std::errc::is_a_directory);
    return Error(ec, "cannot read " + path + ": " + ec.message());
  }
  // fopen/errno rather than ifstream: a missing file must say why in the OS's words.
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int e = errno;
    std::error_code ec(e, std::generic_category());
    return Error(ec, "cannot read " + path + ": " + ec.message());
  }
  std::string text;
  char buf[8192];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Error(errc::invalid_argument, "cannot read " + path + ": read error");
  return text;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string procfile_path(const Options& options) {
  if (options.procfile) return *options.procfile;
  const char* env = std::getenv("PROCFILE");
  if (env != nullptr && *env != '\0') return env;
  return "Procfile";
}

std::string resolve_root(const Options& options, const std::string& procfile) {
  std::string root;
  if (options.root) {
    root = *options.root;
  } else {
    // The Procfile's folder: everything up to its last separator ("/" anywhere, "\\" too on
    // Windows), or "." for a bare name. The separator is kept so "/Procfile" and "C:\\Procfile"
    // name the root of their drive; absolute_path() drops it elsewhere.
    const std::size_t slash = procfile.find_last_of(detail::path_separators());
    root = slash == std::string::npos ? "." : procfile.substr(0, slash + 1);
  }
  if (root.empty()) root = ".";
  Result<std::string> absolute = detail::absolute_path(root);
  // An unreadable working directory leaves the root as given; the directory check that follows
  // then reports it in the user's own words.
  return absolute ? *absolute : root;
}

Result<void> load_env_files(const Options& options, const std::string& root, EnvVars& env,
                            std::vector<std::string>& used, std::vector<std::string>& warnings) {
  std::vector<std::string> files;
  if (options.env_files) {
    files = *options.env_files;
  } else {
    std::string dflt = root;
    if (dflt.empty() || detail::path_separators().find(dflt.back()) == std::string_view::npos) {
      dflt += detail::preferred_separator();
    }
    dflt += ".env";
    if (detail::is_regular_file(dflt)) files.push_back(dflt);
  }
  EnvLookup inherited = process_environment();
  for (const auto& file : files) {
    Result<std::string> text = read_text_file(file);
    if (!text) return text.error();
    Result<void> parsed = parse_dotenv(*text, file, env, inherited, &warnings);
    if (!parsed) return parsed.error();
    used.push_back(file);
  }
  return ok_result();
}

Result<ProjectConfig> load_project(const Options& options) {
  ProjectConfig cfg;
  cfg.procfile_path = procfile_path(options);
  Result<std::string> text = read_text_file(cfg.procfile_path);
  if (!text) return text.error();
  Result<Procfile> procfile = parse_procfile(*text);
  if (!procfile) return procfile.error().with_context(cfg.procfile_path);
  cfg.procfile = std::move(*procfile);
  if (cfg.procfile.entries.empty()) {
    return Error(errc::invalid_argument, cfg.procfile_path + ": no processes defined");
  }
  cfg.root = resolve_root(options, cfg.procfile_path);
  if (!detail::is_directory(cfg.root)) {
    return Error(errc::invalid_argument, "root " + cfg.root + " is not a directory");
  }
  Result<void> env = load_env_files(options, cfg.root, cfg.env, cfg.env_files, cfg.env_warnings);
  if (!env) return env.error();

  if (options.port) {
    cfg.base_port = *options.port;
  } else {
    std::optional<std::string> port_text;
    std::string source;
    if (const std::string* v = cfg.env.find("PORT")) {
      port_text = *v;
      source = "PORT in the .env file";
    } else if (const char* e = std::getenv("PORT")) {
      port_text = e;
      source = "$PORT";
    }
    if (port_text && !port_text->empty()) {
      int port = 0;
      if (!parse_non_negative_int(trim(*port_text), port) || port < 1 || port > 65535) {
        return Error(errc::invalid_argument,
                     source + " is \"" + *port_text + "\", not a port number (use -p to override)");
      }
      cfg.base_port = port;
    }
  }
  return cfg;
}

}  // namespace modhost::cli
