// Zero-concentrated differential privacy (zCDP) accounting with exact rational parameters, and
// conversions to the (epsilon, delta) language for reporting.
//
// References: Bun and Steinke, "Concentrated Differential Privacy" (TCC 2016); Canonne, Kamath
// and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020, "CKS");
// Asoodeh, Liao, Calmon, Kosut and Sankar, "Three Variants of Differential Privacy: Lossless
// Conversion and Applications" (2020); Balle and Wang, "Improving the Gaussian Mechanism for
// Differential Privacy" (ICML 2018).
//
// Two halves, kept apart on purpose:
//   * Exact accounting (Rho, Rational, Add, SplitEqually, GaussianVarianceForRho, ...): integer
//     arithmetic only, so a budget that is exactly spent compares equal to its limit and
//     parameters handed to the samplers (crypto/discrete_gaussian.h) are exact rationals.
//   * Reporting (DeltaForEpsilon, EpsilonForDelta, SimpleEpsilonForDelta): double precision,
//     for display to people. Never feed their output back into budgets or samplers.
//
// Privacy: rho-zCDP composes additively: running mechanisms that are rho_1-, ..., rho_k-zCDP on
// the same data is (rho_1 + ... + rho_k)-zCDP. A per-LA budget is therefore a Rho, spends are
// added with Add, and a spend is allowed only if LessOrEqual(Add(spent, cost), budget). The
// (epsilon, delta) figures are a translation of that guarantee, not a separate one.
//
// Thread safety: everything here is a value type or a pure function.
#ifndef RINGFENCE_DP_ZCDP_H_
#define RINGFENCE_DP_ZCDP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ringfence::dp {

// A non-negative exact rational numerator / denominator. Values returned by this file are in
// lowest terms with denominator >= 1; a zero denominator is invalid and every function that
// takes one returns INVALID_ARGUMENT for it.
struct Rational {
  uint64_t numerator = 0;
  uint64_t denominator = 1;

  // For display only.
  double ToDouble() const;
  // "n" when the denominator is 1, else "n/d" (as given; not reduced here).
  std::string ToString() const;
};

// The zCDP parameter rho, an exact non-negative rational (same conventions as Rational; a
// distinct type so a variance cannot be passed where a privacy parameter is expected).
struct Rho {
  uint64_t numerator = 0;
  uint64_t denominator = 1;

  // Parses "n" or "n/d" (decimal digits only, no sign, spaces or decimal point) into lowest
  // terms. INVALID_ARGUMENT, with the offending text quoted, if the text is malformed, if a
  // value does not fit in 64 bits, if d == 0, or if the value is 0 (a zero budget or cost is a
  // configuration error; Rho{} is still available as the starting point of a running total).
  static absl::StatusOr<Rho> Parse(absl::string_view text);

  // For display only.
  double ToDouble() const;
  // "n" when the denominator is 1, else "n/d". Parse(r.ToString()) gives r back for r > 0 in
  // lowest terms.
  std::string ToString() const;
};

// Value equality (1/2 == 2/4). Both denominators must be non-zero.
bool operator==(Rho a, Rho b);
bool operator!=(Rho a, Rho b);

// a + b exactly, in lowest terms. INVALID_ARGUMENT if a denominator is 0; OUT_OF_RANGE if the
// reduced result's numerator or denominator does not fit in 64 bits.
absl::StatusOr<Rho> Add(Rho a, Rho b);

// a <= b exactly (128-bit cross-multiplication). Both denominators must be non-zero; a zero
// denominator makes the result false (fail closed when used as "spend allowed?").
bool LessOrEqual(Rho a, Rho b);

// total / parts exactly, in lowest terms: the per-release share when a budget is split evenly.
// By additive composition the parts add back up to exactly total. INVALID_ARGUMENT if parts < 1
// or the denominator is 0; OUT_OF_RANGE if the result does not fit in 64 bits.
absl::StatusOr<Rho> SplitEqually(Rho total, int parts);

// sigma^2 = 1 / (2 rho), exactly, in lowest terms. Adding discrete Gaussian noise with this
// variance to every cell of a histogram of L2 sensitivity 1 (one person changes one cell by one)
// is rho-zCDP (CKS Theorem 14). INVALID_ARGUMENT if rho is 0 or has denominator 0; OUT_OF_RANGE
// if the result does not fit in 64 bits. The sampler applies its own limits
// (DiscreteGaussianSampler::Create); this function does not know them.
absl::StatusOr<Rational> GaussianVarianceForRho(Rho rho_per_histogram);

// Pure epsilon-DP implies (epsilon^2 / 2)-zCDP (Bun and Steinke, Proposition 1.4), so a discrete
// Laplace release can be charged to a zCDP budget. Exact. INVALID_ARGUMENT if epsilon is 0 or
// has denominator 0; OUT_OF_RANGE if the result does not fit in 64 bits.
absl::StatusOr<Rho> RhoForPureEpsilon(Rational epsilon);

// The discrete Laplace scale t = 1 / epsilon for a histogram of L1 sensitivity 1: noise with
// P(x) proportional to exp(-|x| / t) in every cell is epsilon-DP (the geometric mechanism of
// Ghosh, Roughgarden and Sundararajan, 2009). Exact; feed it to
// DiscreteLaplaceSampler::Create, whose magnitude cap adds a tiny delta (see its header).
// INVALID_ARGUMENT if epsilon is 0 or has denominator 0.
absl::StatusOr<Rational> LaplaceScaleForEpsilon(Rational epsilon);

// ---- Reporting only (double precision) ----

// The smallest delta this file can certify for a rho-zCDP mechanism at the given epsilon: the
// conversion of CKS Corollary 13 (equivalently Asoodeh et al.),
//   delta(eps) = inf_{alpha > 1} exp((alpha - 1)(alpha rho - eps)) / (alpha - 1)
//                                * (1 - 1/alpha)^alpha,
// evaluated in the log domain with the infimum found by bisection on the derivative of the
// (convex) exponent; clamped to at most 1. Every alpha > 1 gives a valid bound, so an
// inaccurate search could only overstate delta; only rounding in evaluating the exponent
// (relative error ~1e-14) can understate it. INVALID_ARGUMENT if rho is 0 or has denominator 0,
// or epsilon is negative or not finite.
absl::StatusOr<double> DeltaForEpsilon(Rho rho, double epsilon);

// The smallest epsilon >= 0 with DeltaForEpsilon(rho, epsilon) <= delta, found by bisection to
// ~1e-14 relative and rounded up: DeltaForEpsilon(rho, returned epsilon) <= delta always holds.
// INVALID_ARGUMENT if rho is 0 or has denominator 0, or delta is not in (0, 1).
absl::StatusOr<double> EpsilonForDelta(Rho rho, double delta);

// The simple bound epsilon = rho + 2 sqrt(rho ln(1 / delta)) (Bun and Steinke, Proposition 1.3).
// Never smaller than EpsilonForDelta; kept because it is the figure most readers can check by
// hand. INVALID_ARGUMENT as for EpsilonForDelta.
absl::StatusOr<double> SimpleEpsilonForDelta(Rho rho, double delta);

}  // namespace ringfence::dp

#endif  // RINGFENCE_DP_ZCDP_H_
