#include "node/protect.h"

#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "crypto/discrete_gaussian.h"
#include "policy/firewall.h"

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

int ProtectedGrid::sent_cells() const {
  int n = 0;
  for (const ProtectedCell& c : cells) n += c.sent ? 1 : 0;
  return n;
}

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

namespace {

PrivacyBudget RoundBudget(const policy::Policy& policy) {
  return PrivacyBudget{policy.privacy.rho_per_round.numerator,
                       policy.privacy.rho_per_round.denominator};
}

// What to do with one cell of the grid.
struct CellPlan {
  bool sent = false;
  bool tainted = false;
};

// The one implementation behind both overloads, so that they draw identically: one sample per
// sent cell, in catalogue order, and none for the others.
absl::StatusOr<ProtectedGrid> Protect(const std::vector<int64_t>& exact,
                                      const PrivacyBudget& budget, int histograms,
                                      const policy::DisclosureRule& untainted,
                                      const policy::DisclosureRule& tainted,
                                      const std::vector<CellPlan>& plan,
                                      crypto::RandomSource& rng) {
  if (exact.size() != catalogue::GridCells().size()) {
    return absl::InvalidArgumentError(absl::StrCat("grid has ", exact.size(),
                                                   " cells; the catalogue has ",
                                                   catalogue::GridCells().size()));
  }
  RINGFENCE_RETURN_IF_ERROR(policy::ValidateDisclosureRule(untainted));
  RINGFENCE_RETURN_IF_ERROR(policy::ValidateDisclosureRule(tainted));
  RINGFENCE_ASSIGN_OR_RETURN(auto variance, NoiseVarianceFor(budget, histograms));
  RINGFENCE_ASSIGN_OR_RETURN(auto sampler, crypto::DiscreteGaussianSampler::Create(
                                               variance.first, variance.second));
  ProtectedGrid out;
  out.variance_numerator = variance.first;
  out.variance_denominator = variance.second;
  out.budget = budget;
  out.histograms = histograms;
  out.untainted_rule = untainted;
  out.tainted_rule = tainted;
  out.cells.reserve(exact.size());
  for (size_t i = 0; i < exact.size(); ++i) {
    ProtectedCell cell;
    cell.sent = plan[i].sent;
    cell.tainted = plan[i].tainted;
    if (cell.sent) {
      // Any failure returns before `out` escapes: a partly noised grid is never returned.
      RINGFENCE_ASSIGN_OR_RETURN(int64_t noise, sampler.Sample(rng));
      cell.noisy_value = exact[i] + noise;
      cell.published =
          policy::ApplyDisclosureRule(cell.tainted ? tainted : untainted, cell.noisy_value);
    } else {
      // No noise was paid for: keep nothing of the exact value.
      cell.noisy_value = 0;
      cell.published = policy::PublishedValue{true, 0};
    }
    out.cells.push_back(cell);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::pair<uint64_t, uint64_t>> NoiseVarianceFor(const policy::Policy& policy) {
  const int histograms = policy::SendableHistogramCount(policy);
  if (histograms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy '", policy.name, "' lets no recipient class receive any cell"));
  }
  return NoiseVarianceFor(RoundBudget(policy), histograms);
}

absl::StatusOr<ProtectedGrid> ProtectGrid(const std::vector<int64_t>& exact,
                                          const policy::Policy& policy,
                                          crypto::RandomSource& rng) {
  // Taint and reach are properties of whole histograms, so decide once per histogram.
  std::map<std::pair<std::string, std::string>, CellPlan> by_histogram;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    for (const std::string& bd : ind.breakdowns) {
      CellPlan p;
      p.sent = policy::Sendable(policy, ind.name, bd);
      p.tainted = policy::IsTainted(policy, ind.name, bd);
      by_histogram[{ind.name, bd}] = p;
    }
  }
  // The same count the coordinator uses to check the variance (policy/firewall.h).
  const int histograms = policy::SendableHistogramCount(policy);
  if (histograms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy '", policy.name, "' lets no recipient class receive any cell"));
  }
  std::vector<CellPlan> plan;
  plan.reserve(catalogue::GridCells().size());
  for (const catalogue::CellKey& key : catalogue::GridCells()) {
    plan.push_back(by_histogram.at({key.indicator, key.breakdown}));
  }
  RINGFENCE_ASSIGN_OR_RETURN(
      ProtectedGrid out, Protect(exact, RoundBudget(policy), histograms, policy.untainted_rule,
                                 policy.tainted_rule, plan, rng));
  out.policy_digest = policy.digest;
  return out;
}

}  // namespace ringfence::node
