// The firewall's taint analysis and the questions node and coordinator ask of a policy.
//
// Taint. A cell (indicator x breakdown x group) derives from the attributes of its breakdown
// (as the policy declares them, which include the catalogue's), of its indicator's cohort and
// condition, and of its denominator's, recursively (catalogue::CellAttributes). It is TAINTED
// when any of those is one of the policy's sensitive_attributes. Taint is a property of the
// whole histogram (indicator x breakdown), so every question below is asked per histogram.
//
// Reach. A class receives a histogram at a level when a grant of its own, of a class it
// inherits (transitively), or of any public class (whose output everyone can read) covers it.
//
// The promise (CheckFirewall): no enforcement class receives a tainted histogram at any level,
// and no public class does either (an enforcement body can read whatever is public).
//
// Thread-safe: pure functions of an immutable Policy.
#ifndef RINGFENCE_POLICY_FIREWALL_H_
#define RINGFENCE_POLICY_FIREWALL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "policy/disclosure.h"
#include "policy/policy.h"

namespace ringfence::policy {

// The sensitive attributes `indicator` x `breakdown` derives from (empty: untainted), sorted.
// Unknown names are treated as tainted by every sensitive attribute (fail closed).
std::vector<std::string> TaintOf(const Policy& policy, absl::string_view indicator,
                                 absl::string_view breakdown);
bool IsTainted(const Policy& policy, absl::string_view indicator, absl::string_view breakdown);

// The suppression and rounding rule for the cells of `indicator` x `breakdown`.
DisclosureRule RuleFor(const Policy& policy, absl::string_view indicator,
                       absl::string_view breakdown);

// How a class comes to receive a histogram at a level.
struct Route {
  std::string grant_class;  // the class whose grant covers it
  int grant_index = 0;      // 1-based among that class's grants
  std::string reason;       // the grant's reason
  // How `grant_class` relates to the asking class: "own", "inherited", or "public".
  std::string relation;
  std::string ToString() const;  // e.g. "grant 2 of dfe_analyst (inherited): <reason>"
};

// The first route by which `class_name` receives `indicator` x `breakdown` at `level` (own
// grants first, then inherited, then public ones), or nullopt. An unknown class receives
// nothing.
std::optional<Route> Receives(const Policy& policy, absl::string_view class_name,
                              absl::string_view indicator, absl::string_view breakdown,
                              GeoLevel level);

// True when some class receives `indicator` x `breakdown` at some level: what a node sends.
bool Sendable(const Policy& policy, absl::string_view indicator, absl::string_view breakdown);

// The cells a node sends and the coordinator expects: indices into catalogue::GridCells(), in
// catalogue order, of every cell whose histogram is Sendable. Depends only on the policy.
std::vector<int> SendableCells(const Policy& policy);
// The number of Sendable histograms (indicator x breakdown pairs): the privacy budget of a
// round is split equally over them.
int SendableHistogramCount(const Policy& policy);

// A rule of the policy that a policy breaks.
struct Violation {
  std::string rule;              // e.g. "enforcement-receives-tainted"
  std::string recipient;         // the class concerned
  std::string cell;              // "indicator/breakdown at Level", or "" when not about a cell
  std::string message;           // a sentence saying why
  std::string ToString() const;  // "rule: recipient: cell: message"
};

// Every violation of the taint rules, in class order, then catalogue order:
//   enforcement-receives-tainted: an enforcement class receives a tainted histogram;
//   public-receives-tainted: a public class receives one (then every enforcement class can
//   read it).
std::vector<Violation> CheckFirewall(const Policy& policy);

}  // namespace ringfence::policy

#endif  // RINGFENCE_POLICY_FIREWALL_H_
