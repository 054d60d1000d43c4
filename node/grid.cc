#include "node/grid.h"

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "node/dates.h"

namespace ringfence::node {
namespace {

struct Context {
  const LaData& data;
  CollectionYear year;
};

// One child of a cohort and what its breakdowns need.
struct Member {
  ChildIndex child = 0;
  Date age_on;                             // the date the `age` breakdown uses
  const EpisodeRecord* current = nullptr;  // CLA: the current episode
};

using Cohort = std::vector<Member>;
using CohortRule = absl::StatusOr<Cohort> (*)(const Context&);

// Maps a member to its group's position in the breakdown's catalogue groups, or -1 when the
// member does not count in this breakdown (e.g. a leaver aged outside 17-25).
using Classifier = std::function<int(const Member&)>;
using ClassifierRule = absl::StatusOr<Classifier> (*)(const Context&, const catalogue::Breakdown&);

absl::StatusOr<int> GroupIndex(const catalogue::Breakdown& b, absl::string_view group) {
  for (size_t i = 0; i < b.groups.size(); ++i) {
    if (b.groups[i] == group) return static_cast<int>(i);
  }
  return absl::InternalError(absl::StrCat("catalogue breakdown ", b.name, " has no group ", group));
}

// ---- Cohorts -------------------------------------------------------------------------------

absl::StatusOr<Cohort> ClaRule(const Context& ctx) {
  RINGFENCE_ASSIGN_OR_RETURN(std::vector<ClaMember> cla, ClaCohort(ctx.data, ctx.year.year));
  Cohort cohort;
  cohort.reserve(cla.size());
  for (const ClaMember& m : cla) cohort.push_back(Member{m.child, ctx.year.reference, m.current});
  return cohort;
}

CohortRule FindCohortRule(absl::string_view indicator) {
  if (indicator == "cla") return &ClaRule;
  return nullptr;
}

// ---- Breakdowns ----------------------------------------------------------------------------

absl::StatusOr<Classifier> TotalBreakdown(const Context&, const catalogue::Breakdown& b) {
  RINGFENCE_ASSIGN_OR_RETURN(int total, GroupIndex(b, "total"));
  return Classifier([total](const Member&) { return total; });
}

// Spec "Breakdowns": Header SEX, 1/M male, 2/F female, U unknown (codes.h maps the year's
// spellings to Sex).
absl::StatusOr<Classifier> SexBreakdown(const Context& ctx, const catalogue::Breakdown& b) {
  RINGFENCE_ASSIGN_OR_RETURN(int male, GroupIndex(b, "male"));
  RINGFENCE_ASSIGN_OR_RETURN(int female, GroupIndex(b, "female"));
  RINGFENCE_ASSIGN_OR_RETURN(int unknown, GroupIndex(b, "unknown"));
  const LaData* data = &ctx.data;
  return Classifier([=](const Member& m) {
    switch (data->children[m.child].sex) {
      case Sex::kMale:
        return male;
      case Sex::kFemale:
        return female;
      case Sex::kUnknown:
        return unknown;
    }
    return unknown;
  });
}

// Spec "Breakdowns": age in completed years at the member's age date (R for CLA). A DOB after
// that date (a negative age) is counted in under_1 rather than dropped, so the breakdown stays
// a partition of the cohort.
absl::StatusOr<Classifier> AgeBreakdown(const Context& ctx, const catalogue::Breakdown& b) {
  RINGFENCE_ASSIGN_OR_RETURN(int under_1, GroupIndex(b, "under_1"));
  RINGFENCE_ASSIGN_OR_RETURN(int one_to_4, GroupIndex(b, "1_to_4"));
  RINGFENCE_ASSIGN_OR_RETURN(int five_to_9, GroupIndex(b, "5_to_9"));
  RINGFENCE_ASSIGN_OR_RETURN(int ten_to_15, GroupIndex(b, "10_to_15"));
  RINGFENCE_ASSIGN_OR_RETURN(int sixteen_plus, GroupIndex(b, "16_plus"));
  const LaData* data = &ctx.data;
  return Classifier([=](const Member& m) {
    const int age = AgeAt(data->children[m.child].dob, m.age_on);
    if (age < 1) return under_1;
    if (age <= 4) return one_to_4;
    if (age <= 9) return five_to_9;
    if (age <= 15) return ten_to_15;
    return sixteen_plus;
  });
}

ClassifierRule FindClassifierRule(absl::string_view breakdown) {
  if (breakdown == "total") return &TotalBreakdown;
  if (breakdown == "sex") return &SexBreakdown;
  if (breakdown == "age") return &AgeBreakdown;
  return nullptr;
}

}  // namespace

// Spec "The cohorts", CLA.
absl::StatusOr<std::vector<ClaMember>> ClaCohort(const LaData& data, int year) {
  const Date r = CollectionYear::ForYear(year).reference;
  std::vector<const EpisodeRecord*> current(data.children.size(), nullptr);
  for (const EpisodeRecord& ep : data.episodes) {
    if (ep.child < 0 || static_cast<size_t>(ep.child) >= current.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Episodes line ", ep.line, ": the child is not in Header"));
    }
    if (ep.is_short_break() || !ep.OpenAt(r)) continue;
    const EpisodeRecord*& cur = current[ep.child];
    if (cur == nullptr || ep.decom > cur->decom) {
      cur = &ep;
    } else if (ep.decom == cur->decom) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Episodes lines ", cur->line, " and ", ep.line, ": two episodes of one child open at ",
          r.ToString(), " with the same DECOM; the current episode is ambiguous"));
    }
  }
  std::vector<ClaMember> cohort;
  for (size_t c = 0; c < current.size(); ++c) {
    if (current[c] != nullptr) cohort.push_back(ClaMember{static_cast<ChildIndex>(c), current[c]});
  }
  return cohort;
}

absl::StatusOr<std::vector<int64_t>> ComputeExactGrid(const LaData& data, int year) {
  if (year != data.year) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the data was loaded and validated for collection year ", data.year, ", not ", year));
  }
  const Context ctx{data, CollectionYear::ForYear(year)};
  std::vector<int64_t> grid(catalogue::GridCells().size(), 0);
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    CohortRule cohort_rule = FindCohortRule(ind.name);
    if (cohort_rule == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("no cohort rule for catalogue indicator ", ind.name));
    }
    RINGFENCE_ASSIGN_OR_RETURN(const Cohort cohort, cohort_rule(ctx));
    for (const std::string& bname : ind.breakdowns) {
      const catalogue::Breakdown* b = catalogue::FindBreakdown(bname);
      ClassifierRule rule = FindClassifierRule(bname);
      if (b == nullptr || rule == nullptr) {
        return absl::UnimplementedError(
            absl::StrCat("no rule for breakdown ", bname, " of catalogue indicator ", ind.name));
      }
      RINGFENCE_ASSIGN_OR_RETURN(const Classifier classify, rule(ctx, *b));
      // The grid position of each group, looked up once.
      std::vector<int> cell(b->groups.size());
      for (size_t g = 0; g < b->groups.size(); ++g) {
        cell[g] = catalogue::CellIndex(catalogue::CellKey{ind.name, bname, b->groups[g]});
        if (cell[g] < 0) {
          return absl::InternalError(
              absl::StrCat("catalogue has no cell ", ind.name, "/", bname, "/", b->groups[g]));
        }
      }
      for (const Member& m : cohort) {
        const int g = classify(m);
        if (g >= 0) ++grid[cell[g]];
      }
    }
  }
  return grid;
}

}  // namespace ringfence::node
