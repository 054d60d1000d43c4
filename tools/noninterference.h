// Non-interference of the firewall, checked by running the real pipeline: node protection and
// submission, then the coordinator's validation, combine and per-recipient filter, once on an
// LA's data and once per variant of its sensitive data, all with the SAME noise. It passes
// when every byte each checked class would receive, and every untainted cell the node sends,
// is identical across the variants: then nothing those classes get depends on nationality,
// immigration status or NRPF (docs/firewall.md, promise 5).
//
// Same noise: the first run records the random bytes the samplers draw from `noise_source`;
// every variant's run replays exactly those bytes. Noise is drawn per cell whatever the cell's
// value, so a variant that consumed a different number of bytes would itself be interference
// (reported as such).
//
// Privacy: the recorded bytes and every intermediate (exact grids, noisy cells) stay in this
// process's memory; the report says only which variant and which cell differed, never a value.
// Used by `ringfence audit noninterference` on an auditor's own machine and by
// tests/noninterference_test.cc with a deterministic source.
//
// Thread-compatible.
#ifndef RINGFENCE_TOOLS_NONINTERFERENCE_H_
#define RINGFENCE_TOOLS_NONINTERFERENCE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/random_source.h"
#include "node/la_data.h"
#include "policy/policy.h"

namespace ringfence::tools {

// A change to an LA's sensitive records (LaData::sensitive), as an arbitrary edit of
// sensitive.csv would make. `rng` may be used for random choices.
struct SensitiveVariant {
  std::string name;
  std::function<void(node::LaData* data, crypto::RandomSource& rng)> apply;
};

// shuffled (the rows' children permuted), blank (no sensitive rows), all-same (every child the
// same nationality, status and NRPF), random (every child random valid values, some none).
std::vector<SensitiveVariant> StandardSensitiveVariants();

struct NoninterferenceReport {
  bool pass = true;
  // One line per variant: "PASS shuffled" or "FAIL shuffled: <class> release differs at
  // <indicator>/<breakdown>/<group> (<level>)" / "... untainted cell ... differs".
  std::vector<std::string> lines;
  // How many tainted cells changed in at least one variant: shows the variants did change
  // what the sensitive data feeds (a check whose variants change nothing proves nothing).
  int tainted_cells_changed = 0;
  std::vector<std::string> classes_checked;
};

// Runs the check for `*la_data` (one LA's loaded data for `year`) under `policy` (which must
// pass the firewall check). `classes`: the recipient classes whose releases must not change;
// empty means every enforcement class and every public class of the policy. `variants`:
// typically StandardSensitiveVariants(); `variant_rng` drives their random choices. Variants
// may change only la_data->sensitive, which is restored before returning.
// Errors: the pipeline's (e.g. FAILED_PRECONDITION for a policy that fails the check).
absl::StatusOr<NoninterferenceReport> CheckNoninterference(
    node::LaData* la_data, int year, const policy::Policy& policy,
    const std::vector<SensitiveVariant>& variants, std::vector<std::string> classes,
    crypto::RandomSource& noise_source, crypto::RandomSource& variant_rng);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_NONINTERFERENCE_H_
