// Calendar dates as the SSDA903 returns write them (dd/mm/yyyy), ages, and the collection
// year. The rules are those of spec/indicators.md, "Dates and the year" (catalogue version 1):
//
//   - Collection year Y runs from S = 01/04/(Y-1) to R = 31/03/Y, both inclusive.
//   - Dates are exactly dd/mm/yyyy: two digits, '/', two digits, '/', four digits, and a real
//     day of the proleptic Gregorian calendar (leap years included). Nothing else is a date:
//     not 1/2/2024, not 2024-03-31, not "01/02/2024 00:00", not a blank.
//   - Age at a date is completed years, calendar exact and leap-safe: a child born on 29/02
//     turns a year older on 01/03 in a non-leap year.
//
// Date keeps both a day number (days since 01/01/1970, for fast comparison and ordering) and
// its year, month and day (for ages), so neither is ever recomputed in a hot loop.
//
// Thread-safe: everything here is a value type or a pure function.
#ifndef RINGFENCE_NODE_DATES_H_
#define RINGFENCE_NODE_DATES_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ringfence::node {

class Date {
 public:
  // The blank date (a blank DEC: "not ended"). It compares after every real date, so "DEC is
  // blank or DEC > d" is simply `dec > d`.
  constexpr Date() = default;
  static constexpr Date Blank() { return Date(); }

  // The date y-m-d, or nullopt unless 1 <= y <= 9999 and it is a real calendar day.
  static std::optional<Date> FromYmd(int year, int month, int day);

  // The date `days` after 01/01/1970 (negative: before). `days` must lie within years
  // 1..9999; otherwise the blank date is returned.
  static Date FromDays(int32_t days);

  bool is_blank() const { return days_ == kBlankDays; }
  int32_t days() const { return days_; }  // days since 01/01/1970; INT32_MAX when blank
  int year() const { return year_; }      // 0 when blank
  int month() const { return month_; }    // 1..12; 0 when blank
  int day() const { return day_; }        // 1..31; 0 when blank

  // dd/mm/yyyy, or "" for the blank date.
  std::string ToString() const;

  friend bool operator==(Date a, Date b) { return a.days_ == b.days_; }
  friend bool operator!=(Date a, Date b) { return a.days_ != b.days_; }
  friend bool operator<(Date a, Date b) { return a.days_ < b.days_; }
  friend bool operator<=(Date a, Date b) { return a.days_ <= b.days_; }
  friend bool operator>(Date a, Date b) { return a.days_ > b.days_; }
  friend bool operator>=(Date a, Date b) { return a.days_ >= b.days_; }

 private:
  static constexpr int32_t kBlankDays = std::numeric_limits<int32_t>::max();
  constexpr Date(int32_t days, int year, int month, int day)
      : days_(days),
        year_(static_cast<int16_t>(year)),
        month_(static_cast<int8_t>(month)),
        day_(static_cast<int8_t>(day)) {}

  int32_t days_ = kBlankDays;
  int16_t year_ = 0;
  int8_t month_ = 0;
  int8_t day_ = 0;
};

bool IsLeapYear(int year);
// Days in `month` (1..12) of `year`; 0 for a month outside 1..12.
int DaysInMonth(int year, int month);

// The fast path for parsers: true and *out set when `text` is exactly dd/mm/yyyy and a real
// date; false otherwise (then *out is unchanged). No trimming: callers that allow surrounding
// whitespace strip it first.
bool TryParseDate(absl::string_view text, Date* out);

// Like TryParseDate, but says what was wrong. INVALID_ARGUMENT with a message for an analyst,
// which quotes `text`, e.g.
//   expected a date dd/mm/yyyy, found "1/2/2024"
//   "31/04/2024" is not a real date (April has 30 days); expected dd/mm/yyyy
//   "29/02/2023" is not a real date (2023 is not a leap year); expected dd/mm/yyyy
//   expected a date dd/mm/yyyy, found a blank
absl::StatusOr<Date> ParseDate(absl::string_view text);

// Completed years from `dob` to `on` (negative when `on` is before `dob`). Both must be real
// dates; a blank date on either side gives 0.
int AgeAt(Date dob, Date on);

// The collection year Y: S = 01/04/(Y-1), R = 31/03/Y; or one of its fixed sub-annual windows
// (proto/coordinator_service.proto, enum Period), for which S and R are the window's first and
// last days and every rule "in the year" reads "in the period", "at 31 March" "at the period
// end" (docs/indicators.md, "Sub-annual windows"):
//   annual 01/04/(Y-1)..31/03/Y   h1 01/04..30/09/(Y-1)   h2 01/10/(Y-1)..31/03/Y
//   q1 01/04..30/06/(Y-1)   q2 01/07..30/09/(Y-1)   q3 01/10..31/12/(Y-1)   q4 01/01..31/03/Y
struct CollectionYear {
  int year = 0;
  Date start;                     // S
  Date reference;                 // R
  std::string window = "annual";  // "annual", "h1", "h2", "q1".."q4"

  bool is_annual() const { return window == "annual"; }

  // `year` must be in 2..9999 (the catalogue only uses catalogue::kFirstYear..kLastYear).
  static CollectionYear ForYear(int year);
  // The window `window` of collection year `year` (2..9999). INVALID_ARGUMENT naming the
  // window and the known ones if it is none of them.
  static absl::StatusOr<CollectionYear> ForWindow(int year, absl::string_view window);
};

// A collection id "<Y>-<window>", e.g. "2025-annual", "2025-q3": the window of year Y.
// INVALID_ARGUMENT, quoting the id and saying what is expected, for anything else (a year
// outside 2..9999, an unknown window, extra characters).
absl::StatusOr<CollectionYear> ParseCollectionId(absl::string_view id);

// "<Y>-<window>".
std::string CollectionId(const CollectionYear& window);

// Spec "The cohorts" [rule] for care leavers, generalised to a window: the age a child born on
// `dob` reaches on the birthday that falls in [window.start, window.reference], or nullopt if
// no birthday falls in the window (the OC3 return is made around the birthday, so the leaver
// is counted only in the window holding it). A 29/02 birthday falls on 01/03 in a non-leap
// year (as in AgeAt). An annual window holds exactly one birthday of every child, so there
// this is the age in the year (node::AgeInYear). nullopt for a blank `dob`.
std::optional<int> AgeOnBirthdayInWindow(Date dob, const CollectionYear& window);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_DATES_H_
