// End-to-end: the real binaries on loopback. `ringfence synth` and `ringfence pki` make the
// inputs, `ringfence-coordinator` serves under the shipped policy, `ringfence-node submit`
// submits for three LAs in different regions to the year's annual collection, which an operator
// opened (tests/testing/collections.h) and closes before `ringfence release` fetches the table. In-
// process gRPC clients then try what a misbehaving or misconfigured party would, and every
// attempt must be refused; and each class of reader (mTLS certificate) gets exactly what the
// policy grants it: enforcement nothing derived from nationality, immigration status or NRPF;
// an LA its own LA rows and no other LA's; an unknown class nothing at all.
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "catalogue/catalogue.h"
#include "crypto/testing/deterministic_random_source.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tests/testing/collections.h"
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
// Darlington (North East): good data, but its node runs a policy other than the coordinator's.
// It submits to the 2024 collection, which stays open, so that its refusal is the policy's
// whether or not the 2025 one has been closed by then.
constexpr char kOtherPolicyLa[] = "E06000005";
constexpr int kOtherPolicyYear = 2024;

class RoundTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-e2e"));
    const std::string& d = *dir_;
    const std::string las = absl::StrJoin(kLas, ",") + "," + kBadDataLa + "," + kOtherPolicyLa;
    RunResult r = RunCommand({BinaryPath("ringfence"), "synth", "--la", las, "--year",
                              absl::StrCat(kYear), "--seed", "7", "--out", d + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "synth", "--la", kOtherPolicyLa, "--year",
                    absl::StrCat(kOtherPolicyYear), "--seed", "7", "--out", d + "/data2024"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Break Hartlepool's data: an impossible date of birth on the first child.
    BreakFirstDob(d + "/data/" + kBadDataLa);
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la", las});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/other-pki", "--la",
             kLas[0]});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "issue", "--ca-dir", d + "/pki", "--out-prefix",
             d + "/expired", "--la", kLas[0], "--expired"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A recipient of a class the policy does not know (the CA will sign anything it is asked).
    r = RunCommand({BinaryPath("ringfence"), "pki", "issue", "--ca-dir", d + "/pki", "--out-prefix",
                    d + "/someclass", "--recipient", "someclass:mallory"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A policy that passes every check but is not the coordinator's: another name, so another
    // digest.
    const std::string shipped = policy::testing::ShippedPolicyText();
    const std::string variant =
        absl::StrReplaceAll(shipped, {{"name: \"england-2025\"", "name: \"england-2025-b\""}});
    ASSERT_NE(variant, shipped);
    ASSERT_TRUE(base::WriteFileAtomically(d + "/other-policy.textproto", variant).ok());

    absl::StatusOr<policy::Policy> p = policy::LoadPolicyFile(policy::testing::ShippedPolicyPath());
    ASSERT_TRUE(p.ok()) << p.status();
    policy_ = new policy::Policy(*std::move(p));

    testing::RunningCoordinator c =
        testing::StartCoordinator(d, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    coordinator_ = c.process.release();
    address_ = new std::string(c.address);
    // The operator opens the year's collection for the LAs that take part (Hartlepool is
    // expected too; its data stops its node before anything is sent).
    std::vector<std::string> expected = kLas;
    expected.push_back(kBadDataLa);
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(Admin(), kYear, expected);
    ASSERT_TRUE(opened.ok()) << opened.status();
    opened = testing::OpenAnnualCollection(Admin(), kOtherPolicyYear, {kOtherPolicyLa});
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  static testing::CollectionAdminTarget Admin() {
    return testing::CollectionAdminTarget{*address_, *dir_ + "/pki"};
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

  static RunResult Submit(const std::string& la, const std::string& pki = "pki",
                          const std::string& policy_file = policy::testing::ShippedPolicyPath(),
                          int year = kYear) {
    const std::string data = year == kYear ? "/data/" : absl::StrCat("/data", year, "/");
    return RunCommand({BinaryPath("ringfence-node"),
                       "submit",
                       "--policy",
                       policy_file,
                       "--data",
                       Dir() + data + la,
                       "--la",
                       la,
                       "--year",
                       absl::StrCat(year),
                       "--ledger",
                       Dir() + "/ledger-" + pki + "-" + la + ".sqlite",
                       "--coordinator",
                       Address(),
                       "--cert",
                       Dir() + "/" + pki + "/la/" + la + ".pem",
                       "--key",
                       Dir() + "/" + pki + "/la/" + la + ".key",
                       "--ca",
                       Dir() + "/" + pki + "/ca.pem"});
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

  // A well-formed protected grid for `la_code` under the shipped policy, built with the
  // node's own code.
  static v1::SubmitRequest Request(const std::string& la_code) {
    crypto::testing::DeterministicRandomSource rng(11);
    std::vector<int64_t> exact(catalogue::GridCells().size(), 50);
    auto grid = node::ProtectGrid(exact, Policy(), rng);
    EXPECT_TRUE(grid.ok()) << grid.status();
    auto req = node::BuildSubmitRequest(la_code, kYear, Policy(), *grid);
    EXPECT_TRUE(req.ok()) << req.status();
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

  static grpc::Status RawRelease(std::shared_ptr<grpc::Channel> channel, v1::ReleaseResponse* resp,
                                 const std::vector<v1::GeographicLevel>& levels = {}) {
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReleaseRequest req;
    req.set_year(kYear);
    for (v1::GeographicLevel l : levels) req.add_levels(l);
    return stub->Release(&ctx, req, resp);
  }

  // A channel authenticated as recipient CLASS-NAME of `ringfence pki init`.
  static std::shared_ptr<grpc::Channel> RecipientChannel(const std::string& class_and_name) {
    return Channel(Dir() + "/pki/recipients/" + class_and_name + ".pem",
                   Dir() + "/pki/recipients/" + class_and_name + ".key");
  }
  static std::shared_ptr<grpc::Channel> LaChannel(const std::string& la) {
    return Channel(Dir() + "/pki/la/" + la + ".pem", Dir() + "/pki/la/" + la + ".key");
  }

  // `ringfence release` with the certificate at PREFIX.pem/.key; the CSV goes to `out`.
  static RunResult ReleaseCommand(const std::string& prefix, const std::string& out,
                                  const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {BinaryPath("ringfence"),
                                     "release",
                                     "--coordinator",
                                     Address(),
                                     "--cert",
                                     prefix + ".pem",
                                     "--key",
                                     prefix + ".key",
                                     "--ca",
                                     Dir() + "/pki/ca.pem",
                                     "--year",
                                     absl::StrCat(kYear),
                                     "--out",
                                     out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }

  // The three LAs' round, once per suite (the first test to need it submits); the operator
  // then closes the collection, so that it may be released.
  static void SubmitRound() {
    for (const std::string& la : kLas) {
      RunResult r = Submit(la);
      ASSERT_EQ(r.exit_code, 0) << la << ": " << r.err;
      EXPECT_THAT(r.out, HasSubstr("receipt"));
    }
    absl::StatusOr<v1::Collection> closed =
        testing::CloseCollection(Admin(), absl::StrCat(kYear, "-annual"));
    ASSERT_TRUE(closed.ok()) << closed.status();
    ASSERT_EQ(closed->state(), v1::Collection::CLOSED);
    round_submitted_ = true;
  }
  static void EnsureRoundSubmitted() {
    if (!round_submitted_) SubmitRound();
  }

  static const policy::Policy& Policy() { return *policy_; }

  static std::string* dir_;
  static std::string* address_;
  static policy::Policy* policy_;
  static bool round_submitted_;
  static testing::BackgroundProcess* coordinator_;
};

std::string* RoundTest::dir_ = nullptr;
std::string* RoundTest::address_ = nullptr;
policy::Policy* RoundTest::policy_ = nullptr;
bool RoundTest::round_submitted_ = false;
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
  if (!round_submitted_) SubmitRound();
  int64_t exact_sum = 0;
  for (const std::string& la : kLas) exact_sum += ExactTotal(Dir(), la);
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
  // Rows of the cla indicator that a DfE analyst receives: under the shipped policy, every
  // cla cell at every level, nationality and the other sensitive breakdowns included.
  int cells_per_geography = 0;
  for (const catalogue::CellKey& key : catalogue::GridCells()) {
    if (key.indicator == "cla" &&
        policy::Receives(Policy(), "dfe_analyst", key.indicator, key.breakdown,
                         policy::GeoLevel::kLocalAuthority)) {
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
  // Refused (the collection is still open) or a release without the LA: either way nothing of
  // it.
  ASSERT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
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

TEST_F(RoundTest, RecipientCannotSubmit) {
  grpc::Status s = RawSubmit(RecipientChannel("public-web"), Request(kLas[0]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

// --- The firewall over mTLS: each certificate gets what the policy grants its class ---------

policy::GeoLevel LevelOf(const v1::ReleasedCell& c) {
  switch (c.level()) {
    case v1::NATIONAL:
      return policy::GeoLevel::kNational;
    case v1::REGIONAL:
      return policy::GeoLevel::kRegional;
    default:
      return policy::GeoLevel::kLocalAuthority;
  }
}

// "level|region|la|indicator/breakdown/group": one released cell's identity, for set
// comparisons.
std::string CellId(const v1::ReleasedCell& c) {
  return absl::StrCat(c.level(), "|", c.region_code(), "|", c.la_code(), "|", c.key().indicator(),
                      "/", c.key().breakdown(), "/", c.key().group());
}

bool SensitiveBreakdown(const std::string& breakdown) {
  return breakdown == "nationality" || breakdown == "immigration_status" || breakdown == "nrpf";
}

TEST_F(RoundTest, DfeAnalystReceivesEveryCellNationalityIncluded) {
  EnsureRoundSubmitted();
  v1::ReleaseResponse release;
  grpc::Status s = RawRelease(RecipientChannel("dfe_analyst-analyst1"), &release);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(release.recipient_class(), "dfe_analyst");
  EXPECT_EQ(release.policy_digest(), Policy().digest);
  // England, three regions, three LAs: every cell the policy sends, at each.
  EXPECT_EQ(static_cast<size_t>(release.cells_size()), 7 * policy::SendableCells(Policy()).size());
  std::map<int, int> nationality_by_level;
  for (const v1::ReleasedCell& c : release.cells()) {
    if (c.key().breakdown() == "nationality") ++nationality_by_level[c.level()];
  }
  EXPECT_GT(nationality_by_level[v1::NATIONAL], 0);
  EXPECT_EQ(nationality_by_level[v1::REGIONAL], 3 * nationality_by_level[v1::NATIONAL]);
  EXPECT_EQ(nationality_by_level[v1::LOCAL_AUTHORITY], 3 * nationality_by_level[v1::NATIONAL]);
}

TEST_F(RoundTest, EnforcementReceivesExactlyWhatThePolicyAllowsAndNothingSensitive) {
  EnsureRoundSubmitted();
  // Everything, as the class that receives everything sees it.
  v1::ReleaseResponse all;
  ASSERT_TRUE(RawRelease(RecipientChannel("dfe_analyst-analyst1"), &all).ok());
  std::set<std::string> want;
  for (const v1::ReleasedCell& c : all.cells()) {
    if (policy::Receives(Policy(), policy::kEnforcementClass, c.key().indicator(),
                         c.key().breakdown(), LevelOf(c))) {
      want.insert(CellId(c));
    }
  }
  ASSERT_FALSE(want.empty());

  v1::ReleaseResponse got;
  grpc::Status s = RawRelease(RecipientChannel("home_office_enforcement-enforcement1"), &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.recipient_class(), policy::kEnforcementClass);
  EXPECT_EQ(got.policy_digest(), Policy().digest);
  std::set<std::string> have;
  for (const v1::ReleasedCell& c : got.cells()) {
    EXPECT_FALSE(SensitiveBreakdown(c.key().breakdown())) << CellId(c);
    EXPECT_FALSE(policy::IsTainted(Policy(), c.key().indicator(), c.key().breakdown()))
        << CellId(c);
    have.insert(CellId(c));
  }
  EXPECT_EQ(have.size(), static_cast<size_t>(got.cells_size()));
  EXPECT_EQ(have, want);

  // And through `ringfence release`: a CSV with no row of a sensitive breakdown.
  const std::string csv_path = Dir() + "/enforcement.csv";
  RunResult r =
      ReleaseCommand(Dir() + "/pki/recipients/home_office_enforcement-enforcement1", csv_path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("class home_office_enforcement"));
  const std::string csv_text = ReadFileOrEmpty(csv_path);  // the reader keeps a view of it
  base::CsvReader reader(csv_text, "enforcement.csv");
  base::CsvRow row;
  ASSERT_TRUE(reader.Next(&row));  // header
  int rows = 0;
  while (reader.Next(&row)) {
    ++rows;
    EXPECT_FALSE(SensitiveBreakdown(std::string(row.fields[9]))) << row.fields[9];
  }
  EXPECT_GT(rows, 0);
  // The coordinator logged the release with the class and per-level counts.
  EXPECT_THAT(ReadFileOrEmpty(Dir() + "/coordinator.log"),
              HasSubstr("peer=urn:ringfence:recipient:home_office_enforcement:enforcement1 "
                        "outcome=OK"));
}

TEST_F(RoundTest, ARecipientOfOneClassCannotReadAsAnother) {
  EnsureRoundSubmitted();
  // The class comes from the certificate only: there is no field to claim another, and a
  // class the policy does not know gets nothing.
  v1::ReleaseResponse resp;
  grpc::Status s = RawRelease(Channel(Dir() + "/someclass.pem", Dir() + "/someclass.key"), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("someclass"));
  EXPECT_EQ(resp.cells_size(), 0);
  const std::string csv_path = Dir() + "/someclass.csv";
  RunResult r = ReleaseCommand(Dir() + "/someclass", csv_path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_TRUE(ReadFileOrEmpty(csv_path).empty()) << "a refused release wrote a file";
  EXPECT_THAT(ReadFileOrEmpty(Dir() + "/coordinator.log"),
              HasSubstr("peer=urn:ringfence:recipient:someclass:mallory "
                        "outcome=PERMISSION_DENIED"));

  // A public reader does not see what an analyst sees.
  v1::ReleaseResponse pub;
  ASSERT_TRUE(RawRelease(RecipientChannel("public-web"), &pub).ok());
  EXPECT_EQ(pub.recipient_class(), "public");
  for (const v1::ReleasedCell& c : pub.cells()) {
    EXPECT_FALSE(SensitiveBreakdown(c.key().breakdown())) << CellId(c);
  }
}

TEST_F(RoundTest, AnLaReadsItsOwnLaRowsAndNoOtherLas) {
  EnsureRoundSubmitted();
  v1::ReleaseResponse got;
  grpc::Status s = RawRelease(LaChannel(kLas[0]), &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.recipient_class(), policy::kLaOwnClass);
  std::map<int, int> per_level;
  for (const v1::ReleasedCell& c : got.cells()) {
    ++per_level[c.level()];
    if (c.level() == v1::LOCAL_AUTHORITY) {
      EXPECT_EQ(c.la_code(), kLas[0]) << "an LA read another LA's row: " << CellId(c);
    }
    EXPECT_TRUE(policy::Receives(Policy(), policy::kLaOwnClass, c.key().indicator(),
                                 c.key().breakdown(), LevelOf(c)));
  }
  // Its own grid whole (migrant children included), and England and every region.
  const int sent = static_cast<int>(policy::SendableCells(Policy()).size());
  EXPECT_EQ(per_level[v1::LOCAL_AUTHORITY], sent);
  EXPECT_EQ(per_level[v1::NATIONAL], sent);
  EXPECT_EQ(per_level[v1::REGIONAL], 3 * sent);

  // `ringfence release --level la` with the LA's certificate: only its own rows.
  const std::string csv_path = Dir() + "/own.csv";
  RunResult r = ReleaseCommand(Dir() + "/pki/la/" + kLas[1], csv_path, {"--level", "la"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("class la_own"));
  const std::string csv_text = ReadFileOrEmpty(csv_path);  // the reader keeps a view of it
  base::CsvReader reader(csv_text, "own.csv");
  base::CsvRow row;
  ASSERT_TRUE(reader.Next(&row));
  int rows = 0;
  while (reader.Next(&row)) {
    ++rows;
    EXPECT_EQ(row.fields[2], "Local authority");
    EXPECT_EQ(row.fields[7], kLas[1]);
  }
  EXPECT_GT(rows, 0);
}

TEST_F(RoundTest, TheCoordinatorRefusesToStartWithoutAPolicyThatPassesTheCheck) {
  // The shipped policy with the enforcement grant widened to nationality: it leaks.
  const std::string leaky = absl::StrReplaceAll(
      policy::testing::ShippedPolicyText(),
      {{"indicators: \"cla\"\n    breakdowns: \"total\"\n    levels: NATIONAL",
        "indicators: \"cla\"\n    breakdowns: \"nationality\"\n    levels: NATIONAL"}});
  ASSERT_NE(leaky, policy::testing::ShippedPolicyText());
  ASSERT_TRUE(base::WriteFileAtomically(Dir() + "/leaky.textproto", leaky).ok());
  auto start = [&](const std::vector<std::string>& policy_flag) {
    std::vector<std::string> argv = {BinaryPath("ringfence-coordinator"),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--cert",
                                     Dir() + "/pki/coordinator.pem",
                                     "--key",
                                     Dir() + "/pki/coordinator.key",
                                     "--ca",
                                     Dir() + "/pki/ca.pem",
                                     "--db",
                                     Dir() + "/refused.db"};
    argv.insert(argv.end(), policy_flag.begin(), policy_flag.end());
    return RunCommand(argv, 30);
  };
  RunResult r = start({"--policy", Dir() + "/leaky.textproto"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refusing to start"));
  EXPECT_THAT(r.err, HasSubstr("enforcement-receives-tainted"));
  r = start({"--policy", Dir() + "/no-such-policy.textproto"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no-such-policy.textproto"));
  r = start({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--policy"));
  EXPECT_TRUE(ReadFileOrEmpty(Dir() + "/refused.db").empty()) << "a refused start opened the db";
}

TEST_F(RoundTest, ANodeUnderAnotherPolicyIsRefusedAndNothingIsStored) {
  RunResult r = Submit(kOtherPolicyLa, "pki", Dir() + "/other-policy.textproto", kOtherPolicyYear);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(r.err, HasSubstr(Policy().digest.substr(0, 12)));
  EXPECT_THAT(ReadFileOrEmpty(Dir() + "/coordinator.log"),
              HasSubstr(absl::StrCat("peer=urn:ringfence:la:", kOtherPolicyLa,
                                     " outcome=FAILED_PRECONDITION")));
  // Nothing of it is stored: the collection's status shows the refusal, and no submission.
  absl::StatusOr<v1::CollectionStatus> status =
      testing::GetCollectionStatus(Admin(), absl::StrCat(kOtherPolicyYear, "-annual"));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->las_size(), 1);
  EXPECT_EQ(status->las(0).la_code(), kOtherPolicyLa);
  EXPECT_EQ(status->las(0).state(), v1::LaCollectionStatus::REFUSED);
  EXPECT_EQ(status->las(0).refusal_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(status->submitted(), 0);
}

}  // namespace
}  // namespace ringfence
