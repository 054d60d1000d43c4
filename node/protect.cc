#include "node/protect.h"

#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "crypto/discrete_gaussian.h"

namespace ringfence::node {

absl::StatusOr<PrivacyBudget> ParsePrivacyBudget(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  PrivacyBudget b;
  bool ok = (parts.size() == 1 || parts.size() == 2) &&
            absl::SimpleAtoi(parts[0], &b.rho_numerator);
  b.rho_denominator = 1;
  if (ok && parts.size() == 2) ok = absl::SimpleAtoi(parts[1], &b.rho_denominator);
  if (!ok || b.rho_numerator == 0 || b.rho_denominator == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privacy budget '", text, "': expected a positive rational rho such as 1/2"));
  }
  return b;
}

double ProtectedGrid::noise_sd() const {
  return std::sqrt(static_cast<double>(variance_numerator) /
                   static_cast<double>(variance_denominator));
}

double ProtectedGrid::ci95_half_width() const { return 1.96 * noise_sd(); }

absl::StatusOr<std::pair<uint64_t, uint64_t>> NoiseVarianceFor(const PrivacyBudget& budget,
                                                               int histograms) {
  if (budget.rho_numerator == 0 || budget.rho_denominator == 0 || histograms <= 0) {
    return absl::InvalidArgumentError("privacy budget and histogram count must be positive");
  }
  // sigma^2 = H / (2 rho) = H * den / (2 * num). Each histogram then costs
  // 1 / (2 sigma^2) = rho / H, and H of them cost rho.
  unsigned __int128 num = static_cast<unsigned __int128>(histograms) * budget.rho_denominator;
  unsigned __int128 den = static_cast<unsigned __int128>(2) * budget.rho_numerator;
  unsigned __int128 a = num, b = den;
  while (b != 0) {
    unsigned __int128 t = a % b;
    a = b;
    b = t;
  }
  num /= a;
  den /= a;
  if (num > UINT64_MAX || den > UINT64_MAX) {
    return absl::InvalidArgumentError("privacy budget too fine-grained");
  }
  auto sampler = crypto::DiscreteGaussianSampler::Create(static_cast<uint64_t>(num),
                                                         static_cast<uint64_t>(den));
  if (!sampler.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privacy budget rho=", budget.rho_numerator, "/", budget.rho_denominator,
        " gives a noise variance the sampler cannot use: ", sampler.status().message()));
  }
  return std::make_pair(static_cast<uint64_t>(num), static_cast<uint64_t>(den));
}

absl::StatusOr<ProtectedGrid> ProtectGrid(const std::vector<int64_t>& exact,
                                          const PrivacyBudget& budget,
                                          const policy::DisclosureRule& disclosure,
                                          crypto::RandomSource& rng) {
  if (exact.size() != catalogue::GridCells().size()) {
    return absl::InvalidArgumentError(absl::StrCat("grid has ", exact.size(),
                                                   " cells; the catalogue has ",
                                                   catalogue::GridCells().size()));
  }
  RINGFENCE_RETURN_IF_ERROR(policy::ValidateDisclosureRule(disclosure));
  RINGFENCE_ASSIGN_OR_RETURN(auto variance,
                             NoiseVarianceFor(budget, catalogue::HistogramCount()));
  RINGFENCE_ASSIGN_OR_RETURN(auto sampler, crypto::DiscreteGaussianSampler::Create(
                                               variance.first, variance.second));
  ProtectedGrid out;
  out.variance_numerator = variance.first;
  out.variance_denominator = variance.second;
  out.budget = budget;
  out.disclosure = disclosure;
  out.cells.reserve(exact.size());
  for (int64_t value : exact) {
    // Any failure returns before `out` escapes: a partly noised grid is never returned.
    RINGFENCE_ASSIGN_OR_RETURN(int64_t noise, sampler.Sample(rng));
    ProtectedCell cell;
    cell.noisy_value = value + noise;
    cell.published = policy::ApplyDisclosureRule(disclosure, cell.noisy_value);
    out.cells.push_back(cell);
  }
  return out;
}

}  // namespace ringfence::node
