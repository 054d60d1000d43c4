#include "coordinator/testing/submissions.h"

#include <cstdlib>

#include "absl/strings/str_replace.h"
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

std::vector<catalogue::CellKey> SentCells(const policy::Policy& policy) {
  std::vector<catalogue::CellKey> out;
  for (int i : policy::SendableCells(policy)) {
    out.push_back(catalogue::GridCells()[static_cast<size_t>(i)]);
  }
  return out;
}

Submission MakeSubmission(const policy::Policy& policy, absl::string_view la, int year,
                          const std::vector<int64_t>& noisy, Rational variance) {
  Submission s;
  s.la_code = std::string(la);
  s.year = year;
  s.catalogue_version = catalogue::kCatalogueVersion;
  s.policy_digest = policy.digest;
  s.noise.mechanism = NoiseMechanism::kDiscreteGaussian;
  s.noise.variance = variance;
  s.noise.rho = Rational{1, 4};
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
