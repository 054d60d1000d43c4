// Made-up geography for `ringfence synth`: a centre for every LA of the
// registry on the British National Grid, postcode districts scattered around
// it, and the NSPL-style postcode table
// (`pcd,oseast1m,osnrth1m,utla`) that the node uses for distance and
// out-of-area indicators (docs/indicators.md "Distance").
//
// Everything here is a pure function of the LA registry and of the postcode
// text: it never depends on the run's seed or on which LAs are chosen, so the
// postcode tables written for different LAs (or merged into one folder) always
// agree on a postcode's row.
//
// Layout. Each region has a rough box of England's grid (North East around
// Newcastle, London around E 530000 N 180000, ...); its LAs are spread over a
// jittered grid of cells in that box, so neighbouring LAs are typically 10-40
// km apart (closer in London). Each LA owns kOutwardPerLa outward codes ("AREA"
// + district number), scattered within LaRadius() of its centre; a unit
// postcode lies within ~1.2 km of its district's centre.
//
// Postcode classes (by the text alone, so tests can tell them apart):
//   - ordinary: inward digit 1-9: a full row (coordinates and utla = the owning
//   LA);
//   - special:  inward digit 0: a row with blank coordinates (inward letters
//   from the first
//     half of the alphabet used) or blank utla (second half), the NSPL edge
//     cases;
//   - absent:   areas outside England (Wales, Scotland: CF, LL, EH...): no row
//   at all, as in an
//     England-only extract, so distance and out-of-area are unknown;
//   - unknown outward codes (not owned by any LA) have no row either.
//
// Privacy: all postcodes and coordinates are synthetic; outward codes are real
// area letters assigned arbitrarily, so nothing here locates a real child.
//
// Thread-safe: the tables are built once on first use and immutable after.
#ifndef RINGFENCE_TOOLS_SYNTH_GEOGRAPHY_H_
#define RINGFENCE_TOOLS_SYNTH_GEOGRAPHY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/synth/prng.h"

namespace ringfence::tools::synth {

inline constexpr int kOutwardPerLa = 9;

struct GridRef {
  int64_t east = 0;   // metres
  int64_t north = 0;  // metres
};

// Centre of the LA at `la_index` (index into catalogue::AllLocalAuthorities()).
GridRef LaCentre(size_t la_index);

// How far (metres) the LA's postcode districts lie from its centre at most.
int64_t LaRadius(size_t la_index);

// Straight-line distance in metres (rounded down).
int64_t DistanceMetres(const GridRef& a, const GridRef& b);

// Other LAs whose centres are within 25 km, nearest first (never empty: at
// least the nearest two), and LAs 45-200 km away (never empty), for near and
// far out-of-area placements.
const std::vector<size_t>& NearLas(size_t la_index);
const std::vector<size_t>& FarLas(size_t la_index);

// An ordinary postcode "AB12 3CD" in one of the LA's districts, drawn from
// `rng`.
std::string RandomPostcode(size_t la_index, Rng* rng);
// The same district, but a special postcode (inward digit 0): blank coordinates
// when `blank_coordinates`, else blank utla.
std::string SpecialPostcode(size_t la_index, bool blank_coordinates, Rng* rng);
// A postcode in Wales or Scotland, never in the table.
std::string AbsentPostcode(Rng* rng);

// `raw` upper-cased with ASCII spaces and tabs removed (the node's matching
// rule).
std::string NormalisePostcode(absl::string_view raw);

struct PostcodeRow {
  std::string pcd;  // "AB12 3CD"
  bool has_coordinates = true;
  GridRef at;
  std::string utla;  // LA code, or "" (blank)
};

// The table row for a postcode (any spacing or case), or nullopt when the
// postcode is absent from the table (Wales/Scotland, an outward code no LA
// owns, or not a postcode shape).
std::optional<PostcodeRow> LookupPostcode(absl::string_view raw);

// The CSV line (no line break) for a row: `pcd,oseast1m,osnrth1m,utla`.
std::string PostcodeCsvLine(const PostcodeRow& row);

}  // namespace ringfence::tools::synth

#endif  // RINGFENCE_TOOLS_SYNTH_GEOGRAPHY_H_
