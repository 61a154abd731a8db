// Unit tests of the Procfile grammar (src/cli/procfile.hpp).

#include <gtest/gtest.h>

#include "cli/procfile.hpp"

namespace modhost::cli {
namespace {

Procfile parse_ok(std::string_view text) {
  Result<Procfile> r = parse_procfile(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : Procfile();
}

TEST(Procfile, ReadsEntriesInFileOrder) {
  Procfile p = parse_ok("web: python -m http.server $PORT\nworker: ./worker --queue=a:b\n");
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].name, "web");
  EXPECT_EQ(p.entries[0].command, "python -m http.server $PORT");
  EXPECT_EQ(p.entries[0].line, 1u);
  EXPECT_EQ(p.entries[1].name, "worker");
  EXPECT_EQ(p.entries[1].command, "./worker --queue=a:b");  // only the first ':' separates
  EXPECT_EQ(p.entries[1].line, 2u);
  EXPECT_TRUE(p.warnings.empty());
}

TEST(Procfile, NamesAllowLettersDigitsUnderscoreDash) {
  Procfile p = parse_ok("a_b-C9: x\n9: y\n");
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].name, "a_b-C9");
  EXPECT_EQ(p.entries[1].name, "9");
}

TEST(Procfile, SkipsBlankLinesAndComments) {
  Procfile p = parse_ok("\n# a comment: with colon\n   \n  # indented comment\nweb: run\n\n");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].line, 5u);
  EXPECT_TRUE(p.warnings.empty());
}

TEST(Procfile, AcceptsCrlfAndNoFinalNewlineAndBom) {
  Procfile p = parse_ok("\xEF\xBB\xBFweb: run web\r\nworker: run worker");
  ASSERT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.entries[0].name, "web");
  EXPECT_EQ(p.entries[0].command, "run web");  // no trailing '\r'
  EXPECT_EQ(p.entries[1].command, "run worker");
}

TEST(Procfile, TrimsSpacesAroundNameAndCommand) {
  Procfile p = parse_ok("  web :   run   it  \t\n");
  ASSERT_EQ(p.entries.size(), 1u);
  EXPECT_EQ(p.entries[0].name, "web");
  EXPECT_EQ(p.entries[0].command, "run   it");
}

TEST(Procfile, WarnsAboutLineWithoutColon) {
  Procfile p = parse_ok("web: run\nthis is not an entry\nworker: go\n");
  EXPECT_EQ(p.entries.size(), 2u);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].line, 2u);
  EXPECT_NE(p.warnings[0].message.find("NAME: COMMAND"), std::string::npos);
}

TEST(Procfile, WarnsAboutInvalidName) {
  Procfile p = parse_ok("web: run\nmy web: run\nw.b: x\n");
  EXPECT_EQ(p.entries.size(), 1u);
  ASSERT_EQ(p.warnings.size(), 2u);
  EXPECT_EQ(p.warnings[0].line, 2u);
  EXPECT_NE(p.warnings[0].message.find("invalid process name \"my web\""), std::string::npos);
  EXPECT_EQ(p.warnings[1].line, 3u);
}

TEST(Procfile, WarnsAboutEmptyNameOrCommand) {
  Procfile p = parse_ok(": run\nweb:\nworker:   \r\n");
  EXPECT_TRUE(p.entries.empty());
  ASSERT_EQ(p.warnings.size(), 3u);
  EXPECT_EQ(p.warnings[0].line, 1u);
  EXPECT_EQ(p.warnings[1].line, 2u);
  EXPECT_NE(p.warnings[1].message.find("no command"), std::string::npos);
  EXPECT_EQ(p.warnings[2].line, 3u);
}

TEST(Procfile, DuplicateNameIsAnErrorWithBothLines) {
  Result<Procfile> r = parse_procfile("web: a\n\nworker: b\nweb: c\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), make_error_code(errc::parse_error));
  EXPECT_EQ(r.error().message(),
            "line 4: duplicate process name \"web\" (first defined on line 1)");
}

TEST(Procfile, EmptyTextHasNoEntries) {
  Procfile p = parse_ok("");
  EXPECT_TRUE(p.entries.empty());
  EXPECT_TRUE(p.warnings.empty());
}

TEST(Procfile, IndexOf) {
  Procfile p = parse_ok("a: x\nb: y\n");
  EXPECT_EQ(p.index_of("a"), 0u);
  EXPECT_EQ(p.index_of("b"), 1u);
  EXPECT_EQ(p.index_of("c"), 2u);
}

TEST(Procfile, ValidNames) {
  EXPECT_TRUE(is_valid_process_name("web-1_x"));
  EXPECT_FALSE(is_valid_process_name(""));
  EXPECT_FALSE(is_valid_process_name("a b"));
  EXPECT_FALSE(is_valid_process_name("a.b"));
  EXPECT_FALSE(is_valid_process_name("\xC3\xA9"));
}

}  // namespace
}  // namespace modhost::cli
