#include "catalogue/catalogue.h"

#include <map>

namespace ringfence::catalogue {

const std::vector<Breakdown>& AllBreakdowns() {
  static const std::vector<Breakdown>* const kBreakdowns = new std::vector<Breakdown>{
      {"total", {"total"}, false},
      {"sex", {"male", "female", "unknown"}, false},
      {"age", {"under_1", "1_to_4", "5_to_9", "10_to_15", "16_plus"}, false},
      {"ethnicity", {"white", "mixed", "asian", "black", "other", "not_known"}, false},
      {"uasc", {"uasc", "not_uasc"}, false},
      {"legal_status",
       {"care_order", "placement_order", "voluntary", "youth_justice", "emergency"},
       false},
      {"placement",
       {"foster_kinship", "foster_other", "adoption", "with_parents", "childrens_home", "secure",
        "supported_or_independent", "residential_other", "custody", "temporary", "other"},
       false},
      {"nationality", {"british", "eu_eea_swiss", "other", "unknown"}, true},
      {"immigration_status",
       {"british_or_settled", "limited_leave", "asylum_seeker", "refugee_or_protection",
        "no_status", "unknown"},
       true},
      {"nrpf", {"nrpf", "not_nrpf", "unknown"}, true},
      {"leaver_age", {"17_to_18", "19_to_21", "22_to_25"}, false},
      {"ceased_reason",
       {"adopted", "sgo", "returned_home", "independent_living", "other"},
       false},
  };
  return *kBreakdowns;
}

const Breakdown* FindBreakdown(absl::string_view name) {
  for (const Breakdown& b : AllBreakdowns()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const std::vector<Indicator>& Indicators() {
  static const std::vector<Indicator>* const kIndicators = new std::vector<Indicator>{
      {"cla", "children looked after at 31 March (distinct children)", {"total", "sex", "age"}},
  };
  return *kIndicators;
}

const std::vector<CellKey>& GridCells() {
  static const std::vector<CellKey>* const kCells = [] {
    auto* cells = new std::vector<CellKey>;
    for (const Indicator& ind : Indicators()) {
      for (const std::string& b : ind.breakdowns) {
        for (const std::string& g : FindBreakdown(b)->groups) {
          cells->push_back(CellKey{ind.name, b, g});
        }
      }
    }
    return cells;
  }();
  return *kCells;
}

int CellIndex(const CellKey& key) {
  static const std::map<CellKey, int>* const kIndex = [] {
    auto* index = new std::map<CellKey, int>;
    const auto& cells = GridCells();
    for (size_t i = 0; i < cells.size(); ++i) (*index)[cells[i]] = static_cast<int>(i);
    return index;
  }();
  auto it = kIndex->find(key);
  return it == kIndex->end() ? -1 : it->second;
}

int HistogramCount() {
  int n = 0;
  for (const Indicator& ind : Indicators()) n += static_cast<int>(ind.breakdowns.size());
  return n;
}

}  // namespace ringfence::catalogue
