#include "crypto/discrete_gaussian.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>
#include <vector>

#include "base/testing/status_matchers.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::crypto {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using testing::DeterministicRandomSource;
using testing::FailingRandomSource;

TEST(DiscreteGaussianSamplerTest, RejectsOutOfRangeParameters) {
  EXPECT_THAT(DiscreteGaussianSampler::Create(0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DiscreteGaussianSampler::Create(1, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DiscreteGaussianSampler::Create((uint64_t{1} << 20) + 1, 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DiscreteGaussianSampler::Create(1, (uint64_t{1} << 31) + 1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DiscreteGaussianSampler::Create(uint64_t{1} << 20, 1), IsOk());
  EXPECT_THAT(DiscreteGaussianSampler::Create(1, 4), IsOk());
}

TEST(DiscreteGaussianSamplerTest, FailsClosedWhenRandomnessFails) {
  auto sampler = DiscreteGaussianSampler::Create(10, 1);
  ASSERT_THAT(sampler, IsOk());
  FailingRandomSource rng;
  EXPECT_THAT(sampler->Sample(rng), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(SampleDiscreteLaplace(rng, 3), StatusIs(absl::StatusCode::kInternal));
}

TEST(DiscreteGaussianSamplerTest, SameSeedSameNoiseDifferentSeedDifferentNoise) {
  auto sampler = DiscreteGaussianSampler::Create(50, 1);
  ASSERT_THAT(sampler, IsOk());
  DeterministicRandomSource a(7), b(7), c(8);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    auto x = sampler->Sample(a);
    auto y = sampler->Sample(b);
    auto z = sampler->Sample(c);
    ASSERT_THAT(x, IsOk());
    EXPECT_EQ(*x, *y);
    if (*x != *z) any_difference = true;
  }
  EXPECT_TRUE(any_difference);
}

TEST(BernoulliExpTest, MatchesExpForSeveralGammas) {
  // 40,000 draws per gamma: the standard error of a frequency is below 0.0025, so a
  // tolerance of 0.015 (6 standard errors) fails by chance with probability < 1e-8.
  DeterministicRandomSource rng(1);
  for (auto [num, den] : std::vector<std::pair<int, int>>{{0, 1}, {1, 3}, {1, 1}, {5, 2}, {7, 3}}) {
    int ones = 0;
    const int n = 40000;
    for (int i = 0; i < n; ++i) {
      auto b = SampleBernoulliExp(rng, num, den);
      ASSERT_THAT(b, IsOk());
      ones += *b ? 1 : 0;
    }
    EXPECT_NEAR(static_cast<double>(ones) / n, std::exp(-static_cast<double>(num) / den), 0.015)
        << num << "/" << den;
  }
}

TEST(DiscreteLaplaceTest, IsSymmetricWithExpectedZeroMass) {
  // P(0) = (1 - e^{-1/t}) / (1 + e^{-1/t}) for scale t.
  DeterministicRandomSource rng(2);
  const int n = 40000;
  int zeros = 0, positive = 0, negative = 0;
  for (int i = 0; i < n; ++i) {
    auto x = SampleDiscreteLaplace(rng, 2);
    ASSERT_THAT(x, IsOk());
    if (*x == 0) ++zeros;
    if (*x > 0) ++positive;
    if (*x < 0) ++negative;
  }
  const double q = std::exp(-0.5);
  EXPECT_NEAR(static_cast<double>(zeros) / n, (1 - q) / (1 + q), 0.015);
  EXPECT_NEAR(static_cast<double>(positive - negative) / n, 0.0, 0.02);
}

TEST(DiscreteLaplaceSamplerTest, RejectsOutOfRangeParameters) {
  using S = DiscreteLaplaceSampler;
  EXPECT_THAT(S::Create(0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(1, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(0, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(1025, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(2049, 2), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(1, (uint64_t{1} << 32) + 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(UINT64_MAX, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(S::Create(1024, 1), IsOk());
  EXPECT_THAT(S::Create(2048, 2), IsOk());
  EXPECT_THAT(S::Create(1, uint64_t{1} << 32), IsOk());
  // Limits apply in lowest terms: 2^40 / 2^40 is 1.
  EXPECT_THAT(S::Create(uint64_t{1} << 40, uint64_t{1} << 40), IsOk());
}

TEST(DiscreteLaplaceSamplerTest, StoresScaleInLowestTerms) {
  auto sampler = DiscreteLaplaceSampler::Create(14, 6);
  ASSERT_THAT(sampler, IsOk());
  EXPECT_EQ(sampler->scale_numerator(), 7u);
  EXPECT_EQ(sampler->scale_denominator(), 3u);
  EXPECT_DOUBLE_EQ(sampler->scale(), 7.0 / 3.0);
}

TEST(DiscreteLaplaceSamplerTest, FailsClosedWhenRandomnessFails) {
  for (auto [num, den] : std::vector<std::pair<uint64_t, uint64_t>>{{1, 2}, {7, 3}, {10, 1}}) {
    auto sampler = DiscreteLaplaceSampler::Create(num, den);
    ASSERT_THAT(sampler, IsOk());
    FailingRandomSource rng;
    EXPECT_THAT(sampler->Sample(rng), StatusIs(absl::StatusCode::kInternal));
  }
}

TEST(DiscreteLaplaceSamplerTest, IntegerScaleReplaysTheIntegerSampler) {
  // With denominator 1 CKS Algorithm 2 draws exactly what SampleDiscreteLaplace draws (the cap
  // check consumes no randomness), so the same seed must give the same noise.
  auto sampler = DiscreteLaplaceSampler::Create(5, 1);
  ASSERT_THAT(sampler, IsOk());
  DeterministicRandomSource a(11), b(11);
  for (int i = 0; i < 1000; ++i) {
    auto x = sampler->Sample(a);
    auto y = SampleDiscreteLaplace(b, 5);
    ASSERT_THAT(x, IsOk());
    ASSERT_THAT(y, IsOk());
    ASSERT_EQ(*x, *y) << "draw " << i;
  }
}

TEST(DiscreteLaplaceSamplerTest, SameSeedSameNoiseDifferentSeedDifferentNoise) {
  auto sampler = DiscreteLaplaceSampler::Create(7, 3);
  ASSERT_THAT(sampler, IsOk());
  DeterministicRandomSource a(7), b(7), c(8);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    auto x = sampler->Sample(a);
    auto y = sampler->Sample(b);
    auto z = sampler->Sample(c);
    ASSERT_THAT(x, IsOk());
    ASSERT_THAT(z, IsOk());
    EXPECT_EQ(*x, *y);
    if (*x != *z) any_difference = true;
  }
  EXPECT_TRUE(any_difference);
}

TEST(DiscreteLaplaceSamplerTest, FractionalScalesHitTheirExactCellMasses) {
  // P(x) = (1 - q) / (1 + q) q^|x| with q = exp(-1/t). 40,000 draws per scale: the standard
  // error of each frequency is below 0.0025, so a tolerance of 0.015 (6 standard errors) fails
  // by chance with probability < 1e-8 per comparison. The full goodness-of-fit tests are in
  // tests/sampler_statistical_test.cc; this one pins down the floor(X / s) step.
  DeterministicRandomSource rng(3);
  for (auto [num, den] : std::vector<std::pair<uint64_t, uint64_t>>{{1, 2}, {7, 3}, {1, 5}}) {
    auto sampler = DiscreteLaplaceSampler::Create(num, den);
    ASSERT_THAT(sampler, IsOk());
    const int n = 40000;
    std::map<int64_t, int> counts;
    int positive = 0, negative = 0;
    for (int i = 0; i < n; ++i) {
      auto x = sampler->Sample(rng);
      ASSERT_THAT(x, IsOk());
      ++counts[*x];
      if (*x > 0) ++positive;
      if (*x < 0) ++negative;
    }
    const double q = std::exp(-static_cast<double>(den) / static_cast<double>(num));
    for (int64_t x : {-2, -1, 0, 1, 2}) {
      const double p = (1 - q) / (1 + q) * std::pow(q, std::abs(static_cast<double>(x)));
      EXPECT_NEAR(static_cast<double>(counts[x]) / n, p, 0.015) << num << "/" << den << " x=" << x;
    }
    EXPECT_NEAR(static_cast<double>(positive - negative) / n, 0.0, 0.03) << num << "/" << den;
  }
}

}  // namespace
}  // namespace ringfence::crypto
