// The exact grid: one count per cell of catalogue::GridCells(), computed from one LA's
// validated data, per spec/indicators.md (catalogue version 1).
//
// The computation is driven by the catalogue. Each catalogue indicator names its cohort; grid.cc
// holds, per indicator, one small condition on members of that cohort, and per breakdown one
// group function (a member -> one of the breakdown's groups, in the catalogue's order). The
// grid is filled by walking the catalogue's cells; no cell is written by hand. The rules, as
// implemented (S = 01/04/(Y-1), R = 31/03/Y; "episode" means a non-short-break episode, LS not
// V3/V4, everywhere: short breaks are dropped before any cohort):
//
// Cohorts
//   CLA       distinct children with an episode open at R (DECOM <= R, DEC blank or > R).
//             Current episode: the open one with the latest DECOM (a tie is an error).
//   Started   distinct children with an episode with RNE = S and S <= DECOM <= R. Age is taken
//             at the earliest such DECOM.
//   Ceased    distinct children with an episode with REC given, REC != X1, S <= DEC <= R.
//             Ceasing reason: REC of the such episode with the latest DEC; ties go to the
//             later DECOM, then to the later line of the file.
//   Care leavers  OC3 rows whose age_in_year is 17..25, where age_in_year = Y - year(DOB)
//             when DOB's month/day is on or before 31/03, else Y - 1 - year(DOB) (Header DOB;
//             equal to the completed age at R; a 29/02 birth is on or before 31/03).
//   Missing   per kind (MISSING M or A): distinct children with a row of that kind with
//             S <= MIS_START <= R. Age is taken at the earliest such MIS_START. Episodes
//             play no part (a child seen only in Missing counts).
// Indicators (condition on the cohort's members)
//   cla, started, ceased, leavers, missing (kind M), away_no_auth (kind A): every member.
//   placements_3plus  CLA with placements >= 3: the child's episodes that overlap the year
//             (DECOM <= R, DEC blank or >= S) ordered by DECOM, ties by file order; the first
//             counts 1, each later one counts 1 when its RNE is S, P, T, U or B (not L).
//   distance_known    CLA, not in UASC, current HOME_POST and PL_POST both in the postcode
//             table with coordinates.
//   distance_over_20  distance_known and the distance, sqrt(dE^2 + dN^2) / 1609.3 miles
//             rounded to 0.1 halves up, exceeds 20.0; decided exactly in integers as
//             dE^2 + dN^2 >= 1041124764 m^2 (see grid.cc).
//   out_of_area       CLA, not in UASC, current PL_POST in the postcode table with a non-blank
//             utla, and that utla (upper-cased) differs from the node's LA code (upper-cased).
//   leavers_in_touch  IN_TOUCH = YES. leavers_eet: ACTIV starts with F or P (not 0, not
//             blank). leavers_suitable_accom: ACCOM ends with 1 (not 0, not blank).
// Breakdowns (each a partition of the indicator's members)
//   total; sex (Header SEX); age (completed years at R, or at the cohort's age date above;
//   a date of birth after that date counts as under_1); ethnicity (first letter W/M/A/B,
//   CHNE asian, OOTH other, REFU/NOBT not_known); uasc (the child has a UASC row);
//   legal_status and placement (LS / PLACE of the current episode); nationality,
//   immigration_status, nrpf (the child's sensitive.csv row; no row: unknown on all three);
//   leaver_age (17-18, 19-21, 22-25 from age_in_year); ceased_reason (REC of the ceasing
//   episode: E11 E12 adopted; E43 E44 E45-E48 sgo; E4A E4B E13 returned_home; E5 E6 E17
//   independent_living; any other code other).
//
// Status codes: INVALID_ARGUMENT when `year` is not the year `data` was loaded and validated
// for, when a record names a child not in Header, or when two open episodes of a child tie on
// DECOM (LoadLaFolder already rejects those; this guards hand-built data); UNIMPLEMENTED when
// the catalogue lists an indicator or a breakdown this file has no rule for; INTERNAL when the
// catalogue and a rule disagree (an indicator's cohort, a breakdown's groups, or a breakdown
// that is not defined for an indicator's members).
//
// Privacy: the result is the exact, unprotected grid. It may be shown locally (preview
// --exact) but must never leave the node; only node/protect's noisy cells are sent. Error
// messages name line numbers, never CHILD ids. Nothing here depends on sensitive.csv except
// the three sensitive breakdowns (catalogue::Breakdown::sensitive); no cohort or condition
// reads it.
//
// Performance: one pass over each table, arrays indexed by ChildIndex, no per-row allocation
// and no string-keyed lookups; the postcode table was reduced to the data's postcodes when
// loaded. Each member's group in each breakdown, and the postcode facts of each CLA member,
// are computed once, not once per indicator that uses them.
//
// Thread-safe: a pure function of its arguments.
#ifndef RINGFENCE_NODE_GRID_H_
#define RINGFENCE_NODE_GRID_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "node/dates.h"
#include "node/la_data.h"

namespace ringfence::node {

// One exact count per cell of catalogue::GridCells(), in that order; zeros included.
absl::StatusOr<std::vector<int64_t>> ComputeExactGrid(const LaData& data, int year);

// The same for a window of the collection year (CollectionYear::ForWindow): S and R above are
// the window's first and last days, so "in the year" reads "in the period" and "at R" "at the
// period end" (CLA and ages at the period end; started, ceased and missing with their date in
// the window; placements counted over episodes overlapping the window). Care leavers: a leaver
// counts only in a window that holds the child's birthday, with the age reached on it
// (AgeOnBirthdayInWindow); in the annual window that is age_in_year above. The annual window
// gives exactly ComputeExactGrid(data, year). INVALID_ARGUMENT also when window.year is not
// data.year or the window has no dates.
absl::StatusOr<std::vector<int64_t>> ComputeExactGrid(const LaData& data,
                                                      const CollectionYear& window);

// A child of the CLA cohort and its current episode (a pointer into data.episodes).
struct ClaMember {
  ChildIndex child = 0;
  const EpisodeRecord* current = nullptr;
};

// The CLA cohort at R = 31/03/`year`, in ChildIndex order; `current` points into
// data.episodes and is valid while `data` is. Exposed for tests. Same status codes as above,
// except that `year` need not be data.year.
absl::StatusOr<std::vector<ClaMember>> ClaCohort(const LaData& data, int year);

// Spec "The cohorts" [rule]: a care leaver's age in collection year `year`, i.e. the age on
// the birthday that falls in [S, R]: year - year(dob) when dob's month/day is on or before
// 31/03, else year - 1 - year(dob).
int AgeInYear(Date dob, int year);

// Spec "Distance": true when the straight line between two points `d_east`, `d_north` metres
// apart, in miles (metres / 1609.3) rounded to one decimal halves up, is more than 20.0.
// Exact (integer arithmetic).
bool DistanceOver20Miles(int64_t d_east, int64_t d_north);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_GRID_H_
