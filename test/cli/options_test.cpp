// Unit tests of the command line (src/cli/options.hpp).

#include <gtest/gtest.h>

#include "cli/options.hpp"

namespace modhost::cli {
namespace {

Options ok(std::vector<std::string> args) {
  Result<Options> r = parse_options(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : Options();
}

std::string error(std::vector<std::string> args) {
  Result<Options> r = parse_options(args);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message();
}

TEST(Options, DefaultsToStart) {
  Options o = ok({});
  EXPECT_EQ(o.command, Command::Start);
  EXPECT_FALSE(o.procfile);
  EXPECT_FALSE(o.root);
  EXPECT_FALSE(o.env_files);
  EXPECT_FALSE(o.port);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(o.color, ColorMode::Auto);
  EXPECT_TRUE(o.timestamps);
  EXPECT_TRUE(o.prefix);
  EXPECT_TRUE(o.merge_stderr);
}

TEST(Options, MaxLineLength) {
  EXPECT_EQ(ok({}).max_line_length, 1024u * 1024u);
  EXPECT_EQ(ok({"--max-line-length", "1000"}).max_line_length, 1000u);
  EXPECT_EQ(ok({"start", "--max-line-length=65536", "web"}).max_line_length, 65536u);
  EXPECT_NE(error({"--max-line-length"}).find("--max-line-length must be a number of bytes"),
            std::string::npos);
  EXPECT_NE(error({"--max-line-length=0"}).find("from 1 to 67108864, not \"0\""),
            std::string::npos);
  EXPECT_NE(error({"--max-line-length", "1k"}).find("not \"1k\""), std::string::npos);
  EXPECT_NE(error({"--max-line-length", "67108865"}).find("from 1 to"), std::string::npos);
  EXPECT_NE(help_text().find("--max-line-length BYTES"), std::string::npos);
}

TEST(Options, SeparateStderr) {
  EXPECT_FALSE(ok({"start", "--separate-stderr"}).merge_stderr);
  EXPECT_NE(help_text().find("--separate-stderr"), std::string::npos);
}

TEST(Options, StartWithProcessesAndOptionsAnywhere) {
  Options o = ok({"start", "web", "-f", "P", "worker", "--root=/srv", "-p5100"});
  EXPECT_EQ(o.command, Command::Start);
  EXPECT_EQ(o.processes, (std::vector<std::string>{"web", "worker"}));
  EXPECT_EQ(o.procfile, "P");
  EXPECT_EQ(o.root, "/srv");
  EXPECT_EQ(o.port, 5100);
  Options implicit = ok({"web"});
  EXPECT_EQ(implicit.command, Command::Start);
  EXPECT_EQ(implicit.processes, (std::vector<std::string>{"web"}));
}

TEST(Options, AllValueSpellings) {
  Options o = ok({"--procfile", "a", "-d", "r", "--env=x.env,y.env", "-e", "z.env",
                  "--formation", "web=2", "-c", "all=3", "--port", "7000", "-t", "1.5"});
  EXPECT_EQ(o.procfile, "a");
  EXPECT_EQ(o.root, "r");
  ASSERT_TRUE(o.env_files);
  EXPECT_EQ(*o.env_files, (std::vector<std::string>{"x.env", "y.env", "z.env"}));
  ASSERT_EQ(o.formation.counts.size(), 1u);
  EXPECT_EQ(o.formation.all, 3);
  EXPECT_EQ(o.port, 7000);
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(1500));
  Options m = ok({"-mweb=1", "--concurrency=worker=2"});
  EXPECT_EQ(m.formation.counts.size(), 2u);
}

TEST(Options, EmptyEnvListMeansNoEnvFile) {
  Options o = ok({"-e", ""});
  ASSERT_TRUE(o.env_files);
  EXPECT_TRUE(o.env_files->empty());
}

TEST(Options, ColourAndPrefixFlags) {
  EXPECT_EQ(ok({"--no-color"}).color, ColorMode::Never);
  EXPECT_EQ(ok({"--color"}).color, ColorMode::Always);
  EXPECT_EQ(ok({"--color=always"}).color, ColorMode::Always);
  EXPECT_EQ(ok({"--color=never"}).color, ColorMode::Never);
  EXPECT_EQ(ok({"--no-color", "--color=auto"}).color, ColorMode::Auto);
  EXPECT_FALSE(ok({"--no-timestamp"}).timestamps);
  EXPECT_FALSE(ok({"--no-prefix"}).prefix);
  EXPECT_NE(error({"--color=sometimes"}).find("auto, always or never"), std::string::npos);
}

TEST(Options, RunTakesEverythingAfterTheCommand) {
  Options o = ok({"-e", "a.env", "run", "printenv", "-f", "--", "X"});
  EXPECT_EQ(o.command, Command::Run);
  EXPECT_EQ(o.run_argv, (std::vector<std::string>{"printenv", "-f", "--", "X"}));
  EXPECT_EQ(o.procfile, std::nullopt);
  Options dashdash = ok({"run", "--", "-weird"});
  EXPECT_EQ(dashdash.run_argv, (std::vector<std::string>{"-weird"}));
  EXPECT_NE(error({"run"}).find("run needs a command"), std::string::npos);
}

TEST(Options, CheckHelpVersion) {
  EXPECT_EQ(ok({"check", "-f", "x"}).command, Command::Check);
  EXPECT_EQ(ok({"--help"}).command, Command::Help);
  EXPECT_EQ(ok({"start", "-h", "--bogus"}).command, Command::Help);
  EXPECT_EQ(ok({"--version"}).command, Command::Version);
  EXPECT_EQ(version_text(), "modhost 0.1.0\n");
  EXPECT_NE(help_text().find("foreman's -c means colour"), std::string::npos);
  EXPECT_NE(error({"check", "web"}).find("check takes no process names"), std::string::npos);
}

TEST(Options, HelpAndVersionCommands) {
  EXPECT_EQ(ok({"version"}).command, Command::Version);
  Options help = ok({"help"});
  EXPECT_EQ(help.command, Command::Help);
  EXPECT_EQ(help.help_topic, "");
  Options topic = ok({"help", "run"});
  EXPECT_EQ(topic.command, Command::Help);
  EXPECT_EQ(topic.help_topic, "run");
  EXPECT_EQ(ok({"start", "--help"}).help_topic, "start");
  EXPECT_EQ(ok({"check", "-h"}).help_topic, "check");
  EXPECT_EQ(ok({"help", "--version"}).command, Command::Help);
  EXPECT_NE(error({"help", "frobnicate"}).find("unknown command \"frobnicate\" (commands: "),
            std::string::npos);
  EXPECT_NE(error({"help", "run", "start"}).find("help takes one command name"), std::string::npos);
  EXPECT_NE(error({"version", "x"}).find("version takes no arguments"), std::string::npos);
  EXPECT_NE(help_text("run").find("Usage: modhost run"), std::string::npos);
  EXPECT_NE(help_text().find("modhost help [COMMAND]"), std::string::npos);
}

TEST(Options, Export) {
  Options o = ok({"export", "systemd", "out", "-a", "shop", "--user=deploy", "-l/var/log/shop",
                  "-m", "web=2"});
  EXPECT_EQ(o.command, Command::Export);
  EXPECT_EQ(o.export_format, "systemd");
  EXPECT_EQ(o.export_dir, "out");
  EXPECT_EQ(o.app, "shop");
  EXPECT_EQ(o.user, "deploy");
  EXPECT_EQ(o.log_dir, "/var/log/shop");
  EXPECT_NE(error({"export", "systemd"}).find("export needs a format and a folder"),
            std::string::npos);
  EXPECT_NE(error({"export", "systemd", "a", "b"}).find("export takes a format and a folder"),
            std::string::npos);
  EXPECT_EQ(ok({"help", "export"}).help_topic, "export");
}

TEST(Options, Errors) {
  EXPECT_NE(error({"--bogus"}).find("unknown option \"--bogus\""), std::string::npos);
  EXPECT_NE(error({"-f"}).find("-f needs a value"), std::string::npos);
  EXPECT_NE(error({"-p", "0"}).find("port number"), std::string::npos);
  EXPECT_NE(error({"-p", "70000"}).find("port number"), std::string::npos);
  EXPECT_NE(error({"-t", "soon"}).find("number of seconds"), std::string::npos);
  EXPECT_NE(error({"-m", "web"}).find("NAME=COUNT"), std::string::npos);
  EXPECT_NE(error({"--procfile="}).find("--procfile needs a file name"), std::string::npos);
}

TEST(Options, Seconds) {
  std::chrono::milliseconds ms{};
  EXPECT_TRUE(parse_seconds("0", ms));
  EXPECT_EQ(ms.count(), 0);
  EXPECT_TRUE(parse_seconds("2.25", ms));
  EXPECT_EQ(ms.count(), 2250);
  EXPECT_TRUE(parse_seconds(".5", ms));
  EXPECT_EQ(ms.count(), 500);
  EXPECT_TRUE(parse_seconds("3600", ms));
  EXPECT_FALSE(parse_seconds("3600.5", ms));
  EXPECT_FALSE(parse_seconds("1.", ms));
  EXPECT_FALSE(parse_seconds("", ms));
  EXPECT_FALSE(parse_seconds("-1", ms));
  EXPECT_FALSE(parse_seconds("1s", ms));
}

}  // namespace
}  // namespace modhost::cli
