// End to end through the real ringfence-node binary: a round never runs on data with errors
// unless the policy names the error's class as quarantinable; then the bad rows are left out,
// counted in a report on the LA's terminal, and the grid is exactly the grid of the folder
// without them.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/testing/la_folder.h"
#include "policy/testing/policy_text.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using ::ringfence::node::testing::Episode;
using ::ringfence::node::testing::EpisodeRow;
using ::ringfence::node::testing::EpisodesCsv;
using ::ringfence::node::testing::HeaderCsv;
using ::ringfence::node::testing::HeaderRow;
using ::ringfence::node::testing::TableCsv;
using ::ringfence::node::testing::TempFolder;
using ::ringfence::testing::BinaryPath;
using ::ringfence::testing::RunCommand;
using ::ringfence::testing::RunResult;
using ::testing::HasSubstr;

// Twelve children in care at 31/03/2025, sensitive rows for all; `bad` adds, for one more
// child B99, a Header row with an impossible DOB, and makes one sensitive row's nationality
// invalid.
void WriteFolder(const TempFolder& dir, bool bad) {
  std::vector<HeaderRow> header;
  std::vector<EpisodeRow> episodes;
  std::vector<std::vector<std::string>> sensitive;
  for (int i = 0; i < 12; ++i) {
    const std::string id = absl::StrCat("C", 100 + i);
    header.push_back({id, i % 2 ? "F" : "M", "01/06/2012"});
    episodes.push_back(Episode(id, "01/01/2024"));
    sensitive.push_back({id, i < 6 ? "GBR" : "ERI", "", ""});
  }
  if (bad) {
    header.push_back({"B99", "M", "31/04/2012"});
    episodes.push_back(Episode("B99", "01/01/2024"));
    sensitive[3][1] = "ENG";  // a sports code, not ISO 3166-1 alpha-3
  }
  ASSERT_TRUE(dir.Write("header.csv", HeaderCsv(header)).ok());
  ASSERT_TRUE(dir.Write("episodes.csv", EpisodesCsv(episodes)).ok());
  ASSERT_TRUE(dir.Write("sensitive.csv", TableCsv(node::Table::kSensitive, sensitive)).ok());
}

RunResult Node(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinaryPath("ringfence-node")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

class QuarantineE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bad = TempFolder::Create();
    auto clean = TempFolder::Create();
    auto policies = TempFolder::Create();
    ASSERT_TRUE(bad.ok() && clean.ok() && policies.ok());
    bad_ = std::make_unique<TempFolder>(*std::move(bad));
    clean_ = std::make_unique<TempFolder>(*std::move(clean));
    policies_ = std::make_unique<TempFolder>(*std::move(policies));
    WriteFolder(*bad_, true);
    WriteFolder(*clean_, false);
    // Each policy is the shipped firewall with its own name and data_quality section.
    const std::string firewall = policy::testing::FirewallOnlyText();
    ASSERT_FALSE(firewall.empty());
    ASSERT_TRUE(policies_->Write("strict.textproto", "name: \"strict\"\n" + firewall).ok());
    ASSERT_TRUE(policies_
                    ->Write("dates.textproto",
                            "name: \"dates only\"\ndata_quality { quarantine: BAD_DATE }\n" +
                                firewall)
                    .ok());
    ASSERT_TRUE(policies_
                    ->Write("both.textproto",
                            "name: \"dates and codes\"\n"
                            "data_quality { quarantine: BAD_DATE quarantine: UNKNOWN_CODE }\n" +
                                firewall)
                    .ok());
    ASSERT_TRUE(policies_
                    ->Write("bad.textproto",
                            "name: \"x\"\ndata_quality { quarantine: STRUCTURE }\n" + firewall)
                    .ok());
  }
  std::vector<std::string> Args(const std::string& command, const TempFolder& dir,
                                const std::string& policy) {
    std::vector<std::string> args = {command,     "--data", dir.path(), "--la",
                                     "E09000033", "--year", "2025"};
    if (!policy.empty()) {
      args.push_back("--policy");
      args.push_back(policies_->path() + "/" + policy);
    }
    return args;
  }
  std::unique_ptr<TempFolder> bad_, clean_, policies_;
};

TEST_F(QuarantineE2eTest, WithoutAQuarantiningPolicyTheRoundStops) {
  for (const std::string& policy : {std::string(), std::string("strict.textproto")}) {
    SCOPED_TRACE(policy);
    RunResult r = Node(Args("validate", *bad_, policy));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("header.csv:14: DOB: "));
    EXPECT_THAT(r.err, HasSubstr("sensitive.csv:5: NATIONALITY: \"ENG\""));
    EXPECT_THAT(r.err, HasSubstr("2 errors; nothing computed"));
    r = Node(Args("preview", *bad_, policy.empty() ? "strict.textproto" : policy));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(QuarantineE2eTest, APolicyThatQuarantinesOnlySomeClassesStillStops) {
  RunResult r = Node(Args("preview", *bad_, "dates.textproto"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("sensitive.csv:5: NATIONALITY:"));
  EXPECT_THAT(r.err, HasSubstr("1 error that the policy cannot quarantine (and 1 it could)"));
}

TEST_F(QuarantineE2eTest, QuarantinedRowsAreLeftOutAndCounted) {
  RunResult v = Node(Args("validate", *bad_, "both.textproto"));
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("[BAD_DATE] header.csv:14: DOB: "));
  EXPECT_THAT(v.out, HasSubstr("[UNKNOWN_CODE] sensitive.csv:5: NATIONALITY: "));
  EXPECT_THAT(v.out, HasSubstr("children left out of every figure: 1"));
  EXPECT_THAT(v.out, HasSubstr("children counted without their sensitive.csv row: 1"));

  RunResult quarantined = Node([&] {
    auto a = Args("preview", *bad_, "both.textproto");
    a.push_back("--exact");
    return a;
  }());
  ASSERT_EQ(quarantined.exit_code, 0) << quarantined.err;
  EXPECT_THAT(quarantined.err, HasSubstr("quarantine: 2 errors"));

  // The same grid as the clean folder, except that C103 has no nationality: one child moves
  // from "british" to "not recorded" in the nationality breakdowns. Everything not derived
  // from sensitive.csv is identical.
  auto clean_args = Args("preview", *clean_, "strict.textproto");
  clean_args.push_back("--exact");
  RunResult clean = Node(clean_args);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  std::vector<std::string> q_lines = absl::StrSplit(quarantined.out, '\n');
  std::vector<std::string> c_lines = absl::StrSplit(clean.out, '\n');
  ASSERT_EQ(q_lines.size(), c_lines.size());
  int differing = 0;
  for (size_t i = 0; i < q_lines.size(); ++i) {
    if (q_lines[i] == c_lines[i]) continue;
    ++differing;
    EXPECT_THAT(q_lines[i],
                ::testing::AnyOf(HasSubstr(",nationality,"), HasSubstr(",immigration_status,"),
                                 HasSubstr(",nrpf,")))
        << "an untainted cell changed: " << q_lines[i] << " vs " << c_lines[i];
  }
  EXPECT_GT(differing, 0);
}

TEST_F(QuarantineE2eTest, AnInvalidPolicyIsRefusedBeforeAnythingIsRead) {
  RunResult r = Node(Args("preview", *clean_, "bad.textproto"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad.textproto: data_quality.quarantine: STRUCTURE can never be "
                               "quarantined"));
  r = Node(Args("preview", *clean_, "missing.textproto"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.textproto"));
}

}  // namespace
}  // namespace ringfence
