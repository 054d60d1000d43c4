#include "dp/zcdp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace ringfence::dp {
namespace {

// Native 128-bit integers: with CMAKE_CXX_EXTENSIONS OFF, std::gcd does not accept them.
using uint128 = unsigned __int128;

constexpr uint128 kMaxU64 = std::numeric_limits<uint64_t>::max();

uint128 Gcd(uint128 a, uint128 b) {
  while (b != 0) {
    const uint128 r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// n / d in lowest terms, if both parts then fit in 64 bits. d must be non-zero.
absl::StatusOr<std::pair<uint64_t, uint64_t>> Reduce(uint128 n, uint128 d, absl::string_view what) {
  const uint128 g = Gcd(n, d);  // d != 0, so g != 0
  n /= g;
  d /= g;
  if (n > kMaxU64 || d > kMaxU64) {
    return absl::OutOfRangeError(absl::StrCat(what, ": result does not fit in 64-bit integers"));
  }
  return std::make_pair(static_cast<uint64_t>(n), static_cast<uint64_t>(d));
}

absl::Status CheckDenominator(uint64_t denominator, absl::string_view what) {
  if (denominator == 0) return absl::InvalidArgumentError(absl::StrCat(what, ": denominator 0"));
  return absl::OkStatus();
}

absl::Status CheckPositive(uint64_t numerator, uint64_t denominator, absl::string_view what) {
  RINGFENCE_RETURN_IF_ERROR(CheckDenominator(denominator, what));
  if (numerator == 0) return absl::InvalidArgumentError(absl::StrCat(what, " must be positive"));
  return absl::OkStatus();
}

std::string FractionString(uint64_t n, uint64_t d) {
  return d == 1 ? absl::StrCat(n) : absl::StrCat(n, "/", d);
}

// Decimal digits only, value < 2^64.
bool ParseDigits(absl::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  uint128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint128>(c - '0');
  }
  if (v > kMaxU64) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

// The exponent of the CKS Corollary 13 bound as a function of beta = alpha - 1 > 0:
//   log delta(beta) = beta ((1 + beta) rho - eps) - beta log(1 + 1/beta) - log(1 + beta),
// which is log[exp((alpha-1)(alpha rho - eps)) / (alpha-1) * (1 - 1/alpha)^alpha] with the
// log(alpha - 1) terms, which cancel, taken out. Working in beta rather than alpha keeps full
// precision when the optimum is close to alpha = 1 (large rho).
double LogDelta(double rho, double eps, double beta) {
  return beta * ((1 + beta) * rho - eps) - beta * std::log1p(1 / beta) - std::log1p(beta);
}

// d/dbeta LogDelta = (2 beta + 1) rho - eps - log(1 + 1/beta). Strictly increasing (the
// exponent is convex in beta), from -infinity at 0+ to +infinity, so it has exactly one root.
double LogDeltaSlope(double rho, double eps, double beta) {
  return (2 * beta + 1) * rho - eps - std::log1p(1 / beta);
}

// delta(eps) for rho > 0, eps >= 0 finite. Every beta > 0 gives a valid upper bound on delta,
// so the result is sound whatever the accuracy of the search: the search only makes it tight.
double TightDelta(double rho, double eps) {
  double lo = 1, hi = 1;
  while (LogDeltaSlope(rho, eps, lo) > 0 && lo > 1e-300) lo /= 2;
  while (LogDeltaSlope(rho, eps, hi) < 0 && hi < 1e300) hi *= 2;
  for (int i = 0; i < 300 && hi > lo * (1 + 1e-15); ++i) {
    const double mid = std::sqrt(lo) * std::sqrt(hi);  // geometric: beta spans many decades
    if (LogDeltaSlope(rho, eps, mid) < 0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const double best = std::min(LogDelta(rho, eps, lo), LogDelta(rho, eps, hi));
  return best >= 0 ? 1.0 : std::exp(best);
}

absl::Status CheckReportingRho(Rho rho) {
  return CheckPositive(rho.numerator, rho.denominator, "rho");
}

absl::Status CheckDelta(double delta) {
  if (!(delta > 0 && delta < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("delta must be in (0, 1), got ", delta));
  }
  return absl::OkStatus();
}

}  // namespace

double Rational::ToDouble() const {
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

std::string Rational::ToString() const { return FractionString(numerator, denominator); }

double Rho::ToDouble() const {
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

std::string Rho::ToString() const { return FractionString(numerator, denominator); }

absl::StatusOr<Rho> Rho::Parse(absl::string_view text) {
  const auto bad = [text](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("rho \"", text, "\": ", why, " (expected \"n\" or \"n/d\", e.g. \"1/2\")"));
  };
  const size_t slash = text.find('/');
  uint64_t n = 0, d = 1;
  if (!ParseDigits(text.substr(0, slash), &n)) return bad("not a 64-bit decimal numerator");
  if (slash != absl::string_view::npos && !ParseDigits(text.substr(slash + 1), &d)) {
    return bad("not a 64-bit decimal denominator");
  }
  if (d == 0) return bad("denominator is 0");
  if (n == 0) return bad("must be positive");
  RINGFENCE_ASSIGN_OR_RETURN(auto r, Reduce(n, d, "rho"));
  return Rho{r.first, r.second};
}

bool operator==(Rho a, Rho b) {
  return static_cast<uint128>(a.numerator) * b.denominator ==
         static_cast<uint128>(b.numerator) * a.denominator;
}

bool operator!=(Rho a, Rho b) { return !(a == b); }

absl::StatusOr<Rho> Add(Rho a, Rho b) {
  RINGFENCE_RETURN_IF_ERROR(CheckDenominator(a.denominator, "Add: rho"));
  RINGFENCE_RETURN_IF_ERROR(CheckDenominator(b.denominator, "Add: rho"));
  RINGFENCE_ASSIGN_OR_RETURN(auto ra, Reduce(a.numerator, a.denominator, "Add"));
  RINGFENCE_ASSIGN_OR_RETURN(auto rb, Reduce(b.numerator, b.denominator, "Add"));
  // a/b + c/d = (a (d/g) + c (b/g)) / ((b/g) d) with g = gcd(b, d). Each product is below
  // 2^128, but their sum can wrap. When it does the result cannot fit anyway: with both inputs
  // in lowest terms the sum shares no factor with b/g or d/g, so reduction divides it by at
  // most g < 2^64, leaving a numerator of at least 2^128 / 2^64.
  const uint128 g = Gcd(ra.second, rb.second);
  const uint128 x = static_cast<uint128>(ra.first) * (rb.second / g);
  const uint128 y = static_cast<uint128>(rb.first) * (ra.second / g);
  const uint128 sum = x + y;
  if (sum < x) return absl::OutOfRangeError("Add: result does not fit in 64-bit integers");
  RINGFENCE_ASSIGN_OR_RETURN(auto r, Reduce(sum, (ra.second / g) * rb.second, "Add"));
  return Rho{r.first, r.second};
}

bool LessOrEqual(Rho a, Rho b) {
  if (a.denominator == 0 || b.denominator == 0) return false;
  return static_cast<uint128>(a.numerator) * b.denominator <=
         static_cast<uint128>(b.numerator) * a.denominator;
}

absl::StatusOr<Rho> SplitEqually(Rho total, int parts) {
  RINGFENCE_RETURN_IF_ERROR(CheckDenominator(total.denominator, "SplitEqually: rho"));
  if (parts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("SplitEqually: parts must be >= 1, got ", parts));
  }
  RINGFENCE_ASSIGN_OR_RETURN(
      auto r,
      Reduce(total.numerator, static_cast<uint128>(total.denominator) * parts, "SplitEqually"));
  return Rho{r.first, r.second};
}

absl::StatusOr<Rational> GaussianVarianceForRho(Rho rho_per_histogram) {
  RINGFENCE_RETURN_IF_ERROR(
      CheckPositive(rho_per_histogram.numerator, rho_per_histogram.denominator, "rho"));
  RINGFENCE_ASSIGN_OR_RETURN(auto r, Reduce(rho_per_histogram.denominator,
                                            static_cast<uint128>(2) * rho_per_histogram.numerator,
                                            "GaussianVarianceForRho"));
  return Rational{r.first, r.second};
}

absl::StatusOr<Rho> RhoForPureEpsilon(Rational epsilon) {
  RINGFENCE_RETURN_IF_ERROR(CheckPositive(epsilon.numerator, epsilon.denominator, "epsilon"));
  RINGFENCE_ASSIGN_OR_RETURN(auto e, Reduce(epsilon.numerator, epsilon.denominator, "epsilon"));
  // 2 d^2 can exceed 128 bits only if d^2 >= 2^127, and then the result's denominator (at
  // least d^2, since n and d share no factor) cannot fit in 64 bits anyway.
  const uint128 n2 = static_cast<uint128>(e.first) * e.first;
  const uint128 d2 = static_cast<uint128>(e.second) * e.second;
  if (d2 > (~static_cast<uint128>(0)) / 2) {
    return absl::OutOfRangeError("RhoForPureEpsilon: result does not fit in 64-bit integers");
  }
  RINGFENCE_ASSIGN_OR_RETURN(auto r, Reduce(n2, 2 * d2, "RhoForPureEpsilon"));
  return Rho{r.first, r.second};
}

absl::StatusOr<Rational> LaplaceScaleForEpsilon(Rational epsilon) {
  RINGFENCE_RETURN_IF_ERROR(CheckPositive(epsilon.numerator, epsilon.denominator, "epsilon"));
  RINGFENCE_ASSIGN_OR_RETURN(auto r,
                             Reduce(epsilon.denominator, epsilon.numerator, "LaplaceScale"));
  return Rational{r.first, r.second};
}

absl::StatusOr<double> DeltaForEpsilon(Rho rho, double epsilon) {
  RINGFENCE_RETURN_IF_ERROR(CheckReportingRho(rho));
  if (!(epsilon >= 0) || !std::isfinite(epsilon)) {
    return absl::InvalidArgumentError(
        absl::StrCat("epsilon must be finite and >= 0, got ", epsilon));
  }
  return TightDelta(rho.ToDouble(), epsilon);
}

absl::StatusOr<double> EpsilonForDelta(Rho rho, double delta) {
  RINGFENCE_RETURN_IF_ERROR(CheckReportingRho(rho));
  RINGFENCE_RETURN_IF_ERROR(CheckDelta(delta));
  const double r = rho.ToDouble();
  if (TightDelta(r, 0) <= delta) return 0.0;
  // delta(eps) decreases in eps. Start from the simple bound, which the tight conversion never
  // exceeds, but widen anyway rather than trust that.
  double lo = 0;
  double hi = r + 2 * std::sqrt(r * std::log(1 / delta));
  while (TightDelta(r, hi) > delta) {
    lo = hi;
    hi *= 2;
    if (!std::isfinite(hi)) return absl::InternalError("EpsilonForDelta: no bracket found");
  }
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (TightDelta(r, mid) <= delta) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;  // the end that satisfies delta(hi) <= delta: never understate epsilon
}

absl::StatusOr<double> SimpleEpsilonForDelta(Rho rho, double delta) {
  RINGFENCE_RETURN_IF_ERROR(CheckReportingRho(rho));
  RINGFENCE_RETURN_IF_ERROR(CheckDelta(delta));
  const double r = rho.ToDouble();
  return r + 2 * std::sqrt(r * std::log(1 / delta));
}

}  // namespace ringfence::dp
