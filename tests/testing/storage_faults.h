// Helpers for end-to-end tests of what the binaries do when their storage fails: running a
// binary under a file-size limit (a stand-in for a full disk) or without the privileges that
// let root ignore permission bits (a stand-in for a read-only file or folder), and reading a
// SQLite file afterwards (PRAGMA integrity_check, page counts).
//
// Test-only: these wrap argv for tests/testing/subprocess.h's RunCommand / BackgroundProcess
// and rely on util-linux `prlimit` and `setpriv` in /usr/bin.
#ifndef RINGFENCE_TESTS_TESTING_STORAGE_FAULTS_H_
#define RINGFENCE_TESTS_TESTING_STORAGE_FAULTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ringfence::testing {

// `argv` run with a file-size limit of `bytes` (RLIMIT_FSIZE through `prlimit`) and SIGXFSZ
// ignored, so that writes past the limit fail with EFBIG, as they would with ENOSPC on a full
// disk, instead of killing the process.
std::vector<std::string> UnderFileSizeLimit(int64_t bytes, const std::vector<std::string>& argv);

// `argv` run so that file permission bits apply to it: as root, through `setpriv` without any
// capability (CAP_DAC_OVERRIDE is what lets root write a read-only file); otherwise unchanged.
// Callers should check once that the wrapper does stop a write where they rely on it
// (WithoutPrivilegeStopsWritesIn).
std::vector<std::string> WithoutPrivilege(const std::vector<std::string>& argv);

// Control for tests that rely on WithoutPrivilege: creates a read-only file "control" in
// `folder` and checks that a shell run through WithoutPrivilege cannot append to it. Without it
// a read-only test could pass because the write was never attempted unprivileged.
::testing::AssertionResult WithoutPrivilegeStopsWritesIn(const std::string& folder);

enum class SqliteOpen {
  // Never writes; leaves any -wal and -shm files in place.
  kReadOnly,
  // Read-write, never creating the file. As the last connection to close it removes the -wal
  // and -shm files, as the binaries do on a clean stop (a read-only folder then holds only the
  // database file). Only read statements should be run through it.
  kReadWrite,
};

// Runs one statement on the SQLite file at `path` and returns the first column of each row as
// text (NULL as ""), joined with "; " -- "ok" for a sound file's PRAGMA integrity_check. On
// failure returns "cannot open: ..." or "cannot prepare: ..." with SQLite's message, which no
// expected value equals.
std::string SqliteQuery(const std::string& path, const char* sql, SqliteOpen mode);

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_STORAGE_FAULTS_H_
