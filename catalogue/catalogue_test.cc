#include "catalogue/catalogue.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::catalogue {
namespace {

TEST(CatalogueTest, EveryIndicatorBreakdownIsDeclared) {
  for (const Indicator& ind : Indicators()) {
    for (const std::string& b : ind.breakdowns) {
      EXPECT_NE(FindBreakdown(b), nullptr) << ind.name << " x " << b;
    }
  }
}

// Counted by hand from spec/indicators.md (groups per breakdown: total 1, sex 3, age 5,
// ethnicity 6, uasc 2, legal_status 5, placement 11, nationality 4, immigration_status 6,
// nrpf 3, leaver_age 3, ceased_reason 5):
//   cla               1+3+5+6+2+5+11+4+6+3 = 46  (10 histograms)
//   started           1+3+5+2+4            = 15  (5)
//   ceased            1+5+2+4              = 12  (4)
//   placements_3plus  1+5+2+4              = 12  (4)
//   distance_over_20  1+5+4                = 10  (3)
//   distance_known    1+5+4                = 10  (3)
//   out_of_area       1+11+4               = 16  (3)
//   leavers, leavers_in_touch, leavers_eet, leavers_suitable_accom: 3+2+4 = 9 each, 36 (12)
//   missing           1+3+5+4              = 13  (4)
//   away_no_auth      1+3+5+4              = 13  (4)
// Total 46+15+12+12+10+10+16+36+13+13 = 183 cells in 10+5+4+4+3+3+3+12+4+4 = 52 histograms.
TEST(CatalogueTest, FullGridOfVersionOne) {
  EXPECT_EQ(kCatalogueVersion, 1u);
  const auto& cells = GridCells();
  ASSERT_EQ(cells.size(), 183u);
  EXPECT_EQ(HistogramCount(), 52);
  EXPECT_EQ(cells.front(), (CellKey{"cla", "total", "total"}));
  EXPECT_EQ(cells[1], (CellKey{"cla", "sex", "male"}));
  EXPECT_EQ(cells[45], (CellKey{"cla", "nrpf", "unknown"}));
  EXPECT_EQ(cells[46], (CellKey{"started", "total", "total"}));
  EXPECT_EQ(cells.back(), (CellKey{"away_no_auth", "nationality", "unknown"}));
  for (size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(CellIndex(cells[i]), static_cast<int>(i));
  EXPECT_EQ(CellIndex(CellKey{"cla", "sex", "other"}), -1);
  EXPECT_EQ(CellIndex(CellKey{"leavers", "total", "total"}), -1);  // leavers have no total

  std::vector<std::string> names;
  for (const Indicator& ind : Indicators()) names.push_back(ind.name);
  EXPECT_THAT(names, ::testing::ElementsAre("cla", "started", "ceased", "placements_3plus",
                                            "distance_over_20", "distance_known", "out_of_area",
                                            "leavers", "leavers_in_touch", "leavers_eet",
                                            "leavers_suitable_accom", "missing", "away_no_auth"));
  EXPECT_THAT(FindIndicator("out_of_area")->breakdowns,
              ::testing::ElementsAre("total", "placement", "nationality"));
  EXPECT_THAT(FindIndicator("leavers_eet")->breakdowns,
              ::testing::ElementsAre("leaver_age", "uasc", "nationality"));
  EXPECT_THAT(FindIndicator("ceased")->breakdowns,
              ::testing::ElementsAre("total", "ceased_reason", "uasc", "nationality"));
  EXPECT_EQ(FindIndicator("nope"), nullptr);
}

TEST(CatalogueTest, IndicatorsDeclareCohortRuleAndDenominator) {
  for (const Indicator& ind : Indicators()) {
    EXPECT_FALSE(ind.rule.empty()) << ind.name;
    EXPECT_FALSE(ind.description.empty()) << ind.name;
    EXPECT_FALSE(ind.derives_from_sensitive) << ind.name;
    if (!ind.denominator.empty()) {
      const Indicator* d = FindIndicator(ind.denominator);
      ASSERT_NE(d, nullptr) << ind.name;
      EXPECT_EQ(d->cohort, ind.cohort) << ind.name;
    }
  }
  EXPECT_EQ(FindIndicator("cla")->cohort, Cohort::kCla);
  EXPECT_EQ(FindIndicator("started")->cohort, Cohort::kStarted);
  EXPECT_EQ(FindIndicator("ceased")->cohort, Cohort::kCeased);
  EXPECT_EQ(FindIndicator("out_of_area")->cohort, Cohort::kCla);
  EXPECT_EQ(FindIndicator("leavers_in_touch")->cohort, Cohort::kCareLeavers);
  EXPECT_EQ(FindIndicator("away_no_auth")->cohort, Cohort::kMissing);
  EXPECT_EQ(FindIndicator("distance_over_20")->denominator, "distance_known");
  EXPECT_EQ(FindIndicator("leavers_suitable_accom")->denominator, "leavers");
  EXPECT_EQ(CohortName(Cohort::kCareLeavers), "Care leavers");
}

TEST(CatalogueTest, OnlyNationalityImmigrationAndNrpfAreSensitive) {
  std::set<std::string> sensitive;
  for (const Breakdown& b : AllBreakdowns()) {
    if (b.sensitive) sensitive.insert(b.name);
    std::set<std::string> groups(b.groups.begin(), b.groups.end());
    EXPECT_EQ(groups.size(), b.groups.size()) << b.name << " repeats a group";
  }
  EXPECT_THAT(sensitive,
              ::testing::UnorderedElementsAre("nationality", "immigration_status", "nrpf"));
}

TEST(CatalogueTest, AttributesAreDeclaredForEveryBreakdownAndIndicator) {
  const std::set<std::string> all(AllAttributes().begin(), AllAttributes().end());
  for (const Breakdown& b : AllBreakdowns()) {
    for (const std::string& a : b.derives_from) EXPECT_EQ(all.count(a), 1u) << b.name << ": " << a;
    // `sensitive` is exactly "derives from a mandatory sensitive attribute".
    bool mandatory = false;
    for (const std::string& a : MandatorySensitiveAttributes()) {
      for (const std::string& d : b.derives_from) mandatory |= (a == d);
    }
    EXPECT_EQ(b.sensitive, mandatory) << b.name;
  }
  for (const Indicator& ind : Indicators()) {
    for (const std::string& a : ind.condition_derives_from) {
      EXPECT_EQ(all.count(a), 1u) << ind.name << ": " << a;
    }
  }
  EXPECT_THAT(FindBreakdown("nationality")->derives_from, ::testing::ElementsAre("nationality"));
  EXPECT_THAT(FindBreakdown("total")->derives_from, ::testing::IsEmpty());
}

TEST(CatalogueTest, CellAttributesFollowFiltersAndDenominators) {
  // The distance indicators leave out UASC children: a filter on "uasc".
  EXPECT_THAT(CellAttributes(*FindIndicator("distance_known"), *FindBreakdown("total")),
              ::testing::ElementsAre("postcode", "uasc"));
  // distance_over_20 is a share of distance_known, whose condition it inherits.
  EXPECT_THAT(CellAttributes(*FindIndicator("distance_over_20"), *FindBreakdown("age")),
              ::testing::ElementsAre("dob", "postcode", "uasc"));
  // leavers_eet's denominator is leavers (aged 17-25: dob).
  EXPECT_THAT(CellAttributes(*FindIndicator("leavers_eet"), *FindBreakdown("nationality")),
              ::testing::ElementsAre("care_leaver_outcomes", "dob", "nationality"));
  EXPECT_THAT(CellAttributes(*FindIndicator("cla"), *FindBreakdown("total")), ::testing::IsEmpty());
}

}  // namespace
}  // namespace ringfence::catalogue
