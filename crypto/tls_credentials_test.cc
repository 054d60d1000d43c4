#include "crypto/tls_credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "crypto/x509.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace ringfence::crypto {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

CertificateSpec Spec(std::string cn, absl::Duration from, absl::Duration to) {
  CertificateSpec spec;
  spec.common_name = std::move(cn);
  spec.not_before = absl::Now() + from;
  spec.not_after = absl::Now() + to;
  return spec;
}

// A test PKI: a CA, the coordinator's server certificate and client certificates.
struct Pki {
  PemKeyAndCert ca;
  PemKeyAndCert server;

  static Pki Make() {
    Pki pki;
    CertificateSpec ca_spec = Spec("Test CA", -absl::Hours(1), absl::Hours(24));
    pki.ca = CreateSelfSignedCa(ca_spec).value();
    CertificateSpec server_spec = Spec("coordinator", -absl::Hours(1), absl::Hours(24));
    server_spec.dns_sans = {"localhost"};
    server_spec.ip_sans = {"127.0.0.1"};
    server_spec.server_auth = true;
    pki.server = IssueCertificate(pki.ca, server_spec).value();
    return pki;
  }

  PemKeyAndCert Client(std::vector<std::string> uris, absl::Duration from = -absl::Hours(1),
                       absl::Duration to = absl::Hours(24)) const {
    CertificateSpec spec = Spec("client", from, to);
    spec.uri_sans = std::move(uris);
    spec.client_auth = true;
    return IssueCertificate(ca, spec).value();
  }
};

// A real mTLS server on 127.0.0.1 with an async generic service that records the
// PeerIdentity of each call and echoes the request.
class EchoServer {
 public:
  explicit EchoServer(const TlsMaterial& material) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", MakeServerCredentials(material), &port_);
    builder.RegisterAsyncGenericService(&service_);
    cq_ = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    thread_ = std::thread([this] { Serve(); });
  }

  ~EchoServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutting_down_ = true;
    }
    // Shutdown completes the pending RequestCall with ok=false, which ends Serve(); only
    // then may the queue be shut down (requesting a call on a shut-down queue aborts).
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    thread_.join();
    cq_->Shutdown();
    void* tag;
    bool ok;
    while (cq_->Next(&tag, &ok)) {
    }
  }

  int port() const { return port_; }

  std::vector<absl::StatusOr<PartyIdentity>> identities() {
    std::lock_guard<std::mutex> lock(mu_);
    return identities_;
  }

 private:
  void Serve() {
    while (true) {
      grpc::GenericServerContext ctx;
      grpc::GenericServerAsyncReaderWriter stream(&ctx);
      void* tag;
      bool ok;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (shutting_down_) return;
        service_.RequestCall(&ctx, &stream, cq_.get(), cq_.get(), this);
      }
      if (!cq_->Next(&tag, &ok) || !ok) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        identities_.push_back(PeerIdentity(ctx));
      }
      grpc::ByteBuffer request;
      stream.Read(&request, this);
      if (!cq_->Next(&tag, &ok)) return;
      if (ok) {
        stream.WriteAndFinish(request, grpc::WriteOptions(), grpc::Status::OK, this);
      } else {
        stream.Finish(grpc::Status(grpc::StatusCode::CANCELLED, "no request"), this);
      }
      if (!cq_->Next(&tag, &ok)) return;
    }
  }

  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  bool shutting_down_ = false;  // guarded by mu_
  std::vector<absl::StatusOr<PartyIdentity>> identities_;  // guarded by mu_
};

// One unary call to the echo server with the given client credentials.
grpc::Status Call(int port, std::shared_ptr<grpc::ChannelCredentials> creds) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), creds);
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  grpc::Slice slice(std::string("ping"));
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&ctx, "/test.Echo/Ping", request, &cq);
  call->StartCall();
  int tag_value = 0;
  call->Finish(&response, &status, &tag_value);
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

TlsMaterial Material(const PemKeyAndCert& ca, const PemKeyAndCert& own) {
  return TlsMaterial{ca.cert_pem, own.cert_pem, own.key_pem};
}

class MutualTlsTest : public ::testing::Test {
 protected:
  MutualTlsTest() : pki_(Pki::Make()), server_(Material(pki_.ca, pki_.server)) {}
  Pki pki_;
  EchoServer server_;
};

TEST_F(MutualTlsTest, PeerIdentityComesFromTheClientCertificate) {
  PemKeyAndCert client = pki_.Client({LaUri("E09000033")});
  grpc::Status status = Call(server_.port(), MakeChannelCredentials(Material(pki_.ca, client)));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<absl::StatusOr<PartyIdentity>> ids = server_.identities();
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_THAT(ids[0], IsOk());
  EXPECT_EQ(ids[0]->kind, PartyKind::kLocalAuthority);
  EXPECT_EQ(ids[0]->la_code, "E09000033");
}

TEST_F(MutualTlsTest, VerifiedCertificateWithoutUrnIsUnauthenticated) {
  PemKeyAndCert client = pki_.Client({});
  grpc::Status status = Call(server_.port(), MakeChannelCredentials(Material(pki_.ca, client)));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<absl::StatusOr<PartyIdentity>> ids = server_.identities();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_THAT(ids[0], StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(MutualTlsTest, ClientWithoutCertificateFailsTheHandshake) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pki_.ca.cert_pem;
  grpc::Status status = Call(server_.port(), grpc::SslCredentials(options));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(server_.identities().empty());
}

TEST_F(MutualTlsTest, ClientFromAnotherCaFailsTheHandshake) {
  Pki other = Pki::Make();
  PemKeyAndCert client = other.Client({LaUri("E09000033")});
  // The client trusts the real CA, so only the server's check of the client can fail.
  grpc::Status status = Call(server_.port(), MakeChannelCredentials(Material(pki_.ca, client)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(server_.identities().empty());
}

TEST_F(MutualTlsTest, ExpiredClientCertificateFailsTheHandshake) {
  PemKeyAndCert client =
      pki_.Client({LaUri("E09000033")}, -absl::Hours(24 * 10), -absl::Hours(24));
  grpc::Status status = Call(server_.port(), MakeChannelCredentials(Material(pki_.ca, client)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(server_.identities().empty());
}

TEST_F(MutualTlsTest, ClientRefusesServerFromAnotherCa) {
  Pki other = Pki::Make();
  PemKeyAndCert client = pki_.Client({LaUri("E09000033")});
  // The client trusts only the other CA, so the real server is not accepted.
  grpc::Status status = Call(server_.port(), MakeChannelCredentials(Material(other.ca, client)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(server_.identities().empty());
}

// --- LoadTlsMaterial ---

class LoadTlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_tls_material_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    pki_ = Pki::Make();
    client_ = pki_.Client({LaUri("E09000033")});
    Write("ca.pem", pki_.ca.cert_pem);
    Write("client.pem", client_.cert_pem);
    Write("client.key", client_.key_pem);
    Write("server.key", pki_.server.key_pem);
    Write("garbage.pem", "this is not PEM\n");
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  void Write(const std::string& name, const std::string& contents) {
    ASSERT_THAT(base::WriteFileAtomically(Path(name), contents, 0600), IsOk());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  Pki pki_;
  PemKeyAndCert client_;
};

TEST_F(LoadTlsMaterialTest, LoadsMatchingFiles) {
  absl::StatusOr<TlsMaterial> m =
      LoadTlsMaterial(Path("ca.pem"), Path("client.pem"), Path("client.key"));
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->ca_pem, pki_.ca.cert_pem);
  EXPECT_EQ(m->cert_pem, client_.cert_pem);
  EXPECT_EQ(m->key_pem, client_.key_pem);
}

TEST_F(LoadTlsMaterialTest, ErrorsNameTheFile) {
  EXPECT_THAT(LoadTlsMaterial(Path("missing.pem"), Path("client.pem"), Path("client.key")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.pem")));
  EXPECT_THAT(LoadTlsMaterial(Path("garbage.pem"), Path("client.pem"), Path("client.key")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("garbage.pem")));
  EXPECT_THAT(LoadTlsMaterial(Path("ca.pem"), Path("garbage.pem"), Path("client.key")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("garbage.pem")));
  // A certificate where the key should be.
  EXPECT_THAT(LoadTlsMaterial(Path("ca.pem"), Path("client.pem"), Path("client.pem")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("client.pem")));
  // Swapped CA and own certificate.
  EXPECT_THAT(LoadTlsMaterial(Path("client.pem"), Path("ca.pem"), Path("client.key")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a CA")));
}

TEST_F(LoadTlsMaterialTest, MismatchedKeyIsRefused) {
  EXPECT_THAT(LoadTlsMaterial(Path("ca.pem"), Path("client.pem"), Path("server.key")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("server.key"), HasSubstr("does not match"))));
}

TEST_F(LoadTlsMaterialTest, UnreadableKeyIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read any file";
  ASSERT_EQ(::chmod(Path("client.key").c_str(), 0), 0);
  EXPECT_THAT(LoadTlsMaterial(Path("ca.pem"), Path("client.pem"), Path("client.key")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("client.key")));
}

}  // namespace
}  // namespace ringfence::crypto
