#include "coordinator/combine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "catalogue/la_registry.h"

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

absl::Status CheckRational(const Rational& r, absl::string_view what) {
  if (r.numerator == 0 || r.denominator == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must have a non-zero numerator and ",
                                                   "denominator, got ", r.numerator, "/",
                                                   r.denominator));
  }
  return absl::OkStatus();
}

absl::Status ValidateCells(const Submission& s, const std::string& where) {
  const std::vector<catalogue::CellKey>& grid = catalogue::GridCells();
  const size_t common = std::min(grid.size(), s.cells.size());
  for (size_t i = 0; i < common; ++i) {
    const catalogue::CellKey& got = s.cells[i].key;
    if (got == grid[i]) continue;
    if (catalogue::CellIndex(got) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "cell ", i + 1, " is ", CellName(got), ", which is not a cell of catalogue ",
          "version ", catalogue::kCatalogueVersion, " (expected ", CellName(grid[i]), ")"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, "cell ", i + 1, " is ", CellName(got), " but catalogue order has ",
                     CellName(grid[i]), " there; cells must be the whole grid in catalogue order"));
  }
  if (s.cells.size() < grid.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "missing cell ", CellName(grid[s.cells.size()]), ": the grid has ", s.cells.size(),
        " cells, catalogue version ", catalogue::kCatalogueVersion, " has ", grid.size()));
  }
  if (s.cells.size() > grid.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "extra cell ", CellName(s.cells[grid.size()].key),
        " after the end of the grid: ", "the grid has ", s.cells.size(),
        " cells, catalogue version ", catalogue::kCatalogueVersion, " has ", grid.size()));
  }
  for (const ProtectedCell& cell : s.cells) {
    const std::string name = CellName(cell.key);
    if (cell.noisy_value > kMaxAbsNoisyValue || cell.noisy_value < -kMaxAbsNoisyValue) {
      return absl::InvalidArgumentError(absl::StrCat(where, "cell ", name, ": noisy value ",
                                                     cell.noisy_value, " is outside +/-",
                                                     kMaxAbsNoisyValue));
    }
    const policy::PublishedValue expected = policy::ApplyDisclosureRule(s.rule, cell.noisy_value);
    if (expected == cell.published) continue;
    std::string rule_text = absl::StrCat("suppress below ", s.rule.suppression_threshold,
                                         ", then round to base ", s.rule.rounding_base);
    if (expected.suppressed && !cell.published.suppressed) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "cell ", name, ": noisy value ", cell.noisy_value,
                       " is below the suppression threshold ", s.rule.suppression_threshold,
                       " but the cell is not suppressed (rule: ", rule_text, ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        where, "cell ", name, " is ", Describe(cell.published), " but noisy value ",
        cell.noisy_value, " must be ", Describe(expected), " (rule: ", rule_text, ")"));
  }
  return absl::OkStatus();
}

// Appends one geography's rows: for each grid cell, suppress-then-round of the
// sum of the contributing LAs' noisy values.
absl::Status AppendAggregateRows(GeographicLevel level, const catalogue::Region* region,
                                 const std::vector<const Submission*>& contributors,
                                 ReleaseTable* table) {
  const std::vector<catalogue::CellKey>& grid = catalogue::GridCells();
  Rational variance{0, 1};
  for (const Submission* s : contributors) {
    RINGFENCE_ASSIGN_OR_RETURN(variance, AddRational(variance, s->noise.variance));
  }
  RINGFENCE_ASSIGN_OR_RETURN(
      const NoiseUncertainty uncertainty,
      NoiseUncertaintyOf(variance, policy::kDefaultDisclosureRule.rounding_base));
  for (size_t i = 0; i < grid.size(); ++i) {
    int64_t sum = 0;
    for (const Submission* s : contributors) {
      if (__builtin_add_overflow(sum, s->cells[i].noisy_value, &sum)) {
        return absl::InternalError(
            absl::StrCat("sum of noisy values for ", CellName(grid[i]), " overflows int64"));
      }
    }
    ReleasedCell cell;
    cell.level = level;
    if (region != nullptr) {
      cell.region_code = region->region_code;
      cell.region_name = region->region_name;
    }
    cell.key = grid[i];
    cell.published = policy::ApplyDisclosureRule(policy::kDefaultDisclosureRule, sum);
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

absl::Status ValidateSubmission(const Submission& s) {
  const catalogue::LocalAuthority* la = catalogue::FindLocalAuthority(s.la_code);
  if (la == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("la_code '", s.la_code, "' is not an LA in the registry"));
  }
  const std::string where = absl::StrCat(s.la_code, " submission for ", s.year, ": ");
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
  const policy::DisclosureRule& want = policy::kDefaultDisclosureRule;
  if (s.rule.suppression_threshold != want.suppression_threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "suppression threshold ", s.rule.suppression_threshold,
                     " differs from the coordinator's ", want.suppression_threshold));
  }
  if (s.rule.rounding_base != want.rounding_base) {
    return absl::InvalidArgumentError(absl::StrCat(where, "rounding base ", s.rule.rounding_base,
                                                   " differs from the coordinator's ",
                                                   want.rounding_base));
  }
  return ValidateCells(s, where);
}

absl::StatusOr<ReleaseTable> Combine(int year, const std::vector<Submission>& submissions) {
  if (submissions.empty()) {
    return absl::NotFoundError(absl::StrCat("no submissions for ", year));
  }
  std::map<std::string, const Submission*, std::less<>> by_la;
  for (const Submission& s : submissions) {
    RINGFENCE_RETURN_IF_ERROR(ValidateSubmission(s));
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
      AppendAggregateRows(GeographicLevel::kNational, nullptr, ordered, &table));
  for (const catalogue::Region& region : catalogue::AllRegions()) {
    std::vector<const Submission*> in_region;
    for (const Submission* s : ordered) {
      if (catalogue::FindLocalAuthority(s->la_code)->region_code == region.region_code) {
        in_region.push_back(s);
      }
    }
    if (in_region.empty()) continue;
    RINGFENCE_RETURN_IF_ERROR(
        AppendAggregateRows(GeographicLevel::kRegional, &region, in_region, &table));
  }
  for (const Submission* s : ordered) {
    const catalogue::LocalAuthority* la = catalogue::FindLocalAuthority(s->la_code);
    RINGFENCE_ASSIGN_OR_RETURN(Rational variance, AddRational(Rational{0, 1}, s->noise.variance));
    // The node's rounding base, which validation pinned to the coordinator's.
    RINGFENCE_ASSIGN_OR_RETURN(const NoiseUncertainty uncertainty,
                               NoiseUncertaintyOf(variance, s->rule.rounding_base));
    for (const ProtectedCell& pc : s->cells) {
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

ReleaseTable WithholdSensitive(ReleaseTable table) {
  auto withheld = [](const ReleasedCell& cell) {
    const catalogue::Breakdown* b = catalogue::FindBreakdown(cell.key.breakdown);
    return b == nullptr || b->sensitive;
  };
  table.cells.erase(std::remove_if(table.cells.begin(), table.cells.end(), withheld),
                    table.cells.end());
  return table;
}

}  // namespace ringfence::coordinator
