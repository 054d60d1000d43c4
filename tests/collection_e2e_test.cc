// Collections end to end, through the real binaries only: the operator runs `ringfence
// collection open|status|close|list`, LAs run `ringfence-node submit`, a recipient runs
// `ringfence release`, against one `ringfence-coordinator` with a PKI from `ringfence pki init`.
// What the operator and the LAs rely on:
//   - nothing is accepted before a collection is opened, and a release is refused while it is
//     open;
//   - after close, a late submission is refused with a message that says the collection is
//     closed and final, and the status shows that refusal against the LA;
//   - `status --wait` exits 0 as soon as every expected LA has submitted, and 1 when the
//     deadline passes without;
//   - a quarterly collection is opened only with one of its year's windows;
//   - only an operator certificate administers collections.
// Each scenario uses its own collection year, so the scenarios do not depend on their order.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/testing/policy_text.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using ::testing::AllOf;
using testing::BackgroundProcess;
using testing::BinaryPath;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

// Westminster (London), Birmingham (West Midlands), County Durham (North East).
constexpr char kWestminster[] = "E09000033";
constexpr char kBirmingham[] = "E08000025";
constexpr char kDurham[] = "E06000047";

class CollectionE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-collection-e2e"));
    const std::string& d = *dir_;
    const std::string las = absl::StrJoin({kWestminster, kBirmingham, kDurham}, ",");
    for (int year : {2024, 2025}) {
      RunResult r =
          RunCommand({BinaryPath("ringfence"), "synth", "--la", las, "--year", absl::StrCat(year),
                      "--seed", "11", "--out", absl::StrCat(d, "/data", year)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    RunResult r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la",
                              las, "--operators", "ops1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::RunningCoordinator c =
        testing::StartCoordinator(d, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    coordinator_ = c.process.release();
    address_ = new std::string(c.address);
  }

  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
  }

  static std::string Dir() { return *dir_; }

  // The connection flags of `ringfence collection` with the certificate at PKI/<who>.
  static std::vector<std::string> Collection(const std::string& sub,
                                             const std::vector<std::string>& flags,
                                             const std::string& who = "operators/ops1") {
    std::vector<std::string> argv = {BinaryPath("ringfence"),
                                     "collection",
                                     sub,
                                     "--coordinator",
                                     *address_,
                                     "--cert",
                                     Dir() + "/pki/" + who + ".pem",
                                     "--key",
                                     Dir() + "/pki/" + who + ".key",
                                     "--ca",
                                     Dir() + "/pki/ca.pem"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return argv;
  }

  static RunResult RunCollection(const std::string& sub, const std::vector<std::string>& flags,
                                 const std::string& who = "operators/ops1") {
    return RunCommand(Collection(sub, flags, who));
  }

  // An RFC 3339 time `from_now` away.
  static std::string In(absl::Duration from_now) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + from_now, absl::UTCTimeZone());
  }

  static RunResult OpenAnnual(int year, const std::vector<std::string>& las,
                              const std::string& deadline = In(absl::Hours(2))) {
    return RunCollection("open", {"--year", absl::StrCat(year), "--period", "annual", "--deadline",
                                  deadline, "--expect", absl::StrJoin(las, ",")});
  }

  static RunResult Submit(const std::string& la, int year) {
    return RunCommand({BinaryPath("ringfence-node"),
                       "submit",
                       "--policy",
                       policy::testing::ShippedPolicyPath(),
                       "--data",
                       absl::StrCat(Dir(), "/data", year, "/", la),
                       "--la",
                       la,
                       "--year",
                       absl::StrCat(year),
                       "--ledger",
                       absl::StrCat(Dir(), "/ledger-", la, "-", year, ".sqlite"),
                       "--coordinator",
                       *address_,
                       "--cert",
                       Dir() + "/pki/la/" + la + ".pem",
                       "--key",
                       Dir() + "/pki/la/" + la + ".key",
                       "--ca",
                       Dir() + "/pki/ca.pem"});
  }

  static RunResult Release(int year, const std::string& out,
                           const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {BinaryPath("ringfence"),
                                     "release",
                                     "--coordinator",
                                     *address_,
                                     "--cert",
                                     Dir() + "/pki/recipients/dfe_analyst-analyst1.pem",
                                     "--key",
                                     Dir() + "/pki/recipients/dfe_analyst-analyst1.key",
                                     "--ca",
                                     Dir() + "/pki/ca.pem",
                                     "--year",
                                     absl::StrCat(year),
                                     "--out",
                                     out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }

  // The status table's row for `la` ("" if none).
  static std::string Row(const std::string& table, const std::string& la) {
    for (absl::string_view line : absl::StrSplit(table, '\n')) {
      if (absl::StartsWith(line, la)) return std::string(line);
    }
    return "";
  }

  static std::string* dir_;
  static std::string* address_;
  static BackgroundProcess* coordinator_;
};

std::string* CollectionE2eTest::dir_ = nullptr;
std::string* CollectionE2eTest::address_ = nullptr;
BackgroundProcess* CollectionE2eTest::coordinator_ = nullptr;

TEST_F(CollectionE2eTest, ACollectionRunsFromOpenToReleaseAndRefusesLateSubmissions) {
  constexpr int kYear = 2025;
  // Nothing is accepted before the operator opens the collection.
  RunResult early = Submit(kWestminster, kYear);
  EXPECT_NE(early.exit_code, 0);
  EXPECT_THAT(early.err, AllOf(HasSubstr("NOT_FOUND"), HasSubstr("2025-annual")));

  const std::string deadline = In(absl::Hours(2));
  RunResult r = OpenAnnual(kYear, {kWestminster, kBirmingham, kDurham}, deadline);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("collection 2025-annual (open)"),
                           HasSubstr("2024-04-01 .. 2025-03-31"),
                           HasSubstr("expected:  3 LAs: E06000047, E08000025, E09000033"),
                           HasSubstr("by urn:ringfence:operator:ops1")));
  // Opening it again with the same parameters is harmless; with others, refused.
  RunResult again = OpenAnnual(kYear, {kDurham, kBirmingham, kWestminster}, deadline);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, r.out);
  r = OpenAnnual(kYear, {kWestminster, kBirmingham}, deadline);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("ALREADY_EXISTS"));

  for (const char* la : {kWestminster, kBirmingham}) {
    r = Submit(la, kYear);
    ASSERT_EQ(r.exit_code, 0) << la << ": " << r.err;
  }
  r = RunCollection("status", {"--collection", "2025-annual"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Row(r.out, kWestminster), AllOf(HasSubstr("Westminster"), HasSubstr("submitted")));
  EXPECT_THAT(Row(r.out, kDurham), AllOf(HasSubstr("County Durham"), HasSubstr("not started")));
  EXPECT_THAT(r.out, HasSubstr("2025-annual: 2/3 submitted (0 late), 0 refused, 1 not started, "
                               "deadline "));
  EXPECT_THAT(r.out, HasSubstr("(open)"));

  // Released only once closed: nothing is written while it is open.
  const std::string csv = Dir() + "/release-2025.csv";
  r = Release(kYear, csv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("FAILED_PRECONDITION"), HasSubstr("2025-annual")));
  EXPECT_TRUE(ReadFileOrEmpty(csv).empty());

  r = RunCollection("close", {"--collection", "2025-annual"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("collection 2025-annual (closed)"), HasSubstr("closed:  "),
                           HasSubstr("by urn:ringfence:operator:ops1")));

  // Durham is late: refused, clearly, and nothing of it is stored.
  r = Submit(kDurham, kYear);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("FAILED_PRECONDITION"), HasSubstr("closed"), HasSubstr("final")));
  r = RunCollection("status", {"--collection", "2025-annual"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Row(r.out, kDurham),
              AllOf(HasSubstr("refused"), HasSubstr("FAILED_PRECONDITION"), HasSubstr("closed")));
  EXPECT_THAT(r.out, HasSubstr("2025-annual: 2/3 submitted (0 late), 1 refused, 0 not started"));
  EXPECT_THAT(r.out, HasSubstr("(closed)"));

  // The release holds the two LAs that submitted, and not Durham.
  r = Release(kYear, csv, {"--collection", "2025-annual"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("release 2025: 2 LAs"));
  const std::string text = ReadFileOrEmpty(csv);
  EXPECT_THAT(text,
              AllOf(HasSubstr(kWestminster), HasSubstr(kBirmingham), Not(HasSubstr(kDurham))));

  // The list shows it closed.
  r = RunCollection("list", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2025-annual  closed"));
}

TEST_F(CollectionE2eTest, StatusWaitExitsZeroOnceEveryExpectedLaHasSubmitted) {
  constexpr int kYear = 2024;
  RunResult r = OpenAnnual(kYear, {kWestminster, kDurham});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string log = Dir() + "/wait-2024.log";
  BackgroundProcess wait(
      Collection("status", {"--collection", "2024-annual", "--wait", "--poll-seconds", "1"}), log);
  for (const char* la : {kWestminster, kDurham}) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_TRUE(wait.running()) << la << ": exited before every LA had submitted\n"
                                << ReadFileOrEmpty(log);
    r = Submit(la, kYear);
    ASSERT_EQ(r.exit_code, 0) << la << ": " << r.err;
  }
  for (int i = 0; i < 300 && wait.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(wait.running()) << "status --wait did not return once all had submitted";
  EXPECT_EQ(wait.Stop(), 0) << ReadFileOrEmpty(log);
  const std::string out = ReadFileOrEmpty(log);
  // At least one progress line before the LAs submitted, and the final table.
  EXPECT_THAT(out, HasSubstr("2024-annual: 0/2 submitted"));
  EXPECT_THAT(out, HasSubstr("2024-annual: 2/2 submitted (0 late), 0 refused, 0 not started"));
  EXPECT_THAT(Row(out, kDurham), HasSubstr("submitted"));
}

TEST_F(CollectionE2eTest, StatusWaitExitsOneWhenTheDeadlinePassesWithAnLaMissing) {
  RunResult r = OpenAnnual(2023, {kBirmingham}, In(absl::Seconds(3)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto start = std::chrono::steady_clock::now();
  r = RunCommand(
      Collection("status", {"--collection", "2023-annual", "--wait", "--poll-seconds", "1"}), 60);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_THAT(r.err, HasSubstr("the deadline has passed and not every expected LA has submitted"));
  EXPECT_THAT(r.out, HasSubstr("2023-annual: 0/1 submitted"));
}

TEST_F(CollectionE2eTest, AQuarterlyCollectionIsOpenedOnlyWithOneOfItsWindows) {
  const std::vector<std::string> common = {"--year",    "2026",       "--period",
                                           "quarterly", "--deadline", In(absl::Hours(2)),
                                           "--expect",  kWestminster};
  auto open = [&](std::vector<std::string> window) {
    std::vector<std::string> flags = common;
    flags.insert(flags.end(), window.begin(), window.end());
    return RunCollection("open", flags);
  };
  // No window: a usage error naming the windows, before anything is sent.
  RunResult r = open({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("--period-start and --period-end are required"),
                           HasSubstr("2026-q3 2025-10-01..2025-12-31")));
  // A window that is not one of the year's quarters: the coordinator refuses it.
  r = open({"--period-start", "2025-10-01", "--period-end", "2025-12-30"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  r = open({"--period-start", "2025-11-01", "--period-end", "2026-01-31"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  // A quarter of the next year is not a quarter of this one.
  r = open({"--period-start", "2026-10-01", "--period-end", "2026-12-31"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
  // The third quarter of 2026 (October to December 2025).
  r = open({"--period-start", "2025-10-01", "--period-end", "2025-12-31"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("collection 2026-q3 (open)"),
                           HasSubstr("quarterly 2025-10-01 .. 2025-12-31")));
  r = RunCollection("list", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2026-q3"));
}

TEST_F(CollectionE2eTest, OnlyAnOperatorCertificateAdministersCollections) {
  RunResult r = RunCommand([] {
    std::vector<std::string> argv =
        Collection("open",
                   {"--year", "2027", "--period", "annual", "--deadline", In(absl::Hours(2)),
                    "--expect", kWestminster},
                   std::string("la/") + kWestminster);
    return argv;
  }());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("PERMISSION_DENIED"), HasSubstr("operator certificate")));
  r = RunCollection("close", {"--collection", "2027-annual"}, "recipients/dfe_analyst-analyst1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  // Nothing was opened.
  r = RunCollection("status", {"--collection", "2027-annual"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));
}

TEST_F(CollectionE2eTest, BadFlagsAreUsageErrorsThatNameTheFlag) {
  RunResult r = RunCollection("open", {"--year", "2028", "--period", "annual", "--deadline",
                                       "next tuesday", "--expect", kWestminster});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("--deadline"), HasSubstr("'next tuesday'")));
  r = RunCollection("open", {"--year", "2028", "--period", "annual", "--deadline",
                             In(absl::Hours(2)), "--expect", "E09999999"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--expect: 'E09999999'"));
  r = RunCollection("status", {"--collection", "2028"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--collection: '2028' is not a collection id"));
  r = RunCommand({BinaryPath("ringfence"), "collection", "reopen"});
  EXPECT_EQ(r.exit_code, 2);
  // A deadline in the past is the coordinator's to refuse.
  r = RunCollection("open", {"--year", "2028", "--period", "annual", "--deadline",
                             In(-absl::Hours(1)), "--expect", kWestminster});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("INVALID_ARGUMENT"));
}

}  // namespace
}  // namespace ringfence
