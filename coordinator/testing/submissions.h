// Test fixtures for the coordinator: policies and valid submissions under them, so tests do
// not each rebuild the node's side of the contract (policy::SendableCells in catalogue order,
// each cell published with policy::RuleFor).
//
// Test-only (the target coordinator_testing_submissions is declared only when tests are
// built). Thread-safe: pure functions.
#ifndef RINGFENCE_COORDINATOR_TESTING_SUBMISSIONS_H_
#define RINGFENCE_COORDINATOR_TESTING_SUBMISSIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "catalogue/catalogue.h"
#include "coordinator/combine.h"
#include "policy/policy.h"

namespace ringfence::coordinator::testing {

// The shipped policy (policies/england-2025.textproto, via policy/testing/policy_text.h),
// parsed and checked; errors from policy::ParsePolicy.
absl::StatusOr<policy::Policy> ShippedPolicy();

// The shipped policy's text with every occurrence of `from` replaced by `to`, parsed and
// checked under the name `file`. For variants: another tainted rule, a breakdown no class
// receives, another name (hence another digest).
absl::StatusOr<policy::Policy> ShippedPolicyWith(absl::string_view from, absl::string_view to,
                                                 absl::string_view file = "variant.textproto");

// The shipped policy with rho_per_year and rho_per_round both set to H / (2 variance), where
// H = policy::SendableHistogramCount of the shipped policy, so that its noise (PolicyNoise) has
// exactly `variance` (within ParsePolicy's limits: sigma <= 1024, denominator <= 2^31). For
// tests that need particular variances. Errors from policy::ParsePolicy.
absl::StatusOr<policy::Policy> ShippedPolicyWithVariance(Rational variance);

// The cells `policy` sends, in catalogue order (policy::SendableCells as keys).
std::vector<catalogue::CellKey> SentCells(const policy::Policy& policy);

// The noise every submission under `policy` declares (coordinator::PolicyNoise); aborts if
// the policy defines none (a broken test, not an input).
NoiseParameters NoiseOf(const policy::Policy& policy);

// A submission that ValidateSubmission(.., policy) accepts: `la`, `year`, the policy's digest
// and rules, the policy's noise (NoiseOf: its rho_per_round and sigma^2 = H / (2 rho)), and
// the k-th sent cell with noisy value noisy[k] (noisy.size() must be SentCells(policy).size()),
// published with policy::RuleFor.
Submission MakeSubmission(const policy::Policy& policy, absl::string_view la, int year,
                          const std::vector<int64_t>& noisy);

}  // namespace ringfence::coordinator::testing

#endif  // RINGFENCE_COORDINATOR_TESTING_SUBMISSIONS_H_
