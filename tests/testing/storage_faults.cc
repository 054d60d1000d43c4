#include "tests/testing/storage_faults.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "tests/testing/subprocess.h"

namespace ringfence::testing {

std::vector<std::string> UnderFileSizeLimit(int64_t bytes, const std::vector<std::string>& argv) {
  std::vector<std::string> out = {"/usr/bin/prlimit",
                                  absl::StrCat("--fsize=", bytes),
                                  "--",
                                  "/bin/sh",
                                  "-c",
                                  "trap '' XFSZ; exec \"$0\" \"$@\""};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::vector<std::string> WithoutPrivilege(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  if (::geteuid() == 0) {
    out = {"/usr/bin/setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all",
           "--"};
  }
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

::testing::AssertionResult WithoutPrivilegeStopsWritesIn(const std::string& folder) {
  namespace fs = std::filesystem;
  const std::string f = folder + "/control";
  std::FILE* out = std::fopen(f.c_str(), "w");
  if (out == nullptr) return ::testing::AssertionFailure() << "cannot create " << f;
  std::fclose(out);
  fs::permissions(f, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const RunResult r = RunCommand(WithoutPrivilege({"/bin/sh", "-c", "echo x >> \"$0\"", f}));
  std::error_code ec;
  const auto size = fs::file_size(f, ec);
  if (r.exit_code == 0 || ec || size != 0) {
    return ::testing::AssertionFailure()
           << "a read-only file was written (exit " << r.exit_code << ", size "
           << (ec ? std::string("unknown") : absl::StrCat(size)) << "): " << r.err;
  }
  return ::testing::AssertionSuccess();
}

std::string SqliteQuery(const std::string& path, const char* sql, SqliteOpen mode) {
  const int flags = mode == SqliteOpen::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    result = absl::StrCat("cannot open: ", db ? sqlite3_errmsg(db) : "?");
  } else {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
      result = absl::StrCat("cannot prepare: ", sqlite3_errmsg(db));
    } else {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        if (!result.empty()) result += "; ";
        const unsigned char* t = sqlite3_column_text(stmt, 0);
        result += t != nullptr ? reinterpret_cast<const char*>(t) : "";
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return result;
}

}  // namespace ringfence::testing
