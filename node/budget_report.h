// The text `ringfence-node budget` prints: per LA and collection year, the privacy budget
// spent and left, in zCDP rho (exact) and as epsilon at a stated delta (dp/zcdp.h, the tight
// conversion; display only), then each recorded round.
//
// Privacy: reads only the ledger's accounting (rho, times, receipts), never the cached cells.
#ifndef RINGFENCE_NODE_BUDGET_REPORT_H_
#define RINGFENCE_NODE_BUDGET_REPORT_H_

#include <string>
#include <vector>

#include "node/ledger.h"

namespace ringfence::node {

// One block per YearSpend, in the given order; "no rounds recorded" when `years` is empty.
std::string FormatBudgetReport(const std::vector<YearSpend>& years, double display_delta);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_BUDGET_REPORT_H_
