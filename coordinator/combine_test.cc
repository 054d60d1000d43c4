#include "coordinator/combine.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/disclosure.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::IsOkAndHolds;
using ::ringfence::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kYear = 2025;
// Registry order: Gateshead (North East) comes before Camden and Westminster
// (London).
constexpr char kGateshead[] = "E08000037";
constexpr char kCamden[] = "E09000007";
constexpr char kWestminster[] = "E09000033";
constexpr char kIslington[] = "E09000019";
constexpr char kNorthEast[] = "E12000001";
constexpr char kLondon[] = "E12000007";

size_t GridSize() { return catalogue::GridCells().size(); }

// A valid submission whose cell i has noisy value noisy[i], published as the
// node would.
Submission MakeSubmission(const std::string& la, const std::vector<int64_t>& noisy,
                          Rational variance = {4, 1}) {
  Submission s;
  s.la_code = la;
  s.year = kYear;
  s.catalogue_version = catalogue::kCatalogueVersion;
  s.noise.mechanism = NoiseMechanism::kDiscreteGaussian;
  s.noise.variance = variance;
  s.noise.rho = Rational{1, 2};
  s.rule = policy::kDefaultDisclosureRule;
  const auto& grid = catalogue::GridCells();
  for (size_t i = 0; i < grid.size(); ++i) {
    ProtectedCell c;
    c.key = grid[i];
    c.noisy_value = noisy.at(i);
    c.published = policy::ApplyDisclosureRule(s.rule, c.noisy_value);
    s.cells.push_back(c);
  }
  return s;
}

std::vector<int64_t> Constant(int64_t v) { return std::vector<int64_t>(GridSize(), v); }

// Noisy values 100 + 10*i + offset: distinct; none is a multiple of 5 unless
// offset is.
std::vector<int64_t> Ramp(int64_t offset) {
  std::vector<int64_t> v;
  for (size_t i = 0; i < GridSize(); ++i) v.push_back(100 + 10 * static_cast<int64_t>(i) + offset);
  return v;
}

const ReleasedCell& Find(const ReleaseTable& t, GeographicLevel level, const std::string& code,
                         const catalogue::CellKey& key) {
  for (const ReleasedCell& c : t.cells) {
    if (c.level != level || !(c.key == key)) continue;
    const std::string& geo = level == GeographicLevel::kLocalAuthority ? c.la_code
                             : level == GeographicLevel::kRegional     ? c.region_code
                                                                       : std::string();
    if (geo == code) return c;
  }
  ADD_FAILURE() << "no cell for " << code << " " << key.indicator << "/" << key.breakdown << "/"
                << key.group;
  static const ReleasedCell kNone;
  return kNone;
}

catalogue::CellKey TotalKey() { return catalogue::CellKey{"cla", "total", "total"}; }

// --- AddRational
// -------------------------------------------------------------------------

TEST(AddRationalTest, AddsAndReduces) {
  EXPECT_THAT(AddRational({1, 2}, {1, 3}), IsOkAndHolds(Rational{5, 6}));
  EXPECT_THAT(AddRational({1, 4}, {1, 4}), IsOkAndHolds(Rational{1, 2}));
  EXPECT_THAT(AddRational({0, 1}, {18, 4}), IsOkAndHolds(Rational{9, 2}));
  EXPECT_THAT(AddRational({0, 1}, {0, 7}), IsOkAndHolds(Rational{0, 1}));
}

TEST(AddRationalTest, LargeValuesThatReduceStillFit) {
  const uint64_t big = std::numeric_limits<uint64_t>::max() - 1;  // even
  // big/2 + big/2 = big, exactly representable even though big*2 is not.
  EXPECT_THAT(AddRational({big / 2, 1}, {big / 2, 1}), IsOkAndHolds(Rational{big, 1}));
}

TEST(AddRationalTest, OverflowIsInternal) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  // Coprime denominators whose product does not fit in uint64.
  EXPECT_THAT(AddRational({1, max}, {1, max - 1}), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(AddRational({max, 1}, {1, 1}), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(AddRational({1, 0}, {1, 1}), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- NoiseUncertaintyOf
// ------------------------------------------------------------------

TEST(NoiseUncertaintyTest, SdIsTheRootOfTheVarianceAndTheHalfWidthAddsHalfTheRoundingBase) {
  // One LA at the node's default sigma^2 = 52: sd 7.2111, half-width
  // 1.96 * 7.2111 + 2.5 = 16.6338.
  absl::StatusOr<NoiseUncertainty> u = NoiseUncertaintyOf({52, 1}, 5);
  ASSERT_THAT(u, IsOk());
  EXPECT_NEAR(u->sd, 7.2111025509, 1e-9);
  EXPECT_NEAR(u->ci95_half_width, 1.96 * 7.2111025509 + 2.5, 1e-9);
  EXPECT_NEAR(u->ci95_half_width, 16.6337610, 1e-6);
}

TEST(NoiseUncertaintyTest, UsesTheExactRationalAndTheGivenRoundingBase) {
  absl::StatusOr<NoiseUncertainty> u = NoiseUncertaintyOf({9, 4}, 10);
  ASSERT_THAT(u, IsOk());
  EXPECT_DOUBLE_EQ(u->sd, 1.5);
  EXPECT_DOUBLE_EQ(u->ci95_half_width, 1.96 * 1.5 + 5);
  // No noise: only the rounding half-step remains.
  u = NoiseUncertaintyOf({0, 1}, 5);
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->sd, 0);
  EXPECT_EQ(u->ci95_half_width, 2.5);
}

TEST(NoiseUncertaintyTest, RefusesAZeroDenominatorOrRoundingBase) {
  EXPECT_THAT(NoiseUncertaintyOf({52, 0}, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NoiseUncertaintyOf({52, 1}, 0), StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- Combine
// -----------------------------------------------------------------------------

TEST(CombineTest, SumsNoisyValuesPerRegionAndForEngland) {
  std::vector<Submission> subs = {MakeSubmission(kWestminster, Ramp(0)),
                                  MakeSubmission(kGateshead, Ramp(3)),
                                  MakeSubmission(kCamden, Ramp(11))};
  absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
  ASSERT_THAT(table, IsOk());
  EXPECT_EQ(table->year, kYear);
  EXPECT_EQ(table->catalogue_version, catalogue::kCatalogueVersion);
  EXPECT_THAT(table->la_codes, ElementsAre(kGateshead, kCamden, kWestminster));

  const auto& grid = catalogue::GridCells();
  const auto& rule = policy::kDefaultDisclosureRule;
  for (size_t i = 0; i < grid.size(); ++i) {
    const int64_t w = Ramp(0)[i], g = Ramp(3)[i], c = Ramp(11)[i];
    const ReleasedCell& eng = Find(*table, GeographicLevel::kNational, "", grid[i]);
    EXPECT_EQ(eng.published, policy::ApplyDisclosureRule(rule, w + g + c)) << i;
    EXPECT_EQ(eng.contributing_las, 3);
    EXPECT_TRUE(eng.region_code.empty());
    EXPECT_TRUE(eng.la_code.empty());
    const ReleasedCell& london = Find(*table, GeographicLevel::kRegional, kLondon, grid[i]);
    EXPECT_EQ(london.published, policy::ApplyDisclosureRule(rule, w + c)) << i;
    EXPECT_EQ(london.contributing_las, 2);
    EXPECT_EQ(london.region_name, "London");
    EXPECT_TRUE(london.la_code.empty());
    const ReleasedCell& ne = Find(*table, GeographicLevel::kRegional, kNorthEast, grid[i]);
    EXPECT_EQ(ne.published, policy::ApplyDisclosureRule(rule, g)) << i;
    EXPECT_EQ(ne.contributing_las, 1);
  }
  // A hand-checked cell: cla/total/total is 100 + 103 + 111 = 314 -> 315.
  EXPECT_EQ(Find(*table, GeographicLevel::kNational, "", TotalKey()).published,
            (policy::PublishedValue{false, 315}));
  // London: 100 + 111 = 211 -> 210.
  EXPECT_EQ(Find(*table, GeographicLevel::kRegional, kLondon, TotalKey()).published,
            (policy::PublishedValue{false, 210}));
}

TEST(CombineTest, RowsAreOrderedNationalRegionsThenLasEachInCatalogueOrder) {
  std::vector<Submission> subs = {MakeSubmission(kWestminster, Ramp(0)),
                                  MakeSubmission(kCamden, Ramp(1)),
                                  MakeSubmission(kGateshead, Ramp(2))};
  absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
  ASSERT_THAT(table, IsOk());
  const size_t n = GridSize();
  // England, North East, London, Gateshead, Camden, Westminster.
  ASSERT_EQ(table->cells.size(), 6 * n);
  std::vector<std::string> geos;
  for (size_t block = 0; block < 6; ++block) {
    for (size_t i = 0; i < n; ++i) {
      const ReleasedCell& c = table->cells[block * n + i];
      EXPECT_EQ(c.key, catalogue::GridCells()[i]);
      EXPECT_EQ(c.level, table->cells[block * n].level);
      EXPECT_EQ(c.la_code + c.region_code,
                table->cells[block * n].la_code + table->cells[block * n].region_code);
    }
    const ReleasedCell& first = table->cells[block * n];
    geos.push_back(first.level == GeographicLevel::kNational   ? "England"
                   : first.level == GeographicLevel::kRegional ? first.region_code
                                                               : first.la_code);
  }
  EXPECT_THAT(geos, ElementsAre("England", kNorthEast, kLondon, kGateshead, kCamden, kWestminster));
}

TEST(CombineTest, LaRowsCarryTheNodesRoundedValueNeverTheNoisyValue) {
  // Noisy values that are not multiples of the rounding base, some below the
  // threshold.
  std::vector<int64_t> noisy = Ramp(1);
  noisy[1] = 7;   // suppressed at the node
  noisy[2] = -3;  // negative noise on a zero count
  Submission s = MakeSubmission(kWestminster, noisy);
  absl::StatusOr<ReleaseTable> table = Combine(kYear, {s});
  ASSERT_THAT(table, IsOk());
  int la_rows = 0;
  for (const ReleasedCell& c : table->cells) {
    if (c.level != GeographicLevel::kLocalAuthority) continue;
    ++la_rows;
    const int idx = catalogue::CellIndex(c.key);
    ASSERT_GE(idx, 0);
    EXPECT_EQ(c.published, s.cells[idx].published) << idx;
    EXPECT_NE(c.published.value, noisy[idx]) << "LA row leaks the noisy value of cell " << idx;
    EXPECT_EQ(c.la_name, "Westminster");
    EXPECT_EQ(c.region_code, kLondon);
    EXPECT_EQ(c.contributing_las, 1);
  }
  EXPECT_EQ(la_rows, static_cast<int>(GridSize()));
  const ReleasedCell& suppressed = table->cells[2 * GridSize() + 1];
  EXPECT_TRUE(suppressed.published.suppressed);
  EXPECT_EQ(suppressed.published.value, 0);
}

TEST(CombineTest, SmallRegionalSumsAreSuppressedWhileTheNationalSumIsNot) {
  // London: 3 + 4 = 7 < 10, suppressed; England adds Gateshead's 6: 13 -> 15.
  std::vector<Submission> subs = {MakeSubmission(kWestminster, Constant(3)),
                                  MakeSubmission(kCamden, Constant(4)),
                                  MakeSubmission(kGateshead, Constant(6))};
  absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
  ASSERT_THAT(table, IsOk());
  const ReleasedCell& london = Find(*table, GeographicLevel::kRegional, kLondon, TotalKey());
  EXPECT_TRUE(london.published.suppressed);
  EXPECT_EQ(london.published.value, 0);
  EXPECT_TRUE(
      Find(*table, GeographicLevel::kRegional, kNorthEast, TotalKey()).published.suppressed);
  EXPECT_EQ(Find(*table, GeographicLevel::kNational, "", TotalKey()).published,
            (policy::PublishedValue{false, 15}));
}

TEST(CombineTest, NegativeNoiseCancelsInSums) {
  // A region whose LAs report -2 and 12: the sum 10 is at the threshold,
  // published as 10.
  std::vector<Submission> subs = {MakeSubmission(kWestminster, Constant(-2)),
                                  MakeSubmission(kCamden, Constant(12))};
  absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
  ASSERT_THAT(table, IsOk());
  EXPECT_EQ(Find(*table, GeographicLevel::kRegional, kLondon, TotalKey()).published,
            (policy::PublishedValue{false, 10}));
}

TEST(CombineTest, NoiseVarianceIsTheExactSumOverContributingLas) {
  std::vector<Submission> subs = {MakeSubmission(kGateshead, Ramp(0), Rational{18, 4}),
                                  MakeSubmission(kCamden, Ramp(0), Rational{10, 3}),
                                  MakeSubmission(kWestminster, Ramp(0), Rational{5, 6})};
  absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
  ASSERT_THAT(table, IsOk());
  // England: 9/2 + 10/3 + 5/6 = 27/6 + 20/6 + 5/6 = 52/6 = 26/3.
  EXPECT_EQ(Find(*table, GeographicLevel::kNational, "", TotalKey()).noise_variance,
            (Rational{26, 3}));
  // London: 10/3 + 5/6 = 25/6.
  EXPECT_EQ(Find(*table, GeographicLevel::kRegional, kLondon, TotalKey()).noise_variance,
            (Rational{25, 6}));
  // An LA row carries its own variance, reduced.
  EXPECT_EQ(Find(*table, GeographicLevel::kLocalAuthority, kGateshead, TotalKey()).noise_variance,
            (Rational{9, 2}));
}

TEST(CombineTest, EveryCellCarriesTheSdAndHalfWidthOfItsNoiseAndRounding) {
  // Three London LAs at sigma^2 = 52 each, one small enough to be suppressed.
  std::vector<Submission> subs = {MakeSubmission(kCamden, Ramp(0), Rational{52, 1}),
                                  MakeSubmission(kIslington, Ramp(3), Rational{52, 1}),
                                  MakeSubmission(kWestminster, Constant(4), Rational{52, 1})};
  absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
  ASSERT_THAT(table, IsOk());
  const double la_sd = std::sqrt(52.0);       // 7.2111
  const double region_sd = std::sqrt(156.0);  // 12.4900: variances add
  for (const ReleasedCell& c : table->cells) {
    const bool one_la = c.level == GeographicLevel::kLocalAuthority;
    const double sd = one_la ? la_sd : region_sd;
    EXPECT_EQ(c.noise_variance, (Rational{one_la ? 52u : 156u, 1}));
    EXPECT_NEAR(c.noise_sd, sd, 1e-9) << c.la_code << " " << c.key.indicator;
    EXPECT_NEAR(c.ci95_half_width, 1.96 * sd + 2.5, 1e-9);
  }
  // London, a regional cell of 3 LAs: variance 156, sd 12.490, half-width
  // 1.96 * 12.490 + 2.5 = 26.980.
  const ReleasedCell& london = Find(*table, GeographicLevel::kRegional, kLondon, TotalKey());
  EXPECT_EQ(london.contributing_las, 3);
  EXPECT_NEAR(london.noise_sd, 12.4899960, 1e-6);
  EXPECT_NEAR(london.ci95_half_width, 26.9803922, 1e-6);
  // A suppressed cell carries them too: they depend on no value.
  const ReleasedCell& suppressed =
      Find(*table, GeographicLevel::kLocalAuthority, kWestminster, TotalKey());
  EXPECT_TRUE(suppressed.published.suppressed);
  EXPECT_NEAR(suppressed.noise_sd, 7.2111026, 1e-6);
  EXPECT_NEAR(suppressed.ci95_half_width, 16.6337610, 1e-6);
}

TEST(CombineTest, VarianceOverflowFailsInternal) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  std::vector<Submission> subs = {MakeSubmission(kCamden, Ramp(0), Rational{1, max}),
                                  MakeSubmission(kWestminster, Ramp(0), Rational{1, max - 1})};
  EXPECT_THAT(Combine(kYear, subs), StatusIs(absl::StatusCode::kInternal));
}

TEST(CombineTest, NoSubmissionsIsNotFound) {
  EXPECT_THAT(Combine(kYear, {}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("2025")));
}

TEST(CombineTest, TwoSubmissionsFromOneLaAreRefused) {
  std::vector<Submission> subs = {MakeSubmission(kCamden, Ramp(0)),
                                  MakeSubmission(kCamden, Ramp(5))};
  EXPECT_THAT(Combine(kYear, subs),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two submissions")));
}

TEST(CombineTest, SubmissionForAnotherYearIsRefused) {
  Submission s = MakeSubmission(kCamden, Ramp(0));
  s.year = 2024;
  EXPECT_THAT(Combine(kYear, {s}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not 2025")));
}

TEST(CombineTest, InvalidSubmissionIsRefused) {
  Submission s = MakeSubmission(kCamden, Ramp(0));
  s.cells[0].published.value += 5;
  EXPECT_THAT(Combine(kYear, {MakeSubmission(kWestminster, Ramp(0)), s}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("E09000007")));
}

// --- ValidateSubmission
// ------------------------------------------------------------------

TEST(ValidateSubmissionTest, AcceptsAWellFormedGrid) {
  EXPECT_THAT(ValidateSubmission(MakeSubmission(kWestminster, Ramp(0))), IsOk());
  EXPECT_THAT(ValidateSubmission(MakeSubmission(kWestminster, Constant(-40))), IsOk());
}

TEST(ValidateSubmissionTest, RefusesCellsOutOfCatalogueOrder) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  std::swap(s.cells[1], s.cells[2]);
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cell 2 is cla/sex/female but catalogue order has "
                                 "cla/sex/male there")));
}

TEST(ValidateSubmissionTest, RefusesAMissingCell) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells.pop_back();
  const catalogue::CellKey& last = catalogue::GridCells().back();
  EXPECT_THAT(ValidateSubmission(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("missing cell " + last.indicator + "/" +
                                                        last.breakdown + "/" + last.group)));
  Submission middle = MakeSubmission(kWestminster, Ramp(0));
  middle.cells.erase(middle.cells.begin() + 3);  // cla/sex/unknown
  EXPECT_THAT(ValidateSubmission(middle),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cla/sex/unknown")));
}

TEST(ValidateSubmissionTest, RefusesAnExtraOrUnknownCell) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells.push_back(s.cells.back());
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("extra cell")));
  Submission unknown = MakeSubmission(kWestminster, Ramp(0));
  unknown.cells[2].key.group = "other";
  EXPECT_THAT(ValidateSubmission(unknown),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cla/sex/other, which is not a cell of catalogue version 1")));
}

TEST(ValidateSubmissionTest, RefusesAnEmptyGrid) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells.clear();
  EXPECT_THAT(ValidateSubmission(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("missing cell cla/total/total")));
}

TEST(ValidateSubmissionTest, RefusesAnotherCatalogueVersion) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.catalogue_version = catalogue::kCatalogueVersion + 1;
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("catalogue version 2")));
}

TEST(ValidateSubmissionTest, RefusesYearOutOfRangeAndUnknownLa) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.year = catalogue::kLastYear + 1;
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside 2020..2030")));
  Submission la = MakeSubmission(kWestminster, Ramp(0));
  la.la_code = "E99999999";
  EXPECT_THAT(ValidateSubmission(la),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("E99999999")));
}

TEST(ValidateSubmissionTest, RefusesInconsistentRounding) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells[0].noisy_value = 23;
  s.cells[0].published = {false, 20};  // 23 rounds to 25
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cell cla/total/total is published as 20 but noisy value 23 "
                                 "must be published as 25")));
  // Publishing the unrounded noisy value is the same fault.
  s.cells[0].published = {false, 23};
  EXPECT_THAT(ValidateSubmission(s), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateSubmissionTest, RefusesANegativeNoisyValueThatIsNotSuppressed) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells[4].noisy_value = -6;
  s.cells[4].published = {false, -5};
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cla/age/under_1: noisy value -6 is below the suppression "
                                 "threshold 10 but the cell is not suppressed")));
}

TEST(ValidateSubmissionTest, RefusesASmallValueThatIsNotSuppressed) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells[1].noisy_value = 9;
  s.cells[1].published = {false, 10};
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not suppressed")));
}

TEST(ValidateSubmissionTest, RefusesSuppressionOfALargeValueOrASuppressedCellWithAValue) {
  Submission s = MakeSubmission(kWestminster, Ramp(2));
  s.cells[1].published = {true, 0};  // noisy 112: must be published as 110
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is suppressed but noisy value 112 must be published as 110")));
  Submission t = MakeSubmission(kWestminster, Constant(3));
  t.cells[0].published = {true, 5};
  EXPECT_THAT(ValidateSubmission(t), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("suppressed with non-zero value 5")));
}

TEST(ValidateSubmissionTest, RefusesNoisyValuesBeyondTheBound) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.cells[0].noisy_value = std::numeric_limits<int64_t>::max();
  s.cells[0].published = policy::ApplyDisclosureRule(s.rule, s.cells[0].noisy_value);
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside +/-")));
  s.cells[0].noisy_value = std::numeric_limits<int64_t>::min();
  s.cells[0].published = {true, 0};
  EXPECT_THAT(ValidateSubmission(s), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateSubmissionTest, RefusesOtherNoiseMechanismsAndZeroParameters) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.noise.mechanism = NoiseMechanism::kUnspecified;
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DISCRETE_GAUSSIAN")));
  for (auto mutate :
       std::vector<void (*)(Submission&)>{[](Submission& x) { x.noise.variance.numerator = 0; },
                                          [](Submission& x) { x.noise.variance.denominator = 0; },
                                          [](Submission& x) { x.noise.rho.numerator = 0; },
                                          [](Submission& x) { x.noise.rho.denominator = 0; }}) {
    Submission t = MakeSubmission(kWestminster, Ramp(0));
    mutate(t);
    EXPECT_THAT(ValidateSubmission(t),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-zero")));
  }
}

TEST(ValidateSubmissionTest, RefusesAnotherDisclosureRule) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.rule.suppression_threshold = 5;
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("suppression threshold 5 differs from the coordinator's 10")));
  Submission t = MakeSubmission(kWestminster, Ramp(0));
  t.rule.rounding_base = 1;
  EXPECT_THAT(ValidateSubmission(t),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rounding base 1")));
}

// --- WithholdSensitive
// -------------------------------------------------------------------

TEST(WithholdSensitiveTest, DropsSensitiveAndUnknownBreakdowns) {
  ReleaseTable t;
  auto add = [&t](const std::string& breakdown, const std::string& group) {
    ReleasedCell c;
    c.key = catalogue::CellKey{"cla", breakdown, group};
    t.cells.push_back(c);
  };
  add("total", "total");
  add("nationality", "british");
  add("immigration_status", "asylum_seeker");
  add("sex", "male");
  add("nrpf", "nrpf");
  add("no_such_breakdown", "x");
  ReleaseTable out = WithholdSensitive(t);
  std::vector<std::string> kept;
  for (const ReleasedCell& c : out.cells) kept.push_back(c.key.breakdown);
  EXPECT_THAT(kept, ElementsAre("total", "sex"));
}

}  // namespace
}  // namespace ringfence::coordinator
