// Uuid generation in a host that forks without exec (POSIX only: Windows has no fork).
#ifndef _WIN32

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "modhost/uuid.hpp"

namespace modhost {
namespace {

// Parent and child continue from the same generator state. Without the fork handler they would
// draw the same random bits from the inherited batch and make the very same next id.
TEST(UuidFork, ChildDoesNotRepeatTheParentsNextId) {
  (void)Uuid::new_v7();  // the generator exists and holds a partly used batch
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Uuid u = Uuid::new_v7();
    ssize_t n = ::write(fds[1], u.bytes.data(), u.bytes.size());
    ::_exit(n == static_cast<ssize_t>(u.bytes.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  Uuid in_parent = Uuid::new_v7();
  Uuid in_child;
  ssize_t got = ::read(fds[0], in_child.bytes.data(), in_child.bytes.size());
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, static_cast<ssize_t>(in_child.bytes.size()));
  EXPECT_EQ(in_child.version(), 7);
  EXPECT_NE(in_child, in_parent);
}

}  // namespace
}  // namespace modhost

#endif  // _WIN32
