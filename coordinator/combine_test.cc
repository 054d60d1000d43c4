#include "coordinator/combine.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "coordinator/testing/submissions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/disclosure.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::IsOkAndHolds;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
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

// The shipped policy, which sends every cell of the grid (some class receives each
// histogram), with both disclosure rules {10, 5}.
const policy::Policy& Shipped() {
  static const policy::Policy* const kPolicy = [] {
    absl::StatusOr<policy::Policy> p = testing::ShippedPolicy();
    if (!p.ok()) {
      ADD_FAILURE() << p.status();
      return new policy::Policy();
    }
    return new policy::Policy(*std::move(p));
  }();
  return *kPolicy;
}

size_t GridSize() { return catalogue::GridCells().size(); }

// A valid submission under the shipped policy whose cell i has noisy value noisy[i],
// published as the node would.
Submission MakeSubmission(const std::string& la, const std::vector<int64_t>& noisy) {
  return testing::MakeSubmission(Shipped(), la, kYear, noisy);
}

// The shipped policy with rho set so that sigma^2 is `variance`
// (testing::ShippedPolicyWithVariance).
policy::Policy WithVariance(Rational variance) {
  absl::StatusOr<policy::Policy> p = testing::ShippedPolicyWithVariance(variance);
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *std::move(p) : policy::Policy();
}

absl::Status ValidateSubmission(const Submission& s) {
  return coordinator::ValidateSubmission(s, Shipped());
}

absl::StatusOr<ReleaseTable> Combine(int year, const std::vector<Submission>& subs) {
  return coordinator::Combine(year, subs, Shipped());
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
  for (size_t i = 0; i < grid.size(); ++i) {
    const policy::DisclosureRule rule =
        policy::RuleFor(Shipped(), grid[i].indicator, grid[i].breakdown);
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
  // Every LA declares the policy's sigma^2, so a geography of N LAs carries N sigma^2, exactly.
  // Under the shipped policy (rho 1/2), sigma^2 = H.
  const Rational sigma2 = testing::NoiseOf(Shipped()).variance;
  const uint64_t h = static_cast<uint64_t>(policy::SendableHistogramCount(Shipped()));
  ASSERT_EQ(sigma2, (Rational{h, 1}));
  {
    std::vector<Submission> subs = {MakeSubmission(kGateshead, Ramp(0)),
                                    MakeSubmission(kCamden, Ramp(0)),
                                    MakeSubmission(kWestminster, Ramp(0))};
    absl::StatusOr<ReleaseTable> table = Combine(kYear, subs);
    ASSERT_THAT(table, IsOk());
    EXPECT_EQ(Find(*table, GeographicLevel::kNational, "", TotalKey()).noise_variance,
              (Rational{3 * h, 1}));
    EXPECT_EQ(Find(*table, GeographicLevel::kRegional, kLondon, TotalKey()).noise_variance,
              (Rational{2 * h, 1}));
    EXPECT_EQ(Find(*table, GeographicLevel::kRegional, kNorthEast, TotalKey()).noise_variance,
              (Rational{h, 1}));
    EXPECT_EQ(Find(*table, GeographicLevel::kLocalAuthority, kCamden, TotalKey()).noise_variance,
              (Rational{h, 1}));
  }
  // A policy whose sigma^2 is not an integer: sums are exact rationals, reduced.
  const policy::Policy p = WithVariance({9, 2});
  std::vector<Submission> subs = {testing::MakeSubmission(p, kGateshead, kYear, Ramp(0)),
                                  testing::MakeSubmission(p, kCamden, kYear, Ramp(0)),
                                  testing::MakeSubmission(p, kWestminster, kYear, Ramp(0))};
  absl::StatusOr<ReleaseTable> table = coordinator::Combine(kYear, subs, p);
  ASSERT_THAT(table, IsOk());
  // England: 3 x 9/2 = 27/2.
  EXPECT_EQ(Find(*table, GeographicLevel::kNational, "", TotalKey()).noise_variance,
            (Rational{27, 2}));
  // London: 2 x 9/2 = 9, reduced to 9/1.
  EXPECT_EQ(Find(*table, GeographicLevel::kRegional, kLondon, TotalKey()).noise_variance,
            (Rational{9, 1}));
  // An LA row carries its own variance.
  EXPECT_EQ(Find(*table, GeographicLevel::kLocalAuthority, kGateshead, TotalKey()).noise_variance,
            (Rational{9, 2}));
}

TEST(CombineTest, EveryCellCarriesTheSdAndHalfWidthOfItsNoiseAndRounding) {
  // Three London LAs under a policy with sigma^2 = 52, one small enough to be suppressed.
  const policy::Policy p = WithVariance({52, 1});
  std::vector<Submission> subs = {testing::MakeSubmission(p, kCamden, kYear, Ramp(0)),
                                  testing::MakeSubmission(p, kIslington, kYear, Ramp(3)),
                                  testing::MakeSubmission(p, kWestminster, kYear, Constant(4))};
  absl::StatusOr<ReleaseTable> table = coordinator::Combine(kYear, subs, p);
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

TEST(CombineTest, ASubmissionWithAnotherVarianceIsRefused) {
  // Before ValidateSubmission pinned the variance, a tiny declared variance could overflow the
  // sum; now it is refused as a submission (AddRational's overflow is tested above).
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  Submission odd = MakeSubmission(kWestminster, Ramp(0));
  odd.noise.variance = Rational{1, max};
  std::vector<Submission> subs = {MakeSubmission(kCamden, Ramp(0)), odd};
  EXPECT_THAT(Combine(kYear, subs),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(kWestminster), HasSubstr("declared noise variance"))));
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

TEST(PolicyNoiseTest, IsRhoPerRoundAndHOverTwoRho) {
  const uint64_t h = static_cast<uint64_t>(policy::SendableHistogramCount(Shipped()));
  ASSERT_GT(h, 1u);
  absl::StatusOr<NoiseParameters> shipped = PolicyNoise(Shipped());
  ASSERT_THAT(shipped, IsOk());
  EXPECT_EQ(shipped->mechanism, NoiseMechanism::kDiscreteGaussian);
  // rho = 1/2: sigma^2 = H / (2 * 1/2) = H.
  EXPECT_EQ(shipped->rho, (Rational{1, 2}));
  EXPECT_EQ(shipped->variance, (Rational{h, 1}));
  // rho = 3/7: sigma^2 = 7H / 6, in lowest terms.
  absl::StatusOr<policy::Policy> p =
      testing::ShippedPolicyWith(R"(rho_per_round: "1/2")", R"(rho_per_round: "3/7")");
  ASSERT_THAT(p, IsOk());
  absl::StatusOr<NoiseParameters> noise = PolicyNoise(*p);
  ASSERT_THAT(noise, IsOk());
  EXPECT_EQ(noise->rho, (Rational{3, 7}));
  const uint64_t g = std::gcd<uint64_t>(7 * h, 6);
  EXPECT_EQ(noise->variance, (Rational{7 * h / g, 6 / g}));
  // A policy that sends nothing defines no noise.
  policy::Policy none = Shipped();
  none.classes.clear();
  EXPECT_THAT(PolicyNoise(none),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sends no histogram")));
}

TEST(ValidateSubmissionTest, AcceptsThePolicysNoiseInAnyEqualForm) {
  const policy::Policy p = WithVariance({9, 2});
  Submission s = testing::MakeSubmission(p, kWestminster, kYear, Ramp(0));
  ASSERT_EQ(s.noise.variance, (Rational{9, 2}));
  EXPECT_THAT(coordinator::ValidateSubmission(s, p), IsOk());
  // Value equality, not representation: 18/4 is 9/2, and rho scaled likewise is the same rho.
  s.noise.variance = Rational{18, 4};
  s.noise.rho.numerator *= 3;
  s.noise.rho.denominator *= 3;
  EXPECT_THAT(coordinator::ValidateSubmission(s, p), IsOk());
}

TEST(ValidateSubmissionTest, RefusesADeclaredRhoOtherThanThePolicys) {
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  ASSERT_EQ(s.noise.rho, (Rational{1, 2}));
  s.noise.rho = Rational{1, 4};  // the variance still says 1/2
  EXPECT_THAT(
      ValidateSubmission(s),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr(kWestminster), HasSubstr("declared rho 1/4"),
                     HasSubstr("policy's rho_per_round 1/2"), HasSubstr("policy 'england-2025'"))));
  // A node spending more than the policy allows is refused as well.
  s.noise.rho = Rational{1, 1};
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declared rho 1 is not")));
  EXPECT_THAT(Combine(kYear, {s}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateSubmissionTest, RefusesADeclaredVarianceOtherThanThePolicys) {
  const uint64_t h = static_cast<uint64_t>(policy::SendableHistogramCount(Shipped()));
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  ASSERT_EQ(s.noise.variance, (Rational{h, 1}));
  // Less noise than the policy's (the right rho, so only the variance is wrong).
  s.noise.variance = Rational{h, 2};
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(kWestminster),
                             HasSubstr(absl::StrCat("declared noise variance ", h, "/2")),
                             HasSubstr(absl::StrCat("sigma^2 = H / (2 rho) = ", h, " (H = ", h,
                                                    " sendable histograms, rho = 1/2")),
                             HasSubstr("policy 'england-2025'"))));
  // More noise is refused too: the declared figure is what recipients' intervals come from.
  s.noise.variance = Rational{h + 1, 1};
  EXPECT_THAT(ValidateSubmission(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declared noise variance")));
  // The variance of another policy's rho, with that rho declared: the rho is refused first.
  const policy::Policy other = WithVariance({9, 2});
  Submission t = testing::MakeSubmission(other, kWestminster, kYear, Ramp(0));
  t.policy_digest = Shipped().digest;
  EXPECT_THAT(ValidateSubmission(t),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declared rho")));
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

// --- The policy: digest, the cells a node sends, the rule per taint
// --------------------------------------------------------

// Every `breakdowns: "*"` of the shipped policy spelled out without nrpf: then no class
// receives the nrpf histograms, so no node sends them.
constexpr char kEveryBreakdownButNrpf[] =
    R"(breakdowns: "total" breakdowns: "sex" breakdowns: "age" breakdowns: "ethnicity" )"
    R"(breakdowns: "uasc" breakdowns: "legal_status" breakdowns: "placement" )"
    R"(breakdowns: "nationality" breakdowns: "immigration_status" breakdowns: "leaver_age" )"
    R"(breakdowns: "ceased_reason")";

policy::Policy Variant(absl::string_view from, absl::string_view to) {
  absl::StatusOr<policy::Policy> p = testing::ShippedPolicyWith(from, to);
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *std::move(p) : policy::Policy();
}

policy::Policy WithoutNrpf() { return Variant(R"(breakdowns: "*")", kEveryBreakdownButNrpf); }

// Tainted cells suppressed below 20 and rounded to 10; untainted ones keep {10, 5}.
policy::Policy StricterTainted() {
  // (" tainted", so that "untainted {" does not match.)
  return Variant(" tainted { suppress_below: 10 round_to: 5 }",
                 " tainted { suppress_below: 20 round_to: 10 }");
}

// Index of the first sent cell of `breakdown` under `p`.
size_t FirstOf(const policy::Policy& p, const std::string& indicator,
               const std::string& breakdown) {
  const std::vector<catalogue::CellKey> keys = testing::SentCells(p);
  for (size_t k = 0; k < keys.size(); ++k) {
    if (keys[k].indicator == indicator && keys[k].breakdown == breakdown) return k;
  }
  ADD_FAILURE() << "no sent cell " << indicator << "/" << breakdown;
  return 0;
}

TEST(PolicyDigestTest, RefusesASubmissionUnderAnotherPolicyNamingBothDigestsAndTheFile) {
  const policy::Policy renamed = Variant(R"(name: "england-2025")", R"(name: "england-2025-b")");
  ASSERT_NE(renamed.digest, Shipped().digest);
  // Valid in every other respect (the same cells and rules), but made under `renamed`.
  Submission s = testing::MakeSubmission(renamed, kWestminster, kYear, Ramp(0));
  EXPECT_THAT(coordinator::ValidateSubmission(s, renamed), IsOk());
  EXPECT_THAT(
      ValidateSubmission(s),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(renamed.digest.substr(0, 12)),
                     HasSubstr(Shipped().digest.substr(0, 12)), HasSubstr("policy 'england-2025'"),
                     HasSubstr(Shipped().file), HasSubstr("must load the same policy file"))));
  EXPECT_THAT(Combine(kYear, {s}), StatusIs(absl::StatusCode::kFailedPrecondition));

  s.policy_digest.clear();
  EXPECT_THAT(ValidateSubmission(s), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("the node sent no policy digest")));
}

TEST(PolicyDigestTest, TheDigestIsCheckedBeforeTheCells) {
  // A node under another policy sends other cells; the message must say why.
  Submission s = MakeSubmission(kWestminster, Ramp(0));
  s.policy_digest = WithoutNrpf().digest;
  EXPECT_THAT(ValidateSubmission(s), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SendableCellsTest, ExpectsExactlyTheCellsSomeClassReceivesInCatalogueOrder) {
  const policy::Policy p = WithoutNrpf();
  const std::vector<catalogue::CellKey> sent = testing::SentCells(p);
  ASSERT_LT(sent.size(), GridSize());
  for (const catalogue::CellKey& k : sent) EXPECT_NE(k.breakdown, "nrpf");
  const std::vector<int64_t> noisy(sent.size(), 123);
  EXPECT_THAT(coordinator::ValidateSubmission(testing::MakeSubmission(p, kCamden, kYear, noisy), p),
              IsOk());

  // The whole grid, nrpf included, under p's digest and noise: a cell no class receives is
  // refused. (Its own noise, sigma^2 = H for the shipped policy's larger H, is refused first.)
  Submission whole = MakeSubmission(kCamden, Constant(123));
  whole.policy_digest = p.digest;
  EXPECT_THAT(coordinator::ValidateSubmission(whole, p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("declared noise variance")));
  whole.noise = testing::NoiseOf(p);
  EXPECT_THAT(coordinator::ValidateSubmission(whole, p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("cla/nrpf/nrpf"),
                             HasSubstr("which no recipient class receives under the policy"))));

  // A sendable cell left out is refused too.
  Submission missing = testing::MakeSubmission(p, kCamden, kYear, noisy);
  missing.cells.erase(missing.cells.begin() + FirstOf(p, "cla", "nationality"));
  EXPECT_THAT(coordinator::ValidateSubmission(missing, p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cla/nationality/")));
  Submission extra = testing::MakeSubmission(p, kCamden, kYear, noisy);
  extra.cells.push_back(whole.cells.back());
  EXPECT_THAT(coordinator::ValidateSubmission(extra, p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("extra cell")));
}

TEST(SendableCellsTest, CombineReleasesOnlyTheSentCells) {
  const policy::Policy p = WithoutNrpf();
  const size_t n = testing::SentCells(p).size();
  absl::StatusOr<ReleaseTable> t = coordinator::Combine(
      kYear,
      {testing::MakeSubmission(p, kCamden, kYear, std::vector<int64_t>(n, 40)),
       testing::MakeSubmission(p, kGateshead, kYear, std::vector<int64_t>(n, 41))},
      p);
  ASSERT_THAT(t, IsOk());
  // England, North East, London, Gateshead, Camden.
  EXPECT_EQ(t->cells.size(), 5 * n);
  for (const ReleasedCell& c : t->cells) EXPECT_NE(c.key.breakdown, "nrpf");
}

TEST(TaintRuleTest, EachCellIsCheckedAgainstTheRuleOfItsTaint) {
  const policy::Policy p = StricterTainted();
  ASSERT_EQ(p.tainted_rule.suppression_threshold, 20);
  ASSERT_EQ(p.untainted_rule.suppression_threshold, 10);
  const size_t n = testing::SentCells(p).size();
  const size_t tainted = FirstOf(p, "cla", "nationality");
  const size_t untainted = FirstOf(p, "cla", "sex");
  ASSERT_TRUE(policy::IsTainted(p, "cla", "nationality"));
  ASSERT_FALSE(policy::IsTainted(p, "cla", "sex"));

  // 15 is published as 15 when untainted, suppressed when tainted (below 20); 26 is 25 or 30.
  std::vector<int64_t> noisy(n, 26);
  noisy[tainted] = 15;
  noisy[untainted] = 15;
  Submission good = testing::MakeSubmission(p, kCamden, kYear, noisy);
  EXPECT_EQ(good.cells[tainted].published, (policy::PublishedValue{true, 0}));
  EXPECT_EQ(good.cells[untainted].published, (policy::PublishedValue{false, 15}));
  EXPECT_EQ(good.cells[tainted + 1].published, (policy::PublishedValue{false, 30}));
  EXPECT_EQ(good.cells[untainted + 1].published, (policy::PublishedValue{false, 25}));
  EXPECT_THAT(coordinator::ValidateSubmission(good, p), IsOk());

  // A node that applied the untainted rule to a tainted cell.
  Submission lax = good;
  lax.cells[tainted].published = {false, 15};
  EXPECT_THAT(coordinator::ValidateSubmission(lax, p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("below the suppression threshold 20"),
                             HasSubstr("the policy's tainted rule"))));
  Submission coarse = good;
  coarse.cells[tainted + 1].published = {false, 25};
  EXPECT_THAT(coordinator::ValidateSubmission(coarse, p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must be published as 30 (rule: suppress below 20, then round "
                                 "to base 10, the policy's tainted rule)")));
  // And one that applied the tainted rule to an untainted cell.
  Submission strict = good;
  strict.cells[untainted].published = {true, 0};
  EXPECT_THAT(coordinator::ValidateSubmission(strict, p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("untainted rule")));
}

TEST(TaintRuleTest, TheDeclaredRulesMustBeThePolicys) {
  const policy::Policy p = StricterTainted();
  Submission s = testing::MakeSubmission(p, kCamden, kYear,
                                         std::vector<int64_t>(testing::SentCells(p).size(), 50));
  s.tainted_rule = p.untainted_rule;
  EXPECT_THAT(coordinator::ValidateSubmission(s, p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tainted-cell suppression threshold 10 differs from the "
                                 "coordinator's 20")));
  s.tainted_rule = {20, 5};
  EXPECT_THAT(
      coordinator::ValidateSubmission(s, p),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("tainted-cell rounding base 5 differs from the coordinator's 10")));
}

TEST(TaintRuleTest, RegionalAndNationalSumsUseTheRuleOfTheirTaint) {
  const policy::Policy p = StricterTainted();
  const size_t n = testing::SentCells(p).size();
  // Two London LAs at 13 each: a sum of 26, which is 25 untainted and 30 tainted.
  absl::StatusOr<ReleaseTable> t = coordinator::Combine(
      kYear,
      {testing::MakeSubmission(p, kCamden, kYear, std::vector<int64_t>(n, 13)),
       testing::MakeSubmission(p, kWestminster, kYear, std::vector<int64_t>(n, 13))},
      p);
  ASSERT_THAT(t, IsOk());
  // Each LA's sigma^2 (the policy's), and the sum over the two.
  const Rational sigma2 = testing::NoiseOf(p).variance;
  const double la_var = static_cast<double>(sigma2.numerator) / sigma2.denominator;
  const catalogue::CellKey sex{"cla", "sex", "male"};
  const catalogue::CellKey nationality{"cla", "nationality", "british"};
  for (GeographicLevel level : {GeographicLevel::kNational, GeographicLevel::kRegional}) {
    const std::string code = level == GeographicLevel::kRegional ? kLondon : "";
    const ReleasedCell& u = Find(*t, level, code, sex);
    const ReleasedCell& x = Find(*t, level, code, nationality);
    EXPECT_EQ(u.published, (policy::PublishedValue{false, 25}));
    EXPECT_EQ(x.published, (policy::PublishedValue{false, 30}));
    // The half-width adds half of each cell's own rounding base.
    EXPECT_NEAR(u.ci95_half_width, 1.96 * std::sqrt(2 * la_var) + 2.5, 1e-9);
    EXPECT_NEAR(x.ci95_half_width, 1.96 * std::sqrt(2 * la_var) + 5, 1e-9);
  }
  // LA rows: 13 is 15 untainted, suppressed tainted (below 20).
  EXPECT_EQ(Find(*t, GeographicLevel::kLocalAuthority, kCamden, sex).published,
            (policy::PublishedValue{false, 15}));
  const ReleasedCell& la_tainted = Find(*t, GeographicLevel::kLocalAuthority, kCamden, nationality);
  EXPECT_TRUE(la_tainted.published.suppressed);
  EXPECT_NEAR(la_tainted.ci95_half_width, 1.96 * std::sqrt(la_var) + 5, 1e-9);
}

// --- FilterForRecipient
// -------------------------------------------------------------------

bool SensitiveBreakdown(const std::string& breakdown) {
  return breakdown == "nationality" || breakdown == "immigration_status" || breakdown == "nrpf";
}

// England, London, North East, and three LAs (Gateshead, Camden, Westminster).
ReleaseTable ThreeLaTable() {
  absl::StatusOr<ReleaseTable> t =
      Combine(kYear, {MakeSubmission(kWestminster, Ramp(0)), MakeSubmission(kGateshead, Ramp(3)),
                      MakeSubmission(kCamden, Ramp(11))});
  EXPECT_THAT(t, IsOk());
  return t.ok() ? *std::move(t) : ReleaseTable();
}

ReleaseAudience For(const std::string& recipient_class, const std::string& own_la = "",
                    std::vector<GeographicLevel> levels = {}) {
  return ReleaseAudience{recipient_class, own_la, std::move(levels)};
}

TEST(FilterForRecipientTest, EachClassGetsExactlyWhatThePolicyGrantsIt) {
  const ReleaseTable all = ThreeLaTable();
  for (const policy::RecipientClass& cls : Shipped().classes) {
    const std::string own = cls.name == policy::kLaOwnClass ? kCamden : "";
    absl::StatusOr<ReleaseTable> got = FilterForRecipient(all, Shipped(), For(cls.name, own));
    ASSERT_THAT(got, IsOk()) << cls.name;
    EXPECT_EQ(got->recipient_class, cls.name);
    EXPECT_EQ(got->policy_digest, Shipped().digest);
    EXPECT_EQ(got->la_codes, all.la_codes);
    std::vector<const ReleasedCell*> want;
    for (const ReleasedCell& c : all.cells) {
      if (cls.name == policy::kLaOwnClass && c.level == GeographicLevel::kLocalAuthority &&
          c.la_code != kCamden) {
        continue;
      }
      if (policy::Receives(Shipped(), cls.name, c.key.indicator, c.key.breakdown,
                           ToPolicyLevel(c.level))) {
        want.push_back(&c);
      }
    }
    ASSERT_EQ(got->cells.size(), want.size()) << cls.name;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got->cells[i].key, want[i]->key) << cls.name << " " << i;
      EXPECT_EQ(got->cells[i].level, want[i]->level);
      EXPECT_EQ(got->cells[i].la_code + got->cells[i].region_code,
                want[i]->la_code + want[i]->region_code);
      EXPECT_EQ(got->cells[i].published, want[i]->published);
    }
  }
}

TEST(FilterForRecipientTest, EnforcementGetsNoCellDerivedFromASensitiveAttribute) {
  const ReleaseTable all = ThreeLaTable();
  absl::StatusOr<ReleaseTable> got =
      FilterForRecipient(all, Shipped(), For(policy::kEnforcementClass));
  ASSERT_THAT(got, IsOk());
  absl::StatusOr<ReleaseTable> pub = FilterForRecipient(all, Shipped(), For(policy::kPublicClass));
  ASSERT_THAT(pub, IsOk());
  // Enforcement reads what is public (as everyone can), plus its own grant: the national
  // count of children looked after, which is public already. Nothing tainted in either.
  EXPECT_EQ(got->cells.size(), pub->cells.size());
  ASSERT_FALSE(got->cells.empty());
  std::set<std::string> las;
  bool national_total = false;
  for (const ReleasedCell& c : got->cells) {
    EXPECT_FALSE(SensitiveBreakdown(c.key.breakdown)) << c.key.breakdown;
    EXPECT_FALSE(policy::IsTainted(Shipped(), c.key.indicator, c.key.breakdown));
    national_total |= c.level == GeographicLevel::kNational && c.key == TotalKey();
    if (c.level == GeographicLevel::kLocalAuthority) las.insert(c.la_code);
  }
  EXPECT_TRUE(national_total);
  EXPECT_EQ(las.size(), 3u);
  // The shipped policy does send tainted cells: the filter, not the grid, withholds them.
  size_t tainted = 0;
  for (const ReleasedCell& c : all.cells) tainted += SensitiveBreakdown(c.key.breakdown);
  EXPECT_GT(tainted, 0u);
  EXPECT_EQ(got->cells.size() + tainted, all.cells.size());
}

TEST(FilterForRecipientTest, AnalystsAndInspectorsGetTheSensitiveBreakdownsAtEveryLevel) {
  const ReleaseTable all = ThreeLaTable();
  for (const char* cls : {"dfe_analyst", "inspectorate"}) {
    absl::StatusOr<ReleaseTable> got = FilterForRecipient(all, Shipped(), For(cls));
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->cells.size(), all.cells.size()) << cls;
    std::set<GeographicLevel> nationality_levels;
    for (const ReleasedCell& c : got->cells) {
      if (c.key.breakdown == "nationality") nationality_levels.insert(c.level);
    }
    EXPECT_EQ(nationality_levels.size(), 3u) << cls;
  }
}

TEST(FilterForRecipientTest, AnLaReadsItsOwnLaRowsAndNoOtherLas) {
  absl::StatusOr<ReleaseTable> got =
      FilterForRecipient(ThreeLaTable(), Shipped(), For(policy::kLaOwnClass, kCamden));
  ASSERT_THAT(got, IsOk());
  std::map<GeographicLevel, int> per_level;
  bool own_nationality = false;
  for (const ReleasedCell& c : got->cells) {
    ++per_level[c.level];
    if (c.level == GeographicLevel::kLocalAuthority) {
      EXPECT_EQ(c.la_code, kCamden);
      own_nationality |= c.key.breakdown == "nationality";
    }
  }
  EXPECT_TRUE(own_nationality);
  // England, both regions, and one LA: every sent cell of each.
  EXPECT_EQ(per_level[GeographicLevel::kNational], static_cast<int>(GridSize()));
  EXPECT_EQ(per_level[GeographicLevel::kRegional], static_cast<int>(2 * GridSize()));
  EXPECT_EQ(per_level[GeographicLevel::kLocalAuthority], static_cast<int>(GridSize()));
}

TEST(FilterForRecipientTest, UnknownClassesAndLaOwnWithoutAnLaGetNothing) {
  EXPECT_THAT(FilterForRecipient(ThreeLaTable(), Shipped(), For("someclass")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("'someclass' is not in the coordinator's policy "
                                       "'england-2025'"),
                             HasSubstr("receives nothing"))));
  EXPECT_THAT(FilterForRecipient(ThreeLaTable(), Shipped(), For("")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(FilterForRecipient(ThreeLaTable(), Shipped(), For(policy::kLaOwnClass)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("LA's certificate")));
  // A default policy (no classes) releases nothing to anyone.
  EXPECT_THAT(FilterForRecipient(ThreeLaTable(), policy::Policy(), For("dfe_analyst")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(FilterForRecipientTest, LevelsNarrowTheRelease) {
  absl::StatusOr<ReleaseTable> got = FilterForRecipient(
      ThreeLaTable(), Shipped(),
      For("dfe_analyst", "", {GeographicLevel::kRegional, GeographicLevel::kNational}));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->cells.size(), 3 * GridSize());
  for (const ReleasedCell& c : got->cells) {
    EXPECT_NE(c.level, GeographicLevel::kLocalAuthority);
  }
  // Levels never widen what a class receives: enforcement asking for LA rows gets the
  // public ones, nothing tainted.
  got = FilterForRecipient(ThreeLaTable(), Shipped(),
                           For(policy::kEnforcementClass, "", {GeographicLevel::kLocalAuthority}));
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->cells.empty());
  for (const ReleasedCell& c : got->cells) {
    EXPECT_EQ(c.level, GeographicLevel::kLocalAuthority);
    EXPECT_FALSE(SensitiveBreakdown(c.key.breakdown));
  }
  // A class with no grant at a level gets nothing there: here the shipped la_own at LA level
  // for an LA that did not submit.
  got =
      FilterForRecipient(ThreeLaTable(), Shipped(),
                         For(policy::kLaOwnClass, kIslington, {GeographicLevel::kLocalAuthority}));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->cells.size(), 0u);
}

TEST(FilterForRecipientTest, FailsClosedOnCellsOutsideTheCatalogue) {
  ReleaseTable t = ThreeLaTable();
  const size_t known = t.cells.size();
  for (const catalogue::CellKey& key : {catalogue::CellKey{"cla", "no_such_breakdown", "x"},
                                        catalogue::CellKey{"no_such_indicator", "total", "total"},
                                        catalogue::CellKey{"cla", "total", "no_such_group"}}) {
    ReleasedCell c;
    c.key = key;
    t.cells.push_back(c);
  }
  // dfe_analyst's grants are "*": still, nothing outside the catalogue gets through.
  absl::StatusOr<ReleaseTable> got = FilterForRecipient(t, Shipped(), For("dfe_analyst"));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->cells.size(), known);
}

TEST(FilterForRecipientTest, AnEnforcementClassNeverGetsATaintedCellEvenUnderAPolicyThatLeaks) {
  // A policy CheckFirewall refuses (enforcement granted every breakdown nationally), built
  // with the unchecked parser: the filter still withholds every tainted cell.
  const std::string leaky =
      absl::StrReplaceAll(policy::testing::ShippedPolicyText(),
                          {{"indicators: \"cla\"\n    breakdowns: \"total\"\n    levels: NATIONAL",
                            "indicators: \"cla\"\n    breakdowns: \"*\"\n    levels: NATIONAL"}});
  ASSERT_NE(leaky, policy::testing::ShippedPolicyText());
  ASSERT_THAT(policy::ParsePolicy(leaky, "leaky.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<policy::Policy> p = policy::ParsePolicyUnchecked(leaky, "leaky.textproto");
  ASSERT_THAT(p, IsOk());
  ASSERT_TRUE(policy::Receives(*p, policy::kEnforcementClass, "cla", "nationality",
                               policy::GeoLevel::kNational));
  ReleaseTable t = ThreeLaTable();
  absl::StatusOr<ReleaseTable> got = FilterForRecipient(t, *p, For(policy::kEnforcementClass));
  ASSERT_THAT(got, IsOk());
  ASSERT_FALSE(got->cells.empty());
  bool cla_by_sex = false;
  for (const ReleasedCell& c : got->cells) {
    EXPECT_FALSE(SensitiveBreakdown(c.key.breakdown)) << c.key.breakdown;
    cla_by_sex |= c.level == GeographicLevel::kNational && c.key.indicator == "cla" &&
                  c.key.breakdown == "sex";
  }
  EXPECT_TRUE(cla_by_sex);  // the leaky grant's untainted part still applies
}

}  // namespace
}  // namespace ringfence::coordinator
