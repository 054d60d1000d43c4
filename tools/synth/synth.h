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
// strict validation (docs/indicators.md "Validation"). Each LA folder also gets the other 903
// tables (Reviews, OC2, AD1, PlacedAdoption, PrevPerm, SWEpisodes) and an NSPL-style
// postcodes.csv covering its postcodes on a made-up geography (tools/synth/geography.h):
// ~40% of placements out of area, ~15-20% more than 20 miles from home. Deliberate edge cases: episodes ending on
// 31 March, DECOM on 01 April, births on 29 February, X1 chains, short breaks, dates after
// 31 March, masked UASC DUC (ZZ/ZZ/ZZZZ), sensitive rows left out, blank postcodes, postcodes
// in lower case or odd spacing, placement postcodes absent from the table or whose row has
// blank coordinates or a blank utla.
//
// Determinism: the same (LA, year, seed, scale) gives byte-identical files on every platform.
// Each LA has its own random stream derived from (seed, LA code, year), so an LA's files do not
// depend on which other LAs were chosen. No <random> distribution and no libm call is used.
//
// Privacy: the output is synthetic. CHILD ids ("C" + the LA's three-digit DfE code + six
// digits) are made up, unique within the run, and cannot occur by chance in any other field;
// postcodes and coordinates come from a made-up geography. The manifest holds only LA
// reference data and a count per LA, no child-level data.
//
// Structure: generation first builds `LaDataset` (every table as rows of strings, with the
// schema's columns), and only then renders CSV; the fault injector (`--inject-errors`) alters
// a valid LaDataset before rendering.
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
// CHILD ids have six random digits per LA, so volumes are capped well below a million children
// per LA (the largest LA has about 6,000 children at scale 1, so ~120,000 at the cap).
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
  // Write every chosen LA's rows into one set of files directly in out_dir (one header.csv,
  // one episodes.csv, ..., one merged postcodes.csv) instead of one folder per LA; the
  // manifest is then out_dir/manifest.txt, so the folder holds no CSV but the tables.
  bool single_folder = false;
  // Also alter each LA's files (or, with single_folder, the first LA's rows) with known faults
  // and write expected_errors.txt beside them (see InjectErrors).
  bool inject_errors = false;
};

// One table of one LA's export, before rendering: `columns` is exactly the column set of
// node/ssda903_schema.h (in DfE's order) and every row has columns.size() fields.
struct SynthTable {
  std::string file_name;  // e.g. "episodes.csv"
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  // Index of the column named `name`, or -1.
  int Col(absl::string_view name) const;
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
  int postcodes = 0;     // rows of postcodes.csv
};

struct LaDataset {
  std::string la_code;  // ONS code, also the folder name
  int year = 0;
  // header.csv, episodes.csv, uasc.csv, oc3.csv, missing.csv, sensitive.csv, reviews.csv,
  // oc2.csv, ad1.csv, placed_adoption.csv, prev_perm.csv, sw_episodes.csv and postcodes.csv,
  // in this order.
  std::vector<SynthTable> tables;
  SynthSummary summary;
};

// A rendered file: base name and its bytes.
struct SynthFile {
  std::string name;
  std::string contents;
};

// Faults added by InjectErrors: extra CSV files to write beside the dataset's tables, and the
// `file:line: FIELD:` prefix of every error the node's loader must report (one per fault).
struct InjectedFaults {
  std::vector<SynthFile> extra_files;
  std::vector<std::string> expected;  // sorted by file name, then line
};

// Alters a valid dataset with faults that docs/indicators.md "Validation" makes errors, each
// on a different child so that no fault hides or causes another: an impossible date (31/04)
// and a code unknown for the year (SEX) in Header, a duplicated Header row; in Episodes a
// malformed date, a PLACE unknown for the year, DEC before DECOM, REC without DEC and DEC
// without REC, a ragged line, a CHILD missing from Header and two episodes open at 31 March
// with the same DECOM; a bad DUC in UASC; a NATIONALITY that is not ISO alpha-3 and a repeated
// CHILD in sensitive.csv; a repeated CHILD in OC3; a CHILD missing from Header in Missing; and
// extra files: a CSV that matches no table, a second file holding OC3 and an SWEpisodes file
// missing a column. Faults needing rows the dataset lacks (a tiny LA) are left out. Rows are
// changed in place or appended, and line numbers are computed after every change.
// Deterministic for (dataset, seed).
InjectedFaults InjectErrors(LaDataset* dataset, uint64_t seed);

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
// existing files of the same names are replaced). With single_folder, writes DIR/*.csv holding
// every LA's rows (CHILD ids are unique across LAs; postcodes.csv is the union of the LAs'
// tables) and DIR/manifest.txt. With inject_errors, also DIR/<LA>/expected_errors.txt (or
// DIR/expected_errors.txt) and the faulty extra files. INVALID_ARGUMENT for bad options (including an
// empty out_dir); INTERNAL / PERMISSION_DENIED naming the path when a folder or file cannot be
// written. `summaries`, if not null, receives one summary per LA in manifest order.
absl::Status GenerateSynthetic(const SynthOptions& options,
                               std::vector<SynthSummary>* summaries = nullptr);

}  // namespace ringfence::tools::synth

#endif  // RINGFENCE_TOOLS_SYNTH_SYNTH_H_
