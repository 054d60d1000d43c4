#include "node/budget_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "dp/zcdp.h"

namespace ringfence::node {
namespace {

// "5.22" or "-" when the conversion is not defined (e.g. nothing spent).
std::string Epsilon(const LedgerRho& rho, double delta) {
  if (rho.numerator == 0) return "0";
  auto eps = dp::EpsilonForDelta(dp::Rho{rho.numerator, rho.denominator}, delta);
  if (!eps.ok()) return "-";
  return absl::StrFormat("%.2f", *eps);
}

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

std::string FormatBudgetReport(const std::vector<YearSpend>& years, double display_delta) {
  if (years.empty()) return "no rounds recorded\n";
  std::string out;
  for (const YearSpend& y : years) {
    absl::StrAppend(
        &out,
        absl::StrFormat("%s %d: spent rho %s of %s (epsilon %s at delta %g); left rho %s; "
                        "%d round%s, %d acknowledged by the coordinator\n",
                        y.la_code, y.year, FormatRho(y.spent), FormatRho(y.budget),
                        Epsilon(y.spent, display_delta), display_delta, FormatRho(y.remaining),
                        y.round_count, y.round_count == 1 ? "" : "s", y.sent_count));
    for (const RoundSpend& r : y.rounds) {
      absl::StrAppend(
          &out,
          absl::StrFormat("  %s, catalogue v%u: rho %s, recorded %s, %s\n", r.period,
                          r.catalogue_version, FormatRho(r.rho), Time(r.recorded_at),
                          r.sent_at.has_value()
                              ? absl::StrCat("sent ", Time(*r.sent_at), ", receipt ", r.receipt)
                              : std::string("NOT YET SENT: run submit again "
                                            "to send the recorded cells")));
    }
  }
  return out;
}

}  // namespace ringfence::node
