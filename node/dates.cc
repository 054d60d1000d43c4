#include "node/dates.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ringfence::node {
namespace {

// Days before the first of each month in a non-leap year.
constexpr int kDaysBeforeMonth[13] = {0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

// Days from 01/01/0001 to 01/01/`year` (year >= 1), proleptic Gregorian.
constexpr int64_t DaysBeforeYear(int year) {
  const int64_t y = year - 1;
  return y * 365 + y / 4 - y / 100 + y / 400;
}

constexpr int64_t kEpochOffset = DaysBeforeYear(1970);  // 01/01/1970 is day 0

int64_t DaysFromCivil(int year, int month, int day) {
  int64_t d = DaysBeforeYear(year) + kDaysBeforeMonth[month] + (day - 1);
  if (month > 2 && IsLeapYear(year)) ++d;
  return d - kEpochOffset;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int Digit(char c) { return c - '0'; }

const char* const kMonthNames[13] = {"",        "January",  "February", "March",  "April",
                                     "May",     "June",     "July",     "August", "September",
                                     "October", "November", "December"};

}  // namespace

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month];
}

std::optional<Date> Date::FromYmd(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  return Date(static_cast<int32_t>(DaysFromCivil(year, month, day)), year, month, day);
}

Date Date::FromDays(int32_t days) {
  const int64_t absolute = static_cast<int64_t>(days) + kEpochOffset;  // days since 0001-01-01
  if (absolute < 0 || absolute >= DaysBeforeYear(10000)) return Date();
  // 400 Gregorian years hold exactly 146097 days; the estimate below is at most one year off.
  int year = static_cast<int>(absolute * 400 / 146097) + 1;
  while (year > 1 && DaysBeforeYear(year) > absolute) --year;
  while (year < 9999 && DaysBeforeYear(year + 1) <= absolute) ++year;
  int day_of_year = static_cast<int>(absolute - DaysBeforeYear(year));  // 0-based
  int month = 1;
  while (month < 12) {
    int next = kDaysBeforeMonth[month + 1] + ((month + 1 > 2 && IsLeapYear(year)) ? 1 : 0);
    if (day_of_year < next) break;
    ++month;
  }
  int before = kDaysBeforeMonth[month] + ((month > 2 && IsLeapYear(year)) ? 1 : 0);
  return Date(days, year, month, day_of_year - before + 1);
}

std::string Date::ToString() const {
  if (is_blank()) return "";
  return absl::StrFormat("%02d/%02d/%04d", day_, month_, year_);
}

bool TryParseDate(absl::string_view text, Date* out) {
  if (text.size() != 10 || text[2] != '/' || text[5] != '/') return false;
  for (int i : {0, 1, 3, 4, 6, 7, 8, 9}) {
    if (!IsDigit(text[i])) return false;
  }
  const int day = Digit(text[0]) * 10 + Digit(text[1]);
  const int month = Digit(text[3]) * 10 + Digit(text[4]);
  const int year =
      Digit(text[6]) * 1000 + Digit(text[7]) * 100 + Digit(text[8]) * 10 + Digit(text[9]);
  std::optional<Date> d = Date::FromYmd(year, month, day);
  if (!d.has_value()) return false;
  *out = *d;
  return true;
}

absl::StatusOr<Date> ParseDate(absl::string_view text) {
  Date d;
  if (TryParseDate(text, &d)) return d;
  if (text.empty()) {
    return absl::InvalidArgumentError("expected a date dd/mm/yyyy, found a blank");
  }
  bool shaped = text.size() == 10 && text[2] == '/' && text[5] == '/';
  for (int i : {0, 1, 3, 4, 6, 7, 8, 9}) {
    if (shaped && !IsDigit(text[i])) shaped = false;
  }
  if (!shaped) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a date dd/mm/yyyy, found \"", text, "\""));
  }
  // The shape is right, so the numbers are out of range: say which one.
  const int day = Digit(text[0]) * 10 + Digit(text[1]);
  const int month = Digit(text[3]) * 10 + Digit(text[4]);
  const int year =
      Digit(text[6]) * 1000 + Digit(text[7]) * 100 + Digit(text[8]) * 10 + Digit(text[9]);
  std::string why;
  if (month < 1 || month > 12) {
    why = absl::StrFormat("there is no month %02d", month);
  } else if (year < 1) {
    why = "there is no year 0000";
  } else if (day < 1) {
    why = "there is no day 00";
  } else if (month == 2 && day == 29) {
    why = absl::StrFormat("%04d is not a leap year", year);
  } else {
    why = absl::StrFormat("%s has %d days", kMonthNames[month], DaysInMonth(year, month));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a real date (", why, "); expected dd/mm/yyyy"));
}

int AgeAt(Date dob, Date on) {
  if (dob.is_blank() || on.is_blank()) return 0;
  int age = on.year() - dob.year();
  // Not yet had this year's birthday. Comparing (month, day) pairs is leap-safe: 29/02 is
  // after 28/02 and before 01/03, so in a non-leap year the birthday "happens" on 01/03.
  if (on.month() < dob.month() || (on.month() == dob.month() && on.day() < dob.day())) --age;
  return age;
}

CollectionYear CollectionYear::ForYear(int year) {
  CollectionYear y;
  y.year = year;
  y.start = Date::FromYmd(year - 1, 4, 1).value_or(Date());
  y.reference = Date::FromYmd(year, 3, 31).value_or(Date());
  return y;
}

namespace {

struct WindowSpec {
  const char* name;
  int start_month;  // the window starts on the 1st of this month
  int end_month;    // and ends on the last day of this one
};
// Months 4..12 are in year Y-1, 1..3 in year Y.
constexpr WindowSpec kWindows[] = {{"annual", 4, 3}, {"h1", 4, 9},   {"h2", 10, 3}, {"q1", 4, 6},
                                   {"q2", 7, 9},     {"q3", 10, 12}, {"q4", 1, 3}};

int CalendarYear(int collection_year, int month) {
  return month >= 4 ? collection_year - 1 : collection_year;
}

}  // namespace

absl::StatusOr<CollectionYear> CollectionYear::ForWindow(int year, absl::string_view window) {
  if (year < 2 || year > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection year ", year, " is outside 2..9999"));
  }
  for (const WindowSpec& w : kWindows) {
    if (window != w.name) continue;
    CollectionYear y;
    y.year = year;
    y.window = w.name;
    const int sy = CalendarYear(year, w.start_month);
    const int ey = CalendarYear(year, w.end_month);
    y.start = Date::FromYmd(sy, w.start_month, 1).value_or(Date());
    y.reference = Date::FromYmd(ey, w.end_month, DaysInMonth(ey, w.end_month)).value_or(Date());
    return y;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown collection window \"", window,
                                                 "\"; expected annual, h1, h2, q1, q2, q3 or q4"));
}

absl::StatusOr<CollectionYear> ParseCollectionId(absl::string_view id) {
  const size_t dash = id.find('-');
  int year = 0;
  const absl::string_view digits = id.substr(0, dash);
  if (dash != 4 || !absl::SimpleAtoi(digits, &year) ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "collection id \"", id, "\" is not <YYYY>-<window> (e.g. 2025-annual, 2025-h1, 2025-q3)"));
  }
  auto window = CollectionYear::ForWindow(year, id.substr(dash + 1));
  if (!window.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection id \"", id, "\": ", window.status().message()));
  }
  return window;
}

std::string CollectionId(const CollectionYear& window) {
  return absl::StrCat(window.year, "-", window.window);
}

std::optional<int> AgeOnBirthdayInWindow(Date dob, const CollectionYear& window) {
  if (dob.is_blank() || window.start.is_blank() || window.reference.is_blank()) return std::nullopt;
  for (int y = window.start.year(); y <= window.reference.year(); ++y) {
    std::optional<Date> birthday = Date::FromYmd(y, dob.month(), dob.day());
    if (!birthday.has_value()) birthday = Date::FromYmd(y, 3, 1);  // 29/02 in a non-leap year
    if (!birthday.has_value()) continue;
    if (*birthday >= window.start && *birthday <= window.reference) return y - dob.year();
  }
  return std::nullopt;
}

}  // namespace ringfence::node
