#include "node/grid.h"

#include <memory>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/loader.h"
#include "node/testing/la_folder.h"

namespace ringfence::node {
namespace {

using ::ringfence::node::testing::Episode;
using ::ringfence::node::testing::EpisodeRow;
using ::ringfence::node::testing::EpisodesCsv;
using ::ringfence::node::testing::HeaderCsv;
using ::ringfence::node::testing::HeaderRow;
using ::ringfence::node::testing::TempFolder;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

class GridTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempFolder> dir = TempFolder::Create();
    ASSERT_THAT(dir, IsOk());
    dir_ = std::make_unique<TempFolder>(*std::move(dir));
  }

  void WriteFolder(const std::vector<HeaderRow>& header, const std::vector<EpisodeRow>& eps) {
    ASSERT_THAT(dir_->Write("header.csv", HeaderCsv(header)), IsOk());
    ASSERT_THAT(dir_->Write("episodes.csv", EpisodesCsv(eps)), IsOk());
  }

  absl::StatusOr<LaData> Load(int year) {
    LoadOptions opts;
    opts.dir = dir_->path();
    opts.la_code = "E09000033";
    opts.year = year;
    return LoadLaFolder(opts);
  }

  // Loads the folder and computes the grid, failing the test on any error.
  std::vector<int64_t> Grid(int year = 2025) {
    absl::StatusOr<LaData> data = Load(year);
    EXPECT_THAT(data, IsOk());
    if (!data.ok()) return {};
    absl::StatusOr<std::vector<int64_t>> grid = ComputeExactGrid(*data, year);
    EXPECT_THAT(grid, IsOk());
    if (!grid.ok()) return {};
    return *grid;
  }

  static int64_t Cell(const std::vector<int64_t>& grid, const std::string& breakdown,
                      const std::string& group) {
    const int i = catalogue::CellIndex({"cla", breakdown, group});
    EXPECT_GE(i, 0) << breakdown << "/" << group;
    if (i < 0 || static_cast<size_t>(i) >= grid.size()) return -1;
    return grid[i];
  }
  static int64_t Total(const std::vector<int64_t>& grid) { return Cell(grid, "total", "total"); }

  std::unique_ptr<TempFolder> dir_;
};

TEST_F(GridTest, OneValuePerCatalogueCellZerosIncluded) {
  WriteFolder({{"A"}}, {});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(grid.size(), catalogue::GridCells().size());
  EXPECT_THAT(grid, ::testing::Each(0));
}

TEST_F(GridTest, EpisodeEndingOnThirtyFirstMarchIsNotOpenAtR) {
  WriteFolder({{"A"}}, {Episode("A", "01/01/2025", "31/03/2025", "E11")});
  EXPECT_EQ(Total(Grid()), 0);
}

TEST_F(GridTest, EpisodeEndingAfterRIsOpen) {
  WriteFolder({{"A"}, {"B"}}, {Episode("A", "01/01/2025", "01/04/2025", "E11"),
                               Episode("B", "01/01/2025", "15/09/2026", "E13")});
  EXPECT_EQ(Total(Grid()), 2);
}

TEST_F(GridTest, EpisodeStartingOnRIsOpenAndAfterRIsNot) {
  WriteFolder({{"A"}, {"B"}}, {Episode("A", "31/03/2025"), Episode("B", "01/04/2025")});
  EXPECT_EQ(Total(Grid()), 1);
}

TEST_F(GridTest, EpisodeThatEndedBeforeRIsNotCounted) {
  WriteFolder({{"A"}}, {Episode("A", "01/05/2024", "01/06/2024", "E11")});
  EXPECT_EQ(Total(Grid()), 0);
}

TEST_F(GridTest, ShortBreaksAreIgnored) {
  EpisodeRow v3 = Episode("A", "01/03/2025");
  v3.ls = "V3";
  EpisodeRow v4 = Episode("B", "01/03/2025");
  v4.ls = "V4";
  EpisodeRow v2 = Episode("C", "01/03/2025");
  v2.ls = "V2";  // a voluntary (s20) episode is not a short break
  WriteFolder({{"A"}, {"B"}, {"C"}}, {v3, v4, v2});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(Total(grid), 1);
}

TEST_F(GridTest, ChildWithShortBreakAndRealEpisodeCountsOnce) {
  EpisodeRow v3 = Episode("A", "01/03/2025");
  v3.ls = "V3";
  WriteFolder({{"A"}}, {v3, Episode("A", "01/03/2025")});  // same DECOM, but V3 is ignored
  EXPECT_EQ(Total(Grid()), 1);
}

TEST_F(GridTest, ChildInHeaderWithoutEpisodeIsNotCounted) {
  WriteFolder({{"A"}, {"B"}, {"C"}}, {Episode("B", "01/01/2020")});
  EXPECT_EQ(Total(Grid()), 1);
}

TEST_F(GridTest, DistinctChildren) {
  // Two open episodes (a parallel record) and a closed one: still one child.
  WriteFolder({{"A"}}, {Episode("A", "01/01/2020", "01/01/2021", "X1"), Episode("A", "01/01/2021"),
                        Episode("A", "01/02/2025")});
  EXPECT_EQ(Total(Grid()), 1);
  EXPECT_EQ(Cell(Grid(), "sex", "male"), 1);
}

TEST_F(GridTest, LatestOpenEpisodeIsCurrent) {
  EpisodeRow older = Episode("A", "01/01/2021");
  older.place = "U1";
  EpisodeRow later = Episode("A", "01/02/2025");
  later.place = "K2";
  EpisodeRow after_r = Episode("A", "02/04/2025");  // not open at R
  after_r.place = "R1";
  WriteFolder({{"A"}}, {later, older, after_r});
  absl::StatusOr<LaData> data = Load(2025);
  ASSERT_THAT(data, IsOk());
  absl::StatusOr<std::vector<ClaMember>> cla = ClaCohort(*data, 2025);
  ASSERT_THAT(cla, IsOk());
  ASSERT_EQ(cla->size(), 1u);
  EXPECT_EQ((*cla)[0].child, 0);
  ASSERT_NE((*cla)[0].current, nullptr);
  EXPECT_EQ((*cla)[0].current->place, Placement::kK2);
  EXPECT_EQ((*cla)[0].current->line, 2);
}

TEST_F(GridTest, SexCodes2024) {
  WriteFolder({{"A", "1"}, {"B", "2"}, {"C", "2"}},
              {Episode("A", "01/01/2024"), Episode("B", "01/01/2024"), Episode("C", "01/01/2024")});
  std::vector<int64_t> grid = Grid(2024);
  EXPECT_EQ(Cell(grid, "sex", "male"), 1);
  EXPECT_EQ(Cell(grid, "sex", "female"), 2);
  EXPECT_EQ(Cell(grid, "sex", "unknown"), 0);
}

TEST_F(GridTest, SexCodes2025) {
  WriteFolder({{"A", "M"}, {"B", "F"}, {"C", "U"}, {"D", "u"}},
              {Episode("A", "01/01/2024"), Episode("B", "01/01/2024"), Episode("C", "01/01/2024"),
               Episode("D", "01/01/2024")});
  std::vector<int64_t> grid = Grid(2025);
  EXPECT_EQ(Cell(grid, "sex", "male"), 1);
  EXPECT_EQ(Cell(grid, "sex", "female"), 1);
  EXPECT_EQ(Cell(grid, "sex", "unknown"), 2);
}

TEST_F(GridTest, SexCodesOneAndTwoAreRejectedIn2025) {
  WriteFolder({{"A", "1"}}, {Episode("A", "01/01/2024")});
  EXPECT_THAT(Load(2025), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("header.csv:2: SEX: \"1\" is not a valid SEX code "
                                             "for 2025")));
}

TEST_F(GridTest, AgeGroupsAtR) {
  // R = 31/03/2025.
  WriteFolder(
      {{"U0", "M", "01/04/2024"},   // 0 (first birthday the day after R)
       {"U1", "M", "31/03/2024"},   // 1 on R
       {"A4", "M", "01/04/2020"},   // 4
       {"A5", "M", "31/03/2020"},   // 5 on R
       {"A9", "M", "01/04/2015"},   // 9
       {"A10", "M", "31/03/2015"},  // 10 on R
       {"A15", "M", "01/04/2009"},  // 15
       {"A16", "M", "31/03/2009"},  // 16 on R
       {"L", "M", "29/02/2008"},    // leap day: 17 (turned 17 on 01/03/2025)
       {"N", "M", "15/05/2025"}},   // DOB after R: counted in under_1
      {Episode("U0", "01/04/2024"), Episode("U1", "01/04/2024"), Episode("A4", "01/01/2025"),
       Episode("A5", "01/01/2025"), Episode("A9", "01/01/2025"), Episode("A10", "01/01/2025"),
       Episode("A15", "01/01/2025"), Episode("A16", "01/01/2025"), Episode("L", "01/01/2025"),
       Episode("N", "01/01/2025")});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(Total(grid), 10);
  EXPECT_EQ(Cell(grid, "age", "under_1"), 2);
  EXPECT_EQ(Cell(grid, "age", "1_to_4"), 2);
  EXPECT_EQ(Cell(grid, "age", "5_to_9"), 2);
  EXPECT_EQ(Cell(grid, "age", "10_to_15"), 2);
  EXPECT_EQ(Cell(grid, "age", "16_plus"), 2);
}

TEST_F(GridTest, BreakdownsArePartitionsOfTheCohort) {
  WriteFolder({{"A", "M", "01/01/2010"},
               {"B", "F", "01/01/2000"},
               {"C", "U", "01/01/2024"},
               {"D", "F", "01/06/2018"}},
              {Episode("A", "01/01/2024"), Episode("B", "01/01/2024"), Episode("C", "01/01/2024"),
               Episode("D", "01/01/2024", "01/01/2025", "E11")});
  std::vector<int64_t> grid = Grid();
  const int64_t total = Total(grid);
  EXPECT_EQ(total, 3);
  EXPECT_EQ(Cell(grid, "sex", "male") + Cell(grid, "sex", "female") + Cell(grid, "sex", "unknown"),
            total);
  int64_t ages = 0;
  for (const char* g : {"under_1", "1_to_4", "5_to_9", "10_to_15", "16_plus"}) {
    ages += Cell(grid, "age", g);
  }
  EXPECT_EQ(ages, total);
}

TEST_F(GridTest, YearMustMatchTheLoadedYear) {
  WriteFolder({{"A"}}, {Episode("A", "01/01/2024")});
  absl::StatusOr<LaData> data = Load(2025);
  ASSERT_THAT(data, IsOk());
  EXPECT_THAT(ComputeExactGrid(*data, 2026),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2025")));
}

TEST(GridHandBuiltTest, TiedOpenEpisodesAreRejected) {
  LaData data;
  data.year = 2025;
  data.child_ids.Intern("A");
  data.children.push_back(
      ChildRecord{Date::FromYmd(2015, 1, 1).value(), Sex::kMale, Ethnicity::kWBRI, 2});
  EpisodeRecord ep;
  ep.child = 0;
  ep.decom = Date::FromYmd(2025, 1, 1).value();
  ep.line = 2;
  data.episodes.push_back(ep);
  ep.line = 3;
  data.episodes.push_back(ep);
  EXPECT_THAT(ComputeExactGrid(data, 2025),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lines 2 and 3")));
}

TEST(GridHandBuiltTest, EpisodeOfUnknownChildIsRejected) {
  LaData data;
  data.year = 2025;
  EpisodeRecord ep;
  ep.child = 4;
  ep.decom = Date::FromYmd(2025, 1, 1).value();
  ep.line = 7;
  data.episodes.push_back(ep);
  EXPECT_THAT(ComputeExactGrid(data, 2025),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 7")));
}

}  // namespace
}  // namespace ringfence::node
