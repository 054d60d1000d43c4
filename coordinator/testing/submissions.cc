#include "coordinator/testing/submissions.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "dp/zcdp.h"
#include "policy/firewall.h"
#include "policy/testing/policy_text.h"

namespace ringfence::coordinator::testing {

absl::StatusOr<policy::Policy> ShippedPolicy() {
  return policy::ParsePolicy(policy::testing::ShippedPolicyText(),
                             policy::testing::ShippedPolicyPath());
}

absl::StatusOr<policy::Policy> ShippedPolicyWith(absl::string_view from, absl::string_view to,
                                                 absl::string_view file) {
  const std::string text = absl::StrReplaceAll(policy::testing::ShippedPolicyText(), {{from, to}});
  return policy::ParsePolicy(text, file);
}

absl::StatusOr<policy::Policy> ShippedPolicyWithVariance(Rational variance) {
  absl::StatusOr<policy::Policy> shipped = ShippedPolicy();
  if (!shipped.ok()) return shipped.status();
  const uint64_t histograms = static_cast<uint64_t>(policy::SendableHistogramCount(*shipped));
  // sigma^2 = H / (2 rho)  <=>  rho = H / (2 sigma^2) = H * d / (2 * n); Parse reduces it.
  absl::StatusOr<dp::Rho> rho =
      dp::Rho::Parse(absl::StrCat(histograms * variance.denominator, "/", 2 * variance.numerator));
  if (!rho.ok()) return rho.status();
  // The shipped file sets both rho_per_year and rho_per_round to "1/2", and nothing else.
  absl::StatusOr<policy::Policy> out = ShippedPolicyWith(
      R"("1/2")", absl::StrCat("\"", rho->ToString(), "\""),
      absl::StrCat("variance-", variance.numerator, "-", variance.denominator, ".textproto"));
  if (!out.ok()) return out.status();
  absl::StatusOr<NoiseParameters> noise = PolicyNoise(*out);
  if (!noise.ok()) return noise.status();
  // Value equality: `variance` need not be in lowest terms.
  if (static_cast<unsigned __int128>(noise->variance.numerator) * variance.denominator !=
      static_cast<unsigned __int128>(variance.numerator) * noise->variance.denominator) {
    return absl::InternalError(absl::StrCat(
        "the shipped policy's text no longer sets rho as this fixture expects: variance ",
        noise->variance.numerator, "/", noise->variance.denominator, ", not ", variance.numerator,
        "/", variance.denominator));
  }
  return out;
}

std::vector<catalogue::CellKey> SentCells(const policy::Policy& policy) {
  std::vector<catalogue::CellKey> out;
  for (int i : policy::SendableCells(policy)) {
    out.push_back(catalogue::GridCells()[static_cast<size_t>(i)]);
  }
  return out;
}

NoiseParameters NoiseOf(const policy::Policy& policy) {
  absl::StatusOr<NoiseParameters> noise = PolicyNoise(policy);
  if (!noise.ok()) std::abort();  // a broken test, not an input
  return *noise;
}

Submission MakeSubmission(const policy::Policy& policy, absl::string_view la, int year,
                          const std::vector<int64_t>& noisy) {
  Submission s;
  s.la_code = std::string(la);
  s.year = year;
  s.catalogue_version = catalogue::kCatalogueVersion;
  s.policy_digest = policy.digest;
  s.noise = NoiseOf(policy);
  s.rule = policy.untainted_rule;
  s.tainted_rule = policy.tainted_rule;
  const std::vector<catalogue::CellKey> keys = SentCells(policy);
  if (noisy.size() != keys.size()) std::abort();  // a broken test, not an input
  for (size_t k = 0; k < keys.size(); ++k) {
    ProtectedCell c;
    c.key = keys[k];
    c.noisy_value = noisy[k];
    c.published = policy::ApplyDisclosureRule(
        policy::RuleFor(policy, c.key.indicator, c.key.breakdown), c.noisy_value);
    s.cells.push_back(std::move(c));
  }
  return s;
}

}  // namespace ringfence::coordinator::testing
