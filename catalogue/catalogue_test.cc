#include "catalogue/catalogue.h"

#include <set>

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

TEST(CatalogueTest, SkeletonGridIsClaByTotalSexAge) {
  const auto& cells = GridCells();
  ASSERT_EQ(cells.size(), 1u + 3u + 5u);
  EXPECT_EQ(cells.front(), (CellKey{"cla", "total", "total"}));
  EXPECT_EQ(cells[1], (CellKey{"cla", "sex", "male"}));
  EXPECT_EQ(cells.back(), (CellKey{"cla", "age", "16_plus"}));
  EXPECT_EQ(HistogramCount(), 3);
  for (size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(CellIndex(cells[i]), static_cast<int>(i));
  EXPECT_EQ(CellIndex(CellKey{"cla", "sex", "other"}), -1);
}

TEST(CatalogueTest, OnlyNationalityImmigrationAndNrpfAreSensitive) {
  std::set<std::string> sensitive;
  for (const Breakdown& b : AllBreakdowns()) {
    if (b.sensitive) sensitive.insert(b.name);
    std::set<std::string> groups(b.groups.begin(), b.groups.end());
    EXPECT_EQ(groups.size(), b.groups.size()) << b.name << " repeats a group";
  }
  EXPECT_THAT(sensitive, ::testing::UnorderedElementsAre("nationality", "immigration_status",
                                                         "nrpf"));
}

}  // namespace
}  // namespace ringfence::catalogue
