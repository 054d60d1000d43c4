#include "node/protect.h"

#include <cmath>

#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

// The budget that gives every cell noise variance exactly 3 whatever the grid's size:
// sigma^2 = H / (2 rho) = 3 when rho = H / 6 (H = catalogue::HistogramCount(), 52 today).
PrivacyBudget VarianceThreeBudget() {
  return PrivacyBudget{static_cast<uint64_t>(catalogue::HistogramCount()), 6};
}

std::vector<int64_t> Grid(int64_t v) {
  return std::vector<int64_t>(catalogue::GridCells().size(), v);
}

TEST(ParsePrivacyBudgetTest, ReadsRationals) {
  auto b = ParsePrivacyBudget("3/4");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->rho_numerator, 3u);
  EXPECT_EQ(b->rho_denominator, 4u);
  EXPECT_THAT(ParsePrivacyBudget("2"), IsOk());
  EXPECT_THAT(ParsePrivacyBudget("0/1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePrivacyBudget("a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a/b")));
}

TEST(NoiseVarianceForTest, SplitsRhoEquallyAcrossHistograms) {
  // sigma^2 = H / (2 rho): H = 3, rho = 1/2 -> 3; H = 50, rho = 1/4 -> 100.
  auto v = NoiseVarianceFor(PrivacyBudget{1, 2}, 3);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, std::make_pair(uint64_t{3}, uint64_t{1}));
  v = NoiseVarianceFor(PrivacyBudget{1, 4}, 50);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, std::make_pair(uint64_t{100}, uint64_t{1}));
  v = NoiseVarianceFor(PrivacyBudget{4, 1}, 3);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, std::make_pair(uint64_t{3}, uint64_t{8}));
  // A budget so small that sigma would exceed the sampler's range is refused.
  EXPECT_THAT(NoiseVarianceFor(PrivacyBudget{1, 1u << 30}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProtectGridTest, RejectsWrongSizeAndFailsClosed) {
  crypto::testing::DeterministicRandomSource rng(1);
  EXPECT_THAT(ProtectGrid({1, 2}, PrivacyBudget{}, policy::kDefaultDisclosureRule, rng),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cells")));
  crypto::testing::FailingRandomSource failing;
  EXPECT_THAT(ProtectGrid(Grid(100), PrivacyBudget{}, policy::kDefaultDisclosureRule, failing),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(ProtectGridTest, PublishesOnlyPostProcessedNoisyValues) {
  crypto::testing::DeterministicRandomSource rng(2);
  auto g = ProtectGrid(Grid(12), PrivacyBudget{1, 2}, policy::kDefaultDisclosureRule, rng);
  ASSERT_THAT(g, IsOk());
  // rho = 1/2 split over H histograms: sigma^2 = H / (2 * 1/2) = H.
  EXPECT_EQ(g->variance_numerator,
            static_cast<uint64_t>(catalogue::HistogramCount()) * g->variance_denominator);
  for (const ProtectedCell& c : g->cells) {
    EXPECT_EQ(c.published, policy::ApplyDisclosureRule(policy::kDefaultDisclosureRule,
                                                       c.noisy_value));
    if (!c.published.suppressed) {
      EXPECT_EQ(c.published.value % 5, 0);
    }
  }
}

TEST(ProtectGridTest, NoiseHasMeanZeroAndTheStatedVariance) {
  // 100 grids x 183 cells = 18,300 draws at sigma^2 = 3: the sample mean has standard error
  // 0.013 and the sample variance ~0.045, so the tolerances below are > 7 standard errors.
  crypto::testing::DeterministicRandomSource rng(3);
  double sum = 0, sum_sq = 0;
  long n = 0;
  const int grids = static_cast<int>(18000 / catalogue::GridCells().size()) + 1;
  for (int i = 0; i < grids; ++i) {
    auto g = ProtectGrid(Grid(1000), VarianceThreeBudget(), policy::kDefaultDisclosureRule, rng);
    ASSERT_THAT(g, IsOk());
    for (const ProtectedCell& c : g->cells) {
      const double noise = static_cast<double>(c.noisy_value - 1000);
      sum += noise;
      sum_sq += noise * noise;
      ++n;
    }
  }
  EXPECT_NEAR(sum / n, 0.0, 0.1);
  EXPECT_NEAR(sum_sq / n, 3.0, 0.35);
}

TEST(ProtectGridTest, SmallTrueCountsAreUsuallySuppressed) {
  crypto::testing::DeterministicRandomSource rng(4);
  int suppressed = 0, total = 0;
  // About 1,800 draws, as when the grid had 9 cells.
  const int grids = static_cast<int>(1800 / catalogue::GridCells().size()) + 1;
  for (int i = 0; i < grids; ++i) {
    auto g = ProtectGrid(Grid(2), VarianceThreeBudget(), policy::kDefaultDisclosureRule, rng);
    ASSERT_THAT(g, IsOk());
    for (const ProtectedCell& c : g->cells) {
      suppressed += c.published.suppressed ? 1 : 0;
      ++total;
    }
  }
  // True count 2 with sigma ~1.7: reaching 10 needs noise >= 8 (> 4.6 sigma).
  EXPECT_EQ(suppressed, total);
}

}  // namespace
}  // namespace ringfence::node
