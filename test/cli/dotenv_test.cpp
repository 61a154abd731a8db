// Unit tests of the .env grammar (src/cli/dotenv.hpp).

#include <gtest/gtest.h>

#include <map>

#include "cli/dotenv.hpp"

namespace modhost::cli {
namespace {

class Dotenv : public ::testing::Test {
 protected:
  EnvLookup lookup() {
    return [this](const std::string& k) -> std::optional<std::string> {
      auto it = inherited_.find(k);
      if (it == inherited_.end()) return std::nullopt;
      return it->second;
    };
  }
  EnvVars parse_ok(std::string_view text) {
    EnvVars vars;
    Result<void> r = parse_dotenv(text, ".env", vars, lookup());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return vars;
  }
  std::string parse_error(std::string_view text) {
    EnvVars vars;
    Result<void> r = parse_dotenv(text, "conf/.env", vars, lookup());
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "";
    EXPECT_EQ(r.error().code(), make_error_code(errc::parse_error));
    return r.error().message();
  }
  // Parses a text that has skipped lines; returns the warnings, one per skipped line.
  std::vector<std::string> warnings_of(std::string_view text, EnvVars& vars) {
    std::vector<std::string> warnings;
    Result<void> r = parse_dotenv(text, "conf/.env", vars, lookup(), &warnings);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return warnings;
  }
  std::vector<std::string> warnings_of(std::string_view text) {
    EnvVars vars;
    return warnings_of(text, vars);
  }
  static std::string get(const EnvVars& v, std::string_view key) {
    const std::string* s = v.find(key);
    return s ? *s : "<unset>";
  }
  std::map<std::string, std::string> inherited_{{"HOME", "/home/me"}, {"EMPTY", ""}};
};

TEST_F(Dotenv, PlainAssignments) {
  EnvVars v = parse_ok("A=1\nB=hello world\nC=\n");
  EXPECT_EQ(get(v, "A"), "1");
  EXPECT_EQ(get(v, "B"), "hello world");
  EXPECT_EQ(get(v, "C"), "");
  ASSERT_EQ(v.items().size(), 3u);
  EXPECT_EQ(v.items()[0].first, "A");
}

TEST_F(Dotenv, ExportPrefixSpacesAndComments) {
  EnvVars v = parse_ok("# comment\n\n  export A=1\nexport\tB = two  \n   # indented\nC=3 # note\n");
  EXPECT_EQ(get(v, "A"), "1");
  EXPECT_EQ(get(v, "B"), "two");
  EXPECT_EQ(get(v, "C"), "3");
}

TEST_F(Dotenv, HashInsideUnquotedWordIsKept) {
  EnvVars v = parse_ok("URL=http://x/#frag\nC=#only comment\n");
  EXPECT_EQ(get(v, "URL"), "http://x/#frag");
  EXPECT_EQ(get(v, "C"), "");
}

TEST_F(Dotenv, SingleQuotesAreLiteral) {
  EnvVars v = parse_ok("A='$HOME \\n ${HOME} # not a comment'  # comment\n");
  EXPECT_EQ(get(v, "A"), "$HOME \\n ${HOME} # not a comment");
}

TEST_F(Dotenv, DoubleQuotesEscapes) {
  EnvVars v = parse_ok(R"(A="tab\there\nnew \"q\" back\\slash \$HOME C:\dir")" "\n");
  EXPECT_EQ(get(v, "A"), "tab\there\nnew \"q\" back\\slash $HOME C:\\dir");
}

TEST_F(Dotenv, DoubleQuotesMultiLine) {
  EnvVars v = parse_ok("KEY=\"line one\nline two\r\nline three\"\nNEXT=after\n");
  EXPECT_EQ(get(v, "KEY"), "line one\nline two\nline three");
  EXPECT_EQ(get(v, "NEXT"), "after");
}

TEST_F(Dotenv, SingleQuotesMultiLine) {
  EnvVars v = parse_ok("K='a\nb'\n");
  EXPECT_EQ(get(v, "K"), "a\nb");
}

TEST_F(Dotenv, ExpansionFromFileThenInherited) {
  EnvVars v = parse_ok(
      "BASE=/srv\n"
      "A=${BASE}/app\n"
      "B=\"$HOME/x\"\n"
      "C=$UNKNOWN-end\n"
      "D=${UNKNOWN:-fallback}\n"
      "E=${EMPTY:-used when empty}\n"
      "F=${BASE:-unused}\n"
      "G=cost $5 and $\n"
      "HOME=/override\n"
      "H=$HOME\n");
  EXPECT_EQ(get(v, "A"), "/srv/app");
  EXPECT_EQ(get(v, "B"), "/home/me/x");
  EXPECT_EQ(get(v, "C"), "-end");
  EXPECT_EQ(get(v, "D"), "fallback");
  EXPECT_EQ(get(v, "E"), "used when empty");
  EXPECT_EQ(get(v, "F"), "/srv");
  EXPECT_EQ(get(v, "G"), "cost $5 and $");
  EXPECT_EQ(get(v, "H"), "/override");  // file values win over the inherited environment
}

TEST_F(Dotenv, EscapedDollarInUnquotedValue) {
  EnvVars v = parse_ok("A=\\$HOME\n");
  EXPECT_EQ(get(v, "A"), "$HOME");
}

TEST_F(Dotenv, LaterDefinitionWinsAndLaterFilesSeeEarlierOnes) {
  EnvVars v;
  ASSERT_TRUE(parse_dotenv("A=1\nB=b\nA=2\n", "one", v, lookup()).ok());
  ASSERT_TRUE(parse_dotenv("B=${A}${B}\n", "two", v, lookup()).ok());
  EXPECT_EQ(get(v, "A"), "2");
  EXPECT_EQ(get(v, "B"), "2b");
  EXPECT_EQ(v.items().size(), 2u);
}

TEST_F(Dotenv, CrlfFile) {
  EnvVars v = parse_ok("A=1\r\nB=\"x\"\r\nC='y'\r\n\r\n# c\r\n");
  EXPECT_EQ(get(v, "A"), "1");
  EXPECT_EQ(get(v, "B"), "x");
  EXPECT_EQ(get(v, "C"), "y");
}

// foreman and honcho skip what is not KEY=VALUE; modhost skips it too, and says so.
TEST_F(Dotenv, LineWithoutEqualsIsSkippedWithAWarning) {
  EnvVars v;
  EXPECT_EQ(warnings_of("A=1\n\nJUSTAWORD\nB=2\n", v),
            std::vector<std::string>{"conf/.env:3: missing '=' after \"JUSTAWORD\", skipped"});
  EXPECT_EQ(get(v, "A"), "1");
  EXPECT_EQ(get(v, "B"), "2");
  EXPECT_EQ(get(v, "JUSTAWORD"), "<unset>");
}

TEST_F(Dotenv, WordsWithoutEqualsAreSkipped) {
  EXPECT_EQ(warnings_of("A=1\nbad line\n"),
            std::vector<std::string>{"conf/.env:2: expected '=' after \"bad\", skipped"});
}

TEST_F(Dotenv, InvalidKeysAreSkipped) {
  EnvVars v;
  EXPECT_EQ(warnings_of("-foo=command\n1A=x\nMY-KEY=x\n=x\nOK=yes\n", v),
            (std::vector<std::string>{
                "conf/.env:1: expected KEY=VALUE, found \"-foo=command\", skipped",
                "conf/.env:2: expected KEY=VALUE, found \"1A=x\", skipped",
                "conf/.env:3: invalid character '-' in variable name \"MY...\", skipped",
                "conf/.env:4: expected KEY=VALUE, found \"=x\", skipped"}));
  EXPECT_EQ(get(v, "OK"), "yes");
  EXPECT_EQ(v.items().size(), 1u);
}

TEST_F(Dotenv, SkippedLineAfterAMultiLineValueHasItsOwnNumber) {
  EnvVars v;
  EXPECT_EQ(warnings_of("K=\"a\nb\"\nnot an assignment\n", v),
            std::vector<std::string>{"conf/.env:3: expected '=' after \"not\", skipped"});
  EXPECT_EQ(get(v, "K"), "a\nb");
}

TEST_F(Dotenv, ErrorUnterminatedQuotesReportTheOpeningLine) {
  EXPECT_EQ(parse_error("A=1\nB=\"open\nstill open\n"),
            "conf/.env:2: unterminated double-quoted value");
  EXPECT_EQ(parse_error("A='x\n"), "conf/.env:1: unterminated single-quoted value");
}

TEST_F(Dotenv, ErrorTextAfterClosingQuote) {
  EXPECT_EQ(parse_error("A=\"x\"y\n"), "conf/.env:1: unexpected text after the closing quote");
  EXPECT_EQ(parse_error("A=\"a\nb\" junk\n"),
            "conf/.env:2: unexpected text after the closing quote");
}

TEST_F(Dotenv, ErrorBadExpansion) {
  EXPECT_EQ(parse_error("A=${B\n"), "conf/.env:1: unterminated \"${\" in value");
  EXPECT_EQ(parse_error("A=\"x\ny ${1B}\"\n"), "conf/.env:2: invalid variable name in \"${1B}\"");
}

TEST_F(Dotenv, ErrorKeepsEarlierDefinitions) {
  EnvVars v;
  EXPECT_FALSE(parse_dotenv("A=1\nB='open\n", "f", v, lookup()).ok());
  EXPECT_EQ(get(v, "A"), "1");
}

TEST_F(Dotenv, ValidKeys) {
  EXPECT_TRUE(is_valid_env_key("_A1"));
  EXPECT_FALSE(is_valid_env_key("1A"));
  EXPECT_FALSE(is_valid_env_key(""));
  EXPECT_FALSE(is_valid_env_key("A-B"));
}

}  // namespace
}  // namespace modhost::cli
