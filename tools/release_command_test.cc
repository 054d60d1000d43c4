// `ringfence release` against a real coordinator service on 127.0.0.1 (port 0)
// with mutual TLS from an in-process test PKI written to a temporary folder.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/identity.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "policy/disclosure.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

using ::ringfence::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kGateshead[] = "E08000037";
constexpr char kWestminster[] = "E09000033";

ringfence::v1::SubmitRequest MakeRequest(const std::string& la, int64_t base) {
  coordinator::Submission s;
  s.la_code = la;
  s.year = 2025;
  s.catalogue_version = catalogue::kCatalogueVersion;
  s.noise.mechanism = coordinator::NoiseMechanism::kDiscreteGaussian;
  s.noise.variance = {9, 2};
  s.noise.rho = {1, 4};
  s.rule = policy::kDefaultDisclosureRule;
  int64_t v = base;
  for (const catalogue::CellKey& k : catalogue::GridCells()) {
    s.cells.push_back({k, v, policy::ApplyDisclosureRule(s.rule, v)});
    v += 11;
  }
  return coordinator::SubmissionToProto(s);
}

class ReleaseCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/release_command_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    absl::StatusOr<coordinator::testing::TestPki> pki = coordinator::testing::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    pki_ = std::make_unique<coordinator::testing::TestPki>(*std::move(pki));
    ASSERT_THAT(base::WriteFileAtomically(Path("ca.pem"), pki_->ca().cert_pem), IsOk());
    WriteClient("recipient", crypto::RecipientUri("dfe_analyst", "alice"));
    WriteClient("la", crypto::LaUri(kWestminster));

    absl::StatusOr<std::unique_ptr<coordinator::SubmissionStore>> store =
        coordinator::SubmissionStore::Open(Path("coordinator.db"));
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    service_ = std::make_unique<coordinator::CoordinatorServiceImpl>(store_.get(),
                                                                     [](absl::string_view) {});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", crypto::MakeServerCredentials(pki_->server()), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    service_.reset();
    store_.reset();
    for (const char* f :
         {"ca.pem", "recipient.pem", "recipient.key", "la.pem", "la.key", "coordinator.db",
          "coordinator.db-wal", "coordinator.db-shm", "out.csv"}) {
      ::unlink(Path(f).c_str());
    }
    ::rmdir(dir_.c_str());
  }

  std::string Path(absl::string_view name) const { return absl::StrCat(dir_, "/", name); }

  void WriteClient(const std::string& name, const std::string& uri) {
    absl::StatusOr<crypto::TlsMaterial> m = pki_->Client(uri);
    ASSERT_THAT(m, IsOk());
    ASSERT_THAT(base::WriteFileAtomically(Path(name + ".pem"), m->cert_pem), IsOk());
    ASSERT_THAT(base::WriteFileAtomically(Path(name + ".key"), m->key_pem, 0600), IsOk());
  }

  void Store(const ringfence::v1::SubmitRequest& request) {
    absl::StatusOr<std::string> bytes = coordinator::SerializeDeterministically(request);
    ASSERT_THAT(bytes, IsOk());
    ASSERT_THAT(store_->Insert(request.la_code(), request.year(), request.catalogue_version(),
                               *bytes, absl::Now()),
                IsOk());
  }

  std::vector<std::string> Args(const std::string& who, int year = 2025) {
    return {"--coordinator",
            absl::StrCat("127.0.0.1:", port_),
            "--cert",
            Path(who + ".pem"),
            "--key",
            Path(who + ".key"),
            "--ca",
            Path("ca.pem"),
            "--year",
            absl::StrCat(year),
            "--out",
            Path("out.csv"),
            "--timeout-seconds",
            "10"};
  }

  std::string dir_;
  std::unique_ptr<coordinator::testing::TestPki> pki_;
  std::unique_ptr<coordinator::SubmissionStore> store_;
  std::unique_ptr<coordinator::CoordinatorServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(ReleaseCommandTest, WritesTheReleaseAsCsvAndPrintsASummary) {
  Store(MakeRequest(kWestminster, 1001));
  Store(MakeRequest(kGateshead, 2002));
  ::testing::internal::CaptureStdout();
  const int rc = RunReleaseCommand(Args("recipient"));
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(rc, 0);
  // One CSV row per geography x (breakdown, group) that a recipient receives: the catalogue's
  // distinct non-sensitive (breakdown, group) pairs (sensitive ones are withheld).
  std::set<std::pair<std::string, std::string>> row_keys;
  for (const catalogue::CellKey& key : catalogue::GridCells()) {
    if (!catalogue::FindBreakdown(key.breakdown)->sensitive) {
      row_keys.emplace(key.breakdown, key.group);
    }
  }
  const size_t per_geography = row_keys.size();
  // 1001 + 2002 = 3003 -> 3005; variance 9/2 + 9/2 = 9, SD 3.0.
  EXPECT_EQ(out, absl::StrCat("release 2025: 2 LAs, ", 5 * per_geography, " rows written to ",
                              Path("out.csv"), "; England cla 3005 (noise SD 3.0)\n"));
  std::string csv;
  ASSERT_THAT(base::ReadFileToString(Path("out.csv"), &csv), IsOk());
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  // header + (England, 2 regions, 2 LAs) x rows per geography
  ASSERT_EQ(lines.size(), 1 + 5 * per_geography);
  EXPECT_THAT(lines[0],
              StartsWith("time_period,time_identifier,geographic_level,country_code,country_"
                         "name,region_code,region_name,new_la_code,la_name,breakdown,group,"
                         "cla,started,"));
  EXPECT_THAT(lines[1],
              StartsWith("2025,Reporting year,National,E92000001,England,,,,,total,total,3005,"));
  EXPECT_THAT(lines[1 + per_geography],
              StartsWith("2025,Reporting year,Regional,E92000001,England,E12000001,North "
                         "East,,,total,total,2000,"));
  EXPECT_THAT(lines[1 + 3 * per_geography],
              StartsWith("2025,Reporting year,Local authority,E92000001,England,E12000001,"
                         "North East,E08000037,Gateshead,total,total,2000,"));
  EXPECT_THAT(lines.back(), StartsWith("2025,Reporting year,Local authority,E92000001,England,"
                                       "E12000007,London,E09000033,Westminster,"));
  // Each value carries its uncertainty from noise and rounding: England (two
  // LAs, variance 9) sd 3.000, half-width 1.96 * 3 + 2.5 = 8.380; North East
  // (Gateshead alone, variance 9/2) sd 2.121, half-width 6.658.
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  auto field = [&](size_t line, absl::string_view column) -> std::string {
    const std::vector<std::string> fields = absl::StrSplit(lines[line], ',');
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == column) return fields.at(i);
    }
    ADD_FAILURE() << "no column " << column;
    return "";
  };
  EXPECT_EQ(field(1, "cla_noise_sd"), "3.000");
  EXPECT_EQ(field(1, "cla_ci95_half_width"), "8.380");
  EXPECT_EQ(field(1 + per_geography, "cla_noise_sd"), "2.121");
  EXPECT_EQ(field(1 + per_geography, "cla_ci95_half_width"), "6.658");
}

TEST_F(ReleaseCommandTest, AnLaCertificateIsRefusedAndNothingIsWritten) {
  Store(MakeRequest(kWestminster, 1001));
  EXPECT_EQ(RunReleaseCommand(Args("la")), 1);
  EXPECT_NE(::access(Path("out.csv").c_str(), F_OK), 0);
}

TEST_F(ReleaseCommandTest, AYearWithNothingSubmittedFails) {
  EXPECT_EQ(RunReleaseCommand(Args("recipient", 2024)), 1);
  EXPECT_NE(::access(Path("out.csv").c_str(), F_OK), 0);
}

TEST_F(ReleaseCommandTest, UsageErrorsExitTwoAndMissingFilesExitOne) {
  EXPECT_EQ(RunReleaseCommand({"--year", "2025"}), 2);
  std::vector<std::string> bad_year = Args("recipient");
  bad_year[9] = "twenty";
  EXPECT_EQ(RunReleaseCommand(bad_year), 2);
  std::vector<std::string> missing = Args("recipient");
  missing[3] = Path("nope.pem");
  EXPECT_EQ(RunReleaseCommand(missing), 1);
  EXPECT_EQ(RunReleaseCommand({"--help"}), 0);
}

}  // namespace
}  // namespace ringfence::tools
