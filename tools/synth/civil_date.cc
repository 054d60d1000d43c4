#include "tools/synth/civil_date.h"

#include <optional>

#include "node/dates.h"

// The generator's calendar is the node's (node/dates.h): one implementation of leap years,
// day numbers (days since 01/01/1970) and completed-years age, so the data and the rules that
// read it cannot drift apart. This file only adapts it to the generator's plain day numbers.
namespace ringfence::tools::synth {

bool IsLeapYear(int year) { return node::IsLeapYear(year); }

int DaysInMonth(int year, int month) { return node::DaysInMonth(year, month); }

Day DayFromYmd(int year, int month, int day) {
  // The generator passes real dates; a day past the month's end counts on from its first day.
  std::optional<node::Date> d = node::Date::FromYmd(year, month, day);
  if (d.has_value()) return d->days();
  return node::Date::FromYmd(year, month, 1)->days() + day - 1;
}

Ymd YmdFromDay(Day d) {
  const node::Date date = node::Date::FromDays(d);
  Ymd out;
  out.year = date.year();
  out.month = date.month();
  out.day = date.day();
  return out;
}

Day AddYears(Day d, int years) {
  Ymd ymd = YmdFromDay(d);
  const int y = ymd.year + years;
  if (ymd.month == 2 && ymd.day == 29 && !IsLeapYear(y)) return DayFromYmd(y, 3, 1);
  return DayFromYmd(y, ymd.month, ymd.day);
}

int AgeOn(Day dob, Day on) { return node::AgeAt(node::Date::FromDays(dob), node::Date::FromDays(on)); }

std::string FormatDate(Day d) { return node::Date::FromDays(d).ToString(); }

}  // namespace ringfence::tools::synth
