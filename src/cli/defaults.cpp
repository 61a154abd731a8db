#include "defaults.hpp"

#include <cerrno>
#include <system_error>

#include "config.hpp"
#include "dotenv.hpp"
#include "strings.hpp"

namespace modhost::cli {

namespace {

// The defaults files, in order of preference: modhost's own, then foreman's.
constexpr const char* kDefaultsFiles[] = {".modhost", ".foreman"};

// A value without the quotes YAML allows around it.
std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

class DefaultsParser {
 public:
  DefaultsParser(const std::string& file, const std::string& dir, Options& options,
                 std::vector<std::string>& warnings)
      : file_(file), dir_(dir), options_(options), warnings_(warnings),
        formation_given_(!options.formation.counts.empty() || options.formation.all.has_value()) {}

  Result<void> run(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    Result<void> result = ok_result();
    for_each_line(text, [&](std::string_view raw) {
      ++line_;
      result = line(raw);
      return result.ok();
    });
    return result;
  }

 private:
  Error error(const std::string& what) const {
    return Error(errc::parse_error, file_ + ":" + std::to_string(line_) + ": " + what);
  }

  Result<void> line(std::string_view raw) {
    std::string_view l = trim(raw);
    if (l.empty() || l.front() == '#' || l == "---") return ok_result();
    std::size_t colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return error("expected \"key: value\", found \"" + std::string(l) + "\"");
    }
    std::string key(trim(l.substr(0, colon)));
    std::string_view value = trim(l.substr(colon + 1));
    // A comment after the value, as YAML has it: " #" outside quotes.
    if (!value.empty() && value.front() != '"' && value.front() != '\'') {
      std::size_t hash = value.find(" #");
      if (hash != std::string_view::npos) value = trim(value.substr(0, hash));
    }
    value = unquote(value);
    return apply(key, std::string(value));
  }

  Result<void> apply(const std::string& key, const std::string& value) {
    if (key == "procfile") {
      if (value.empty()) return error("procfile needs a file name");
      if (!options_.procfile) options_.procfile = join_path(dir_, value);
    } else if (key == "env") {
      if (!options_.env_files) {
        std::vector<std::string> files;
        for (std::string_view f : split(value, ',')) {
          f = trim(f);
          if (!f.empty()) files.push_back(join_path(dir_, std::string(f)));
        }
        options_.env_files = std::move(files);
      }
    } else if (key == "formation" || key == "concurrency") {
      Formation parsed;
      Result<void> r = parse_formation(value, parsed);
      if (!r) return error(key + ": " + r.error().message());
      if (!formation_given_) options_.formation = parsed;
    } else if (key == "port") {
      int port = 0;
      if (!parse_non_negative_int(value, port) || port < 1 || port > 65535) {
        return error("port must be a port number from 1 to 65535, not \"" + value + "\"");
      }
      if (!options_.port) options_.port = port;
    } else if (key == "timeout") {
      std::chrono::milliseconds t{};
      if (!parse_seconds(value, t)) {
        return error("timeout must be a number of seconds (0 to 3600), not \"" + value + "\"");
      }
      if (!options_.timeout_given) options_.timeout = t;
    } else if (key == "color" || key == "colour") {
      ColorMode mode;
      if (value == "true" || value == "yes" || value == "always") mode = ColorMode::Always;
      else if (value == "false" || value == "no" || value == "never") mode = ColorMode::Never;
      else if (value == "auto") mode = ColorMode::Auto;
      else return error("color must be true, false, auto, always or never, not \"" + value + "\"");
      if (!options_.color_given) options_.color = mode;
    } else {
      warnings_.push_back(file_ + ":" + std::to_string(line_) + ": unknown key \"" + key +
                          "\", skipped");
    }
    return ok_result();
  }

  const std::string& file_;
  const std::string& dir_;
  Options& options_;
  std::vector<std::string>& warnings_;
  const bool formation_given_;
  std::size_t line_ = 0;
};

// Reads `path`; nullopt (no error) when it does not exist.
Result<std::optional<std::string>> read_if_present(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (text) return std::optional<std::string>(std::move(*text));
  if (text.error().code() == std::errc::no_such_file_or_directory) {
    return std::optional<std::string>();
  }
  return text.error();
}

// PROCFILE from the .env files the run will read, ignoring their errors (reported later).
std::optional<std::string> procfile_from_env(const Options& options, const std::string& dir) {
  std::vector<std::string> files;
  if (options.env_files) {
    files = *options.env_files;
  } else {
    files.push_back(join_path(dir, ".env"));
  }
  EnvVars vars;
  for (const std::string& file : files) {
    Result<std::optional<std::string>> text = read_if_present(file);
    if (!text || !text->has_value()) continue;
    (void)parse_dotenv(**text, file, vars, process_environment());
  }
  const std::string* v = vars.find("PROCFILE");
  if (v == nullptr || v->empty()) return std::nullopt;
  return *v;
}

}  // namespace

std::string join_path(const std::string& dir, const std::string& relative) {
  const bool absolute = !relative.empty() &&
                        (relative[0] == '/' || relative[0] == '\\' ||
                         (relative.size() > 1 && relative[1] == ':'));
  if (absolute || dir.empty() || dir == ".") return relative;
  if (dir.back() == '/' || dir.back() == '\\') return dir + relative;
  return dir + "/" + relative;
}

Result<void> parse_defaults(std::string_view text, const std::string& file, const std::string& dir,
                            Options& options, std::vector<std::string>& warnings) {
  return DefaultsParser(file, dir, options, warnings).run(text);
}

Result<void> apply_project_defaults(Options& options, std::vector<std::string>& warnings) {
  const std::string dir = options.root ? *options.root : std::string(".");
  for (const char* name : kDefaultsFiles) {
    const std::string path = join_path(dir, name);
    Result<std::optional<std::string>> text = read_if_present(path);
    if (!text) return text.error();
    if (!text->has_value()) continue;
    Result<void> parsed = parse_defaults(**text, path, dir, options, warnings);
    if (!parsed) return parsed.error();
    break;  // .modhost, when present, replaces .foreman
  }
  if (!options.procfile) {
    if (std::optional<std::string> named = procfile_from_env(options, dir)) {
      options.procfile = join_path(dir, *named);
      if (!options.root) options.root = dir;
    }
  }
  return ok_result();
}

}  // namespace modhost::cli
