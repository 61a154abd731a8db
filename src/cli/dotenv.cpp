#include "dotenv.hpp"

#include <cstdlib>

#include "strings.hpp"

namespace modhost::cli {

void EnvVars::set(std::string key, std::string value) {
  for (auto& item : items_) {
    if (item.first == key) {
      item.second = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::move(key), std::move(value));
}

const std::string* EnvVars::find(std::string_view key) const noexcept {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

std::optional<std::string> EnvVars::value_for_child(const char* key) const {
  if (const std::string* v = find(key)) return *v;
  if (const char* v = std::getenv(key)) return std::string(v);
  return std::nullopt;
}

namespace {

bool is_key_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_key_char(char c) noexcept { return is_key_start(c) || (c >= '0' && c <= '9'); }

// The parser walks the whole text with one cursor, because a quoted value may span lines; `line`
// is always the 1-based number of the line the cursor is on.
class DotenvParser {
 public:
  DotenvParser(std::string_view text, std::string_view file, EnvVars& vars,
               const EnvLookup& inherited, std::vector<std::string>* warnings)
      : text_(text), file_(file), vars_(vars), inherited_(inherited), warnings_(warnings) {}

  Result<void> run() {
    while (pos_ < text_.size()) {
      if (!parse_line()) return *error_;
    }
    return ok_result();
  }

 private:
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }

  void skip_blanks() noexcept {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }

  // Moves past the end of the current line (its '\n' included).
  void skip_rest_of_line() noexcept {
    std::size_t nl = text_.find('\n', pos_);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    ++line_;
  }

  bool at_line_end() const noexcept {
    return at_end() || peek() == '\n' || (peek() == '\r' && pos_ + 1 < text_.size() &&
                                          text_[pos_ + 1] == '\n') ||
           (peek() == '\r' && pos_ + 1 == text_.size());
  }

  // A line that is not KEY=VALUE at all (foreman and honcho drop such lines): it cannot hide the
  // start of a quoted value, so skipping it leaves the rest of the file read as written.
  bool skip(std::size_t line, const std::string& what) {
    if (warnings_ != nullptr) {
      warnings_->push_back(std::string(file_) + ":" + std::to_string(line) + ": " + what +
                           ", skipped");
    }
    skip_rest_of_line();
    return true;
  }

  bool fail(std::size_t line, const std::string& what) {
    error_ = Error(errc::parse_error,
                   std::string(file_) + ":" + std::to_string(line) + ": " + what);
    return false;
  }

  bool parse_line() {
    skip_blanks();
    while (!at_end() && (peek() == '\r' || peek() == ' ' || peek() == '\t')) ++pos_;
    if (at_line_end() || peek() == '#') {
      skip_rest_of_line();
      return true;
    }
    const std::size_t start_line = line_;
    if (text_.compare(pos_, 7, "export ") == 0 || text_.compare(pos_, 7, "export\t") == 0) {
      pos_ += 7;
      skip_blanks();
    }
    std::size_t key_start = pos_;
    while (!at_end() && is_key_char(peek())) ++pos_;
    std::string key(text_.substr(key_start, pos_ - key_start));
    if (key.empty() || !is_key_start(key.front())) {
      std::size_t end = text_.find('\n', key_start);
      std::string_view rest = trim(text_.substr(key_start, end - key_start));
      return skip(start_line, "expected KEY=VALUE, found \"" + std::string(rest) + "\"");
    }
    if (!at_line_end() && peek() != '=' && peek() != ' ' && peek() != '\t') {
      return skip(start_line, "invalid character '" + std::string(1, peek()) +
                                  "' in variable name \"" + key + "...\"");
    }
    skip_blanks();
    if (peek() != '=') {
      if (at_line_end()) return skip(start_line, "missing '=' after \"" + key + "\"");
      return skip(start_line, "expected '=' after \"" + key + "\"");
    }
    ++pos_;
    skip_blanks();

    std::string value;
    bool ok = false;
    if (peek() == '\'') {
      ok = parse_single_quoted(start_line, value) && finish_after_quote(start_line);
    } else if (peek() == '"') {
      ok = parse_double_quoted(start_line, value) && finish_after_quote(start_line);
    } else {
      ok = parse_unquoted(start_line, value);
    }
    if (!ok) return false;
    vars_.set(std::move(key), std::move(value));
    return true;
  }

  bool parse_single_quoted(std::size_t start_line, std::string& value) {
    std::size_t close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) {
      return fail(start_line, "unterminated single-quoted value");
    }
    for (std::size_t i = pos_ + 1; i < close; ++i) {
      if (text_[i] == '\n') {
        ++line_;
        // A CRLF file's multi-line value should read the same as an LF file's.
        if (!value.empty() && value.back() == '\r') value.pop_back();
      }
      value.push_back(text_[i]);
    }
    pos_ = close + 1;
    return true;
  }

  bool parse_double_quoted(std::size_t start_line, std::string& value) {
    ++pos_;
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\' && pos_ + 1 < text_.size()) {
        char e = text_[pos_ + 1];
        pos_ += 2;
        switch (e) {
          case 'n': value.push_back('\n'); break;
          case 't': value.push_back('\t'); break;
          case 'r': value.push_back('\r'); break;
          case '"': value.push_back('"'); break;
          case '\\': value.push_back('\\'); break;
          case '$': value.push_back('$'); break;
          case '\n': ++line_; value.append("\\\n"); break;
          default:
            // Unknown escapes are kept as written, so Windows paths survive.
            value.push_back('\\');
            value.push_back(e);
        }
        continue;
      }
      if (c == '$') {
        if (!expand(value)) return false;
        continue;
      }
      if (c == '\n') {
        ++line_;
        if (!value.empty() && value.back() == '\r') value.pop_back();
      }
      value.push_back(c);
      ++pos_;
    }
    return fail(start_line, "unterminated double-quoted value");
  }

  // After a closing quote only blanks and a comment may follow on the line.
  bool finish_after_quote(std::size_t start_line) {
    skip_blanks();
    if (at_line_end() || peek() == '#') {
      skip_rest_of_line();
      return true;
    }
    (void)start_line;
    return fail(line_, "unexpected text after the closing quote");
  }

  bool parse_unquoted(std::size_t start_line, std::string& value) {
    (void)start_line;
    while (!at_line_end()) {
      char c = text_[pos_];
      // A '#' starts a comment only at the start or after a blank, so `a#b` keeps its '#'.
      if (c == '#' && (value.empty() || value.back() == ' ' || value.back() == '\t')) break;
      if (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '$') {
        value.push_back('$');
        pos_ += 2;
        continue;
      }
      if (c == '$') {
        if (!expand(value)) return false;
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
      value.pop_back();
    }
    skip_rest_of_line();
    return true;
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (const std::string* v = vars_.find(name)) return *v;
    if (inherited_) return inherited_(name);
    return std::nullopt;
  }

  // Expands the reference starting at the '$' under the cursor into `out`. A '$' that starts no
  // reference is kept as a literal '$'.
  bool expand(std::string& out) {
    ++pos_;
    if (peek() == '{') {
      std::size_t close = text_.find('}', pos_);
      std::size_t nl = text_.find('\n', pos_);
      if (close == std::string_view::npos || (nl != std::string_view::npos && nl < close)) {
        return fail(line_, "unterminated \"${\" in value");
      }
      std::string_view inner = text_.substr(pos_ + 1, close - pos_ - 1);
      std::string_view name = inner;
      std::optional<std::string_view> fallback;
      std::size_t dash = inner.find(":-");
      if (dash != std::string_view::npos) {
        name = inner.substr(0, dash);
        fallback = inner.substr(dash + 2);
      }
      if (!is_valid_env_key(name)) {
        return fail(line_, "invalid variable name in \"${" + std::string(inner) + "}\"");
      }
      std::optional<std::string> v = lookup(std::string(name));
      if (v && !v->empty()) {
        out += *v;
      } else if (fallback) {
        out += *fallback;
      }
      pos_ = close + 1;
      return true;
    }
    if (!is_key_start(peek())) {
      out.push_back('$');
      return true;
    }
    std::size_t start = pos_;
    while (!at_end() && is_key_char(peek())) ++pos_;
    if (std::optional<std::string> v = lookup(std::string(text_.substr(start, pos_ - start)))) {
      out += *v;
    }
    return true;
  }

  std::string_view text_;
  std::string_view file_;
  EnvVars& vars_;
  const EnvLookup& inherited_;
  std::vector<std::string>* warnings_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::optional<Error> error_;
};

}  // namespace

bool is_valid_env_key(std::string_view key) noexcept {
  if (key.empty() || !is_key_start(key.front())) return false;
  for (char c : key) {
    if (!is_key_char(c)) return false;
  }
  return true;
}

Result<void> parse_dotenv(std::string_view text, std::string_view file, EnvVars& vars,
                          const EnvLookup& inherited, std::vector<std::string>* warnings) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return DotenvParser(text, file, vars, inherited, warnings).run();
}

}  // namespace modhost::cli
