#include "policy/testing/policy_text.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"

namespace ringfence::policy::testing {

std::string ShippedPolicyPath() {
  const char* root = std::getenv("RINGFENCE_SOURCE_DIR");
  const std::string dir = root != nullptr ? root : ".";
  return dir + "/policies/england-2025.textproto";
}

std::string ShippedPolicyText() {
  std::ifstream in(ShippedPolicyPath());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FirewallOnlyText() {
  std::istringstream in(ShippedPolicyText());
  std::string out, line;
  int depth = 0;  // > 0 while inside a skipped top-level block
  while (std::getline(in, line)) {
    if (depth > 0) {
      for (char c : line) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
      continue;
    }
    if (absl::StartsWith(line, "name:")) continue;
    if (absl::StartsWith(line, "data_quality") || absl::StartsWith(line, "privacy")) {
      for (char c : line) depth += c == '{' ? 1 : c == '}' ? -1 : 0;
      continue;
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace ringfence::policy::testing
