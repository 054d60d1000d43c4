// End-to-end: the real `ringfence-coordinator` binary under the shipped policy, on loopback,
// with a PKI from `ringfence pki init`. What an operator and a load balancer rely on: the
// grpc.health.v1 service on the mTLS port, refusal of oversized requests and of a flood from
// one client identity while others are served, bad limit flags refused at start-up, and a
// SIGTERM that ends the process cleanly (exit 0, within seconds) with the database intact.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/store.h"
#include "coordinator/testing/health_client.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tests/testing/collections.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using testing::BinaryPath;
using ::testing::HasSubstr;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;
using HealthStatus = coordinator::testing::ServingStatus;

constexpr int kYear = 2025;
constexpr char kWestminster[] = "E09000033";
constexpr char kCamden[] = "E09000007";

class CoordinatorLifecycleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-coord-life"));
    RunResult r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", *dir_ + "/pki",
                              "--la", absl::StrCat(kWestminster, ",", kCamden)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    absl::StatusOr<policy::Policy> p = policy::LoadPolicyFile(policy::testing::ShippedPolicyPath());
    ASSERT_TRUE(p.ok()) << p.status();
    policy_ = new policy::Policy(*std::move(p));
  }

  static std::vector<std::string> Command(const std::string& name,
                                          const std::vector<std::string>& extra) {
    const std::string& d = *dir_;
    std::vector<std::string> argv = {BinaryPath("ringfence-coordinator"),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--cert",
                                     d + "/pki/coordinator.pem",
                                     "--key",
                                     d + "/pki/coordinator.key",
                                     "--ca",
                                     d + "/pki/ca.pem",
                                     "--db",
                                     d + "/" + name + ".db",
                                     "--policy",
                                     policy::testing::ShippedPolicyPath(),
                                     "--port-file",
                                     d + "/" + name + ".port"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // Starts a coordinator with its own database and log, named `name`; sets address_.
  std::unique_ptr<testing::BackgroundProcess> Start(const std::string& name,
                                                    const std::vector<std::string>& extra = {}) {
    auto process = std::make_unique<testing::BackgroundProcess>(Command(name, extra),
                                                                *dir_ + "/" + name + ".log");
    const std::string port = testing::WaitForFile(*dir_ + "/" + name + ".port", 30);
    EXPECT_FALSE(port.empty()) << ReadFileOrEmpty(*dir_ + "/" + name + ".log");
    address_ = "127.0.0.1:" + std::string(absl::StripAsciiWhitespace(port));
    return process;
  }

  // The operator opens the year's collection for both LAs on the coordinator at address_.
  void OpenCollection() const {
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(
        testing::CollectionAdminTarget{address_, *dir_ + "/pki"}, kYear, {kWestminster, kCamden});
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  void CloseCollection() const {
    absl::StatusOr<v1::Collection> closed = testing::CloseCollection(
        testing::CollectionAdminTarget{address_, *dir_ + "/pki"}, absl::StrCat(kYear, "-annual"));
    ASSERT_TRUE(closed.ok()) << closed.status();
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& la) const {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = ReadFileOrEmpty(*dir_ + "/pki/ca.pem");
    if (!la.empty()) {
      opts.pem_cert_chain = ReadFileOrEmpty(*dir_ + "/pki/la/" + la + ".pem");
      opts.pem_private_key = ReadFileOrEmpty(*dir_ + "/pki/la/" + la + ".key");
    }
    return grpc::CreateChannel(address_, grpc::SslCredentials(opts));
  }

  // A well-formed protected grid for `la` under the shipped policy, from the node's own code.
  static v1::SubmitRequest Request(const std::string& la) {
    crypto::testing::DeterministicRandomSource rng(11);
    std::vector<int64_t> exact(catalogue::GridCells().size(), 50);
    auto grid = node::ProtectGrid(exact, *policy_, rng);
    EXPECT_TRUE(grid.ok()) << grid.status();
    auto req = node::BuildSubmitRequest(la, kYear, *policy_, *grid);
    EXPECT_TRUE(req.ok()) << req.status();
    return *req;
  }

  static grpc::Status Submit(const std::shared_ptr<grpc::Channel>& channel,
                             const v1::SubmitRequest& req) {
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitResponse resp;
    return stub->Submit(&ctx, req, &resp);
  }

  static grpc::Status Release(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReleaseRequest req;
    req.set_year(kYear);
    v1::ReleaseResponse resp;
    return stub->Release(&ctx, req, &resp);
  }

  static std::string* dir_;
  static policy::Policy* policy_;
  std::string address_;
};

std::string* CoordinatorLifecycleTest::dir_ = nullptr;
policy::Policy* CoordinatorLifecycleTest::policy_ = nullptr;

TEST_F(CoordinatorLifecycleTest, HealthIsServingOverMutualTlsOnly) {
  auto coordinator = Start("health");
  EXPECT_THAT(coordinator::testing::CheckHealth(Channel(kWestminster)),
              ::ringfence::testing::IsOkAndHolds(HealthStatus::kServing));
  // No client certificate: the TLS handshake fails, so even the probe cannot connect.
  absl::StatusOr<HealthStatus> anonymous = coordinator::testing::CheckHealth(Channel(""));
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CoordinatorLifecycleTest, AnOversizedRequestIsRefusedAndTheServerKeepsServing) {
  auto coordinator = Start("oversized");
  OpenCollection();
  v1::SubmitRequest huge = Request(kWestminster);
  huge.set_la_code(std::string(5 * 1024 * 1024, 'x'));
  const grpc::Status refused = Submit(Channel(kWestminster), huge);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_TRUE(Submit(Channel(kWestminster), Request(kWestminster)).ok());
  EXPECT_TRUE(Submit(Channel(kCamden), Request(kCamden)).ok());
  EXPECT_TRUE(coordinator->running());
}

TEST_F(CoordinatorLifecycleTest, AFloodFromOneLaIsRefusedWhileAnotherIsServed) {
  auto coordinator = Start("flood", {"--requests-per-second", "0.01", "--request-burst", "3"});
  auto westminster = Channel(kWestminster);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Release(westminster).error_code(), grpc::StatusCode::NOT_FOUND) << i;
  }
  for (int i = 0; i < 10; ++i) {
    const grpc::Status s = Release(westminster);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << i;
    EXPECT_THAT(s.error_message(),
                HasSubstr("too many requests from urn:ringfence:la:E09000033; retry after"));
  }
  // The operator opens the collection now (no collection yet made the releases above NOT_FOUND);
  // the operator's bucket is not Westminster's.
  OpenCollection();
  const grpc::Status flooded = Submit(westminster, Request(kWestminster));
  EXPECT_EQ(flooded.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Camden has its own bucket; the health service has none.
  EXPECT_TRUE(Submit(Channel(kCamden), Request(kCamden)).ok());
  EXPECT_THAT(coordinator::testing::CheckHealth(westminster),
              ::ringfence::testing::IsOkAndHolds(HealthStatus::kServing));
  EXPECT_EQ(coordinator->Stop(), 0);
  EXPECT_THAT(ReadFileOrEmpty(*dir_ + "/flood.log"), HasSubstr("outcome=RESOURCE_EXHAUSTED"));
  // Only Camden's grid was stored.
  auto store = coordinator::SubmissionStore::Open(*dir_ + "/flood.db");
  ASSERT_TRUE(store.ok()) << store.status();
  auto rows = (*store)->LoadYear(kYear);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].la_code, kCamden);
}

TEST_F(CoordinatorLifecycleTest, BadRateLimitFlagsAreUsageErrors) {
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{"--requests-per-second", "-1"},
                                             {"--requests-per-second", "lots"},
                                             {"--request-burst", "0"}}) {
    RunResult r = RunCommand(Command("badflags", extra), 30);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << " " << extra[1] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(extra[0]));
  }
}

TEST_F(CoordinatorLifecycleTest, SigtermExitsZeroWithinSecondsAndTheDatabaseIsIntact) {
  auto coordinator = Start("sigterm");
  OpenCollection();
  // Clients keep their connections open across the shutdown, as real ones do.
  auto westminster = Channel(kWestminster);
  auto camden = Channel(kCamden);
  ASSERT_TRUE(Submit(westminster, Request(kWestminster)).ok());
  ASSERT_TRUE(Submit(camden, Request(kCamden)).ok());
  EXPECT_THAT(coordinator::testing::CheckHealth(camden),
              ::ringfence::testing::IsOkAndHolds(HealthStatus::kServing));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(coordinator->pid(), SIGTERM), 0);
  while (coordinator->running() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(coordinator->running()) << "still running 5 s after SIGTERM";
  EXPECT_EQ(coordinator->Stop(), 0);
  EXPECT_THAT(ReadFileOrEmpty(*dir_ + "/sigterm.log"),
              HasSubstr("SIGTERM received, shutting down"));
  // Both acknowledged submissions are there, and their receipts check out on load.
  auto store = coordinator::SubmissionStore::Open(*dir_ + "/sigterm.db");
  ASSERT_TRUE(store.ok()) << store.status();
  auto rows = (*store)->LoadYear(kYear);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->size(), 2u);
  // And a coordinator restarted on it knows the collection (the operator closes it) and serves
  // a release from them.
  store->reset();
  ::unlink((*dir_ + "/sigterm.port").c_str());
  auto again = Start("sigterm");
  CloseCollection();
  const grpc::Status released = Release(Channel(kWestminster));
  EXPECT_TRUE(released.ok()) << released.error_message();
  EXPECT_EQ(again->Stop(), 0);
}

}  // namespace
}  // namespace ringfence
