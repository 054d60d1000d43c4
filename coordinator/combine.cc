#include "coordinator/combine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "catalogue/la_registry.h"
#include "dp/zcdp.h"
#include "policy/firewall.h"

namespace ringfence::coordinator {
namespace {

using u128 = unsigned __int128;

u128 Gcd128(u128 a, u128 b) {
  while (b != 0) {
    u128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

std::string CellName(const catalogue::CellKey& key) {
  return absl::StrCat(key.indicator, "/", key.breakdown, "/", key.group);
}

std::string Describe(const policy::PublishedValue& v) {
  if (!v.suppressed) return absl::StrCat("published as ", v.value);
  return v.value == 0 ? "suppressed" : absl::StrCat("suppressed with non-zero value ", v.value);
}

std::string RuleText(const policy::DisclosureRule& rule) {
  return absl::StrCat("suppress below ", rule.suppression_threshold, ", then round to base ",
                      rule.rounding_base);
}

// The first 12 characters of a digest, for messages. The node's digest is its own claim, so
// it is escaped and bounded like any text from the wire.
std::string ShortDigest(absl::string_view digest) {
  if (digest.empty()) return "(none)";
  return absl::CEscape(digest.substr(0, 12));
}

absl::Status CheckRational(const Rational& r, absl::string_view what) {
  if (r.numerator == 0 || r.denominator == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must have a non-zero numerator and ",
                                                   "denominator, got ", r.numerator, "/",
                                                   r.denominator));
  }
  return absl::OkStatus();
}

std::string RationalText(const Rational& r) {
  return r.denominator == 1 ? absl::StrCat(r.numerator)
                            : absl::StrCat(r.numerator, "/", r.denominator);
}

// Value equality of two rationals with non-zero denominators (9/2 == 18/4).
bool SameValue(const Rational& a, const Rational& b) {
  return static_cast<u128>(a.numerator) * b.denominator ==
         static_cast<u128>(b.numerator) * a.denominator;
}

// What a node must declare under the policy, with the H it was derived from (for messages).
struct ExpectedNoise {
  NoiseParameters noise;
  int histograms = 0;
};

absl::StatusOr<ExpectedNoise> ExpectedNoiseFor(const policy::Policy& policy) {
  const int histograms = policy::SendableHistogramCount(policy);
  if (histograms < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy '", policy.name, "' (", policy.file,
                     ") sends no histogram, so it defines no noise for a submission"));
  }
  const dp::Rho rho = policy.privacy.rho_per_round;
  absl::StatusOr<dp::Rational> variance = [&]() -> absl::StatusOr<dp::Rational> {
    RINGFENCE_ASSIGN_OR_RETURN(dp::Rho share, dp::SplitEqually(rho, histograms));
    return dp::GaussianVarianceForRho(share);
  }();
  if (!variance.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy '", policy.name, "' (", policy.file, "): rho_per_round ", rho.ToString(), " over ",
        histograms, " histograms gives no usable noise variance: ", variance.status().message()));
  }
  ExpectedNoise out;
  out.noise.mechanism = NoiseMechanism::kDiscreteGaussian;
  out.noise.variance = Rational{variance->numerator, variance->denominator};
  out.noise.rho = Rational{rho.numerator, rho.denominator};
  out.histograms = histograms;
  return out;
}

// The declared noise against the policy's: rho first (the budget), then the variance that
// follows from it.
absl::Status CheckNoise(const Submission& s, const std::string& where, const policy::Policy& policy,
                        const ExpectedNoise& want) {
  if (!SameValue(s.noise.rho, want.noise.rho)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "declared rho ", RationalText(s.noise.rho), " is not the policy's rho_per_round ",
        RationalText(want.noise.rho), " (policy '", policy.name, "' from ", policy.file, ")"));
  }
  if (!SameValue(s.noise.variance, want.noise.variance)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "declared noise variance ", RationalText(s.noise.variance),
        " is not the policy's sigma^2 = H / (2 rho) = ", RationalText(want.noise.variance),
        " (H = ", want.histograms, " sendable histograms, rho = ", RationalText(want.noise.rho),
        "; policy '", policy.name, "' from ", policy.file, ")"));
  }
  return absl::OkStatus();
}

// One cell a node must send under the policy, with the rule its LA-level value follows.
struct ExpectedCell {
  const catalogue::CellKey* key;
  policy::DisclosureRule rule;
  bool tainted = false;
};

// policy::SendableCells with each cell's rule. Taint is per histogram, so it is asked once
// per indicator x breakdown.
std::vector<ExpectedCell> ExpectedCells(const policy::Policy& policy) {
  const std::vector<catalogue::CellKey>& grid = catalogue::GridCells();
  std::vector<ExpectedCell> out;
  std::map<std::pair<std::string, std::string>, bool> tainted;
  for (int index : policy::SendableCells(policy)) {
    const catalogue::CellKey& key = grid[static_cast<size_t>(index)];
    auto [it, inserted] = tainted.emplace(std::make_pair(key.indicator, key.breakdown), false);
    if (inserted) it->second = policy::IsTainted(policy, key.indicator, key.breakdown);
    out.push_back(
        ExpectedCell{&key, policy::RuleFor(policy, key.indicator, key.breakdown), it->second});
  }
  return out;
}

absl::Status ValidateCells(const Submission& s, const std::string& where,
                           const std::vector<ExpectedCell>& expected) {
  const size_t common = std::min(expected.size(), s.cells.size());
  // Why a cell that is in the catalogue may still be wrong here.
  auto not_sendable = [&](const catalogue::CellKey& key) -> std::string {
    if (catalogue::CellIndex(key) < 0) {
      return absl::StrCat(", which is not a cell of catalogue version ",
                          catalogue::kCatalogueVersion);
    }
    for (const ExpectedCell& e : expected) {
      if (*e.key == key) return "";
    }
    return ", which no recipient class receives under the policy, so no node may send it";
  };
  for (size_t i = 0; i < common; ++i) {
    const catalogue::CellKey& got = s.cells[i].key;
    const catalogue::CellKey& want = *expected[i].key;
    if (got == want) continue;
    const std::string why = not_sendable(got);
    if (!why.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "cell ", i + 1, " is ", CellName(got),
                                                     why, " (expected ", CellName(want), ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        where, "cell ", i + 1, " is ", CellName(got), " but catalogue order has ", CellName(want),
        " there; cells must be the policy's sendable cells in catalogue order"));
  }
  if (s.cells.size() < expected.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "missing cell ", CellName(*expected[s.cells.size()].key), ": the grid has ",
        s.cells.size(), " cells, the policy's sendable cells of catalogue version ",
        catalogue::kCatalogueVersion, " are ", expected.size()));
  }
  if (s.cells.size() > expected.size()) {
    const catalogue::CellKey& extra = s.cells[expected.size()].key;
    return absl::InvalidArgumentError(absl::StrCat(
        where, "extra cell ", CellName(extra), not_sendable(extra), " after the end of the grid: ",
        "the grid has ", s.cells.size(), " cells, the policy's sendable cells of catalogue ",
        "version ", catalogue::kCatalogueVersion, " are ", expected.size()));
  }
  for (size_t i = 0; i < s.cells.size(); ++i) {
    const ProtectedCell& cell = s.cells[i];
    const policy::DisclosureRule& rule = expected[i].rule;
    const std::string name = CellName(cell.key);
    if (cell.noisy_value > kMaxAbsNoisyValue || cell.noisy_value < -kMaxAbsNoisyValue) {
      return absl::InvalidArgumentError(absl::StrCat(where, "cell ", name, ": noisy value ",
                                                     cell.noisy_value, " is outside +/-",
                                                     kMaxAbsNoisyValue));
    }
    const policy::PublishedValue want = policy::ApplyDisclosureRule(rule, cell.noisy_value);
    if (want == cell.published) continue;
    const std::string rule_text = absl::StrCat(
        RuleText(rule), ", the policy's ", expected[i].tainted ? "tainted" : "untainted", " rule");
    if (want.suppressed && !cell.published.suppressed) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "cell ", name, ": noisy value ", cell.noisy_value,
                       " is below the suppression threshold ", rule.suppression_threshold,
                       " but the cell is not suppressed (rule: ", rule_text, ")"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, "cell ", name, " is ", Describe(cell.published), " but noisy value ",
                     cell.noisy_value, " must be ", Describe(want), " (rule: ", rule_text, ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateWith(const Submission& s, const policy::Policy& policy,
                          const std::vector<ExpectedCell>& expected,
                          const ExpectedNoise& expected_noise) {
  const catalogue::LocalAuthority* la = catalogue::FindLocalAuthority(s.la_code);
  if (la == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("la_code '", absl::CEscape(s.la_code), "' is not an LA in the registry"));
  }
  const std::string where = absl::StrCat(s.la_code, " submission for ", s.year, ": ");
  // First, because under another policy the cells and rules differ too: this is the message
  // that says what to fix.
  if (s.policy_digest != policy.digest) {
    return absl::FailedPreconditionError(absl::StrCat(
        where,
        s.policy_digest.empty()
            ? "the node sent no policy digest"
            : absl::StrCat("the node's policy digest ", ShortDigest(s.policy_digest),
                           " differs from the coordinator's ", ShortDigest(policy.digest)),
        "; the coordinator runs policy '", policy.name, "' from ", policy.file, " (digest ",
        ShortDigest(policy.digest), "); node and coordinator must load the same policy file"));
  }
  if (s.year < catalogue::kFirstYear || s.year > catalogue::kLastYear) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "year ", s.year, " is outside ", catalogue::kFirstYear, "..", catalogue::kLastYear));
  }
  if (s.catalogue_version != catalogue::kCatalogueVersion) {
    return absl::InvalidArgumentError(absl::StrCat(where, "catalogue version ", s.catalogue_version,
                                                   " but this coordinator uses version ",
                                                   catalogue::kCatalogueVersion));
  }
  if (s.noise.mechanism != NoiseMechanism::kDiscreteGaussian) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "noise mechanism must be DISCRETE_GAUSSIAN"));
  }
  RINGFENCE_RETURN_IF_ERROR(CheckRational(s.noise.variance, where + "noise variance"));
  RINGFENCE_RETURN_IF_ERROR(CheckRational(s.noise.rho, where + "rho"));
  RINGFENCE_RETURN_IF_ERROR(CheckNoise(s, where, policy, expected_noise));
  // The declared rules are the node's statement of what it applied; the per-cell check below
  // is what binds. Checking them too catches a node configured with another rule early, with
  // a message that names the rule rather than a cell.
  auto check_rule = [&](const policy::DisclosureRule& got, const policy::DisclosureRule& want,
                        absl::string_view which) -> absl::Status {
    if (got.suppression_threshold != want.suppression_threshold) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, which, "suppression threshold ", got.suppression_threshold,
                       " differs from the coordinator's ", want.suppression_threshold, " (policy '",
                       policy.name, "')"));
    }
    if (got.rounding_base != want.rounding_base) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, which, "rounding base ", got.rounding_base, " differs from the coordinator's ",
          want.rounding_base, " (policy '", policy.name, "')"));
    }
    return absl::OkStatus();
  };
  RINGFENCE_RETURN_IF_ERROR(check_rule(s.rule, policy.untainted_rule, ""));
  RINGFENCE_RETURN_IF_ERROR(check_rule(s.tainted_rule, policy.tainted_rule, "tainted-cell "));
  return ValidateCells(s, where, expected);
}

// Appends one geography's rows: for each sendable cell, suppress-then-round (under the cell's
// rule) of the sum of the contributing LAs' noisy values.
absl::Status AppendAggregateRows(GeographicLevel level, const catalogue::Region* region,
                                 const std::vector<const Submission*>& contributors,
                                 const std::vector<ExpectedCell>& expected, ReleaseTable* table) {
  Rational variance{0, 1};
  for (const Submission* s : contributors) {
    RINGFENCE_ASSIGN_OR_RETURN(variance, AddRational(variance, s->noise.variance));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    const catalogue::CellKey& key = *expected[i].key;
    int64_t sum = 0;
    for (const Submission* s : contributors) {
      if (__builtin_add_overflow(sum, s->cells[i].noisy_value, &sum)) {
        return absl::InternalError(
            absl::StrCat("sum of noisy values for ", CellName(key), " overflows int64"));
      }
    }
    RINGFENCE_ASSIGN_OR_RETURN(const NoiseUncertainty uncertainty,
                               NoiseUncertaintyOf(variance, expected[i].rule.rounding_base));
    ReleasedCell cell;
    cell.level = level;
    if (region != nullptr) {
      cell.region_code = region->region_code;
      cell.region_name = region->region_name;
    }
    cell.key = key;
    cell.published = policy::ApplyDisclosureRule(expected[i].rule, sum);
    cell.noise_variance = variance;
    cell.contributing_las = static_cast<int>(contributors.size());
    cell.noise_sd = uncertainty.sd;
    cell.ci95_half_width = uncertainty.ci95_half_width;
    table->cells.push_back(std::move(cell));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Rational> AddRational(const Rational& a, const Rational& b) {
  if (a.denominator == 0 || b.denominator == 0) {
    return absl::InvalidArgumentError("rational with a zero denominator");
  }
  const u128 g = Gcd128(a.denominator, b.denominator);
  const u128 a_scale = b.denominator / g;  // multiply a by this
  const u128 b_scale = a.denominator / g;
  const u128 den = static_cast<u128>(a.denominator) * a_scale;  // lcm, < 2^128
  const u128 t1 = static_cast<u128>(a.numerator) * a_scale;
  const u128 t2 = static_cast<u128>(b.numerator) * b_scale;
  const u128 num = t1 + t2;
  if (num < t1) {
    return absl::InternalError(absl::StrCat("noise variance sum ", a.numerator, "/", a.denominator,
                                            " + ", b.numerator, "/", b.denominator, " overflows"));
  }
  if (num == 0) return Rational{0, 1};
  const u128 r = Gcd128(num, den);
  const u128 n = num / r;
  const u128 d = den / r;
  constexpr u128 kMax = std::numeric_limits<uint64_t>::max();
  if (n > kMax || d > kMax) {
    return absl::InternalError(absl::StrCat("noise variance sum ", a.numerator, "/", a.denominator,
                                            " + ", b.numerator, "/", b.denominator,
                                            " does not fit in uint64"));
  }
  return Rational{static_cast<uint64_t>(n), static_cast<uint64_t>(d)};
}

absl::StatusOr<NoiseUncertainty> NoiseUncertaintyOf(const Rational& variance,
                                                    int64_t rounding_base) {
  if (variance.denominator == 0) {
    return absl::InvalidArgumentError("noise variance with a zero denominator");
  }
  if (rounding_base < 1) {
    return absl::InvalidArgumentError(absl::StrCat("rounding base ", rounding_base, " is below 1"));
  }
  // In double, a relative error of a few parts in 10^16: far below the three
  // decimals a recipient reads.
  const double sd = std::sqrt(static_cast<double>(variance.numerator) /
                              static_cast<double>(variance.denominator));
  return NoiseUncertainty{sd, kCi95NormalQuantile * sd + static_cast<double>(rounding_base) / 2};
}

absl::StatusOr<NoiseParameters> PolicyNoise(const policy::Policy& policy) {
  RINGFENCE_ASSIGN_OR_RETURN(ExpectedNoise want, ExpectedNoiseFor(policy));
  return want.noise;
}

absl::Status ValidateSubmission(const Submission& s, const policy::Policy& policy) {
  RINGFENCE_ASSIGN_OR_RETURN(ExpectedNoise noise, ExpectedNoiseFor(policy));
  return ValidateWith(s, policy, ExpectedCells(policy), noise);
}

absl::StatusOr<ReleaseTable> Combine(int year, const std::vector<Submission>& submissions,
                                     const policy::Policy& policy) {
  if (submissions.empty()) {
    return absl::NotFoundError(absl::StrCat("no submissions for ", year));
  }
  const std::vector<ExpectedCell> expected = ExpectedCells(policy);
  RINGFENCE_ASSIGN_OR_RETURN(const ExpectedNoise noise, ExpectedNoiseFor(policy));
  std::map<std::string, const Submission*, std::less<>> by_la;
  for (const Submission& s : submissions) {
    RINGFENCE_RETURN_IF_ERROR(ValidateWith(s, policy, expected, noise));
    if (s.year != year) {
      return absl::InvalidArgumentError(
          absl::StrCat(s.la_code, " submission is for ", s.year, ", not ", year));
    }
    if (!by_la.emplace(s.la_code, &s).second) {
      return absl::InvalidArgumentError(absl::StrCat(s.la_code, " has two submissions for ", year));
    }
  }

  // Registry order, so the table does not depend on arrival order.
  std::vector<const Submission*> ordered;
  for (const catalogue::LocalAuthority& la : catalogue::AllLocalAuthorities()) {
    auto it = by_la.find(la.new_la_code);
    if (it != by_la.end()) ordered.push_back(it->second);
  }

  ReleaseTable table;
  table.year = year;
  table.catalogue_version = catalogue::kCatalogueVersion;
  for (const Submission* s : ordered) table.la_codes.push_back(s->la_code);

  RINGFENCE_RETURN_IF_ERROR(
      AppendAggregateRows(GeographicLevel::kNational, nullptr, ordered, expected, &table));
  for (const catalogue::Region& region : catalogue::AllRegions()) {
    std::vector<const Submission*> in_region;
    for (const Submission* s : ordered) {
      if (catalogue::FindLocalAuthority(s->la_code)->region_code == region.region_code) {
        in_region.push_back(s);
      }
    }
    if (in_region.empty()) continue;
    RINGFENCE_RETURN_IF_ERROR(
        AppendAggregateRows(GeographicLevel::kRegional, &region, in_region, expected, &table));
  }
  for (const Submission* s : ordered) {
    const catalogue::LocalAuthority* la = catalogue::FindLocalAuthority(s->la_code);
    RINGFENCE_ASSIGN_OR_RETURN(Rational variance, AddRational(Rational{0, 1}, s->noise.variance));
    for (size_t i = 0; i < s->cells.size(); ++i) {
      const ProtectedCell& pc = s->cells[i];
      // The rounding base of the cell's rule, which validation pinned the node's value to.
      RINGFENCE_ASSIGN_OR_RETURN(const NoiseUncertainty uncertainty,
                                 NoiseUncertaintyOf(variance, expected[i].rule.rounding_base));
      ReleasedCell cell;
      cell.level = GeographicLevel::kLocalAuthority;
      cell.region_code = la->region_code;
      cell.region_name = la->region_name;
      cell.la_code = la->new_la_code;
      cell.la_name = la->la_name;
      cell.key = pc.key;
      // The node's decision (validated above), never pc.noisy_value.
      cell.published = pc.published;
      cell.noise_variance = variance;
      cell.contributing_las = 1;
      cell.noise_sd = uncertainty.sd;
      cell.ci95_half_width = uncertainty.ci95_half_width;
      table.cells.push_back(std::move(cell));
    }
  }
  return table;
}

policy::GeoLevel ToPolicyLevel(GeographicLevel level) {
  switch (level) {
    case GeographicLevel::kNational:
      return policy::GeoLevel::kNational;
    case GeographicLevel::kRegional:
      return policy::GeoLevel::kRegional;
    case GeographicLevel::kLocalAuthority:
      return policy::GeoLevel::kLocalAuthority;
  }
  return policy::GeoLevel::kLocalAuthority;  // unreachable: every enumerator is handled
}

absl::Status CheckAudience(const policy::Policy& policy, const ReleaseAudience& audience) {
  if (policy.FindClass(audience.recipient_class) == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "recipient class '", absl::CEscape(audience.recipient_class),
        "' is not in the coordinator's policy '", policy.name, "': it receives nothing"));
  }
  if (audience.recipient_class == policy::kLaOwnClass && audience.own_la_code.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the class ", policy::kLaOwnClass,
                     " is an LA reading its own cells and needs that LA's certificate"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReleaseTable> FilterForRecipient(ReleaseTable table, const policy::Policy& policy,
                                                const ReleaseAudience& audience) {
  RINGFENCE_RETURN_IF_ERROR(CheckAudience(policy, audience));
  const policy::RecipientClass* cls = policy.FindClass(audience.recipient_class);
  const bool la_own = cls->name == policy::kLaOwnClass;
  // Defence in depth: CheckFirewall already refused any policy that lets these classes reach a
  // tainted cell.
  const bool never_tainted = cls->enforcement || cls->is_public;
  // Receives and IsTainted are per histogram and level; remember each answer.
  std::map<std::tuple<std::string, std::string, GeographicLevel>, bool> decided;
  auto allowed = [&](const ReleasedCell& c) {
    auto [it, inserted] =
        decided.emplace(std::make_tuple(c.key.indicator, c.key.breakdown, c.level), false);
    if (inserted) {
      it->second = policy::Receives(policy, cls->name, c.key.indicator, c.key.breakdown,
                                    ToPolicyLevel(c.level))
                       .has_value() &&
                   !(never_tainted && policy::IsTainted(policy, c.key.indicator, c.key.breakdown));
    }
    return it->second;
  };
  auto keep = [&](const ReleasedCell& c) {
    if (!audience.levels.empty() && std::find(audience.levels.begin(), audience.levels.end(),
                                              c.level) == audience.levels.end()) {
      return false;
    }
    // An unknown cell is never released, whatever a grant says (fail closed).
    if (catalogue::CellIndex(c.key) < 0) return false;
    if (la_own && c.level == GeographicLevel::kLocalAuthority &&
        c.la_code != audience.own_la_code) {
      return false;
    }
    return allowed(c);
  };
  table.cells.erase(std::remove_if(table.cells.begin(), table.cells.end(),
                                   [&](const ReleasedCell& c) { return !keep(c); }),
                    table.cells.end());
  table.policy_digest = policy.digest;
  table.recipient_class = cls->name;
  return table;
}

}  // namespace ringfence::coordinator
