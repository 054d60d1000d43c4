// Calendar dates as day numbers, for the synthetic data generator.
//
// A date is an int32 count of days since 01/01/1970 (proleptic Gregorian), so ranges and
// "uniform date between" are plain integer arithmetic. Age follows the catalogue's rule
// (docs/indicators.md "Dates and the year"): completed years, and a child born on 29/02 turns a
// year older on 01/03 in non-leap years.
//
// Pure functions; thread-safe.
#ifndef RINGFENCE_TOOLS_SYNTH_CIVIL_DATE_H_
#define RINGFENCE_TOOLS_SYNTH_CIVIL_DATE_H_

#include <cstdint>
#include <string>

namespace ringfence::tools::synth {

using Day = int32_t;

struct Ymd {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

bool IsLeapYear(int year);
int DaysInMonth(int year, int month);

// The day number of a valid calendar date (no validation: callers pass real dates).
Day DayFromYmd(int year, int month, int day);
Ymd YmdFromDay(Day d);

// The same month and day `years` later (or earlier if negative); 29/02 becomes 01/03 in a
// non-leap target year (the anniversary rule used for ages).
Day AddYears(Day d, int years);

// Completed years between `dob` and `on` (negative if `on` precedes `dob`).
int AgeOn(Day dob, Day on);

// "dd/mm/yyyy", the SSDA903 CSV date format.
std::string FormatDate(Day d);

}  // namespace ringfence::tools::synth

#endif  // RINGFENCE_TOOLS_SYNTH_CIVIL_DATE_H_
