// Protection of a node's exact grid before anything leaves the LA: discrete Gaussian noise on
// every cell, then small-number suppression and rounding of the noisy values.
//
// Privacy: each breakdown of each indicator is a histogram in which adding or removing one
// child changes one cell by one (L2 sensitivity 1). The budget rho (zero-concentrated DP) is
// split equally across the H histograms of the grid, so every cell gets the same noise,
// sigma^2 = H / (2 rho), and the whole grid satisfies rho-zCDP (Bun & Steinke 2016;
// discrete Gaussian: Canonne, Kamath & Steinke 2020). Suppression and rounding
// (policy/disclosure.h) are applied to the noisy values only: post-processing, which cannot
// weaken the guarantee. The exact grid never leaves this function's caller.
// If randomness fails, nothing is returned (fail closed).
//
// Thread-compatible.
#ifndef RINGFENCE_NODE_PROTECT_H_
#define RINGFENCE_NODE_PROTECT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/random_source.h"
#include "policy/disclosure.h"

namespace ringfence::node {

struct PrivacyBudget {
  // rho = numerator / denominator, zCDP for one LA's grid in one collection year.
  uint64_t rho_numerator = 1;
  uint64_t rho_denominator = 2;
};

// Parses "N/D" or "N" (e.g. "1/2"). INVALID_ARGUMENT naming the text otherwise.
absl::StatusOr<PrivacyBudget> ParsePrivacyBudget(absl::string_view text);

struct ProtectedCell {
  int64_t noisy_value = 0;
  policy::PublishedValue published;
};

struct ProtectedGrid {
  uint64_t variance_numerator = 0;  // sigma^2 of every cell's noise
  uint64_t variance_denominator = 1;
  PrivacyBudget budget;
  policy::DisclosureRule disclosure;
  std::vector<ProtectedCell> cells;  // aligned with catalogue::GridCells()

  double noise_sd() const;
  // Half-width of the central 95% interval of the noise (1.96 sigma, from the Gaussian
  // approximation; exact discrete quantiles differ by less than one at these scales).
  double ci95_half_width() const;
};

// sigma^2 for a grid of `histograms` histograms under `budget`: histograms * den / (2 * num),
// reduced. INVALID_ARGUMENT if the budget is zero or sigma^2 falls outside the sampler's range.
absl::StatusOr<std::pair<uint64_t, uint64_t>> NoiseVarianceFor(const PrivacyBudget& budget,
                                                               int histograms);

// Adds noise to every cell of `exact` (one value per catalogue::GridCells() cell) and applies
// `disclosure`. INVALID_ARGUMENT if `exact` does not match the grid's size; INTERNAL if the
// random source fails.
absl::StatusOr<ProtectedGrid> ProtectGrid(const std::vector<int64_t>& exact,
                                          const PrivacyBudget& budget,
                                          const policy::DisclosureRule& disclosure,
                                          crypto::RandomSource& rng);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_PROTECT_H_
