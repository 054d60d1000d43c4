// Synthetic SSDA903 exports for `ringfence synth`: realistic, deterministic, and entirely made
// up, so the repository, tests and demos never need real children's data.
//
// For each chosen local authority (LA) the generator simulates one collection year `Y` (the
// year ending 31/03/Y): children looked after at 31 March with their chains of episodes since
// they entered care, children who started and/or ceased during the year, returners with an
// earlier period of care, short-break-only children (V3/V4), care leavers (OC3), missing and
// away-without-authorisation episodes, former and current unaccompanied asylum-seeking children
// (UASC) and the LA's local `sensitive.csv`. Volumes and mixes follow DfE's published national
// figures (see synth.cc); codes are valid for the year (SEX 1/2 up to 2024 and M/F/U from 2025;
// PLACE K3 from 2025, Z11-Z14 instead of H5/P2/Z1 from 2026) and every file passes the node's
// strict validation (docs/indicators.md "Validation"). Deliberate edge cases: episodes ending on
// 31 March, DECOM on 01 April, births on 29 February, X1 chains, short breaks, dates after
// 31 March, masked UASC DUC (ZZ/ZZ/ZZZZ), sensitive rows left out.
//
// Determinism: the same (LA, year, seed, scale) gives byte-identical files on every platform.
// Each LA has its own random stream derived from (seed, LA code, year), so an LA's files do not
// depend on which other LAs were chosen. No <random> distribution and no libm call is used.
//
// Privacy: the output is synthetic. CHILD ids ("C" + the LA's three-digit DfE code + six
// digits) are made up, unique within the run, and cannot occur by chance in any other field;
// postcodes are built from a made-up outward-code list per LA. The manifest holds only LA
// reference data and a count per LA, no child-level data.
//
// Structure for later work: generation first builds `LaDataset` (every table as rows of
// strings, with the schema's columns), and only then renders CSV. A fault injector for
// `--inject-errors` can take a valid LaDataset and alter rows before rendering.
//
// Thread-compatible: the functions share no mutable state; separate calls may run in parallel.
#ifndef RINGFENCE_TOOLS_SYNTH_SYNTH_H_
#define RINGFENCE_TOOLS_SYNTH_SYNTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "catalogue/la_registry.h"

namespace ringfence::tools::synth {

inline constexpr int kFirstSynthYear = 2020;
inline constexpr int kLastSynthYear = 2030;
// CHILD ids have six random digits per LA, so volumes are capped well below a million children.
inline constexpr double kMaxScale = 20.0;

struct SynthOptions {
  // Either explicit LA codes (ONS "E0..." codes; order is kept in the manifest) or, when empty,
  // `la_count` LAs chosen from the seed.
  std::vector<std::string> la_codes;
  int la_count = 0;
  int year = 0;        // collection year Y, kFirstSynthYear..kLastSynthYear
  uint64_t seed = 0;
  double scale = 1.0;  // volume multiplier, (0, kMaxScale]
  std::string out_dir; // GenerateSynthetic only
};

// One table of one LA's export, before rendering: `columns` is exactly the column set of
// node/ssda903_schema.h (in DfE's order) and every row has columns.size() fields.
struct SynthTable {
  std::string file_name;  // e.g. "episodes.csv"
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// What the generator put in an LA's files, counted from its own model (tests recount from the
// files). Cohorts as defined in docs/indicators.md.
struct SynthSummary {
  int children = 0;      // rows of header.csv
  int cla = 0;           // looked after at 31 March (non-short-break episode open at R)
  int started = 0;       // an RNE = S episode starting in the year (excluding short breaks)
  int ceased = 0;        // a non-X1 REC with DEC in the year (excluding short breaks)
  int uasc = 0;          // rows of uasc.csv
  int short_break_only = 0;
  int care_leavers = 0;  // rows of oc3.csv
  int episodes = 0;      // rows of episodes.csv
};

struct LaDataset {
  std::string la_code;  // ONS code, also the folder name
  int year = 0;
  // header.csv, episodes.csv, uasc.csv, oc3.csv, missing.csv, sensitive.csv, in this order.
  std::vector<SynthTable> tables;
  SynthSummary summary;
};

// A rendered file: base name and its bytes.
struct SynthFile {
  std::string name;
  std::string contents;
};

// The LAs for `options`: the explicit codes (INVALID_ARGUMENT for an unknown or repeated code),
// or `la_count` LAs (INVALID_ARGUMENT unless 1..153) chosen from `seed` round-robin over the
// regions in a seed-shuffled order, so N >= 2 spans at least two regions and N >= 9 every
// region; returned in registry order. INVALID_ARGUMENT when both or neither are given.
absl::StatusOr<std::vector<const catalogue::LocalAuthority*>> ChooseLocalAuthorities(
    const SynthOptions& options);

// Generates one LA's dataset in memory. INVALID_ARGUMENT for a year outside
// kFirstSynthYear..kLastSynthYear or a scale outside (0, kMaxScale].
absl::StatusOr<LaDataset> GenerateLaDataset(const catalogue::LocalAuthority& la, int year,
                                            uint64_t seed, double scale);

// RFC 4180 CSV with LF line ends: the column row, then one line per row (fields quoted only when
// they hold a comma, quote or line break).
std::string RenderTable(const SynthTable& table);

// GenerateLaDataset + RenderTable for every table: the files of DIR/<LA code>/, no disk needed.
absl::StatusOr<std::vector<SynthFile>> GenerateLaFiles(const catalogue::LocalAuthority& la,
                                                       int year, uint64_t seed, double scale);

// manifest.csv: `la_code,la_name,region_code,region_name,children`, one row per LA in the
// given order (`children` = header.csv rows). Lengths must match.
std::string RenderManifest(const std::vector<const catalogue::LocalAuthority*>& las,
                           const std::vector<SynthSummary>& summaries);

// Validates `options`, generates every chosen LA and writes DIR/<LA code>/*.csv and
// DIR/manifest.csv (each file atomically; DIR and the LA folders are created as needed and
// existing files of the same names are replaced). INVALID_ARGUMENT for bad options (including an
// empty out_dir); INTERNAL / PERMISSION_DENIED naming the path when a folder or file cannot be
// written. `summaries`, if not null, receives one summary per LA in manifest order.
absl::Status GenerateSynthetic(const SynthOptions& options,
                               std::vector<SynthSummary>* summaries = nullptr);

}  // namespace ringfence::tools::synth

#endif  // RINGFENCE_TOOLS_SYNTH_SYNTH_H_
