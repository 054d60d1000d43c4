// Formats a coordinator release (ringfence.v1.ReleaseResponse) as tidy CSV in
// the layout of DfE Explore Education Statistics (EES) open data:
//
//   time_period,time_identifier,geographic_level,country_code,country_name,region_code,
//   region_name,new_la_code,la_name,breakdown,group,<one column per indicator>,
//   <per indicator: IND_noise_sd,IND_ci95_half_width>
//
// One row per geography x breakdown x group; each indicator is its own value
// column, in catalogue order (catalogue::Indicators()), followed by any
// indicator this build does not know, in order of first appearance. After the
// value columns, in the same indicator order, come two uncertainty columns per
// indicator: IND_noise_sd, the released noise_sd (square root of the cell's
// exact noise variance), and IND_ci95_half_width, the released ci95_half_width
// (1.96 * noise_sd + half the rounding base, so value +/- it is a 95% interval
// for the exact count from noise and rounding; proto/cells.proto), both with
// three decimals. A suppressed cell has its noise SD and `c` as its
// half-width (there is no value to centre an interval on); an absent cell
// repeats its `x` or `z` in both. time_period
// is the collection year (e.g. 2025), time_identifier "Reporting year",
// geographic_level National / Regional / Local authority, country E92000001 /
// England on every row; region columns are blank on national rows and LA
// columns blank above LA level. Cell symbols follow the EES conventions: `c`
// for a suppressed value, `z` where the indicator has no such breakdown (not
// applicable), `x` where the indicator has the breakdown but the release does
// not include the cell: withheld from this recipient by the coordinator's
// policy (its class is not granted that indicator x breakdown at that level,
// or no class is and no node sends it). The coordinator sends only what the
// recipient's class may receive, so the CSV holds exactly the cells that came
// back: a geography x breakdown x group with no released cell has no row at
// all (e.g. no nationality rows for a class that receives none, no LA rows for
// a class granted no LA level or for --level national), and within a row the
// cells not released are `x`. Rows keep the release's
// order of geographies, and within a geography the first-appearance order of
// breakdown x group (the coordinator sends catalogue order). Fields containing
// a comma, quote or line break are quoted (RFC 4180; "Bristol, City of").
//
// Privacy: writes only what the coordinator released; nothing is recomputed or
// un-rounded (the noise variance is read only to check noise_sd).
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
// an empty indicator, breakdown or group, the same cell twice, a zero noise
// variance denominator, a noise_sd that is not the square root of the noise
// variance (to 1e-9 relative; e.g. unset by an older coordinator), or a
// ci95_half_width below 1.96 * noise_sd; or naming the column, when an
// unknown indicator's name clashes with another column.
absl::StatusOr<ReleaseCsv> FormatReleaseCsv(const ringfence::v1::ReleaseResponse& release);

// One line for the terminal, e.g. "release 2025: 3 LAs, 54 rows written to
// out.csv; England cla 670205 (noise SD 3.7); class dfe_analyst, policy
// 3fa4c2d1e9b0". The England figure is the national cla/total/total cell: `c`
// if suppressed, "not in release" if absent (e.g. not granted, or not asked
// for with --level). The class and the policy digest's first 12 characters
// are what the coordinator filtered by (omitted when it did not say).
std::string SummariseRelease(const ringfence::v1::ReleaseResponse& release, int rows,
                             absl::string_view out_path);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_RELEASE_CSV_H_
