// One-sided confidence bounds for a binomial proportion, for the statistical privacy tests
// (tests/dp_pipeline_test.cc, tests/differencing_attack_test.cc).
//
// The bounds invert the Chernoff-Hoeffding inequality in its relative-entropy form: for
// X ~ Binomial(n, p) and q < p, P(X / n <= q) <= exp(-n KL(q || p)), and symmetrically above p
// (Hoeffding 1963, Theorem 1). With L = ln(1 / alpha):
//
//   BinomialUpperBound(k, n, L) = max { p >= k/n : n KL(k/n || p) <= L }
//   BinomialLowerBound(k, n, L) = min { p <= k/n : n KL(k/n || p) <= L }
//
// so P(p > BinomialUpperBound(X, n, L)) <= alpha and P(p < BinomialLowerBound(X, n, L)) <=
// alpha, for every n and p, with no normal approximation. They are slightly wider than
// Clopper-Pearson bounds but need no incomplete beta function; at the alpha ~ 1e-11 used here
// the difference is a few percent of the width.
//
// Double precision is fine: tests only, never on a sampling path. Pure functions; thread-safe.
#ifndef RINGFENCE_TESTS_TESTING_BINOMIAL_BOUNDS_H_
#define RINGFENCE_TESTS_TESTING_BINOMIAL_BOUNDS_H_

#include <cmath>
#include <cstdint>

namespace ringfence::testing {

// KL(Bernoulli(a) || Bernoulli(b)) in nats, for a in [0, 1] and b in (0, 1).
inline double BernoulliKl(double a, double b) {
  double kl = 0;
  if (a > 0) kl += a * std::log(a / b);
  if (a < 1) kl += (1 - a) * std::log((1 - a) / (1 - b));
  return kl;
}

// See the file comment. Requires 0 <= k <= n, n >= 1, log_inv_alpha > 0.
inline double BinomialUpperBound(int64_t k, int64_t n, double log_inv_alpha) {
  const double p_hat = static_cast<double>(k) / static_cast<double>(n);
  if (k >= n) return 1.0;
  // n KL(p_hat || p) increases in p on [p_hat, 1) and tends to infinity: bisect for the point
  // where it reaches log_inv_alpha, keeping `hi` on the far side so the answer is never below
  // the exact bound.
  double lo = p_hat, hi = 1.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (static_cast<double>(n) * BernoulliKl(p_hat, mid) > log_inv_alpha) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

// See the file comment. Requires 0 <= k <= n, n >= 1, log_inv_alpha > 0.
inline double BinomialLowerBound(int64_t k, int64_t n, double log_inv_alpha) {
  const double p_hat = static_cast<double>(k) / static_cast<double>(n);
  if (k <= 0) return 0.0;
  double lo = 0.0, hi = p_hat;  // keep `lo` on the far side: never above the exact bound
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (static_cast<double>(n) * BernoulliKl(p_hat, mid) > log_inv_alpha) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_BINOMIAL_BOUNDS_H_
