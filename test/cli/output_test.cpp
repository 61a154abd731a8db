// Unit tests of the output format (src/cli/output.hpp).

#include <gtest/gtest.h>

#include <thread>

#include "cli/output.hpp"

namespace modhost::cli {
namespace {

TEST(Output, LabelWidthIsAtLeastSix) {
  EXPECT_EQ(label_width({}), 6u);
  EXPECT_EQ(label_width({"web.1"}), 6u);
  EXPECT_EQ(label_width({"web.1", "worker.10"}), 9u);
}

TEST(Output, PlainLine) {
  OutputStyle s;
  s.label_width = 8;
  EXPECT_EQ(format_line(s, "12:34:56", "web.1", 0, LogLevel::Info, "hello"),
            "12:34:56 web.1    | hello\n");
  EXPECT_EQ(format_line(s, "12:34:56", "system", kSystemColor, LogLevel::Error, "x"),
            "12:34:56 system   | x\n");
}

TEST(Output, NoTimestampAndNoPrefix) {
  OutputStyle s;
  s.timestamps = false;
  EXPECT_EQ(format_line(s, "12:34:56", "web.1", 0, LogLevel::Info, "hi"), "web.1  | hi\n");
  s.prefix = false;
  EXPECT_EQ(format_line(s, "12:34:56", "web.1", 0, LogLevel::Info, "hi"), "hi\n");
}

TEST(Output, ColoursPrefixPerProcessAndTextPerLevel) {
  OutputStyle s;
  s.color = true;
  EXPECT_EQ(format_line(s, "01:02:03", "web.1", 0, LogLevel::Info, "ok"),
            "\x1b[36m01:02:03 web.1  |\x1b[0m ok\n");
  EXPECT_EQ(format_line(s, "01:02:03", "web.1", 1, LogLevel::Error, "bad"),
            "\x1b[32m01:02:03 web.1  |\x1b[0m \x1b[31mbad\x1b[0m\n");
  EXPECT_EQ(format_line(s, "01:02:03", "web.1", 2, LogLevel::Warn, "hmm"),
            "\x1b[35m01:02:03 web.1  |\x1b[0m \x1b[33mhmm\x1b[0m\n");
  EXPECT_EQ(color_for(kSystemColor), "1");
  EXPECT_EQ(color_for(8), color_for(0));  // the palette cycles
}

TEST(Output, WriterWritesWholeLinesAndStopsAfterFailure) {
  std::vector<std::string> written;
  int calls = 0;
  OutputStyle s;
  s.timestamps = true;
  OutputWriter w(s, [&](std::string_view t) {
    ++calls;
    written.emplace_back(t);
    return calls >= 3 ? WriteStatus::Broken : WriteStatus::Ok;
  });
  int broken_reports = 0;
  w.set_on_broken([&] { ++broken_reports; });
  w.line(std::chrono::system_clock::now(), "web.1", 0, LogLevel::Info, "one");
  w.system("started");
  ASSERT_EQ(written.size(), 2u);
  // A local clock "HH:MM:SS", then the label column.
  auto clock_then = [](const std::string& line, const std::string& rest) {
    if (line.size() != 9 + rest.size() || line[2] != ':' || line[5] != ':' || line[8] != ' ') {
      return false;
    }
    for (std::size_t i : {0, 1, 3, 4, 6, 7}) {
      if (line[i] < '0' || line[i] > '9') return false;
    }
    return line.compare(9, std::string::npos, rest) == 0;
  };
  EXPECT_TRUE(clock_then(written[0], "web.1  | one\n")) << written[0];
  EXPECT_TRUE(clock_then(written[1], "system | started\n")) << written[1];
  EXPECT_FALSE(w.broken());
  w.system("third fails");
  w.system("not attempted");
  EXPECT_TRUE(w.broken());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(broken_reports, 1);
}

TEST(Output, WriterSerialisesThreads) {
  std::string all;
  OutputStyle s;
  s.prefix = false;
  OutputWriter w(s, [&](std::string_view t) {
    all.append(t);  // unsynchronised on purpose: the writer must serialise (TSan would see it)
    return WriteStatus::Ok;
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&w, t] {
      for (int i = 0; i < 200; ++i) {
        w.line({}, "x", 0, LogLevel::Info, std::string(50, static_cast<char>('a' + t)));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(all.size(), 4u * 200u * 51u);
  for (std::size_t i = 0; i < all.size(); i += 51) {
    EXPECT_EQ(all.find_first_not_of(all[i], i), i + 50) << "interleaved line at " << i;
    EXPECT_EQ(all[i + 50], '\n');
  }
}

}  // namespace
}  // namespace modhost::cli
