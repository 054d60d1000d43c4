// The coordinator's core: checks that an LA's submission is a well-formed
// protected grid of the catalogue, and combines the submissions of one
// collection year into the released table (England, regional and LA rows). Pure
// C++: no gRPC, no protobuf, no I/O. coordinator/proto_util.h converts to and
// from the wire messages.
//
// Privacy: the coordinator only ever handles noisy values (exact counts never
// leave a node). Everything it releases is post-processing of those noisy
// values, so the nodes' DP guarantee carries over unchanged:
//   * LA rows carry the node's own publication decision (suppressed, or the
//     rounded noisy value), re-checked here against the cell's disclosure
//     rule under the policy. The unrounded noisy_value of a single LA is NEVER
//     put in a released cell.
//   * Regional and England rows are the sum of the contributing LAs' noisy
//     values, to which the same suppress-then-round rule (policy/disclosure.h,
//     the cell's policy::RuleFor) is applied. Noise has mean 0, so sums are
//     unbiased; their noise variance is the exact sum of the LAs' variances.
//   * Each cell's noise SD and 95% interval half-width (NoiseUncertaintyOf)
//     are functions of public parameters only (variance, rounding base), never
//     of a value.
//   * Which cells a node sends, and which suppression and rounding rule each
//     follows (untainted or tainted), come from the firewall policy
//     (policy/policy.h, policy/firewall.h) that node and coordinator share; a
//     submission made under another policy (another digest) is refused.
// What a recipient may see of the table is decided afterwards, per recipient
// class, by FilterForRecipient.
//
// Thread-safe: pure functions over values.
#ifndef RINGFENCE_COORDINATOR_COMBINE_H_
#define RINGFENCE_COORDINATOR_COMBINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalogue/catalogue.h"
#include "policy/disclosure.h"
#include "policy/policy.h"

namespace ringfence::coordinator {

// A non-negative exact rational. A valid one has denominator != 0.
struct Rational {
  uint64_t numerator = 0;
  uint64_t denominator = 1;
  bool operator==(const Rational& o) const {
    return numerator == o.numerator && denominator == o.denominator;
  }
};

// Adds two rationals exactly and reduces the result by the gcd. INTERNAL when
// the reduced result does not fit in uint64 (numerator or denominator),
// INVALID_ARGUMENT for a zero denominator.
absl::StatusOr<Rational> AddRational(const Rational& a, const Rational& b);

enum class NoiseMechanism { kUnspecified, kDiscreteGaussian };

struct NoiseParameters {
  NoiseMechanism mechanism = NoiseMechanism::kUnspecified;
  Rational variance;  // sigma^2 of every cell's noise
  Rational rho;       // zCDP spent by the whole grid
};

// One cell as the node protected it.
struct ProtectedCell {
  catalogue::CellKey key;
  int64_t noisy_value = 0;           // exact count + noise; never released at LA level
  policy::PublishedValue published;  // the node's LA-level decision
};

// One LA's protected grid for one collection year.
struct Submission {
  std::string la_code;
  int year = 0;
  unsigned catalogue_version = 0;
  // Hex SHA-256 of the policy the node protected the grid under (policy::Policy::digest).
  std::string policy_digest;
  NoiseParameters noise;
  // The rule the node declares for untainted cells (NoiseParams.suppression_threshold and
  // rounding_base).
  policy::DisclosureRule rule;
  // The rule the node declares for tainted cells (NoiseParams.tainted_suppression_threshold
  // and tainted_rounding_base). Both declared rules must be the policy's; each cell is also
  // re-checked against policy::RuleFor, which is what binds.
  policy::DisclosureRule tainted_rule;
  // The cells of policy::SendableCells(policy), in catalogue order.
  std::vector<ProtectedCell> cells;
};

// The noise every submission under `policy` must declare: the discrete Gaussian, with rho the
// policy's privacy.rho_per_round (the zCDP the whole grid spends) and variance
//   sigma^2 = H / (2 rho),  H = policy::SendableHistogramCount(policy),
// i.e. dp::GaussianVarianceForRho(dp::SplitEqually(rho, H)): the budget split equally over
// the H histograms the node sends (node/protect.h computes the same value independently).
// Both in lowest terms. INVALID_ARGUMENT naming the policy when it sends no histogram, or when
// a value does not fit in 64 bits (ParsePolicy refuses both, so a loaded policy never fails).
absl::StatusOr<NoiseParameters> PolicyNoise(const policy::Policy& policy);

// The largest |noisy_value| accepted. Far above any real count (England has
// ~84,000 children looked after) plus any sensible noise, and small enough that
// sums over every LA cannot overflow. A value beyond it is a broken or hostile
// node.
inline constexpr int64_t kMaxAbsNoisyValue = 1'000'000'000;

// Checks a submission against catalogue version kCatalogueVersion and the
// coordinator's policy:
//   * la_code is in the LA registry;
//   * policy_digest is policy.digest: otherwise FAILED_PRECONDITION naming the
//     first 12 hex characters of both digests and the coordinator's policy
//     name and file (checked before anything else about the grid, since
//     another policy means another set of cells and rules);
//   * year in [kFirstYear, kLastYear]; catalogue_version == kCatalogueVersion;
//   * noise mechanism is the discrete Gaussian with non-zero variance and rho
//     (numerators and denominators); the declared rho equals the policy's
//     privacy.rho_per_round and the declared variance equals PolicyNoise's
//     sigma^2 = H / (2 rho), each compared as exact rationals by value (9/2 ==
//     18/4). Noise is added on the node, so the coordinator cannot see it; this
//     check refuses a node that says it used less noise (or spent more budget)
//     than the policy allows, e.g. one running another build or configuration;
//   * the declared rules equal the policy's untainted and tainted rules;
//   * the cells are exactly the catalogue cells of policy::SendableCells(policy)
//     (every histogram some class may receive), in catalogue order: no cell
//     that no class receives, none missing;
//   * |noisy_value| <= kMaxAbsNoisyValue, and each cell's (suppressed, rounded
//     value) is what suppress-then-round under policy::RuleFor(policy, cell)
//     (the tainted rule for a tainted cell, else the untainted one) gives for
//     its noisy value (the coordinator re-checks the node's post-processing,
//     so a node cannot publish an unsuppressed small or unrounded value).
// Returns OK, FAILED_PRECONDITION (policy digest), or INVALID_ARGUMENT naming
// the LA, the cell and the rule broken (for the noise: the declared and the
// expected value and the policy), or PolicyNoise's error. Messages may quote the submission's
// own values: they go back to the submitting node only, never to logs.
absl::Status ValidateSubmission(const Submission& submission, const policy::Policy& policy);

enum class GeographicLevel { kNational, kRegional, kLocalAuthority };

// One released cell. Region fields are empty on national rows; LA fields empty
// above LA level. England's code and name
// (catalogue::kEnglandCode/kEnglandName) are implied by kNational.
struct ReleasedCell {
  GeographicLevel level = GeographicLevel::kNational;
  std::string region_code;
  std::string region_name;
  std::string la_code;
  std::string la_name;
  catalogue::CellKey key;
  policy::PublishedValue published;
  Rational noise_variance;  // of the value before rounding; the source of truth
  int contributing_las = 0;
  // Derived from noise_variance and the rounding base by NoiseUncertaintyOf.
  double noise_sd = 0;
  double ci95_half_width = 0;
};

// The normal quantile of a two-sided 95% interval.
inline constexpr double kCi95NormalQuantile = 1.96;

// The uncertainty that a released value carries from noise and rounding.
struct NoiseUncertainty {
  double sd = 0;               // sqrt(variance)
  double ci95_half_width = 0;  // kCi95NormalQuantile * sd + rounding_base / 2
};

// The uncertainty of a value whose noise has variance `variance` (one LA's
// discrete Gaussian, or the sum of independent ones, whose variances add) and
// which was then rounded to a multiple of `rounding_base`:
//   sd              = sqrt(variance.numerator / variance.denominator)
//   ci95_half_width = 1.96 * sd + rounding_base / 2
// so that value +/- ci95_half_width is a 95% interval for the exact count
// ("noise and rounding"). It is a normal approximation to the noise, with the
// largest rounding error added on top; at these scales it is conservative: a
// discrete Gaussian's variance is at most its parameter sigma^2, and an integer
// rounded to a multiple of b moves by at most floor(b/2) <= b/2.
// INVALID_ARGUMENT for a zero denominator or a rounding base below 1.
absl::StatusOr<NoiseUncertainty> NoiseUncertaintyOf(const Rational& variance,
                                                    int64_t rounding_base);

struct ReleaseTable {
  int year = 0;
  unsigned catalogue_version = 0;
  std::vector<std::string> la_codes;  // the LAs in the table, in registry order
  std::vector<ReleasedCell> cells;
  // Set by FilterForRecipient: the policy the cells were filtered by, and for whom.
  std::string policy_digest;
  std::string recipient_class;
};

// Combines the submissions of `year` (any order; at most one per LA) into the
// released table. Each submission is validated first (ValidateSubmission
// against `policy`). Rows: England first, then each region with at least one
// submission in catalogue::AllRegions() order, then each submitting LA in
// registry order; within a geography, the cells of policy::SendableCells in
// catalogue order. Regional and England values are
// policy::ApplyDisclosureRule(policy::RuleFor(policy, cell), sum of noisy
// values). Every cell, suppressed or not, carries NoiseUncertaintyOf(its
// variance, the rounding base of its RuleFor rule).
//
// Privacy: the table holds every sendable cell at every level, whoever may
// receive it. It must go through FilterForRecipient before it leaves the
// coordinator.
//
// Errors: NOT_FOUND when `submissions` is empty; FAILED_PRECONDITION or
// INVALID_ARGUMENT for an invalid submission (as ValidateSubmission), a
// submission for another year, or two submissions from one LA; INTERNAL if a
// summed noise variance does not fit in uint64.
absl::StatusOr<ReleaseTable> Combine(int year, const std::vector<Submission>& submissions,
                                     const policy::Policy& policy);

// The policy's name for a release level (the same three levels).
policy::GeoLevel ToPolicyLevel(GeographicLevel level);

// Who a release is for.
struct ReleaseAudience {
  // The requester's class: the recipient class of its certificate, or
  // policy::kLaOwnClass for an LA certificate.
  std::string recipient_class;
  // For policy::kLaOwnClass: the requester's own LA (from its certificate).
  std::string own_la_code;
  // Only these levels (empty: every level).
  std::vector<GeographicLevel> levels;
};

// OK when `audience` may receive a release at all under `policy`: its class
// is in the policy, and la_own comes with an LA. PERMISSION_DENIED otherwise,
// with a message naming the class and the policy.
absl::Status CheckAudience(const policy::Policy& policy, const ReleaseAudience& audience);

// The part of `table` that `audience` may receive under `policy`: a cell at a
// level is kept only if policy::Receives(policy, class, indicator, breakdown,
// level) and its level is among audience.levels (when given); for
// policy::kLaOwnClass, LOCAL_AUTHORITY cells are kept only for own_la_code.
// Order is kept. Sets policy_digest and recipient_class; la_codes is kept
// (which LAs contributed is needed to read the regional and national sums,
// and carries no value).
//
// Privacy: fails closed. A cell whose indicator x breakdown x group is not in
// the catalogue, or that Receives does not grant, is dropped; an enforcement
// class additionally never gets a tainted cell (policy::IsTainted), even if a
// grant covered it (ParsePolicy's CheckFirewall already refuses such a policy:
// this is a second lock on the same door); la_own without an LA gets no LA row.
//
// Errors: PERMISSION_DENIED as CheckAudience (nothing is returned).
absl::StatusOr<ReleaseTable> FilterForRecipient(ReleaseTable table, const policy::Policy& policy,
                                                const ReleaseAudience& audience);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_COMBINE_H_
