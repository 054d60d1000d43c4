// The coordinator's database when its storage fails, end to end, with the real
// ringfence-coordinator:
//   - full: the database capped by --max-db-pages at its size before the round (SQLite then
//     fails writes with SQLITE_FULL, as on a full disk). A submission is refused UNAVAILABLE,
//     the log names the database and says it is full, the coordinator keeps serving, nothing
//     is stored, the file passes PRAGMA integrity_check, and once there is room (restarted
//     without the cap) the same submission is stored, with the receipt of its bytes;
//   - read-only: the database file, or its folder, not writable. The coordinator refuses to
//     start, naming the database and what to do, and changes nothing; with the permissions
//     fixed it starts. Tests run as root in CI, where permission bits do not stop writes, so
//     the coordinator then runs under `setpriv` without any capability (checked to work).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "catalogue/catalogue.h"
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
#include "tests/testing/storage_faults.h"
#include "tests/testing/subprocess.h"

namespace ringfence {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using testing::BinaryPath;
using ::testing::HasSubstr;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;
using testing::WithoutPrivilege;

constexpr int kYear = 2025;
constexpr char kLa[] = "E09000033";
constexpr char kOperator[] = "ops";

// A read-write connection (never creating) so that, as the last one to close, it removes the
// -wal and -shm files as the coordinator does on a clean stop; a read-only connection would
// leave them, and a read-only folder would then not stop the coordinator.
std::string Query(const std::string& path, const char* sql) {
  return testing::SqliteQuery(path, sql, testing::SqliteOpen::kReadWrite);
}

class CoordinatorStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("ringfence-coord-storage");
    fs::permissions(dir_, fs::perms::all);
    RunResult r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", dir_ + "/pki",
                              "--la", kLa, "--operators", kOperator});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    db_folder_ = dir_ + "/db";
    fs::create_directories(db_folder_);
    fs::permissions(db_folder_, fs::perms::all);
    db_ = db_folder_ + "/coordinator.db";
  }

  void TearDown() override {
    std::error_code ec;
    fs::permissions(db_folder_, fs::perms::all, ec);  // so the folder can be cleaned up
  }

  std::vector<std::string> Command(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {BinaryPath("ringfence-coordinator"),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--cert",
                                     dir_ + "/pki/coordinator.pem",
                                     "--key",
                                     dir_ + "/pki/coordinator.key",
                                     "--ca",
                                     dir_ + "/pki/ca.pem",
                                     "--db",
                                     db_,
                                     "--policy",
                                     policy::testing::ShippedPolicyPath(),
                                     "--port-file",
                                     dir_ + "/port"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // Starts the coordinator in the background; sets address_. False if it did not start.
  bool Start(const std::vector<std::string>& extra = {}) {
    std::remove((dir_ + "/port").c_str());
    process_ = std::make_unique<testing::BackgroundProcess>(Command(extra), Log());
    const std::string port = testing::WaitForFile(dir_ + "/port", 30);
    if (port.empty()) return false;
    address_ = absl::StrCat("127.0.0.1:", absl::StripAsciiWhitespace(port));
    return true;
  }

  std::string Log() const { return dir_ + "/coordinator.log"; }

  testing::CollectionAdminTarget Operator() const { return {address_, dir_ + "/pki", kOperator}; }

  // A real protected grid for kLa under the shipped policy, serialized.
  static std::string RequestBytes() {
    absl::StatusOr<policy::Policy> p = policy::LoadPolicyFile(policy::testing::ShippedPolicyPath());
    EXPECT_TRUE(p.ok()) << p.status();
    crypto::testing::DeterministicRandomSource rng(7);
    std::vector<int64_t> exact(catalogue::GridCells().size(), 60);
    auto grid = node::ProtectGrid(exact, *p, rng);
    EXPECT_TRUE(grid.ok()) << grid.status();
    auto req = node::BuildSubmitRequest(kLa, kYear, *p, *grid);
    EXPECT_TRUE(req.ok()) << req.status();
    req->set_collection_id(absl::StrCat(kYear, "-annual"));
    return req->SerializeAsString();
  }

  grpc::Status Submit(const std::string& bytes, v1::SubmitResponse* response) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = ReadFileOrEmpty(dir_ + "/pki/ca.pem");
    opts.pem_cert_chain = ReadFileOrEmpty(dir_ + "/pki/la/" + std::string(kLa) + ".pem");
    opts.pem_private_key = ReadFileOrEmpty(dir_ + "/pki/la/" + std::string(kLa) + ".key");
    auto stub = v1::Coordinator::NewStub(grpc::CreateChannel(address_, grpc::SslCredentials(opts)));
    v1::SubmitRequest request;
    EXPECT_TRUE(request.ParseFromString(bytes));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->Submit(&ctx, request, response);
  }

  // A database with the year's collection open and nothing submitted, coordinator stopped.
  void PrepareDatabase() {
    ASSERT_TRUE(Start()) << ReadFileOrEmpty(Log());
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(Operator(), kYear, {kLa});
    ASSERT_TRUE(opened.ok()) << opened.status();
    ASSERT_EQ(process_->Stop(), 0) << ReadFileOrEmpty(Log());
    process_.reset();
    ASSERT_EQ(Query(db_, "PRAGMA integrity_check"), "ok");
  }

  // The coordinator refused to start under WithoutPrivilege: exit 1, naming the database.
  RunResult ExpectStartRefused() {
    std::remove((dir_ + "/port").c_str());
    RunResult r = RunCommand(WithoutPrivilege(Command()), 30);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, AllOf(HasSubstr(db_), HasSubstr("writ")));
    EXPECT_FALSE(fs::exists(dir_ + "/port")) << "it started listening";
    return r;
  }

  std::string dir_, db_folder_, db_, address_;
  std::unique_ptr<testing::BackgroundProcess> process_;
};

TEST_F(CoordinatorStorageTest, AFullDatabaseRefusesUnavailableStaysUpAndLaterStores) {
  PrepareDatabase();
  const std::string pages = Query(db_, "PRAGMA page_count");
  const std::string bytes = RequestBytes();
  // The grid cannot fit in the pages already there (the table is empty).
  ASSERT_GT(bytes.size(), 4096u);
  ASSERT_TRUE(Start({"--max-db-pages", pages})) << ReadFileOrEmpty(Log());

  v1::SubmitResponse response;
  grpc::Status full = Submit(bytes, &response);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::UNAVAILABLE) << full.error_message();
  // Still serving, and still refusing: nothing half-stored that a retry would trip over.
  absl::StatusOr<v1::CollectionStatus> status =
      testing::GetCollectionStatus(Operator(), absl::StrCat(kYear, "-annual"));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->submitted(), 0);
  grpc::Status again = Submit(bytes, &response);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::UNAVAILABLE) << again.error_message();
  EXPECT_TRUE(process_->running());
  EXPECT_EQ(process_->Stop(), 0);
  const std::string log = ReadFileOrEmpty(Log());
  EXPECT_THAT(log, AllOf(HasSubstr(db_), HasSubstr("full")));
  EXPECT_EQ(Query(db_, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Query(db_, "PRAGMA page_count"), pages);

  // Room again: the same submission is stored, once.
  ASSERT_TRUE(Start()) << ReadFileOrEmpty(Log());
  grpc::Status ok = Submit(bytes, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_FALSE(response.already_stored());
  EXPECT_EQ(response.receipt(), crypto::Sha256Hex(bytes));
  status = testing::GetCollectionStatus(Operator(), absl::StrCat(kYear, "-annual"));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->submitted(), 1);
  ASSERT_EQ(status->las_size(), 1);
  EXPECT_EQ(status->las(0).receipt(), response.receipt());
}

TEST_F(CoordinatorStorageTest, TheUnprivilegedWrapperReallyStopsWritesToReadOnlyFiles) {
  EXPECT_TRUE(testing::WithoutPrivilegeStopsWritesIn(db_folder_));
}

TEST_F(CoordinatorStorageTest, AReadOnlyDatabaseFileIsRefusedAtStartAndLeftUnchanged) {
  PrepareDatabase();
  const std::string before = ReadFileOrEmpty(db_);
  fs::permissions(db_, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  ExpectStartRefused();
  EXPECT_EQ(ReadFileOrEmpty(db_), before);
  fs::permissions(db_, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(Start()) << ReadFileOrEmpty(Log());
}

TEST_F(CoordinatorStorageTest, AReadOnlyFolderIsRefusedAtStartWithOrWithoutADatabase) {
  const fs::perms read_only = fs::perms::owner_read | fs::perms::owner_exec |
                              fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec;
  // No database yet: it cannot be created.
  fs::permissions(db_folder_, read_only);
  ExpectStartRefused();
  EXPECT_TRUE(fs::is_empty(db_folder_));
  fs::permissions(db_folder_, fs::perms::all);

  // A database, but SQLite cannot create its -wal and -shm files beside it.
  PrepareDatabase();
  const std::string before = ReadFileOrEmpty(db_);
  ASSERT_FALSE(fs::exists(db_ + "-wal"));
  ASSERT_FALSE(fs::exists(db_ + "-shm"));
  fs::permissions(db_folder_, read_only);
  ExpectStartRefused();
  EXPECT_EQ(ReadFileOrEmpty(db_), before);
  fs::permissions(db_folder_, fs::perms::all);
  EXPECT_TRUE(Start()) << ReadFileOrEmpty(Log());
}

}  // namespace
}  // namespace ringfence
