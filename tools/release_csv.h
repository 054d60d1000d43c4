// Formats a coordinator release (ringfence.v1.ReleaseResponse) as tidy CSV in
// the layout of DfE Explore Education Statistics (EES) open data:
//
//   time_period,time_identifier,geographic_level,country_code,country_name,region_code,
//   region_name,new_la_code,la_name,breakdown,group,<one column per indicator>
//
// One row per geography x breakdown x group; each indicator is its own value
// column, in catalogue order (catalogue::Indicators()), followed by any
// indicator this build does not know, in order of first appearance. time_period
// is the collection year (e.g. 2025), time_identifier "Reporting year",
// geographic_level National / Regional / Local authority, country E92000001 /
// England on every row; region columns are blank on national rows and LA
// columns blank above LA level. Cell symbols follow the EES conventions: `c`
// for a suppressed value, `z` where the indicator has no such breakdown (not
// applicable), `x` where the indicator has the breakdown but the release does
// not include the cell (withheld from this recipient). Rows keep the release's
// order of geographies, and within a geography the first-appearance order of
// breakdown x group (the coordinator sends catalogue order). Fields containing
// a comma, quote or line break are quoted (RFC 4180; "Bristol, City of").
//
// Privacy: writes only what the coordinator released; nothing is recomputed or
// un-rounded.
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_TOOLS_RELEASE_CSV_H_
#define RINGFENCE_TOOLS_RELEASE_CSV_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/cells.pb.h"

namespace ringfence::tools {

struct ReleaseCsv {
  std::string text;  // header and rows, each line ending "\n"
  int rows = 0;      // data rows, excluding the header
};

// INVALID_ARGUMENT, naming the cell, when the release is malformed: an
// unspecified geographic level, geography fields inconsistent with the level,
// an empty indicator, breakdown or group, or the same cell twice.
absl::StatusOr<ReleaseCsv> FormatReleaseCsv(
    const ringfence::v1::ReleaseResponse& release);

// One line for the terminal, e.g. "release 2025: 3 LAs, 54 rows written to
// out.csv; England cla 670205 (noise SD 3.7)". The England figure is the
// national cla/total/total cell: `c` if suppressed, "not in release" if absent.
std::string SummariseRelease(const ringfence::v1::ReleaseResponse& release,
                             int rows, absl::string_view out_path);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_RELEASE_CSV_H_
