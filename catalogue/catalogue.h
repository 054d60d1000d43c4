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
// Scope today: the walking skeleton computes the `cla` indicator with breakdowns total, sex
// and age. All breakdowns of catalogue version 1 are declared so the rest of the grid can be
// switched on indicator by indicator.
//
// Thread-safe: everything is immutable after first use.
#ifndef RINGFENCE_CATALOGUE_CATALOGUE_H_
#define RINGFENCE_CATALOGUE_CATALOGUE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ringfence::catalogue {

inline constexpr unsigned kCatalogueVersion = 1;

struct Breakdown {
  std::string name;                 // e.g. "age"
  std::vector<std::string> groups;  // a partition of the cohort, in publication order
  bool sensitive = false;           // derives from a sensitive attribute
};

struct Indicator {
  std::string name;                     // e.g. "cla"
  std::string description;              // one line, for --help and docs
  std::vector<std::string> breakdowns;  // names of Breakdown, in grid order
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

// The breakdown with this name, or nullptr.
const Breakdown* FindBreakdown(absl::string_view name);

// The indicators the current build computes, in catalogue order.
const std::vector<Indicator>& Indicators();

// Every cell of the grid in catalogue order: indicators in order, each crossed with its
// breakdowns in order, each with its groups in order.
const std::vector<CellKey>& GridCells();

// Index of `key` in GridCells(), or -1.
int CellIndex(const CellKey& key);

// Number of breakdown histograms in the grid (each indicator x breakdown pair). Each is a
// histogram in which one child changes one cell by one (L2 sensitivity 1); the privacy
// accounting splits the budget across them.
int HistogramCount();

// The first collection year and the last one whose code lists this build knows.
inline constexpr int kFirstYear = 2020;
inline constexpr int kLastYear = 2030;

}  // namespace ringfence::catalogue

#endif  // RINGFENCE_CATALOGUE_CATALOGUE_H_
