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
//   - the firewall (policy/firewall.h has the taint rules and their messages):
//     sensitive_attributes are catalogue attributes, without repeats, and include nationality,
//     immigration_status and nrpf; `breakdowns` declares every catalogue breakdown exactly once
//     and nothing else, each with at least the attributes the catalogue says it uses;
//     disclosure rules have suppress_below >= 1 and round_to >= 1, and the tainted rule is at
//     least as strict as the untainted one; recipient_classes have unique names
//     [a-z][a-z0-9_]*, include public (public: true), la_own, dfe_analyst, inspectorate and
//     home_office_enforcement (enforcement: true); inherits name known classes without cycles;
//     every class has at least one grant of its own or inherited; every grant names known
//     indicators and breakdowns (or "*"), at least one level, a reason, and at least one
//     existing indicator x breakdown pair; and no tainted cell can reach an enforcement class
//     (CheckFirewall).
// The parsed Policy is plain C++; protobuf stays inside this unit. Policy::digest is the
// lower-case hex SHA-256 of the policy's deterministic binary serialisation, so comments,
// layout and field order in the file do not change it.
//
// Security: the policy is what the node and the coordinator enforce, so a file that fails any
// rule is refused as a whole; nothing falls back to defaults silently.
//
// Thread-safe: no shared state.
#ifndef RINGFENCE_POLICY_POLICY_H_
#define RINGFENCE_POLICY_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dp/zcdp.h"
#include "policy/data_quality.h"
#include "policy/disclosure.h"

namespace ringfence::policy {

// The privacy section (proto/policy.proto, docs/privacy.md), with the defaults filled in.
struct PrivacyPolicy {
  dp::Rho rho_per_year{1, 2};
  dp::Rho rho_per_round{1, 2};
  double display_delta = 1e-6;
};

enum class GeoLevel { kNational, kRegional, kLocalAuthority };
inline constexpr GeoLevel kAllGeoLevels[] = {GeoLevel::kNational, GeoLevel::kRegional,
                                             GeoLevel::kLocalAuthority};
// "National", "Regional", "Local authority" (the release's words).
absl::string_view GeoLevelName(GeoLevel level);

// One grant, with "*" expanded to the catalogue's names.
struct Grant {
  std::vector<std::string> indicators;
  std::vector<std::string> breakdowns;
  std::vector<GeoLevel> levels;
  std::string reason;
  int index = 0;  // 1-based position among its class's grants, for messages
};

struct RecipientClass {
  std::string name;
  std::string description;
  bool enforcement = false;
  bool is_public = false;
  std::vector<std::string> inherits;
  std::vector<Grant> grants;
};

inline constexpr char kPublicClass[] = "public";
inline constexpr char kLaOwnClass[] = "la_own";
inline constexpr char kEnforcementClass[] = "home_office_enforcement";

struct Policy {
  std::string name;
  std::string file;                 // where it was read from (for messages)
  std::string digest;               // hex SHA-256 of the deterministic serialisation
  DataErrorClassSet quarantinable;  // data_quality.quarantine
  PrivacyPolicy privacy;
  std::vector<std::string> sensitive_attributes;  // sorted
  // Breakdown name -> the attributes it derives from (declared, which include the catalogue's).
  std::map<std::string, std::vector<std::string>> breakdown_attributes;
  DisclosureRule untainted_rule = kDefaultDisclosureRule;
  DisclosureRule tainted_rule = kDefaultDisclosureRule;
  std::vector<RecipientClass> classes;

  const RecipientClass* FindClass(absl::string_view name) const;
};

// Parses and checks `text`; `file` names it in error messages. With several violations of
// the firewall's taint rules, the message lists every one, one per line.
absl::StatusOr<Policy> ParsePolicy(absl::string_view text, absl::string_view file);

// Every rule except the firewall's taint rules (CheckFirewall), so that `ringfence policy
// explain` can show why a policy that leaks would leak. Never use the result to enforce.
absl::StatusOr<Policy> ParsePolicyUnchecked(absl::string_view text, absl::string_view file);

// Reads `path` and parses it. NOT_FOUND / PERMISSION_DENIED name the path.
absl::StatusOr<Policy> LoadPolicyFile(const std::string& path);
absl::StatusOr<Policy> LoadPolicyFileUnchecked(const std::string& path);

}  // namespace ringfence::policy

#endif  // RINGFENCE_POLICY_POLICY_H_
