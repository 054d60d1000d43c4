#include "coordinator/collections.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CollectionsTest, WindowsCoverTheCollectionYear) {
  const std::vector<CollectionWindow> q = WindowsOf(CollectionPeriod::kQuarterly, 2025);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].name, "q1");
  EXPECT_EQ(IsoDate(q[0].start), "2024-04-01");
  EXPECT_EQ(IsoDate(q[0].end), "2024-06-30");
  EXPECT_EQ(IsoDate(q[1].start), "2024-07-01");
  EXPECT_EQ(IsoDate(q[2].end), "2024-12-31");
  EXPECT_EQ(IsoDate(q[3].start), "2025-01-01");
  EXPECT_EQ(IsoDate(q[3].end), "2025-03-31");
  // Contiguous: each window starts the day after the previous one ends.
  for (size_t i = 1; i < q.size(); ++i) EXPECT_EQ(q[i].start, q[i - 1].end + 1);
  const std::vector<CollectionWindow> h = WindowsOf(CollectionPeriod::kHalfYear, 2025);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(IsoDate(h[0].end), "2024-09-30");
  EXPECT_EQ(IsoDate(h[1].start), "2024-10-01");
  const std::vector<CollectionWindow> a = WindowsOf(CollectionPeriod::kAnnual, 2025);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].name, "annual");
  EXPECT_EQ(IsoDate(a[0].start), "2024-04-01");
  EXPECT_EQ(IsoDate(a[0].end), "2025-03-31");
}

TEST(CollectionsTest, IdsRoundTrip) {
  EXPECT_EQ(AnnualCollectionId(2025), "2025-annual");
  EXPECT_EQ(CollectionId(2025, "q3"), "2025-q3");
  absl::StatusOr<ParsedCollectionId> p = ParseCollectionId("2025-q3");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->year, 2025);
  EXPECT_EQ(p->window.name, "q3");
  EXPECT_EQ(p->window.period, CollectionPeriod::kQuarterly);
  EXPECT_EQ(IsoDate(p->window.start), "2024-10-01");
  p = ParseCollectionId("2024-h2");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->window.period, CollectionPeriod::kHalfYear);
  EXPECT_EQ(p->window.rank, 2);
}

TEST(CollectionsTest, MalformedIdsAreInvalidArgument) {
  for (const char* id : {"", "2025", "2025-", "2025-q5", "2025-Annual", "25-annual", "2025_annual",
                         "x025-annual", "2025-annual-2", "+202-annual"}) {
    EXPECT_THAT(ParseCollectionId(id),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<year>-<window>")))
        << id;
  }
  EXPECT_THAT(ParseCollectionId("1999-annual"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside")));
  // Bounded and escaped in the message.
  EXPECT_THAT(ParseCollectionId(std::string(100, 'x') + "\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("...")));
}

TEST(CollectionsTest, ResolveWindowAcceptsOnlyThePeriodsWindows) {
  absl::StatusOr<CollectionWindow> w =
      ResolveWindow(2025, CollectionPeriod::kQuarterly, "2024-07-01", "2024-09-30");
  ASSERT_THAT(w, IsOk());
  EXPECT_EQ(w->name, "q2");
  w = ResolveWindow(2025, CollectionPeriod::kAnnual, "", "");
  ASSERT_THAT(w, IsOk());
  EXPECT_EQ(w->name, "annual");
  w = ResolveWindow(2025, CollectionPeriod::kAnnual, "2024-04-01", "2025-03-31");
  ASSERT_THAT(w, IsOk());
  // A quarter that is not one of the fixed windows: the message lists them.
  EXPECT_THAT(ResolveWindow(2025, CollectionPeriod::kQuarterly, "2024-05-01", "2024-07-31"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("2024-05-01..2024-07-31 is not a quarterly window"),
                             HasSubstr("2025-q1 2024-04-01..2024-06-30"),
                             HasSubstr("2025-q4 2025-01-01..2025-03-31"))));
  // A half-year window offered as a quarter.
  EXPECT_THAT(ResolveWindow(2025, CollectionPeriod::kQuarterly, "2024-04-01", "2024-09-30"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2025-q2")));
  // Outside the collection year.
  EXPECT_THAT(
      ResolveWindow(2025, CollectionPeriod::kHalfYear, "2025-04-01", "2025-09-30"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2025-h1 2024-04-01..2024-09-30")));
  EXPECT_THAT(ResolveWindow(2025, CollectionPeriod::kHalfYear, "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("are required")));
  EXPECT_THAT(ResolveWindow(2025, CollectionPeriod::kQuarterly, "2024-7-1", "2024-09-30"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("period_start '2024-7-1' is not an ISO 8601 date")));
  EXPECT_THAT(ResolveWindow(2025, CollectionPeriod::kQuarterly, "2024-07-01", "2024-09-31"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("period_end")));
  EXPECT_THAT(ResolveWindow(2019, CollectionPeriod::kAnnual, "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("year 2019 is outside")));
}

TEST(CollectionsTest, PeriodNumbers) {
  EXPECT_THAT(PeriodFromNumber(3, "period"), IsOk());
  EXPECT_THAT(PeriodFromNumber(0, "period"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("period 0 is not a period")));
  EXPECT_THAT(PeriodFromNumber(4, "period"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CollectionsTest, ExpectedLasAreKnownUniqueAndSorted) {
  absl::StatusOr<std::vector<std::string>> las =
      ValidateExpectedLas({"E09000033", "E08000037", "E09000007"});
  ASSERT_THAT(las, IsOk());
  EXPECT_THAT(*las, ElementsAre("E08000037", "E09000007", "E09000033"));
  EXPECT_THAT(ValidateExpectedLas({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ValidateExpectedLas({"E09000033", "E99999999"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'E99999999' is not a known LA code")));
  EXPECT_THAT(ValidateExpectedLas({"E09000033", "E08000037", "E09000033"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("E09000033 is listed more than once")));
}

TEST(CollectionsTest, DeadlineMustFollowThePeriodAndBeInTheFuture) {
  const CollectionWindow q1 = WindowsOf(CollectionPeriod::kQuarterly, 2025)[0];
  const absl::Time end_of_q1 = absl::FromCivil(absl::CivilDay(2024, 7, 1), absl::UTCTimeZone());
  const absl::Time before = end_of_q1 - absl::Hours(24 * 30);
  EXPECT_THAT(ValidateDeadline(end_of_q1, q1, before), IsOk());
  EXPECT_THAT(ValidateDeadline(end_of_q1 - absl::Seconds(1), q1, before),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("not after the end of the period (2024-06-30"),
                             HasSubstr("2024-07-01T00:00:00Z"))));
  EXPECT_THAT(ValidateDeadline(end_of_q1 + absl::Hours(1), q1, end_of_q1 + absl::Hours(2)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is in the past")));
}

}  // namespace
}  // namespace ringfence::coordinator
