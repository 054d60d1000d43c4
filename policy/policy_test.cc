#include "policy/policy.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/testing/policy_text.h"

namespace ringfence::policy {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

// `text` plus the shipped policy's firewall sections, which every policy must have.
std::string P(const std::string& text) { return text + "\n" + testing::FirewallOnlyText(); }

TEST(ParsePolicyTest, MinimalPolicyQuarantinesNothing) {
  auto p = ParsePolicy(P("name: \"england-v1\"\n"), "p.textproto");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "england-v1");
  EXPECT_EQ(p->file, "p.textproto");
  EXPECT_TRUE(p->quarantinable.empty());
}

TEST(ParsePolicyTest, QuarantineClasses) {
  auto p = ParsePolicy(P("name: \"x\"\n"
                         "# comments are fine\n"
                         "data_quality { quarantine: BAD_DATE quarantine: UNKNOWN_CODE }\n"),
                       "p.textproto");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->quarantinable.Contains(DataErrorClass::kBadDate));
  EXPECT_TRUE(p->quarantinable.Contains(DataErrorClass::kUnknownCode));
  EXPECT_FALSE(p->quarantinable.Contains(DataErrorClass::kUnknownChild));
  EXPECT_FALSE(p->quarantinable.Contains(DataErrorClass::kStructure));
}

TEST(ParsePolicyTest, EveryQuarantinableClassHasItsProtoName) {
  for (DataErrorClass c : AllDataErrorClasses()) {
    const std::string text =
        absl::StrCat("name: \"x\" data_quality { quarantine: ", DataErrorClassName(c), " }");
    auto p = ParsePolicy(P(text), "p");
    if (CanQuarantine(c)) {
      ASSERT_TRUE(p.ok()) << DataErrorClassName(c) << ": " << p.status();
      EXPECT_TRUE(p->quarantinable.Contains(c));
    } else {
      EXPECT_THAT(
          p, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("can never be quarantined")));
    }
  }
}

TEST(ParsePolicyTest, UnknownFieldNamesFileLineAndColumn) {
  EXPECT_THAT(ParsePolicy(P("name: \"x\"\nquarantine: BAD_DATE\n"), "pol.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pol.textproto:2:")));
}

TEST(ParsePolicyTest, UnknownEnumNameIsAnError) {
  EXPECT_THAT(ParsePolicy(P("name: \"x\" data_quality { quarantine: BAD_DATES }"), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BAD_DATES")));
}

TEST(ParsePolicyTest, RulesThatFire) {
  EXPECT_THAT(ParsePolicy(P(""), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p: name: is missing")));
  EXPECT_THAT(ParsePolicy(P("name: \"x\" data_quality { quarantine: STRUCTURE }"), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("STRUCTURE can never be quarantined")));
  EXPECT_THAT(ParsePolicy(P("name: \"x\" data_quality { quarantine: MISSING_CHILD_ID }"), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("MISSING_CHILD_ID can never be quarantined")));
  EXPECT_THAT(
      ParsePolicy(P("name: \"x\" data_quality { quarantine: BAD_DATE quarantine: BAD_DATE }"), "p"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BAD_DATE is listed twice")));
  EXPECT_THAT(
      ParsePolicy(P("name: \"x\" data_quality { quarantine: ERROR_CLASS_UNSPECIFIED }"), "p"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an error class")));
  EXPECT_THAT(ParsePolicy(P("name: \"x\" data_quality { quarantine: 42 }"), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePolicy(P("name: \"x\"\nname: \"y\"\n"), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParsePolicyTest, PrivacyDefaults) {
  auto p = ParsePolicy(P("name: \"x\""), "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->privacy.rho_per_year.ToString(), "1/2");
  EXPECT_EQ(p->privacy.rho_per_round.ToString(), "1/2");
  EXPECT_DOUBLE_EQ(p->privacy.display_delta, 1e-6);
}

TEST(ParsePolicyTest, PrivacySection) {
  auto p = ParsePolicy(
      P("name: \"x\" privacy { rho_per_year: \"1\" rho_per_round: \"1/4\" "
        "split: EQUAL_PER_HISTOGRAM mechanism: DISCRETE_GAUSSIAN display_delta: 1e-5 }"),
      "p");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->privacy.rho_per_year.ToString(), "1");
  EXPECT_EQ(p->privacy.rho_per_round.ToString(), "1/4");
  EXPECT_DOUBLE_EQ(p->privacy.display_delta, 1e-5);
}

TEST(ParsePolicyTest, PrivacyRulesThatFire) {
  auto parse = [](const std::string& privacy) {
    return ParsePolicy(P(absl::StrCat("name: \"x\" privacy { ", privacy, " }")), "pol");
  };
  EXPECT_THAT(parse("rho_per_round: \"1/2\""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("pol: privacy.rho_per_year: is missing")));
  EXPECT_THAT(parse("rho_per_year: \"1/2\""),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("pol: privacy.rho_per_round: is missing")));
  EXPECT_THAT(
      parse("rho_per_year: \"1/2\" rho_per_round: \"1\""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 is more than rho_per_year 1/2")));
  EXPECT_THAT(
      parse("rho_per_year: \"1/2\" rho_per_round: \"0.5\""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pol: privacy.rho_per_round: ")));
  EXPECT_THAT(parse("rho_per_year: \"1/2\" rho_per_round: \"0\""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(parse("rho_per_year: \"1/2\" rho_per_round: \"1/2\" display_delta: 0.5"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("privacy.display_delta: 0.5 is not in (0, 1e-3]")));
  // sigma^2 = 52 / (2 rho) must stay within the sampler's 2^20: rho = 1/100000 is too small.
  EXPECT_THAT(
      parse("rho_per_year: \"1\" rho_per_round: \"1/100000\""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside the sampler's range")));
  EXPECT_THAT(parse("rho_per_year: \"1\" rho_per_round: \"1/1000\""), IsOk());
}

TEST(LoadPolicyFileTest, MissingFileNamesIt) {
  EXPECT_THAT(LoadPolicyFile("/nonexistent/policy.textproto"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/policy.textproto")));
}

}  // namespace
}  // namespace ringfence::policy
