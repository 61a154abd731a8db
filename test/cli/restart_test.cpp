// Unit tests of the restart rules, backoff and schedule (src/cli/restart.hpp) and their options.

#include <gtest/gtest.h>

#include "cli/options.hpp"
#include "cli/restart.hpp"

namespace modhost::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, DoublesFromOneSecondUpToThirty) {
  Backoff b;
  std::vector<long> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(static_cast<long>(b.next(seconds(2)).count()));
  EXPECT_EQ(delays, (std::vector<long>{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
}

TEST(Backoff, StartsOverAfterAMinuteOfRunning) {
  Backoff b;
  EXPECT_EQ(b.next(seconds(1)), seconds(1));
  EXPECT_EQ(b.next(seconds(1)), seconds(2));
  EXPECT_EQ(b.next(seconds(59)), seconds(4));
  EXPECT_EQ(b.next(seconds(60)), seconds(1));
  EXPECT_EQ(b.next(seconds(0)), seconds(2));
}

TEST(Backoff, ScalesWithItsBase) {
  Backoff b(milliseconds(50));
  EXPECT_EQ(b.next(milliseconds(0)), milliseconds(50));
  EXPECT_EQ(b.next(milliseconds(0)), milliseconds(100));
  EXPECT_EQ(b.next(milliseconds(3000)), milliseconds(50));  // 60 x 50 ms of running
  for (int i = 0; i < 10; ++i) b.next(milliseconds(0));
  EXPECT_EQ(b.next(milliseconds(0)), milliseconds(1500));  // the ceiling, 30 x 50 ms
}

TEST(RestartSchedule, DueCancelledAndCounted) {
  using Clock = std::chrono::steady_clock;
  RestartSchedule s(seconds(1));
  const Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(s.pending());
  s.started("web.1", t0);
  s.started("job.1", t0);
  EXPECT_EQ(s.schedule("web.1", t0 + seconds(5)), std::make_pair(milliseconds(1000), 1));
  EXPECT_EQ(s.next_due(), t0 + seconds(6));
  EXPECT_TRUE(s.take_due(t0 + seconds(5)).empty());
  EXPECT_EQ(s.take_due(t0 + seconds(6)), std::vector<std::string>{"web.1"});
  EXPECT_FALSE(s.pending());
  s.started("web.1", t0 + seconds(6));
  EXPECT_EQ(s.schedule("web.1", t0 + seconds(7)), std::make_pair(milliseconds(2000), 2));
  EXPECT_EQ(s.schedule("job.1", t0 + seconds(7)), std::make_pair(milliseconds(1000), 1));
  EXPECT_EQ(s.next_due(), t0 + seconds(8));
  EXPECT_EQ(s.cancel_all(), (std::vector<std::string>{"web.1", "job.1"}));
  EXPECT_FALSE(s.pending());
  // Cancelled restarts do not count.
  EXPECT_EQ(s.counts(), (std::vector<std::pair<std::string, int>>{{"web.1", 1}}));
}

TEST(RestartSchedule, Summary) {
  EXPECT_EQ(restart_summary({}), "");
  EXPECT_EQ(restart_summary({{"web.1", 3}, {"job.1", 1}}), "restarted: web.1 (3 times), job.1 (once)");
}

TEST(EndRules, WhoMayEndAndNamesAreChecked) {
  EndRules r;
  r.can_die = {"job"};
  r.restart = {"web"};
  EXPECT_TRUE(r.restarts("web"));
  EXPECT_FALSE(r.restarts("job"));
  EXPECT_TRUE(r.may_end("job"));
  EXPECT_TRUE(r.may_end("web"));
  EXPECT_FALSE(r.may_end("worker"));
  r.restart_all = true;
  EXPECT_TRUE(r.restarts("worker"));

  Result<Procfile> p = parse_procfile("web: a\njob: b\n");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(r.check(*p).ok());
  r.can_die.push_back("jbo");
  Result<void> bad = r.check(*p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "--can-die: unknown process \"jbo\" (the Procfile has web, job)");
}

TEST(Options, CanDieAndRestart) {
  Result<Options> o = parse_options({"--can-die", "job,migrate", "--restart=web", "--can-die=x"});
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->end_rules.can_die, (std::vector<std::string>{"job", "migrate", "x"}));
  EXPECT_EQ(o->end_rules.restart, std::vector<std::string>{"web"});
  EXPECT_FALSE(o->end_rules.restart_all);
  Result<Options> all = parse_options({"start", "--restart", "all"});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->end_rules.restart_all);

  Result<Options> no_names = parse_options({"--restart"});
  ASSERT_FALSE(no_names.ok());
  EXPECT_NE(no_names.error().message().find("--restart needs process names"), std::string::npos);
  Result<Options> bad = parse_options({"--can-die", "web,bad name"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("--can-die: invalid process name \"bad name\""),
            std::string::npos);
  Result<Options> no_all = parse_options({"--can-die", "all"});
  ASSERT_TRUE(no_all.ok());  // "all" is only --restart's: here it is a process called all
  EXPECT_EQ(no_all->end_rules.can_die, std::vector<std::string>{"all"});
  EXPECT_NE(help_text().find("--can-die NAME[,NAME]"), std::string::npos);
  EXPECT_NE(help_text().find("--restart NAME[,NAME]|all"), std::string::npos);
}

}  // namespace
}  // namespace modhost::cli
