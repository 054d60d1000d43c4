// Egress: every byte the node puts on the wire is captured (a client interceptor sees each
// serialized message and the metadata before TLS encrypts them) and searched for every CHILD
// id, date of birth and postcode in the LA's input files. None may appear. A control case
// shows the search finds a CHILD id when one is deliberately put into a message, so the test
// is known to have teeth.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "catalogue/catalogue.h"
#include "crypto/random_source.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/client_interceptor.h"
#include "gtest/gtest.h"
#include "node/grid.h"
#include "node/loader.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using testing::BinaryPath;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;
const char kLa[] = "E08000025";

// Records every message and metadata entry a client sends.
class CaptureInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit CaptureInterceptor(std::string* sink) : sink_(sink) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      for (const auto& [k, v] : *methods->GetSendInitialMetadata()) {
        sink_->append(k).append(v);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      grpc::ByteBuffer* buffer = methods->GetSerializedSendMessage();
      std::vector<grpc::Slice> slices;
      if (buffer != nullptr && buffer->Dump(&slices).ok()) {
        for (const grpc::Slice& s : slices) {
          sink_->append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
      ++messages_;
    }
    methods->Proceed();
  }
  static int messages_;

 private:
  std::string* sink_;
};
int CaptureInterceptor::messages_ = 0;

class CaptureFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit CaptureFactory(std::string* sink) : sink_(sink) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new CaptureInterceptor(sink_);
  }

 private:
  std::string* sink_;
};

// Every CHILD id, DOB and postcode in the LA folder, in the forms that could leak.
std::set<std::string> Secrets(const std::string& dir) {
  std::set<std::string> secrets;
  for (const char* name : {"header.csv", "episodes.csv", "uasc.csv", "sensitive.csv"}) {
    std::string text = ReadFileOrEmpty(dir + "/" + name);
    base::CsvReader reader(text, name);
    base::CsvRow row;
    std::vector<std::string> header;
    while (reader.Next(&row)) {
      if (header.empty()) {
        for (absl::string_view f : row.fields) header.emplace_back(f);
        continue;
      }
      for (size_t i = 0; i < header.size() && i < row.fields.size(); ++i) {
        const std::string value(absl::StripAsciiWhitespace(row.fields[i]));
        if (value.empty()) continue;
        if (header[i] == "CHILD") secrets.insert(value);
        if (header[i] == "DOB") {
          secrets.insert(value);
          std::vector<std::string> p = absl::StrSplit(value, '/');
          if (p.size() == 3) secrets.insert(absl::StrCat(p[2], "-", p[1], "-", p[0]));
        }
        if (header[i] == "HOME_POST" || header[i] == "PL_POST") {
          secrets.insert(value);
          secrets.insert(absl::StrReplaceAll(value, {{" ", ""}}));
        }
      }
    }
  }
  return secrets;
}

std::vector<std::string> Leaks(const std::string& bytes, const std::set<std::string>& secrets) {
  std::vector<std::string> found;
  for (const std::string& s : secrets) {
    if (bytes.find(s) != std::string::npos) found.push_back(s);
  }
  return found;
}

class EgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("ringfence-egress");
    RunResult r = RunCommand({BinaryPath("ringfence"), "synth", "--la", kLa, "--year",
                       absl::StrCat(kYear), "--seed", "99", "--out", dir_ + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", dir_ + "/pki", "--la", kLa});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    coordinator_ = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{BinaryPath("ringfence-coordinator"), "--listen", "127.0.0.1:0",
                                 "--cert", dir_ + "/pki/coordinator.pem", "--key",
                                 dir_ + "/pki/coordinator.key", "--ca", dir_ + "/pki/ca.pem",
                                 "--db", dir_ + "/c.db", "--port-file", dir_ + "/port"},
        dir_ + "/coordinator.log");
    std::string port = testing::WaitForFile(dir_ + "/port", 30);
    ASSERT_FALSE(port.empty()) << ReadFileOrEmpty(dir_ + "/coordinator.log");
    address_ = "127.0.0.1:" + std::string(absl::StripAsciiWhitespace(port));
  }

  std::shared_ptr<grpc::Channel> CapturingChannel(std::string* sink) {
    auto tls = crypto::LoadTlsMaterial(dir_ + "/pki/ca.pem", dir_ + "/pki/la/" + kLa + ".pem",
                                       dir_ + "/pki/la/" + kLa + ".key");
    EXPECT_TRUE(tls.ok()) << tls.status();
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<CaptureFactory>(sink));
    return grpc::experimental::CreateCustomChannelWithInterceptors(
        address_, crypto::MakeChannelCredentials(*tls), grpc::ChannelArguments(), std::move(f));
  }

  std::string dir_;
  std::string address_;
  std::unique_ptr<testing::BackgroundProcess> coordinator_;
};

TEST_F(EgressTest, NoChildIdDobOrPostcodeLeavesTheNode) {
  const std::string la_dir = dir_ + "/data/" + kLa;
  const std::set<std::string> secrets = Secrets(la_dir);
  ASSERT_GT(secrets.size(), 100u) << "the synthetic LA should have many children";

  node::LoadOptions opts;
  opts.dir = la_dir;
  opts.la_code = kLa;
  opts.year = kYear;
  auto data = node::LoadLaFolder(opts);
  ASSERT_TRUE(data.ok()) << data.status();
  auto exact = node::ComputeExactGrid(*data, kYear);
  ASSERT_TRUE(exact.ok()) << exact.status();
  crypto::OpenSslRandomSource rng;
  auto grid = node::ProtectGrid(*exact, node::PrivacyBudget{}, policy::kDefaultDisclosureRule,
                                rng);
  ASSERT_TRUE(grid.ok()) << grid.status();
  auto request = node::BuildSubmitRequest(kLa, kYear, *grid);
  ASSERT_TRUE(request.ok());

  std::string wire;
  CaptureInterceptor::messages_ = 0;
  node::CoordinatorClient client(CapturingChannel(&wire));
  auto response = client.Submit(*request, absl::Seconds(10));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(CaptureInterceptor::messages_, 1);
  ASSERT_GT(wire.size(), 100u);
  EXPECT_NE(wire.find(kLa), std::string::npos) << "capture saw no message";
  EXPECT_THAT(Leaks(wire, secrets), ::testing::IsEmpty());
}

TEST_F(EgressTest, TheLeakSearchFindsAChildIdPlantedInAMessage) {
  const std::set<std::string> secrets = Secrets(dir_ + "/data/" + kLa);
  std::string child;
  for (const std::string& s : secrets) {
    if (s.find('/') == std::string::npos && s.size() >= 6 && s.find(' ') == std::string::npos) {
      child = s;
      break;
    }
  }
  ASSERT_FALSE(child.empty());
  std::string wire;
  node::CoordinatorClient client(CapturingChannel(&wire));
  v1::SubmitRequest planted;
  planted.set_la_code(child);  // what a leaking implementation might do
  (void)client.Submit(planted, absl::Seconds(10));
  EXPECT_THAT(Leaks(wire, secrets), ::testing::Contains(child));
}

}  // namespace
}  // namespace ringfence
