#include "node/protect.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"

namespace ringfence::node {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::IsOkAndHolds;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

// Test policies: the shipped firewall with a chosen privacy section, disclosure rules and
// (optionally) grants that leave the `nrpf` breakdown to nobody.
struct PolicyOptions {
  std::string rho_per_round = "1/2";
  std::string tainted = "suppress_below: 10 round_to: 5";
  bool drop_nrpf = false;
};

// `text` with its one occurrence of `from` replaced by `to` (a test failure otherwise, so an
// edit of the shipped file cannot silently make a variant equal to the original).
std::string ReplaceOnce(const std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the shipped policy: " << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "more than once: " << from;
  if (at == std::string::npos) return text;
  return text.substr(0, at) + to + text.substr(at + from.size());
}

// The breakdowns: lines for every catalogue breakdown except nrpf.
std::string AllBreakdownsButNrpf() {
  std::string out;
  for (const catalogue::Breakdown& b : catalogue::AllBreakdowns()) {
    if (b.name != "nrpf") absl::StrAppend(&out, "breakdowns: \"", b.name, "\" ");
  }
  return out;
}

policy::Policy MakePolicy(const PolicyOptions& o) {
  std::string text = policy::testing::FirewallOnlyText();
  EXPECT_FALSE(text.empty()) << "cannot read " << policy::testing::ShippedPolicyPath();
  text = ReplaceOnce(text, "\n  tainted { suppress_below: 10 round_to: 5 }",
                     absl::StrCat("\n  tainted { ", o.tainted, " }"));
  if (o.drop_nrpf) {
    const std::string all = "breakdowns: \"*\"";
    EXPECT_NE(text.find(all), std::string::npos);
    text = absl::StrReplaceAll(text, {{all, AllBreakdownsButNrpf()}});
  }
  text = absl::StrCat("name: \"test\"\nprivacy { rho_per_year: \"", o.rho_per_round,
                      "\" rho_per_round: \"", o.rho_per_round, "\" }\n", text);
  auto policy = policy::ParsePolicy(text, "test.textproto");
  EXPECT_THAT(policy, IsOk());
  return policy.ok() ? *std::move(policy) : policy::Policy();
}

// The number of histograms with an nrpf breakdown.
int NrpfHistograms() {
  int n = 0;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    for (const std::string& bd : ind.breakdowns) n += bd == "nrpf" ? 1 : 0;
  }
  return n;
}

// rho_per_round giving every sent cell noise variance exactly 3 under a policy that sends
// every histogram: sigma^2 = H / (2 rho) = 3 when rho = H / 6 (H = 52 today).
std::string VarianceThreeRho() { return absl::StrCat(catalogue::HistogramCount(), "/6"); }

std::vector<int64_t> Grid(int64_t v) {
  return std::vector<int64_t>(catalogue::GridCells().size(), v);
}

TEST(ParsePrivacyBudgetTest, ReadsRationals) {
  auto b = ParsePrivacyBudget("3/4");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->rho_numerator, 3u);
  EXPECT_EQ(b->rho_denominator, 4u);
  EXPECT_THAT(ParsePrivacyBudget("2"), IsOk());
  EXPECT_THAT(ParsePrivacyBudget("0/1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePrivacyBudget("a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a/b")));
}

TEST(NoiseVarianceForTest, SplitsRhoEquallyAcrossHistograms) {
  // sigma^2 = H / (2 rho): H = 3, rho = 1/2 -> 3; H = 50, rho = 1/4 -> 100.
  auto v = NoiseVarianceFor(PrivacyBudget{1, 2}, 3);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, std::make_pair(uint64_t{3}, uint64_t{1}));
  v = NoiseVarianceFor(PrivacyBudget{1, 4}, 50);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, std::make_pair(uint64_t{100}, uint64_t{1}));
  v = NoiseVarianceFor(PrivacyBudget{4, 1}, 3);
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, std::make_pair(uint64_t{3}, uint64_t{8}));
  // A budget so small that sigma would exceed the sampler's range is refused.
  EXPECT_THAT(NoiseVarianceFor(PrivacyBudget{1, 1u << 30}, 3),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NoiseVarianceFor(PrivacyBudget{1, 2}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NoiseVarianceForTest, SplitsTheRoundsRhoOverTheHistogramsThePolicySends) {
  const int all = catalogue::HistogramCount();
  // The shipped firewall sends every histogram: rho 1/2 over all of them, sigma^2 = H.
  const policy::Policy every = MakePolicy({});
  ASSERT_EQ(policy::SendableHistogramCount(every), all);
  EXPECT_THAT(NoiseVarianceFor(every),
              IsOkAndHolds(std::make_pair(static_cast<uint64_t>(all), uint64_t{1})));

  // Without nrpf the budget is shared by fewer histograms: less noise on each.
  const int fewer = all - NrpfHistograms();
  ASSERT_GT(NrpfHistograms(), 0);
  PolicyOptions o;
  o.drop_nrpf = true;
  const policy::Policy no_nrpf = MakePolicy(o);
  ASSERT_EQ(policy::SendableHistogramCount(no_nrpf), fewer);
  EXPECT_THAT(NoiseVarianceFor(no_nrpf),
              IsOkAndHolds(std::make_pair(static_cast<uint64_t>(fewer), uint64_t{1})));

  // rho 1/4: sigma^2 = H' / (2/4) = 2 H'.
  o.rho_per_round = "1/4";
  EXPECT_THAT(NoiseVarianceFor(MakePolicy(o)),
              IsOkAndHolds(std::make_pair(static_cast<uint64_t>(2 * fewer), uint64_t{1})));
}

TEST(ProtectGridTest, RejectsWrongSizeAndFailsClosed) {
  const policy::Policy policy = MakePolicy({});
  crypto::testing::DeterministicRandomSource rng(1);
  EXPECT_THAT(ProtectGrid({1, 2}, policy, rng),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cells")));
  crypto::testing::FailingRandomSource failing;
  EXPECT_THAT(ProtectGrid(Grid(100), policy, failing), StatusIs(absl::StatusCode::kInternal));
}

// Deterministic bytes for the first `budget` calls, then failure.
class FailsLaterRandomSource final : public crypto::RandomSource {
 public:
  explicit FailsLaterRandomSource(int budget) : budget_(budget) {}
  absl::Status Fill(uint8_t* out, size_t n) override {
    if (budget_-- <= 0) return absl::InternalError("injected RNG failure");
    return inner_.Fill(out, n);
  }

 private:
  int budget_;
  crypto::testing::DeterministicRandomSource inner_{1};
};

TEST(ProtectGridTest, FailsClosedWhenRandomnessFailsPartWay) {
  // Enough randomness for some cells, then failure: still no grid is returned.
  FailsLaterRandomSource failing(50);
  EXPECT_THAT(ProtectGrid(Grid(100), MakePolicy({}), failing),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(ProtectGridTest, PublishesOnlyPostProcessedNoisyValues) {
  const policy::Policy policy = MakePolicy({});
  crypto::testing::DeterministicRandomSource rng(2);
  auto g = ProtectGrid(Grid(12), policy, rng);
  ASSERT_THAT(g, IsOk());
  // rho = 1/2 split over H histograms: sigma^2 = H / (2 * 1/2) = H.
  EXPECT_EQ(g->variance_numerator,
            static_cast<uint64_t>(catalogue::HistogramCount()) * g->variance_denominator);
  EXPECT_EQ(g->histograms, catalogue::HistogramCount());
  EXPECT_EQ(g->policy_digest, policy.digest);
  EXPECT_EQ(g->budget.rho_numerator, 1u);
  EXPECT_EQ(g->budget.rho_denominator, 2u);
  for (const ProtectedCell& c : g->cells) {
    EXPECT_TRUE(c.sent);
    EXPECT_EQ(c.published, policy::ApplyDisclosureRule(policy::kDefaultDisclosureRule,
                                                       c.noisy_value));
    if (!c.published.suppressed) {
      EXPECT_EQ(c.published.value % 5, 0);
    }
  }
}

TEST(ProtectGridTest, NoisesOnlyTheCellsThePolicySendsAndSplitsRhoOverTheirHistograms) {
  PolicyOptions o;
  o.drop_nrpf = true;
  const policy::Policy policy = MakePolicy(o);
  const std::vector<int> sendable = policy::SendableCells(policy);
  ASSERT_LT(sendable.size(), catalogue::GridCells().size());
  crypto::testing::DeterministicRandomSource rng(5);
  auto g = ProtectGrid(Grid(500), policy, rng);
  ASSERT_THAT(g, IsOk());
  const int histograms = catalogue::HistogramCount() - NrpfHistograms();
  EXPECT_EQ(g->histograms, histograms);
  EXPECT_EQ(g->variance_numerator, static_cast<uint64_t>(histograms) * g->variance_denominator);
  EXPECT_EQ(g->sent_cells(), static_cast<int>(sendable.size()));
  const std::set<int> sent(sendable.begin(), sendable.end());
  const auto& keys = catalogue::GridCells();
  for (size_t i = 0; i < keys.size(); ++i) {
    const ProtectedCell& c = g->cells[i];
    EXPECT_EQ(c.sent, sent.count(static_cast<int>(i)) == 1) << keys[i].indicator;
    EXPECT_EQ(c.sent, keys[i].breakdown != "nrpf");
    if (!c.sent) {
      // Nothing of the exact value (500) survives in a cell no budget was spent on.
      EXPECT_EQ(c.noisy_value, 0);
      EXPECT_TRUE(c.published.suppressed);
      EXPECT_EQ(c.published.value, 0);
    } else {
      EXPECT_NEAR(static_cast<double>(c.noisy_value), 500.0, 60.0);  // > 8 sigma
    }
  }
}

TEST(ProtectGridTest, AppliesEachCellsRuleByTaint) {
  // Tainted rule much stricter than the untainted {10, 5}; tiny noise (sigma^2 = 1, by
  // rho = H / 2) so the rule, not the noise, decides what is published.
  PolicyOptions o;
  o.tainted = "suppress_below: 20 round_to: 10";
  o.rho_per_round = absl::StrCat(catalogue::HistogramCount(), "/2");
  const policy::Policy policy = MakePolicy(o);
  ASSERT_EQ(policy.tainted_rule.suppression_threshold, 20);
  ASSERT_EQ(policy.tainted_rule.rounding_base, 10);
  crypto::testing::DeterministicRandomSource rng(6);
  auto g = ProtectGrid(Grid(15), policy, rng);
  ASSERT_THAT(g, IsOk());
  EXPECT_EQ(g->variance_numerator, g->variance_denominator);  // sigma^2 = 1
  EXPECT_EQ(g->untainted_rule.suppression_threshold, 10);
  EXPECT_EQ(g->tainted_rule.suppression_threshold, 20);
  const auto& keys = catalogue::GridCells();
  int tainted = 0, untainted = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const ProtectedCell& c = g->cells[i];
    ASSERT_TRUE(c.sent);
    const bool is_tainted = policy::IsTainted(policy, keys[i].indicator, keys[i].breakdown);
    EXPECT_EQ(c.tainted, is_tainted) << keys[i].indicator << "/" << keys[i].breakdown;
    EXPECT_EQ(c.published,
              policy::ApplyDisclosureRule(
                  policy::RuleFor(policy, keys[i].indicator, keys[i].breakdown), c.noisy_value));
    // 15 +/- a few: below the tainted threshold, above the untainted one.
    if (is_tainted) {
      ++tainted;
      EXPECT_TRUE(c.published.suppressed) << keys[i].indicator << "/" << keys[i].breakdown;
    } else {
      ++untainted;
      EXPECT_FALSE(c.published.suppressed) << keys[i].indicator << "/" << keys[i].breakdown;
      EXPECT_EQ(c.published.value % 5, 0);
    }
  }
  EXPECT_GT(tainted, 0);
  EXPECT_GT(untainted, 0);
}

TEST(ProtectGridTest, NoiseHasMeanZeroAndTheStatedVariance) {
  // 100 grids x 183 cells = 18,300 draws at sigma^2 = 3: the sample mean has standard error
  // 0.013 and the sample variance ~0.045, so the tolerances below are > 7 standard errors.
  PolicyOptions o;
  o.rho_per_round = VarianceThreeRho();
  const policy::Policy policy = MakePolicy(o);
  crypto::testing::DeterministicRandomSource rng(3);
  double sum = 0, sum_sq = 0;
  long n = 0;
  const int grids = static_cast<int>(18000 / catalogue::GridCells().size()) + 1;
  for (int i = 0; i < grids; ++i) {
    auto g = ProtectGrid(Grid(1000), policy, rng);
    ASSERT_THAT(g, IsOk());
    ASSERT_EQ(g->variance_numerator, 3 * g->variance_denominator);
    for (const ProtectedCell& c : g->cells) {
      const double noise = static_cast<double>(c.noisy_value - 1000);
      sum += noise;
      sum_sq += noise * noise;
      ++n;
    }
  }
  EXPECT_NEAR(sum / n, 0.0, 0.1);
  EXPECT_NEAR(sum_sq / n, 3.0, 0.35);
}

TEST(ProtectGridTest, SmallTrueCountsAreUsuallySuppressed) {
  PolicyOptions o;
  o.rho_per_round = VarianceThreeRho();
  const policy::Policy policy = MakePolicy(o);
  crypto::testing::DeterministicRandomSource rng(4);
  int suppressed = 0, total = 0;
  // About 1,800 draws, as when the grid had 9 cells.
  const int grids = static_cast<int>(1800 / catalogue::GridCells().size()) + 1;
  for (int i = 0; i < grids; ++i) {
    auto g = ProtectGrid(Grid(2), policy, rng);
    ASSERT_THAT(g, IsOk());
    for (const ProtectedCell& c : g->cells) {
      suppressed += c.published.suppressed ? 1 : 0;
      ++total;
    }
  }
  // True count 2 with sigma ~1.7: reaching 10 needs noise >= 8 (> 4.6 sigma).
  EXPECT_EQ(suppressed, total);
}

}  // namespace
}  // namespace ringfence::node
