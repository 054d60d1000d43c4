// End-to-end test of certificate revocation at the coordinator: a real gRPC server on
// 127.0.0.1 port 0 under mutual TLS, with a CRL file the service re-reads while it runs.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/csv.h"
#include "base/grpc_status.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/admin_service.h"
#include "coordinator/collections.h"
#include "coordinator/proto_util.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "coordinator/testing/submissions.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::coordinator {
namespace {

namespace v1 = ::ringfence::v1;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr int kYear = 2025;
constexpr char kCamden[] = "E09000007";
constexpr char kWestminster[] = "E09000033";

std::vector<int64_t> Noisy(int64_t base) {
  std::vector<int64_t> v;
  for (size_t i = 0; i < catalogue::GridCells().size(); ++i) {
    v.push_back(base + 10 * static_cast<int64_t>(i));
  }
  return v;
}

class RevocationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TestPki> pki = testing::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    pki_ = std::make_unique<testing::TestPki>(*std::move(pki));
    absl::StatusOr<policy::Policy> policy = testing::ShippedPolicy();
    ASSERT_THAT(policy, IsOk());
    policy_ = *std::move(policy);

    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_revocation_service_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    crl_path_ = dir_ + "/crl.pem";
    absl::StatusOr<std::unique_ptr<SubmissionStore>> store =
        SubmissionStore::Open(dir_ + "/coordinator.db");
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    // The year's annual collection, expecting both LAs.
    const CollectionWindow window = WindowsOf(CollectionPeriod::kAnnual, kYear)[0];
    CollectionRecord c;
    c.collection_id = AnnualCollectionId(kYear);
    c.year = kYear;
    c.period = CollectionPeriod::kAnnual;
    c.period_start = window.start;
    c.period_end = window.end;
    c.deadline = absl::Now() + absl::Hours(24);
    c.expected_la_codes = {kWestminster, kCamden};
    std::sort(c.expected_la_codes.begin(), c.expected_la_codes.end());
    c.opened_at = absl::Now();
    c.opened_by = "urn:ringfence:operator:ops";
    ASSERT_THAT(store_->OpenCollection(c), IsOk());
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    admin_.reset();
    service_.reset();
    store_.reset();
    for (const char* f : {"/coordinator.db", "/coordinator.db-wal", "/coordinator.db-shm",
                          "/crl.pem"}) {
      ::unlink((dir_ + f).c_str());
    }
    ::rmdir(dir_.c_str());
  }

  // Adds `cert_pem` to the CRL and replaces the file atomically, as `pki revoke` does.
  void Revoke(const std::string& cert_pem) {
    absl::StatusOr<crypto::RevocationResult> r = crypto::RevokeCertificate(
        pki_->ca(), crl_pem_, cert_pem, absl::Now(), absl::Hours(24));
    ASSERT_THAT(r, IsOk());
    crl_pem_ = r->crl_pem;
    ASSERT_THAT(base::WriteFileAtomically(crl_path_, crl_pem_), IsOk());
  }

  void StartServer() {
    crypto::RevocationList::Options options;
    options.check_interval = absl::ZeroDuration();  // look at the file on every call
    options.log = [this](absl::string_view l) { AddLog(l); };
    absl::StatusOr<std::unique_ptr<crypto::RevocationList>> crl =
        crypto::RevocationList::Load(crl_path_, pki_->ca().cert_pem, options);
    ASSERT_THAT(crl, IsOk());
    crl_ = *std::move(crl);
    service_ = std::make_unique<CoordinatorServiceImpl>(
        store_.get(), policy_, [this](absl::string_view l) { AddLog(l); });
    service_->SetRevocationList(crl_.get());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", crypto::MakeServerCredentials(pki_->server()),
                             &port_);
    builder.RegisterService(service_.get());
    admin_ = std::make_unique<CollectionAdminServiceImpl>(store_.get(), service_->gate());
    builder.RegisterService(admin_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }

  void AddLog(absl::string_view line) {
    absl::MutexLock lock(&log_mu_);
    log_.emplace_back(line);
  }
  std::vector<std::string> Log() {
    absl::MutexLock lock(&log_mu_);
    return log_;
  }

  std::unique_ptr<v1::Coordinator::Stub> StubWith(const crypto::TlsMaterial& m) {
    return v1::Coordinator::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                                        crypto::MakeChannelCredentials(m)));
  }

  absl::StatusOr<v1::SubmitResponse> Submit(v1::Coordinator::Stub& stub, const std::string& la) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitResponse response;
    grpc::Status s = stub.Submit(
        &ctx,
        SubmissionToProto(testing::MakeSubmission(policy_, la, kYear, Noisy(7001), Rational{9, 2})),
        &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  absl::StatusOr<v1::ReleaseResponse> Release(v1::Coordinator::Stub& stub) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReleaseRequest request;
    request.set_year(kYear);
    v1::ReleaseResponse response;
    grpc::Status s = stub.Release(&ctx, request, &response);
    if (!s.ok()) return base::FromGrpcStatus(s);
    return response;
  }

  static std::string Serial(const crypto::TlsMaterial& m) {
    absl::StatusOr<crypto::CertificateInfo> info = crypto::ParseCertificate(m.cert_pem);
    EXPECT_THAT(info, IsOk());
    return info.ok() ? info->serial_hex : "";
  }

  std::unique_ptr<testing::TestPki> pki_;
  policy::Policy policy_;
  std::string dir_, crl_path_, crl_pem_;
  std::unique_ptr<SubmissionStore> store_;
  std::unique_ptr<crypto::RevocationList> crl_;
  std::unique_ptr<CoordinatorServiceImpl> service_;
  std::unique_ptr<CollectionAdminServiceImpl> admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(RevocationServiceTest, RefusesRevokedCertificatesAndPicksUpANewCrlWithoutRestart) {
  absl::StatusOr<crypto::TlsMaterial> westminster = pki_->Client(crypto::LaUri(kWestminster));
  absl::StatusOr<crypto::TlsMaterial> camden = pki_->Client(crypto::LaUri(kCamden));
  absl::StatusOr<crypto::TlsMaterial> analyst =
      pki_->Client(crypto::RecipientUri("dfe_analyst", "alice"));
  ASSERT_THAT(westminster, IsOk());
  ASSERT_THAT(camden, IsOk());
  ASSERT_THAT(analyst, IsOk());
  Revoke(westminster->cert_pem);
  StartServer();

  // The revoked LA is refused before anything is stored; another LA still submits.
  auto westminster_stub = StubWith(*westminster);
  EXPECT_THAT(Submit(*westminster_stub, kWestminster),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr(absl::StrCat("certificate serial ", Serial(*westminster))),
                             HasSubstr("is revoked"))));
  EXPECT_THAT(Release(*westminster_stub), StatusIs(absl::StatusCode::kUnauthenticated,
                                                   HasSubstr("is revoked")));
  auto camden_stub = StubWith(*camden);
  ASSERT_THAT(Submit(*camden_stub, kCamden), IsOk());
  absl::StatusOr<std::vector<StoredSubmission>> stored = store_->LoadYear(kYear);
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].la_code, kCamden);

  // Recipients read closed collections; the acknowledged resend below still works.
  ASSERT_THAT(store_->CloseCollection(AnnualCollectionId(kYear), "urn:ringfence:operator:ops",
                                      absl::Now()),
              IsOk());
  auto analyst_stub = StubWith(*analyst);
  ASSERT_THAT(Release(*analyst_stub), IsOk());

  // The recipient is revoked while the coordinator runs: its next call is refused, on the
  // same channel, and nobody else is affected.
  Revoke(analyst->cert_pem);
  EXPECT_THAT(Release(*analyst_stub),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr(absl::StrCat("certificate serial ", Serial(*analyst),
                                              " is revoked"))));
  absl::StatusOr<v1::SubmitResponse> again = Submit(*camden_stub, kCamden);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_stored());
  EXPECT_THAT(Submit(*westminster_stub, kWestminster),
              StatusIs(absl::StatusCode::kUnauthenticated));

  const std::vector<std::string> log = Log();
  EXPECT_THAT(log, Contains(AllOf(HasSubstr("rpc=Submit"),
                                  HasSubstr(absl::StrCat("peer=", crypto::LaUri(kWestminster))),
                                  HasSubstr("outcome=UNAUTHENTICATED"), HasSubstr("is revoked"))));
  EXPECT_THAT(log, Contains(AllOf(HasSubstr("rpc=Release"),
                                  HasSubstr("peer=urn:ringfence:recipient:dfe_analyst:alice"),
                                  HasSubstr("outcome=UNAUTHENTICATED"))));
  EXPECT_THAT(log, Contains(HasSubstr("loaded CRL number 2, 2 revoked")));
}

TEST_F(RevocationServiceTest, ATamperedReplacementCrlKeepsTheRevocationsInForce) {
  absl::StatusOr<crypto::TlsMaterial> westminster = pki_->Client(crypto::LaUri(kWestminster));
  ASSERT_THAT(westminster, IsOk());
  Revoke(westminster->cert_pem);
  StartServer();
  // A CRL from another CA (same name, other key) would list nobody of ours.
  absl::StatusOr<testing::TestPki> impostor = testing::TestPki::Create();
  ASSERT_THAT(impostor, IsOk());
  absl::StatusOr<crypto::TlsMaterial> someone = impostor->Client(crypto::LaUri(kCamden));
  ASSERT_THAT(someone, IsOk());
  absl::StatusOr<crypto::RevocationResult> forged = crypto::RevokeCertificate(
      impostor->ca(), "", someone->cert_pem, absl::Now(), absl::Hours(24));
  ASSERT_THAT(forged, IsOk());
  ASSERT_THAT(base::WriteFileAtomically(crl_path_, forged->crl_pem), IsOk());

  auto stub = StubWith(*westminster);
  EXPECT_THAT(Submit(*stub, kWestminster),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("is revoked")));
  EXPECT_THAT(crl_->last_reload_error(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Log(), Contains(HasSubstr("new file refused")));
}

// The operator's CollectionAdmin shares the Coordinator's gate: a revoked operator can neither
// close a collection nor read its status, and another operator still can.
TEST_F(RevocationServiceTest, ARevokedOperatorCannotAdministerCollections) {
  absl::StatusOr<crypto::TlsMaterial> olive = pki_->Client(crypto::OperatorUri("olive"));
  absl::StatusOr<crypto::TlsMaterial> oscar = pki_->Client(crypto::OperatorUri("oscar"));
  ASSERT_THAT(olive, IsOk());
  ASSERT_THAT(oscar, IsOk());
  Revoke(olive->cert_pem);
  StartServer();
  auto admin = [this](const crypto::TlsMaterial& m) {
    return v1::CollectionAdmin::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port_), crypto::MakeChannelCredentials(m)));
  };
  auto close = [](v1::CollectionAdmin::Stub& stub) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CloseCollectionRequest request;
    request.set_collection_id(AnnualCollectionId(kYear));
    v1::Collection response;
    return base::FromGrpcStatus(stub.CloseCollection(&ctx, request, &response));
  };
  EXPECT_THAT(close(*admin(*olive)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("is revoked")));
  absl::StatusOr<CollectionRecord> still = store_->GetCollection(AnnualCollectionId(kYear));
  ASSERT_THAT(still, IsOk());
  EXPECT_EQ(still->state, CollectionState::kOpen);
  EXPECT_THAT(Log(), Contains(AllOf(HasSubstr("rpc=CloseCollection"),
                                    HasSubstr("peer=urn:ringfence:operator:olive"),
                                    HasSubstr("outcome=UNAUTHENTICATED"))));
  EXPECT_THAT(close(*admin(*oscar)), IsOk());
}

}  // namespace
}  // namespace ringfence::coordinator
