#include "coordinator/collections.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"

namespace ringfence::coordinator {
namespace {

// Text from a request quoted into an error: escaped and bounded.
std::string Quote(absl::string_view text) {
  constexpr size_t kMax = 40;
  std::string out = absl::CEscape(text.substr(0, kMax));
  if (text.size() > kMax) absl::StrAppend(&out, "...");
  return absl::StrCat("'", out, "'");
}

absl::Status CheckYear(int year, absl::string_view what) {
  if (year < catalogue::kFirstYear || year > catalogue::kLastYear) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " year ", year, " is outside ", catalogue::kFirstYear, "..", catalogue::kLastYear));
  }
  return absl::OkStatus();
}

CollectionWindow Window(CollectionPeriod period, const char* name, int rank, absl::CivilDay start,
                        absl::CivilDay end) {
  CollectionWindow w;
  w.period = period;
  w.name = name;
  w.rank = rank;
  w.start = start;
  w.end = end;
  return w;
}

std::vector<CollectionWindow> AllWindows(int year) {
  std::vector<CollectionWindow> out;
  for (CollectionPeriod p :
       {CollectionPeriod::kAnnual, CollectionPeriod::kHalfYear, CollectionPeriod::kQuarterly}) {
    for (CollectionWindow& w : WindowsOf(p, year)) out.push_back(std::move(w));
  }
  return out;
}

absl::StatusOr<absl::CivilDay> ParseIsoDate(absl::string_view text, absl::string_view field) {
  absl::CivilDay day;
  // absl::ParseCivilTime accepts exactly YYYY-MM-DD for a CivilDay, and normalises nothing
  // away silently only if we compare the round trip.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || IsoDate(day) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", Quote(text), " is not an ISO 8601 date (YYYY-MM-DD)"));
  }
  return day;
}

}  // namespace

absl::StatusOr<CollectionPeriod> PeriodFromNumber(int number, absl::string_view field) {
  switch (number) {
    case 1:
      return CollectionPeriod::kAnnual;
    case 2:
      return CollectionPeriod::kHalfYear;
    case 3:
      return CollectionPeriod::kQuarterly;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, " ", number, " is not a period (ANNUAL, HALF_YEAR or QUARTERLY)"));
  }
}

const char* PeriodName(CollectionPeriod period) {
  switch (period) {
    case CollectionPeriod::kAnnual:
      return "annual";
    case CollectionPeriod::kHalfYear:
      return "half-year";
    case CollectionPeriod::kQuarterly:
      return "quarterly";
  }
  return "unknown";
}

std::vector<CollectionWindow> WindowsOf(CollectionPeriod period, int year) {
  const int y0 = year - 1;
  switch (period) {
    case CollectionPeriod::kAnnual:
      return {Window(period, "annual", 0, absl::CivilDay(y0, 4, 1), absl::CivilDay(year, 3, 31))};
    case CollectionPeriod::kHalfYear:
      return {Window(period, "h1", 1, absl::CivilDay(y0, 4, 1), absl::CivilDay(y0, 9, 30)),
              Window(period, "h2", 2, absl::CivilDay(y0, 10, 1), absl::CivilDay(year, 3, 31))};
    case CollectionPeriod::kQuarterly:
      return {Window(period, "q1", 3, absl::CivilDay(y0, 4, 1), absl::CivilDay(y0, 6, 30)),
              Window(period, "q2", 4, absl::CivilDay(y0, 7, 1), absl::CivilDay(y0, 9, 30)),
              Window(period, "q3", 5, absl::CivilDay(y0, 10, 1), absl::CivilDay(y0, 12, 31)),
              Window(period, "q4", 6, absl::CivilDay(year, 1, 1), absl::CivilDay(year, 3, 31))};
  }
  return {};
}

std::string CollectionId(int year, absl::string_view window_name) {
  return absl::StrCat(year, "-", window_name);
}

std::string AnnualCollectionId(int year) { return CollectionId(year, "annual"); }

absl::StatusOr<ParsedCollectionId> ParseCollectionId(absl::string_view id) {
  const auto invalid = [&id]() {
    return absl::InvalidArgumentError(
        absl::StrCat("collection id ", Quote(id),
                     " is not <year>-<window> with window annual, h1, h2, q1, q2, q3 or q4 "
                     "(e.g. 2025-annual, 2025-q3)"));
  };
  const size_t dash = id.find('-');
  if (dash != 4) return invalid();
  int year = 0;
  if (!absl::SimpleAtoi(id.substr(0, dash), &year) || !absl::ascii_isdigit(id[0])) {
    return invalid();
  }
  const absl::string_view name = id.substr(dash + 1);
  for (CollectionWindow& w : AllWindows(year)) {
    if (w.name == name) {
      if (absl::Status s = CheckYear(year, absl::StrCat("collection id ", Quote(id), ":"));
          !s.ok()) {
        return s;
      }
      return ParsedCollectionId{year, std::move(w)};
    }
  }
  return invalid();
}

absl::StatusOr<CollectionWindow> ResolveWindow(int year, CollectionPeriod period,
                                               absl::string_view start, absl::string_view end) {
  if (absl::Status s = CheckYear(year, "collection"); !s.ok()) return s;
  std::vector<CollectionWindow> windows = WindowsOf(period, year);
  if (period == CollectionPeriod::kAnnual && start.empty() && end.empty()) return windows[0];
  std::vector<std::string> valid;
  for (const CollectionWindow& w : windows) {
    valid.push_back(
        absl::StrCat(CollectionId(year, w.name), " ", IsoDate(w.start), "..", IsoDate(w.end)));
  }
  const std::string listing = absl::StrCat("the ", PeriodName(period), " windows of ", year,
                                           " are ", absl::StrJoin(valid, ", "));
  if (start.empty() || end.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("period_start and period_end are required for a ", PeriodName(period),
                     " collection; ", listing));
  }
  absl::StatusOr<absl::CivilDay> s = ParseIsoDate(start, "period_start");
  if (!s.ok()) return s.status();
  absl::StatusOr<absl::CivilDay> e = ParseIsoDate(end, "period_end");
  if (!e.ok()) return e.status();
  for (const CollectionWindow& w : windows) {
    if (w.start == *s && w.end == *e) return w;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("period ", IsoDate(*s), "..", IsoDate(*e), " is not a ", PeriodName(period),
                   " window of collection year ", year, "; ", listing));
}

absl::StatusOr<std::vector<std::string>> ValidateExpectedLas(
    const std::vector<std::string>& codes) {
  if (codes.empty()) {
    return absl::InvalidArgumentError(
        "expected_la_codes is empty; a collection expects at "
        "least one LA");
  }
  std::set<std::string> seen;
  for (const std::string& code : codes) {
    if (catalogue::FindLocalAuthority(code) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected_la_codes: ", Quote(code),
          " is not a known LA code (ONS codes such as E09000033; see data/la_codes.csv)"));
    }
    if (!seen.insert(code).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected_la_codes: ", code, " is listed more than once"));
    }
  }
  return std::vector<std::string>(seen.begin(), seen.end());
}

absl::Status ValidateDeadline(absl::Time deadline, const CollectionWindow& window, absl::Time now) {
  const absl::Time window_over = absl::FromCivil(window.end + 1, absl::UTCTimeZone());
  if (deadline < window_over) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline ", FormatUtc(deadline), " is not after the end of the period (",
                     IsoDate(window.end), ", so ", FormatUtc(window_over), " or later)"));
  }
  if (deadline <= now) {
    return absl::InvalidArgumentError(absl::StrCat("deadline ", FormatUtc(deadline),
                                                   " is in the past (now ", FormatUtc(now), ")"));
  }
  return absl::OkStatus();
}

std::string IsoDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace ringfence::coordinator
