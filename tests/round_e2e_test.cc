// End-to-end: the real binaries on loopback. `ringfence synth` and `ringfence pki` make the
// inputs, `ringfence-coordinator` serves, `ringfence-node submit` submits for three LAs in
// different regions, and `ringfence release` fetches the table. In-process gRPC clients then
// try what a misbehaving or misconfigured party would, and every attempt must be refused.
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "catalogue/catalogue.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "crypto/testing/deterministic_random_source.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "policy/testing/policy_text.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using ::testing::HasSubstr;
using testing::BinaryPath;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;
// Three LAs in three regions: Westminster (London), Birmingham (West Midlands) and County
// Durham (North East). Hartlepool has certificates but bad data.
const std::vector<std::string> kLas = {"E09000033", "E08000025", "E06000047"};
constexpr char kBadDataLa[] = "E06000001";

class RoundTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-e2e"));
    const std::string& d = *dir_;
    RunResult r = RunCommand({BinaryPath("ringfence"), "synth", "--la",
                       absl::StrJoin(kLas, ",") + "," + kBadDataLa, "--year",
                       absl::StrCat(kYear), "--seed", "7", "--out", d + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Break Hartlepool's data: an impossible date of birth on the first child.
    BreakFirstDob(d + "/data/" + kBadDataLa);
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la",
             absl::StrJoin(kLas, ",") + "," + kBadDataLa});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/other-pki", "--la",
             kLas[0]});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "issue", "--ca-dir", d + "/pki", "--out-prefix",
             d + "/expired", "--la", kLas[0], "--expired"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    coordinator_ = new testing::BackgroundProcess(
        {BinaryPath("ringfence-coordinator"), "--listen", "127.0.0.1:0", "--cert",
         d + "/pki/coordinator.pem", "--key", d + "/pki/coordinator.key", "--ca",
         d + "/pki/ca.pem", "--db", d + "/coordinator.db", "--port-file", d + "/port"},
        d + "/coordinator.log");
    std::string port = testing::WaitForFile(d + "/port", 30);
    ASSERT_FALSE(port.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    address_ = new std::string("127.0.0.1:" + std::string(absl::StripAsciiWhitespace(port)));
  }

  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
  }

  static void BreakFirstDob(const std::string& la_dir) {
    // Find the Header file by its header row and corrupt the DOB of its first data row.
    for (const char* name : {"header.csv", "Header.csv"}) {
      std::string path = la_dir + "/" + name;
      std::string text = ReadFileOrEmpty(path);
      if (text.empty()) continue;
      std::vector<std::string> lines = absl::StrSplit(text, '\n');
      std::vector<std::string> cols = absl::StrSplit(lines[0], ',');
      size_t dob = std::find(cols.begin(), cols.end(), "DOB") - cols.begin();
      std::vector<std::string> fields = absl::StrSplit(lines[1], ',');
      fields[dob] = "31/02/2015";
      lines[1] = absl::StrJoin(fields, ",");
      ASSERT_TRUE(base::WriteFileAtomically(path, absl::StrJoin(lines, "\n")).ok());
      return;
    }
    FAIL() << "no header.csv in " << la_dir;
  }

  static std::string Dir() { return *dir_; }
  static std::string Address() { return *address_; }

  static RunResult Submit(const std::string& la, const std::string& pki = "pki") {
    return RunCommand({BinaryPath("ringfence-node"), "submit", "--policy",
                       policy::testing::ShippedPolicyPath(), "--data", Dir() + "/data/" + la, "--la",
                la, "--year", absl::StrCat(kYear), "--ledger",
                Dir() + "/ledger-" + pki + "-" + la + ".sqlite", "--coordinator", Address(), "--cert",
                Dir() + "/" + pki + "/la/" + la + ".pem", "--key",
                Dir() + "/" + pki + "/la/" + la + ".key", "--ca", Dir() + "/" + pki + "/ca.pem"});
  }

  static std::shared_ptr<grpc::Channel> Channel(const std::string& cert_path,
                                                const std::string& key_path) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = ReadFileOrEmpty(Dir() + "/pki/ca.pem");
    if (!cert_path.empty()) {
      opts.pem_cert_chain = ReadFileOrEmpty(cert_path);
      opts.pem_private_key = ReadFileOrEmpty(key_path);
    }
    return grpc::CreateChannel(Address(), grpc::SslCredentials(opts));
  }

  // A well-formed protected grid for `la_code`, built with the node's own code.
  static v1::SubmitRequest Request(const std::string& la_code) {
    crypto::testing::DeterministicRandomSource rng(11);
    std::vector<int64_t> exact(catalogue::GridCells().size(), 50);
    auto grid = node::ProtectGrid(exact, node::PrivacyBudget{}, policy::kDefaultDisclosureRule,
                                  rng);
    EXPECT_TRUE(grid.ok());
    auto req = node::BuildSubmitRequest(la_code, kYear, *grid);
    EXPECT_TRUE(req.ok());
    return *req;
  }

  static grpc::Status RawSubmit(std::shared_ptr<grpc::Channel> channel,
                                const v1::SubmitRequest& req) {
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SubmitResponse resp;
    return stub->Submit(&ctx, req, &resp);
  }

  static grpc::Status RawRelease(std::shared_ptr<grpc::Channel> channel,
                                 v1::ReleaseResponse* resp) {
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReleaseRequest req;
    req.set_year(kYear);
    return stub->Release(&ctx, req, resp);
  }

  static std::string* dir_;
  static std::string* address_;
  static testing::BackgroundProcess* coordinator_;
};

std::string* RoundTest::dir_ = nullptr;
std::string* RoundTest::address_ = nullptr;
testing::BackgroundProcess* RoundTest::coordinator_ = nullptr;

// The exact total of `la` from the node's own local preview.
int64_t ExactTotal(const std::string& dir, const std::string& la) {
  RunResult r = RunCommand({BinaryPath("ringfence-node"), "preview", "--policy",
                            policy::testing::ShippedPolicyPath(), "--data", dir + "/data/" + la,
                     "--la", la, "--year", absl::StrCat(kYear), "--exact"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (absl::StartsWith(line, "cla,total,total,")) {
      int64_t v = 0;
      EXPECT_TRUE(absl::SimpleAtoi(line.substr(16), &v));
      return v;
    }
  }
  ADD_FAILURE() << "no cla,total,total line in preview:\n" << r.out;
  return 0;
}

TEST_F(RoundTest, FullRoundForThreeLasReleasesRegionalAndEnglandTotals) {
  int64_t exact_sum = 0;
  for (const std::string& la : kLas) {
    RunResult r = Submit(la);
    ASSERT_EQ(r.exit_code, 0) << la << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("receipt"));
    exact_sum += ExactTotal(Dir(), la);
  }
  ASSERT_GT(exact_sum, 100);

  const std::string csv_path = Dir() + "/release.csv";
  RunResult r = RunCommand({BinaryPath("ringfence"), "release", "--coordinator", Address(), "--cert",
                     Dir() + "/pki/recipients/dfe_analyst-analyst1.pem", "--key",
                     Dir() + "/pki/recipients/dfe_analyst-analyst1.key", "--ca",
                     Dir() + "/pki/ca.pem", "--year", absl::StrCat(kYear), "--out", csv_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::string csv = ReadFileOrEmpty(csv_path);
  base::CsvReader reader(csv, "release.csv");
  base::CsvRow row;
  ASSERT_TRUE(reader.Next(&row));
  // The EES layout: fixed geography and filter columns, one value column per indicator, then
  // each indicator's noise SD and 95% interval half-width.
  const std::vector<std::string> header(row.fields.begin(), row.fields.end());
  ASSERT_GE(header.size(), 14u);
  EXPECT_EQ(absl::StrJoin(header.begin(), header.begin() + 11, ","),
            "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
            "region_name,new_la_code,la_name,breakdown,group");
  const size_t indicators = (header.size() - 11) / 3;
  ASSERT_EQ(11 + 3 * indicators, header.size());
  for (size_t i = 0; i < indicators; ++i) {
    EXPECT_EQ(header[11 + indicators + 2 * i], header[11 + i] + "_noise_sd");
    EXPECT_EQ(header[12 + indicators + 2 * i], header[11 + i] + "_ci95_half_width");
  }
  auto column = [&header](const std::string& name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  const size_t cla_column = column("cla");
  const size_t cla_sd_column = column("cla_noise_sd");
  const size_t cla_half_width_column = column("cla_ci95_half_width");
  ASSERT_LT(cla_column, 11 + indicators);
  ASSERT_LT(cla_half_width_column, header.size());
  std::map<std::string, int> levels;
  std::map<std::string, std::string> la_totals;
  std::string england_total, england_sd, england_half_width;
  while (reader.Next(&row)) {
    ASSERT_EQ(row.fields.size(), header.size());
    EXPECT_EQ(row.fields[0], absl::StrCat(kYear));
    EXPECT_EQ(row.fields[3], "E92000001");
    const std::string level(row.fields[2]);
    if (row.fields[cla_column] != "z" && row.fields[cla_column] != "x") ++levels[level];
    for (size_t i = 11; i < 11 + indicators; ++i) {
      const std::string value(row.fields[i]);
      if (value == "c" || value == "z" || value == "x") continue;
      int64_t v = 0;
      ASSERT_TRUE(absl::SimpleAtoi(value, &v)) << header[i] << ": " << value;
      EXPECT_EQ(v % 5, 0) << header[i] << " not rounded to 5: " << v;
    }
    const std::string value(row.fields[cla_column]);
    if (row.fields[9] == "total") {
      if (level == "National") {
        england_total = value;
        england_sd = std::string(row.fields[cla_sd_column]);
        england_half_width = std::string(row.fields[cla_half_width_column]);
      }
      if (level == "Local authority") la_totals[std::string(row.fields[7])] = value;
    }
  }
  ASSERT_TRUE(reader.status().ok()) << reader.status();
  // Rows of the cla indicator that the release carries (sensitive breakdowns are withheld).
  int cells_per_geography = 0;
  for (const catalogue::CellKey& key : catalogue::GridCells()) {
    if (key.indicator == "cla" && !catalogue::FindBreakdown(key.breakdown)->sensitive) {
      ++cells_per_geography;
    }
  }
  EXPECT_EQ(levels["National"], cells_per_geography);
  EXPECT_EQ(levels["Regional"], 3 * cells_per_geography);
  EXPECT_EQ(levels["Local authority"], 3 * cells_per_geography);
  EXPECT_EQ(la_totals.size(), 3u);
  EXPECT_EQ(la_totals.count(kBadDataLa), 0u) << "an LA with bad data must not be in the release";

  // England total: the sum of three noisy totals, rounded to 5. Its noise variance is the sum
  // of the LAs' variances (as released), so it lies within 2.5 + 8 sd of the exact sum; a
  // correct round fails this with probability below 1e-15.
  v1::ReleaseResponse release;
  ASSERT_TRUE(RawRelease(Channel(Dir() + "/pki/recipients/dfe_analyst-analyst1.pem",
                                 Dir() + "/pki/recipients/dfe_analyst-analyst1.key"),
                         &release)
                  .ok());
  double variance = -1;
  for (const v1::ReleasedCell& cell : release.cells()) {
    if (cell.level() == v1::NATIONAL && cell.key().breakdown() == "total" &&
        cell.key().indicator() == "cla") {
      variance = static_cast<double>(cell.noise_variance_numerator()) /
                 static_cast<double>(cell.noise_variance_denominator());
      EXPECT_EQ(cell.contributing_las(), 3);
    }
  }
  ASSERT_GT(variance, 0);
  // The CSV's uncertainty is the released variance's, to three decimals: sd, and the 95%
  // half-width 1.96 sd + 2.5 (rounding to 5).
  double sd = 0, half_width = 0;
  ASSERT_TRUE(absl::SimpleAtod(england_sd, &sd)) << england_sd;
  ASSERT_TRUE(absl::SimpleAtod(england_half_width, &half_width)) << england_half_width;
  EXPECT_NEAR(sd, std::sqrt(variance), 5e-4);
  EXPECT_NEAR(half_width, 1.96 * std::sqrt(variance) + 2.5, 5e-4);
  int64_t england = 0;
  ASSERT_TRUE(absl::SimpleAtoi(england_total, &england)) << england_total;
  EXPECT_LE(std::llabs(england - exact_sum), 2.5 + 8 * std::sqrt(variance))
      << "exact " << exact_sum << ", noise variance " << variance;
}

TEST_F(RoundTest, DataErrorsStopTheNodeAndNothingIsSent) {
  RunResult r = Submit(kBadDataLa);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(":2: DOB:"));
  EXPECT_THAT(r.err, HasSubstr("nothing was sent"));
  v1::ReleaseResponse resp;
  grpc::Status s = RawRelease(Channel(Dir() + "/pki/recipients/dfe_analyst-analyst1.pem",
                                      Dir() + "/pki/recipients/dfe_analyst-analyst1.key"),
                              &resp);
  // NOT_FOUND (nothing submitted yet) or a release without the LA: either way nothing of it.
  ASSERT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::NOT_FOUND) << s.error_message();
  for (const auto& la : resp.la_codes()) EXPECT_NE(la, kBadDataLa);
}

TEST_F(RoundTest, ClientWithoutCertificateCannotConnect) {
  grpc::Status s = RawSubmit(Channel("", ""), Request(kLas[0]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(RoundTest, CertificateFromAnotherCaCannotConnect) {
  grpc::Status s = RawSubmit(Channel(Dir() + "/other-pki/la/" + kLas[0] + ".pem",
                                     Dir() + "/other-pki/la/" + kLas[0] + ".key"),
                             Request(kLas[0]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // And the node binary reports the failure instead of pretending success.
  RunResult r = Submit(kLas[0], "other-pki");
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(RoundTest, ExpiredCertificateCannotConnect) {
  grpc::Status s = RawSubmit(Channel(Dir() + "/expired.pem", Dir() + "/expired.key"),
                             Request(kLas[0]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(RoundTest, LaCertificateCannotSubmitForAnotherLa) {
  grpc::Status s = RawSubmit(Channel(Dir() + "/pki/la/" + kLas[0] + ".pem",
                                     Dir() + "/pki/la/" + kLas[0] + ".key"),
                             Request(kLas[1]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(kLas[1]));
}

TEST_F(RoundTest, RecipientCannotSubmitAndLaCannotRelease) {
  grpc::Status s = RawSubmit(Channel(Dir() + "/pki/recipients/public-web.pem",
                                     Dir() + "/pki/recipients/public-web.key"),
                             Request(kLas[0]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  v1::ReleaseResponse resp;
  s = RawRelease(Channel(Dir() + "/pki/la/" + kLas[0] + ".pem",
                         Dir() + "/pki/la/" + kLas[0] + ".key"),
                 &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

}  // namespace
}  // namespace ringfence
