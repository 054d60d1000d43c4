// The service loop against an in-process fake coordinator (node/testing/fake_coordinator.h):
// a real gRPC server with the test PKI's mutual TLS, a real ledger in a temporary folder, and
// injected waits, jitter and compute function.
#include "node/serve.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/testing/fake_coordinator.h"
#include "node/testing/la_folder.h"
#include "policy/testing/policy_text.h"

namespace ringfence::node {
namespace {

using ::ringfence::node::testing::FakeCoordinator;
using ::ringfence::node::testing::TempFolder;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kLa[] = "E09000033";

policy::Policy PolicyWithYearBudget(const std::string& rho_per_year) {
  std::string text = policy::testing::ShippedPolicyText();
  text = absl::StrReplaceAll(
      text, {{"rho_per_year: \"1/2\"", absl::StrCat("rho_per_year: \"", rho_per_year, "\"")}});
  auto p = policy::ParsePolicy(text, "test-policy");
  EXPECT_THAT(p, IsOk());
  return p.ok() ? *std::move(p) : policy::Policy();
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = coordinator::testing::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    pki_ = std::make_unique<coordinator::testing::TestPki>(*std::move(pki));
    auto fake = FakeCoordinator::Start(*pki_);
    ASSERT_THAT(fake, IsOk());
    fake_ = *std::move(fake);
    auto dir = TempFolder::Create();
    ASSERT_THAT(dir, IsOk());
    dir_ = std::make_unique<TempFolder>(*std::move(dir));

    options_.la_code = kLa;
    options_.policy = PolicyWithYearBudget("2");  // four rounds of 1/2
    options_.ledger_path = dir_->path() + "/ledger.db";
    options_.poll_interval = absl::Seconds(300);
    options_.backoff_initial = absl::Seconds(1);
    options_.backoff_max = absl::Seconds(8);
    options_.rpc_timeout = absl::Seconds(10);
    options_.uniform = [](uint64_t bound) { return bound; };  // the top of every range
    options_.wait = [this](absl::Duration d) {
      waits_.push_back(d);
      if (on_wait_) return on_wait_(static_cast<int>(waits_.size()));
      return true;
    };
    options_.log = [this](const std::string& line) { logs_.push_back(line); };
    compute_ = [this](const CollectionYear& window,
                      DataErrorCounts*) -> absl::StatusOr<std::vector<int64_t>> {
      computed_.push_back(CollectionId(window));
      return std::vector<int64_t>(catalogue::GridCells().size(), 40);
    };
  }

  absl::StatusOr<ServeResult> Serve() {
    auto channel = fake_->ChannelFor(kLa);
    if (!channel.ok()) return channel.status();
    crypto::testing::DeterministicRandomSource rng(7);
    return RunServe(options_, *channel, compute_, rng, *stop_);
  }

  std::string Logs() const { return absl::StrJoin(logs_, "\n"); }

  std::unique_ptr<coordinator::testing::TestPki> pki_;
  std::unique_ptr<FakeCoordinator> fake_;
  std::unique_ptr<TempFolder> dir_;
  ServeOptions options_;
  WindowComputeFn compute_;
  std::unique_ptr<StopFlag> stop_ = std::make_unique<StopFlag>();
  std::vector<absl::Duration> waits_;
  std::function<bool(int)> on_wait_;  // called with the number of waits so far
  std::vector<std::string> logs_;
  std::vector<std::string> computed_;
};

TEST_F(ServeTest, SubmitsEveryListedCollectionAndReportsStatesInOrder) {
  fake_->AddCollection(2025, "q1");
  fake_->AddCollection(2025, "annual");
  options_.once = true;
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->all_submitted) << Logs();
  EXPECT_THAT(fake_->reports(),
              ElementsAre(Pair("2025-q1", v1::COMPUTING), Pair("2025-q1", v1::SUBMITTED),
                          Pair("2025-annual", v1::COMPUTING), Pair("2025-annual", v1::SUBMITTED)));
  ASSERT_EQ(fake_->submits().size(), 2u);
  EXPECT_EQ(fake_->submits()[0].collection_id(), "2025-q1");
  EXPECT_EQ(fake_->submits()[1].collection_id(), "2025-annual");
  EXPECT_THAT(computed_, ElementsAre("2025-q1", "2025-annual"));
  EXPECT_THAT(Logs(), HasSubstr("event=submitted collection=2025-q1 state=SUBMITTED"));
  EXPECT_TRUE(waits_.empty());
}

TEST_F(ServeTest, SkipsRoundsAlreadySentWithAReceipt) {
  fake_->AddCollection(2025, "q2");
  options_.once = true;
  ASSERT_THAT(Serve(), IsOk());
  ASSERT_EQ(fake_->submits().size(), 1u);
  // A restarted node: nothing computed, spent, sent or reported again.
  logs_.clear();
  auto again = Serve();
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->all_submitted);
  EXPECT_EQ(fake_->submits().size(), 1u);
  EXPECT_EQ(fake_->reports().size(), 2u);
  EXPECT_EQ(computed_.size(), 1u);
  EXPECT_THAT(Logs(), HasSubstr("event=already_submitted collection=2025-q2"));
}

TEST_F(ServeTest, RetriesWithBackoffAfterUnavailableAndResendsTheSameCells) {
  fake_->AddCollection(2025, "h1");
  fake_->FailListCalls(2, grpc::StatusCode::UNAVAILABLE);
  fake_->FailNextSubmit(grpc::StatusCode::UNAVAILABLE);
  options_.once = true;
  options_.once_max_attempts = 10;
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->all_submitted) << Logs();
  EXPECT_EQ(result->passes, 4);
  // Full jitter drawn at the top of each range: 1 s, 2 s, 4 s.
  EXPECT_THAT(waits_, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4)));
  EXPECT_THAT(fake_->reports(),
              ElementsAre(Pair("2025-h1", v1::COMPUTING), Pair("2025-h1", v1::RETRYING),
                          Pair("2025-h1", v1::COMPUTING), Pair("2025-h1", v1::SUBMITTED)));
  // The failed send and the resend carry the same recorded cells: computed once.
  ASSERT_EQ(fake_->submits().size(), 2u);
  EXPECT_EQ(fake_->submits()[0].SerializeAsString(), fake_->submits()[1].SerializeAsString());
  EXPECT_EQ(computed_.size(), 1u);
  EXPECT_THAT(Logs(), HasSubstr("event=backoff failures=3 backoff_ms=4000"));
}

TEST_F(ServeTest, RateLimitIsRetryableAndOnceGivesUpAfterItsAttempts) {
  fake_->AddCollection(2025, "q3");
  fake_->FailListCalls(100, grpc::StatusCode::RESOURCE_EXHAUSTED);
  options_.once = true;
  options_.once_max_attempts = 3;
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->all_submitted);
  EXPECT_EQ(fake_->list_calls(), 3);
  EXPECT_THAT(waits_, ElementsAre(absl::Seconds(1), absl::Seconds(2)));
}

TEST_F(ServeTest, BackoffIsCappedAndResetAfterASuccessfulPass) {
  fake_->AddCollection(2025, "q4");
  fake_->FailListCalls(6, grpc::StatusCode::UNAVAILABLE);
  on_wait_ = [this](int n) {
    if (n == 8) fake_->FailListCalls(1, grpc::StatusCode::UNAVAILABLE);
    if (n >= 9) stop_->Request();
    return !stop_->requested();
  };
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->stopped);
  // 1 2 4 8 8 8 (cap 8 s), then the submission and an idle poll of 300 s + 20%, a poll with
  // nothing to do, then a failure starts again from 1 s.
  EXPECT_THAT(waits_, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                  absl::Seconds(8), absl::Seconds(8), absl::Seconds(8),
                                  absl::Seconds(360), absl::Seconds(360), absl::Seconds(1)));
  EXPECT_EQ(fake_->stored(), 1);
}

TEST_F(ServeTest, StopsCleanlyWhenStopIsRequested) {
  fake_->AddCollection(2025, "annual");
  on_wait_ = [this](int) {
    stop_->Request();  // as SIGTERM during the idle wait
    return false;
  };
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(result->passes, 1);
  EXPECT_EQ(fake_->stored(), 1);
  EXPECT_THAT(logs_.back(), HasSubstr("event=stopped"));

  // Stopped before starting: not even a list call.
  const int calls = fake_->list_calls();
  auto none = Serve();
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->stopped);
  EXPECT_EQ(fake_->list_calls(), calls);
}

TEST_F(ServeTest, BudgetExhaustionIsReportedAndNotRetriedUntilRestart) {
  options_.policy = PolicyWithYearBudget("1/2");  // one round a year
  fake_->AddCollection(2025, "q1");
  fake_->AddCollection(2025, "annual");
  on_wait_ = [this](int n) {
    if (n >= 2) stop_->Request();
    return !stop_->requested();
  };
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->passes, 2);
  EXPECT_THAT(
      fake_->reports(),
      ElementsAre(Pair("2025-q1", v1::COMPUTING), Pair("2025-q1", v1::SUBMITTED),
                  Pair("2025-annual", v1::COMPUTING), Pair("2025-annual", v1::BUDGET_EXHAUSTED)));
  EXPECT_THAT(computed_, ElementsAre("2025-q1"));  // refused before computing
  EXPECT_EQ(fake_->submits().size(), 1u);
  // Not a retryable failure: the waits are polls, not backoff.
  EXPECT_THAT(waits_, ElementsAre(absl::Seconds(360), absl::Seconds(360)));
  EXPECT_THAT(Logs(), HasSubstr("event=skipped collection=2025-annual state=BUDGET_EXHAUSTED"));

  // A restart tries again (and is refused again).
  options_.once = true;
  stop_ = std::make_unique<StopFlag>();
  auto restarted = Serve();
  ASSERT_THAT(restarted, IsOk());
  EXPECT_FALSE(restarted->all_submitted);
  EXPECT_EQ(fake_->reports().back(),
            std::make_pair(std::string("2025-annual"), v1::BUDGET_EXHAUSTED));
}

TEST_F(ServeTest, DataErrorsAreLoggedAsCountsOnlyAndRetriedAtTheNextPoll) {
  fake_->AddCollection(2025, "annual");
  compute_ = [this](const CollectionYear& window,
                    DataErrorCounts* errors) -> absl::StatusOr<std::vector<int64_t>> {
    computed_.push_back(CollectionId(window));
    errors->by_class[static_cast<int>(policy::DataErrorClass::kBadDate)] = 2;
    errors->by_class[static_cast<int>(policy::DataErrorClass::kUnknownCode)] = 1;
    return absl::InvalidArgumentError(
        "header.csv:3: DOB: child C0042 \"31/02/2010\" is not a real date\n3 errors");
  };
  on_wait_ = [this](int n) {
    if (n >= 2) stop_->Request();
    return !stop_->requested();
  };
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(computed_, ElementsAre("2025-annual", "2025-annual"));
  EXPECT_THAT(
      fake_->reports(),
      ElementsAre(Pair("2025-annual", v1::COMPUTING), Pair("2025-annual", v1::DATA_ERRORS),
                  Pair("2025-annual", v1::COMPUTING), Pair("2025-annual", v1::DATA_ERRORS)));
  EXPECT_TRUE(fake_->submits().empty());
  const std::string logs = Logs();
  EXPECT_THAT(logs, AllOf(HasSubstr("errors_BAD_DATE=2"), HasSubstr("errors_UNKNOWN_CODE=1"),
                          HasSubstr("errors=3"), HasSubstr("ringfence-node validate")));
  EXPECT_THAT(logs, AllOf(Not(HasSubstr("C0042")), Not(HasSubstr("31/02/2010")),
                          Not(HasSubstr("header.csv"))));
}

TEST_F(ServeTest, RefusalByTheCoordinatorIsNotRetriedUntilTheNextPoll) {
  fake_->AddCollection(2025, "annual");
  fake_->FailNextSubmit(grpc::StatusCode::PERMISSION_DENIED, "not expected");
  options_.once = true;
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->all_submitted);
  EXPECT_EQ(result->passes, 1);
  EXPECT_TRUE(waits_.empty());
  EXPECT_EQ(fake_->reports().back(), std::make_pair(std::string("2025-annual"), v1::NODE_FAILED));
}

TEST_F(ServeTest, RefusesAPolicyThatIsNotLoaded) {
  options_.policy = policy::Policy();
  EXPECT_THAT(Serve(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ServeTest, FolderComputeReadsTheYearsFolderAndLogsOnlyCountsOfDataErrors) {
  // data_dir ".../{year}": the 2025 folder holds a Header row with an impossible date.
  ASSERT_EQ(mkdir((dir_->path() + "/2025").c_str(), 0700), 0);
  ASSERT_THAT(
      dir_->Write("2025/header.csv", testing::HeaderCsv({{"C0042", "M", "31/02/2010"}, {"C0043"}})),
      IsOk());
  ASSERT_THAT(dir_->Write("2025/episodes.csv",
                          testing::EpisodesCsv({testing::Episode("C0043", "01/05/2024")})),
              IsOk());
  ServeConfig config;
  config.la_code = kLa;
  config.data_dir = dir_->path() + "/{year}";
  compute_ = MakeFolderCompute(config, options_.policy);
  fake_->AddCollection(2025, "q1");
  options_.once = true;
  auto result = Serve();
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->all_submitted);
  EXPECT_EQ(fake_->reports().back(), std::make_pair(std::string("2025-q1"), v1::DATA_ERRORS));
  const std::string logs = Logs();
  EXPECT_THAT(logs, AllOf(HasSubstr("errors_BAD_DATE=1"), HasSubstr("errors=1")));
  EXPECT_THAT(logs, AllOf(Not(HasSubstr("C0042")), Not(HasSubstr("31/02/2010")),
                          Not(HasSubstr("header.csv"))));

  // Fixed by the LA: the next run submits the q1 window of the same folder.
  ASSERT_THAT(
      dir_->Write("2025/header.csv", testing::HeaderCsv({{"C0042", "M", "28/02/2010"}, {"C0043"}})),
      IsOk());
  auto fixed = Serve();
  ASSERT_THAT(fixed, IsOk());
  EXPECT_TRUE(fixed->all_submitted) << Logs();
  ASSERT_EQ(fake_->submits().size(), 1u);
  EXPECT_EQ(fake_->submits()[0].collection_id(), "2025-q1");
}

// ---- config ---------------------------------------------------------------------------------

constexpr char kConfig[] = R"(la_code: "E09000033"
coordinator: "coordinator.example:8443"
ca_file: "/etc/ringfence/ca.pem"
cert_file: "/etc/ringfence/node.pem"
key_file: "/etc/ringfence/node.key"
data_dir: "/srv/ssda903/{year}"
policy_file: "/etc/ringfence/policy.textproto"
ledger_file: "/var/lib/ringfence/ledger.db"
)";

TEST(ServeConfigTest, ParsesAndAppliesDefaults) {
  auto c = ParseServeConfig(kConfig, "node.textproto");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->la_code, "E09000033");
  EXPECT_EQ(c->poll_interval, absl::Seconds(300));
  EXPECT_EQ(c->backoff_initial, absl::Seconds(1));
  EXPECT_EQ(c->backoff_max, absl::Seconds(300));
  EXPECT_EQ(c->rpc_timeout, absl::Seconds(30));
  EXPECT_EQ(c->max_errors, 50);
  EXPECT_EQ(DataDirForYear(c->data_dir, 2025), "/srv/ssda903/2025");
  auto tuned = ParseServeConfig(absl::StrCat(kConfig,
                                             "poll_interval_seconds: 60\n"
                                             "backoff_initial_seconds: 2\n"
                                             "backoff_max_seconds: 120\n"),
                                "node.textproto");
  ASSERT_THAT(tuned, IsOk());
  EXPECT_EQ(tuned->poll_interval, absl::Seconds(60));
  EXPECT_EQ(tuned->backoff_max, absl::Seconds(120));
}

TEST(ServeConfigTest, UnknownFieldNamesFileLineAndColumn) {
  EXPECT_THAT(ParseServeConfig(absl::StrCat(kConfig, "poll_seconds: 5\n"), "node.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("node.textproto:9:1"), HasSubstr("poll_seconds"))));
}

TEST(ServeConfigTest, MissingFieldsBadLaAndBackoffRangeAreRefused) {
  EXPECT_THAT(ParseServeConfig(absl::StrReplaceAll(kConfig, {{"ledger_file", "# ledger_file"}}),
                               "n.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("n.textproto: ledger_file: is missing")));
  EXPECT_THAT(
      ParseServeConfig(absl::StrReplaceAll(kConfig, {{"E09000033", "E99999999"}}), "n.textproto"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("la_code")));
  EXPECT_THAT(ParseServeConfig(absl::StrCat(kConfig,
                                            "backoff_initial_seconds: 60\n"
                                            "backoff_max_seconds: 10\n"),
                               "n.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("backoff_initial_seconds")));
  EXPECT_THAT(
      ParseServeConfig(absl::StrCat(kConfig, "poll_interval_seconds: 4000000000\n"), "n.textproto"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("poll_interval_seconds")));
}

}  // namespace
}  // namespace ringfence::node
