#include "node/dates.h"

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

Date D(int y, int m, int d) { return Date::FromYmd(y, m, d).value(); }

TEST(ParseDateTest, AcceptsDdMmYyyy) {
  absl::StatusOr<Date> d = ParseDate("31/03/2025");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->day(), 31);
  EXPECT_EQ(d->month(), 3);
  EXPECT_EQ(d->year(), 2025);
  EXPECT_EQ(*d, D(2025, 3, 31));
  EXPECT_EQ(d->ToString(), "31/03/2025");
}

TEST(ParseDateTest, AcceptsLeapDayInLeapYears) {
  EXPECT_THAT(ParseDate("29/02/2024"), IsOk());
  EXPECT_THAT(ParseDate("29/02/2000"), IsOk());  // divisible by 400
}

TEST(ParseDateTest, RejectsDayThatMonthDoesNotHave) {
  EXPECT_THAT(ParseDate("31/04/2024"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"31/04/2024\" is not a real date (April has 30 days)")));
}

TEST(ParseDateTest, RejectsLeapDayInNonLeapYears) {
  EXPECT_THAT(ParseDate("29/02/2023"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2023 is not a leap year")));
  EXPECT_THAT(ParseDate("29/02/1900"),  // divisible by 100, not by 400
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1900 is not a leap year")));
}

TEST(ParseDateTest, RejectsOtherShapes) {
  for (const char* bad :
       {"1/2/2024", "01/2/2024", "2024-03-31", "31-03-2025", "31/03/25", "31/03/2025 00:00",
        " 31/03/2025", "31/03/2025 ", "3l/03/2025", "+1/03/2025", "31.03.2025"}) {
    EXPECT_THAT(
        ParseDate(bad),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr(absl::StrCat("expected a date dd/mm/yyyy, found \"", bad, "\""))))
        << bad;
  }
}

TEST(ParseDateTest, RejectsBlank) {
  EXPECT_THAT(ParseDate(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("expected a date dd/mm/yyyy, found a blank")));
}

TEST(ParseDateTest, RejectsOutOfRangeNumbers) {
  EXPECT_THAT(ParseDate("00/01/2024"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no day 00")));
  EXPECT_THAT(ParseDate("01/13/2024"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no month 13")));
  EXPECT_THAT(ParseDate("01/00/2024"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no month 00")));
  EXPECT_THAT(ParseDate("01/01/0000"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no year 0000")));
}

TEST(TryParseDateTest, LeavesOutputAloneOnFailure) {
  Date d = D(2020, 1, 1);
  EXPECT_FALSE(TryParseDate("31/04/2024", &d));
  EXPECT_EQ(d, D(2020, 1, 1));
  EXPECT_TRUE(TryParseDate("01/04/2024", &d));
  EXPECT_EQ(d, D(2024, 4, 1));
}

TEST(DateTest, DayNumbersCountFromTheUnixEpoch) {
  EXPECT_EQ(D(1970, 1, 1).days(), 0);
  EXPECT_EQ(D(1970, 1, 2).days(), 1);
  EXPECT_EQ(D(1969, 12, 31).days(), -1);
  EXPECT_EQ(D(2000, 3, 1).days(), 11017);
  EXPECT_EQ(D(2025, 3, 31).days(), 20178);
}

TEST(DateTest, DayNumbersAreConsecutiveAndRoundTrip) {
  Date prev = D(1899, 12, 31);
  for (int32_t days = prev.days() + 1; days <= D(2101, 1, 1).days(); ++days) {
    Date d = Date::FromDays(days);
    ASSERT_FALSE(d.is_blank()) << days;
    ASSERT_EQ(d.days(), days);
    ASSERT_EQ(Date::FromYmd(d.year(), d.month(), d.day()).value().days(), days);
    ASSERT_LT(prev, d);
    // The next day is either the next day of the month or the first of the next month.
    if (d.day() == 1) {
      ASSERT_EQ(prev.day(), DaysInMonth(prev.year(), prev.month())) << d.ToString();
    } else {
      ASSERT_EQ(d.day(), prev.day() + 1) << d.ToString();
    }
    prev = d;
  }
}

TEST(DateTest, FromDaysOutsideYearsOneToNineThousandIsBlank) {
  EXPECT_TRUE(Date::FromDays(D(1, 1, 1).days() - 1).is_blank());
  EXPECT_FALSE(Date::FromDays(D(1, 1, 1).days()).is_blank());
  EXPECT_FALSE(Date::FromDays(D(9999, 12, 31).days()).is_blank());
  EXPECT_TRUE(Date::FromDays(D(9999, 12, 31).days() + 1).is_blank());
}

TEST(DateTest, BlankComesAfterEveryDate) {
  Date blank;
  EXPECT_TRUE(blank.is_blank());
  EXPECT_EQ(blank, Date::Blank());
  EXPECT_LT(D(9999, 12, 31), blank);
  EXPECT_EQ(blank.ToString(), "");
}

TEST(AgeAtTest, CompletedYears) {
  EXPECT_EQ(AgeAt(D(2010, 6, 15), D(2025, 3, 31)), 14);
  EXPECT_EQ(AgeAt(D(2010, 6, 15), D(2025, 6, 14)), 14);
  EXPECT_EQ(AgeAt(D(2010, 6, 15), D(2025, 6, 15)), 15);
  EXPECT_EQ(AgeAt(D(2025, 3, 31), D(2025, 3, 31)), 0);
}

TEST(AgeAtTest, BirthdayOnThirtyFirstMarchCountsAtR) {
  const Date r = CollectionYear::ForYear(2025).reference;
  EXPECT_EQ(AgeAt(D(2009, 3, 31), r), 16);  // sixteenth birthday on R itself
  EXPECT_EQ(AgeAt(D(2009, 4, 1), r), 15);   // the day after R: still 15 at R
  EXPECT_EQ(AgeAt(D(2024, 3, 31), r), 1);
  EXPECT_EQ(AgeAt(D(2024, 4, 1), r), 0);
}

TEST(AgeAtTest, LeapDayBirthdaysTurnOnFirstMarchInNonLeapYears) {
  const Date dob = D(2008, 2, 29);
  EXPECT_EQ(AgeAt(dob, D(2025, 2, 28)), 16);
  EXPECT_EQ(AgeAt(dob, D(2025, 3, 1)), 17);
  EXPECT_EQ(AgeAt(dob, D(2024, 2, 28)), 15);
  EXPECT_EQ(AgeAt(dob, D(2024, 2, 29)), 16);  // a leap year: the birthday itself
  EXPECT_EQ(AgeAt(dob, D(2025, 3, 31)), 17);
}

TEST(AgeAtTest, BeforeBirthIsNegative) { EXPECT_EQ(AgeAt(D(2025, 6, 1), D(2025, 3, 31)), -1); }

TEST(CollectionYearTest, RunsFromFirstAprilToThirtyFirstMarch) {
  CollectionYear y = CollectionYear::ForYear(2025);
  EXPECT_EQ(y.year, 2025);
  EXPECT_EQ(y.start, D(2024, 4, 1));
  EXPECT_EQ(y.reference, D(2025, 3, 31));
  EXPECT_EQ(y.reference.ToString(), "31/03/2025");
}

TEST(CollectionYearTest, WindowsAreTheFixedPeriodsOfTheYear) {
  struct Case {
    const char* window;
    Date start;
    Date end;
  } cases[] = {{"annual", D(2024, 4, 1), D(2025, 3, 31)}, {"h1", D(2024, 4, 1), D(2024, 9, 30)},
               {"h2", D(2024, 10, 1), D(2025, 3, 31)},    {"q1", D(2024, 4, 1), D(2024, 6, 30)},
               {"q2", D(2024, 7, 1), D(2024, 9, 30)},     {"q3", D(2024, 10, 1), D(2024, 12, 31)},
               {"q4", D(2025, 1, 1), D(2025, 3, 31)}};
  for (const Case& c : cases) {
    absl::StatusOr<CollectionYear> w = CollectionYear::ForWindow(2025, c.window);
    ASSERT_THAT(w, IsOk()) << c.window;
    EXPECT_EQ(w->year, 2025);
    EXPECT_EQ(w->window, c.window);
    EXPECT_EQ(w->start, c.start) << c.window;
    EXPECT_EQ(w->reference, c.end) << c.window;
    EXPECT_EQ(CollectionId(*w), absl::StrCat("2025-", c.window));
  }
  EXPECT_THAT(CollectionYear::ForWindow(2025, "q5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"q5\"")));
  EXPECT_THAT(CollectionYear::ForWindow(2025, "Q1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CollectionYearTest, ParsesCollectionIdsStrictly) {
  absl::StatusOr<CollectionYear> q3 = ParseCollectionId("2025-q3");
  ASSERT_THAT(q3, IsOk());
  EXPECT_EQ(q3->year, 2025);
  EXPECT_EQ(q3->window, "q3");
  EXPECT_EQ(q3->start, D(2024, 10, 1));
  for (const char* bad : {"", "2025", "2025-", "2025-annual ", "+025-q1", "25-q1", "2025_q1",
                          "2025-q1-x", "abcd-q1", "2025-yearly"}) {
    EXPECT_THAT(ParseCollectionId(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(CollectionYearTest, CareLeaverBirthdayInWindow) {
  absl::StatusOr<CollectionYear> q1 = CollectionYear::ForWindow(2025, "q1");
  absl::StatusOr<CollectionYear> q4 = CollectionYear::ForWindow(2025, "q4");
  ASSERT_THAT(q1, IsOk());
  ASSERT_THAT(q4, IsOk());
  EXPECT_EQ(AgeOnBirthdayInWindow(D(2007, 5, 5), *q1), 17);
  EXPECT_EQ(AgeOnBirthdayInWindow(D(2007, 5, 5), *q4), std::nullopt);
  EXPECT_EQ(AgeOnBirthdayInWindow(D(2007, 1, 1), *q4), 18);   // 01/01/2025
  EXPECT_EQ(AgeOnBirthdayInWindow(D(2008, 2, 29), *q4), 17);  // 01/03/2025
  EXPECT_EQ(AgeOnBirthdayInWindow(Date::Blank(), *q4), std::nullopt);
  // The annual window holds exactly one birthday: the age at 31/03/Y.
  const CollectionYear annual = CollectionYear::ForYear(2025);
  for (Date dob = D(2004, 1, 1); dob <= D(2004, 12, 31); dob = Date::FromDays(dob.days() + 1)) {
    EXPECT_EQ(AgeOnBirthdayInWindow(dob, annual), AgeAt(dob, D(2025, 3, 31))) << dob.ToString();
  }
}

}  // namespace
}  // namespace ringfence::node
