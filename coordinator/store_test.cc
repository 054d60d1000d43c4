#include "coordinator/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_store_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/coordinator.db";
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    ::rmdir(dir_.c_str());
  }

  std::unique_ptr<SubmissionStore> OpenOrDie(const StoreOptions& options = {}) {
    absl::StatusOr<std::unique_ptr<SubmissionStore>> store = SubmissionStore::Open(path_, options);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Runs SQL on the file through a separate raw connection.
  std::string RawQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string out;
    auto cb = [](void* p, int n, char** values, char**) {
      if (n > 0 && values[0] != nullptr) *static_cast<std::string*>(p) = values[0];
      return 0;
    };
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), cb, &out, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }

  std::string dir_;
  std::string path_;
};

const absl::Time kT0 = absl::FromUnixSeconds(1'750'000'000);

TEST_F(StoreTest, CreatesAVersionedSchemaInWalMode) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), path_);
  EXPECT_EQ(RawQuery("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery("PRAGMA user_version"), absl::StrCat(kStoreSchemaVersion));
  EXPECT_EQ(RawQuery("SELECT name FROM sqlite_schema WHERE type='table'"), "submissions");
}

TEST_F(StoreTest, StoresAndLoadsASubmission) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const std::string bytes("grid\0bytes", 10);
  absl::StatusOr<InsertResult> r = store->Insert("E09000033", 2025, 1, bytes, kT0);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->already_stored);
  EXPECT_EQ(r->receipt, crypto::Sha256Hex(bytes));
  EXPECT_EQ(r->receipt.size(), 64u);

  absl::StatusOr<std::vector<StoredSubmission>> rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  const StoredSubmission& s = (*rows)[0];
  EXPECT_EQ(s.la_code, "E09000033");
  EXPECT_EQ(s.year, 2025);
  EXPECT_EQ(s.catalogue_version, 1u);
  EXPECT_EQ(s.receipt, r->receipt);
  EXPECT_EQ(s.request_bytes, bytes);
  EXPECT_EQ(s.received_at, kT0);
  EXPECT_EQ(RawQuery("SELECT received_at FROM submissions"), "2025-06-15T15:06:40+00:00");
}

TEST_F(StoreTest, IdenticalResendIsAlreadyStoredAndKeepsTheFirstArrival) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert("E09000033", 2025, 1, "grid", kT0), IsOk());
  absl::StatusOr<InsertResult> again =
      store->Insert("E09000033", 2025, 1, "grid", kT0 + absl::Hours(1));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_stored);
  EXPECT_EQ(again->receipt, crypto::Sha256Hex("grid"));
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].received_at, kT0);
}

TEST_F(StoreTest, DifferentGridForTheSameLaAndYearIsAlreadyExists) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert("E09000033", 2025, 1, "grid one", kT0), IsOk());
  EXPECT_THAT(store->Insert("E09000033", 2025, 1, "grid two", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("E09000033 already submitted a different grid for 2025; a "
                                 "round is released once")));
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].request_bytes, "grid one");
}

TEST_F(StoreTest, KeysAreLaAndYear) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert("E09000033", 2025, 1, "a", kT0), IsOk());
  ASSERT_THAT(store->Insert("E09000033", 2024, 1, "b", kT0), IsOk());
  ASSERT_THAT(store->Insert("E08000037", 2025, 1, "c", kT0), IsOk());
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].la_code, "E08000037");  // ordered by LA code
  EXPECT_EQ((*rows)[1].la_code, "E09000033");
  auto none = store->LoadYear(2026);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, SubmissionsSurviveReopening) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Insert("E09000033", 2025, 1, "grid", kT0), IsOk());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].request_bytes, "grid");
  absl::StatusOr<InsertResult> again = store->Insert("E09000033", 2025, 1, "grid", kT0);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_stored);
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsAClearError) {
  { std::ofstream(path_) << "this is not an SQLite database, just some text long enough\n"; }
  EXPECT_THAT(
      SubmissionStore::Open(path_),
      StatusIs(absl::StatusCode::kInternal, AllOf(HasSubstr(path_), HasSubstr("not a database"))));
}

TEST_F(StoreTest, AMissingFolderIsUnavailableNamingTheFile) {
  const std::string missing = dir_ + "/no/such/dir/coordinator.db";
  EXPECT_THAT(SubmissionStore::Open(missing),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(missing)));
}

TEST_F(StoreTest, ANewerSchemaVersionIsRefused) {
  { auto store = OpenOrDie(); }
  RawQuery("PRAGMA user_version=99");
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("schema version 99"))));
}

TEST_F(StoreTest, AForeignSqliteFileIsNotModified) {
  RawQuery("CREATE TABLE other (x INTEGER)");
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("refusing to modify")));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_schema WHERE name='submissions'"), "0");
}

TEST_F(StoreTest, AVersionedFileWithoutTheTableIsCorrupt) {
  { auto store = OpenOrDie(); }
  RawQuery("DROP TABLE submissions");
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no submissions table")));
}

TEST_F(StoreTest, AFullDatabaseIsUnavailableAndLeavesNoPartialRow) {
  StoreOptions options;
  options.max_page_count = 8;  // 32 KiB with the default 4 KiB page
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  const std::string big(200 * 1024, 'x');
  EXPECT_THAT(store->Insert("E09000033", 2025, 1, big, kT0),
              StatusIs(absl::StatusCode::kUnavailable, AllOf(HasSubstr(path_), HasSubstr("full"))));
  // The store is still usable and the failed insert left nothing behind.
  EXPECT_THAT(store->Insert("E08000037", 2025, 1, "small", kT0), IsOk());
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].la_code, "E08000037");
}

TEST_F(StoreTest, ATamperedRowIsReportedNotUsed) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Insert("E09000033", 2025, 1, "grid", kT0), IsOk());
  }
  RawQuery("UPDATE submissions SET request = X'00112233'");
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->LoadYear(2025),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr(path_), HasSubstr("does not match its receipt"))));
}

TEST_F(StoreTest, ConcurrentIdenticalSubmissionsStoreExactlyOnce) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::atomic<int> fresh{0}, resent{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = store->Insert("E09000033", 2025, 1, "grid", kT0);
      if (!r.ok()) {
        ++failed;
      } else if (r->already_stored) {
        ++resent;
      } else {
        ++fresh;
      }
      // Distinct LAs in parallel as well.
      if (!store->Insert(absl::StrCat("E0900000", i), 2025, 1, "x", kT0).ok()) ++failed;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(resent.load(), 7);
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 9u);
}

// Two stores opening one brand-new file at the same moment stand for two
// coordinator processes started together. Switching a new file to WAL needs an
// exclusive lock, and SQLite reports the conflict at once instead of waiting
// for the busy timeout; Open must retry rather than fail "database is locked".
TEST_F(StoreTest, TwoStoresOpeningOneNewFileAtOnceBothSucceed) {
  constexpr int kIterations = 100;
  for (int i = 0; i < kIterations; ++i) {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    std::atomic<int> ready{0};
    absl::StatusOr<std::unique_ptr<SubmissionStore>> a, b;
    auto open = [&](absl::StatusOr<std::unique_ptr<SubmissionStore>>* out) {
      ++ready;
      while (ready.load() < 2) {
      }
      *out = SubmissionStore::Open(path_);
    };
    std::thread ta(open, &a);
    std::thread tb(open, &b);
    ta.join();
    tb.join();
    ASSERT_THAT(a, IsOk()) << "iteration " << i;
    ASSERT_THAT(b, IsOk()) << "iteration " << i;
    // Both see one schema, and a write through one is seen by the other.
    ASSERT_THAT((*a)->Insert("E09000033", 2025, 1, "grid", kT0), IsOk());
    auto rows = (*b)->LoadYear(2025);
    ASSERT_THAT(rows, IsOk()) << "iteration " << i;
    EXPECT_EQ(rows->size(), 1u) << "iteration " << i;
  }
}

TEST_F(StoreTest, TwoConnectionsToOneFileAgree) {
  auto a = OpenOrDie();
  auto b = OpenOrDie();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_THAT(a->Insert("E09000033", 2025, 1, "one", kT0), IsOk());
  EXPECT_THAT(b->Insert("E09000033", 2025, 1, "two", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto rows = b->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace ringfence::coordinator
