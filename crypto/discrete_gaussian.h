// Exact samplers for discrete noise over the integers, after Canonne, Kamath and Steinke,
// "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1-3.
//
//   DiscreteGaussianSampler: P(x) proportional to exp(-x^2 / (2 sigma^2)), x in Z,
//   with sigma^2 = variance_numerator / variance_denominator an exact rational.
//   DiscreteLaplaceSampler: P(x) proportional to exp(-|x| / t), x in Z, with the scale
//   t = scale_numerator / scale_denominator an exact rational.
//
// Privacy: sampling uses only integer arithmetic (128-bit) and uniform integers drawn by
// rejection from a RandomSource (crypto/random_source.h). There is no floating point on the
// sampling path, so the attacks on floating-point Laplace noise (Mironov, CCS 2012: gaps and
// rounding in the output of a textbook sampler reveal the input) and their Gaussian
// analogues do not apply: every integer has exactly its ideal probability.
// One documented departure from the ideal distribution: the discrete Laplace proposal is
// rejected when |Y| > kMaxMagnitude (65,536), so the output is the discrete Gaussian
// conditioned on |X| <= 65,536. With sigma <= 1,024 (enforced by Create) the removed mass is
// below exp(-2048); it is accounted as part of delta in docs/privacy.md.
// DiscreteLaplaceSampler has its own, similar, conditioning: see its class comment.
// Randomness failure is returned as INTERNAL; callers must then release nothing.
//
// Timing: the number of RNG draws varies with the sample. Noise is drawn on the LA's own
// machine before anything is sent, so timing reveals nothing to the coordinator.
//
// Thread safety: a sampler is immutable and may be shared; the RandomSource passed to Sample
// must be safe for the calling thread.
#ifndef RINGFENCE_CRYPTO_DISCRETE_GAUSSIAN_H_
#define RINGFENCE_CRYPTO_DISCRETE_GAUSSIAN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/random_source.h"

namespace ringfence::crypto {

using uint128 = unsigned __int128;

// Bernoulli(numerator / denominator). INVALID_ARGUMENT unless 0 < den and num <= den.
absl::StatusOr<bool> SampleBernoulli(RandomSource& rng, uint128 numerator, uint128 denominator);

// Bernoulli(exp(-numerator / denominator)) exactly (CKS Algorithm 1).
// INVALID_ARGUMENT if denominator == 0 or denominator > 2^106.
absl::StatusOr<bool> SampleBernoulliExp(RandomSource& rng, uint128 numerator, uint128 denominator);

// Discrete Laplace with integer scale t >= 1: P(x) proportional to exp(-|x| / t)
// (CKS Algorithm 2 with s = 1). INVALID_ARGUMENT if t == 0 or t > 2^20.
absl::StatusOr<int64_t> SampleDiscreteLaplace(RandomSource& rng, uint64_t t);

class DiscreteGaussianSampler {
 public:
  static constexpr int64_t kMaxMagnitude = int64_t{1} << 16;
  static constexpr uint64_t kMaxDenominator = uint64_t{1} << 31;
  static constexpr uint64_t kMaxVariance = uint64_t{1} << 20;  // sigma <= 1024

  // sigma^2 = variance_numerator / variance_denominator. INVALID_ARGUMENT unless
  // numerator >= 1, 1 <= denominator <= 2^31 and sigma^2 <= 2^20.
  static absl::StatusOr<DiscreteGaussianSampler> Create(uint64_t variance_numerator,
                                                        uint64_t variance_denominator);

  // One sample. INTERNAL if the RandomSource fails.
  absl::StatusOr<int64_t> Sample(RandomSource& rng) const;

  uint64_t variance_numerator() const { return sn_; }
  uint64_t variance_denominator() const { return sd_; }
  // sigma^2 as a double, for display only (never on the sampling path).
  double variance() const { return static_cast<double>(sn_) / static_cast<double>(sd_); }

 private:
  DiscreteGaussianSampler(uint64_t sn, uint64_t sd, uint64_t t) : sn_(sn), sd_(sd), t_(t) {}
  uint64_t sn_;
  uint64_t sd_;
  uint64_t t_;  // floor(sigma) + 1, the Laplace proposal's scale
};

// Discrete Laplace with a rational scale t = scale_numerator / scale_denominator:
// P(x) proportional to exp(-|x| / t), x in Z (CKS Algorithm 2, with their t/s being our
// scale_numerator/scale_denominator), conditioned on |x| <= kMaxMagnitude. Adding it to a query
// of L1 sensitivity 1 (e.g. a histogram in which one person changes one cell by one) is
// (1/t)-DP before the conditioning; see Privacy below for what the conditioning costs.
//
// Limits, checked by Create after reducing the fraction to lowest terms: numerator >= 1,
// 1 <= denominator <= 2^32 and t <= 2^10 (so epsilon = 1/t >= 2^-10 ~ 0.001). These keep
// every intermediate (U + t*V < 2^50) well inside 64 bits.
//
// Privacy: the proposal is rejected when |x| > kMaxMagnitude (65,536), so the output is the
// discrete Laplace conditioned on |X| <= 65,536. With q = exp(-1/t) the removed mass is
// exactly 2 q^65537 / (1 + q) < 2 exp(-64) < 3.3e-28 at the largest scale t = 2^10 (and far
// smaller for smaller t). The output distribution is therefore within total variation
// distance m = 2 q^65537 / (1 + q) of the ideal one, and the mechanism above is
// (1/t, delta)-DP with delta = (1 + e^(1/t)) m = 2 exp(-65536 / t) <= 2 exp(-64) < 3.3e-28.
// Report that delta alongside epsilon; it is not zero. Sampling uses integer arithmetic only
// (as for the Gaussian above), so no floating-point artefact leaks the input.
//
// Thread safety: immutable; may be shared. The RandomSource passed to Sample must be safe for
// the calling thread.
class DiscreteLaplaceSampler {
 public:
  static constexpr int64_t kMaxMagnitude = int64_t{1} << 16;
  static constexpr uint64_t kMaxDenominator = uint64_t{1} << 32;
  static constexpr uint64_t kMaxScale = uint64_t{1} << 10;

  // t = scale_numerator / scale_denominator, stored in lowest terms. INVALID_ARGUMENT unless,
  // after reduction, numerator >= 1, 1 <= denominator <= 2^32 and t <= 2^10.
  static absl::StatusOr<DiscreteLaplaceSampler> Create(uint64_t scale_numerator,
                                                       uint64_t scale_denominator);

  // One sample, in [-kMaxMagnitude, kMaxMagnitude]. INTERNAL if the RandomSource fails; the
  // caller must then release nothing.
  absl::StatusOr<int64_t> Sample(RandomSource& rng) const;

  // The scale in lowest terms.
  uint64_t scale_numerator() const { return t_; }
  uint64_t scale_denominator() const { return s_; }
  // t as a double, for display only (never on the sampling path).
  double scale() const { return static_cast<double>(t_) / static_cast<double>(s_); }

 private:
  DiscreteLaplaceSampler(uint64_t t, uint64_t s) : t_(t), s_(s) {}
  uint64_t t_;  // CKS's t: the scale's numerator
  uint64_t s_;  // CKS's s: the scale's denominator
};

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_DISCRETE_GAUSSIAN_H_
