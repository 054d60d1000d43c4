// ComputeExactGrid over sub-annual windows (dates.h CollectionYear::ForWindow): the same rules
// with S and R the window's first and last days, and care leavers counted only in the window
// holding their birthday.
#include <memory>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/dates.h"
#include "node/grid.h"
#include "node/loader.h"
#include "node/testing/la_folder.h"

namespace ringfence::node {
namespace {

using ::ringfence::node::testing::Episode;
using ::ringfence::node::testing::EpisodeRow;
using ::ringfence::node::testing::EpisodesCsv;
using ::ringfence::node::testing::HeaderCsv;
using ::ringfence::node::testing::HeaderRow;
using ::ringfence::node::testing::TableCsv;
using ::ringfence::node::testing::TempFolder;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

class GridWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempFolder> dir = TempFolder::Create();
    ASSERT_THAT(dir, IsOk());
    dir_ = std::make_unique<TempFolder>(*std::move(dir));
  }

  void Write(const std::string& name, const std::string& contents) {
    ASSERT_THAT(dir_->Write(name, contents), IsOk());
  }

  absl::StatusOr<LaData> Load() {
    LoadOptions opts;
    opts.dir = dir_->path();
    opts.la_code = "E09000033";
    opts.year = 2025;
    return LoadLaFolder(opts);
  }

  // The grid of window `window` of 2025, failing the test on any error.
  std::vector<int64_t> Grid(const std::string& window) {
    absl::StatusOr<LaData> data = Load();
    EXPECT_THAT(data, IsOk());
    if (!data.ok()) return {};
    absl::StatusOr<CollectionYear> w = CollectionYear::ForWindow(2025, window);
    EXPECT_THAT(w, IsOk());
    if (!w.ok()) return {};
    absl::StatusOr<std::vector<int64_t>> grid = ComputeExactGrid(*data, *w);
    EXPECT_THAT(grid, IsOk());
    if (!grid.ok()) return {};
    return *grid;
  }

  static int64_t At(const std::vector<int64_t>& grid, const std::string& indicator,
                    const std::string& breakdown, const std::string& group) {
    const int i = catalogue::CellIndex({indicator, breakdown, group});
    EXPECT_GE(i, 0) << indicator << "/" << breakdown << "/" << group;
    if (i < 0 || static_cast<size_t>(i) >= grid.size()) return -1;
    return grid[i];
  }
  // The indicator's total; leaver indicators have no total breakdown, so the sum of their
  // leaver_age groups (a partition).
  static int64_t Total(const std::vector<int64_t>& grid, const std::string& indicator) {
    if (indicator.rfind("leavers", 0) != 0) return At(grid, indicator, "total", "total");
    int64_t sum = 0;
    for (const std::string& g : catalogue::FindBreakdown("leaver_age")->groups) {
      sum += At(grid, indicator, "leaver_age", g);
    }
    return sum;
  }

  std::unique_ptr<TempFolder> dir_;
};

TEST_F(GridWindowTest, AnnualWindowIsTheAnnualGrid) {
  Write("header.csv", HeaderCsv({{"A"}, {"B", "F", "01/01/2010"}, {"C"}}));
  Write("episodes.csv",
        EpisodesCsv({Episode("A", "15/11/2024"), Episode("B", "01/05/2024", "20/08/2024", "E11"),
                     Episode("C", "01/01/2020")}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk());
  absl::StatusOr<std::vector<int64_t>> by_year = ComputeExactGrid(*data, 2025);
  absl::StatusOr<CollectionYear> annual = CollectionYear::ForWindow(2025, "annual");
  ASSERT_THAT(annual, IsOk());
  absl::StatusOr<std::vector<int64_t>> by_window = ComputeExactGrid(*data, *annual);
  ASSERT_THAT(by_year, IsOk());
  ASSERT_THAT(by_window, IsOk());
  EXPECT_EQ(*by_year, *by_window);
  EXPECT_EQ(Total(*by_window, "started"), 2);
  EXPECT_EQ(Total(*by_window, "cla"), 2);
}

TEST_F(GridWindowTest, ChildEnteringCareInQ3CountsInQ3StartedNotQ1) {
  // A enters on 15/11/2024 (q3 of 2025: 01/10..31/12/2024) and is still in care.
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "15/11/2024")}));
  const std::vector<int64_t> q1 = Grid("q1");
  const std::vector<int64_t> q3 = Grid("q3");
  const std::vector<int64_t> h2 = Grid("h2");
  EXPECT_EQ(Total(q1, "started"), 0);
  EXPECT_EQ(Total(q3, "started"), 1);
  EXPECT_EQ(Total(h2, "started"), 1);
  EXPECT_EQ(Total(Grid("q4"), "started"), 0);
  // Not in care at the end of q1 (30/06/2024); in care at the end of q3 (31/12/2024).
  EXPECT_EQ(Total(q1, "cla"), 0);
  EXPECT_EQ(Total(q3, "cla"), 1);
}

TEST_F(GridWindowTest, ClaIsTakenAtThePeriodEndWithAgeThere) {
  // B is in care 01/05/2024..20/08/2024: open at the end of q1 (30/06/2024) only. Born
  // 30/06/2014, B is 10 on 30/06/2024 (an age at the period end, not at 31/03/2025).
  Write("header.csv", HeaderCsv({{"B", "F", "30/06/2014"}}));
  Write("episodes.csv", EpisodesCsv({Episode("B", "01/05/2024", "20/08/2024", "E11")}));
  const std::vector<int64_t> q1 = Grid("q1");
  EXPECT_EQ(Total(q1, "cla"), 1);
  EXPECT_EQ(At(q1, "cla", "age", "10_to_15"), 1);
  EXPECT_EQ(Total(Grid("q2"), "cla"), 0);
  EXPECT_EQ(Total(Grid("h1"), "cla"), 0);  // ended before 30/09/2024
  EXPECT_EQ(Total(Grid("annual"), "cla"), 0);
  // It ceased on 20/08/2024, in q2 and h1, not in q1.
  EXPECT_EQ(Total(q1, "ceased"), 0);
  EXPECT_EQ(Total(Grid("q2"), "ceased"), 1);
  EXPECT_EQ(Total(Grid("h1"), "ceased"), 1);
}

TEST_F(GridWindowTest, CareLeaverCountsOnlyInTheWindowHoldingTheBirthday) {
  // L turns 19 on 10/11/2024 (q3, h2); M turns 18 on 29/02 (2025 is not a leap year: on
  // 01/03/2025, q4); N turns 17 on 05/05/2024 (q1, h1).
  Write("header.csv",
        HeaderCsv({{"L", "M", "10/11/2005"}, {"M", "F", "29/02/2008"}, {"N", "M", "05/05/2007"}}));
  Write("episodes.csv", EpisodesCsv({}));
  Write("oc3.csv", TableCsv(Table::kOc3, {{"L", "10/11/2005", "YES", "F1", "B1"},
                                          {"M", "29/02/2008", "NO", "0", "0"},
                                          {"N", "05/05/2007", "YES", "G5", "U2"}}));
  const std::vector<int64_t> q1 = Grid("q1");
  const std::vector<int64_t> q3 = Grid("q3");
  const std::vector<int64_t> q4 = Grid("q4");
  EXPECT_EQ(Total(q1, "leavers"), 1);
  EXPECT_EQ(At(q1, "leavers", "leaver_age", "17_to_18"), 1);
  EXPECT_EQ(Total(Grid("q2"), "leavers"), 0);
  EXPECT_EQ(Total(q3, "leavers"), 1);
  EXPECT_EQ(At(q3, "leavers", "leaver_age", "19_to_21"), 1);
  EXPECT_EQ(Total(q3, "leavers_in_touch"), 1);
  EXPECT_EQ(Total(q4, "leavers"), 1);
  EXPECT_EQ(At(q4, "leavers", "leaver_age", "17_to_18"), 1);
  EXPECT_EQ(Total(Grid("h1"), "leavers"), 1);
  EXPECT_EQ(Total(Grid("h2"), "leavers"), 2);
  EXPECT_EQ(Total(Grid("annual"), "leavers"), 3);
}

TEST_F(GridWindowTest, MissingCountsByMisStartInTheWindowWithAgeThere) {
  // A goes missing on 01/05/2024 (q1) and 20/11/2024 (q3); B is away on 15/02/2025 (q4).
  Write("header.csv", HeaderCsv({{"A", "M", "10/11/2008"}, {"B", "F", "01/06/2015"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2024"), Episode("B", "01/01/2024")}));
  Write("missing.csv", TableCsv(Table::kMissing, {{"A", "10/11/2008", "M", "01/05/2024", ""},
                                                  {"A", "10/11/2008", "M", "20/11/2024", ""},
                                                  {"B", "01/06/2015", "A", "15/02/2025", ""}}));
  const std::vector<int64_t> q1 = Grid("q1");
  const std::vector<int64_t> q3 = Grid("q3");
  EXPECT_EQ(Total(q1, "missing"), 1);
  EXPECT_EQ(At(q1, "missing", "age", "10_to_15"), 1);  // 15 on 01/05/2024
  EXPECT_EQ(Total(q3, "missing"), 1);
  EXPECT_EQ(At(q3, "missing", "age", "16_plus"), 1);  // 16 on 20/11/2024
  EXPECT_EQ(Total(Grid("q2"), "missing"), 0);
  EXPECT_EQ(Total(Grid("q4"), "away_no_auth"), 1);
  EXPECT_EQ(Total(q3, "away_no_auth"), 0);
  EXPECT_EQ(Total(Grid("annual"), "missing"), 1);  // distinct children in the year
}

TEST_F(GridWindowTest, TieOfOpenEpisodesAtTheWindowEndIsAnError) {
  // Both open at 30/06/2024 with the same DECOM; only one is open at 31/03/2025, so the data
  // loads (the loader checks ties at 31 March) and the annual grid is fine.
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv",
        EpisodesCsv({Episode("A", "01/05/2024", "01/08/2024", "E11"), Episode("A", "01/05/2024")}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk());
  EXPECT_THAT(ComputeExactGrid(*data, 2025), IsOk());
  absl::StatusOr<CollectionYear> q1 = CollectionYear::ForWindow(2025, "q1");
  ASSERT_THAT(q1, IsOk());
  EXPECT_THAT(ComputeExactGrid(*data, *q1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("same DECOM")));
}

TEST_F(GridWindowTest, WindowOfAnotherYearIsRefused) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk());
  absl::StatusOr<CollectionYear> w = CollectionYear::ForWindow(2026, "q1");
  ASSERT_THAT(w, IsOk());
  EXPECT_THAT(ComputeExactGrid(*data, *w),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2025, not 2026")));
}

}  // namespace
}  // namespace ringfence::node
