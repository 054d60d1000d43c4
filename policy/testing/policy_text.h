// Test helpers: the shipped policy (policies/england-2025.textproto) as text, whole or with
// only its firewall sections, so tests can build variants without repeating it.
//
// The file is found through $RINGFENCE_SOURCE_DIR (set by ctest for every test), else
// relative to the working directory. Test-only.
#ifndef RINGFENCE_POLICY_TESTING_POLICY_TEXT_H_
#define RINGFENCE_POLICY_TESTING_POLICY_TEXT_H_

#include <string>

namespace ringfence::policy::testing {

// Path of the shipped policy.
std::string ShippedPolicyPath();

// Its whole text ("" if it cannot be read).
std::string ShippedPolicyText();

// Its text without the top-level `name`, `data_quality` and `privacy` entries, so a test can
// prepend its own: ParsePolicy("name: \"x\"\n" + FirewallOnlyText(), ...).
std::string FirewallOnlyText();

}  // namespace ringfence::policy::testing

#endif  // RINGFENCE_POLICY_TESTING_POLICY_TEXT_H_
