// Unit tests of configuration loading (src/cli/config.hpp) on the fixture files.

#include <gtest/gtest.h>

#include <filesystem>

#include "cli/config.hpp"

namespace modhost::cli {
namespace {

std::string fixture(const std::string& relative) {
  return std::string(MODHOST_SOURCE_DIR) + "/test/cli/fixtures/" + relative;
}

std::string canonical(const std::string& path) {
  return std::filesystem::weakly_canonical(path).string();
}

TEST(Config, RootIsTheProcfileFolderAndDefaultEnvIsRead) {
  Options o;
  o.procfile = fixture("env/Procfile");
  Result<ProjectConfig> cfg = load_project(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_EQ(canonical(cfg->root), canonical(fixture("env")));
  ASSERT_EQ(cfg->env_files.size(), 1u);
  ASSERT_NE(cfg->env.find("A"), nullptr);
  EXPECT_EQ(*cfg->env.find("A"), "from-dotenv");
  ASSERT_EQ(cfg->procfile.entries.size(), 1u);
  EXPECT_EQ(cfg->procfile.entries[0].name, "show");
}

TEST(Config, ExplicitEnvFilesReplaceTheDefaultAndSetThePort) {
  Options o;
  o.procfile = fixture("env/Procfile");
  o.env_files = std::vector<std::string>{fixture("env/second.env"), fixture("env/port.env")};
  Result<ProjectConfig> cfg = load_project(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_EQ(cfg->env.find("A"), nullptr);  // .env was not read
  EXPECT_EQ(*cfg->env.find("B"), "from-second");
  EXPECT_EQ(cfg->base_port, 6200);
  o.port = 8000;  // -p wins over the files
  EXPECT_EQ(load_project(o)->base_port, 8000);
}

TEST(Config, RootOption) {
  Options o;
  o.procfile = fixture("env/Procfile");
  o.root = fixture("ports");
  Result<ProjectConfig> cfg = load_project(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_EQ(canonical(cfg->root), canonical(fixture("ports")));
  EXPECT_TRUE(cfg->env_files.empty());  // ports/ has no .env
  o.root = fixture("no-such-dir");
  Result<ProjectConfig> bad = load_project(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("is not a directory"), std::string::npos);
}

// The root is absolute and lexically normal whichever way it was given: "." and ".." steps and
// doubled separators are resolved without touching the file system (no symlink is followed).
TEST(Config, RootIsMadeAbsoluteAndLexicallyNormal) {
  namespace fs = std::filesystem;
  const std::string env = fixture("env");
  std::string expected = fs::absolute(fs::path(env)).lexically_normal().string();
  Options o;
  o.procfile = fixture("env/Procfile");
  for (const std::string& given : {fixture("ports/../env/."), fixture("env//"),
                                   fs::relative(fs::path(env)).string(),
                                   fs::relative(fs::path(env)).string() + "/../env"}) {
    o.root = given;
    Result<ProjectConfig> cfg = load_project(o);
    ASSERT_TRUE(cfg.ok()) << given << ": " << cfg.error().message();
    EXPECT_EQ(cfg->root, expected) << given;
    EXPECT_EQ(cfg->env_files.size(), 1u) << given;  // env/.env is found through the root
  }
  // With no --root, a relative Procfile's folder is the root.
  o.root.reset();
  o.procfile = fs::relative(fs::path(env)).string() + "/./Procfile";
  Result<ProjectConfig> cfg = load_project(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_EQ(cfg->root, expected);
}

TEST(Config, Errors) {
  Options o;
  o.procfile = fixture("missing/Procfile");
  Result<ProjectConfig> missing = load_project(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "cannot read " + fixture("missing/Procfile") + ": No such file or directory");
  EXPECT_EQ(missing.error().code(), std::errc::no_such_file_or_directory);

  o.procfile = fixture("bad_port/Procfile");
  Result<ProjectConfig> port = load_project(o);
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().message(),
            "PORT in the .env file is \"http\", not a port number (use -p to override)");

  o.procfile = fixture("duplicate/Procfile");
  Result<ProjectConfig> dup = load_project(o);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().message(), fixture("duplicate/Procfile") +
                                       ": line 3: duplicate process name \"web\" (first defined "
                                       "on line 1)");

  o.procfile = fixture("bad_quote/Procfile");
  Result<ProjectConfig> env = load_project(o);
  ASSERT_FALSE(env.ok());
#ifndef _WIN32  // The message names the file by its Windows path there ("Z:\\work\\..." under Wine).
  EXPECT_EQ(env.error().message(), fixture("bad_quote") + "/.env:2: unterminated double-quoted value");
#endif
}

TEST(Config, EnvLinesThatAreNotAssignmentsAreWarnings) {
  Options o;
  o.procfile = fixture("bad_env/Procfile");
  Result<ProjectConfig> cfg = load_project(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_EQ(*cfg->env.find("GOOD"), "1");
  ASSERT_EQ(cfg->env_warnings.size(), 2u);
#ifndef _WIN32  // The file is named by its Windows path there.
  EXPECT_EQ(cfg->env_warnings[0],
            fixture("bad_env") + "/.env:3: missing '=' after \"NOT_AN_ASSIGNMENT\", skipped");
#endif
}

TEST(Config, AProcfileOrEnvFileThatIsADirectorySaysSo) {
  Options o;
  o.procfile = fixture("env");
  Result<ProjectConfig> procfile = load_project(o);
  ASSERT_FALSE(procfile.ok());
  EXPECT_EQ(procfile.error().message(), "cannot read " + fixture("env") + ": Is a directory");
  EXPECT_EQ(procfile.error().code(), std::errc::is_a_directory);

  o.procfile = fixture("ports/Procfile");
  o.env_files = std::vector<std::string>{fixture("env")};
  Result<ProjectConfig> env = load_project(o);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().message(), "cannot read " + fixture("env") + ": Is a directory");
}

TEST(Config, ProcfileWithOnlyCommentsDefinesNothing) {
  Options o;
  o.procfile = fixture("env/.env");  // a file with no "NAME: COMMAND" entry
  Result<ProjectConfig> cfg = load_project(o);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message().find("no processes defined"), std::string::npos);
}

TEST(Config, ProcfilePathDefaults) {
  Options o;
  o.procfile = "X";
  EXPECT_EQ(procfile_path(o), "X");
}

}  // namespace
}  // namespace modhost::cli
