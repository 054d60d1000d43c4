// The indicator catalogue: the fixed grid of cells every node computes for a collection year,
// described once, declaratively, and read by preview, protection, submission, the
// coordinator's combine and the release format. The authoritative text is
// docs/indicators.md (from the project's spec/indicators.md, version 1).
//
// Privacy: the grid never depends on the data. Every cell is always present (0 where no child
// qualifies), so the shape of what a node sends says nothing about its children. Breakdowns
// that derive from a sensitive attribute (nationality, immigration status, NRPF) are marked
// `sensitive`; nothing here decides who may see them (that is policy/).
//
// Scope: the whole grid of catalogue version 1: 13 indicators, 12 breakdowns, 183 cells in 52
// histograms. Each indicator also says, declaratively, which cohort it counts, its rule in one
// line, its denominator (another indicator, or none) and whether the cell derives from a
// sensitive attribute through its cohort, condition or denominator (none does in version 1:
// every sensitive derivation is a breakdown, marked on Breakdown), so docs and the firewall
// policy can read them rather than re-state them.
//
// Thread-safe: everything is immutable after first use.
#ifndef RINGFENCE_CATALOGUE_CATALOGUE_H_
#define RINGFENCE_CATALOGUE_CATALOGUE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ringfence::catalogue {

inline constexpr unsigned kCatalogueVersion = 1;

// The attributes of children's records that a figure can derive from (the firewall's taint
// analysis reads them; docs/firewall.md):
//   sex, dob, ethnicity, uasc (the UASC table), legal_status, placement, reason_ceased,
//   postcode, care_leaver_outcomes (OC3 IN_TOUCH, ACTIV, ACCOM), missing (the Missing table),
//   nationality, immigration_status, nrpf (the LA's local sensitive.csv).
// Every figure also derives from the child's episodes (who is looked after, when); that is the
// base of every cohort and is not listed.
const std::vector<std::string>& AllAttributes();

// The attributes every policy must treat as sensitive: those of the local sensitive file.
const std::vector<std::string>& MandatorySensitiveAttributes();

struct Breakdown {
  std::string name;                       // e.g. "age"
  std::vector<std::string> groups;        // a partition of the cohort, in publication order
  bool sensitive = false;                 // derives from a mandatory sensitive attribute
  std::vector<std::string> derives_from;  // attributes (AllAttributes()) it splits by
};

// The cohorts of spec "The cohorts". An indicator counts members of one cohort that meet its
// condition.
enum class Cohort {
  kCla,          // children looked after at R (distinct children)
  kStarted,      // children with an RNE = S episode starting in the year
  kCeased,       // children with a non-X1 REC episode ceasing in the year
  kCareLeavers,  // OC3 rows aged 17-25 in the year
  kMissing,      // Missing rows starting in the year (distinct children per kind)
};

// "CLA", "Started", "Ceased", "Care leavers", "Missing" (the spec's names).
absl::string_view CohortName(Cohort cohort);

struct Indicator {
  std::string name;                     // e.g. "cla"
  std::string description;              // one line, for --help and docs
  std::vector<std::string> breakdowns;  // names of Breakdown, in grid order
  Cohort cohort = Cohort::kCla;         // whose members it counts
  std::string rule;                     // one line: cohort and condition, exactly
  std::string denominator;              // the indicator it is a share of, or ""
  // True when the count derives from a mandatory sensitive attribute through its cohort,
  // condition or denominator (not through a breakdown: see Breakdown::sensitive). False for
  // every indicator of version 1.
  bool derives_from_sensitive = false;
  // Attributes (AllAttributes()) its cohort and condition use, beyond the episodes; e.g. the
  // distance indicators leave out UASC children, so they derive from "uasc".
  std::vector<std::string> condition_derives_from;
};

struct CellKey {
  std::string indicator;
  std::string breakdown;
  std::string group;
  bool operator==(const CellKey& o) const {
    return indicator == o.indicator && breakdown == o.breakdown && group == o.group;
  }
  bool operator<(const CellKey& o) const {
    if (indicator != o.indicator) return indicator < o.indicator;
    if (breakdown != o.breakdown) return breakdown < o.breakdown;
    return group < o.group;
  }
};

// Every breakdown of catalogue version 1.
const std::vector<Breakdown>& AllBreakdowns();

// The indicator with this name, or nullptr.
const Indicator* FindIndicator(absl::string_view name);

// The breakdown with this name, or nullptr.
const Breakdown* FindBreakdown(absl::string_view name);

// The indicators of the grid (all 13 of version 1), in catalogue order.
const std::vector<Indicator>& Indicators();

// Every cell of the grid in catalogue order: indicators in order, each crossed with its
// breakdowns in order, each with its groups in order.
const std::vector<CellKey>& GridCells();

// Index of `key` in GridCells(), or -1.
int CellIndex(const CellKey& key);

// Every attribute the cells of `indicator` x `breakdown` derive from, sorted and unique: the
// breakdown's, the indicator's condition's, and (recursively) its denominator's condition's.
std::vector<std::string> CellAttributes(const Indicator& indicator, const Breakdown& breakdown);

// Number of breakdown histograms in the grid (each indicator x breakdown pair). Each is a
// histogram in which one child changes one cell by one (L2 sensitivity 1); the privacy
// accounting splits the budget across them.
int HistogramCount();

// The first collection year and the last one whose code lists this build knows.
inline constexpr int kFirstYear = 2020;
inline constexpr int kLastYear = 2030;

}  // namespace ringfence::catalogue

#endif  // RINGFENCE_CATALOGUE_CATALOGUE_H_
