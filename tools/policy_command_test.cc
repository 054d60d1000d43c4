// `ringfence policy` in-process on the shipped policy and on policies from policy/testdata/
// that fail (a leak, and a structural rule), plus the built binary's exit codes when
// $RINGFENCE_BIN_DIR has it.
#include "tools/policy_command.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"

namespace ringfence::tools {
namespace {

using ::ringfence::testing::IsOk;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string SourceRoot() {
  const char* root = std::getenv("RINGFENCE_SOURCE_DIR");
  return root != nullptr ? root : ".";
}

std::string Shipped() { return policy::testing::ShippedPolicyPath(); }
std::string TestData(const std::string& name) { return SourceRoot() + "/policy/testdata/" + name; }
// Leaks: home_office_enforcement inherits dfe_analyst.
std::string Leaky() { return TestData("bad_enforcement_inherits_analyst.textproto"); }

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

Result RunPolicy(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  Result r;
  r.code = RunPolicyCommand(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// The RECEIVES / DOES NOT RECEIVE lines of explain's output.
std::vector<std::string> VerdictLines(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(text)) {
    if (absl::StartsWith(line, "RECEIVES ") || absl::StartsWith(line, "DOES NOT RECEIVE ")) {
      out.push_back(line);
    }
  }
  return out;
}

// ---- check ----

TEST(PolicyCheckTest, ShippedPolicyPassesWithASummary) {
  Result r = RunPolicy({"check", Shipped()});
  EXPECT_EQ(r.code, kPolicyExitOk) << r.out << r.err;
  EXPECT_THAT(r.err, IsEmpty());
  auto p = policy::LoadPolicyFile(Shipped());
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT(r.out, StartsWith("OK: "));
  EXPECT_THAT(r.out, HasSubstr("name:        england-2025\n"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("digest:      ", p->digest, "\n")));
  EXPECT_THAT(r.out, HasSubstr("sensitive:   immigration_status, nationality, nrpf\n"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("histograms:  ", catalogue::HistogramCount(),
                                            " in the catalogue")));
  // Every class on a line with its flags; enforcement receives no tainted histogram.
  const std::vector<std::string> lines = Lines(r.out);
  EXPECT_THAT(lines, Contains(AllOf(HasSubstr(" public "), HasSubstr(" public  "))));
  EXPECT_THAT(lines, Contains(AllOf(StartsWith("  home_office_enforcement "),
                                    HasSubstr(" enforcement "), HasSubstr(" 0  "))));
  for (const char* c : {"la_own", "dfe_analyst", "inspectorate"}) {
    EXPECT_THAT(lines, Contains(StartsWith(absl::StrCat("  ", c, " ")))) << c;
  }
}

TEST(PolicyCheckTest, ALeakIsRefusedWithEveryViolationOnItsOwnLine) {
  Result r = RunPolicy({"check", Leaky()});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.out, StartsWith(absl::StrCat("FAIL: ", Leaky(), ": the firewall does not hold")));
  auto unchecked = policy::LoadPolicyFileUnchecked(Leaky());
  ASSERT_THAT(unchecked, IsOk());
  const std::vector<policy::Violation> violations = policy::CheckFirewall(*unchecked);
  ASSERT_FALSE(violations.empty());
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), violations.size() + 1);
  for (size_t i = 0; i < violations.size(); ++i) {
    EXPECT_EQ(lines[i + 1], violations[i].ToString());
  }
  // Rule, recipient and cell, in that order.
  EXPECT_THAT(lines[1], StartsWith("enforcement-receives-tainted: home_office_enforcement: "
                                   "cla/nationality at National: "));
  EXPECT_THAT(lines[1], HasSubstr("grant 1 of dfe_analyst (inherited)"));
}

TEST(PolicyCheckTest, AStructuralRuleIsRefusedNamingTheField) {
  Result r = RunPolicy({"check", TestData("bad_class_with_no_rules.textproto")});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.out, HasSubstr("FAIL: "));
  EXPECT_THAT(r.out, HasSubstr("recipient_classes[researcher]: has no rules"));

  r = RunPolicy({"check", TestData("bad_unknown_field.textproto")});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.out, HasSubstr("bad_unknown_field.textproto:82:"));
}

TEST(PolicyCheckTest, UnreadableFileIsAFailureNamingIt) {
  Result r = RunPolicy({"check", "/nonexistent/policy.textproto"});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/policy.textproto"));
}

// ---- explain ----

TEST(PolicyExplainTest, EnforcementGetsTheNationalTotalAndNothingTainted) {
  Result r = RunPolicy({"explain", Shipped(), "--recipient", "home_office_enforcement"});
  ASSERT_EQ(r.code, kPolicyExitOk) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("!!")));
  EXPECT_THAT(r.out, HasSubstr("class:       home_office_enforcement [enforcement]"));
  const std::vector<std::string> lines = VerdictLines(r.out);
  // One line per histogram x level, in catalogue order.
  ASSERT_EQ(lines.size(), 3u * catalogue::HistogramCount());
  size_t i = 0;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    for (const std::string& bd : ind.breakdowns) {
      for (policy::GeoLevel level : policy::kAllGeoLevels) {
        EXPECT_THAT(lines[i++], HasSubstr(absl::StrCat(" ", ind.name, "/", bd, " at ",
                                                       policy::GeoLevelName(level), " (")));
      }
    }
  }
  EXPECT_THAT(lines, Contains(StartsWith(
                         "RECEIVES          cla/total at National (1 cell): untainted; grant 1 "
                         "of home_office_enforcement (own): ")));
  EXPECT_THAT(lines, Contains(StartsWith("RECEIVES          cla/age at Local authority (5 "
                                         "cells): untainted; grant 1 of public (public): ")));
  EXPECT_THAT(
      lines, Contains(AllOf(StartsWith("DOES NOT RECEIVE  cla/nationality at National (4 cells): "),
                            HasSubstr("tainted by nationality, which an enforcement class may "
                                      "never receive"))));
  for (const std::string& line : lines) {
    if (!absl::StartsWith(line, "RECEIVES ")) continue;
    EXPECT_THAT(line, HasSubstr(": untainted; "));
    for (const char* bd : {"/nationality ", "/immigration_status ", "/nrpf "}) {
      EXPECT_THAT(line, Not(HasSubstr(bd)));
    }
  }
}

TEST(PolicyExplainTest, AgreesWithReceivesForEveryClass) {
  auto p = policy::LoadPolicyFile(Shipped());
  ASSERT_THAT(p, IsOk());
  for (const policy::RecipientClass& c : p->classes) {
    Result r = RunPolicy({"explain", "--recipient", c.name, Shipped()});  // flag before FILE
    ASSERT_EQ(r.code, kPolicyExitOk) << c.name << r.err;
    const std::vector<std::string> lines = VerdictLines(r.out);
    ASSERT_EQ(lines.size(), 3u * catalogue::HistogramCount());
    size_t i = 0;
    for (const catalogue::Indicator& ind : catalogue::Indicators()) {
      for (const std::string& bd : ind.breakdowns) {
        for (policy::GeoLevel level : policy::kAllGeoLevels) {
          auto route = policy::Receives(*p, c.name, ind.name, bd, level);
          const std::string& line = lines[i++];
          if (route.has_value()) {
            EXPECT_THAT(line, StartsWith("RECEIVES "));
            EXPECT_THAT(line, HasSubstr(route->ToString()));
          } else {
            EXPECT_THAT(line, StartsWith("DOES NOT RECEIVE "));
          }
        }
      }
    }
  }
}

TEST(PolicyExplainTest, ALeakingPolicyIsExplainedWithItsViolationsMarkedFirst) {
  Result r = RunPolicy({"explain", Leaky(), "--recipient=home_office_enforcement"});
  ASSERT_EQ(r.code, kPolicyExitOk) << r.err;
  const size_t marked = r.out.find("!! THE FIREWALL DOES NOT HOLD");
  const size_t first_line = r.out.find("\nRECEIVES ");
  ASSERT_NE(marked, std::string::npos);
  ASSERT_NE(first_line, std::string::npos);
  EXPECT_LT(marked, first_line);
  EXPECT_THAT(r.out, HasSubstr("!! enforcement-receives-tainted: home_office_enforcement: "
                               "cla/nationality at National: "));
  EXPECT_THAT(VerdictLines(r.out),
              Contains(AllOf(StartsWith("RECEIVES          cla/nationality at National (4 "
                                        "cells): tainted by nationality; grant 1 of "
                                        "dfe_analyst (inherited)"),
                             HasSubstr("!! enforcement-receives-tainted"))));
  // check still refuses it.
  EXPECT_EQ(RunPolicy({"check", Leaky()}).code, kPolicyExitRefused);
}

TEST(PolicyExplainTest, UnknownClassNamesTheKnownOnes) {
  Result r = RunPolicy({"explain", Shipped(), "--recipient", "border_force"});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("no recipient class \"border_force\""));
  EXPECT_THAT(r.err, HasSubstr("public, la_own, dfe_analyst, inspectorate, "
                               "home_office_enforcement"));
}

TEST(PolicyExplainTest, AStructurallyBrokenPolicyCannotBeExplained) {
  Result r = RunPolicy(
      {"explain", TestData("bad_inheritance_cycle.textproto"), "--recipient", "dfe_analyst"});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.err, HasSubstr("inherits itself (a cycle)"));
}

// ---- digest ----

TEST(PolicyDigestTest, PrintsJustTheDigest) {
  auto p = policy::LoadPolicyFile(Shipped());
  ASSERT_THAT(p, IsOk());
  Result r = RunPolicy({"digest", Shipped()});
  EXPECT_EQ(r.code, kPolicyExitOk);
  EXPECT_EQ(r.out, p->digest + "\n");
  EXPECT_THAT(r.err, IsEmpty());
}

TEST(PolicyDigestTest, ARefusedPolicyHasNoDigest) {
  Result r = RunPolicy({"digest", Leaky()});
  EXPECT_EQ(r.code, kPolicyExitRefused);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, HasSubstr("enforcement-receives-tainted"));
}

// ---- usage ----

TEST(PolicyUsageTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunPolicy({}).code, kPolicyExitUsage);
  EXPECT_EQ(RunPolicy({"lint", Shipped()}).code, kPolicyExitUsage);
  EXPECT_EQ(RunPolicy({"check"}).code, kPolicyExitUsage);
  EXPECT_EQ(RunPolicy({"check", Shipped(), Shipped()}).code, kPolicyExitUsage);
  EXPECT_EQ(RunPolicy({"check", Shipped(), "--recipient", "public"}).code, kPolicyExitUsage);
  EXPECT_EQ(RunPolicy({"digest"}).code, kPolicyExitUsage);
  Result r = RunPolicy({"explain", Shipped()});
  EXPECT_EQ(r.code, kPolicyExitUsage);
  EXPECT_THAT(r.err, HasSubstr("--recipient"));
  r = RunPolicy({"explain", Shipped(), "--recipient"});
  EXPECT_EQ(r.code, kPolicyExitUsage);
}

TEST(PolicyUsageTest, HelpDocumentsTheExitCodes) {
  Result r = RunPolicy({"--help"});
  EXPECT_EQ(r.code, kPolicyExitOk);
  EXPECT_THAT(r.out, HasSubstr("exit codes: 0"));
  for (const char* sub : {"check", "explain", "digest"}) {
    r = RunPolicy({sub, "--help"});
    EXPECT_EQ(r.code, kPolicyExitOk) << sub;
    EXPECT_THAT(r.out, HasSubstr("Exit codes: 0 success; 1 ")) << sub;
  }
}

// ---- the binary ----

int RunBinary(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PolicyBinaryTest, ExitCodes) {
  const char* bin_dir = std::getenv("RINGFENCE_BIN_DIR");
  const std::string bin = absl::StrCat(bin_dir != nullptr ? bin_dir : ".", "/ringfence");
  // ctest builds the binary before this test (tools/policy.cmake: add_dependencies).
  std::FILE* f = std::fopen(bin.c_str(), "r");
  ASSERT_NE(f, nullptr) << bin << " is not built";
  std::fclose(f);
  const std::string quiet = " >/dev/null 2>&1";
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " policy check ", Shipped(), quiet)), 0);
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " policy check ", Leaky(), quiet)), 1);
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " policy explain ", Shipped(),
                                   " --recipient home_office_enforcement", quiet)),
            0);
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " policy explain ", Shipped(), quiet)), 2);
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " policy digest ", Shipped(), quiet)), 0);
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " policy", quiet)), 2);
  EXPECT_EQ(RunBinary(absl::StrCat(bin, " --help | grep -q '^  policy '")), 0);
}

}  // namespace
}  // namespace ringfence::tools
