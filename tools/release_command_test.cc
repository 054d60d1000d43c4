// `ringfence release` against a real coordinator service on 127.0.0.1 (port 0)
// with mutual TLS from an in-process test PKI written to a temporary folder.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
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
#include "coordinator/collections.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "coordinator/testing/submissions.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/identity.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "policy/disclosure.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

using ::ringfence::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kGateshead[] = "E08000037";
constexpr char kWestminster[] = "E09000033";

// The shipped policy: every cell of the grid is sent; both rules {10, 5}.
const policy::Policy& Shipped() {
  static const policy::Policy* const kPolicy = [] {
    absl::StatusOr<policy::Policy> p = coordinator::testing::ShippedPolicy();
    if (!p.ok()) ADD_FAILURE() << p.status();
    return new policy::Policy(p.ok() ? *std::move(p) : policy::Policy());
  }();
  return *kPolicy;
}

ringfence::v1::SubmitRequest MakeRequest(const std::string& la, int64_t base) {
  std::vector<int64_t> noisy;
  int64_t v = base;
  for (size_t i = 0; i < coordinator::testing::SentCells(Shipped()).size(); ++i, v += 11) {
    noisy.push_back(v);
  }
  return coordinator::SubmissionToProto(
      coordinator::testing::MakeSubmission(Shipped(), la, 2025, noisy, {9, 2}));
}

class ReleaseCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_release_command_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    absl::StatusOr<coordinator::testing::TestPki> pki = coordinator::testing::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    pki_ = std::make_unique<coordinator::testing::TestPki>(*std::move(pki));
    ASSERT_THAT(base::WriteFileAtomically(Path("ca.pem"), pki_->ca().cert_pem), IsOk());
    WriteClient("recipient", crypto::RecipientUri("dfe_analyst", "alice"));
    WriteClient("enforcement", crypto::RecipientUri("home_office_enforcement", "eve"));
    WriteClient("unknown", crypto::RecipientUri("someclass", "mallory"));
    WriteClient("la", crypto::LaUri(kWestminster));

    absl::StatusOr<std::unique_ptr<coordinator::SubmissionStore>> store =
        coordinator::SubmissionStore::Open(Path("coordinator.db"));
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    service_ = std::make_unique<coordinator::CoordinatorServiceImpl>(store_.get(), Shipped(),
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
         {"ca.pem", "recipient.pem", "recipient.key", "enforcement.pem", "enforcement.key",
          "unknown.pem", "unknown.key", "la.pem", "la.key", "coordinator.db", "coordinator.db-wal",
          "coordinator.db-shm", "out.csv"}) {
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

  // Stores `request` in its year's annual collection, opened here (idempotently) expecting
  // every LA the tests use.
  void Store(const ringfence::v1::SubmitRequest& request) {
    absl::StatusOr<std::string> bytes = coordinator::SerializeDeterministically(request);
    ASSERT_THAT(bytes, IsOk());
    coordinator::CollectionRecord c;
    c.collection_id = coordinator::AnnualCollectionId(request.year());
    c.year = request.year();
    c.period = coordinator::CollectionPeriod::kAnnual;
    const coordinator::CollectionWindow window =
        coordinator::WindowsOf(coordinator::CollectionPeriod::kAnnual, request.year())[0];
    c.period_start = window.start;
    c.period_end = window.end;
    c.deadline = absl::FromUnixSeconds(4'000'000'000);
    c.expected_la_codes = {kGateshead, kWestminster};
    std::sort(c.expected_la_codes.begin(), c.expected_la_codes.end());
    c.opened_at = absl::Now();
    c.opened_by = "urn:ringfence:operator:test";
    ASSERT_THAT(store_->OpenCollection(c), IsOk());
    ASSERT_THAT(store_->Insert(c.collection_id, request.la_code(), request.year(),
                               request.catalogue_version(), *bytes, absl::Now()),
                IsOk());
  }

  // The release command reads closed collections only: closes `year`'s annual collection if
  // the test stored anything in it.
  void CloseYear(int year) {
    absl::StatusOr<coordinator::CollectionRecord> closed = store_->CloseCollection(
        coordinator::AnnualCollectionId(year), "urn:ringfence:operator:test", absl::Now());
    if (!closed.ok()) {
      EXPECT_EQ(closed.status().code(), absl::StatusCode::kNotFound);
    }
  }

  std::vector<std::string> Args(const std::string& who, int year = 2025) {
    CloseYear(year);
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
  // One CSV row per geography x (breakdown, group) that a DfE analyst receives: under the
  // shipped policy, every distinct (breakdown, group) of the catalogue, nationality included.
  std::set<std::pair<std::string, std::string>> row_keys;
  for (const catalogue::CellKey& key : catalogue::GridCells()) {
    row_keys.emplace(key.breakdown, key.group);
  }
  const size_t per_geography = row_keys.size();
  // 1001 + 2002 = 3003 -> 3005; variance 9/2 + 9/2 = 9, SD 3.0.
  EXPECT_EQ(out, absl::StrCat("release 2025: 2 LAs, ", 5 * per_geography, " rows written to ",
                              Path("out.csv"), "; England cla 3005 (noise SD 3.0); class ",
                              "dfe_analyst, policy ", Shipped().digest.substr(0, 12), "\n"));
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

// The CSV's data lines.
std::vector<std::string> DataLines(const std::string& csv) {
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  if (!lines.empty()) lines.erase(lines.begin());
  return lines;
}

TEST_F(ReleaseCommandTest, AnLaCertificateReadsItsOwnLaRowsAndNoOtherLas) {
  Store(MakeRequest(kWestminster, 1001));
  Store(MakeRequest(kGateshead, 2002));
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunReleaseCommand(Args("la")), 0);
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), HasSubstr("; class la_own, policy "));
  std::string csv;
  ASSERT_THAT(base::ReadFileToString(Path("out.csv"), &csv), IsOk());
  int own = 0, national = 0, regional = 0;
  for (const std::string& line : DataLines(csv)) {
    EXPECT_THAT(line, Not(HasSubstr(kGateshead))) << "an LA read another LA's row";
    own += line.find(",Local authority,") != std::string::npos;
    national += line.find(",National,") != std::string::npos;
    regional += line.find(",Regional,") != std::string::npos;
  }
  EXPECT_GT(own, 0);
  EXPECT_EQ(own, national);           // Westminster, as many rows as England
  EXPECT_EQ(regional, 2 * national);  // London and the North East
}

TEST_F(ReleaseCommandTest, AnEnforcementCertificateGetsNoSensitiveBreakdown) {
  Store(MakeRequest(kWestminster, 1001));
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunReleaseCommand(Args("enforcement")), 0);
  EXPECT_THAT(::testing::internal::GetCapturedStdout(),
              HasSubstr("; class home_office_enforcement, policy "));
  std::string csv;
  ASSERT_THAT(base::ReadFileToString(Path("out.csv"), &csv), IsOk());
  const std::vector<std::string> lines = DataLines(csv);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    for (const char* sensitive : {",nationality,", ",immigration_status,", ",nrpf,"}) {
      EXPECT_THAT(line, Not(HasSubstr(sensitive)));
    }
  }
}

TEST_F(ReleaseCommandTest, AnUnknownClassGetsNothingAndNothingIsWritten) {
  Store(MakeRequest(kWestminster, 1001));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunReleaseCommand(Args("unknown")), 1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              AllOf(HasSubstr("PERMISSION_DENIED"), HasSubstr("'someclass'")));
  EXPECT_NE(::access(Path("out.csv").c_str(), F_OK), 0);
}

TEST_F(ReleaseCommandTest, LevelsMayBeRepeatedOrListedAndNarrowTheCsv) {
  Store(MakeRequest(kWestminster, 1001));
  Store(MakeRequest(kGateshead, 2002));
  auto levels_in = [&]() {
    std::string csv;
    EXPECT_THAT(base::ReadFileToString(Path("out.csv"), &csv), IsOk());
    std::set<std::string> seen;
    for (const std::string& line : DataLines(csv)) {
      const std::vector<std::string> fields = absl::StrSplit(line, ',');
      seen.insert(fields.at(2));
    }
    return seen;
  };
  std::vector<std::string> args = Args("recipient");
  args.insert(args.end(), {"--level", "national", "--level=la"});
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunReleaseCommand(args), 0);
  ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(levels_in(), (std::set<std::string>{"National", "Local authority"}));

  args = Args("recipient");
  args.insert(args.end(), {"--level", "regional"});
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunReleaseCommand(args), 0);
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), HasSubstr("England cla not in release"));
  EXPECT_EQ(levels_in(), (std::set<std::string>{"Regional"}));

  args = Args("recipient");
  args.insert(args.end(), {"--level", "national, regional"});
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunReleaseCommand(args), 0);
  ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(levels_in(), (std::set<std::string>{"National", "Regional"}));

  args = Args("recipient");
  args.insert(args.end(), {"--level", "county"});
  EXPECT_EQ(RunReleaseCommand(args), 2);
}

TEST_F(ReleaseCommandTest, AYearWithNothingSubmittedFails) {
  EXPECT_EQ(RunReleaseCommand(Args("recipient", 2024)), 1);
  EXPECT_NE(::access(Path("out.csv").c_str(), F_OK), 0);
}

TEST_F(ReleaseCommandTest, ACollectionIsReleasedOnlyOnceClosedAndOnlyForItsYear) {
  Store(MakeRequest(kWestminster, 1001));
  // Args(who, 2026) closes nothing of 2025: 2025-annual stays open.
  std::vector<std::string> open = Args("recipient", 2026);
  open[9] = "2025";
  open.insert(open.end(), {"--collection", "2025-annual"});
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunReleaseCommand(open), 1);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              AllOf(HasSubstr("release of 2025-annual from "), HasSubstr("FAILED_PRECONDITION"),
                    HasSubstr("open")));
  EXPECT_NE(::access(Path("out.csv").c_str(), F_OK), 0);

  // Another year's collection, or no collection id at all: usage errors, nothing is asked.
  std::vector<std::string> other_year = Args("recipient");
  other_year.insert(other_year.end(), {"--collection", "2024-annual"});
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunReleaseCommand(other_year), 2);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("--collection 2024-annual is not of --year 2025"));
  std::vector<std::string> bad_id = Args("recipient");
  bad_id.insert(bad_id.end(), {"--collection", "2025-q9"});
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunReleaseCommand(bad_id), 2);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("--collection: '2025-q9' is not a collection id"));

  // Closed (by Args), it is released, by its id as by default.
  std::vector<std::string> closed = Args("recipient");
  closed.insert(closed.end(), {"--collection", "2025-annual"});
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(RunReleaseCommand(closed), 0);
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), HasSubstr("release 2025: 1 LA, "));
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
