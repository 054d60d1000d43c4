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
  static int64_t At(const std::vector<int64_t>& grid, const std::string& indicator,
                    const std::string& breakdown, const std::string& group) {
    const int i = catalogue::CellIndex({indicator, breakdown, group});
    EXPECT_GE(i, 0) << indicator << "/" << breakdown << "/" << group;
    if (i < 0 || static_cast<size_t>(i) >= grid.size()) return -1;
    return grid[i];
  }
  // The counts of every group of indicator x breakdown, in catalogue order.
  static std::vector<int64_t> Groups(const std::vector<int64_t>& grid,
                                     const std::string& indicator, const std::string& breakdown) {
    std::vector<int64_t> out;
    for (const std::string& g : catalogue::FindBreakdown(breakdown)->groups) {
      out.push_back(At(grid, indicator, breakdown, g));
    }
    return out;
  }
  void Write(const std::string& name, const std::string& contents) {
    ASSERT_THAT(dir_->Write(name, contents), IsOk());
  }

  std::unique_ptr<TempFolder> dir_;
};

TEST_F(GridTest, OneValuePerCatalogueCellZerosIncluded) {
  WriteFolder({{"A"}}, {});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(grid.size(), catalogue::GridCells().size());
  EXPECT_EQ(grid.size(), 183u);
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

// ---- Helpers for the rule tests -----------------------------------------------------------------

EpisodeRow Ep(std::string child, std::string decom, std::string rne, std::string dec = "",
              std::string rec = "") {
  EpisodeRow e = Episode(std::move(child), std::move(decom), std::move(dec), std::move(rec));
  e.rne = std::move(rne);
  return e;
}

using ::ringfence::node::testing::TableCsv;

// ---- Started ----------------------------------------------------------------------------------

TEST_F(GridTest, StartedCohortBoundariesAndRne) {
  // Year 2025: S = 01/04/2024, R = 31/03/2025.
  //   A  RNE S on S              -> started
  //   B  RNE S on R              -> started
  //   C  RNE S on 31/03/2024     -> before S, not started (but CLA)
  //   D  RNE P in the year       -> a placement change, not a start
  //   E  RNE S in the year, V3   -> short break, dropped
  //   F  RNE S in the year, ended in the year (E11) -> started (and ceased)
  EpisodeRow e = Ep("E", "01/06/2024", "S");
  e.ls = "V3";
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}},
              {Ep("A", "01/04/2024", "S"), Ep("B", "31/03/2025", "S"), Ep("C", "31/03/2024", "S"),
               Ep("D", "01/06/2024", "P"), e, Ep("F", "01/05/2024", "S", "01/07/2024", "E11")});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "started", "total", "total"), 3);  // A, B, F
  EXPECT_EQ(At(grid, "cla", "total", "total"), 4);      // A, B, C, D
}

TEST_F(GridTest, StartedAgeIsAtTheDecomOfTheFirstStartInTheYear) {
  // Born 15/06/2014. Starts 01/05/2024 (aged 9) and, after returning home, 01/03/2025 (aged
  // 10). The first start in the year gives the age: 5_to_9, although the child is 10 at R.
  WriteFolder({{"A", "M", "15/06/2014"}},
              {Ep("A", "01/05/2024", "S", "01/08/2024", "E13"), Ep("A", "01/03/2025", "S")});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "started", "total", "total"), 1);
  EXPECT_EQ(Groups(grid, "started", "age"), (std::vector<int64_t>{0, 0, 1, 0, 0}));
  EXPECT_EQ(Groups(grid, "cla", "age"), (std::vector<int64_t>{0, 0, 0, 1, 0}));
  EXPECT_EQ(Groups(grid, "started", "sex"), (std::vector<int64_t>{1, 0, 0}));
}

// ---- Ceased -------------------------------------------------------------------------------------

TEST_F(GridTest, CeasedCohortBoundariesX1AndShortBreaks) {
  //   A  DEC on S, E11            -> ceased
  //   B  DEC on R, E13            -> ceased (and not CLA: not open at R)
  //   C  DEC 31/03/2024           -> before S, not ceased
  //   D  DEC 01/04/2025           -> after R: open at R, not ceased
  //   E  DEC in the year, X1      -> a change within care, not ceased
  //   F  DEC in the year, V4      -> short break, dropped
  EpisodeRow f = Ep("F", "01/01/2024", "S", "01/06/2024", "E8");
  f.ls = "V4";
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}},
              {Ep("A", "01/01/2024", "S", "01/04/2024", "E11"),
               Ep("B", "01/01/2024", "S", "31/03/2025", "E13"),
               Ep("C", "01/01/2024", "S", "31/03/2024", "E11"),
               Ep("D", "01/01/2024", "S", "01/04/2025", "E11"),
               Ep("E", "01/01/2024", "S", "01/06/2024", "X1"), f});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "ceased", "total", "total"), 2);
  EXPECT_EQ(Groups(grid, "ceased", "ceased_reason"), (std::vector<int64_t>{1, 0, 1, 0, 0}));
  EXPECT_EQ(At(grid, "cla", "total", "total"), 1);  // D
}

TEST_F(GridTest, CeasingReasonIsTheLastCeasingEpisodeTiesToTheLaterDecom) {
  //   A  ceases 01/06/2024 (E11) and again 01/09/2024 (E41): the later DEC gives other.
  //   B  two episodes ceasing on 10/02/2025: DECOM 01/02/2025 E4A (later DECOM, listed first)
  //      and DECOM 01/01/2025 E11: the later DECOM gives returned_home.
  //   C  the same with the rows the other way round: still returned_home.
  //   D  E45 -> sgo; E  E43 -> sgo; F  E17 -> independent_living; G  E12 -> adopted.
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}, {"G"}},
              {Ep("A", "01/05/2024", "S", "01/06/2024", "E11"),
               Ep("A", "01/08/2024", "S", "01/09/2024", "E41"),
               Ep("B", "01/02/2025", "S", "10/02/2025", "E4A"),
               Ep("B", "01/01/2025", "S", "10/02/2025", "E11"),
               Ep("C", "01/01/2025", "S", "10/02/2025", "E11"),
               Ep("C", "01/02/2025", "S", "10/02/2025", "E4A"),
               Ep("D", "01/01/2025", "S", "10/02/2025", "E45"),
               Ep("E", "01/01/2025", "S", "10/02/2025", "E43"),
               Ep("F", "01/01/2025", "S", "10/02/2025", "E17"),
               Ep("G", "01/01/2025", "S", "10/02/2025", "E12")});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "ceased", "total", "total"), 7);
  // adopted G; sgo D, E; returned_home B, C; independent_living F; other A.
  EXPECT_EQ(Groups(grid, "ceased", "ceased_reason"), (std::vector<int64_t>{1, 2, 2, 1, 1}));
}

// ---- Placements in the year [rule] ----------------------------------------------------------

TEST_F(GridTest, PlacementsThreePlusCountsNonLChangesAndBreaksTiesByFileOrder) {
  // Every child below is CLA at R (the last episode is open).
  //   A  S 01/01/2024 (overlaps, first: 1), L 01/06/2024 (0), P 01/09/2024 (1),
  //      L 01/12/2024 (0)                                          -> 2, not
  //      counted
  //   B  S 01/01/2024 (1), P 01/06/2024 (1), T 01/09/2024 (1)      -> 3,
  //   counted C  L 01/01/2023 (first, counts 1 whatever its RNE), U 01/05/2024
  //   (1),
  //      B 01/10/2024 (1)                                          -> 3,
  //      counted
  //   D  tie on DECOM 01/05/2024, file order L then P: L is first (1), P (1);
  //      T 01/08/2024 (1)                                          -> 3,
  //      counted
  //   E  the same tie with P listed before L: P first (1), L (0), T (1) -> 2,
  //   not counted F  S 01/01/2023-31/03/2024 ends before S (not in the year); P
  //   31/03/2024-01/04/2024
  //      ends on S (overlaps, first: 1); P 01/04/2024 (1)          -> 2, not
  //      counted
  //   G  S 01/05/2024 (1); V3 01/06/2024 (short break: ignored); P 01/07/2024
  //   (1) -> 2 H  S, P, T in the year but ceased before R: not CLA, not counted
  EpisodeRow g_break = Ep("G", "01/06/2024", "P", "01/07/2024", "X1");
  g_break.ls = "V3";
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}, {"G"}, {"H"}},
              {Ep("A", "01/01/2024", "S", "01/06/2024", "X1"),
               Ep("A", "01/06/2024", "L", "01/09/2024", "X1"),
               Ep("A", "01/09/2024", "P", "01/12/2024", "X1"),
               Ep("A", "01/12/2024", "L"),
               Ep("B", "01/01/2024", "S", "01/06/2024", "X1"),
               Ep("B", "01/06/2024", "P", "01/09/2024", "X1"),
               Ep("B", "01/09/2024", "T"),
               Ep("C", "01/01/2023", "L", "01/05/2024", "X1"),
               Ep("C", "01/05/2024", "U", "01/10/2024", "X1"),
               Ep("C", "01/10/2024", "B"),
               Ep("D", "01/05/2024", "L", "01/05/2024", "X1"),
               Ep("D", "01/05/2024", "P", "01/08/2024", "X1"),
               Ep("D", "01/08/2024", "T"),
               Ep("E", "01/05/2024", "P", "01/08/2024", "X1"),
               Ep("E", "01/05/2024", "L", "01/05/2024", "X1"),
               Ep("E", "01/08/2024", "T"),
               Ep("F", "01/01/2023", "S", "31/03/2024", "X1"),
               Ep("F", "31/03/2024", "P", "01/04/2024", "X1"),
               Ep("F", "01/04/2024", "P"),
               Ep("G", "01/05/2024", "S", "01/06/2024", "X1"),
               g_break,
               Ep("G", "01/07/2024", "P"),
               Ep("H", "01/05/2024", "S", "01/06/2024", "X1"),
               Ep("H", "01/06/2024", "P", "01/07/2024", "X1"),
               Ep("H", "01/07/2024", "T", "01/08/2024", "E4A")});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "cla", "total", "total"), 7);
  EXPECT_EQ(At(grid, "placements_3plus", "total", "total"), 3);  // B, C, D
}

// ---- Distance and out of area
// -----------------------------------------------------------------

// Postcode table for the distance tests: HOME at (500000, 200000); placements
// due east.
//   P200  32186 m east: 32186 / 1609.3 = 20.0000 miles -> 20.0, not more than
//   20 P2004 32250 m: 20.0398 -> 20.0, not more than 20 P2049 32266 m: 20.0497
//   -> 20.0, not more than 20 P2005 32267 m: 20.0503 -> 20.1, more than 20
//   (20.05 miles exactly is 32266.465 m, which
//         whole metres cannot hit; 32267 m is the first whole metre at or past
//         it)
//   NOCO  no coordinates (blank), utla E10000016
//   NOUT  coordinates, blank utla
std::string DistancePostcodes() {
  return TableCsv(Table::kPostcodes,
                  {{"HO1 1AA", "500000", "200000", "E09000033"},
                   {"PA2 0AA", "532186", "200000", "E10000016"},
                   {"PA2 4AA", "532250", "200000", "E10000016"},
                   {"PA2 9AA", "532266", "200000", "e09000033 "},
                   {"PA2 5AA", "532267", "200000", "E10000016"},
                   {"NO1 1CO", "", "", "E10000016"},
                   {"NO1 1UT", "510000", "200000", ""}});
}

EpisodeRow Placed(std::string child, std::string home, std::string placed,
                  std::string place = "U1") {
  EpisodeRow e = Episode(std::move(child), "01/01/2025");
  e.home_post = std::move(home);
  e.pl_post = std::move(placed);
  e.place = std::move(place);
  return e;
}

TEST_F(GridTest, DistanceOverTwentyMilesRoundsHalvesUpAndIsDecidedExactly) {
  // A 20.0 (known, not over); B 20.04 (known, not over); C 20.0497 (known, not
  // over); D 20.0503 -> 20.1 (known, over); E written lower-case with odd
  // spaces, same as D; F blank home postcode; G placement postcode not in the
  // table; H placement postcode with blank coordinates: all three unknown; U as
  // D but in the UASC table: not counted at all.
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}, {"G"}, {"H"}, {"U"}},
              {Placed("A", "HO1 1AA", "PA2 0AA"), Placed("B", "HO1 1AA", "PA2 4AA"),
               Placed("C", "HO1 1AA", "PA2 9AA"), Placed("D", "HO1 1AA", "PA2 5AA"),
               Placed("E", "ho11aa", " pa2  5aa"), Placed("F", "", "PA2 5AA"),
               Placed("G", "HO1 1AA", "ZZ9 9ZZ"), Placed("H", "HO1 1AA", "NO1 1CO"),
               Placed("U", "HO1 1AA", "PA2 5AA")});
  Write("postcodes.csv", DistancePostcodes());
  Write("uasc.csv", TableCsv(Table::kUasc, {{"U", "M", "01/06/2015", "ZZ/ZZ/ZZZZ"}}));
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "cla", "total", "total"), 9);
  EXPECT_EQ(At(grid, "distance_known", "total", "total"), 5);    // A B C D E
  EXPECT_EQ(At(grid, "distance_over_20", "total", "total"), 2);  // D E
  // Age at R: born 01/06/2015, so 9 at R.
  EXPECT_EQ(Groups(grid, "distance_over_20", "age"), (std::vector<int64_t>{0, 0, 2, 0, 0}));
  EXPECT_EQ(Groups(grid, "distance_known", "nationality"), (std::vector<int64_t>{0, 0, 0, 5}));
}

TEST(DistanceTest, ThresholdIsExactInTwoDimensions) {
  EXPECT_FALSE(DistanceOver20Miles(32186, 0));  // 20.0000
  EXPECT_FALSE(DistanceOver20Miles(32266, 0));  // 20.0497 -> 20.0
  EXPECT_TRUE(DistanceOver20Miles(32267, 0));   // 20.0503 -> 20.1
  EXPECT_TRUE(DistanceOver20Miles(0, -32267));
  // sqrt(22815^2 + 22816^2) = 32265.99 m = 20.04971 miles -> 20.0.
  EXPECT_FALSE(DistanceOver20Miles(22815, -22816));
  // sqrt(2 * 22816^2) = 32266.70 m = 20.05015 miles -> 20.1.
  EXPECT_TRUE(DistanceOver20Miles(-22816, 22816));
  EXPECT_TRUE(DistanceOver20Miles(655000, 1220000));  // across Great Britain: no overflow
}

TEST_F(GridTest, OutOfAreaComparesThePlacementUtlaWithTheNodesLa) {
  // The node is E09000033.
  //   A placed at PA2 0AA (utla E10000016)             -> out of area (foster_kinship U1)
  //   B placed at PA2 9AA (utla "e09000033 ")          -> same LA after trimming/upper-casing
  //   C placed at NO1 1CO (no coordinates, E10000016)  -> out of area: utla still serves
  //   D placed at NO1 1UT (blank utla)                 -> unknown, not counted
  //   E placed at a postcode not in the table          -> unknown, not counted
  //   F blank placement postcode                       -> unknown, not counted
  //   U as A, but UASC                                 -> not counted
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}, {"U"}},
              {Placed("A", "HO1 1AA", "PA2 0AA"), Placed("B", "", "PA2 9AA"),
               Placed("C", "", "NO1 1CO", "K2"), Placed("D", "", "NO1 1UT"),
               Placed("E", "", "ZZ9 9ZZ"), Placed("F", "HO1 1AA", ""),
               Placed("U", "HO1 1AA", "PA2 0AA")});
  Write("postcodes.csv", DistancePostcodes());
  Write("uasc.csv", TableCsv(Table::kUasc, {{"U", "M", "01/06/2015", ""}}));
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "out_of_area", "total", "total"), 2);  // A, C
  EXPECT_EQ(At(grid, "out_of_area", "placement", "foster_kinship"), 1);
  EXPECT_EQ(At(grid, "out_of_area", "placement", "childrens_home"), 1);
}

TEST_F(GridTest, WithoutAPostcodeTableEveryDistanceIsUnknown) {
  WriteFolder({{"A"}}, {Placed("A", "HO1 1AA", "PA2 5AA")});
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "cla", "total", "total"), 1);
  EXPECT_EQ(At(grid, "distance_known", "total", "total"), 0);
  EXPECT_EQ(At(grid, "out_of_area", "total", "total"), 0);
}

TEST_F(GridTest, PostcodeTableOutsideTheFolderViaPostcodesPath) {
  WriteFolder({{"A"}}, {Placed("A", "HO1 1AA", "PA2 5AA")});
  absl::StatusOr<TempFolder> elsewhere = TempFolder::Create();
  ASSERT_THAT(elsewhere, IsOk());
  ASSERT_THAT(elsewhere->Write("nspl_extract.txt", DistancePostcodes()), IsOk());
  LoadOptions opts;
  opts.dir = dir_->path();
  opts.la_code = "E09000033";
  opts.year = 2025;
  opts.postcodes_path = elsewhere->path() + "/nspl_extract.txt";
  absl::StatusOr<LaData> data = LoadLaFolder(opts);
  ASSERT_THAT(data, IsOk());
  EXPECT_EQ(data->source(Table::kPostcodes).file, "nspl_extract.txt");
  absl::StatusOr<std::vector<int64_t>> grid = ComputeExactGrid(*data, 2025);
  ASSERT_THAT(grid, IsOk());
  EXPECT_EQ(At(*grid, "distance_over_20", "total", "total"), 1);
  EXPECT_EQ(At(*grid, "out_of_area", "total", "total"), 1);
}

// ---- Care leavers -----------------------------------------------------------------------------

TEST_F(GridTest, LeaversAgeInYearAndConditions) {
  // Year 2025 (R = 31/03/2025). age_in_year = 2025 - year(DOB) when the birthday is on or
  // before 31/03, else 2024 - year(DOB).
  //   A 31/03/2008: birthday on 31/03 -> 17 (17_to_18); IN_TOUCH YES, ACTIV F1, ACCOM B1
  //   B 01/04/2008: birthday after 31/03 -> 16: ignored everywhere
  //   C 29/02/2004: leap day, on/before 31/03 -> 21 (19_to_21); NO, P4, U1
  //   D 01/04/2005: -> 19 (19_to_21); YES, G5, U2
  //   E 01/04/1999: -> 25 (22_to_25); all blank: counts in leavers only
  //   F 31/03/1999: -> 26: ignored
  //   G 29/02/2008: -> 17 (17_to_18); REFU, ACTIV 0, ACCOM 0: leavers only
  //   H 01/04/2002: -> 22 (22_to_25); blank IN_TOUCH, ACTIV P1, ACCOM blank
  WriteFolder({{"A", "M", "31/03/2008"}, {"B", "M", "01/04/2008"}, {"C", "F", "29/02/2004"},
               {"D", "M", "01/04/2005"}, {"E", "M", "01/04/1999"}, {"F", "M", "31/03/1999"},
               {"G", "M", "29/02/2008"}, {"H", "M", "01/04/2002"}},
              {});
  Write("oc3.csv", TableCsv(Table::kOc3, {{"A", "31/03/2008", "YES", "F1", "B1"},
                                          {"B", "01/04/2008", "YES", "F1", "B1"},
                                          {"C", "29/02/2004", "NO", "P4", "U1"},
                                          {"D", "01/04/2005", "YES", "G5", "U2"},
                                          {"E", "01/04/1999", "", "", ""},
                                          {"F", "31/03/1999", "YES", "F1", "B1"},
                                          {"G", "29/02/2008", "REFU", "0", "0"},
                                          {"H", "01/04/2002", "", "P1", ""}}));
  Write("uasc.csv", TableCsv(Table::kUasc, {{"C", "F", "29/02/2004", ""}}));
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(Groups(grid, "leavers", "leaver_age"), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(Groups(grid, "leavers", "uasc"), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(Groups(grid, "leavers_in_touch", "leaver_age"), (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(Groups(grid, "leavers_eet", "leaver_age"), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(Groups(grid, "leavers_suitable_accom", "leaver_age"),
            (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(Groups(grid, "leavers_suitable_accom", "uasc"), (std::vector<int64_t>{1, 1}));
}

TEST(AgeInYearTest, BirthdaysOnAndAfterThirtyFirstMarchAndLeapDays) {
  auto d = [](int y, int m, int day) { return Date::FromYmd(y, m, day).value(); };
  EXPECT_EQ(AgeInYear(d(2008, 3, 31), 2025), 17);
  EXPECT_EQ(AgeInYear(d(2008, 4, 1), 2025), 16);
  EXPECT_EQ(AgeInYear(d(2008, 2, 29), 2025), 17);  // birthday taken on 01/03/2025
  EXPECT_EQ(AgeInYear(d(2004, 2, 29), 2024), 20);  // a leap year: 29/02/2024
  EXPECT_EQ(AgeInYear(d(2007, 12, 31), 2025), 17);
  // It equals the completed age at R for every day of a leap and a non-leap year of birth.
  for (int y : {2004, 2007}) {
    for (Date dob = d(y, 1, 1); dob <= d(y, 12, 31); dob = Date::FromDays(dob.days() + 1)) {
      EXPECT_EQ(AgeInYear(dob, 2025), AgeAt(dob, d(2025, 3, 31))) << dob.ToString();
    }
  }
}

// ---- Missing and away
// ---------------------------------------------------------------------------

TEST_F(GridTest, MissingAndAwayAreCountedSeparatelyByMisStartInTheYear) {
  //   A  M 01/05/2024 and A 01/06/2024             -> missing and away
  //   B  A 01/04/2024 (on S), twice                -> away only, once
  //   C  M 31/03/2024 (before S) and M 31/03/2025 (on R) -> missing (the R one)
  //   D  M 01/04/2025 (after R)                    -> neither
  //   E  born 15/05/2008: M 01/06/2024 (aged 16) and M 01/05/2024 (aged 15), A
  //   01/06/2024:
  //      missing age from the first M spell, 10_to_15; away age 16_plus. No
  //      episodes at all.
  WriteFolder({{"A", "M", "01/06/2015"},
               {"B", "F", "01/06/2015"},
               {"C", "F", "01/06/2015"},
               {"D", "M", "01/06/2015"},
               {"E", "M", "15/05/2008"}},
              {Episode("A", "01/01/2024"), Episode("B", "01/01/2024")});
  Write("missing.csv",
        TableCsv(Table::kMissing,
                 {{"A", "01/06/2015", "M", "01/05/2024", "02/05/2024"},
                  {"A", "01/06/2015", "a", "01/06/2024", ""},
                  {"B", "01/06/2015", "A", "01/04/2024", "01/04/2024"},
                  {"B", "01/06/2015", "A", "01/07/2024", "02/07/2024"},
                  {"C", "01/06/2015", "M", "31/03/2024", "01/04/2024"},
                  {"C", "01/06/2015", "M", "31/03/2025", ""},
                  {"D", "01/06/2015", "M", "01/04/2025", ""},
                  {"E", "15/05/2008", "M", "01/06/2024", "02/06/2024"},
                  {"E", "15/05/2008", "M", "01/05/2024", "02/05/2024"},
                  {"E", "15/05/2008", "A", "01/06/2024", "01/06/2024"}}));
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(At(grid, "missing", "total", "total"), 3);       // A, C, E
  EXPECT_EQ(At(grid, "away_no_auth", "total", "total"), 3);  // A, B, E
  EXPECT_EQ(Groups(grid, "missing", "sex"), (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(Groups(grid, "away_no_auth", "sex"),
            (std::vector<int64_t>{2, 1, 0}));
  // A and C were 8 and 9 at their first spells (born 01/06/2015): 5_to_9; E as
  // above.
  EXPECT_EQ(Groups(grid, "missing", "age"),
            (std::vector<int64_t>{0, 0, 2, 1, 0}));
  EXPECT_EQ(Groups(grid, "away_no_auth", "age"),
            (std::vector<int64_t>{0, 0, 2, 0, 1}));
}

// ---- Breakdowns -------------------------------------------------------------------------------

TEST_F(GridTest, SensitiveBreakdownsMapEveryCodeAndNoRowIsUnknown) {
  //   A GBR BRITISH Y         -> british, british_or_settled, nrpf
  //   B FRA SETTLED N         -> eu_eea_swiss, british_or_settled, not_nrpf
  //   C NOR LIMITED_LEAVE ""  -> eu_eea_swiss (EEA), limited_leave, unknown
  //   D CHE ASYLUM_SEEKER Y   -> eu_eea_swiss (Swiss), asylum_seeker, nrpf
  //   E USA REFUGEE N         -> other, refugee_or_protection, not_nrpf
  //   F UNK HUMANITARIAN ""   -> unknown, refugee_or_protection, unknown
  //   G "" NO_STATUS Y        -> unknown, no_status, nrpf
  //   H ISL UNKNOWN N         -> eu_eea_swiss, unknown, not_nrpf
  //   I eri "" ""             -> other (lower case accepted), unknown, unknown
  //   J no row                -> unknown on all three
  WriteFolder({{"A"}, {"B"}, {"C"}, {"D"}, {"E"}, {"F"}, {"G"}, {"H"}, {"I"}, {"J"}},
              {Episode("A", "01/01/2025"), Episode("B", "01/01/2025"), Episode("C", "01/01/2025"),
               Episode("D", "01/01/2025"), Episode("E", "01/01/2025"), Episode("F", "01/01/2025"),
               Episode("G", "01/01/2025"), Episode("H", "01/01/2025"), Episode("I", "01/01/2025"),
               Episode("J", "01/01/2025")});
  Write("sensitive.csv", TableCsv(Table::kSensitive, {{"A", "GBR", "BRITISH", "Y"},
                                                      {"B", "FRA", "SETTLED", "N"},
                                                      {"C", "NOR", "LIMITED_LEAVE", ""},
                                                      {"D", "CHE", "ASYLUM_SEEKER", "Y"},
                                                      {"E", "USA", "REFUGEE", "N"},
                                                      {"F", "UNK", "HUMANITARIAN", ""},
                                                      {"G", "", "NO_STATUS", "Y"},
                                                      {"H", "ISL", "UNKNOWN", "N"},
                                                      {"I", "eri", "", ""}}));
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(Groups(grid, "cla", "nationality"), (std::vector<int64_t>{1, 4, 2, 3}));
  EXPECT_EQ(Groups(grid, "cla", "immigration_status"),
            (std::vector<int64_t>{2, 1, 1, 2, 1, 3}));
  EXPECT_EQ(Groups(grid, "cla", "nrpf"), (std::vector<int64_t>{3, 3, 4}));
  // The other indicators read the same mapping: J started in the year, no row -> unknown.
  EXPECT_EQ(Groups(grid, "started", "nationality"), (std::vector<int64_t>{1, 4, 2, 3}));
}

TEST_F(GridTest, EthnicityUascLegalStatusAndPlacementGroups) {
  auto ep = [](std::string child, std::string ls, std::string place) {
    EpisodeRow e = Episode(std::move(child), "01/01/2025");
    e.ls = std::move(ls);
    e.place = std::move(place);
    return e;
  };
  //   child ETHNIC  LS  PLACE  -> ethnicity  legal_status     placement
  //   A     WBRI    C1  U1     -> white      care_order       foster_kinship
  //   B     MWBC    C2  U4     -> mixed      care_order       foster_other
  //   C     CHNE    E1  A5     -> asian      placement_order  adoption
  //   D     BAFR    D1  P1     -> black      placement_order  with_parents
  //   E     OOTH    V2  K2     -> other      voluntary        childrens_home
  //   F     REFU    J1  K1     -> not_known  youth_justice    secure
  //   G     NOBT    L1  K3     -> not_known  emergency        supported_or_independent
  //   H     APKN    J3  R1     -> asian      youth_justice    residential_other
  //   I     WROM    L3  R5     -> white      emergency        custody
  //   J     AOTH    C2  T2     -> asian      care_order       temporary
  //   K     BOTH    C2  Z1     -> black      care_order       other
  // UASC: C and K (K with a masked DUC).
  WriteFolder({{"A", "M", "01/06/2015", "WBRI"}, {"B", "M", "01/06/2015", "MWBC"},
               {"C", "M", "01/06/2015", "CHNE"}, {"D", "M", "01/06/2015", "BAFR"},
               {"E", "M", "01/06/2015", "OOTH"}, {"F", "M", "01/06/2015", "REFU"},
               {"G", "M", "01/06/2015", "NOBT"}, {"H", "M", "01/06/2015", "APKN"},
               {"I", "M", "01/06/2015", "WROM"}, {"J", "M", "01/06/2015", "AOTH"},
               {"K", "M", "01/06/2015", "BOTH"}},
              {ep("A", "C1", "U1"), ep("B", "C2", "U4"), ep("C", "E1", "A5"), ep("D", "D1", "P1"),
               ep("E", "V2", "K2"), ep("F", "J1", "K1"), ep("G", "L1", "K3"), ep("H", "J3", "R1"),
               ep("I", "L3", "R5"), ep("J", "C2", "T2"), ep("K", "C2", "Z1")});
  Write("uasc.csv", TableCsv(Table::kUasc, {{"C", "M", "01/06/2015", "01/01/2025"},
                                            {"K", "M", "01/06/2015", "ZZ/ZZ/ZZZZ"}}));
  std::vector<int64_t> grid = Grid();
  EXPECT_EQ(Groups(grid, "cla", "ethnicity"), (std::vector<int64_t>{2, 1, 3, 2, 1, 2}));
  EXPECT_EQ(Groups(grid, "cla", "uasc"), (std::vector<int64_t>{2, 9}));
  EXPECT_EQ(Groups(grid, "cla", "legal_status"), (std::vector<int64_t>{4, 2, 1, 2, 2}));
  EXPECT_EQ(Groups(grid, "cla", "placement"),
            (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
}

TEST_F(GridTest, PlacementZ11ToZ14In2026AreOther) {
  EpisodeRow a = Episode("A", "01/01/2026");
  a.place = "Z12";
  WriteFolder({{"A"}}, {a});
  std::vector<int64_t> grid = Grid(2026);
  EXPECT_EQ(At(grid, "cla", "placement", "other"), 1);
}

TEST_F(GridTest, EveryBreakdownOfEveryIndicatorIsAPartition) {
  // A small mixed folder; within each indicator, every breakdown sums to the same count
  // (leavers have no total: their breakdowns must agree with each other).
  WriteFolder({{"A", "M", "01/06/2007"}, {"B", "F", "01/06/2015"}, {"C", "U", "01/01/2024"}},
              {Ep("A", "01/01/2024", "S", "01/06/2024", "X1"), Placed("B", "HO1 1AA", "PA2 5AA"),
               Ep("A", "01/06/2024", "P", "01/02/2025", "E4A"), Ep("C", "01/05/2024", "S")});
  Write("postcodes.csv", DistancePostcodes());
  Write("oc3.csv", TableCsv(Table::kOc3, {{"A", "01/06/2007", "YES", "F1", "B1"}}));
  Write("missing.csv", TableCsv(Table::kMissing, {{"B", "01/06/2015", "M", "01/05/2024", ""}}));
  std::vector<int64_t> grid = Grid();
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    int64_t first = -1;
    for (const std::string& b : ind.breakdowns) {
      int64_t sum = 0;
      for (int64_t v : Groups(grid, ind.name, b)) sum += v;
      if (first < 0) first = sum;
      EXPECT_EQ(sum, first) << ind.name << " x " << b;
    }
  }
  EXPECT_EQ(At(grid, "cla", "total", "total"), 2);
  EXPECT_EQ(At(grid, "ceased", "total", "total"), 1);
  EXPECT_EQ(At(grid, "leavers", "uasc", "not_uasc"), 1);
  EXPECT_EQ(At(grid, "missing", "total", "total"), 1);
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
