// Protection of a node's exact grid before anything leaves the LA: discrete Gaussian noise on
// every cell the policy sends, then small-number suppression and rounding of the noisy values
// by the policy's disclosure rule for the cell's taint.
//
// Privacy: each breakdown of each indicator is a histogram in which adding or removing one
// child changes one cell by one (L2 sensitivity 1). Only the histograms the policy sends
// (policy::Sendable: some recipient class may receive them) are noised and paid for: the
// round's budget rho (the policy's privacy.rho_per_round, zero-concentrated DP) is split
// equally across those H' = policy::SendableHistogramCount(policy) histograms, so every sent
// cell gets the same noise, sigma^2 = H' / (2 rho), and the sent cells together satisfy
// rho-zCDP (Bun & Steinke 2016; discrete Gaussian: Canonne, Kamath & Steinke 2020). The cells
// of histograms nobody may receive get NO noise and no share of the budget: they are marked
// not sent, carry no value (0, suppressed) and must never leave the node or be shown, since
// their privacy cost was never accounted for. Suppression and rounding (policy/disclosure.h)
// are applied to the noisy values only, with policy::RuleFor's rule: the untainted rule, or
// the (at least as strict) tainted rule for cells derived from a sensitive attribute. That is
// post-processing, which cannot weaken the guarantee. The exact grid never leaves this
// function's caller. If randomness fails, nothing is returned (fail closed): a partly noised
// grid never escapes.
//
// Arithmetic: sigma^2 is an exact rational (no floating point reaches the sampler).
//
// Thread-compatible.
#ifndef RINGFENCE_NODE_PROTECT_H_
#define RINGFENCE_NODE_PROTECT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/random_source.h"
#include "policy/disclosure.h"
#include "policy/policy.h"

namespace ringfence::node {

struct PrivacyBudget {
  // rho = numerator / denominator, zCDP for one LA's grid in one round.
  uint64_t rho_numerator = 1;
  uint64_t rho_denominator = 2;
};

// Parses "N/D" or "N" (e.g. "1/2"). INVALID_ARGUMENT naming the text otherwise.
absl::StatusOr<PrivacyBudget> ParsePrivacyBudget(absl::string_view text);

struct ProtectedCell {
  // Whether this cell is protected and may be sent: its histogram is policy::Sendable. A cell
  // that is not sent has noisy_value 0 and published {suppressed, 0}, unrelated to the data.
  bool sent = false;
  // Whether the tainted disclosure rule was applied (policy::IsTainted of its histogram).
  bool tainted = false;
  int64_t noisy_value = 0;
  policy::PublishedValue published;
};

struct ProtectedGrid {
  uint64_t variance_numerator = 0;  // sigma^2 of every sent cell's noise
  uint64_t variance_denominator = 1;
  PrivacyBudget budget;  // rho spent by the whole grid (all sent histograms together)
  int histograms = 0;    // the number of sent histograms rho is split over (H')
  policy::DisclosureRule untainted_rule;
  policy::DisclosureRule tainted_rule;
  // policy::Policy::digest of the policy the grid was protected under.
  std::string policy_digest;
  std::vector<ProtectedCell> cells;  // aligned with catalogue::GridCells()

  double noise_sd() const;
  // Half-width of the central 95% interval of the noise (1.96 sigma, from the Gaussian
  // approximation; exact discrete quantiles differ by less than one at these scales).
  double ci95_half_width() const;
  // The number of cells with `sent`.
  int sent_cells() const;
};

// sigma^2 for `histograms` histograms sharing `budget` equally: histograms * den / (2 * num),
// reduced. INVALID_ARGUMENT if the budget or the count is not positive, or if sigma^2 falls
// outside the sampler's range.
absl::StatusOr<std::pair<uint64_t, uint64_t>> NoiseVarianceFor(const PrivacyBudget& budget,
                                                               int histograms);

// sigma^2 of a round under `policy`: its rho_per_round split over
// policy::SendableHistogramCount(policy) histograms. INVALID_ARGUMENT as above, including when
// the policy sends no histogram at all.
absl::StatusOr<std::pair<uint64_t, uint64_t>> NoiseVarianceFor(const policy::Policy& policy);

// Protects `exact` (one value per catalogue::GridCells() cell) as `policy` says: noise from
// NoiseVarianceFor(policy) on the cells of every sendable histogram, in catalogue order, and
// policy::RuleFor's disclosure rule on each; the other cells are left unsent (see above).
// The result records the policy's digest. INVALID_ARGUMENT if `exact` does not match the
// grid's size or the policy's budget or rules are unusable; INTERNAL if the random source
// fails.
//
// The policy is not re-checked here (ParsePolicy has checked it; BuildSubmitRequest checks the
// firewall again before anything is sent).
absl::StatusOr<ProtectedGrid> ProtectGrid(const std::vector<int64_t>& exact,
                                          const policy::Policy& policy,
                                          crypto::RandomSource& rng);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_PROTECT_H_
