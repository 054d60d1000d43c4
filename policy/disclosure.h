// Statistical disclosure control applied to noisy counts: small-number suppression, then
// rounding. Used by the node for its LA-level cells and by the coordinator for regional and
// national sums, so both apply exactly the same rule.
//
// Privacy: these rules are post-processing. They run only on values that already carry
// differential-privacy noise (node/protect.h), never on exact counts, so they cannot weaken
// the DP guarantee; they exist so that no published figure looks like an exact small count.
// Applying them to exact counts instead would make the suppression pattern itself a
// disclosure (and is why node/protect.h is the only caller on the node).
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_POLICY_DISCLOSURE_H_
#define RINGFENCE_POLICY_DISCLOSURE_H_

#include <cstdint>

#include "absl/status/status.h"

namespace ringfence::policy {

struct DisclosureRule {
  // Noisy values strictly below this are suppressed (published as "c").
  int64_t suppression_threshold = 10;
  // Values that are not suppressed are rounded to the nearest multiple of this; a value
  // exactly halfway rounds away from zero.
  int64_t rounding_base = 5;
};

// The walking skeleton's rule, until the policy file (issue 6) sets it per recipient class.
inline constexpr DisclosureRule kDefaultDisclosureRule{10, 5};

struct PublishedValue {
  bool suppressed = false;
  int64_t value = 0;  // 0 when suppressed
  bool operator==(const PublishedValue& o) const {
    return suppressed == o.suppressed && value == o.value;
  }
};

// INVALID_ARGUMENT unless threshold >= 0 and 1 <= rounding_base <= 1000000.
absl::Status ValidateDisclosureRule(const DisclosureRule& rule);

// Suppress-then-round. `rule` must be valid.
PublishedValue ApplyDisclosureRule(const DisclosureRule& rule, int64_t noisy_value);

}  // namespace ringfence::policy

#endif  // RINGFENCE_POLICY_DISCLOSURE_H_
