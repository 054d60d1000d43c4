#include "policy/disclosure.h"

#include "absl/strings/str_cat.h"

namespace ringfence::policy {

absl::Status ValidateDisclosureRule(const DisclosureRule& rule) {
  if (rule.suppression_threshold < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("suppression threshold must be >= 0, got ", rule.suppression_threshold));
  }
  if (rule.rounding_base < 1 || rule.rounding_base > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("rounding base must be 1..1000000, got ", rule.rounding_base));
  }
  return absl::OkStatus();
}

PublishedValue ApplyDisclosureRule(const DisclosureRule& rule, int64_t noisy_value) {
  if (noisy_value < rule.suppression_threshold) return PublishedValue{true, 0};
  const int64_t b = rule.rounding_base;
  // Non-negative here unless the threshold is 0 and the value negative; handle both signs.
  const int64_t magnitude = noisy_value < 0 ? -noisy_value : noisy_value;
  int64_t rounded = (magnitude / b) * b;
  const int64_t rem = magnitude % b;
  if (2 * rem >= b) rounded += b;  // halves away from zero
  return PublishedValue{false, noisy_value < 0 ? -rounded : rounded};
}

}  // namespace ringfence::policy
