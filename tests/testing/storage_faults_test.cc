#include "tests/testing/storage_faults.h"

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ringfence::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::StartsWith;

TEST(StorageFaultsTest, UnderFileSizeLimitMakesLargerWritesFailWithoutKillingTheProcess) {
  const std::string dir = MakeTempDir("ringfence-storage-faults");
  const std::string f = dir + "/big";
  // `dd` reports the failed write and exits 1; SIGXFSZ would have killed it (exit_code -1).
  const RunResult r = RunCommand(UnderFileSizeLimit(
      4096, {"/bin/dd", "if=/dev/zero", "of=" + f, "bs=1024", "count=64", "status=none"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LE(fs::file_size(f), 4096u);
  const RunResult unlimited =
      RunCommand({"/bin/dd", "if=/dev/zero", "of=" + f, "bs=1024", "count=64", "status=none"});
  EXPECT_EQ(unlimited.exit_code, 0) << unlimited.err;
  EXPECT_EQ(fs::file_size(f), 65536u);
}

TEST(StorageFaultsTest, WithoutPrivilegeStopsWritesToReadOnlyFiles) {
  const std::string dir = MakeTempDir("ringfence-storage-faults");
  fs::permissions(dir, fs::perms::all);
  EXPECT_TRUE(WithoutPrivilegeStopsWritesIn(dir));
}

TEST(StorageFaultsTest, SqliteQueryJoinsTheFirstColumnOfEveryRow) {
  const std::string dir = MakeTempDir("ringfence-storage-faults");
  const std::string path = dir + "/t.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(a TEXT); INSERT INTO t VALUES ('x'), (NULL), ('y');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(SqliteQuery(path, "SELECT a FROM t ORDER BY rowid", SqliteOpen::kReadOnly), "x; ; y");
  EXPECT_EQ(SqliteQuery(path, "PRAGMA integrity_check", SqliteOpen::kReadWrite), "ok");
  EXPECT_THAT(SqliteQuery(path, "SELECT nope FROM t", SqliteOpen::kReadOnly),
              StartsWith("cannot prepare: "));
  EXPECT_THAT(SqliteQuery(dir + "/missing.db", "PRAGMA integrity_check", SqliteOpen::kReadWrite),
              StartsWith("cannot open: "));
  EXPECT_FALSE(fs::exists(dir + "/missing.db"));
}

}  // namespace
}  // namespace ringfence::testing
