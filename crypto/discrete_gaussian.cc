#include "crypto/discrete_gaussian.h"

#include <numeric>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace ringfence::crypto {
namespace {

constexpr uint128 kMaxBernoulliExpDenominator = static_cast<uint128>(1) << 106;

// floor(sqrt(x)) for x < 2^64, exactly.
uint64_t IntegerSqrt(uint64_t x) {
  uint64_t lo = 0;
  uint64_t hi = uint64_t{1} << 32;
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (static_cast<uint128>(mid) * mid <= x) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

absl::StatusOr<bool> SampleBernoulli(RandomSource& rng, uint128 numerator, uint128 denominator) {
  if (denominator == 0 || numerator > denominator) {
    return absl::InvalidArgumentError("Bernoulli: need 0 <= numerator <= denominator, den > 0");
  }
  RINGFENCE_ASSIGN_OR_RETURN(uint128 u, UniformBelow128(rng, denominator));
  return u < numerator;
}

namespace {

// Bernoulli(exp(-gamma)) for 0 <= gamma = num/den <= 1: CKS Algorithm 1. K is the first k
// with Bernoulli(gamma / k) = 0; the result is true iff K is odd. K's tail falls like 1/k!,
// so it stays tiny; the bound only guards the 128-bit product den * k.
absl::StatusOr<bool> BernoulliExpAtMostOne(RandomSource& rng, uint128 num, uint128 den) {
  uint64_t k = 1;
  while (true) {
    if (k > (uint64_t{1} << 20)) return absl::InternalError("BernoulliExp: runaway loop");
    RINGFENCE_ASSIGN_OR_RETURN(bool a, SampleBernoulli(rng, num, den * k));
    if (!a) break;
    ++k;
  }
  return (k % 2) == 1;
}

}  // namespace

absl::StatusOr<bool> SampleBernoulliExp(RandomSource& rng, uint128 numerator, uint128 denominator) {
  if (denominator == 0 || denominator > kMaxBernoulliExpDenominator) {
    return absl::InvalidArgumentError("BernoulliExp: denominator out of range");
  }
  if (numerator <= denominator) return BernoulliExpAtMostOne(rng, numerator, denominator);
  // gamma > 1: exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))). Each
  // exp(-1) trial fails with probability 1 - 1/e, so the loop ends early in practice however
  // large gamma is.
  const uint128 whole = numerator / denominator;
  for (uint128 i = 0; i < whole; ++i) {
    RINGFENCE_ASSIGN_OR_RETURN(bool b, BernoulliExpAtMostOne(rng, 1, 1));
    if (!b) return false;
  }
  return BernoulliExpAtMostOne(rng, numerator % denominator, denominator);
}

absl::StatusOr<int64_t> SampleDiscreteLaplace(RandomSource& rng, uint64_t t) {
  if (t == 0 || t > (uint64_t{1} << 20)) {
    return absl::InvalidArgumentError(absl::StrCat("discrete Laplace scale out of range: ", t));
  }
  while (true) {
    RINGFENCE_ASSIGN_OR_RETURN(uint64_t u, UniformBelow(rng, t));
    RINGFENCE_ASSIGN_OR_RETURN(bool d, SampleBernoulliExp(rng, u, t));
    if (!d) continue;
    uint64_t v = 0;
    while (true) {
      RINGFENCE_ASSIGN_OR_RETURN(bool more, SampleBernoulliExp(rng, 1, 1));
      if (!more) break;
      ++v;
      // P(v > 2^40) is exp(-2^40): unreachable, but keep the arithmetic in range.
      if (v > (uint64_t{1} << 40)) return absl::InternalError("discrete Laplace overflow");
    }
    const int64_t x = static_cast<int64_t>(u + t * v);
    RINGFENCE_ASSIGN_OR_RETURN(bool negative, SampleBernoulli(rng, 1, 2));
    if (negative && x == 0) continue;  // zero must not be counted twice
    return negative ? -x : x;
  }
}

absl::StatusOr<DiscreteGaussianSampler> DiscreteGaussianSampler::Create(
    uint64_t variance_numerator, uint64_t variance_denominator) {
  if (variance_numerator == 0 || variance_denominator == 0 ||
      variance_denominator > kMaxDenominator ||
      variance_numerator / variance_denominator > kMaxVariance ||
      (variance_numerator / variance_denominator == kMaxVariance &&
       variance_numerator % variance_denominator != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "discrete Gaussian variance ", variance_numerator, "/", variance_denominator,
        " out of range: need numerator >= 1, 1 <= denominator <= 2^31, sigma^2 <= 2^20"));
  }
  const uint64_t t = IntegerSqrt(variance_numerator / variance_denominator) + 1;
  return DiscreteGaussianSampler(variance_numerator, variance_denominator, t);
}

absl::StatusOr<int64_t> DiscreteGaussianSampler::Sample(RandomSource& rng) const {
  while (true) {
    RINGFENCE_ASSIGN_OR_RETURN(int64_t y, SampleDiscreteLaplace(rng, t_));
    const int64_t magnitude = y < 0 ? -y : y;
    if (magnitude > kMaxMagnitude) continue;  // see the header: conditioning on |X| <= 2^16
    // Accept with probability exp(-(|y| - sigma^2/t)^2 / (2 sigma^2))
    //   = exp(-(|y| t sd - sn)^2 / (2 t^2 sd sn)).
    // Bounds: |y| t sd <= 2^16 * 2^11 * 2^31 = 2^58, so the square is < 2^116; the
    // denominator is <= 2 * 2^22 * 2^31 * 2^51 = 2^105.
    const __int128 diff = static_cast<__int128>(magnitude) * t_ * sd_ - sn_;
    const uint128 abs_diff = static_cast<uint128>(diff < 0 ? -diff : diff);
    const uint128 numerator = abs_diff * abs_diff;
    const uint128 denominator = static_cast<uint128>(2) * t_ * t_ * sd_ * sn_;
    RINGFENCE_ASSIGN_OR_RETURN(bool accept, SampleBernoulliExp(rng, numerator, denominator));
    if (accept) return y;
  }
}

absl::StatusOr<DiscreteLaplaceSampler> DiscreteLaplaceSampler::Create(uint64_t scale_numerator,
                                                                      uint64_t scale_denominator) {
  const uint64_t g = std::gcd(scale_numerator, scale_denominator);  // 0 only if both are 0
  const uint64_t t = g == 0 ? 0 : scale_numerator / g;
  const uint64_t s = g == 0 ? 0 : scale_denominator / g;
  // t / s <= 2^10 iff t <= 2^10 * s; with s <= 2^32 the product fits in 64 bits.
  if (t == 0 || s == 0 || s > kMaxDenominator || t > kMaxScale * s) {
    return absl::InvalidArgumentError(absl::StrCat(
        "discrete Laplace scale ", scale_numerator, "/", scale_denominator,
        " out of range: need numerator >= 1, 1 <= denominator <= 2^32 (in lowest terms) and "
        "scale <= 2^10"));
  }
  return DiscreteLaplaceSampler(t, s);
}

absl::StatusOr<int64_t> DiscreteLaplaceSampler::Sample(RandomSource& rng) const {
  const uint64_t max_magnitude = static_cast<uint64_t>(kMaxMagnitude);
  while (true) {
    // CKS Algorithm 2: X = U + t V is a geometric variable with P(X = x) proportional to
    // exp(-x / t) (U uniform in [0, t) kept with probability exp(-U / t), V geometric with
    // ratio 1/e), and Y = floor(X / s) is then geometric with ratio exp(-s / t).
    RINGFENCE_ASSIGN_OR_RETURN(uint64_t u, UniformBelow(rng, t_));
    RINGFENCE_ASSIGN_OR_RETURN(bool d, SampleBernoulliExp(rng, u, t_));
    if (!d) continue;
    uint64_t x = u;  // U + t V; stays below s (2^16 + 1) + t < 2^50
    bool over_cap = false;
    while (true) {
      RINGFENCE_ASSIGN_OR_RETURN(bool more, SampleBernoulliExp(rng, 1, 1));
      if (!more) break;
      x += t_;
      // X only grows, so once floor(X / s) passes the cap the proposal will be rejected
      // whatever the remaining draws give; restarting now conditions on exactly the same
      // event and keeps x bounded.
      if (x / s_ > max_magnitude) {
        over_cap = true;
        break;
      }
    }
    if (over_cap) continue;
    const uint64_t y = x / s_;
    if (y > max_magnitude) continue;  // see the header: conditioning on |X| <= 2^16
    RINGFENCE_ASSIGN_OR_RETURN(bool negative, SampleBernoulli(rng, 1, 2));
    if (negative && y == 0) continue;  // zero must not be counted twice
    return negative ? -static_cast<int64_t>(y) : static_cast<int64_t>(y);
  }
}

}  // namespace ringfence::crypto
