// Unit tests of formations and instance planning (src/cli/formation.hpp).

#include <gtest/gtest.h>

#include "cli/formation.hpp"

namespace modhost::cli {
namespace {

Procfile three() {
  Result<Procfile> r = parse_procfile("web: w\nworker: k\nclock: c\n");
  EXPECT_TRUE(r.ok());
  return *r;
}

TEST(Formation, ParsesCountsAndAll) {
  Formation f;
  ASSERT_TRUE(parse_formation("web=2, worker=0,all=3", f).ok());
  EXPECT_EQ(f.all, 3);
  ASSERT_EQ(f.counts.size(), 2u);
  EXPECT_EQ(f.counts[0], std::make_pair(std::string("web"), 2));
  EXPECT_EQ(f.counts[1], std::make_pair(std::string("worker"), 0));
}

TEST(Formation, RepeatedOptionsAccumulateLaterWins) {
  Formation f;
  ASSERT_TRUE(parse_formation("web=2", f).ok());
  ASSERT_TRUE(parse_formation("web=4,clock=1", f).ok());
  ASSERT_EQ(f.counts.size(), 2u);
  EXPECT_EQ(f.counts[0].second, 4);
}

TEST(Formation, Errors) {
  Formation f;
  EXPECT_FALSE(parse_formation("web", f).ok());
  EXPECT_FALSE(parse_formation("web=-1", f).ok());
  EXPECT_FALSE(parse_formation("web=x", f).ok());
  EXPECT_FALSE(parse_formation("web=101", f).ok());
  EXPECT_FALSE(parse_formation("a b=1", f).ok());
  Result<void> r = parse_formation("web=two", f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("\"two\""), std::string::npos);
}

TEST(Plan, DefaultIsOneOfEach) {
  auto r = plan_instances(three(), Formation(), {}, 5000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].label, "web.1");
  EXPECT_EQ((*r)[0].port, 5000);
  EXPECT_EQ((*r)[1].label, "worker.1");
  EXPECT_EQ((*r)[1].port, 5100);
  EXPECT_EQ((*r)[2].label, "clock.1");
  EXPECT_EQ((*r)[2].port, 5200);
  EXPECT_EQ((*r)[2].command, "c");
  EXPECT_EQ((*r)[2].entry_index, 2u);
}

TEST(Plan, PortIsBasePlusHundredPerEntryPlusInstance) {
  Formation f;
  ASSERT_TRUE(parse_formation("web=2,worker=0,clock=3", f).ok());
  auto r = plan_instances(three(), f, {}, 6000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[0].label, "web.1");
  EXPECT_EQ((*r)[0].port, 6000);
  EXPECT_EQ((*r)[1].label, "web.2");
  EXPECT_EQ((*r)[1].port, 6001);
  EXPECT_EQ((*r)[1].instance, 2);
  EXPECT_EQ((*r)[2].label, "clock.1");
  EXPECT_EQ((*r)[2].port, 6200);  // the index counts worker even though it runs 0 instances
  EXPECT_EQ((*r)[4].label, "clock.3");
  EXPECT_EQ((*r)[4].port, 6202);
}

TEST(Plan, AllSetsTheDefault) {
  Formation f;
  ASSERT_TRUE(parse_formation("all=2,clock=0", f).ok());
  auto r = plan_instances(three(), f, {}, 5000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 4u);
}

TEST(Plan, SelectedProcessesOnly) {
  auto r = plan_instances(three(), Formation(), {"clock", "web"}, 5000);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "web.1");  // Procfile order, not command-line order
  EXPECT_EQ((*r)[1].label, "clock.1");
  EXPECT_EQ((*r)[1].port, 5200);
}

TEST(Plan, Errors) {
  auto unknown = plan_instances(three(), Formation(), {"nope"}, 5000);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "unknown process \"nope\" to start (the Procfile defines: web, worker, clock)");
  Formation f;
  ASSERT_TRUE(parse_formation("ghost=1", f).ok());
  EXPECT_FALSE(plan_instances(three(), f, {}, 5000).ok());
  Formation none;
  ASSERT_TRUE(parse_formation("all=0", none).ok());
  auto empty = plan_instances(three(), none, {}, 5000);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("nothing to run"), std::string::npos);
  auto high = plan_instances(three(), Formation(), {}, 65400);
  ASSERT_FALSE(high.ok());
  EXPECT_NE(high.error().message().find("65535"), std::string::npos);
}

}  // namespace
}  // namespace modhost::cli
