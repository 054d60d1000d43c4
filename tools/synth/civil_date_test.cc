#include "tools/synth/civil_date.h"

#include "gtest/gtest.h"

namespace ringfence::tools::synth {
namespace {

TEST(CivilDateTest, EpochAndRoundTrip) {
  EXPECT_EQ(DayFromYmd(1970, 1, 1), 0);
  EXPECT_EQ(DayFromYmd(2000, 3, 1), 11017);
  for (Day d = DayFromYmd(1899, 12, 25); d < DayFromYmd(2101, 1, 5); ++d) {
    const Ymd ymd = YmdFromDay(d);
    ASSERT_EQ(DayFromYmd(ymd.year, ymd.month, ymd.day), d);
    ASSERT_GE(ymd.day, 1);
    ASSERT_LE(ymd.day, DaysInMonth(ymd.year, ymd.month));
  }
}

TEST(CivilDateTest, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2025));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2025, 2), 28);
}

TEST(CivilDateTest, FormatsDdMmYyyy) {
  EXPECT_EQ(FormatDate(DayFromYmd(2025, 3, 31)), "31/03/2025");
  EXPECT_EQ(FormatDate(DayFromYmd(2008, 2, 29)), "29/02/2008");
  EXPECT_EQ(FormatDate(DayFromYmd(1999, 12, 1)), "01/12/1999");
}

TEST(CivilDateTest, LeapDayBirthdayFallsOnFirstMarchInOtherYears) {
  const Day dob = DayFromYmd(2008, 2, 29);
  EXPECT_EQ(AddYears(dob, 1), DayFromYmd(2009, 3, 1));
  EXPECT_EQ(AddYears(dob, 4), DayFromYmd(2012, 2, 29));
  EXPECT_EQ(AgeOn(dob, DayFromYmd(2025, 2, 28)), 16);
  EXPECT_EQ(AgeOn(dob, DayFromYmd(2025, 3, 1)), 17);
  EXPECT_EQ(AgeOn(dob, DayFromYmd(2024, 2, 28)), 15);
  EXPECT_EQ(AgeOn(dob, DayFromYmd(2024, 2, 29)), 16);
}

TEST(CivilDateTest, AgeIsCompletedYears) {
  const Day dob = DayFromYmd(2010, 4, 1);
  EXPECT_EQ(AgeOn(dob, DayFromYmd(2025, 3, 31)), 14);
  EXPECT_EQ(AgeOn(dob, DayFromYmd(2025, 4, 1)), 15);
  EXPECT_EQ(AgeOn(dob, dob), 0);
}

}  // namespace
}  // namespace ringfence::tools::synth
