// Collections: what a collection id means and which requests to open one are valid. Pure
// logic, no I/O and no protobuf (coordinator/admin_service.h converts at the edge).
//
// A collection is one round of submissions for one period of collection year Y (the year
// ending 31 March Y). Each period has fixed windows inside the year, so that figures from
// different LAs are comparable (proto/coordinator_service.proto Period):
//   kAnnual     "Y-annual"  Y-1-04-01 .. Y-03-31
//   kHalfYear   "Y-h1"      Y-1-04-01 .. Y-1-09-30   "Y-h2"  Y-1-10-01 .. Y-03-31
//   kQuarterly  "Y-q1"      Y-1-04-01 .. Y-1-06-30   "Y-q2"  Y-1-07-01 .. Y-1-09-30
//               "Y-q3"      Y-1-10-01 .. Y-1-12-31   "Y-q4"  Y-01-01   .. Y-03-31
// The window part of the id ("annual", "h1", "q3", ...) is also the period key of a node's
// ledger round (node/ledger.h RoundKey.period).
//
// Errors: INVALID_ARGUMENT, naming the field and listing what would be valid.
// Thread-safe: free functions over values.
#ifndef RINGFENCE_COORDINATOR_COLLECTIONS_H_
#define RINGFENCE_COORDINATOR_COLLECTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ringfence::coordinator {

// The values match proto Period (ANNUAL = 1, HALF_YEAR = 2, QUARTERLY = 3) so that the store
// and the proto edge share one number.
enum class CollectionPeriod { kAnnual = 1, kHalfYear = 2, kQuarterly = 3 };

struct CollectionWindow {
  CollectionPeriod period = CollectionPeriod::kAnnual;
  std::string name;      // "annual", "h1", "h2", "q1".."q4"
  int rank = 0;          // order inside the year: annual 0, h1 1, h2 2, q1 3 .. q4 6
  absl::CivilDay start;  // inclusive
  absl::CivilDay end;    // inclusive
};

// A period number as stored or sent (1..3); INVALID_ARGUMENT for anything else, naming
// `field`.
absl::StatusOr<CollectionPeriod> PeriodFromNumber(int number, absl::string_view field);
// "annual", "half-year", "quarterly": for messages.
const char* PeriodName(CollectionPeriod period);

// The windows of `period` in collection year `year`, in order.
std::vector<CollectionWindow> WindowsOf(CollectionPeriod period, int year);

// "<year>-<window name>", e.g. "2025-q3".
std::string CollectionId(int year, absl::string_view window_name);
// "<year>-annual": what an empty collection_id means.
std::string AnnualCollectionId(int year);

struct ParsedCollectionId {
  int year = 0;
  CollectionWindow window;
};

// Parses "<Y>-<window>" with Y inside the catalogue's years (catalogue::kFirstYear..kLastYear).
// INVALID_ARGUMENT naming the id (escaped and bounded) and the accepted forms.
absl::StatusOr<ParsedCollectionId> ParseCollectionId(absl::string_view id);

// The window of `period` in `year` whose start and end are `start` and `end` (ISO 8601
// YYYY-MM-DD). For kAnnual both may be empty (the year's window). INVALID_ARGUMENT for a year
// outside the catalogue's years, a malformed date, or dates that are not one of the period's
// windows; the message lists the valid windows.
absl::StatusOr<CollectionWindow> ResolveWindow(int year, CollectionPeriod period,
                                               absl::string_view start, absl::string_view end);

// The expected LA list of a new collection: non-empty, every code a known LA
// (catalogue/la_registry.h), none repeated. Returns the codes sorted. INVALID_ARGUMENT naming
// the first offending code (escaped and bounded).
absl::StatusOr<std::vector<std::string>> ValidateExpectedLas(const std::vector<std::string>& codes);

// A deadline for a collection whose window ends on `window_end` (inclusive): after the end of
// that day (UTC) and after `now`. INVALID_ARGUMENT otherwise, naming both times.
absl::Status ValidateDeadline(absl::Time deadline, const CollectionWindow& window, absl::Time now);

// ISO 8601 date text, YYYY-MM-DD.
std::string IsoDate(absl::CivilDay day);
// RFC 3339 UTC with seconds, e.g. "2025-06-30T23:59:59Z": for messages.
std::string FormatUtc(absl::Time t);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_COLLECTIONS_H_
