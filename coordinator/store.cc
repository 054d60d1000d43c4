#include "coordinator/store.h"

#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/hash.h"

namespace ringfence::coordinator {
namespace {

constexpr char kCreateSchema[] = R"sql(
CREATE TABLE submissions (
  la_code           TEXT    NOT NULL,
  year              INTEGER NOT NULL,
  catalogue_version INTEGER NOT NULL,
  receipt           TEXT    NOT NULL CHECK (length(receipt) = 64),
  request           BLOB    NOT NULL,
  received_at       TEXT    NOT NULL,
  PRIMARY KEY (la_code, year)
) STRICT, WITHOUT ROWID;
)sql";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Conditions an operator can clear (space, permissions, locks, a flaky disk)
// and that a client may retry are UNAVAILABLE; everything else, corruption
// included, is INTERNAL.
absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status SqliteError(const std::string& path, sqlite3* db, int rc, absl::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  // For files the operator must make writable, the OS reason and what to do.
  std::string advice;
  const int primary = rc & 0xff;
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM) {
    const int sys = db != nullptr ? sqlite3_system_errno(db) : 0;
    advice = absl::StrCat(sys != 0 ? absl::StrCat(" (", std::strerror(sys), ")") : "",
                          "; the coordinator must be able to write ", path, " and create ",
                          path, "-wal and ", path, "-shm in its folder");
  }
  return absl::Status(CodeFor(rc), absl::StrCat("coordinator database ", path, ": ", what, ": ",
                                                detail, advice));
}

}  // namespace

SubmissionStore::SubmissionStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SubmissionStore::~SubmissionStore() { sqlite3_close_v2(db_); }

absl::StatusOr<std::unique_ptr<SubmissionStore>> SubmissionStore::Open(
    const std::string& path, const StoreOptions& options) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(path, db, rc, "cannot open");
    sqlite3_close_v2(db);  // a handle is returned even on failure
    return status;
  }
  if (sqlite3_db_readonly(db, "main") == 1) {
    // SQLite opens a file it may not write read-only, without an error; refuse now rather
    // than at the first submission.
    sqlite3_close_v2(db);
    return absl::UnavailableError(absl::StrCat(
        "coordinator database ", path,
        ": not writable by this process (opened read-only); make the file and its folder "
        "writable by the coordinator's account (SQLite also writes ", path, "-wal and ", path,
        "-shm beside it)"));
  }
  std::unique_ptr<SubmissionStore> store(new SubmissionStore(path, db));
  RINGFENCE_RETURN_IF_ERROR(store->Initialize(options));
  return store;
}

absl::Status SubmissionStore::Initialize(const StoreOptions& options) {
  absl::MutexLock lock(&mu_);
  sqlite3_extended_result_codes(db_, 1);
  auto exec = [this](const std::string& sql, absl::string_view what) -> absl::Status {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, what);
    return absl::OkStatus();
  };
  // Runs a statement that yields one row and returns its first column as text.
  auto query_text = [this](const char* sql, absl::string_view what) -> absl::StatusOr<std::string> {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
    Stmt stmt(raw);
    if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, what);
    rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) return std::string();
    if (rc != SQLITE_ROW) return SqliteError(path_, db_, rc, what);
    const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
    return std::string(text == nullptr ? "" : reinterpret_cast<const char*>(text));
  };

  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  // The first read of a file that is not a database fails here with "file is
  // not a database". Switching a new file to WAL needs an exclusive lock, and
  // SQLite reports a conflict with another connection opening the same new
  // file as SQLITE_BUSY at once, without calling the busy handler; so retry
  // here until the busy timeout, as every other statement would wait.
  const absl::Time deadline = absl::Now() + absl::Milliseconds(options.busy_timeout_ms);
  absl::StatusOr<std::string> wal;
  while (true) {
    wal = query_text("PRAGMA journal_mode=WAL", "cannot set WAL mode");
    const int rc = sqlite3_errcode(db_) & 0xff;
    if (wal.ok() || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || absl::Now() >= deadline) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  RINGFENCE_ASSIGN_OR_RETURN(std::string mode, std::move(wal));
  if (absl::AsciiStrToLower(mode) != "wal") {
    return absl::UnavailableError(absl::StrCat("coordinator database ", path_,
                                               ": cannot use WAL journal mode (got '", mode,
                                               "'); put the database on a local file system"));
  }
  RINGFENCE_RETURN_IF_ERROR(exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL"));
  RINGFENCE_RETURN_IF_ERROR(exec("PRAGMA foreign_keys=ON", "cannot enable foreign keys"));
  if (options.max_page_count > 0) {
    RINGFENCE_RETURN_IF_ERROR(exec(absl::StrCat("PRAGMA max_page_count=", options.max_page_count),
                                   "cannot set max_page_count"));
  }
  RINGFENCE_ASSIGN_OR_RETURN(std::string check,
                             query_text("PRAGMA quick_check", "integrity check failed"));
  if (check != "ok") {
    return absl::InternalError(
        absl::StrCat("coordinator database ", path_, ": integrity check failed: ", check));
  }

  // Create the schema under a write lock, re-reading the version inside the
  // transaction so two processes opening a new file at once cannot both create
  // it.
  RINGFENCE_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", "cannot begin a transaction"));
  absl::Status status = [&]() -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(std::string version_text,
                               query_text("PRAGMA user_version", "cannot read schema version"));
    const int version = std::atoi(version_text.c_str());
    if (version == kStoreSchemaVersion) {
      RINGFENCE_ASSIGN_OR_RETURN(std::string found,
                                 query_text("SELECT name FROM sqlite_schema WHERE "
                                            "type='table' AND name='submissions'",
                                            "cannot read the schema"));
      if (found.empty()) {
        return absl::InternalError(absl::StrCat("coordinator database ", path_, ": schema version ",
                                                version,
                                                " but no submissions table; the file is corrupt"));
      }
      return absl::OkStatus();
    }
    if (version != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("coordinator database ", path_, ": schema version ", version,
                       " is not one this build knows (", kStoreSchemaVersion,
                       "); use the ringfence-coordinator that created it"));
    }
    RINGFENCE_ASSIGN_OR_RETURN(std::string tables, query_text("SELECT count(*) FROM sqlite_schema",
                                                              "cannot read the schema"));
    if (tables != "0") {
      return absl::FailedPreconditionError(
          absl::StrCat("coordinator database ", path_,
                       ": an SQLite file with tables but no Ringfence schema "
                       "version; refusing to modify it"));
    }
    RINGFENCE_RETURN_IF_ERROR(exec(kCreateSchema, "cannot create the schema"));
    return exec(absl::StrCat("PRAGMA user_version=", kStoreSchemaVersion),
                "cannot set the schema version");
  }();
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  return exec("COMMIT", "cannot commit the schema");
}

absl::StatusOr<InsertResult> SubmissionStore::Insert(absl::string_view la_code, int year,
                                                     unsigned catalogue_version,
                                                     absl::string_view request_bytes,
                                                     absl::Time received_at) {
  const std::string receipt = crypto::Sha256Hex(request_bytes);
  const std::string received_text =
      absl::FormatTime(absl::RFC3339_full, received_at, absl::UTCTimeZone());
  absl::MutexLock lock(&mu_);

  auto prepare = [this](const char* sql) -> absl::StatusOr<Stmt> {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
    Stmt stmt(raw);
    if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, "cannot prepare a statement");
    return stmt;
  };

  // BEGIN IMMEDIATE takes the write lock before the read, so the
  // check-then-insert is atomic even against another process.
  int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, "cannot begin a transaction");

  absl::StatusOr<InsertResult> result = [&]() -> absl::StatusOr<InsertResult> {
    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt select, prepare("SELECT receipt FROM submissions WHERE la_code=?1 AND year=?2"));
    sqlite3_bind_text(select.get(), 1, la_code.data(), static_cast<int>(la_code.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int(select.get(), 2, year);
    int step = sqlite3_step(select.get());
    if (step == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(select.get(), 0);
      const std::string existing = text == nullptr ? "" : reinterpret_cast<const char*>(text);
      if (existing == receipt) return InsertResult{receipt, true};
      return absl::AlreadyExistsError(
          absl::StrCat(la_code, " already submitted a different grid for ", year,
                       "; a round is released once (stored receipt ", existing, ")"));
    }
    if (step != SQLITE_DONE) return SqliteError(path_, db_, step, "cannot read submissions");

    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt insert, prepare("INSERT INTO submissions (la_code, year, catalogue_version, "
                             "receipt, request, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    sqlite3_bind_text(insert.get(), 1, la_code.data(), static_cast<int>(la_code.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_int(insert.get(), 2, year);
    sqlite3_bind_int64(insert.get(), 3, catalogue_version);
    sqlite3_bind_text(insert.get(), 4, receipt.data(), static_cast<int>(receipt.size()),
                      SQLITE_TRANSIENT);
    // A non-null pointer so that empty bytes bind as a zero-length blob, not
    // NULL.
    sqlite3_bind_blob(insert.get(), 5, request_bytes.empty() ? "" : request_bytes.data(),
                      static_cast<int>(request_bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert.get(), 6, received_text.data(), static_cast<int>(received_text.size()),
                      SQLITE_TRANSIENT);
    step = sqlite3_step(insert.get());
    if (step != SQLITE_DONE) {
      return SqliteError(path_, db_, step,
                         absl::StrCat("cannot store the submission of ", la_code, " for ", year));
    }
    return InsertResult{receipt, false};
  }();

  if (!result.ok() || result->already_stored) {
    // Nothing to keep. SQLite may already have rolled back (e.g. on
    // SQLITE_FULL).
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return result;
  }
  rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(path_, db_, rc, "cannot commit the submission");
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
  }
  return result;
}

absl::StatusOr<std::vector<StoredSubmission>> SubmissionStore::LoadYear(int year) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_,
                              "SELECT la_code, year, catalogue_version, receipt, request, "
                              "received_at FROM submissions WHERE year=?1 ORDER BY la_code",
                              -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, "cannot prepare a statement");
  sqlite3_bind_int(stmt.get(), 1, year);

  auto text_at = [&stmt](int col) {
    const unsigned char* t = sqlite3_column_text(stmt.get(), col);
    return std::string(t == nullptr ? "" : reinterpret_cast<const char*>(t));
  };
  std::vector<StoredSubmission> out;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    StoredSubmission s;
    s.la_code = text_at(0);
    s.year = sqlite3_column_int(stmt.get(), 1);
    s.catalogue_version = static_cast<unsigned>(sqlite3_column_int64(stmt.get(), 2));
    s.receipt = text_at(3);
    const void* blob = sqlite3_column_blob(stmt.get(), 4);
    const int size = sqlite3_column_bytes(stmt.get(), 4);
    if (blob != nullptr && size > 0) s.request_bytes.assign(static_cast<const char*>(blob), size);
    const std::string received = text_at(5);
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, received, &s.received_at, &err)) {
      return absl::InternalError(absl::StrCat("coordinator database ", path_, ": row for ",
                                              s.la_code, " ", year,
                                              " has a malformed received_at '", received, "'"));
    }
    if (crypto::Sha256Hex(s.request_bytes) != s.receipt) {
      return absl::InternalError(
          absl::StrCat("coordinator database ", path_, ": row for ", s.la_code, " ", year,
                       " does not match its receipt; the file is corrupt or was modified"));
    }
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read submissions");
  return out;
}

}  // namespace ringfence::coordinator
