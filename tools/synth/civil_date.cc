#include "tools/synth/civil_date.h"

#include <cstdio>

namespace ringfence::tools::synth {

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[(month - 1) % 12];
}

// Era-based conversion (400-year cycles of 146097 days, years starting in March so the leap
// day falls at the end of a year).
Day DayFromYmd(int year, int month, int day) {
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;                                       // [0, 399]
  const int mp = month > 2 ? month - 3 : month + 9;                    // March = 0
  const int doy = (153 * mp + 2) / 5 + day - 1;                        // [0, 365]
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               // [0, 146096]
  return static_cast<Day>(era * 146097 + doe - 719468);
}

Ymd YmdFromDay(Day d) {
  const int z = d + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  Ymd out;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

Day AddYears(Day d, int years) {
  Ymd ymd = YmdFromDay(d);
  const int y = ymd.year + years;
  if (ymd.month == 2 && ymd.day == 29 && !IsLeapYear(y)) return DayFromYmd(y, 3, 1);
  return DayFromYmd(y, ymd.month, ymd.day);
}

int AgeOn(Day dob, Day on) {
  const Ymd b = YmdFromDay(dob);
  const Ymd o = YmdFromDay(on);
  int age = o.year - b.year;
  if (AddYears(dob, age) > on) --age;
  return age;
}

std::string FormatDate(Day d) {
  const Ymd ymd = YmdFromDay(d);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d/%02d/%04d", ymd.day, ymd.month, ymd.year);
  return buf;
}

}  // namespace ringfence::tools::synth
