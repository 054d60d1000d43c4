// Statistical tests of the exact discrete Gaussian and discrete Laplace samplers against their
// ideal probability mass functions, using the production randomness (OpenSSL's
// RAND_priv_bytes through OpenSslRandomSource, read in 4 KiB blocks: the samplers see the same
// uniform bytes, but one RAND_priv_bytes call per block instead of one per few bytes makes the
// file run about 30 times faster).
//
// False-alarm rate, for the whole file: each goodness-of-fit check fails a correct sampler only
// when its p-value is below kAlpha = 1e-8. There are 9 such checks per run (5 discrete Gaussian
// scales + 4 discrete Laplace scales), so by the union bound a correct sampler fails a run with
// probability at most 9 * 1e-8 = 9e-8. The 4 "teeth" tests can fail correct code only if the
// check misses a gross error. At 500,000 draws their noncentrality parameters are about 7,100
// (sigma^2 30 vs 36), 138,000 (Laplace vs Gaussian at variance 32), 20,800 (Laplace scale 12
// vs 10) and 53,600 (Gaussian vs Laplace at variance ~200); by the noncentral chi-square
// approximation and Birge's left-tail bound P(X <= k + lambda - 2 sqrt((k + 2 lambda) x)) <=
// exp(-x), each miss has probability below exp(-800). Total: below 1e-7 per run, under the
// one-in-a-million budget. Adding a check means redoing this sum.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "crypto/discrete_gaussian.h"
#include "crypto/random_source.h"
#include "gtest/gtest.h"
#include "tests/testing/buffered_random_source.h"
#include "tests/testing/chi_square.h"

namespace ringfence {
namespace {

constexpr double kAlpha = 1e-8;
constexpr long kDraws = 500000;

// OpenSslRandomSource read in 4 KiB blocks (tests/testing/buffered_random_source.h): the same
// bytes in the same order, far fewer calls into OpenSSL.
class BlockOpenSslRandomSource final : public crypto::RandomSource {
 public:
  absl::Status Fill(uint8_t* out, size_t n) override { return buffered_.Fill(out, n); }

 private:
  crypto::OpenSslRandomSource inner_;
  testing::BufferedRandomSource buffered_{inner_};
};

std::map<long, long> Draw(uint64_t num, uint64_t den, long n) {
  auto sampler = crypto::DiscreteGaussianSampler::Create(num, den);
  EXPECT_TRUE(sampler.ok());
  BlockOpenSslRandomSource rng;
  std::map<long, long> counts;
  for (long i = 0; i < n; ++i) {
    auto x = sampler->Sample(rng);
    EXPECT_TRUE(x.ok());
    ++counts[*x];
  }
  return counts;
}

class DiscreteGaussianFitTest : public ::testing::TestWithParam<std::pair<uint64_t, uint64_t>> {};

TEST_P(DiscreteGaussianFitTest, MatchesExactPmf) {
  const auto [num, den] = GetParam();
  const double variance = static_cast<double>(num) / den;
  auto counts = Draw(num, den, kDraws);
  auto pmf =
      testing::DiscreteGaussianPmf(variance, static_cast<long>(12 * std::sqrt(variance) + 5));
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
  BlockOpenSslRandomSource rng;
  std::map<long, long> counts;
  for (long i = 0; i < kDraws; ++i) {
    auto x = crypto::SampleDiscreteLaplace(rng, 4);  // variance ~ 2 t^2 = 32
    ASSERT_TRUE(x.ok());
    ++counts[*x];
  }
  auto r = testing::ChiSquareTest(counts, testing::DiscreteGaussianPmf(32, 100), kDraws);
  EXPECT_LT(r.p_value, kAlpha);
}

// The discrete Laplace pmf for scale t = num / den, P(x) = (1 - q) / (1 + q) q^|x| with
// q = exp(-1 / t), over [-limit, limit] and renormalised there (callers pick a limit whose
// outside mass is negligible).
std::map<long, double> DiscreteLaplacePmf(uint64_t num, uint64_t den, long limit) {
  const double q = std::exp(-static_cast<double>(den) / static_cast<double>(num));
  std::map<long, double> pmf;
  double z = 0;
  for (long x = -limit; x <= limit; ++x) {
    pmf[x] = (1 - q) / (1 + q) * std::pow(q, static_cast<double>(x < 0 ? -x : x));
    z += pmf[x];
  }
  for (auto& [x, p] : pmf) p /= z;
  return pmf;
}

// 40 scales out: the mass beyond is about 2 exp(-40) ~ 1e-17.
long LaplaceLimit(uint64_t num, uint64_t den) {
  return static_cast<long>(40.0 * static_cast<double>(num) / static_cast<double>(den)) + 5;
}

std::map<long, long> DrawLaplace(uint64_t num, uint64_t den, long n) {
  auto sampler = crypto::DiscreteLaplaceSampler::Create(num, den);
  EXPECT_TRUE(sampler.ok());
  BlockOpenSslRandomSource rng;
  std::map<long, long> counts;
  for (long i = 0; i < n; ++i) {
    auto x = sampler->Sample(rng);
    EXPECT_TRUE(x.ok());
    ++counts[*x];
  }
  return counts;
}

class DiscreteLaplaceFitTest : public ::testing::TestWithParam<std::pair<uint64_t, uint64_t>> {};

TEST_P(DiscreteLaplaceFitTest, MatchesExactPmf) {
  const auto [num, den] = GetParam();
  auto counts = DrawLaplace(num, den, kDraws);
  auto r =
      testing::ChiSquareTest(counts, DiscreteLaplacePmf(num, den, LaplaceLimit(num, den)), kDraws);
  EXPECT_GE(r.p_value, kAlpha) << "scale=" << num << "/" << den << " chi2=" << r.statistic
                               << " df=" << r.degrees_of_freedom;
  EXPECT_GE(r.degrees_of_freedom, 3);
}

// Scale 1/2 puts 76% of the mass on 0 (the floor(X / s) step does all the work); 7/3 has a
// denominator that does not divide the numerator; 10 is a typical histogram scale (epsilon 0.1).
INSTANTIATE_TEST_SUITE_P(Scales, DiscreteLaplaceFitTest,
                         ::testing::Values(std::make_pair(uint64_t{1}, uint64_t{2}),
                                           std::make_pair(uint64_t{1}, uint64_t{1}),
                                           std::make_pair(uint64_t{7}, uint64_t{3}),
                                           std::make_pair(uint64_t{10}, uint64_t{1})));

TEST(DiscreteLaplaceTeethTest, RejectsWrongScale) {
  // Samples at scale 12 tested against the pmf of scale 10.
  auto counts = DrawLaplace(12, 1, kDraws);
  auto r = testing::ChiSquareTest(counts, DiscreteLaplacePmf(10, 1, LaplaceLimit(10, 1)), kDraws);
  EXPECT_LT(r.p_value, kAlpha) << "the fit test cannot tell Laplace scale 12 from 10";
}

TEST(DiscreteLaplaceTeethTest, RejectsDiscreteGaussianOfTheSameVariance) {
  // The discrete Laplace of scale 10 has variance 2q / (1 - q)^2 = 199.83 (q = e^-0.1); the
  // discrete Gaussian with sigma^2 = 199.8 has variance 199.8 to within 1e-100.
  auto counts = Draw(1998, 10, kDraws);
  auto r = testing::ChiSquareTest(counts, DiscreteLaplacePmf(10, 1, LaplaceLimit(10, 1)), kDraws);
  EXPECT_LT(r.p_value, kAlpha) << "the fit test cannot tell Laplace from Gaussian";
}

}  // namespace
}  // namespace ringfence
