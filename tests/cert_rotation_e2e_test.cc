// Certificate lifecycle, end to end, with the real binaries and `ringfence pki`:
//   - an LA's certificate is replaced (`pki issue --la`: new key, same LA identity) and the old
//     one revoked (`pki revoke`, picked up by a coordinator running with --crl without a
//     restart): the old certificate is then refused UNAUTHENTICATED, and the node carries on
//     with the new one and its own ledger: the resend of its recorded round is answered
//     already_stored with the receipt it was first given, and the ledger is unchanged;
//   - the coordinator's server certificate is renewed (`pki issue --coordinator`, installed
//     over the old files) and the coordinator restarted on the same database: nodes that trust
//     the same CA carry on, and what was stored is still there.
// These are the procedures written up in docs/operations.md ("Certificate lifecycle").
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
using ::testing::Not;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;
constexpr char kRotated[] = "E09000033";  // the LA whose certificate is replaced
constexpr char kOther[] = "E08000025";    // an LA that submits only after the server renewal
constexpr char kOperator[] = "ops";

class CertRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("ringfence-cert-rotation");
    pki_ = dir_ + "/pki";
    const std::string las = absl::StrCat(kRotated, ",", kOther);
    RunResult r =
        RunCommand({BinaryPath("ringfence"), "synth", "--la", las, "--year", absl::StrCat(kYear),
                    "--seed", "17", "--scale", "0.3", "--out", dir_ + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", pki_, "--la", las,
                    "--operators", kOperator});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A coordinator enforces revocation only when started with --crl, which must then name a
    // CRL that verifies: publish the first one by revoking a certificate never handed out.
    r = RunCommand({BinaryPath("ringfence"), "pki", "issue", "--ca-dir", pki_, "--out-prefix",
                    dir_ + "/unused", "--operator", "unused"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "revoke", "--ca-dir", pki_, "--cert",
                    dir_ + "/unused.pem"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    StartCoordinator();
    if (HasFatalFailure()) return;
    absl::StatusOr<v1::Collection> opened =
        testing::OpenAnnualCollection(Operator(), kYear, {kRotated, kOther});
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  void StartCoordinator() {
    std::remove((dir_ + "/port").c_str());  // StartCoordinator waits for a fresh one
    testing::RunningCoordinator c = testing::StartCoordinator(
        dir_, policy::testing::ShippedPolicyPath(), {"--crl", pki_ + "/crl.pem"});
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(dir_ + "/coordinator.log");
    coordinator_ = std::move(c.process);
    address_ = c.address;
  }

  testing::CollectionAdminTarget Operator() const { return {address_, pki_, kOperator}; }

  // ringfence-node submit for `la` with the certificate PREFIX.pem / PREFIX.key.
  RunResult Submit(const std::string& la, const std::string& cert_prefix) {
    return RunCommand({BinaryPath("ringfence-node"),
                       "submit",
                       "--policy",
                       policy::testing::ShippedPolicyPath(),
                       "--data",
                       dir_ + "/data/" + la,
                       "--la",
                       la,
                       "--year",
                       absl::StrCat(kYear),
                       "--ledger",
                       Ledger(la),
                       "--coordinator",
                       address_,
                       "--cert",
                       cert_prefix + ".pem",
                       "--key",
                       cert_prefix + ".key",
                       "--ca",
                       pki_ + "/ca.pem"});
  }

  std::string Ledger(const std::string& la) const { return dir_ + "/ledger-" + la + ".sqlite"; }

  // Everything the ledger says about `la`'s year, as text, for before/after comparisons.
  std::string LedgerState(const std::string& la) {
    auto ledger = node::Ledger::OpenReadOnly(Ledger(la));
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    if (!ledger.ok()) return "";
    auto spending = (*ledger)->Spending();
    EXPECT_TRUE(spending.ok()) << spending.status();
    if (!spending.ok()) return "";
    std::string out;
    for (const node::YearSpend& y : *spending) {
      absl::StrAppend(&out, y.la_code, " ", y.year, " spent ", node::FormatRho(y.spent), " rounds ",
                      y.round_count, " sent ", y.sent_count, "\n");
      for (const node::RoundSpend& r : y.rounds) {
        absl::StrAppend(&out, "  ", r.period, " ", node::FormatRho(r.rho), " ", r.payload_size, " ",
                        absl::FormatTime(r.recorded_at), " ",
                        r.sent_at ? absl::FormatTime(*r.sent_at) : "-", " ", r.receipt, "\n");
      }
    }
    return out;
  }

  std::string Receipt(const std::string& la) {
    auto ledger = node::Ledger::OpenReadOnly(Ledger(la));
    if (!ledger.ok()) return "";
    auto spending = (*ledger)->Spending();
    if (!spending.ok() || spending->size() != 1 || (*spending)[0].rounds.size() != 1) return "";
    return (*spending)[0].rounds[0].receipt;
  }

  // The coordinator's view of `la` in the collection.
  std::optional<v1::LaCollectionStatus> Status(const std::string& la) {
    absl::StatusOr<v1::CollectionStatus> s =
        testing::GetCollectionStatus(Operator(), absl::StrCat(kYear, "-annual"));
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return std::nullopt;
    for (const v1::LaCollectionStatus& l : s->las()) {
      if (l.la_code() == la) return l;
    }
    return std::nullopt;
  }

  std::string dir_, pki_, address_;
  std::unique_ptr<testing::BackgroundProcess> coordinator_;
};

TEST_F(CertRotationTest, AnLasNewCertificateCarriesItsStateAndTheRevokedOneIsRefused) {
  const std::string old_cert = pki_ + "/la/" + kRotated;
  RunResult first = Submit(kRotated, old_cert);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr(": submitted "));
  const std::string receipt = Receipt(kRotated);
  ASSERT_FALSE(receipt.empty());
  const std::string state = LedgerState(kRotated);

  // 1. A new certificate for the same LA, with a new key.
  const std::string new_cert = pki_ + "/la/" + kRotated + "-2";
  RunResult issued = RunCommand({BinaryPath("ringfence"), "pki", "issue", "--ca-dir", pki_,
                                 "--out-prefix", new_cert, "--la", kRotated});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  EXPECT_NE(ReadFileOrEmpty(new_cert + ".key"), ReadFileOrEmpty(old_cert + ".key"));
  RunResult shown = RunCommand({BinaryPath("ringfence"), "pki", "show", new_cert + ".pem"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr(absl::StrCat("LA ", kRotated)));

  // 2. The old one revoked; the running coordinator reloads the CRL within seconds.
  RunResult revoked = RunCommand(
      {BinaryPath("ringfence"), "pki", "revoke", "--ca-dir", pki_, "--cert", old_cert + ".pem"});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  RunResult refused;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  do {
    refused = Submit(kRotated, old_cert);
    if (refused.exit_code != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  } while (absl::Now() < give_up);
  EXPECT_EQ(refused.exit_code, 1) << "the revoked certificate is still accepted";
  EXPECT_THAT(refused.err, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(refused.err, Not(HasSubstr("already had them")));
  EXPECT_EQ(LedgerState(kRotated), state);

  // 3. The node carries on with the new certificate: same round, same cells, same receipt.
  RunResult resent = Submit(kRotated, new_cert);
  ASSERT_EQ(resent.exit_code, 0) << resent.err;
  EXPECT_THAT(resent.out, HasSubstr("resent the recorded"));
  EXPECT_THAT(resent.out, HasSubstr("the coordinator already had them"));
  EXPECT_THAT(resent.out, HasSubstr(receipt));
  EXPECT_EQ(LedgerState(kRotated), state);
  std::optional<v1::LaCollectionStatus> s = Status(kRotated);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state(), v1::LaCollectionStatus::SUBMITTED);
  EXPECT_EQ(s->receipt(), receipt);

  // The refusal is by certificate, not by identity: the old key stays refused.
  RunResult still = Submit(kRotated, old_cert);
  EXPECT_THAT(still.err, HasSubstr("UNAUTHENTICATED"));
}

TEST_F(CertRotationTest, TheCoordinatorsRenewedServerCertificateKeepsNodesWorking) {
  RunResult first = Submit(kRotated, pki_ + "/la/" + kRotated);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string receipt = Receipt(kRotated);
  ASSERT_FALSE(receipt.empty());
  const std::string old_server_cert = ReadFileOrEmpty(pki_ + "/coordinator.pem");

  // Renew in place (new key), then restart on the same database.
  RunResult renewed =
      RunCommand({BinaryPath("ringfence"), "pki", "issue", "--ca-dir", pki_, "--out-prefix",
                  pki_ + "/coordinator", "--coordinator", "--coordinator-dns", "localhost",
                  "--coordinator-ip", "127.0.0.1", "--force"});
  ASSERT_EQ(renewed.exit_code, 0) << renewed.err;
  ASSERT_NE(ReadFileOrEmpty(pki_ + "/coordinator.pem"), old_server_cert);
  ASSERT_EQ(coordinator_->Stop(), 0) << ReadFileOrEmpty(dir_ + "/coordinator.log");
  StartCoordinator();

  // A node that already submitted: its resend is recognised, with the first receipt.
  RunResult resent = Submit(kRotated, pki_ + "/la/" + kRotated);
  ASSERT_EQ(resent.exit_code, 0) << resent.err;
  EXPECT_THAT(resent.out, HasSubstr("the coordinator already had them"));
  EXPECT_THAT(resent.out, HasSubstr(receipt));
  // A node that had not: submits for the first time.
  RunResult other = Submit(kOther, pki_ + "/la/" + kOther);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_THAT(other.out, HasSubstr(": submitted "));
  std::optional<v1::LaCollectionStatus> s = Status(kOther);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state(), v1::LaCollectionStatus::SUBMITTED);
  EXPECT_EQ(s->receipt(), Receipt(kOther));
}

}  // namespace
}  // namespace ringfence
