#include "catalogue/catalogue.h"

#include <map>
#include <set>
#include <utility>

namespace ringfence::catalogue {

const std::vector<std::string>& AllAttributes() {
  static const std::vector<std::string>* const kAll =
      new std::vector<std::string>{"sex",           "dob",          "ethnicity",
                                   "uasc",          "legal_status", "placement",
                                   "reason_ceased", "postcode",     "care_leaver_outcomes",
                                   "missing",       "nationality",  "immigration_status",
                                   "nrpf"};
  return *kAll;
}

const std::vector<std::string>& MandatorySensitiveAttributes() {
  static const std::vector<std::string>* const kMandatory =
      new std::vector<std::string>{"nationality", "immigration_status", "nrpf"};
  return *kMandatory;
}

namespace {

// What each breakdown splits by (spec "Breakdowns": the source of each).
std::vector<std::string> BreakdownAttributes(const std::string& name) {
  static const std::map<std::string, std::vector<std::string>>* const kMap =
      new std::map<std::string, std::vector<std::string>>{
          {"total", {}},
          {"sex", {"sex"}},
          {"age", {"dob"}},
          {"ethnicity", {"ethnicity"}},
          {"uasc", {"uasc"}},
          {"legal_status", {"legal_status"}},
          {"placement", {"placement"}},
          {"nationality", {"nationality"}},
          {"immigration_status", {"immigration_status"}},
          {"nrpf", {"nrpf"}},
          {"leaver_age", {"dob"}},
          {"ceased_reason", {"reason_ceased"}},
      };
  return kMap->at(name);
}

}  // namespace

const std::vector<Breakdown>& AllBreakdowns() {
  static const std::vector<Breakdown>* const kBreakdowns = [] {
    auto* breakdowns = new std::vector<Breakdown>{
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
    for (Breakdown& b : *breakdowns) b.derives_from = BreakdownAttributes(b.name);
    return breakdowns;
  }();
  return *kBreakdowns;
}

const Breakdown* FindBreakdown(absl::string_view name) {
  for (const Breakdown& b : AllBreakdowns()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

absl::string_view CohortName(Cohort cohort) {
  switch (cohort) {
    case Cohort::kCla:
      return "CLA";
    case Cohort::kStarted:
      return "Started";
    case Cohort::kCeased:
      return "Ceased";
    case Cohort::kCareLeavers:
      return "Care leavers";
    case Cohort::kMissing:
      return "Missing";
  }
  return "";
}

namespace {

// What each indicator's cohort and condition use beyond the episodes (spec "Indicators").
std::vector<std::string> ConditionAttributes(const std::string& name) {
  static const std::map<std::string, std::vector<std::string>>* const kMap =
      new std::map<std::string, std::vector<std::string>>{
          {"cla", {}},
          {"started", {}},
          {"ceased", {"reason_ceased"}},               // REC given, not X1
          {"placements_3plus", {}},                    // RNE of the episodes
          {"distance_over_20", {"postcode", "uasc"}},  // not UASC; HOME_POST, PL_POST
          {"distance_known", {"postcode", "uasc"}},
          {"out_of_area", {"postcode", "uasc"}},
          {"leavers", {"dob"}},  // aged 17-25
          {"leavers_in_touch", {"care_leaver_outcomes", "dob"}},
          {"leavers_eet", {"care_leaver_outcomes", "dob"}},
          {"leavers_suitable_accom", {"care_leaver_outcomes", "dob"}},
          {"missing", {"missing"}},
          {"away_no_auth", {"missing"}},
      };
  return kMap->at(name);
}

Indicator Make(const char* name, Cohort cohort, const char* description, const char* rule,
               std::vector<std::string> breakdowns, const char* denominator = "") {
  Indicator ind;
  ind.name = name;
  ind.description = description;
  ind.breakdowns = std::move(breakdowns);
  ind.cohort = cohort;
  ind.rule = rule;
  ind.denominator = denominator;
  ind.condition_derives_from = ConditionAttributes(name);
  ind.derives_from_sensitive = false;  // version 1: only breakdowns are sensitive
  return ind;
}

}  // namespace

// Spec "Indicators and their grid", in its order; breakdowns in the spec's order.
const std::vector<Indicator>& Indicators() {
  using C = Cohort;
  static const std::vector<Indicator>* const kIndicators = new std::vector<Indicator>{
      Make("cla", C::kCla, "children looked after at 31 March (distinct children)",
           "distinct children with a non-short-break episode open at R",
           {"total", "sex", "age", "ethnicity", "uasc", "legal_status", "placement", "nationality",
            "immigration_status", "nrpf"}),
      Make("started", C::kStarted, "children who started to be looked after in the year",
           "distinct children with a non-short-break episode with RNE = S "
           "and S <= DECOM <= R",
           {"total", "sex", "age", "uasc", "nationality"}),
      Make("ceased", C::kCeased, "children who ceased to be looked after in the year",
           "distinct children with a non-short-break episode with REC "
           "given, not X1, and "
           "S <= DEC <= R",
           {"total", "ceased_reason", "uasc", "nationality"}),
      Make("placements_3plus", C::kCla,
           "children looked after with 3 or more placements in the year",
           "CLA children with 3+ placements: of their non-short-break "
           "episodes overlapping the "
           "year by DECOM (file order on ties), the first plus each later "
           "one whose RNE is S, P, T, U or B (L is a change of legal status only)",
           {"total", "age", "uasc", "nationality"}, "cla"),
      Make("distance_over_20", C::kCla, "children looked after placed more than 20 miles from home",
           "CLA children not in UASC whose current episode's HOME_POST to "
           "PL_POST distance, "
           "rounded to 0.1 mile halves up, exceeds 20.0",
           {"total", "age", "nationality"}, "distance_known"),
      Make("distance_known", C::kCla, "children looked after whose placement distance is known",
           "CLA children not in UASC whose current episode's HOME_POST and "
           "PL_POST both have "
           "coordinates in the postcode table",
           {"total", "age", "nationality"}),
      Make("out_of_area", C::kCla, "children looked after placed outside their LA",
           "CLA children not in UASC whose current PL_POST has a utla in "
           "the postcode table that "
           "differs from the node's LA code",
           {"total", "placement", "nationality"}),
      Make("leavers", C::kCareLeavers, "care leavers aged 17 to 25 in the year",
           "OC3 rows whose age_in_year (completed age at R from Header "
           "DOB) is 17 to 25",
           {"leaver_age", "uasc", "nationality"}),
      Make("leavers_in_touch", C::kCareLeavers, "care leavers the LA is in touch with",
           "care leavers with IN_TOUCH = YES", {"leaver_age", "uasc", "nationality"}, "leavers"),
      Make("leavers_eet", C::kCareLeavers, "care leavers in education, employment or training",
           "care leavers whose ACTIV starts with F or P", {"leaver_age", "uasc", "nationality"},
           "leavers"),
      Make("leavers_suitable_accom", C::kCareLeavers, "care leavers in suitable accommodation",
           "care leavers whose ACCOM ends with 1", {"leaver_age", "uasc", "nationality"},
           "leavers"),
      Make("missing", C::kMissing, "children who went missing in the year",
           "distinct children with a Missing row with MISSING = M and S <= "
           "MIS_START <= R",
           {"total", "sex", "age", "nationality"}),
      Make("away_no_auth", C::kMissing,
           "children who were away from placement without authorisation in "
           "the year",
           "distinct children with a Missing row with MISSING = A and S <= "
           "MIS_START <= R",
           {"total", "sex", "age", "nationality"}),
  };
  return *kIndicators;
}

const Indicator* FindIndicator(absl::string_view name) {
  for (const Indicator& ind : Indicators()) {
    if (ind.name == name) return &ind;
  }
  return nullptr;
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

std::vector<std::string> CellAttributes(const Indicator& indicator, const Breakdown& breakdown) {
  std::set<std::string> out(breakdown.derives_from.begin(), breakdown.derives_from.end());
  const Indicator* ind = &indicator;
  for (int depth = 0; ind != nullptr && depth < 8; ++depth) {  // denominators are shallow
    out.insert(ind->condition_derives_from.begin(), ind->condition_derives_from.end());
    ind = ind->denominator.empty() ? nullptr : FindIndicator(ind->denominator);
  }
  return std::vector<std::string>(out.begin(), out.end());
}

int HistogramCount() {
  int n = 0;
  for (const Indicator& ind : Indicators()) n += static_cast<int>(ind.breakdowns.size());
  return n;
}

}  // namespace ringfence::catalogue
