#include "coordinator/rate_limiter.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kAlice[] = "urn:ringfence:la:E09000033";
constexpr char kBob[] = "urn:ringfence:la:E09000007";

std::unique_ptr<RateLimiter> Make(double rps, int burst) {
  absl::StatusOr<std::unique_ptr<RateLimiter>> l = RateLimiter::Create({rps, burst});
  EXPECT_THAT(l, IsOk());
  return l.ok() ? *std::move(l) : nullptr;
}

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(RateLimiterTest, AllowsABurstThenRefusesWithTheTimeToWait) {
  auto limiter = Make(2, 3);
  ASSERT_NE(limiter, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_THAT(limiter->Acquire(kAlice, kT0), IsOk()) << i;
  EXPECT_THAT(
      limiter->Acquire(kAlice, kT0),
      StatusIs(absl::StatusCode::kResourceExhausted,
               AllOf(HasSubstr("too many requests from urn:ringfence:la:E09000033"),
                     HasSubstr("retry after 0.500s"), HasSubstr("limit 2 per second, burst 3"))));
}

TEST(RateLimiterTest, RefillsAtTheConfiguredRateUpToTheBurst) {
  auto limiter = Make(2, 3);
  ASSERT_NE(limiter, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_THAT(limiter->Acquire(kAlice, kT0), IsOk());
  // Half a second earns one token, no more.
  const absl::Time t1 = kT0 + absl::Milliseconds(500);
  EXPECT_THAT(limiter->Acquire(kAlice, t1), IsOk());
  EXPECT_THAT(limiter->Acquire(kAlice, t1), StatusIs(absl::StatusCode::kResourceExhausted));
  // A quarter second later, half a token: still refused, with the rest of the wait.
  EXPECT_THAT(limiter->Acquire(kAlice, t1 + absl::Milliseconds(250)),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("retry after 0.250s")));
  // After a long idle spell the bucket holds `burst` tokens, not more.
  const absl::Time t2 = t1 + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_THAT(limiter->Acquire(kAlice, t2), IsOk()) << i;
  EXPECT_THAT(limiter->Acquire(kAlice, t2), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RateLimiterTest, OneIdentityFloodingDoesNotAffectAnother) {
  auto limiter = Make(1, 2);
  ASSERT_NE(limiter, nullptr);
  for (int i = 0; i < 100; ++i) (void)limiter->Acquire(kAlice, kT0);
  EXPECT_THAT(limiter->Acquire(kAlice, kT0), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(limiter->Acquire(kBob, kT0), IsOk());
  EXPECT_THAT(limiter->Acquire(kBob, kT0), IsOk());
  EXPECT_THAT(limiter->Acquire(kBob, kT0),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("E09000007")));
}

TEST(RateLimiterTest, RefusedCallsDoNotDrainTheBucketFurther) {
  auto limiter = Make(1, 1);
  ASSERT_NE(limiter, nullptr);
  ASSERT_THAT(limiter->Acquire(kAlice, kT0), IsOk());
  for (int i = 0; i < 50; ++i) {
    EXPECT_THAT(limiter->Acquire(kAlice, kT0 + absl::Milliseconds(i)),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  // One second after the last success, whatever was refused in between.
  EXPECT_THAT(limiter->Acquire(kAlice, kT0 + absl::Seconds(1)), IsOk());
}

TEST(RateLimiterTest, AClockStepBackRefillsNothing) {
  auto limiter = Make(1, 1);
  ASSERT_NE(limiter, nullptr);
  ASSERT_THAT(limiter->Acquire(kAlice, kT0), IsOk());
  EXPECT_THAT(limiter->Acquire(kAlice, kT0 - absl::Hours(1)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(limiter->Acquire(kAlice, kT0 + absl::Seconds(1)), IsOk());
}

TEST(RateLimiterTest, ZeroRequestsPerSecondTurnsLimitingOff) {
  auto limiter = Make(0, 1);
  ASSERT_NE(limiter, nullptr);
  EXPECT_FALSE(limiter->enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_THAT(limiter->Acquire(kAlice, kT0), IsOk());
}

TEST(RateLimiterTest, RefusesNonsensicalOptions) {
  EXPECT_THAT(RateLimiter::Create({-1, 5}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RateLimiter::Create({1.0 / 0.0, 5}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RateLimiter::Create({5, 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RateLimiterTest, ManyIdentitiesNeverResetABucketThatIsNotFull) {
  auto limiter = Make(1, 1);
  ASSERT_NE(limiter, nullptr);
  ASSERT_THAT(limiter->Acquire(kAlice, kT0), IsOk());
  // Many other identities, each once: past kMaxIdleBuckets, only full buckets are dropped.
  for (size_t i = 0; i <= RateLimiter::kMaxIdleBuckets + 1; ++i) {
    ASSERT_THAT(limiter->Acquire(absl::StrCat("urn:ringfence:la:X", i), kT0), IsOk());
  }
  // Those just seen are empty and still tracked, so their second call is refused.
  EXPECT_THAT(limiter->Acquire("urn:ringfence:la:X7", kT0),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(limiter->Acquire(kAlice, kT0 + absl::Seconds(5)), IsOk());
}

}  // namespace
}  // namespace ringfence::coordinator
