#include "node/backoff.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;

// Always draws the top of the range (or the bottom), recording each bound asked for.
struct Extreme {
  bool top = true;
  std::vector<uint64_t>* bounds;
  uint64_t operator()(uint64_t bound) const {
    bounds->push_back(bound);
    return top ? bound : 0;
  }
};

TEST(BackoffTest, BoundDoublesFromInitialUpToTheCap) {
  std::vector<uint64_t> bounds;
  auto b = Backoff::Create(absl::Seconds(1), absl::Seconds(10), Extreme{true, &bounds});
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->Bound(), absl::ZeroDuration());
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 7; ++i) waits.push_back(b->NextWait());
  EXPECT_THAT(waits, ::testing::ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                            absl::Seconds(8), absl::Seconds(10), absl::Seconds(10),
                                            absl::Seconds(10)));
  EXPECT_THAT(bounds, ::testing::ElementsAre(1000, 2000, 4000, 8000, 10000, 10000, 10000));
  EXPECT_EQ(b->failures(), 7);
}

TEST(BackoffTest, WaitsLieInZeroToBound) {
  std::vector<uint64_t> bounds;
  auto b = Backoff::Create(absl::Milliseconds(500), absl::Seconds(300), Extreme{false, &bounds});
  ASSERT_THAT(b, IsOk());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(b->NextWait(), absl::ZeroDuration());
  EXPECT_EQ(b->Bound(), absl::Seconds(300));  // capped, and no overflow after many doublings
}

TEST(BackoffTest, ResetAfterSuccessStartsAgainFromInitial) {
  std::vector<uint64_t> bounds;
  auto b = Backoff::Create(absl::Seconds(2), absl::Seconds(60), Extreme{true, &bounds});
  ASSERT_THAT(b, IsOk());
  b->NextWait();
  b->NextWait();
  b->NextWait();
  EXPECT_EQ(b->Bound(), absl::Seconds(8));
  b->Reset();
  EXPECT_EQ(b->failures(), 0);
  EXPECT_EQ(b->NextWait(), absl::Seconds(2));
}

TEST(BackoffTest, FullJitterSpreadsWaitsOverTheWholeWindow) {
  // A real generator: 2000 draws with bound 10 s cover every tenth of the window.
  auto b = Backoff::Create(absl::Seconds(10), absl::Seconds(10), DefaultUniform());
  ASSERT_THAT(b, IsOk());
  std::set<int64_t> tenths;
  absl::Duration lo = absl::InfiniteDuration();
  absl::Duration hi = absl::ZeroDuration();
  for (int i = 0; i < 2000; ++i) {
    const absl::Duration w = b->NextWait();
    ASSERT_GE(w, absl::ZeroDuration());
    ASSERT_LE(w, absl::Seconds(10));
    lo = std::min(lo, w);
    hi = std::max(hi, w);
    tenths.insert(std::min<int64_t>(absl::ToInt64Milliseconds(w) / 1000, 9));
  }
  EXPECT_EQ(tenths.size(), 10u);
  EXPECT_LT(lo, absl::Seconds(1));
  EXPECT_GT(hi, absl::Seconds(9));
}

TEST(BackoffTest, PollWaitIsTheIntervalPlusOrMinusTwentyPercent) {
  std::vector<uint64_t> bounds;
  auto top = Backoff::Create(absl::Seconds(1), absl::Seconds(1), Extreme{true, &bounds});
  auto bottom = Backoff::Create(absl::Seconds(1), absl::Seconds(1), Extreme{false, &bounds});
  ASSERT_THAT(top, IsOk());
  ASSERT_THAT(bottom, IsOk());
  EXPECT_EQ(top->PollWait(absl::Seconds(300)), absl::Seconds(360));
  EXPECT_EQ(bottom->PollWait(absl::Seconds(300)), absl::Seconds(240));
  EXPECT_EQ(top->PollWait(absl::ZeroDuration()), absl::ZeroDuration());
  EXPECT_EQ(top->failures(), 0);  // polling is not a failure
}

TEST(BackoffTest, NextAttemptUsesTheInjectedClock) {
  std::vector<uint64_t> bounds;
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  auto b = Backoff::Create(absl::Seconds(3), absl::Seconds(30), Extreme{true, &bounds},
                           [t0] { return t0; });
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->NextAttemptAt(), t0 + absl::Seconds(3));
  EXPECT_EQ(b->NextAttemptAt(), t0 + absl::Seconds(6));
}

TEST(BackoffTest, RejectsAZeroOrInvertedRange) {
  EXPECT_THAT(Backoff::Create(absl::ZeroDuration(), absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Backoff::Create(absl::Seconds(5), absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ringfence::node
