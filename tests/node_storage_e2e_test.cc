// The node's privacy ledger when its storage fails, end to end: the real `ringfence-node
// submit` with
//   - a full disk: the process runs under a file-size limit (RLIMIT_FSIZE through util-linux
//     `prlimit`, with SIGXFSZ ignored so that writes past the limit fail with EFBIG, as they
//     would with ENOSPC on a full disk), once so small that the ledger cannot even be opened
//     (SQLite's -shm file needs 32 KiB), once so that only the round's spend does not fit;
//   - a read-only ledger file, and a read-only folder (without the ledger, and with it: SQLite
//     needs to create the -wal file beside the ledger). Tests run as root in CI, where the
//     permission bits do not stop writes, so the node then runs under `setpriv` without any
//     capability; the test first checks that this wrapper does stop a write.
// Each time: exit code 1, a message naming the ledger file and what is wrong, nothing spent
// (the ledger has no round and passes PRAGMA integrity_check), nothing sent (the --coordinator
// address is a listening socket that must never see a connection), and once the storage is
// back the same command completes the round at the real coordinator, spending once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/ledger.h"
#include "policy/testing/policy_text.h"
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
using testing::SqliteOpen;
using testing::SqliteQuery;
using testing::UnderFileSizeLimit;
using testing::WithoutPrivilege;

constexpr int kYear = 2025;
// One LA per scenario, so that each has its own round at the one coordinator.
const std::vector<std::string> kLas = {"E09000033", "E08000025", "E06000047", "E09000001",
                                       "E06000001"};
constexpr char kOperator[] = "ops";

// A TCP socket on 127.0.0.1 that listens and never accepts: any connection attempt stays
// queued, so `Contacted` tells whether a process tried to reach it.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1: errno " << errno;
      return;
    }
    address_ = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& address() const { return address_; }
  bool Contacted() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

 private:
  int fd_ = -1;
  std::string address_;
};

class NodeStorageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-node-storage"));
    const std::string& d = *dir_;
    RunResult r =
        RunCommand({BinaryPath("ringfence"), "synth", "--la", absl::StrJoin(kLas, ","), "--year",
                    absl::StrCat(kYear), "--seed", "13", "--scale", "0.3", "--out", d + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la",
                    absl::StrJoin(kLas, ","), "--operators", kOperator});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::RunningCoordinator c =
        testing::StartCoordinator(d, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    coordinator_ = c.process.release();
    address_ = new std::string(c.address);
    testing::CollectionAdminTarget op{*address_, d + "/pki", kOperator};
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(op, kYear, kLas);
    ASSERT_TRUE(opened.ok()) << opened.status();
  }
  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
  }

  // The ringfence-node submit command for `la` with its ledger at `ledger`.
  static std::vector<std::string> SubmitCommand(const std::string& la, const std::string& ledger,
                                                const std::string& coordinator) {
    const std::string& d = *dir_;
    return {BinaryPath("ringfence-node"),
            "submit",
            "--policy",
            policy::testing::ShippedPolicyPath(),
            "--data",
            d + "/data/" + la,
            "--la",
            la,
            "--year",
            absl::StrCat(kYear),
            "--ledger",
            ledger,
            "--coordinator",
            coordinator,
            "--cert",
            d + "/pki/la/" + la + ".pem",
            "--key",
            d + "/pki/la/" + la + ".key",
            "--ca",
            d + "/pki/ca.pem"};
  }

  // A fresh folder for one scenario's ledger (readable and searchable by everyone, so that an
  // unprivileged process can reach it).
  static std::string Folder(const std::string& name) {
    const std::string f = *dir_ + "/" + name;
    fs::create_directories(f);
    fs::permissions(f, fs::perms::all);
    return f;
  }

  // Creates an empty ledger (schema only) at `path`, as a node's first start would.
  static void CreateEmptyLedger(const std::string& path) {
    auto ledger = node::Ledger::Open(path);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
  }

  // The ledger's rounds for `la` (none when the file or its year is absent).
  static int RoundCount(const std::string& ledger_path, const std::string& la) {
    auto ledger = node::Ledger::OpenReadOnly(ledger_path);
    if (!ledger.ok()) return 0;
    auto spending = (*ledger)->Spending();
    EXPECT_TRUE(spending.ok()) << spending.status();
    if (!spending.ok()) return -1;
    for (const node::YearSpend& y : *spending) {
      if (y.la_code == la && y.year == kYear) return y.round_count;
    }
    return 0;
  }

  // The failed run left no spend, sent nothing and did not damage the ledger.
  static void ExpectNothingSpentOrSent(const std::string& ledger, const std::string& la,
                                       const SilentListener& listener) {
    EXPECT_FALSE(listener.Contacted()) << "the node connected to the coordinator";
    if (fs::exists(ledger)) {
      EXPECT_EQ(SqliteQuery(ledger, "PRAGMA integrity_check", SqliteOpen::kReadOnly), "ok");
      EXPECT_EQ(RoundCount(ledger, la), 0);
    }
  }

  // Once storage is back, the same command completes the round, spending exactly once.
  static void ExpectLaterRunSpendsOnce(const std::string& ledger, const std::string& la) {
    RunResult ok = RunCommand(SubmitCommand(la, ledger, *address_));
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_THAT(ok.out, HasSubstr(": submitted "));
    auto l = node::Ledger::OpenReadOnly(ledger);
    ASSERT_TRUE(l.ok()) << l.status();
    auto spending = (*l)->Spending();
    ASSERT_TRUE(spending.ok()) << spending.status();
    int years = 0;
    for (const node::YearSpend& y : *spending) {
      if (y.la_code != la || y.year != kYear) continue;
      ++years;
      EXPECT_EQ(y.round_count, 1);
      EXPECT_EQ(y.sent_count, 1);
      EXPECT_EQ(node::FormatRho(y.spent), "1/2");  // rho_per_round, counted once
    }
    EXPECT_EQ(years, 1);
    EXPECT_EQ(SqliteQuery(ledger, "PRAGMA integrity_check", SqliteOpen::kReadOnly), "ok");
  }

  static std::string* dir_;
  static std::string* address_;
  static testing::BackgroundProcess* coordinator_;
};

std::string* NodeStorageTest::dir_ = nullptr;
std::string* NodeStorageTest::address_ = nullptr;
testing::BackgroundProcess* NodeStorageTest::coordinator_ = nullptr;

TEST_F(NodeStorageTest, TheUnprivilegedWrapperReallyStopsWritesToReadOnlyFiles) {
  // Control for the read-only tests: without it they could pass because the write was
  // never attempted as an unprivileged process.
  EXPECT_TRUE(testing::WithoutPrivilegeStopsWritesIn(Folder("control")));
}

TEST_F(NodeStorageTest, DiskFullWhenOpeningTheLedgerFailsClearlyAndALaterRunSpendsOnce) {
  const std::string la = kLas[0];
  const std::string ledger = Folder("full") + "/ledger.sqlite";
  CreateEmptyLedger(ledger);
  ASSERT_FALSE(fs::exists(ledger + "-wal"));  // checkpointed and removed on close
  // No file of the process may grow past the empty ledger's size.
  const int64_t limit = static_cast<int64_t>(fs::file_size(ledger));
  SilentListener listener;
  RunResult full =
      RunCommand(UnderFileSizeLimit(limit, SubmitCommand(la, ledger, listener.address())));
  EXPECT_EQ(full.exit_code, 1) << full.out << full.err;
  EXPECT_THAT(full.err,
              AllOf(HasSubstr(ledger), HasSubstr("UNAVAILABLE"),
                    HasSubstr("full or a file size limit"), HasSubstr("nothing computed or sent")));
  ExpectNothingSpentOrSent(ledger, la, listener);
  EXPECT_EQ(static_cast<int64_t>(fs::file_size(ledger)), limit);
  ExpectLaterRunSpendsOnce(ledger, la);
}

TEST_F(NodeStorageTest, DiskFullAtTheSpendFailsClearlyAndALaterRunSpendsOnce) {
  // Only the round's spend must not fit: the node opens the ledger and computes, and the
  // write of the spend and its cells to the write-ahead log fails. To get there, the WAL is
  // made larger than the -shm file (32 KiB) by an earlier spend of another year, and kept
  // (neither deleted nor restarted from its beginning) by a reader of this test that holds a
  // read transaction on it; the limit is then the WAL's size, so the node's first new frame
  // does not fit.
  const std::string la = kLas[4];
  const std::string ledger = Folder("full-spend") + "/ledger.sqlite";
  CreateEmptyLedger(ledger);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(ledger.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr),
            SQLITE_OK);
  {
    auto l = node::Ledger::Open(ledger);
    ASSERT_TRUE(l.ok()) << l.status();
    node::RoundKey earlier;
    earlier.la_code = la;
    earlier.year = kYear - 1;
    earlier.catalogue_version = 1;
    auto spent = (*l)->RecordSpend(earlier, {1, 2}, {1, 2}, std::string(48 * 1024, 'c'));
    ASSERT_TRUE(spent.ok()) << spent.status();
  }
  ASSERT_EQ(
      sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr),
      SQLITE_OK);
  const int64_t wal = static_cast<int64_t>(fs::file_size(ledger + "-wal"));
  ASSERT_GT(wal, 32 * 1024);
  SilentListener listener;
  RunResult full =
      RunCommand(UnderFileSizeLimit(wal, SubmitCommand(la, ledger, listener.address())));
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close_v2(reader);
  EXPECT_EQ(full.exit_code, 1) << full.out << full.err;
  EXPECT_THAT(full.err, AllOf(HasSubstr(ledger), HasSubstr("UNAVAILABLE"),
                              HasSubstr("full or a file size limit"), HasSubstr("nothing sent")));
  EXPECT_THAT(full.err, ::testing::Not(HasSubstr("nothing computed")));  // it got that far
  ExpectNothingSpentOrSent(ledger, la, listener);
  ExpectLaterRunSpendsOnce(ledger, la);
}

TEST_F(NodeStorageTest, ReadOnlyLedgerFileFailsClearlyAndALaterRunSpendsOnce) {
  const std::string la = kLas[1];
  const std::string folder = Folder("ro-file");
  const std::string ledger = folder + "/ledger.sqlite";
  CreateEmptyLedger(ledger);
  const std::string before = ReadFileOrEmpty(ledger);
  fs::permissions(ledger, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  SilentListener listener;
  RunResult ro = RunCommand(WithoutPrivilege(SubmitCommand(la, ledger, listener.address())));
  EXPECT_EQ(ro.exit_code, 1) << ro.out << ro.err;
  EXPECT_THAT(ro.err, AllOf(HasSubstr(ledger), HasSubstr("UNAVAILABLE"),
                            HasSubstr("make them writable by the node's account"),
                            HasSubstr("nothing computed or sent")));
  ExpectNothingSpentOrSent(ledger, la, listener);
  EXPECT_EQ(ReadFileOrEmpty(ledger), before);  // not a byte changed
  fs::permissions(ledger, fs::perms::owner_read | fs::perms::owner_write);
  ExpectLaterRunSpendsOnce(ledger, la);
}

TEST_F(NodeStorageTest, ReadOnlyFolderWithoutALedgerFailsClearlyAndCreatesNothing) {
  const std::string la = kLas[2];
  const std::string folder = Folder("ro-new");
  const std::string ledger = folder + "/ledger.sqlite";
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  SilentListener listener;
  RunResult ro = RunCommand(WithoutPrivilege(SubmitCommand(la, ledger, listener.address())));
  EXPECT_EQ(ro.exit_code, 1) << ro.out << ro.err;
  EXPECT_THAT(ro.err, AllOf(HasSubstr(ledger), HasSubstr("UNAVAILABLE"),
                            HasSubstr("make them writable by the node's account")));
  ExpectNothingSpentOrSent(ledger, la, listener);
  EXPECT_TRUE(fs::is_empty(folder));
  fs::permissions(folder, fs::perms::all);
  ExpectLaterRunSpendsOnce(ledger, la);
}

TEST_F(NodeStorageTest, ReadOnlyFolderWithALedgerFailsClearlyAndChangesNothing) {
  // The ledger file itself is writable, but SQLite cannot create its -wal file beside it.
  const std::string la = kLas[3];
  const std::string folder = Folder("ro-folder");
  const std::string ledger = folder + "/ledger.sqlite";
  CreateEmptyLedger(ledger);
  fs::permissions(ledger, fs::perms::all);
  const std::string before = ReadFileOrEmpty(ledger);
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  SilentListener listener;
  RunResult ro = RunCommand(WithoutPrivilege(SubmitCommand(la, ledger, listener.address())));
  EXPECT_EQ(ro.exit_code, 1) << ro.out << ro.err;
  EXPECT_THAT(ro.err, AllOf(HasSubstr(ledger), HasSubstr("UNAVAILABLE"),
                            HasSubstr("make them writable by the node's account")));
  // (Before the checks below open it: this test's process may write the folder.)
  EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(folder), fs::directory_iterator()),
            std::vector<fs::path>{fs::path(ledger)});
  EXPECT_EQ(ReadFileOrEmpty(ledger), before);
  ExpectNothingSpentOrSent(ledger, la, listener);
  fs::permissions(folder, fs::perms::all);
  ExpectLaterRunSpendsOnce(ledger, la);
}

}  // namespace
}  // namespace ringfence
