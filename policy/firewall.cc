#include "policy/firewall.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catalogue/catalogue.h"

namespace ringfence::policy {
namespace {

bool Contains(const std::vector<std::string>& v, absl::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool Covers(const Grant& g, absl::string_view indicator, absl::string_view breakdown,
            GeoLevel level) {
  return Contains(g.indicators, indicator) && Contains(g.breakdowns, breakdown) &&
         std::find(g.levels.begin(), g.levels.end(), level) != g.levels.end();
}

// Classes `name` inherits, transitively, in breadth-first order (not including itself).
std::vector<const RecipientClass*> Inherited(const Policy& policy, absl::string_view name) {
  std::vector<const RecipientClass*> out;
  std::set<std::string> seen = {std::string(name)};
  std::vector<std::string> queue;
  if (const RecipientClass* c = policy.FindClass(name)) queue = c->inherits;
  for (size_t i = 0; i < queue.size(); ++i) {
    if (!seen.insert(queue[i]).second) continue;
    const RecipientClass* c = policy.FindClass(queue[i]);
    if (c == nullptr) continue;
    out.push_back(c);
    queue.insert(queue.end(), c->inherits.begin(), c->inherits.end());
  }
  return out;
}

std::optional<Route> FirstCovering(const RecipientClass& c, absl::string_view indicator,
                                   absl::string_view breakdown, GeoLevel level,
                                   const char* relation) {
  for (const Grant& g : c.grants) {
    if (Covers(g, indicator, breakdown, level)) {
      return Route{c.name, g.index, g.reason, relation};
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> TaintOf(const Policy& policy, absl::string_view indicator,
                                 absl::string_view breakdown) {
  const catalogue::Indicator* ind = catalogue::FindIndicator(indicator);
  const catalogue::Breakdown* bd = catalogue::FindBreakdown(breakdown);
  if (ind == nullptr || bd == nullptr) return policy.sensitive_attributes;  // fail closed
  std::set<std::string> attrs;
  for (const std::string& a : catalogue::CellAttributes(*ind, *bd)) attrs.insert(a);
  auto declared = policy.breakdown_attributes.find(std::string(breakdown));
  if (declared != policy.breakdown_attributes.end()) {
    attrs.insert(declared->second.begin(), declared->second.end());
  }
  std::vector<std::string> out;
  for (const std::string& a : attrs) {
    if (Contains(policy.sensitive_attributes, a)) out.push_back(a);
  }
  return out;
}

bool IsTainted(const Policy& policy, absl::string_view indicator, absl::string_view breakdown) {
  return !TaintOf(policy, indicator, breakdown).empty();
}

DisclosureRule RuleFor(const Policy& policy, absl::string_view indicator,
                       absl::string_view breakdown) {
  return IsTainted(policy, indicator, breakdown) ? policy.tainted_rule : policy.untainted_rule;
}

std::string Route::ToString() const {
  return absl::StrCat("grant ", grant_index, " of ", grant_class, " (", relation, "): ", reason);
}

std::optional<Route> Receives(const Policy& policy, absl::string_view class_name,
                              absl::string_view indicator, absl::string_view breakdown,
                              GeoLevel level) {
  const RecipientClass* c = policy.FindClass(class_name);
  if (c == nullptr) return std::nullopt;
  if (auto r = FirstCovering(*c, indicator, breakdown, level, "own")) return r;
  for (const RecipientClass* parent : Inherited(policy, class_name)) {
    if (auto r = FirstCovering(*parent, indicator, breakdown, level, "inherited")) return r;
  }
  for (const RecipientClass& p : policy.classes) {
    if (!p.is_public || p.name == c->name) continue;
    if (auto r = FirstCovering(p, indicator, breakdown, level, "public")) return r;
    for (const RecipientClass* parent : Inherited(policy, p.name)) {
      if (auto r = FirstCovering(*parent, indicator, breakdown, level, "public")) return r;
    }
  }
  return std::nullopt;
}

bool Sendable(const Policy& policy, absl::string_view indicator, absl::string_view breakdown) {
  for (const RecipientClass& c : policy.classes) {
    for (GeoLevel level : kAllGeoLevels) {
      if (Receives(policy, c.name, indicator, breakdown, level).has_value()) return true;
    }
  }
  return false;
}

std::vector<int> SendableCells(const Policy& policy) {
  std::vector<int> out;
  const auto& cells = catalogue::GridCells();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (Sendable(policy, cells[i].indicator, cells[i].breakdown))
      out.push_back(static_cast<int>(i));
  }
  return out;
}

int SendableHistogramCount(const Policy& policy) {
  int n = 0;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    for (const std::string& bd : ind.breakdowns) n += Sendable(policy, ind.name, bd) ? 1 : 0;
  }
  return n;
}

std::string Violation::ToString() const {
  return absl::StrCat(rule, ": ", recipient, cell.empty() ? "" : ": ", cell, ": ", message);
}

std::vector<Violation> CheckFirewall(const Policy& policy) {
  std::vector<Violation> out;
  for (const RecipientClass& c : policy.classes) {
    if (!c.enforcement && !c.is_public) continue;
    for (const catalogue::Indicator& ind : catalogue::Indicators()) {
      for (const std::string& bd : ind.breakdowns) {
        const std::vector<std::string> taint = TaintOf(policy, ind.name, bd);
        if (taint.empty()) continue;
        for (GeoLevel level : kAllGeoLevels) {
          std::optional<Route> route = Receives(policy, c.name, ind.name, bd, level);
          if (!route.has_value()) continue;
          Violation v;
          v.recipient = c.name;
          v.cell = absl::StrCat(ind.name, "/", bd, " at ", GeoLevelName(level));
          const std::string derived =
              absl::StrCat("it derives from the sensitive attribute",
                           taint.size() == 1 ? " " : "s ", absl::StrJoin(taint, ", "));
          if (c.enforcement) {
            v.rule = "enforcement-receives-tainted";
            v.message = absl::StrCat("an enforcement class would receive this cell through ",
                                     route->ToString(), "; ", derived);
          } else {
            v.rule = "public-receives-tainted";
            v.message = absl::StrCat("a public class would receive this cell through ",
                                     route->ToString(), "; ", derived,
                                     ", and whatever is public every enforcement class can read");
          }
          out.push_back(std::move(v));
        }
      }
    }
  }
  return out;
}

}  // namespace ringfence::policy
