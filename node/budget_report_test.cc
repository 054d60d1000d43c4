#include "node/budget_report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

using ::testing::HasSubstr;

TEST(BudgetReportTest, EmptyLedger) {
  EXPECT_EQ(FormatBudgetReport({}, 1e-6), "no rounds recorded\n");
}

TEST(BudgetReportTest, SpentLeftEpsilonAndRounds) {
  YearSpend y;
  y.la_code = "E09000033";
  y.year = 2025;
  y.spent = {1, 2};
  y.budget = {1, 1};
  y.remaining = {1, 2};
  y.round_count = 2;
  y.sent_count = 1;
  RoundSpend sent;
  sent.period = "annual";
  sent.catalogue_version = 1;
  sent.rho = {1, 4};
  sent.recorded_at = absl::FromUnixSeconds(1764150000);
  sent.sent_at = absl::FromUnixSeconds(1764150001);
  sent.receipt = "abc123";
  RoundSpend unsent = sent;
  unsent.period = "q1";
  unsent.sent_at.reset();
  unsent.receipt.clear();
  y.rounds = {sent, unsent};
  const std::string text = FormatBudgetReport({y}, 1e-6);
  // rho 1/2 at delta 1e-6 is epsilon 5.22 by the tight conversion (dp/zcdp_test.cc).
  EXPECT_THAT(text, HasSubstr("E09000033 2025: spent rho 1/2 of 1 (epsilon 5.22 at delta 1e-06); "
                              "left rho 1/2; 2 rounds, 1 acknowledged by the coordinator\n"));
  EXPECT_THAT(text, HasSubstr("  annual, catalogue v1: rho 1/4, recorded 2025-11-26T09:40:00Z, "
                              "sent 2025-11-26T09:40:01Z, receipt abc123\n"));
  EXPECT_THAT(text, HasSubstr("  q1, catalogue v1: rho 1/4, recorded 2025-11-26T09:40:00Z, NOT "
                              "YET SENT"));
}

}  // namespace
}  // namespace ringfence::node
