// `ringfence policy`: the auditor's view of a policy file (docs/policy.md, "Commands").
//
//   ringfence policy check FILE                     does the policy pass every rule?
//   ringfence policy explain FILE --recipient CLASS what does CLASS receive, and why?
//   ringfence policy digest FILE                    the digest node and coordinator report
//
// check parses FILE exactly as the node and the coordinator do (policy::ParsePolicy): on a
// pass it prints a summary (name, digest, sensitive attributes, each class with its
// enforcement/public flags and how many histograms it receives); on a failure it prints
// every firewall violation, one per line as "rule: recipient: cell: message", or the one
// structural rule that refused the file ("file: field: message", or "file:line:column:" for a
// syntax error). explain uses policy::ParsePolicyUnchecked so that it also works on a policy
// that leaks: it then prints the violations first, marked, and then one line per indicator x
// breakdown x level in catalogue order, saying RECEIVES (with the route and the taint) or
// DOES NOT RECEIVE (with why). digest prints only the digest, and only for a policy that passes.
//
// Exit codes (every subcommand):
//   0  the policy passes (check), or the requested output was printed (explain, digest);
//   1  the policy is refused (check, digest; explain when a rule before the firewall's
//      fails), the file cannot be read, or explain's class is not in the policy (the message
//      names the known classes). explain exits 0 on a policy whose firewall does not hold,
//      after marking its violations: it explains, check judges;
//   2  usage error (unknown subcommand or flag, missing FILE or --recipient).
// check's report, pass or fail, goes to `out` (so it can be piped and grepped), as do help,
// explain's listing and the digest; usage errors, unreadable files, explain's unknown class
// and a policy explain or digest cannot use go to `err`.
//
// Security: explain's output for a refused policy is an explanation, never an authority;
// check's verdict is ParsePolicy's, the same function the node and the coordinator call.
//
// Thread-compatible: writes only to the streams it is given.
#ifndef RINGFENCE_TOOLS_POLICY_COMMAND_H_
#define RINGFENCE_TOOLS_POLICY_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "policy/policy.h"

namespace ringfence::tools {

inline constexpr int kPolicyExitOk = 0;
inline constexpr int kPolicyExitRefused = 1;
inline constexpr int kPolicyExitUsage = 2;

// Runs `ringfence policy` with the arguments after "policy", writing to `out` and `err`.
int RunPolicyCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// The same on std::cout and std::cerr (what ringfence_main calls).
int RunPolicyCommand(const std::vector<std::string>& args);

// check's summary of a policy that passes (one class per line).
std::string PolicySummary(const policy::Policy& policy);

// explain's listing for `class_name`, which must be a class of `policy` (else ""): a header,
// then policy::CheckFirewall's violations, marked "!!", when there are any, then one
// RECEIVES / DOES NOT RECEIVE line per indicator x breakdown x level in catalogue order.
// `policy` may come from ParsePolicyUnchecked.
std::string ExplainRecipient(const policy::Policy& policy, absl::string_view class_name);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_POLICY_COMMAND_H_
