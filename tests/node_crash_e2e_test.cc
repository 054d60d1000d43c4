// Crash safety of the privacy ledger, end to end (issue 5): the node is killed with SIGKILL at
// each step of a round (after compute, after the ledger write, during the send, after the
// coordinator's acknowledgement) by the test-only harness tests/node_crash_harness.cc, then
// the real ringfence-node submit runs again. After restart:
//   - the budget is never double-counted: the ledger holds exactly one round, spending exactly
//     the policy's rho_per_round, however many times the node died;
//   - never under-counted: whenever the coordinator holds cells, the ledger holds their spend
//     (a crash after the ledger write leaves a recorded, unsent round, never the reverse);
//   - the cells the coordinator stores are the cached ones: its receipt (SHA-256 over what it
//     stored) equals the SHA-256 of the ledger's cached payload, byte for byte.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/ledger.h"
#include "policy/testing/policy_text.h"
#include "tests/testing/collections.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using testing::BinaryPath;
using ::testing::HasSubstr;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;
// One LA per scenario, so that each has its own round at the one coordinator.
const std::vector<std::string> kLas = {"E09000033", "E08000025", "E06000047",
                                       "E09000001", "E06000001", "E10000016"};

class NodeCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-crash"));
    const std::string& d = *dir_;
    RunResult r =
        RunCommand({BinaryPath("ringfence"), "synth", "--la", absl::StrJoin(kLas, ","), "--year",
                    absl::StrCat(kYear), "--seed", "11", "--scale", "0.3", "--out", d + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la",
                    absl::StrJoin(kLas, ",")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::RunningCoordinator c =
        testing::StartCoordinator(d, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    coordinator_ = c.process.release();
    address_ = new std::string(c.address);
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(
        testing::CollectionAdminTarget{c.address, d + "/pki"}, kYear, kLas);
    ASSERT_TRUE(opened.ok()) << opened.status();
  }
  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
  }

  static std::string Ledger(const std::string& la) { return *dir_ + "/ledger-" + la + ".sqlite"; }

  // `crash_step` empty: the real ringfence-node; else the harness with that step.
  static RunResult Submit(const std::string& la, const std::string& crash_step) {
    std::vector<std::string> argv;
    if (crash_step.empty()) {
      argv = {BinaryPath("ringfence-node")};
    } else {
      argv = {BinaryPath("ringfence-node-crashtest"), crash_step};
    }
    const std::string& d = *dir_;
    for (const std::string& a :
         {std::string("submit"), std::string("--policy"), policy::testing::ShippedPolicyPath(),
          std::string("--data"), d + "/data/" + la, std::string("--la"), la,
          std::string("--year"), absl::StrCat(kYear), std::string("--ledger"), Ledger(la),
          std::string("--coordinator"), *address_, std::string("--cert"),
          d + "/pki/la/" + la + ".pem", std::string("--key"), d + "/pki/la/" + la + ".key",
          std::string("--ca"), d + "/pki/ca.pem"}) {
      argv.push_back(a);
    }
    return RunCommand(argv);
  }

  // The ledger's rounds for `la` (none when the file or its year is absent).
  static std::optional<node::YearSpend> Spend(const std::string& la) {
    auto ledger = node::Ledger::OpenReadOnly(Ledger(la));
    if (!ledger.ok()) return std::nullopt;
    auto spending = (*ledger)->Spending();
    EXPECT_TRUE(spending.ok()) << spending.status();
    if (!spending.ok()) return std::nullopt;
    for (const node::YearSpend& y : *spending) {
      if (y.la_code == la && y.year == kYear) return y;
    }
    return std::nullopt;
  }

  static std::string CachedPayload(const std::string& la) {
    auto ledger = node::Ledger::OpenReadOnly(Ledger(la));
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    if (!ledger.ok()) return "";
    node::RoundKey key;
    key.la_code = la;
    key.year = kYear;
    key.catalogue_version = 1;
    auto round = (*ledger)->Find(key);
    EXPECT_TRUE(round.ok() && round->has_value());
    return round.ok() && round->has_value() ? (*round)->payload : "";
  }

  // After a successful restart: one round, spent once, acknowledged, and the coordinator's
  // receipt covers exactly the cached bytes.
  static void ExpectRecoveredOnce(const std::string& la, const RunResult& restart) {
    ASSERT_EQ(restart.exit_code, 0) << restart.err;
    std::optional<node::YearSpend> y = Spend(la);
    ASSERT_TRUE(y.has_value());
    EXPECT_EQ(y->round_count, 1);
    EXPECT_EQ(y->sent_count, 1);
    EXPECT_EQ(node::FormatRho(y->spent), "1/2");  // the default rho_per_round, counted once
    ASSERT_EQ(y->rounds.size(), 1u);
    const std::string payload = CachedPayload(la);
    ASSERT_FALSE(payload.empty());
    EXPECT_EQ(y->rounds[0].receipt, crypto::Sha256Hex(payload));
    EXPECT_THAT(restart.out, HasSubstr(y->rounds[0].receipt));
  }

  static std::string* dir_;
  static std::string* address_;
  static testing::BackgroundProcess* coordinator_;
};

std::string* NodeCrashTest::dir_ = nullptr;
std::string* NodeCrashTest::address_ = nullptr;
testing::BackgroundProcess* NodeCrashTest::coordinator_ = nullptr;

TEST_F(NodeCrashTest, KilledAfterComputeSpendsNothingAndRestartRunsTheRoundOnce) {
  const std::string la = kLas[0];
  RunResult crashed = Submit(la, "after_compute");
  EXPECT_EQ(crashed.exit_code, -1) << "not killed: " << crashed.err;
  std::optional<node::YearSpend> y = Spend(la);
  EXPECT_TRUE(!y.has_value() || y->round_count == 0);  // nothing recorded, nothing sent
  RunResult restart = Submit(la, "");
  EXPECT_THAT(restart.out, HasSubstr(": submitted "));
  ExpectRecoveredOnce(la, restart);
}

TEST_F(NodeCrashTest, KilledAfterTheLedgerWriteResendsTheCachedRound) {
  const std::string la = kLas[1];
  RunResult crashed = Submit(la, "after_ledger_write");
  EXPECT_EQ(crashed.exit_code, -1) << "not killed: " << crashed.err;
  std::optional<node::YearSpend> y = Spend(la);
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->round_count, 1);
  EXPECT_EQ(y->sent_count, 0);
  const std::string before = CachedPayload(la);
  RunResult restart = Submit(la, "");
  EXPECT_THAT(restart.out, HasSubstr("resent the recorded"));
  ExpectRecoveredOnce(la, restart);
  EXPECT_EQ(CachedPayload(la), before);
}

TEST_F(NodeCrashTest, KilledDuringTheSendResendsTheCachedRound) {
  const std::string la = kLas[2];
  RunResult crashed = Submit(la, "during_send");
  EXPECT_EQ(crashed.exit_code, -1) << "not killed: " << crashed.err;
  std::optional<node::YearSpend> y = Spend(la);
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->sent_count, 0);
  RunResult restart = Submit(la, "");
  EXPECT_THAT(restart.out, HasSubstr("resent the recorded"));
  ExpectRecoveredOnce(la, restart);
}

TEST_F(NodeCrashTest, KilledAfterTheAcknowledgementResendsIdenticallyAndTheCoordinatorKnowsIt) {
  const std::string la = kLas[3];
  RunResult crashed = Submit(la, "after_send");
  EXPECT_EQ(crashed.exit_code, -1) << "not killed: " << crashed.err;
  std::optional<node::YearSpend> y = Spend(la);
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->sent_count, 0);  // the receipt never reached the ledger
  RunResult restart = Submit(la, "");
  EXPECT_THAT(restart.out, HasSubstr("resent the recorded"));
  EXPECT_THAT(restart.out, HasSubstr("the coordinator already had them"));
  ExpectRecoveredOnce(la, restart);
}

TEST_F(NodeCrashTest, KilledRepeatedlyStillSpendsOnceAndNeverRecomputes) {
  const std::string la = kLas[4];
  for (const char* step : {"after_ledger_write", "during_send", "after_send"}) {
    RunResult crashed = Submit(la, step);
    EXPECT_EQ(crashed.exit_code, -1) << step << ": not killed: " << crashed.err;
    std::optional<node::YearSpend> y = Spend(la);
    ASSERT_TRUE(y.has_value()) << step;
    EXPECT_EQ(y->round_count, 1) << step;
    EXPECT_EQ(node::FormatRho(y->spent), "1/2") << step;
  }
  // A recorded round is never recomputed: the harness that dies after computing never gets
  // there, and completes the round with the cached cells instead.
  RunResult cached = Submit(la, "after_compute");
  EXPECT_THAT(cached.out, HasSubstr("resent the recorded"));
  ExpectRecoveredOnce(la, cached);
  // Once complete, a further run changes nothing.
  RunResult again = Submit(la, "");
  ExpectRecoveredOnce(la, again);
  EXPECT_THAT(again.out, HasSubstr("the coordinator already had them"));
}

TEST_F(NodeCrashTest, TheHarnessWithoutACrashIsTheNormalRound) {
  // Control: the harness itself does not change the round when it does not crash.
  const std::string la = kLas[5];
  RunResult run = Submit(la, "none");
  EXPECT_THAT(run.out, HasSubstr(": submitted "));
  ExpectRecoveredOnce(la, run);
}

}  // namespace
}  // namespace ringfence
