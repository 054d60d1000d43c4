// End to end: `ringfence-node serve` against the real coordinator. A collection open for three
// LAs and three serve processes, one per LA, with their own configs, ledgers and certificates:
//   - all three submit (the operator's status view says so), and stop cleanly on SIGTERM;
//   - restarted nodes see their rounds in the ledger and spend nothing again;
//   - a node started before its collection is opened picks it up at its next poll;
//   - a node whose coordinator is down at first keeps retrying and submits once it is up.
// Only synthetic data (ringfence synth); the PKI is `ringfence pki init`'s.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/ledger.h"
#include "policy/testing/policy_text.h"
#include "proto/coordinator_service.pb.h"
#include "tests/testing/collections.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using testing::BackgroundProcess;
using testing::BinaryPath;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

const std::vector<std::string> kLas = {"E09000033", "E08000025", "E06000047"};
// An LA outside the 2025 collection, for the node started before its collection opens.
const char kEarlyLa[] = "E06000001";

class NodeServeE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-serve"));
    const std::string& d = *dir_;
    // The data of 2025 and 2026 (the same synthetic LAs, each year its own folder), so that
    // data_dir's "{year}" is exercised.
    for (int year : {2025, 2026}) {
      RunResult r = RunCommand({BinaryPath("ringfence"), "synth", "--la",
                                absl::StrCat(absl::StrJoin(kLas, ","), ",", kEarlyLa), "--year",
                                absl::StrCat(year), "--seed", "5", "--scale", "0.2", "--out",
                                absl::StrCat(d, "/data/", year)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    RunResult r =
        RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la",
                    absl::StrCat(absl::StrJoin(kLas, ","), ",", kEarlyLa), "--operators", "ops1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::RunningCoordinator c =
        testing::StartCoordinator(d, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    coordinator_ = c.process.release();
    address_ = new std::string(c.address);
  }
  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
  }

  // The coordinator at `address` as its operator ops1 sees it.
  static testing::CollectionAdminTarget Operator(const std::string& address) {
    return testing::CollectionAdminTarget{address, *dir_ + "/pki"};
  }

  // Opens the annual collection of `year` for `las` on the coordinator at `address`.
  static ::testing::AssertionResult Open(const std::string& address, int year,
                                         const std::vector<std::string>& las) {
    absl::StatusOr<v1::Collection> collection =
        testing::OpenAnnualCollection(Operator(address), year, las, absl::Hours(24 * 400));
    if (!collection.ok()) {
      return ::testing::AssertionFailure() << "OpenCollection: " << collection.status();
    }
    if (collection->collection_id() != absl::StrCat(year, "-annual")) {
      return ::testing::AssertionFailure() << "opened " << collection->collection_id();
    }
    return ::testing::AssertionSuccess();
  }

  static std::optional<v1::CollectionStatus> Status(const std::string& address,
                                                    const std::string& id) {
    absl::StatusOr<v1::CollectionStatus> status =
        testing::GetCollectionStatus(Operator(address), id);
    if (!status.ok()) return std::nullopt;
    return *std::move(status);
  }

  // Waits up to `seconds` for `submitted` LAs of collection `id` to be SUBMITTED.
  static bool WaitSubmitted(const std::string& address, const std::string& id, int submitted,
                            int seconds) {
    for (int i = 0; i < seconds * 4; ++i) {
      std::optional<v1::CollectionStatus> s = Status(address, id);
      if (s.has_value() && s->submitted() >= submitted) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  static bool WaitForLog(const std::string& path, const std::string& text, int seconds) {
    for (int i = 0; i < seconds * 4; ++i) {
      if (ReadFileOrEmpty(path).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

  // Writes the config of `la` (ledger `ledger_name`) for the coordinator at `address`.
  static std::string Config(const std::string& la, const std::string& address,
                            const std::string& ledger_name) {
    const std::string& d = *dir_;
    // data_dir with "{year}": DIR/years/<la>/<year> -> DIR/data/<year>/<la>.
    for (int year : {2025, 2026}) {
      const std::string parent = absl::StrCat(d, "/years/", la);
      mkdir((d + "/years").c_str(), 0700);
      mkdir(parent.c_str(), 0700);
      symlink(absl::StrCat(d, "/data/", year, "/", la).c_str(),
              absl::StrCat(parent, "/", year).c_str());
    }
    const std::string path = absl::StrCat(d, "/", ledger_name, ".textproto");
    std::ofstream out(path);
    out << "la_code: \"" << la << "\"\n"
        << "coordinator: \"" << address << "\"\n"
        << "ca_file: \"" << d << "/pki/ca.pem\"\n"
        << "cert_file: \"" << d << "/pki/la/" << la << ".pem\"\n"
        << "key_file: \"" << d << "/pki/la/" << la << ".key\"\n"
        << "data_dir: \"" << d << "/years/" << la << "/{year}\"\n"
        << "policy_file: \"" << policy::testing::ShippedPolicyPath() << "\"\n"
        << "ledger_file: \"" << d << "/" << ledger_name << ".sqlite\"\n"
        << "poll_interval_seconds: 1\n"
        << "backoff_initial_seconds: 1\n"
        << "backoff_max_seconds: 2\n"
        << "rpc_timeout_seconds: 5\n";
    return path;
  }

  static std::unique_ptr<BackgroundProcess> Serve(const std::string& config,
                                                  const std::string& log) {
    return std::make_unique<BackgroundProcess>(
        std::vector<std::string>{BinaryPath("ringfence-node"), "serve", "--config", config}, log);
  }

  static std::optional<node::YearSpend> Spend(const std::string& ledger_name, const std::string& la,
                                              int year) {
    auto ledger = node::Ledger::OpenReadOnly(*dir_ + "/" + ledger_name + ".sqlite");
    if (!ledger.ok()) return std::nullopt;
    auto spending = (*ledger)->Spending();
    if (!spending.ok()) return std::nullopt;
    for (const node::YearSpend& y : *spending) {
      if (y.la_code == la && y.year == year) return y;
    }
    return std::nullopt;
  }

  static std::string* dir_;
  static std::string* address_;
  static BackgroundProcess* coordinator_;
};

std::string* NodeServeE2eTest::dir_ = nullptr;
std::string* NodeServeE2eTest::address_ = nullptr;
BackgroundProcess* NodeServeE2eTest::coordinator_ = nullptr;

TEST_F(NodeServeE2eTest, ThreeNodesSubmitAndRestartedNodesDoNotSpendAgain) {
  ASSERT_TRUE(Open(*address_, 2025, kLas));
  std::vector<std::unique_ptr<BackgroundProcess>> nodes;
  std::vector<std::string> configs;
  for (const std::string& la : kLas) {
    configs.push_back(Config(la, *address_, "ledger-" + la));
    nodes.push_back(Serve(configs.back(), *dir_ + "/serve-" + la + ".log"));
  }
  ASSERT_TRUE(WaitSubmitted(*address_, "2025-annual", 3, 90))
      << ReadFileOrEmpty(*dir_ + "/serve-" + kLas[0] + ".log");
  std::optional<v1::CollectionStatus> status = Status(*address_, "2025-annual");
  ASSERT_TRUE(status.has_value());
  for (const v1::LaCollectionStatus& la : status->las()) {
    EXPECT_EQ(la.state(), v1::LaCollectionStatus::SUBMITTED) << la.la_code();
    EXPECT_EQ(la.node_state(), v1::SUBMITTED) << la.la_code();
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    EXPECT_EQ(nodes[i]->Stop(), 0) << kLas[i];  // SIGTERM: clean exit
    const std::string log = ReadFileOrEmpty(*dir_ + "/serve-" + kLas[i] + ".log");
    EXPECT_THAT(log, HasSubstr("event=submitted collection=2025-annual state=SUBMITTED"));
    EXPECT_THAT(log, HasSubstr("event=stopped"));
  }

  // Restarted (once): every round is in the ledger with its receipt; nothing is spent again.
  for (size_t i = 0; i < kLas.size(); ++i) {
    RunResult again =
        RunCommand({BinaryPath("ringfence-node"), "serve", "--config", configs[i], "--once"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_THAT(again.err, HasSubstr("event=already_submitted collection=2025-annual"));
    EXPECT_THAT(again.err, Not(HasSubstr("event=round_start")));
    std::optional<node::YearSpend> y = Spend("ledger-" + kLas[i], kLas[i], 2025);
    ASSERT_TRUE(y.has_value());
    EXPECT_EQ(y->round_count, 1);
    EXPECT_EQ(y->sent_count, 1);
    EXPECT_EQ(node::FormatRho(y->spent), "1/2");
  }
}

TEST_F(NodeServeE2eTest, NodeStartedBeforeTheCollectionOpensPicksItUpAtItsNextPoll) {
  const std::string la = kEarlyLa;  // expected by no open collection yet
  const std::string log = *dir_ + "/early-" + la + ".log";
  auto node = Serve(Config(la, *address_, "early-" + la), log);
  ASSERT_TRUE(WaitForLog(log, "event=idle listed=0", 30)) << ReadFileOrEmpty(log);
  ASSERT_TRUE(Open(*address_, 2026, {la}));
  ASSERT_TRUE(WaitSubmitted(*address_, "2026-annual", 1, 60)) << ReadFileOrEmpty(log);
  EXPECT_EQ(node->Stop(), 0);
  const std::string text = ReadFileOrEmpty(log);
  EXPECT_THAT(text, HasSubstr("event=submitted collection=2026-annual"));
  EXPECT_THAT(text, Not(HasSubstr("round_failed")));
}

TEST_F(NodeServeE2eTest, NodeKeepsRetryingWhileTheCoordinatorIsDownAndSubmitsOnceItIsUp) {
  // A second coordinator: open a collection on it, note its port, and stop it.
  const std::string d2 = testing::MakeTempDir("ringfence-serve-down");
  ASSERT_EQ(symlink((*dir_ + "/pki").c_str(), (d2 + "/pki").c_str()), 0);
  std::string address;
  {
    testing::RunningCoordinator c =
        testing::StartCoordinator(d2, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d2 + "/coordinator.log");
    address = c.address;
    ASSERT_TRUE(Open(address, 2025, {kLas[2]}));
    EXPECT_EQ(c.process->Stop(), 0);
  }
  const std::string la = kLas[2];
  const std::string log = *dir_ + "/down-" + la + ".log";
  auto node = Serve(Config(la, address, "down-" + la), log);
  ASSERT_TRUE(WaitForLog(log, "event=backoff failures=3", 60)) << ReadFileOrEmpty(log);
  EXPECT_THAT(ReadFileOrEmpty(log), HasSubstr("event=list_failed code=UNAVAILABLE"));

  // The same coordinator (database, port) comes back.
  BackgroundProcess again({BinaryPath("ringfence-coordinator"), "--listen", address, "--cert",
                           d2 + "/pki/coordinator.pem", "--key", d2 + "/pki/coordinator.key",
                           "--ca", d2 + "/pki/ca.pem", "--db", d2 + "/coordinator.db", "--policy",
                           policy::testing::ShippedPolicyPath()},
                          d2 + "/coordinator-again.log");
  ASSERT_TRUE(WaitSubmitted(address, "2025-annual", 1, 60))
      << ReadFileOrEmpty(log) << ReadFileOrEmpty(d2 + "/coordinator-again.log");
  EXPECT_EQ(node->Stop(), 0);
  std::optional<node::YearSpend> y = Spend("down-" + la, la, 2025);
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(y->round_count, 1);
  EXPECT_EQ(y->sent_count, 1);
}

TEST_F(NodeServeE2eTest, RefusesAConfigWithAnUnknownFieldOrAnotherLasCertificate) {
  const std::string config = Config(kLas[0], *address_, "bad-" + kLas[0]);
  {
    std::ofstream out(config, std::ios::app);
    out << "poll_every: 5\n";
  }
  RunResult r = RunCommand({BinaryPath("ringfence-node"), "serve", "--config", config, "--once"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(config + ":13:1"));
  EXPECT_THAT(r.err, HasSubstr("poll_every"));

  // la_code of one LA with the certificate of another: refused before any call.
  std::string text = ReadFileOrEmpty(Config(kLas[0], *address_, "swap-" + kLas[0]));
  const std::string swapped = *dir_ + "/swap.textproto";
  {
    std::ofstream out(swapped);
    out << "la_code: \"" << kLas[1] << "\"\n" << text.substr(text.find('\n') + 1);
  }
  r = RunCommand({BinaryPath("ringfence-node"), "serve", "--config", swapped, "--once"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not LA " + kLas[1]));
}

}  // namespace
}  // namespace ringfence
