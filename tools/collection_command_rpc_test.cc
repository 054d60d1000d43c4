// `ringfence collection` over mutual TLS against a scripted CollectionAdmin and Coordinator on
// 127.0.0.1 (port 0), with an in-process test PKI written to a temporary folder: what the
// command sends, what it prints, its exit codes, and that it presents the operator's
// certificate. The real coordinator is exercised by tests/collection_e2e_test.cc.
#include <unistd.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/identity.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

using ::ringfence::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Answers from a script; records what it was asked and by whom.
class FakeAdmin final : public v1::CollectionAdmin::Service {
 public:
  grpc::Status OpenCollection(grpc::ServerContext* context,
                              const v1::OpenCollectionRequest* request,
                              v1::Collection* response) override {
    absl::MutexLock lock(&mu_);
    Record(*context);
    open_requests.push_back(*request);
    *response = collection;
    return answer;
  }
  grpc::Status CloseCollection(grpc::ServerContext* context,
                               const v1::CloseCollectionRequest* request,
                               v1::Collection* response) override {
    absl::MutexLock lock(&mu_);
    Record(*context);
    closed_ids.push_back(request->collection_id());
    *response = collection;
    return answer;
  }
  grpc::Status GetCollectionStatus(grpc::ServerContext* context,
                                   const v1::GetCollectionStatusRequest* request,
                                   v1::CollectionStatus* response) override {
    absl::MutexLock lock(&mu_);
    Record(*context);
    status_ids.push_back(request->collection_id());
    if (!status_failures.empty()) {
      grpc::Status failure = status_failures.front();
      status_failures.pop_front();
      if (!failure.ok()) return failure;
    }
    if (statuses.empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "script ran out");
    *response = statuses.front();
    if (statuses.size() > 1) statuses.pop_front();
    return answer;
  }

  void Record(const grpc::ServerContext& context) {
    absl::StatusOr<crypto::PartyIdentity> peer = crypto::PeerIdentity(context);
    peers.push_back(peer.ok() ? peer->uri : std::string(peer.status().message()));
  }

  absl::Mutex mu_;
  grpc::Status answer = grpc::Status::OK;
  v1::Collection collection;
  std::deque<v1::CollectionStatus> statuses;
  // Per GetCollectionStatus call, in order: a failure to answer instead of the next status
  // (OK: answer normally).
  std::deque<grpc::Status> status_failures;
  std::vector<v1::OpenCollectionRequest> open_requests;
  std::vector<std::string> closed_ids, status_ids, peers;
};

class FakeCoordinator final : public v1::Coordinator::Service {
 public:
  grpc::Status ListCollections(grpc::ServerContext*, const v1::ListCollectionsRequest*,
                               v1::ListCollectionsResponse* response) override {
    *response = list;
    return grpc::Status::OK;
  }
  v1::ListCollectionsResponse list;
};

v1::Collection Annual(v1::Collection::State state) {
  v1::Collection c;
  c.set_collection_id("2025-annual");
  c.set_year(2025);
  c.set_period(v1::ANNUAL);
  c.set_period_start("2024-04-01");
  c.set_period_end("2025-03-31");
  c.set_deadline_unix_seconds(1751302800);  // 2025-06-30 17:00 UTC
  c.add_expected_la_codes("E08000025");
  c.add_expected_la_codes("E09000033");
  c.set_state(state);
  c.set_opened_at_unix_seconds(1751302800 - 86400);
  c.set_opened_by("urn:ringfence:operator:ops1");
  return c;
}

// A status of the annual collection with `submitted` of its two LAs submitted, at `now`.
v1::CollectionStatus StatusWith(int submitted, int64_t now) {
  v1::CollectionStatus s;
  *s.mutable_collection() = Annual(v1::Collection::OPEN);
  int i = 0;
  for (const char* code : {"E08000025", "E09000033"}) {
    v1::LaCollectionStatus* la = s.add_las();
    la->set_la_code(code);
    la->set_la_name(i == 0 ? "Birmingham" : "Westminster");
    la->set_state(i < submitted ? v1::LaCollectionStatus::SUBMITTED
                                : v1::LaCollectionStatus::NOT_STARTED);
    if (i < submitted) la->set_submitted_at_unix_seconds(now - 10);
    ++i;
  }
  s.set_submitted(submitted);
  s.set_not_started(2 - submitted);
  s.set_now_unix_seconds(now);
  return s;
}

class CollectionCommandRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        absl::StrCat(::testing::TempDir(), "/", ::getpid(), "_collection_command_rpc_test_XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    absl::StatusOr<coordinator::testing::TestPki> pki = coordinator::testing::TestPki::Create();
    ASSERT_THAT(pki, IsOk());
    ASSERT_THAT(base::WriteFileAtomically(Path("ca.pem"), pki->ca().cert_pem), IsOk());
    absl::StatusOr<crypto::TlsMaterial> op = pki->Client(crypto::OperatorUri("ops1"));
    ASSERT_THAT(op, IsOk());
    ASSERT_THAT(base::WriteFileAtomically(Path("op.pem"), op->cert_pem), IsOk());
    ASSERT_THAT(base::WriteFileAtomically(Path("op.key"), op->key_pem, 0600), IsOk());
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", crypto::MakeServerCredentials(pki->server()), &port_);
    builder.RegisterService(&admin_);
    builder.RegisterService(&coordinator_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    for (const char* f : {"ca.pem", "op.pem", "op.key"}) ::unlink(Path(f).c_str());
    ::rmdir(dir_.c_str());
  }

  std::string Path(absl::string_view name) const { return absl::StrCat(dir_, "/", name); }

  std::vector<std::string> Args(const std::string& sub, std::vector<std::string> flags) {
    std::vector<std::string> args = {sub,
                                     "--coordinator",
                                     absl::StrCat("127.0.0.1:", port_),
                                     "--cert",
                                     Path("op.pem"),
                                     "--key",
                                     Path("op.key"),
                                     "--ca",
                                     Path("ca.pem"),
                                     "--timeout-seconds",
                                     "10"};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  struct Run {
    int rc;
    std::string out, err;
  };
  Run RunIt(const std::vector<std::string>& args) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    Run r;
    r.rc = RunCollectionCommand(args);
    r.out = ::testing::internal::GetCapturedStdout();
    r.err = ::testing::internal::GetCapturedStderr();
    return r;
  }

  std::string dir_;
  FakeAdmin admin_;
  FakeCoordinator coordinator_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(CollectionCommandRpcTest, OpenSendsTheRequestAsTheOperatorAndPrintsTheCollection) {
  admin_.collection = Annual(v1::Collection::OPEN);
  Run r = RunIt(Args("open", {"--year", "2025", "--period", "annual", "--deadline",
                              "2025-06-30T17:00:00Z", "--expect", "E09000033,E08000025"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(admin_.open_requests.size(), 1u);
  const v1::OpenCollectionRequest& sent = admin_.open_requests[0];
  EXPECT_EQ(sent.year(), 2025);
  EXPECT_EQ(sent.period(), v1::ANNUAL);
  EXPECT_EQ(sent.deadline_unix_seconds(), 1751302800);
  EXPECT_THAT(sent.expected_la_codes(), ::testing::ElementsAre("E08000025", "E09000033"));
  EXPECT_THAT(admin_.peers, ::testing::ElementsAre("urn:ringfence:operator:ops1"));
  EXPECT_THAT(r.out, StartsWith("collection 2025-annual (open)\n"));
  EXPECT_THAT(r.out, HasSubstr("expected:  2 LAs: E08000025, E09000033"));
}

TEST_F(CollectionCommandRpcTest, TheCoordinatorsRefusalIsPrintedWithItsCodeAndExitsOne) {
  admin_.answer = grpc::Status(grpc::StatusCode::NOT_FOUND, "no collection 2025-q2");
  Run r = RunIt(Args("close", {"--collection", "2025-q2"}));
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(admin_.closed_ids, ::testing::ElementsAre("2025-q2"));
  EXPECT_EQ(r.err, absl::StrCat("ringfence collection close: closing 2025-q2 at 127.0.0.1:", port_,
                                " failed: NOT_FOUND: no collection 2025-q2\n"));
  EXPECT_EQ(r.out, "");

  admin_.answer = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "operators only");
  r = RunIt(Args("open", {"--year", "2025", "--period", "annual", "--deadline",
                          "2025-06-30T17:00:00Z", "--expect-all"}));
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("opening the 2025 annual collection"),
                           HasSubstr("PERMISSION_DENIED: operators only"),
                           HasSubstr("operator certificate")));
}

TEST_F(CollectionCommandRpcTest, StatusPrintsTheTableAndExitsZeroWithoutWaiting) {
  const int64_t now = 1751302800 - 600;
  admin_.statuses = {StatusWith(1, now)};
  Run r = RunIt(Args("status", {"--collection", "2025-annual"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("LA  "));
  EXPECT_THAT(r.out, HasSubstr("E09000033  Westminster  not started"));
  EXPECT_THAT(r.out, HasSubstr("2025-annual: 1/2 submitted (0 late), 0 refused, 1 not started, "
                               "deadline 2025-06-30 17:00 UTC (open)\n"));
  EXPECT_EQ(admin_.status_ids.size(), 1u);
}

TEST_F(CollectionCommandRpcTest, StatusWaitPollsUntilEveryLaHasSubmitted) {
  const int64_t now = 1751302800 - 600;
  admin_.statuses = {StatusWith(0, now), StatusWith(1, now + 1), StatusWith(2, now + 2)};
  Run r = RunIt(Args("status", {"--collection", "2025-annual", "--wait", "--poll-seconds", "1"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(admin_.status_ids.size(), 3u);
  // One progress line per poll, with the coordinator's time, then the table.
  EXPECT_THAT(r.out, StartsWith("2025-06-30 16:50:00  2025-annual: 0/2 submitted"));
  EXPECT_THAT(r.out, HasSubstr("\n2025-06-30 16:50:01  2025-annual: 1/2 submitted"));
  EXPECT_THAT(r.out, HasSubstr("\n2025-06-30 16:50:02  2025-annual: 2/2 submitted"));
  EXPECT_THAT(r.out, HasSubstr("E09000033  Westminster  submitted"));
}

TEST_F(CollectionCommandRpcTest, StatusWaitExitsOneOnceTheDeadlineHasPassedWithAnLaMissing) {
  admin_.statuses = {StatusWith(1, 1751302800 - 1), StatusWith(1, 1751302800)};
  Run r = RunIt(Args("status", {"--collection", "2025-annual", "--wait", "--poll-seconds", "1"}));
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(admin_.status_ids.size(), 2u);
  EXPECT_THAT(r.err, HasSubstr("2025-annual: the deadline has passed and not every expected LA "
                               "has submitted"));

  // A closed collection will not get any more submissions: no need to wait for the deadline.
  v1::CollectionStatus closed = StatusWith(1, 1751302800 - 3600);
  closed.mutable_collection()->set_state(v1::Collection::CLOSED);
  admin_.statuses = {closed};
  r = RunIt(Args("status", {"--collection", "2025-annual", "--wait", "--poll-seconds", "1"}));
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, HasSubstr("2025-annual is closed and not every expected LA has submitted"));
  EXPECT_THAT(r.out, HasSubstr("(closed)"));
}

TEST_F(CollectionCommandRpcTest, StatusWaitRidesOutAnUnavailableCoordinatorButNotAtFirst) {
  // The deadline is ahead of this machine's clock: the retry is allowed.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  v1::CollectionStatus one = StatusWith(1, now), two = StatusWith(2, now + 2);
  one.mutable_collection()->set_deadline_unix_seconds(now + 3600);
  two.mutable_collection()->set_deadline_unix_seconds(now + 3600);
  admin_.statuses = {one, two};
  admin_.status_failures = {grpc::Status::OK,
                            grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting")};
  Run r = RunIt(Args("status", {"--collection", "2025-annual", "--wait", "--poll-seconds", "1"}));
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(admin_.status_ids.size(), 3u);
  EXPECT_THAT(r.out, HasSubstr("UNAVAILABLE: restarting"));
  EXPECT_THAT(r.out, HasSubstr("retrying in 1s"));

  // Unavailable at the first call: an error at once (a wrong address, most likely).
  admin_.status_ids.clear();
  admin_.statuses = {two};
  admin_.status_failures = {grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting")};
  r = RunIt(Args("status", {"--collection", "2025-annual", "--wait", "--poll-seconds", "1"}));
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(admin_.status_ids.size(), 1u);
  EXPECT_THAT(r.err, HasSubstr("status of 2025-annual at 127.0.0.1:"));
}

TEST_F(CollectionCommandRpcTest, ListPrintsEveryCollection) {
  *coordinator_.list.add_collections() = Annual(v1::Collection::CLOSED);
  Run r = RunIt(Args("list", {}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2025-annual  closed  annual  2024-04-01..2025-03-31  "
                               "2025-06-30 17:00 UTC  2"));
  coordinator_.list.clear_collections();
  r = RunIt(Args("list", {}));
  EXPECT_EQ(r.out, "no collections\n");
}

TEST_F(CollectionCommandRpcTest, AnUnreachableCoordinatorIsNamedWithAHint) {
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  Run r = RunIt(Args("close", {"--collection", "2025-annual", "--timeout-seconds", "2"}));
  EXPECT_EQ(r.rc, 2);  // --timeout-seconds given twice: a usage error
  std::vector<std::string> args = Args("close", {"--collection", "2025-annual"});
  args[10] = "2";
  r = RunIt(args);
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("UNAVAILABLE"), HasSubstr("is the coordinator running")));
  EXPECT_THAT(r.err, Not(HasSubstr("BEGIN")));  // nothing of the key
}

}  // namespace
}  // namespace ringfence::tools
