// The Ringfence policy: loading and checking a `ringfence.v1.Policy` textproto
// (proto/policy.proto, docs/policy.md).
//
// Contract: ParsePolicy accepts a policy only if it parses strictly (no unknown field or enum
// name; errors name the file, line and column) and passes every rule below; otherwise
// INVALID_ARGUMENT whose message starts with the file name and says which rule fired:
//   - `name` is given;
//   - data_quality.quarantine lists no class twice, not ERROR_CLASS_UNSPECIFIED, and neither
//     STRUCTURE nor MISSING_CHILD_ID (policy::CanQuarantine).
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
#include "policy/data_quality.h"

namespace ringfence::policy {

struct Policy {
  std::string name;
  std::string file;                 // where it was read from (for messages)
  DataErrorClassSet quarantinable;  // data_quality.quarantine
};

// Parses and checks `text`; `file` names it in error messages.
absl::StatusOr<Policy> ParsePolicy(absl::string_view text, absl::string_view file);

// Reads `path` and parses it. NOT_FOUND / PERMISSION_DENIED name the path.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);

}  // namespace ringfence::policy

#endif  // RINGFENCE_POLICY_POLICY_H_
