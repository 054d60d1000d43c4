// The Ringfence policy: loading and checking a `ringfence.v1.Policy` textproto
// (proto/policy.proto, docs/policy.md).
//
// Contract: ParsePolicy accepts a policy only if it parses strictly (no unknown field or enum
// name; errors name the file, line and column) and passes every rule below; otherwise
// INVALID_ARGUMENT whose message starts with the file name and says which rule fired:
//   - `name` is given;
//   - data_quality.quarantine lists no class twice, not ERROR_CLASS_UNSPECIFIED, and neither
//     STRUCTURE nor MISSING_CHILD_ID (policy::CanQuarantine).
//   - privacy, when given: rho_per_year and rho_per_round are positive rationals "N/D" with
//     rho_per_round <= rho_per_year; split and mechanism are the supported ones (or unset);
//     display_delta is 0 (default) or in (0, 1e-3]; and the noise the split implies,
//     sigma^2 = histograms / (2 rho_per_round), is within the sampler's range (sigma <= 1024).
// The parsed Policy is plain C++; protobuf stays inside this unit.
//
// Security: the policy is what the node and the coordinator enforce, so a file that fails any
// rule is refused as a whole; nothing falls back to defaults silently.
//
// Thread-safe: no shared state.
#ifndef RINGFENCE_POLICY_POLICY_H_
#define RINGFENCE_POLICY_POLICY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dp/zcdp.h"
#include "policy/data_quality.h"

namespace ringfence::policy {

// The privacy section (proto/policy.proto, docs/privacy.md), with the defaults filled in.
struct PrivacyPolicy {
  dp::Rho rho_per_year{1, 2};
  dp::Rho rho_per_round{1, 2};
  double display_delta = 1e-6;
};

struct Policy {
  std::string name;
  std::string file;                 // where it was read from (for messages)
  DataErrorClassSet quarantinable;  // data_quality.quarantine
  PrivacyPolicy privacy;
};

// The defaults used when a node runs without --policy: nothing quarantined, default privacy.
Policy DefaultPolicy();

// Parses and checks `text`; `file` names it in error messages.
absl::StatusOr<Policy> ParsePolicy(absl::string_view text, absl::string_view file);

// Reads `path` and parses it. NOT_FOUND / PERMISSION_DENIED name the path.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

}  // namespace ringfence::policy

#endif  // RINGFENCE_POLICY_POLICY_H_
