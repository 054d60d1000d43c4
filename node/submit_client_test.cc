#include "node/submit_client.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"

namespace ringfence::node {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kLa[] = "E09000033";
constexpr int kYear = 2025;

std::string ReplaceOnce(const std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the shipped policy: " << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "more than once: " << from;
  if (at == std::string::npos) return text;
  return text.substr(0, at) + to + text.substr(at + from.size());
}

policy::Policy Shipped() {
  auto p = policy::ParsePolicy(policy::testing::ShippedPolicyText(), "shipped");
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *std::move(p) : policy::Policy();
}

// The shipped policy, with a stricter tainted rule and no class receiving the nrpf breakdown.
policy::Policy StrictWithoutNrpf() {
  std::string text = policy::testing::ShippedPolicyText();
  text = ReplaceOnce(text, "\n  tainted { suppress_below: 10 round_to: 5 }",
                     "\n  tainted { suppress_below: 20 round_to: 10 }");
  std::string but_nrpf;
  for (const catalogue::Breakdown& b : catalogue::AllBreakdowns()) {
    if (b.name != "nrpf") absl::StrAppend(&but_nrpf, "breakdowns: \"", b.name, "\" ");
  }
  EXPECT_NE(text.find("breakdowns: \"*\""), std::string::npos);
  text = absl::StrReplaceAll(text, {{"breakdowns: \"*\"", but_nrpf}});
  auto p = policy::ParsePolicy(text, "strict-no-nrpf");
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *std::move(p) : policy::Policy();
}

ProtectedGrid Protect(const policy::Policy& policy, int64_t value, uint64_t seed) {
  crypto::testing::DeterministicRandomSource rng(seed);
  auto g = ProtectGrid(std::vector<int64_t>(catalogue::GridCells().size(), value), policy, rng);
  EXPECT_THAT(g, IsOk());
  return g.ok() ? *std::move(g) : ProtectedGrid();
}

TEST(BuildSubmitRequestTest, SendsExactlyTheSendableCellsInCatalogueOrderWithTheDigest) {
  const policy::Policy policy = StrictWithoutNrpf();
  const ProtectedGrid grid = Protect(policy, 40, 1);
  auto req = BuildSubmitRequest(kLa, kYear, policy, grid);
  ASSERT_THAT(req, IsOk());
  EXPECT_EQ(req->la_code(), kLa);
  EXPECT_EQ(req->year(), kYear);
  EXPECT_EQ(req->catalogue_version(), catalogue::kCatalogueVersion);
  EXPECT_EQ(req->policy_digest(), policy.digest);
  EXPECT_EQ(req->policy_digest().size(), 64u);

  const std::vector<int> sendable = policy::SendableCells(policy);
  ASSERT_LT(sendable.size(), catalogue::GridCells().size());
  ASSERT_EQ(req->cells_size(), static_cast<int>(sendable.size()));
  const auto& keys = catalogue::GridCells();
  for (int j = 0; j < req->cells_size(); ++j) {
    const v1::ProtectedCell& c = req->cells(j);
    const catalogue::CellKey& k = keys[sendable[j]];
    EXPECT_EQ(c.key().indicator(), k.indicator);
    EXPECT_EQ(c.key().breakdown(), k.breakdown);
    EXPECT_EQ(c.key().group(), k.group);
    EXPECT_NE(c.key().breakdown(), "nrpf");
    EXPECT_EQ(c.noisy_value(), grid.cells[sendable[j]].noisy_value);
    EXPECT_EQ(c.suppressed(), grid.cells[sendable[j]].published.suppressed);
    EXPECT_EQ(c.rounded_value(), grid.cells[sendable[j]].published.value);
  }
}

TEST(BuildSubmitRequestTest, NoiseParamsDescribeTheBudgetAndBothRules) {
  const policy::Policy policy = StrictWithoutNrpf();
  auto req = BuildSubmitRequest(kLa, kYear, policy, Protect(policy, 40, 2));
  ASSERT_THAT(req, IsOk());
  const v1::NoiseParams& n = req->noise();
  EXPECT_EQ(n.mechanism(), v1::NoiseParams::DISCRETE_GAUSSIAN);
  EXPECT_EQ(n.rho_numerator(), 1u);
  EXPECT_EQ(n.rho_denominator(), 2u);
  // sigma^2 = H' / (2 * 1/2) = H', the histograms this policy sends.
  EXPECT_EQ(n.variance_numerator(), static_cast<uint64_t>(policy::SendableHistogramCount(policy)));
  EXPECT_EQ(n.variance_denominator(), 1u);
  EXPECT_EQ(n.suppression_threshold(), 10);
  EXPECT_EQ(n.rounding_base(), 5);
  EXPECT_EQ(n.tainted_suppression_threshold(), 20);
  EXPECT_EQ(n.tainted_rounding_base(), 10);
}

TEST(BuildSubmitRequestTest, EveryCellHasAllValueFieldsAndASizeIndependentOfItsValue) {
  const policy::Policy policy = Shipped();
  // Very different grids: all zero (all suppressed), huge, and negative noisy values.
  auto zero = BuildSubmitRequest(kLa, kYear, policy, Protect(policy, 0, 3));
  auto huge = BuildSubmitRequest(kLa, kYear, policy, Protect(policy, int64_t{1} << 50, 4));
  auto negative = BuildSubmitRequest(kLa, kYear, policy, Protect(policy, -1000, 5));
  ASSERT_THAT(zero, IsOk());
  ASSERT_THAT(huge, IsOk());
  ASSERT_THAT(negative, IsOk());
  ASSERT_EQ(zero->cells_size(), static_cast<int>(catalogue::GridCells().size()));
  for (int j = 0; j < zero->cells_size(); ++j) {
    for (const v1::SubmitRequest* r : {&*zero, &*huge, &*negative}) {
      const v1::ProtectedCell& c = r->cells(j);
      EXPECT_TRUE(c.has_noisy_value() && c.has_suppressed() && c.has_rounded_value());
      EXPECT_EQ(c.ByteSizeLong(), zero->cells(j).ByteSizeLong()) << c.key().ShortDebugString();
    }
  }
  EXPECT_EQ(zero->ByteSizeLong(), huge->ByteSizeLong());
  EXPECT_EQ(zero->ByteSizeLong(), negative->ByteSizeLong());
}

TEST(BuildSubmitRequestTest, RefusesAGridProtectedUnderAnotherPolicy) {
  const policy::Policy shipped = Shipped();
  const policy::Policy strict = StrictWithoutNrpf();
  ASSERT_NE(shipped.digest, strict.digest);
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, strict, Protect(shipped, 40, 6)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("protected under")));
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, shipped, Protect(strict, 40, 7)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A grid without a policy digest (not made by ProtectGrid under any policy).
  ProtectedGrid unsigned_grid = Protect(shipped, 40, 8);
  unsigned_grid.policy_digest.clear();
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, shipped, unsigned_grid),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(BuildSubmitRequestTest, RefusesAGridWhoseProtectedCellsDisagreeWithThePolicy) {
  const policy::Policy policy = StrictWithoutNrpf();
  ProtectedGrid grid = Protect(policy, 40, 9);
  const std::vector<int> sendable = policy::SendableCells(policy);
  // A cell the policy sends but the grid did not protect.
  ProtectedGrid missing = grid;
  missing.cells[sendable[0]].sent = false;
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, policy, missing),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A cell the grid marks sent that the policy sends to nobody.
  ProtectedGrid extra = grid;
  for (ProtectedCell& c : extra.cells) c.sent = true;
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, policy, extra),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A rule other than the policy's.
  ProtectedGrid lenient = grid;
  lenient.tainted_rule = lenient.untainted_rule;
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, policy, lenient),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("rules")));
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, policy, grid), IsOk());
}

TEST(BuildSubmitRequestTest, RefusesAPolicyThatFailsTheFirewallCheck) {
  // Enforcement granted everything: ParsePolicy refuses it, ParsePolicyUnchecked does not.
  const std::string leaky = ReplaceOnce(
      policy::testing::ShippedPolicyText(),
      "indicators: \"cla\"\n    breakdowns: \"total\"\n    levels: NATIONAL\n    reason: \"the "
      "national count",
      "indicators: \"*\"\n    breakdowns: \"*\"\n    levels: NATIONAL\n    reason: \"the "
      "national count");
  ASSERT_THAT(policy::ParsePolicy(leaky, "leaky"), StatusIs(absl::StatusCode::kInvalidArgument));
  auto unchecked = policy::ParsePolicyUnchecked(leaky, "leaky");
  ASSERT_THAT(unchecked, IsOk());
  ASSERT_FALSE(policy::CheckFirewall(*unchecked).empty());
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, *unchecked, Protect(*unchecked, 40, 10)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("firewall")));
}

TEST(BuildSubmitRequestTest, RejectsAGridOfTheWrongSize) {
  const policy::Policy policy = Shipped();
  ProtectedGrid grid = Protect(policy, 40, 11);
  grid.cells.pop_back();
  EXPECT_THAT(BuildSubmitRequest(kLa, kYear, policy, grid),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cells")));
}

}  // namespace
}  // namespace ringfence::node
