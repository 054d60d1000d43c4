// `ringfence audit noninterference`: an auditor's own test of the firewall on real or
// synthetic data (docs/firewall.md).
//
//   ringfence audit noninterference --data DIR --la CODE --year YYYY --policy FILE
//                                   [--postcodes FILE]
//
// Loads the LA's folder as the node does (strict validation, the policy's quarantine), then
// runs tools::CheckNoninterference: the real node and coordinator pipeline on the data and on
// shuffled, blanked, uniform and random versions of its sensitive records, all with the same
// noise (drawn from OpenSSL and replayed in memory), and compares every byte each enforcement
// and public class would receive, and every untainted cell the node would send.
//
// Output (stdout): one line per variant, PASS or FAIL with the first differing cell (never a
// value), how many tainted cells the variants changed, and a verdict line. Nothing is sent or
// written anywhere.
//
// Exit codes: 0 non-interference holds; 1 it does not, or the data, policy or folder could not
// be used (message on stderr); 2 usage error.
#ifndef RINGFENCE_TOOLS_AUDIT_COMMAND_H_
#define RINGFENCE_TOOLS_AUDIT_COMMAND_H_

#include <string>
#include <vector>

namespace ringfence::tools {

int RunAuditCommand(const std::vector<std::string>& args);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_AUDIT_COMMAND_H_
