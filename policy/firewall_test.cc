#include "policy/firewall.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/testing/policy_text.h"

namespace ringfence::policy {
namespace {

using ::testing::HasSubstr;

Policy Shipped() {
  auto p = ParsePolicy(testing::ShippedPolicyText(), "england");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Policy();
}

TEST(FirewallTest, TaintFollowsBreakdownsFiltersAndDenominators) {
  Policy p = Shipped();
  EXPECT_THAT(TaintOf(p, "cla", "nationality"), ::testing::ElementsAre("nationality"));
  EXPECT_TRUE(TaintOf(p, "cla", "total").empty());
  EXPECT_TRUE(TaintOf(p, "distance_over_20", "total").empty());  // uasc is not sensitive here
  // With uasc sensitive, the distance indicators' "not UASC" filter taints every breakdown,
  // and distance_over_20 inherits it from its denominator too.
  auto strict = ParsePolicyUnchecked(
      testing::ShippedPolicyText() + "\nsensitive_attributes: \"uasc\"\n", "strict");
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_THAT(TaintOf(*strict, "distance_over_20", "total"), ::testing::ElementsAre("uasc"));
  EXPECT_THAT(TaintOf(*strict, "cla", "uasc"), ::testing::ElementsAre("uasc"));
  EXPECT_TRUE(TaintOf(*strict, "cla", "sex").empty());
  // Unknown names are tainted (fail closed).
  EXPECT_FALSE(TaintOf(p, "cla", "no_such_breakdown").empty());
}

TEST(FirewallTest, ShippedPolicyReach) {
  Policy p = Shipped();
  EXPECT_TRUE(CheckFirewall(p).empty());
  // Enforcement gets the national total only (its own grant) and what is public.
  auto own = Receives(p, kEnforcementClass, "cla", "total", GeoLevel::kNational);
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->relation, "own");
  auto pub = Receives(p, kEnforcementClass, "cla", "age", GeoLevel::kLocalAuthority);
  ASSERT_TRUE(pub.has_value());
  EXPECT_EQ(pub->relation, "public");
  for (const char* bd : {"nationality", "immigration_status", "nrpf"}) {
    for (GeoLevel level : kAllGeoLevels) {
      EXPECT_FALSE(Receives(p, kEnforcementClass, "cla", bd, level).has_value()) << bd;
      EXPECT_FALSE(Receives(p, kPublicClass, "cla", bd, level).has_value()) << bd;
      EXPECT_TRUE(Receives(p, "dfe_analyst", "cla", bd, level).has_value()) << bd;
    }
  }
  EXPECT_FALSE(Receives(p, "no_such_class", "cla", "total", GeoLevel::kNational).has_value());
  // Every histogram some class receives is sent: all of them under the shipped policy.
  EXPECT_EQ(SendableHistogramCount(p), catalogue::HistogramCount());
  EXPECT_EQ(SendableCells(p).size(), catalogue::GridCells().size());
}

TEST(FirewallTest, ALeakIsNamedWithRuleRecipientAndCell) {
  // The enforcement class inherits dfe_analyst, which receives nationality.
  auto leaky = ParsePolicyUnchecked(testing::ShippedPolicyText() + "\n# leak\n", "leaky");
  ASSERT_TRUE(leaky.ok());
  for (RecipientClass& c : leaky->classes) {
    if (c.name == kEnforcementClass) c.inherits.push_back("dfe_analyst");
  }
  std::vector<Violation> v = CheckFirewall(*leaky);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].rule, "enforcement-receives-tainted");
  EXPECT_EQ(v[0].recipient, kEnforcementClass);
  EXPECT_EQ(v[0].cell, "cla/nationality at National");
  EXPECT_THAT(v[0].message, HasSubstr("grant 1 of dfe_analyst (inherited)"));
  EXPECT_THAT(v[0].message, HasSubstr("sensitive attribute nationality"));
}

TEST(FirewallTest, DisclosureRuleFollowsTaint) {
  auto p = ParsePolicy(
      "name: \"x\"\n" +
          [] {
            std::string t = testing::FirewallOnlyText();
            const std::string from = " tainted { suppress_below: 10 round_to: 5 }";
            t.replace(t.find(from), from.size(), " tainted { suppress_below: 20 round_to: 10 }");
            return t;
          }(),
      "x");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(RuleFor(*p, "cla", "nationality").suppression_threshold, 20);
  EXPECT_EQ(RuleFor(*p, "cla", "nationality").rounding_base, 10);
  EXPECT_EQ(RuleFor(*p, "cla", "age").suppression_threshold, 10);
}

}  // namespace
}  // namespace ringfence::policy
