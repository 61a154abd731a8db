// The tool's grace period when the system ends the tool a fixed time after the signal that
// started the stop (Windows' console close event): cut so the whole stop fits, never lengthened.

#include <gtest/gtest.h>

#include <chrono>

#include "cli/stop_grace.hpp"

namespace modhost::cli::test {
namespace {

using std::chrono::milliseconds;

TEST(StopGrace, WithoutALimitTheTimeoutIsKept) {
  EXPECT_EQ(stop_grace(milliseconds(5000), milliseconds(0)), milliseconds(5000));
  EXPECT_EQ(stop_grace(milliseconds(60000), milliseconds(0)), milliseconds(60000));
}

TEST(StopGrace, ALimitCutsTheGraceSoTheStopFits) {
  // Windows' close event: 4.5 s held, 1.5 s kept for the kill, the summary and the last output.
  EXPECT_EQ(stop_grace(milliseconds(5000), milliseconds(4500)), milliseconds(3000));
  EXPECT_EQ(stop_grace(milliseconds(5000), milliseconds(4500), milliseconds(500)),
            milliseconds(4000));
}

TEST(StopGrace, AShortTimeoutIsNotLengthened) {
  EXPECT_EQ(stop_grace(milliseconds(1000), milliseconds(4500)), milliseconds(1000));
  EXPECT_EQ(stop_grace(milliseconds(0), milliseconds(4500)), milliseconds(0));
}

TEST(StopGrace, ALimitShorterThanTheReserveLeavesNoGrace) {
  EXPECT_EQ(stop_grace(milliseconds(5000), milliseconds(1000)), milliseconds(0));
}

}  // namespace
}  // namespace modhost::cli::test
