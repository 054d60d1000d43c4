#include "policy/disclosure.h"

#include "gtest/gtest.h"

namespace ringfence::policy {
namespace {

TEST(DisclosureTest, SuppressesBelowThreshold) {
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, 9), (PublishedValue{true, 0}));
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, -3), (PublishedValue{true, 0}));
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, 10), (PublishedValue{false, 10}));
}

TEST(DisclosureTest, RoundsToNearestFive) {
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, 12).value, 10);
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, 13).value, 15);
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, 1997).value, 1995);
  EXPECT_EQ(ApplyDisclosureRule(kDefaultDisclosureRule, 1998).value, 2000);
}

TEST(DisclosureTest, HalvesRoundAwayFromZero) {
  DisclosureRule even{0, 10};
  EXPECT_EQ(ApplyDisclosureRule(even, 15).value, 20);
  EXPECT_EQ(ApplyDisclosureRule(even, 14).value, 10);
  DisclosureRule signed_rule{-100, 10};
  EXPECT_EQ(ApplyDisclosureRule(signed_rule, -15).value, -20);
}

TEST(DisclosureTest, ValidatesRule) {
  EXPECT_TRUE(ValidateDisclosureRule(kDefaultDisclosureRule).ok());
  EXPECT_FALSE(ValidateDisclosureRule(DisclosureRule{-1, 5}).ok());
  EXPECT_FALSE(ValidateDisclosureRule(DisclosureRule{10, 0}).ok());
}

}  // namespace
}  // namespace ringfence::policy
