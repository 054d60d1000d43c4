// Statistical tests of the exact discrete Gaussian sampler against its ideal probability mass
// function, using the production randomness (OpenSSL's RAND_priv_bytes).
//
// False-alarm rate: each goodness-of-fit check fails a correct sampler only when its p-value is
// below 1e-8; with five checks per run the chance that a correct sampler fails a run is below
// 5e-8. The "teeth" tests show the same check rejects a sampler whose scale is off by 20%.
#include <cmath>
#include <map>

#include "crypto/discrete_gaussian.h"
#include "crypto/random_source.h"
#include "gtest/gtest.h"
#include "tests/testing/chi_square.h"

namespace ringfence {
namespace {

constexpr double kAlpha = 1e-8;
constexpr long kDraws = 100000;

std::map<long, long> Draw(uint64_t num, uint64_t den, long n) {
  auto sampler = crypto::DiscreteGaussianSampler::Create(num, den);
  EXPECT_TRUE(sampler.ok());
  crypto::OpenSslRandomSource rng;
  std::map<long, long> counts;
  for (long i = 0; i < n; ++i) {
    auto x = sampler->Sample(rng);
    EXPECT_TRUE(x.ok());
    ++counts[*x];
  }
  return counts;
}

class DiscreteGaussianFitTest
    : public ::testing::TestWithParam<std::pair<uint64_t, uint64_t>> {};

TEST_P(DiscreteGaussianFitTest, MatchesExactPmf) {
  const auto [num, den] = GetParam();
  const double variance = static_cast<double>(num) / den;
  auto counts = Draw(num, den, kDraws);
  auto pmf = testing::DiscreteGaussianPmf(variance, static_cast<long>(12 * std::sqrt(variance) + 5));
  auto r = testing::ChiSquareTest(counts, pmf, kDraws);
  EXPECT_GE(r.p_value, kAlpha) << "sigma^2=" << num << "/" << den << " chi2=" << r.statistic
                               << " df=" << r.degrees_of_freedom;
  EXPECT_GE(r.degrees_of_freedom, 3);
}

INSTANTIATE_TEST_SUITE_P(Scales, DiscreteGaussianFitTest,
                         ::testing::Values(std::make_pair(uint64_t{1}, uint64_t{2}),
                                           std::make_pair(uint64_t{3}, uint64_t{1}),
                                           std::make_pair(uint64_t{100}, uint64_t{3}),
                                           std::make_pair(uint64_t{150}, uint64_t{1}),
                                           std::make_pair(uint64_t{2500}, uint64_t{1})));

TEST(DiscreteGaussianTeethTest, RejectsWrongScale) {
  // Samples at sigma^2 = 30 tested against the pmf of sigma^2 = 36 (sigma off by ~10%).
  auto counts = Draw(30, 1, kDraws);
  auto r = testing::ChiSquareTest(counts, testing::DiscreteGaussianPmf(36, 80), kDraws);
  EXPECT_LT(r.p_value, kAlpha) << "the fit test cannot tell sigma^2 30 from 36";
}

TEST(DiscreteGaussianTeethTest, RejectsRoundedContinuousLaplace) {
  // A plausible wrong implementation: discrete Laplace noise of the same variance.
  crypto::OpenSslRandomSource rng;
  std::map<long, long> counts;
  for (long i = 0; i < kDraws; ++i) {
    auto x = crypto::SampleDiscreteLaplace(rng, 4);  // variance ~ 2 t^2 = 32
    ASSERT_TRUE(x.ok());
    ++counts[*x];
  }
  auto r = testing::ChiSquareTest(counts, testing::DiscreteGaussianPmf(32, 100), kDraws);
  EXPECT_LT(r.p_value, kAlpha);
}

}  // namespace
}  // namespace ringfence
