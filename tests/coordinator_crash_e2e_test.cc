// Durability of the coordinator, end to end: a real ringfence-coordinator takes a round from
// many LAs at once (one thread, certificate and channel each, every LA sending a real
// protected grid and retrying with backoff until it is acknowledged) while the test kills it
// with SIGKILL at random points of the round and restarts it on the same database and port.
// Then:
//   - every LA was acknowledged, always with the same receipt, which is the SHA-256 of the
//     bytes it sent: no acknowledged submission is lost or changed;
//   - the database (read with SQLite's C API) passes integrity_check and holds exactly one row
//     per LA, with that receipt: nothing is stored twice;
//   - GetCollectionStatus agrees, a further resend is answered already_stored with the same
//     receipt, and once the collection is closed the national release names every LA.
// The variant with clients that die: each LA abandons a call part way (a deadline of a few
// milliseconds), then sends in full but drops the answer (as a node killed after sending
// would), then resends on a fresh channel, as a restarted node does: that resend must be
// answered already_stored with the receipt of the dropped answer.
//
// The kill times and client start times come from a seed, printed at the start; set
// RINGFENCE_CRASH_SEED to replay a run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "crypto/hash.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tests/testing/collections.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

using testing::BinaryPath;
using ::testing::ElementsAreArray;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;
constexpr int kLaCount = 32;
constexpr char kCollection[] = "2025-annual";
constexpr char kOperator[] = "ops";
constexpr char kNationalReader[] = "public-web";  // pki init's default public recipient
// Clients start spread over this window, and the kills fall in its first three quarters.
constexpr int kRoundWindowMs = 2000;
// Everything must be acknowledged within this, kills and restarts included.
constexpr auto kRoundTimeout = std::chrono::seconds(45);

uint64_t Seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("RINGFENCE_CRASH_SEED");
    uint64_t s =
        env != nullptr
            ? std::strtoull(env, nullptr, 10)
            : static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    std::cout << "coordinator_crash_e2e_test seed: " << s
              << " (replay with RINGFENCE_CRASH_SEED=" << s << ")" << std::endl;
    return s;
  }();
  return seed;
}

// A port that was free a moment ago, so that the coordinator can be restarted on it.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// A coordinator that can be killed and restarted on the same database and port.
class CrashableCoordinator {
 public:
  CrashableCoordinator(std::string dir, std::string name)
      : dir_(std::move(dir)), name_(std::move(name)) {
    address_ = absl::StrCat("127.0.0.1:", FreePort());
  }

  bool Start() {
    const std::string port_file = dir_ + "/" + name_ + ".port";
    std::remove(port_file.c_str());
    process_ = std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{BinaryPath("ringfence-coordinator"), "--listen", address_,
                                 "--cert", dir_ + "/pki/coordinator.pem", "--key",
                                 dir_ + "/pki/coordinator.key", "--ca", dir_ + "/pki/ca.pem",
                                 "--db", db(), "--policy", policy::testing::ShippedPolicyPath(),
                                 "--port-file", port_file},
        log());
    return !testing::WaitForFile(port_file, 30).empty();
  }

  void KillHard() {
    ::kill(process_->pid(), SIGKILL);
    process_->Stop();  // reaps it
    process_.reset();
  }

  int Stop() { return process_ != nullptr ? process_->Stop() : -1; }

  const std::string& address() const { return address_; }
  std::string db() const { return dir_ + "/" + name_ + ".db"; }
  std::string log() const { return dir_ + "/" + name_ + ".log"; }

 private:
  std::string dir_, name_, address_;
  std::unique_ptr<testing::BackgroundProcess> process_;
};

// What one LA's client saw.
struct ClientOutcome {
  std::vector<std::string> acknowledged;  // receipts of every OK answer it used
  std::string dropped_receipt;            // the answer a "killed" client never read
  bool resend_already_stored = false;     // the answer to the resend after that
  int attempts = 0;
  std::string last_error;  // of the latest failed attempt
  std::string failure;     // a refusal that is not worth retrying
};

class CoordinatorCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Seed();
    dir_ = new std::string(testing::MakeTempDir("ringfence-coord-crash"));
    las_ = new std::vector<std::string>;
    for (const catalogue::LocalAuthority& la : catalogue::AllLocalAuthorities()) {
      if (static_cast<int>(las_->size()) == kLaCount) break;
      las_->push_back(la.new_la_code);
    }
    ASSERT_EQ(static_cast<int>(las_->size()), kLaCount);
    std::sort(las_->begin(), las_->end());
    RunResult r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", *dir_ + "/pki",
                              "--la", absl::StrJoin(*las_, ","), "--operators", kOperator});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    absl::StatusOr<policy::Policy> p = policy::LoadPolicyFile(policy::testing::ShippedPolicyPath());
    ASSERT_TRUE(p.ok()) << p.status();
    // One real protected grid per LA, each from different exact counts.
    requests_ = new std::map<std::string, std::string>;
    for (int i = 0; i < kLaCount; ++i) {
      crypto::testing::DeterministicRandomSource rng(100 + i);
      std::vector<int64_t> exact(catalogue::GridCells().size(), 40 + i);
      auto grid = node::ProtectGrid(exact, *p, rng);
      ASSERT_TRUE(grid.ok()) << grid.status();
      auto req = node::BuildSubmitRequest((*las_)[i], kYear, *p, *grid);
      ASSERT_TRUE(req.ok()) << req.status();
      req->set_collection_id(kCollection);
      std::string bytes;
      ASSERT_TRUE(req->SerializeToString(&bytes));
      (*requests_)[(*las_)[i]] = bytes;
    }
  }

  static std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                                const std::string& prefix) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = ReadFileOrEmpty(*dir_ + "/pki/ca.pem");
    opts.pem_cert_chain = ReadFileOrEmpty(prefix + ".pem");
    opts.pem_private_key = ReadFileOrEmpty(prefix + ".key");
    grpc::ChannelArguments args;
    // Reconnect quickly after a restart (the defaults back off for up to two minutes). Not
    // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it is also the connection attempt's timeout, and TLS
    // handshakes of 32 clients at once on a loaded machine need more than a few ms.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Each channel its own connections, as separate node processes would have.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(opts), args);
  }

  static grpc::Status Send(const std::shared_ptr<grpc::Channel>& channel, const std::string& la,
                           std::chrono::milliseconds deadline, v1::SubmitResponse* response) {
    v1::SubmitRequest request;
    EXPECT_TRUE(request.ParseFromString(requests_->at(la)));
    auto stub = v1::Coordinator::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub->Submit(&ctx, request, response);
  }

  static bool Retryable(grpc::StatusCode code) {
    return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
           code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
  }

  // Sends `la`'s grid until it is acknowledged (or the round times out), backing off between
  // attempts, on a new channel every fourth attempt.
  static bool SendUntilAcknowledged(const std::string& address, const std::string& la,
                                    std::mt19937_64& rng,
                                    std::chrono::steady_clock::time_point give_up,
                                    ClientOutcome* outcome, v1::SubmitResponse* response) {
    const std::string prefix = *dir_ + "/pki/la/" + la;
    auto channel = Channel(address, prefix);
    int backoff_ms = 20;
    while (std::chrono::steady_clock::now() < give_up) {
      ++outcome->attempts;
      grpc::Status s = Send(channel, la, std::chrono::milliseconds(3000), response);
      if (s.ok()) return true;
      outcome->last_error = absl::StrCat(s.error_code(), ": ", s.error_message());
      if (!Retryable(s.error_code())) {
        outcome->failure = outcome->last_error;
        return false;
      }
      // A node that keeps failing is restarted by its operator (or scheduler): a new
      // channel, new connections.
      if (outcome->attempts % 4 == 0) channel = Channel(address, prefix);
      std::uniform_int_distribution<int> jitter(0, backoff_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms + jitter(rng)));
      backoff_ms = std::min(backoff_ms * 2, 400);
    }
    outcome->failure =
        absl::StrCat("not acknowledged before the round's timeout; last ", outcome->last_error);
    return false;
  }

  // One LA's client: waits until `start`, then submits until acknowledged. With
  // `dies_mid_round`, first abandons a call and drops an acknowledgement (see the file
  // comment).
  static void Client(const std::string& address, const std::string& la, uint64_t seed,
                     std::chrono::steady_clock::time_point start,
                     std::chrono::steady_clock::time_point give_up, bool dies_mid_round,
                     ClientOutcome* outcome) {
    std::mt19937_64 rng(seed);
    std::this_thread::sleep_until(start);
    v1::SubmitResponse response;
    if (dies_mid_round) {
      // Abandoned part way: the coordinator may or may not have stored it.
      auto channel = Channel(address, *dir_ + "/pki/la/" + la);
      std::uniform_int_distribution<int> ms(1, 15);
      ++outcome->attempts;
      Send(channel, la, std::chrono::milliseconds(ms(rng)), &response);
      // Sent in full, answer never read.
      if (!SendUntilAcknowledged(address, la, rng, give_up, outcome, &response)) return;
      outcome->dropped_receipt = response.receipt();
      response.Clear();
    }
    // The (restarted) node sends until acknowledged, on a channel of its own.
    if (!SendUntilAcknowledged(address, la, rng, give_up, outcome, &response)) return;
    outcome->acknowledged.push_back(response.receipt());
    acknowledged_count_.fetch_add(1);
    if (dies_mid_round) outcome->resend_already_stored = response.already_stored();
  }

  // Runs a round of all LAs against `coordinator`, killing it `kills` times at random points.
  // Returns each LA's outcome.
  static std::map<std::string, ClientOutcome> RunRound(CrashableCoordinator& coordinator, int kills,
                                                       bool clients_die) {
    std::mt19937_64 rng(Seed() ^ (clients_die ? 0x5bd1e995u : 0u));
    acknowledged_count_.store(0);
    const auto t0 = std::chrono::steady_clock::now();
    const auto give_up = t0 + kRoundTimeout;
    std::uniform_int_distribution<int> start_ms(0, kRoundWindowMs);
    std::map<std::string, ClientOutcome> outcomes;
    for (const std::string& la : *las_) outcomes[la];
    std::vector<std::thread> threads;
    for (int i = 0; i < kLaCount; ++i) {
      const std::string& la = (*las_)[i];
      threads.emplace_back(Client, coordinator.address(), la, rng() + i,
                           t0 + std::chrono::milliseconds(start_ms(rng)), give_up, clients_die,
                           &outcomes[la]);
    }
    std::vector<int> kill_at;
    // Kills in the first three quarters of the window, so that clients are still starting.
    std::uniform_int_distribution<int> kill_ms(100, kRoundWindowMs * 3 / 4);
    for (int k = 0; k < kills; ++k) kill_at.push_back(kill_ms(rng));
    std::sort(kill_at.begin(), kill_at.end());
    std::uniform_int_distribution<int> down_ms(0, 300);
    for (size_t k = 0; k < kill_at.size(); ++k) {
      const int at = kill_at[k];
      std::this_thread::sleep_until(
          std::max(std::chrono::steady_clock::now(), t0 + std::chrono::milliseconds(at)));
      const int done = acknowledged_count_.load();
      coordinator.KillHard();
      std::cout << "SIGKILL at " << at << " ms, " << done << " of " << kLaCount
                << " LAs acknowledged" << std::endl;
      // The kills must fall inside the round, not after it.
      if (k == 0) {
        EXPECT_LT(done, kLaCount) << "seed " << Seed();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(rng)));
      EXPECT_TRUE(coordinator.Start()) << ReadFileOrEmpty(coordinator.log());
    }
    for (std::thread& t : threads) t.join();
    return outcomes;
  }

  // (LA, receipt) of every row of every table with an la_code and a receipt column, after
  // PRAGMA integrity_check ("ok" in *integrity).
  static std::vector<std::pair<std::string, std::string>> StoredRows(const std::string& path,
                                                                     std::string* integrity) {
    std::vector<std::pair<std::string, std::string>> rows;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      *integrity = absl::StrCat("cannot open ", path, ": ", db ? sqlite3_errmsg(db) : "?");
      sqlite3_close_v2(db);
      return rows;
    }
    auto query = [db](const std::string& sql, int columns) {
      std::vector<std::vector<std::string>> out;
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
        return out;
      }
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        std::vector<std::string> row;
        for (int c = 0; c < columns; ++c) {
          const unsigned char* text = sqlite3_column_text(stmt, c);
          row.push_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
        }
        out.push_back(std::move(row));
      }
      sqlite3_finalize(stmt);
      return out;
    };
    integrity->clear();
    for (const auto& row : query("PRAGMA integrity_check", 1)) {
      absl::StrAppend(integrity, integrity->empty() ? "" : "; ", row[0]);
    }
    for (const auto& table : query("SELECT name FROM sqlite_master WHERE type = 'table'", 1)) {
      std::set<std::string> columns;
      for (const auto& c : query(absl::StrCat("PRAGMA table_info(\"", table[0], "\")"), 2)) {
        columns.insert(c[1]);
      }
      if (columns.count("la_code") == 0 || columns.count("receipt") == 0) continue;
      for (const auto& r :
           query(absl::StrCat("SELECT la_code, receipt FROM \"", table[0], "\""), 2)) {
        rows.emplace_back(r[0], r[1]);
      }
    }
    sqlite3_close_v2(db);
    return rows;
  }

  // Everything the file comment promises, after a round.
  static void ExpectRoundIntact(CrashableCoordinator& coordinator,
                                const std::map<std::string, ClientOutcome>& outcomes,
                                bool clients_died) {
    std::map<std::string, std::string> receipt_of;
    for (const auto& [la, o] : outcomes) {
      ASSERT_TRUE(o.failure.empty())
          << la << " after " << o.attempts << " attempts: " << o.failure << "\n"
          << ReadFileOrEmpty(coordinator.log());
      ASSERT_FALSE(o.acknowledged.empty()) << la;
      const std::string expected = crypto::Sha256Hex(requests_->at(la));
      for (const std::string& r : o.acknowledged) EXPECT_EQ(r, expected) << la;
      if (clients_died) {
        EXPECT_EQ(o.dropped_receipt, expected) << la;
        EXPECT_TRUE(o.resend_already_stored) << la << ": a resend was stored anew";
      }
      receipt_of[la] = expected;
    }

    // The database, as SQLite sees it: one row per LA, the acknowledged receipt.
    std::string integrity;
    std::vector<std::pair<std::string, std::string>> rows =
        StoredRows(coordinator.db(), &integrity);
    EXPECT_EQ(integrity, "ok");
    std::map<std::string, int> count;
    for (const auto& [la, receipt] : rows) {
      ++count[la];
      EXPECT_EQ(receipt, receipt_of[la]) << la;
    }
    EXPECT_EQ(rows.size(), static_cast<size_t>(kLaCount));
    for (const std::string& la : *las_) EXPECT_EQ(count[la], 1) << la;

    // The coordinator's own account.
    testing::CollectionAdminTarget op{coordinator.address(), *dir_ + "/pki", kOperator};
    absl::StatusOr<v1::CollectionStatus> status = testing::GetCollectionStatus(op, kCollection);
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(status->submitted(), kLaCount);
    ASSERT_EQ(status->las_size(), kLaCount);
    for (const v1::LaCollectionStatus& l : status->las()) {
      EXPECT_EQ(l.state(), v1::LaCollectionStatus::SUBMITTED) << l.la_code();
      EXPECT_EQ(l.receipt(), receipt_of[l.la_code()]) << l.la_code();
    }

    // An idempotent resend from every LA.
    for (const std::string& la : *las_) {
      v1::SubmitResponse again;
      grpc::Status s = Send(Channel(coordinator.address(), *dir_ + "/pki/la/" + la), la,
                            std::chrono::milliseconds(10000), &again);
      ASSERT_TRUE(s.ok()) << la << ": " << s.error_message();
      EXPECT_TRUE(again.already_stored()) << la;
      EXPECT_EQ(again.receipt(), receipt_of[la]) << la;
    }

    // The round completes: closed, then released nationally with every LA in it.
    absl::StatusOr<v1::Collection> closed = testing::CloseCollection(op, kCollection);
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(closed->state(), v1::Collection::CLOSED);
    auto stub = v1::Coordinator::NewStub(
        Channel(coordinator.address(), *dir_ + "/pki/recipients/" + kNationalReader));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ReleaseRequest release;
    release.set_year(kYear);
    release.set_collection_id(kCollection);
    release.add_levels(v1::NATIONAL);
    v1::ReleaseResponse released;
    grpc::Status s = stub->Release(&ctx, release, &released);
    ASSERT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> named(released.la_codes().begin(), released.la_codes().end());
    std::sort(named.begin(), named.end());
    EXPECT_THAT(named, ElementsAreArray(*las_));
    EXPECT_GT(released.cells_size(), 0);
  }

  static void OpenCollection(const CrashableCoordinator& coordinator) {
    testing::CollectionAdminTarget op{coordinator.address(), *dir_ + "/pki", kOperator};
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(op, kYear, *las_);
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  static std::string* dir_;
  static std::atomic<int> acknowledged_count_;  // LAs acknowledged so far in this round
  static std::vector<std::string>* las_;
  static std::map<std::string, std::string>* requests_;  // LA -> serialized SubmitRequest
};

std::string* CoordinatorCrashTest::dir_ = nullptr;
std::atomic<int> CoordinatorCrashTest::acknowledged_count_{0};
std::vector<std::string>* CoordinatorCrashTest::las_ = nullptr;
std::map<std::string, std::string>* CoordinatorCrashTest::requests_ = nullptr;

TEST_F(CoordinatorCrashTest, KilledRepeatedlyDuringARoundLosesAndDuplicatesNothing) {
  CrashableCoordinator coordinator(*dir_, "killed");
  ASSERT_TRUE(coordinator.Start()) << ReadFileOrEmpty(coordinator.log());
  OpenCollection(coordinator);
  const int kills = 3 + static_cast<int>(Seed() % 3);
  std::map<std::string, ClientOutcome> outcomes = RunRound(coordinator, kills, false);
  int retried = 0;
  for (const auto& [la, o] : outcomes) retried += o.attempts > 1;
  std::cout << kills << " kills; " << retried << " of " << kLaCount << " LAs had to retry"
            << std::endl;
  ExpectRoundIntact(coordinator, outcomes, /*clients_died=*/false);
  EXPECT_EQ(coordinator.Stop(), 0);
}

TEST_F(CoordinatorCrashTest, ClientsThatDieAndResendAreAnsweredAlreadyStored) {
  CrashableCoordinator coordinator(*dir_, "clients-die");
  ASSERT_TRUE(coordinator.Start()) << ReadFileOrEmpty(coordinator.log());
  OpenCollection(coordinator);
  // One coordinator crash as well, so resends also cross a restart.
  std::map<std::string, ClientOutcome> outcomes = RunRound(coordinator, 1, true);
  ExpectRoundIntact(coordinator, outcomes, /*clients_died=*/true);
  EXPECT_EQ(coordinator.Stop(), 0);
}

}  // namespace
}  // namespace ringfence
