// Unit tests of the defaults file grammar (src/cli/defaults.hpp).

#include <gtest/gtest.h>

#include "cli/defaults.hpp"

namespace modhost::cli {
namespace {

TEST(Defaults, KeysFillWhatTheCommandLineLeftUnset) {
  Options o;
  std::vector<std::string> warnings;
  Result<void> r = parse_defaults(
      "---\n# comment\nprocfile: 'Procfile.dev'\nenv: a.env, b.env\nconcurrency: web=2\n"
      "port: 6000 # base\ntimeout: 1.5\ncolor: false\n",
      "conf/.foreman", "conf", o, warnings);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(o.procfile, "conf/Procfile.dev");
  EXPECT_EQ(*o.env_files, (std::vector<std::string>{"conf/a.env", "conf/b.env"}));
  ASSERT_EQ(o.formation.counts.size(), 1u);
  EXPECT_EQ(o.formation.counts[0].second, 2);
  EXPECT_EQ(o.port, 6000);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(o.color, ColorMode::Never);
}

TEST(Defaults, CommandLineWins) {
  Result<Options> given = parse_options({"-f", "/abs/P", "-p", "7000", "-t", "2", "--color",
                                         "-m", "web=1", "-e", "x.env"});
  ASSERT_TRUE(given.ok());
  Options o = *given;
  std::vector<std::string> warnings;
  ASSERT_TRUE(parse_defaults("procfile: Q\nport: 6000\ntimeout: 9\ncolor: false\n"
                             "formation: web=3\nenv: y.env\n",
                             ".modhost", ".", o, warnings)
                  .ok());
  EXPECT_EQ(o.procfile, "/abs/P");
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(o.color, ColorMode::Always);
  EXPECT_EQ(o.formation.counts[0].second, 1);
  EXPECT_EQ(*o.env_files, std::vector<std::string>{"x.env"});
}

TEST(Defaults, UnknownKeysWarnBadValuesFailWithFileAndLine) {
  Options o;
  std::vector<std::string> warnings;
  ASSERT_TRUE(parse_defaults("app: x\n", ".modhost", ".", o, warnings).ok());
  EXPECT_EQ(warnings, std::vector<std::string>{".modhost:1: unknown key \"app\", skipped"});
  auto error = [&](const char* text) {
    Options fresh;
    Result<void> r = parse_defaults(text, ".modhost", ".", fresh, warnings);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_EQ(error("\nport: http\n"),
            ".modhost:2: port must be a port number from 1 to 65535, not \"http\"");
  EXPECT_EQ(error("timeout: soon\n"),
            ".modhost:1: timeout must be a number of seconds (0 to 3600), not \"soon\"");
  EXPECT_EQ(error("just words\n"), ".modhost:1: expected \"key: value\", found \"just words\"");
  EXPECT_NE(error("formation: web\n").find(".modhost:1: formation: "), std::string::npos);
  EXPECT_NE(error("color: purple\n").find(".modhost:1: color must be"), std::string::npos);
}

TEST(Defaults, JoinPath) {
  EXPECT_EQ(join_path(".", "a"), "a");
  EXPECT_EQ(join_path("", "a"), "a");
  EXPECT_EQ(join_path("d", "a"), "d/a");
  EXPECT_EQ(join_path("d/", "a"), "d/a");
  EXPECT_EQ(join_path("d", "/abs"), "/abs");
  EXPECT_EQ(join_path("d", "C:\\x"), "C:\\x");
}

}  // namespace
}  // namespace modhost::cli
