#include "node/preview.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "catalogue/catalogue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

TEST(FormatExactPreviewTest, OneLinePerCellInCatalogueOrder) {
  const auto& cells = catalogue::GridCells();
  std::vector<int64_t> grid(cells.size());
  for (size_t i = 0; i < grid.size(); ++i) grid[i] = static_cast<int64_t>(i * 10);
  const std::string out = FormatExactPreview(grid);

  std::vector<std::string> lines = absl::StrSplit(out, '\n');
  ASSERT_EQ(lines.size(), cells.size() + 2);  // header, cells, "" after the final '\n'
  EXPECT_EQ(lines.front(), "indicator,breakdown,group,value");
  EXPECT_EQ(lines.back(), "");
  for (size_t i = 0; i < cells.size(); ++i) {
    EXPECT_EQ(lines[i + 1], cells[i].indicator + "," + cells[i].breakdown + "," + cells[i].group +
                                "," + std::to_string(i * 10));
  }
}

TEST(FormatExactPreviewTest, FirstAndLastLinesOfTheFullGrid) {
  // Catalogue version 1: 183 cells, from cla/total/total to away_no_auth/nationality/unknown.
  std::vector<int64_t> grid(catalogue::GridCells().size(), 0);
  ASSERT_EQ(grid.size(), 183u);
  grid.front() = 9;
  grid[1] = 5;
  grid.back() = 7;
  const std::string out = FormatExactPreview(grid);
  EXPECT_TRUE(absl::StartsWith(out,
                               "indicator,breakdown,group,value\n"
                               "cla,total,total,9\n"
                               "cla,sex,male,5\n"
                               "cla,sex,female,0\n"))
      << out;
  EXPECT_TRUE(absl::EndsWith(out,
                             "away_no_auth,nationality,other,0\n"
                             "away_no_auth,nationality,unknown,7\n"))
      << out;
  EXPECT_THAT(out, ::testing::HasSubstr("\nleavers,leaver_age,17_to_18,0\n"));
}

TEST(FormatExactPreviewTest, ZerosAreShown) {
  std::vector<int64_t> grid(catalogue::GridCells().size(), 0);
  const std::string out = FormatExactPreview(grid);
  EXPECT_THAT(out, ::testing::HasSubstr("cla,total,total,0\n"));
  EXPECT_THAT(out, ::testing::HasSubstr("cla,age,16_plus,0\n"));
}

}  // namespace
}  // namespace ringfence::node
