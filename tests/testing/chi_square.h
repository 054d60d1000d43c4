// Goodness-of-fit helpers for the statistical tests: the chi-square statistic over binned
// counts and its p-value from the regularized upper incomplete gamma function.
// Double precision is fine here: these run only in tests, never on a sampling path.
#ifndef RINGFENCE_TESTS_TESTING_CHI_SQUARE_H_
#define RINGFENCE_TESTS_TESTING_CHI_SQUARE_H_

#include <cmath>
#include <map>
#include <vector>

namespace ringfence::testing {

// Q(a, x) = Gamma(a, x) / Gamma(a), by series for x < a + 1 and Lentz's continued fraction
// otherwise (relative accuracy ~1e-12 for the ranges used here).
inline double RegularizedGammaQ(double a, double x) {
  if (x <= 0) return 1.0;
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 100000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-15) break;
    }
    return 1.0 - sum * std::exp(log_prefix);
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-15) break;
  }
  return std::exp(log_prefix) * h;
}

struct ChiSquareResult {
  double statistic = 0;
  int degrees_of_freedom = 0;
  double p_value = 1;
};

// Compares observed counts of integer outcomes with an expected probability mass function
// (`pmf`, summing to ~1 over its support). Outcomes are binned so every bin expects at least
// `min_expected` observations; tails are merged into the outermost bins.
inline ChiSquareResult ChiSquareTest(const std::map<long, long>& observed,
                                     const std::map<long, double>& pmf, long n,
                                     double min_expected = 20) {
  // Build bins over the pmf's support in order, merging until each has enough mass.
  std::vector<std::pair<double, long>> bins;  // (expected, observed)
  double acc_e = 0;
  long acc_o = 0;
  long total_o = 0;
  for (const auto& [x, p] : pmf) {
    acc_e += p * n;
    auto it = observed.find(x);
    if (it != observed.end()) acc_o += it->second;
    if (acc_e >= min_expected) {
      bins.push_back({acc_e, acc_o});
      total_o += acc_o;
      acc_e = 0;
      acc_o = 0;
    }
  }
  // Whatever is left, and any observation outside the pmf's support, joins the last bin.
  long outside = 0;
  for (const auto& [x, c] : observed) {
    if (pmf.find(x) == pmf.end()) outside += c;
  }
  if (!bins.empty()) {
    bins.back().first += acc_e;
    bins.back().second += acc_o + outside;
  }
  ChiSquareResult r;
  for (const auto& [e, o] : bins) r.statistic += (o - e) * (o - e) / e;
  r.degrees_of_freedom = static_cast<int>(bins.size()) - 1;
  r.p_value = RegularizedGammaQ(r.degrees_of_freedom / 2.0, r.statistic / 2.0);
  return r;
}

// The discrete Gaussian pmf for sigma^2 = variance over [-limit, limit].
inline std::map<long, double> DiscreteGaussianPmf(double variance, long limit) {
  std::map<long, double> pmf;
  double z = 0;
  for (long x = -limit; x <= limit; ++x) {
    pmf[x] = std::exp(-static_cast<double>(x) * x / (2 * variance));
    z += pmf[x];
  }
  for (auto& [x, p] : pmf) p /= z;
  return pmf;
}

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_CHI_SQUARE_H_
