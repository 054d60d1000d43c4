// The exact grid: one count per cell of catalogue::GridCells(), computed from one LA's
// validated data, per spec/indicators.md (catalogue version 1).
//
// The computation is driven by the catalogue: for each indicator it builds the indicator's
// cohort (a list of children, each with the date its age is taken at and, for CLA, its current
// episode), and for each of the indicator's breakdowns it classifies every member into one of
// the breakdown's groups. Adding an indicator or breakdown is adding a cohort rule or a
// classifier in grid.cc; the order and shape of the result always come from the catalogue.
//
// Implemented today (the walking skeleton): cohort `cla`; breakdowns `total`, `sex`, `age`.
//   CLA: distinct children with a non-short-break episode (LS not V3/V4) open at R = 31/03/Y
//   (DECOM <= R and DEC blank or after R). Current episode: the open one with the latest DECOM.
//   sex: Header SEX (1/M male, 2/F female, U unknown). age: completed years at R from Header
//   DOB: under_1 (< 1, including a DOB after R), 1_to_4, 5_to_9, 10_to_15, 16_plus.
//
// Status codes: INVALID_ARGUMENT when `year` is not the year `data` was loaded and validated
// for, or when two open episodes of a child tie on DECOM (LoadLaFolder already rejects that;
// this guards hand-built data); UNIMPLEMENTED when the catalogue lists an indicator or a
// breakdown this file has no rule for; INTERNAL when the catalogue lacks a group a rule needs.
//
// Privacy: the result is the exact, unprotected grid. It may be shown locally (preview
// --exact) but must never leave the node; only node/protect's noisy cells are sent. Error
// messages name episode line numbers, never CHILD ids.
//
// Thread-safe: a pure function of its arguments.
#ifndef RINGFENCE_NODE_GRID_H_
#define RINGFENCE_NODE_GRID_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "node/la_data.h"

namespace ringfence::node {

// One exact count per cell of catalogue::GridCells(), in that order; zeros included.
absl::StatusOr<std::vector<int64_t>> ComputeExactGrid(const LaData& data, int year);

// A child of the CLA cohort and its current episode (a pointer into data.episodes).
struct ClaMember {
  ChildIndex child = 0;
  const EpisodeRecord* current = nullptr;
};

// The CLA cohort at R = 31/03/`year`, in ChildIndex order; `current` points into
// data.episodes and is valid while `data` is. Exposed for the rules that build on it
// (legal_status, placement, distance) and for tests. Same status codes as above, except that
// `year` need not be data.year.
absl::StatusOr<std::vector<ClaMember>> ClaCohort(const LaData& data, int year);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_GRID_H_
