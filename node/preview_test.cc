#include "node/preview.h"

#include <string>
#include <vector>

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

TEST(FormatExactPreviewTest, WalkingSkeletonGrid) {
  // The catalogue today: cla x {total, sex, age}. If the catalogue grows, this test shows
  // the new preview lines and needs extending with them.
  std::vector<int64_t> grid = {9, 5, 3, 1, 0, 2, 3, 3, 1};
  ASSERT_EQ(grid.size(), catalogue::GridCells().size());
  EXPECT_EQ(FormatExactPreview(grid),
            "indicator,breakdown,group,value\n"
            "cla,total,total,9\n"
            "cla,sex,male,5\n"
            "cla,sex,female,3\n"
            "cla,sex,unknown,1\n"
            "cla,age,under_1,0\n"
            "cla,age,1_to_4,2\n"
            "cla,age,5_to_9,3\n"
            "cla,age,10_to_15,3\n"
            "cla,age,16_plus,1\n");
}

TEST(FormatExactPreviewTest, ZerosAreShown) {
  std::vector<int64_t> grid(catalogue::GridCells().size(), 0);
  const std::string out = FormatExactPreview(grid);
  EXPECT_THAT(out, ::testing::HasSubstr("cla,total,total,0\n"));
  EXPECT_THAT(out, ::testing::HasSubstr("cla,age,16_plus,0\n"));
}

}  // namespace
}  // namespace ringfence::node
