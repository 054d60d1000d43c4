// The policy checker against a table of hand-written policies (policy/testdata/*.textproto),
// good and bad, each with the verdict it must get. Each file starts with a comment saying what
// it tries and its verdict; the table below is the authority and the test checks that the
// file's "# Verdict:" line agrees with it.
//
// Besides ParsePolicy's verdict, every policy that passes the structural rules is run through
// an oracle written here from the catalogue alone (reach: own grants, transitive inheritance,
// every public class and what it inherits; taint: the breakdown's declared and catalogue
// attributes, the indicator's condition and its denominators', recursively), so a leak the
// checker misses, or one it invents, fails the table even if the messages look right.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "crypto/discrete_gaussian.h"
#include "dp/zcdp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/firewall.h"
#include "policy/policy.h"

namespace ringfence::policy {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

enum class Verdict {
  kOk,     // passes every rule
  kRule,   // INVALID_ARGUMENT from a structural rule ("file: field: message")
  kParse,  // INVALID_ARGUMENT from the strict text parser ("file:line:column: message")
  kLeak,   // INVALID_ARGUMENT from the firewall: a tainted cell reaches an enforcement class
};

struct Case {
  std::string file;  // relative to the source root
  Verdict verdict;
  // Substrings the INVALID_ARGUMENT message must contain (the rule, field, class or cell).
  std::vector<std::string> substrings;
};

// gtest names a failing case by its file, not by the bytes of the struct.
void PrintTo(const Case& c, std::ostream* os) { *os << c.file; }

std::string TestData(const std::string& name) { return "policy/testdata/" + name; }

std::vector<Case> Table() {
  return {
      // ---- Good policies ----
      {"policies/england-2025.textproto", Verdict::kOk, {}},
      {TestData("ok_baseline.textproto"), Verdict::kOk, {}},
      {TestData("ok_uasc_sensitive.textproto"), Verdict::kOk, {}},
      {TestData("ok_enforcement_inherits_public.textproto"), Verdict::kOk, {}},
      {TestData("ok_second_enforcement_class.textproto"), Verdict::kOk, {}},
      {TestData("ok_tainted_disclosure_stricter.textproto"), Verdict::kOk, {}},

      // ---- Leaks: a tainted cell reaches an enforcement class ----
      {TestData("bad_enforcement_granted_nationality.textproto"),
       Verdict::kLeak,
       {"(1 violation)",
        "enforcement-receives-tainted: home_office_enforcement: cla/nationality at National: ",
        "grant 2 of home_office_enforcement (own)", "sensitive attribute nationality"}},
      {TestData("bad_launder_denominator_and_filter.textproto"),
       Verdict::kLeak,
       {"(1 violation)",
        "enforcement-receives-tainted: home_office_enforcement: distance_over_20/total at "
        "National: ",
        "grant 2 of home_office_enforcement (own)", "sensitive attribute uasc"}},
      {TestData("bad_launder_filter.textproto"),
       Verdict::kLeak,
       {"(1 violation)",
        "enforcement-receives-tainted: home_office_enforcement: out_of_area/total at National: ",
        "sensitive attribute uasc"}},
      {TestData("bad_enforcement_inherits_analyst.textproto"),
       Verdict::kLeak,
       {"enforcement-receives-tainted: home_office_enforcement: cla/nationality at National: ",
        "grant 1 of dfe_analyst (inherited)",
        "enforcement-receives-tainted: home_office_enforcement: away_no_auth/nationality at "
        "Local authority: "}},
      {TestData("bad_inheritance_chain.textproto"),
       Verdict::kLeak,
       {"enforcement-receives-tainted: home_office_enforcement: cla/nationality at National: ",
        "grant 1 of dfe_analyst (inherited)"}},
      {TestData("bad_public_granted_nationality.textproto"),
       Verdict::kLeak,
       {"public-receives-tainted: public: cla/nationality at National: ",
        "enforcement-receives-tainted: home_office_enforcement: cla/nationality at National: ",
        "grant 1 of public (public)", "every enforcement class can read"}},
      {TestData("bad_public_class_inherits_analyst.textproto"),
       Verdict::kLeak,
       {"public-receives-tainted: open_data: cla/nationality at National: ",
        "enforcement-receives-tainted: home_office_enforcement: cla/nationality at National: "
        "an enforcement class would receive this cell through grant 1 of dfe_analyst (public)"}},
      {TestData("bad_star_grant_to_enforcement.textproto"),
       Verdict::kLeak,
       {"enforcement-receives-tainted: home_office_enforcement: cla/nationality at National: ",
        "enforcement-receives-tainted: home_office_enforcement: cla/nrpf at National: "}},
      {TestData("bad_second_enforcement_class.textproto"),
       Verdict::kLeak,
       {"(1 violation)",
        "enforcement-receives-tainted: border_force: cla/immigration_status at Regional: ",
        "grant 1 of border_force (own)"}},

      // ---- Laundering refused before the taint analysis ----
      {TestData("bad_launder_renamed_breakdown.textproto"),
       Verdict::kRule,
       {"breakdowns: \"country\" is not a breakdown of the catalogue"}},
      {TestData("bad_launder_cleared_derivation.textproto"),
       Verdict::kRule,
       {"breakdowns: nationality derives from \"nationality\" in the catalogue, but the policy "
        "does not say so"}},

      // ---- Inconsistent or incomplete policies ----
      {TestData("bad_missing_mandatory_sensitive.textproto"),
       Verdict::kRule,
       {"sensitive_attributes: must include \"nrpf\""}},
      {TestData("bad_unknown_attribute.textproto"),
       Verdict::kRule,
       {"sensitive_attributes: \"religion\" is not an attribute of the catalogue"}},
      {TestData("bad_breakdown_not_declared.textproto"),
       Verdict::kRule,
       {"breakdowns: \"ceased_reason\" is not declared"}},
      {TestData("bad_unknown_indicator.textproto"),
       Verdict::kRule,
       {"recipient_classes[inspectorate].grants[2]: \"children_in_need\" is not an indicator"}},
      {TestData("bad_unknown_breakdown.textproto"),
       Verdict::kRule,
       {"recipient_classes[home_office_enforcement].grants[1]: \"country_of_birth\" is not a "
        "breakdown"}},
      {TestData("bad_unknown_class_in_inherits.textproto"),
       Verdict::kRule,
       {"recipient_classes[inspectorate].inherits: \"ofsted_regional\" is not a class"}},
      {TestData("bad_inheritance_cycle.textproto"),
       Verdict::kRule,
       {"recipient_classes[dfe_analyst].inherits: inherits itself (a cycle)"}},
      {TestData("bad_class_with_no_rules.textproto"),
       Verdict::kRule,
       {"recipient_classes[researcher]: has no rules"}},
      {TestData("bad_missing_required_class.textproto"),
       Verdict::kRule,
       {"recipient_classes: the class \"inspectorate\" is missing"}},
      {TestData("bad_enforcement_flag_missing.textproto"),
       Verdict::kRule,
       {"recipient_classes[home_office_enforcement]: must have enforcement: true"}},
      {TestData("bad_enforcement_marked_public.textproto"),
       Verdict::kRule,
       {"recipient_classes[home_office_enforcement]: an enforcement class cannot be public"}},
      {TestData("bad_duplicate_class.textproto"),
       Verdict::kRule,
       {"recipient_classes: \"dfe_analyst\" is declared twice"}},
      {TestData("bad_grant_without_reason.textproto"),
       Verdict::kRule,
       {"recipient_classes[inspectorate].grants[1]: has no reason"}},
      {TestData("bad_grant_without_levels.textproto"),
       Verdict::kRule,
       {"recipient_classes[inspectorate].grants[1]: needs at least one indicator, breakdown "
        "and level"}},
      {TestData("bad_grant_grants_nothing.textproto"),
       Verdict::kRule,
       {"recipient_classes[inspectorate].grants[2]: grants nothing"}},
      {TestData("bad_budget_overspent.textproto"),
       Verdict::kRule,
       {"privacy.rho_per_round: 1 is more than rho_per_year 1/2"}},
      {TestData("bad_tainted_disclosure_weaker.textproto"),
       Verdict::kRule,
       {"disclosure.tainted: must be at least as strict as disclosure.untainted"}},
      {TestData("bad_tainted_rounding_not_multiple.textproto"),
       Verdict::kRule,
       {"disclosure.tainted: must be at least as strict as disclosure.untainted"}},
      // A rounding base beyond what ValidateDisclosureRule accepts (the node's and the
      // coordinator's check before every round).
      {TestData("bad_round_to_too_large.textproto"),
       Verdict::kRule,
       {"disclosure.untainted", "rounding base must be 1..1000000"}},
      // The sampler-range check splits rho_per_round over the histograms the policy sends (51
      // here), as the node does: sigma^2 = 51/(2 rho) has a denominator above 2^31.
      {TestData("bad_budget_split_over_sendable.textproto"),
       Verdict::kRule,
       {"privacy.rho_per_round", "outside the sampler's range"}},

      {TestData("bad_inherits_la_own.textproto"),
       Verdict::kRule,
       {"recipient_classes[inspectorate].inherits: no class may inherit la_own"}},

      // ---- Syntax ----
      {TestData("bad_unknown_field.textproto"),
       Verdict::kParse,
       {"bad_unknown_field.textproto:82:", "exempt_from_firewall"}},
  };
}

std::string SourceRoot() {
  const char* root = std::getenv("RINGFENCE_SOURCE_DIR");
  return root != nullptr ? root : ".";
}

std::string Read(const std::string& relative) {
  std::string text;
  EXPECT_THAT(base::ReadFileToString(SourceRoot() + "/" + relative, &text), IsOk()) << relative;
  return text;
}

// ---- The oracle ----

// Attributes of an indicator's cohort and condition, and of its denominators', recursively.
void IndicatorAttributes(const catalogue::Indicator& ind, std::set<std::string>* out,
                         int depth = 0) {
  ASSERT_LT(depth, 16) << "denominator loop at " << ind.name;
  out->insert(ind.condition_derives_from.begin(), ind.condition_derives_from.end());
  if (ind.denominator.empty()) return;
  const catalogue::Indicator* denominator = catalogue::FindIndicator(ind.denominator);
  ASSERT_NE(denominator, nullptr) << ind.denominator;
  IndicatorAttributes(*denominator, out, depth + 1);
}

bool OracleTainted(const Policy& p, const catalogue::Indicator& ind, const std::string& bd) {
  std::set<std::string> attrs;
  IndicatorAttributes(ind, &attrs);
  const catalogue::Breakdown* breakdown = catalogue::FindBreakdown(bd);
  attrs.insert(breakdown->derives_from.begin(), breakdown->derives_from.end());
  auto declared = p.breakdown_attributes.find(bd);
  if (declared != p.breakdown_attributes.end()) {
    attrs.insert(declared->second.begin(), declared->second.end());
  }
  for (const std::string& a : p.sensitive_attributes) {
    if (attrs.count(a) != 0) return true;
  }
  return false;
}

// `name` and every class it inherits, transitively.
void Closure(const Policy& p, const std::string& name, std::set<std::string>* out) {
  if (!out->insert(name).second) return;
  const RecipientClass* c = p.FindClass(name);
  if (c == nullptr) return;
  for (const std::string& parent : c->inherits) Closure(p, parent, out);
}

bool OracleReceives(const Policy& p, const std::string& class_name, const std::string& ind,
                    const std::string& bd, GeoLevel level) {
  std::set<std::string> sources;
  Closure(p, class_name, &sources);
  for (const RecipientClass& c : p.classes) {
    if (c.is_public) Closure(p, c.name, &sources);
  }
  for (const std::string& s : sources) {
    for (const Grant& g : p.FindClass(s)->grants) {
      auto has = [](const auto& v, const auto& x) {
        return std::find(v.begin(), v.end(), x) != v.end();
      };
      if (has(g.indicators, ind) && has(g.breakdowns, bd) && has(g.levels, level)) return true;
    }
  }
  return false;
}

// "class: indicator/breakdown at Level" for every tainted histogram x level that reaches an
// enforcement or public class.
std::vector<std::string> OracleLeaks(const Policy& p) {
  std::vector<std::string> out;
  for (const RecipientClass& c : p.classes) {
    if (!c.enforcement && !c.is_public) continue;
    for (const catalogue::Indicator& ind : catalogue::Indicators()) {
      for (const std::string& bd : ind.breakdowns) {
        if (!OracleTainted(p, ind, bd)) continue;
        for (GeoLevel level : kAllGeoLevels) {
          if (OracleReceives(p, c.name, ind.name, bd, level)) {
            out.push_back(
                absl::StrCat(c.name, ": ", ind.name, "/", bd, " at ", GeoLevelName(level)));
          }
        }
      }
    }
  }
  return out;
}

// ---- The table ----

class PolicyTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(PolicyTableTest, GetsItsVerdict) {
  const Case& c = GetParam();
  const std::string text = Read(c.file);
  ASSERT_FALSE(text.empty()) << c.file;
  const absl::StatusOr<Policy> checked = ParsePolicy(text, c.file);

  if (c.verdict == Verdict::kOk) {
    ASSERT_THAT(checked, IsOk()) << c.file;
    EXPECT_EQ(checked->digest.size(), 64u);
    EXPECT_TRUE(CheckFirewall(*checked).empty());
  } else {
    ASSERT_FALSE(checked.ok()) << c.file << " was accepted";
    EXPECT_EQ(checked.status().code(), absl::StatusCode::kInvalidArgument) << checked.status();
    EXPECT_TRUE(absl::StartsWith(checked.status().message(), c.file)) << checked.status();
    for (const std::string& s : c.substrings) {
      EXPECT_THAT(std::string(checked.status().message()), ::testing::HasSubstr(s)) << c.file;
    }
  }

  // Structural rules and syntax refuse the file before the taint analysis; leaks and good
  // policies pass them.
  const absl::StatusOr<Policy> unchecked = ParsePolicyUnchecked(text, c.file);
  const bool structural_ok = c.verdict == Verdict::kOk || c.verdict == Verdict::kLeak;
  EXPECT_EQ(unchecked.ok(), structural_ok) << c.file << ": " << unchecked.status();
  if (unchecked.ok()) {
    const std::vector<std::string> leaks = OracleLeaks(*unchecked);
    const std::vector<Violation> violations = CheckFirewall(*unchecked);
    std::vector<std::string> reported;
    for (const Violation& v : violations) reported.push_back(v.recipient + ": " + v.cell);
    // The checker reports exactly the leaks the oracle finds, in the same order.
    EXPECT_EQ(reported, leaks) << c.file;
    EXPECT_EQ(leaks.empty(), c.verdict != Verdict::kLeak) << c.file;
  }
}

TEST_P(PolicyTableTest, FileHeaderStatesTheSameVerdict) {
  const Case& c = GetParam();
  const std::string text = Read(c.file);
  if (absl::StartsWith(c.file, "policies/")) {
    // The shipped policy is not a test case: it opens with its own title, not "# Tries:".
    EXPECT_TRUE(absl::StartsWith(text, "# Ringfence policy")) << c.file;
    EXPECT_EQ(c.verdict, Verdict::kOk);
    return;
  }
  ASSERT_TRUE(absl::StartsWith(text, "# Tries: ")) << c.file;
  const std::string expected =
      c.verdict == Verdict::kOk ? "\n# Verdict: OK\n" : "\n# Verdict: INVALID_ARGUMENT ";
  EXPECT_THAT(text, ::testing::HasSubstr(expected)) << c.file;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file;
  name = name.substr(name.rfind('/') + 1);
  name = name.substr(0, name.find('.'));
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Policies, PolicyTableTest, ::testing::ValuesIn(Table()), CaseName);

TEST(PolicyTableCoverageTest, EveryTestdataFileIsInTheTable) {
  std::set<std::string> in_table;
  for (const Case& c : Table()) in_table.insert(c.file);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SourceRoot() + "/policy/testdata")) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, ".textproto")) continue;
    ++files;
    EXPECT_EQ(in_table.count(TestData(name)), 1u) << name << " has no verdict in the table";
  }
  EXPECT_GE(files, 20);
  EXPECT_EQ(static_cast<size_t>(files) + 1, in_table.size());  // + the shipped policy
}

// The arithmetic behind the bad_budget_split_over_sendable case: over all 52 histograms the
// budget would be within the sampler's range; over the 51 the policy sends it is not.
TEST(PolicyTableCoverageTest, BudgetSplitOverSendableHistograms) {
  auto p = ParsePolicyUnchecked(Read(TestData("bad_budget_split_over_sendable.textproto")), "b");
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("split over the 51 histograms this policy sends")));
  auto rho = dp::Rho::Parse("1073741825/2147483651");
  ASSERT_THAT(rho, IsOk());
  auto variance = [&](int histograms) {
    auto per_histogram = dp::SplitEqually(*rho, histograms);
    EXPECT_THAT(per_histogram, IsOk());
    auto v = dp::GaussianVarianceForRho(*per_histogram);
    EXPECT_THAT(v, IsOk());
    return *v;
  };
  EXPECT_LE(variance(52).denominator, crypto::DiscreteGaussianSampler::kMaxDenominator);
  EXPECT_GT(variance(51).denominator, crypto::DiscreteGaussianSampler::kMaxDenominator);
  EXPECT_FALSE(
      crypto::DiscreteGaussianSampler::Create(variance(51).numerator, variance(51).denominator)
          .ok());
}

TEST(PolicyTableCoverageTest, CommentsAndLayoutDoNotChangeTheDigest) {
  const std::string text = Read(TestData("ok_baseline.textproto"));
  std::string stripped;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "#") || line.empty()) continue;
    absl::StrAppend(&stripped, line, " ");  // one long line
  }
  auto a = ParsePolicy(text, "a");
  auto b = ParsePolicy(stripped, "b");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->digest, b->digest);
  auto shipped = ParsePolicy(Read("policies/england-2025.textproto"), "shipped");
  ASSERT_THAT(shipped, IsOk());
  EXPECT_NE(a->digest, shipped->digest);
}

}  // namespace
}  // namespace ringfence::policy
