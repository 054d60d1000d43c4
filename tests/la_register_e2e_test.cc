// End-to-end: `ringfence-coordinator --la-register FILE` on loopback. The register replaces the
// built-in LA list: a certificate for an LA on it (a synthetic code the built-in list does not
// have) can take part in a whole collection round, one for an LA left off it is refused, and
// the release's regions come from the register. A malformed register stops the coordinator
// before it listens, naming the file, line and field.
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/csv.h"
#include "catalogue/catalogue.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/identity.h"
#include "crypto/testing/deterministic_random_source.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kYear = 2025;
constexpr char kSynthetic[] = "E59000001";    // on the register only
constexpr char kCumberland[] = "E06000063";   // on both
constexpr char kWestminster[] = "E09000033";  // built in, left off the register
constexpr char kRegisterHeader[] = "new_la_code,old_la_code,la_name,region_code,region_name\n";

class LaRegisterE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("ringfence-la-register");
    ASSERT_EQ(mkdir((dir_ + "/pki").c_str(), 0700), 0);
    absl::StatusOr<coordinator::testing::TestPki> pki = coordinator::testing::TestPki::Create();
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = std::make_unique<coordinator::testing::TestPki>(*std::move(pki));
    ASSERT_TRUE(base::WriteFileAtomically(dir_ + "/pki/ca.pem", pki_->ca().cert_pem).ok());
    ASSERT_TRUE(
        base::WriteFileAtomically(dir_ + "/pki/coordinator.pem", pki_->server().cert_pem).ok());
    ASSERT_TRUE(
        base::WriteFileAtomically(dir_ + "/pki/coordinator.key", pki_->server().key_pem, 0600)
            .ok());
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& address, const std::string& uri) {
    absl::StatusOr<crypto::TlsMaterial> m = pki_->Client(uri);
    EXPECT_TRUE(m.ok()) << m.status();
    return grpc::CreateChannel(address, crypto::MakeChannelCredentials(*m));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  std::string dir_;
  std::unique_ptr<coordinator::testing::TestPki> pki_;
};

TEST_F(LaRegisterE2eTest, ARoundRunsOverTheRegistersLasAndOnlyThose) {
  const std::string reg = dir_ + "/register.csv";
  ASSERT_TRUE(
      base::WriteFileAtomically(
          reg, absl::StrCat(kRegisterHeader, kSynthetic, ",901,Synthetic LA,E12000007,London\n",
                            kCumberland, ",942,Cumberland,E12000002,North West\n"))
          .ok());
  testing::RunningCoordinator c =
      testing::StartCoordinator(dir_, policy::testing::ShippedPolicyPath(), {"--la-register", reg});
  ASSERT_FALSE(c.address.empty()) << testing::ReadFileOrEmpty(dir_ + "/coordinator.log");
  EXPECT_THAT(testing::ReadFileOrEmpty(dir_ + "/coordinator.log"),
              HasSubstr(absl::StrCat("LA register ", reg, ": 2 LAs")));

  auto admin = v1::CollectionAdmin::NewStub(Channel(c.address, crypto::OperatorUri("ops")));
  v1::OpenCollectionRequest open;
  open.set_year(kYear);
  open.set_period(v1::ANNUAL);
  open.set_deadline_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  open.add_expected_la_codes(kWestminster);  // not on the register
  v1::Collection collection;
  grpc::Status s = admin->OpenCollection(Context().get(), open, &collection);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  open.clear_expected_la_codes();
  open.add_expected_la_codes(kCumberland);
  open.add_expected_la_codes(kSynthetic);
  s = admin->OpenCollection(Context().get(), open, &collection);
  ASSERT_TRUE(s.ok()) << s.error_message();

  absl::StatusOr<policy::Policy> policy =
      policy::LoadPolicyFile(policy::testing::ShippedPolicyPath());
  ASSERT_TRUE(policy.ok()) << policy.status();
  crypto::testing::DeterministicRandomSource rng(7);
  absl::StatusOr<node::ProtectedGrid> grid =
      node::ProtectGrid(std::vector<int64_t>(catalogue::GridCells().size(), 40), *policy, rng);
  ASSERT_TRUE(grid.ok()) << grid.status();
  for (const char* la : {kSynthetic, kWestminster}) {
    absl::StatusOr<v1::SubmitRequest> req = node::BuildSubmitRequest(la, kYear, *policy, *grid);
    ASSERT_TRUE(req.ok()) << req.status();
    req->set_collection_id(collection.collection_id());
    v1::SubmitResponse resp;
    s = v1::Coordinator::NewStub(Channel(c.address, crypto::LaUri(la)))
            ->Submit(Context().get(), *req, &resp);
    if (la == std::string(kSynthetic)) {
      EXPECT_TRUE(s.ok()) << s.error_message();
    } else {
      // The built-in list has Westminster; this coordinator's register does not.
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    }
  }

  v1::CloseCollectionRequest close;
  close.set_collection_id(collection.collection_id());
  s = admin->CloseCollection(Context().get(), close, &collection);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::ReleaseRequest release;
  release.set_year(kYear);
  release.set_collection_id(collection.collection_id());
  release.add_levels(v1::REGIONAL);
  v1::ReleaseResponse table;
  s = v1::Coordinator::NewStub(Channel(c.address, crypto::RecipientUri("dfe_analyst", "analyst1")))
          ->Release(Context().get(), release, &table);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(table.la_codes(), ElementsAre(kSynthetic));
  ASSERT_GT(table.cells_size(), 0);
  for (const v1::ReleasedCell& cell : table.cells()) {
    // Only the register's London has a submission; the LA is summed into it.
    ASSERT_EQ(cell.region_code(), "E12000007");
    ASSERT_EQ(cell.contributing_las(), 1);
  }
  EXPECT_EQ(c.process->Stop(), 0);
}

TEST_F(LaRegisterE2eTest, AMalformedRegisterStopsTheCoordinatorNamingFileLineAndField) {
  const std::string reg = dir_ + "/register.csv";
  ASSERT_TRUE(
      base::WriteFileAtomically(
          reg, absl::StrCat(kRegisterHeader, kSynthetic, ",901,Synthetic LA,E12000007,London\n",
                            kCumberland, ",901,Cumberland,E12000002,North West\n"))
          .ok());
  testing::RunResult r = testing::RunCommand(
      {testing::BinaryPath("ringfence-coordinator"), "--listen", "127.0.0.1:0", "--cert",
       dir_ + "/pki/coordinator.pem", "--key", dir_ + "/pki/coordinator.key", "--ca",
       dir_ + "/pki/ca.pem", "--db", dir_ + "/coordinator.db", "--policy",
       policy::testing::ShippedPolicyPath(), "--la-register", reg},
      30);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("ringfence-coordinator: --la-register: ", reg,
                                            ":3: old_la_code: 901 is already on line 2")));
  struct stat st;
  EXPECT_NE(stat((dir_ + "/coordinator.db").c_str(), &st), 0) << "nothing may be created";

  testing::RunResult missing = testing::RunCommand(
      {testing::BinaryPath("ringfence-coordinator"), "--listen", "127.0.0.1:0", "--cert",
       dir_ + "/pki/coordinator.pem", "--key", dir_ + "/pki/coordinator.key", "--ca",
       dir_ + "/pki/ca.pem", "--db", dir_ + "/coordinator.db", "--policy",
       policy::testing::ShippedPolicyPath(), "--la-register", dir_ + "/absent.csv"},
      30);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr(dir_ + "/absent.csv"));
}

TEST_F(LaRegisterE2eTest, TheToolTakesTheRegisterBeforeTheCommand) {
  const std::string reg = dir_ + "/register.csv";
  ASSERT_TRUE(base::WriteFileAtomically(reg, absl::StrCat(kRegisterHeader, kSynthetic,
                                                          ",901,Synthetic LA,E12000007,London\n"))
                  .ok());
  // Without the register the synthetic LA is unknown; with it, it gets a certificate.
  testing::RunResult without = testing::RunCommand({testing::BinaryPath("ringfence"), "pki", "init",
                                                    "--out", dir_ + "/pki-a", "--la", kSynthetic});
  EXPECT_NE(without.exit_code, 0);
  EXPECT_THAT(without.err, HasSubstr(kSynthetic));
  testing::RunResult with =
      testing::RunCommand({testing::BinaryPath("ringfence"), "--la-register", reg, "pki", "init",
                           "--out", dir_ + "/pki-b", "--la", kSynthetic});
  EXPECT_EQ(with.exit_code, 0) << with.err;
  EXPECT_FALSE(testing::ReadFileOrEmpty(dir_ + "/pki-b/la/" + kSynthetic + ".pem").empty());

  testing::RunResult bad =
      testing::RunCommand({testing::BinaryPath("ringfence"), "--la-register", dir_ + "/absent.csv",
                           "pki", "init", "--out", dir_ + "/pki-c", "--la", kSynthetic});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("ringfence: --la-register: "));
}

TEST_F(LaRegisterE2eTest, TheNodeTakesTheRegisterBeforeTheCommand) {
  const std::string reg = dir_ + "/register.csv";
  ASSERT_TRUE(base::WriteFileAtomically(reg, absl::StrCat(kRegisterHeader, kSynthetic,
                                                          ",901,Synthetic LA,E12000007,London\n"))
                  .ok());
  const std::string node = testing::BinaryPath("ringfence-node");
  const std::string empty = dir_ + "/no-data";
  ASSERT_EQ(mkdir(empty.c_str(), 0700), 0);
  // Without the register the synthetic LA is refused as unknown before any data is read.
  testing::RunResult without = testing::RunCommand(
      {node, "validate", "--data", empty, "--la", kSynthetic, "--year", "2025"});
  EXPECT_EQ(without.exit_code, 2);
  EXPECT_THAT(without.err, HasSubstr("is not a known LA code"));
  // With it, the LA is known: the run gets as far as the (empty) data folder.
  testing::RunResult with = testing::RunCommand(
      {node, "--la-register", reg, "validate", "--data", empty, "--la", kSynthetic, "--year",
       "2025"});
  EXPECT_THAT(with.err, Not(HasSubstr("is not a known LA code")));
  EXPECT_THAT(with.err, HasSubstr(empty));
  // A malformed register stops the node naming the file, line and field.
  const std::string bad = dir_ + "/bad.csv";
  ASSERT_TRUE(base::WriteFileAtomically(
                  bad, absl::StrCat(kRegisterHeader, "E59000001,901,Synthetic LA,,London\n"))
                  .ok());
  testing::RunResult broken = testing::RunCommand(
      {node, "--la-register", bad, "validate", "--data", empty, "--la", kSynthetic, "--year",
       "2025"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.err, HasSubstr("ringfence-node: --la-register: "));
  EXPECT_THAT(broken.err, HasSubstr(bad + ":2"));
}

}  // namespace
}  // namespace ringfence
