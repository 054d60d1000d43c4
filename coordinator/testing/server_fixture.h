// Test fixture shared by the coordinator's service tests (service_test.cc,
// admin_service_test.cc, ...): a real gRPC server on 127.0.0.1, port 0, serving the
// Coordinator and CollectionAdmin services over mutual TLS from an in-process test PKI, over
// a fresh SQLite store in a per-process temporary folder, with the "2025-annual" collection
// open and expecting Gateshead, Camden and Westminster. The services log into a vector
// (Log()) and run on a fake clock (Now(), Advance()); StartServer restarts them with a rate
// limiter. Clients are real stubs with their own certificates (StubFor, AdminStubFor).
//
// Test-only (declared only when tests are built). Not thread-safe beyond what the tests
// need: the log and the clock are guarded, the rest is used from the test's thread.
#ifndef RINGFENCE_COORDINATOR_TESTING_SERVER_FIXTURE_H_
#define RINGFENCE_COORDINATOR_TESTING_SERVER_FIXTURE_H_

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/grpc_status.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/admin_service.h"
#include "coordinator/collections.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "coordinator/rate_limiter.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "coordinator/testing/submissions.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/identity.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "policy/policy.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::coordinator::testing {

namespace v1 = ::ringfence::v1;

inline constexpr int kYear = 2025;
inline constexpr char kAnnual[] = "2025-annual";
inline constexpr absl::Duration kDeadlineAfter = absl::Hours(24 * 30);
inline constexpr char kGateshead[] = "E08000037";    // North East
inline constexpr char kCamden[] = "E09000007";       // London
inline constexpr char kWestminster[] = "E09000033";  // London

// Noisy values that appear nowhere else (not in codes, ports or years), so the
// log can be searched for them. None is a multiple of 5, so LA rows must differ
// from them.
inline std::vector<int64_t> Distinctive(int64_t base) {
  std::vector<int64_t> v;
  for (size_t i = 0; i < catalogue::GridCells().size(); ++i) {
    v.push_back(base + 10 * static_cast<int64_t>(i));
  }
  return v;
}

// The shipped policy: it sends every cell of the grid, both rules {10, 5}.
inline const policy::Policy& Shipped() {
  static const policy::Policy* const kPolicy = [] {
    absl::StatusOr<policy::Policy> p = ShippedPolicy();
    if (!p.ok()) ADD_FAILURE() << p.status();
    return new policy::Policy(p.ok() ? *std::move(p) : policy::Policy());
  }();
  return *kPolicy;
}

// A valid request under `policy` (the shipped one by default), with the policy's noise.
inline v1::SubmitRequest MakeRequest(const std::string& la, const std::vector<int64_t>& noisy,
                                     const policy::Policy& policy = Shipped()) {
  return SubmissionToProto(MakeSubmission(policy, la, kYear, noisy));
}

class CoordinatorServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TestPki> pki = TestPki::Create();
    ASSERT_THAT(pki, ::ringfence::testing::IsOk());
    pki_ = new TestPki(*std::move(pki));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(pki_, nullptr);
    std::string tmpl =
        ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_service_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    absl::StatusOr<std::unique_ptr<SubmissionStore>> store =
        SubmissionStore::Open(dir_ + "/coordinator.db");
    ASSERT_THAT(store, ::ringfence::testing::IsOk());
    store_ = *std::move(store);
    // The year's annual collection, expecting the three LAs the tests use.
    ASSERT_THAT(OpenCollection(kAnnual, {kCamden, kGateshead, kWestminster}),
                ::ringfence::testing::IsOk());
    StartServer(nullptr);
  }

  // Opens `id` directly in the store, deadline kDeadlineAfter from the service's clock.
  absl::StatusOr<CollectionRecord> OpenCollection(const std::string& id,
                                                  std::vector<std::string> las) {
    absl::StatusOr<ParsedCollectionId> parsed = ParseCollectionId(id);
    if (!parsed.ok()) return parsed.status();
    CollectionRecord c;
    c.collection_id = id;
    c.year = parsed->year;
    c.period = parsed->window.period;
    c.period_start = parsed->window.start;
    c.period_end = parsed->window.end;
    c.deadline = Now() + kDeadlineAfter;
    std::sort(las.begin(), las.end());
    c.expected_la_codes = std::move(las);
    c.opened_at = Now();
    c.opened_by = "urn:ringfence:operator:ops";
    return store_->OpenCollection(c);
  }

  // Closes `id` (the annual collection by default) directly in the store.
  void Close(const std::string& id = kAnnual) {
    ASSERT_THAT(store_->CloseCollection(id, "urn:ringfence:operator:ops", Now()),
                ::ringfence::testing::IsOk());
  }

  absl::Time Now() {
    absl::MutexLock lock(&clock_mu_);
    return now_;
  }

  // (Re)starts the server on a fresh port with `limiter` (nullptr: no rate
  // limit), the fixture's log and its clock, over the same store.
  void StartServer(std::unique_ptr<RateLimiter> limiter) {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    service_ = std::make_unique<CoordinatorServiceImpl>(
        store_.get(), Shipped(),
        [this](absl::string_view l) {
          absl::MutexLock lock(&log_mu_);
          log_.emplace_back(l);
        },
        [this] {
          absl::MutexLock lock(&clock_mu_);
          return now_;
        },
        std::move(limiter));
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    port_ = 0;
    builder.AddListeningPort("127.0.0.1:0", crypto::MakeServerCredentials(pki_->server()), &port_);
    builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
    builder.RegisterService(service_.get());
    admin_ = std::make_unique<CollectionAdminServiceImpl>(store_.get(), service_->gate());
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }

  void Advance(absl::Duration d) {
    absl::MutexLock lock(&clock_mu_);
    now_ += d;
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    admin_.reset();
    service_.reset();
    store_.reset();
    for (const char* f : {"/coordinator.db", "/coordinator.db-wal", "/coordinator.db-shm"}) {
      ::unlink((dir_ + f).c_str());
    }
    ::rmdir(dir_.c_str());
  }

  std::string Target() const { return absl::StrCat("127.0.0.1:", port_); }

  std::unique_ptr<v1::Coordinator::Stub> StubWith(
      const std::shared_ptr<grpc::ChannelCredentials>& creds) {
    return v1::Coordinator::NewStub(grpc::CreateChannel(Target(), creds));
  }

  std::unique_ptr<v1::Coordinator::Stub> StubFor(absl::string_view uri) {
    absl::StatusOr<crypto::TlsMaterial> m = pki_->Client(uri);
    EXPECT_THAT(m, ::ringfence::testing::IsOk());
    return StubWith(crypto::MakeChannelCredentials(*m));
  }

  static void SetDeadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  absl::StatusOr<v1::SubmitResponse> Submit(v1::Coordinator::Stub& stub,
                                            const v1::SubmitRequest& request) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::SubmitResponse response;
    grpc::Status s = stub.Submit(&ctx, request, &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  absl::StatusOr<v1::ReleaseResponse> Release(v1::Coordinator::Stub& stub, int year,
                                              const std::vector<v1::GeographicLevel>& levels = {},
                                              const std::string& collection_id = "") {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ReleaseRequest request;
    request.set_year(year);
    request.set_collection_id(collection_id);
    for (v1::GeographicLevel l : levels) request.add_levels(l);
    v1::ReleaseResponse response;
    grpc::Status s = stub.Release(&ctx, request, &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  std::unique_ptr<v1::CollectionAdmin::Stub> AdminStubFor(absl::string_view uri) {
    absl::StatusOr<crypto::TlsMaterial> m = pki_->Client(uri);
    EXPECT_THAT(m, ::ringfence::testing::IsOk());
    return v1::CollectionAdmin::NewStub(
        grpc::CreateChannel(Target(), crypto::MakeChannelCredentials(*m)));
  }

  absl::StatusOr<v1::SubmitResponse> SubmitTo(v1::Coordinator::Stub& stub,
                                              v1::SubmitRequest request,
                                              const std::string& collection_id) {
    request.set_collection_id(collection_id);
    return Submit(stub, request);
  }

  absl::StatusOr<v1::Collection> AdminOpen(v1::CollectionAdmin::Stub& stub,
                                           const v1::OpenCollectionRequest& request) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::Collection response;
    grpc::Status s = stub.OpenCollection(&ctx, request, &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  absl::StatusOr<v1::Collection> AdminClose(v1::CollectionAdmin::Stub& stub,
                                            const std::string& id) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::CloseCollectionRequest request;
    request.set_collection_id(id);
    v1::Collection response;
    grpc::Status s = stub.CloseCollection(&ctx, request, &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  absl::StatusOr<v1::CollectionStatus> AdminStatus(v1::CollectionAdmin::Stub& stub,
                                                   const std::string& id) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetCollectionStatusRequest request;
    request.set_collection_id(id);
    v1::CollectionStatus response;
    grpc::Status s = stub.GetCollectionStatus(&ctx, request, &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  absl::StatusOr<v1::ListCollectionsResponse> List(v1::Coordinator::Stub& stub) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ListCollectionsResponse response;
    grpc::Status s = stub.ListCollections(&ctx, v1::ListCollectionsRequest(), &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  absl::Status Report(v1::Coordinator::Stub& stub, const std::string& id, v1::NodeState state) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ReportStateRequest request;
    request.set_collection_id(id);
    request.set_state(state);
    v1::ReportStateResponse response;
    return base::FromGrpcStatus(stub.ReportState(&ctx, request, &response));
  }

  // The status entry of `la` in `status`.
  static v1::LaCollectionStatus StatusOf(const v1::CollectionStatus& status, absl::string_view la) {
    for (const v1::LaCollectionStatus& s : status.las()) {
      if (s.la_code() == la) return s;
    }
    ADD_FAILURE() << "no status for " << la;
    return v1::LaCollectionStatus();
  }

  std::vector<std::string> Log() {
    absl::MutexLock lock(&log_mu_);
    return log_;
  }

  inline static TestPki* pki_ = nullptr;
  std::string dir_;
  std::unique_ptr<SubmissionStore> store_;
  std::unique_ptr<CoordinatorServiceImpl> service_;
  std::unique_ptr<CollectionAdminServiceImpl> admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex log_mu_;
  std::vector<std::string> log_;
  absl::Mutex clock_mu_;
  absl::Time now_ ABSL_GUARDED_BY(clock_mu_) = absl::Now();  // the service's clock
};

}  // namespace ringfence::coordinator::testing

#endif  // RINGFENCE_COORDINATOR_TESTING_SERVER_FIXTURE_H_
