// Pipe::read and Pipe::write: blocking, portable reads and writes on the parent's ends of a
// child's pipes (non-blocking on POSIX, overlapped or synchronous on Windows), with no OS call in
// the test. Runs on POSIX and under Wine.

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <thread>

#include "process_test_util.hpp"

namespace modhost::test {
namespace {

// Everything until end of file, by Pipe::read alone.
std::string read_to_end(Pipe& pipe) {
  std::string all;
  char buf[4096];
  for (;;) {
    auto n = pipe.read(buf, sizeof buf);
    EXPECT_TRUE(n) << n.error().message();
    if (!n || *n == 0) return all;
    all.append(buf, *n);
  }
}

// More than any pipe buffer holds, so both the write and the read must block and resume: the
// child copies stdin to stdout while this thread writes and another reads.
TEST(PipeIo, BlockingWriteAndReadThroughAChild) {
  SpawnOptions o = child({"cat"});
  o.stdin_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  Pipe in = c->take_stdin();
  Pipe out = c->take_stdout();
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 23);
  std::string got;
  std::thread reader([&] { got = read_to_end(out); });
  Result<void> wrote = in.write(data);
  in.close();  // end of file for the child, which then ends and closes its stdout
  reader.join();
  ASSERT_TRUE(wrote) << wrote.error().message();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "the bytes came back changed";
  auto status = c->wait();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success());
}

// A read blocks until data comes, returns what is there, and returns 0 at end of file (again and
// again); a read of 0 bytes returns 0 at once.
TEST(PipeIo, ReadReturnsWhatIsThereThenZeroAtEnd) {
  auto c = ChildProcess::spawn(child({"lines", "3", "10"}));
  ASSERT_TRUE(c) << c.error().message();
  Pipe out = c->take_stdout();
  char none[1];
  auto zero = out.read(none, 0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(*zero, 0u);
  EXPECT_EQ(read_to_end(out), "abcdefghij\nbcdefghijk\ncdefghijkl\n");
  char buf[16];
  auto again = out.read(buf, sizeof buf);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, 0u);
  ASSERT_TRUE(c->wait());
}

// Writing to a child that is gone is an error, not a SIGPIPE that would end this process (its
// default action is restored here so that a raised one would).
TEST(PipeIo, WriteToAGoneReaderIsAnError) {
#ifdef SIGPIPE
  auto previous = std::signal(SIGPIPE, SIG_DFL);
#endif
  SpawnOptions o = child({"exit", "0"});
  o.stdin_mode = Stdio::Pipe;
  auto c = ChildProcess::spawn(o);
  ASSERT_TRUE(c) << c.error().message();
  Pipe in = c->take_stdin();
  ASSERT_TRUE(c->wait());
  Result<void> wrote = in.write(std::string(256 * 1024, 'x'));
#ifdef SIGPIPE
  std::signal(SIGPIPE, previous);
#endif
  ASSERT_FALSE(wrote);
  EXPECT_EQ(wrote.error().code().category(), std::system_category());
  EXPECT_NE(wrote.error().message().find("cannot write to the pipe: "), std::string::npos)
      << wrote.error().message();
}

TEST(PipeIo, InvalidPipeIsAnError) {
  Pipe none;
  char buf[4];
  auto r = none.read(buf, sizeof buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), make_error_code(errc::invalid_argument));
  auto w = none.write("x");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), make_error_code(errc::invalid_argument));
}

}  // namespace
}  // namespace modhost::test
