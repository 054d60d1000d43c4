#include "coordinator/store.h"

#include <sqlite3.h>

#include <algorithm>
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

constexpr char kCreateSchemaV2[] = R"sql(
CREATE TABLE collections (
  collection_id TEXT    NOT NULL PRIMARY KEY,
  year          INTEGER NOT NULL,
  period        INTEGER NOT NULL CHECK (period BETWEEN 1 AND 3),
  period_start  TEXT    NOT NULL,
  period_end    TEXT    NOT NULL,
  deadline      INTEGER NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
  opened_at     INTEGER NOT NULL,
  opened_by     TEXT    NOT NULL,
  closed_at     INTEGER,
  closed_by     TEXT,
  CHECK ((state = 'OPEN') = (closed_at IS NULL))
) STRICT, WITHOUT ROWID;
CREATE TABLE expected_las (
  collection_id TEXT NOT NULL REFERENCES collections (collection_id),
  la_code       TEXT NOT NULL,
  PRIMARY KEY (collection_id, la_code)
) STRICT, WITHOUT ROWID;
CREATE TABLE submissions (
  collection_id     TEXT    NOT NULL,
  la_code           TEXT    NOT NULL,
  year              INTEGER NOT NULL,
  catalogue_version INTEGER NOT NULL,
  receipt           TEXT    NOT NULL CHECK (length(receipt) = 64),
  request           BLOB    NOT NULL,
  received_at       TEXT    NOT NULL,
  late              INTEGER NOT NULL CHECK (late IN (0, 1)),
  PRIMARY KEY (collection_id, la_code),
  FOREIGN KEY (collection_id, la_code) REFERENCES expected_las (collection_id, la_code)
) STRICT, WITHOUT ROWID;
CREATE INDEX submissions_by_year ON submissions (year);
CREATE TABLE refusals (
  collection_id TEXT    NOT NULL,
  la_code       TEXT    NOT NULL,
  code          TEXT    NOT NULL,
  reason        TEXT    NOT NULL,
  refused_at    INTEGER NOT NULL,
  PRIMARY KEY (collection_id, la_code),
  FOREIGN KEY (collection_id, la_code) REFERENCES expected_las (collection_id, la_code)
) STRICT, WITHOUT ROWID;
CREATE TABLE node_states (
  collection_id TEXT    NOT NULL,
  la_code       TEXT    NOT NULL,
  state         INTEGER NOT NULL CHECK (state > 0),
  reported_at   INTEGER NOT NULL,
  PRIMARY KEY (collection_id, la_code),
  FOREIGN KEY (collection_id, la_code) REFERENCES expected_las (collection_id, la_code)
) STRICT, WITHOUT ROWID;
)sql";

// Every table of schema version 2, checked on open.
constexpr const char* kV2Tables[] = {"collections", "expected_las", "submissions", "refusals",
                                     "node_states"};

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
                          "; the coordinator must be able to write ", path, " and create ", path,
                          "-wal and ", path, "-shm in its folder");
  }
  return absl::Status(
      CodeFor(rc), absl::StrCat("coordinator database ", path, ": ", what, ": ", detail, advice));
}

void BindText(sqlite3_stmt* stmt, int index, absl::string_view text) {
  // A non-null pointer so that empty text binds as '', not NULL.
  sqlite3_bind_text(stmt, index, text.empty() ? "" : text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* t = sqlite3_column_text(stmt, col);
  return std::string(t == nullptr ? "" : reinterpret_cast<const char*>(t));
}

std::string StateText(CollectionState state) {
  return state == CollectionState::kOpen ? "OPEN" : "CLOSED";
}

// The order of a collection's window inside its year, for listing; unknown ids
// (none are written) sort last.
int WindowRank(const std::string& collection_id) {
  absl::StatusOr<ParsedCollectionId> parsed = ParseCollectionId(collection_id);
  return parsed.ok() ? parsed->window.rank : 99;
}

}  // namespace

void SubmissionStore::StmtDeleter::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

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
        "writable by the coordinator's account (SQLite also writes ",
        path, "-wal and ", path, "-shm beside it)"));
  }
  std::unique_ptr<SubmissionStore> store(new SubmissionStore(path, db));
  RINGFENCE_RETURN_IF_ERROR(store->Initialize(options));
  return store;
}

absl::Status SubmissionStore::Initialize(const StoreOptions& options) {
  absl::MutexLock lock(&mu_);
  sqlite3_extended_result_codes(db_, 1);
  auto exec = [this](const std::string& sql, absl::string_view what)
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return Exec(sql, what); };
  // Runs a statement that yields one row and returns its first column as text.
  auto query_text = [this](const char* sql, absl::string_view what)
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<std::string> {
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

  // Create or migrate the schema under a write lock, re-reading the version
  // inside the transaction so two processes opening a new file at once cannot
  // both create it.
  const absl::Time now = options.now == absl::InfinitePast() ? absl::Now() : options.now;
  return InTransaction([&]() -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(std::string version_text,
                               query_text("PRAGMA user_version", "cannot read schema version"));
    const int version = std::atoi(version_text.c_str());
    if (version == kStoreSchemaVersion || version == 1) {
      for (const char* table : kV2Tables) {
        if (version == 1 && std::string(table) != "submissions") continue;
        RINGFENCE_ASSIGN_OR_RETURN(
            std::string found,
            query_text(absl::StrCat("SELECT name FROM sqlite_schema WHERE type='table' AND "
                                    "name='",
                                    table, "'")
                           .c_str(),
                       "cannot read the schema"));
        if (found.empty()) {
          return absl::InternalError(absl::StrCat("coordinator database ", path_,
                                                  ": schema version ", version, " but no ", table,
                                                  " table; the file is corrupt"));
        }
      }
      if (version == 1) return MigrateFromV1(now);
      return absl::OkStatus();
    }
    if (version != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("coordinator database ", path_, ": schema version ", version,
                       " is not one this build knows (1 or ", kStoreSchemaVersion,
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
    RINGFENCE_RETURN_IF_ERROR(Exec(kCreateSchemaV2, "cannot create the schema"));
    return Exec(absl::StrCat("PRAGMA user_version=", kStoreSchemaVersion),
                "cannot set the schema version");
  });
}

absl::Status SubmissionStore::Exec(const std::string& sql, absl::string_view what) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, what);
  return absl::OkStatus();
}

absl::Status SubmissionStore::InTransaction(const std::function<absl::Status()>& body) {
  // BEGIN IMMEDIATE takes the write lock before the first read, so a
  // check-then-write is atomic even against another process.
  RINGFENCE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "cannot begin a transaction"));
  absl::Status status = body();
  if (status.ok()) {
    const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) status = SqliteError(path_, db_, rc, "cannot commit");
  }
  // SQLite may already have rolled back (e.g. on SQLITE_FULL).
  if (!status.ok() && !sqlite3_get_autocommit(db_)) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return status;
}

absl::StatusOr<SubmissionStore::Stmt> SubmissionStore::Prepare(const char* sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, "cannot prepare a statement");
  return stmt;
}

absl::Status SubmissionStore::MigrateFromV1(absl::Time now) {
  const int64_t t = absl::ToUnixSeconds(now);
  const std::string actor = kMigrationActor;  // a constant without quotes
  RINGFENCE_RETURN_IF_ERROR(
      Exec("ALTER TABLE submissions RENAME TO submissions_v1", "cannot migrate schema version 1"));
  RINGFENCE_RETURN_IF_ERROR(Exec(kCreateSchemaV2, "cannot create schema version 2"));
  RINGFENCE_RETURN_IF_ERROR(Exec(
      absl::StrCat("INSERT INTO collections (collection_id, year, period, period_start, "
                   "period_end, deadline, state, opened_at, opened_by, closed_at, closed_by) "
                   "SELECT DISTINCT year || '-annual', year, 1, printf('%04d-04-01', year - 1), "
                   "printf('%04d-03-31', year), ",
                   t, ", 'CLOSED', ", t, ", '", actor, "', ", t, ", '", actor,
                   "' FROM submissions_v1"),
      "cannot migrate schema version 1 (collections)"));
  RINGFENCE_RETURN_IF_ERROR(
      Exec("INSERT INTO expected_las (collection_id, la_code) "
           "SELECT year || '-annual', la_code FROM submissions_v1",
           "cannot migrate schema version 1 (expected LAs)"));
  RINGFENCE_RETURN_IF_ERROR(
      Exec("INSERT INTO submissions (collection_id, la_code, year, catalogue_version, receipt, "
           "request, received_at, late) SELECT year || '-annual', la_code, year, "
           "catalogue_version, receipt, request, received_at, 0 FROM submissions_v1",
           "cannot migrate schema version 1 (submissions)"));
  RINGFENCE_RETURN_IF_ERROR(
      Exec("DROP TABLE submissions_v1", "cannot migrate schema version 1 (drop)"));
  return Exec(absl::StrCat("PRAGMA user_version=", kStoreSchemaVersion),
              "cannot set the schema version");
}

absl::StatusOr<CollectionRecord> SubmissionStore::ReadCollection(absl::string_view collection_id,
                                                                 bool with_expected_las) {
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt stmt, Prepare("SELECT collection_id, year, period, period_start, period_end, deadline, "
                         "state, opened_at, opened_by, closed_at, closed_by FROM collections "
                         "WHERE collection_id=?1"));
  BindText(stmt.get(), 1, collection_id);
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no collection ", collection_id,
                                            " has been opened (the operator opens collections "
                                            "with `ringfence collection open`)"));
  }
  if (rc != SQLITE_ROW) return SqliteError(path_, db_, rc, "cannot read collections");
  CollectionRecord c;
  c.collection_id = ColumnText(stmt.get(), 0);
  c.year = sqlite3_column_int(stmt.get(), 1);
  const auto malformed = [&](absl::string_view what) {
    return absl::InternalError(absl::StrCat("coordinator database ", path_, ": collection ",
                                            c.collection_id, " has a malformed ", what));
  };
  absl::StatusOr<CollectionPeriod> period =
      PeriodFromNumber(sqlite3_column_int(stmt.get(), 2), "period");
  if (!period.ok()) return malformed("period");
  c.period = *period;
  if (!absl::ParseCivilTime(ColumnText(stmt.get(), 3), &c.period_start)) {
    return malformed("period_start");
  }
  if (!absl::ParseCivilTime(ColumnText(stmt.get(), 4), &c.period_end)) {
    return malformed("period_end");
  }
  c.deadline = absl::FromUnixSeconds(sqlite3_column_int64(stmt.get(), 5));
  c.state = ColumnText(stmt.get(), 6) == "OPEN" ? CollectionState::kOpen : CollectionState::kClosed;
  c.opened_at = absl::FromUnixSeconds(sqlite3_column_int64(stmt.get(), 7));
  c.opened_by = ColumnText(stmt.get(), 8);
  if (c.state == CollectionState::kClosed) {
    c.closed_at = absl::FromUnixSeconds(sqlite3_column_int64(stmt.get(), 9));
    c.closed_by = ColumnText(stmt.get(), 10);
  }
  stmt.reset();
  if (!with_expected_las) return c;

  RINGFENCE_ASSIGN_OR_RETURN(Stmt las, Prepare("SELECT la_code FROM expected_las WHERE "
                                               "collection_id=?1 ORDER BY la_code"));
  BindText(las.get(), 1, collection_id);
  while ((rc = sqlite3_step(las.get())) == SQLITE_ROW) {
    c.expected_la_codes.push_back(ColumnText(las.get(), 0));
  }
  if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read expected LAs");
  return c;
}

absl::StatusOr<bool> SubmissionStore::IsExpected(absl::string_view collection_id,
                                                 absl::string_view la_code) {
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt stmt, Prepare("SELECT 1 FROM expected_las WHERE collection_id=?1 AND la_code=?2"));
  BindText(stmt.get(), 1, collection_id);
  BindText(stmt.get(), 2, la_code);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(path_, db_, rc, "cannot read expected LAs");
}

absl::StatusOr<CollectionRecord> SubmissionStore::OpenCollection(
    const CollectionRecord& collection) {
  absl::MutexLock lock(&mu_);
  CollectionRecord result;
  RINGFENCE_RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
    absl::StatusOr<CollectionRecord> existing = ReadCollection(collection.collection_id);
    if (existing.ok()) {
      std::vector<std::string> differs;
      if (existing->year != collection.year) differs.push_back("year");
      if (existing->period != collection.period) differs.push_back("period");
      if (existing->period_start != collection.period_start ||
          existing->period_end != collection.period_end) {
        differs.push_back("period window");
      }
      if (absl::ToUnixSeconds(existing->deadline) != absl::ToUnixSeconds(collection.deadline)) {
        differs.push_back(absl::StrCat("deadline (", FormatUtc(existing->deadline), ")"));
      }
      if (existing->expected_la_codes != collection.expected_la_codes) {
        differs.push_back(
            absl::StrCat("expected LAs (", existing->expected_la_codes.size(), " LAs)"));
      }
      if (!differs.empty()) {
        std::string list;
        for (const std::string& d : differs) absl::StrAppend(&list, list.empty() ? "" : ", ", d);
        return absl::AlreadyExistsError(
            absl::StrCat("collection ", collection.collection_id, " already exists (",
                         StateText(existing->state), ", opened by ", existing->opened_by, " at ",
                         FormatUtc(existing->opened_at), ") with a different ", list));
      }
      result = *std::move(existing);
      return absl::OkStatus();
    }
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();

    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt insert, Prepare("INSERT INTO collections (collection_id, year, period, "
                             "period_start, period_end, deadline, state, opened_at, opened_by) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'OPEN', ?7, ?8)"));
    BindText(insert.get(), 1, collection.collection_id);
    sqlite3_bind_int(insert.get(), 2, collection.year);
    sqlite3_bind_int(insert.get(), 3, static_cast<int>(collection.period));
    BindText(insert.get(), 4, IsoDate(collection.period_start));
    BindText(insert.get(), 5, IsoDate(collection.period_end));
    sqlite3_bind_int64(insert.get(), 6, absl::ToUnixSeconds(collection.deadline));
    sqlite3_bind_int64(insert.get(), 7, absl::ToUnixSeconds(collection.opened_at));
    BindText(insert.get(), 8, collection.opened_by);
    int rc = sqlite3_step(insert.get());
    if (rc != SQLITE_DONE) {
      return SqliteError(path_, db_, rc,
                         absl::StrCat("cannot store collection ", collection.collection_id));
    }
    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt la, Prepare("INSERT INTO expected_las (collection_id, la_code) VALUES (?1, ?2)"));
    for (const std::string& code : collection.expected_la_codes) {
      sqlite3_reset(la.get());
      BindText(la.get(), 1, collection.collection_id);
      BindText(la.get(), 2, code);
      rc = sqlite3_step(la.get());
      if (rc != SQLITE_DONE) {
        return SqliteError(
            path_, db_, rc,
            absl::StrCat("cannot store the expected LAs of ", collection.collection_id));
      }
    }
    RINGFENCE_ASSIGN_OR_RETURN(result, ReadCollection(collection.collection_id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<CollectionRecord> SubmissionStore::CloseCollection(absl::string_view collection_id,
                                                                  absl::string_view closed_by,
                                                                  absl::Time closed_at) {
  absl::MutexLock lock(&mu_);
  CollectionRecord result;
  RINGFENCE_RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(result, ReadCollection(collection_id));
    if (result.state == CollectionState::kClosed) return absl::OkStatus();
    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt update, Prepare("UPDATE collections SET state='CLOSED', closed_at=?2, closed_by=?3 "
                             "WHERE collection_id=?1"));
    BindText(update.get(), 1, collection_id);
    sqlite3_bind_int64(update.get(), 2, absl::ToUnixSeconds(closed_at));
    BindText(update.get(), 3, closed_by);
    const int rc = sqlite3_step(update.get());
    if (rc != SQLITE_DONE) {
      return SqliteError(path_, db_, rc, absl::StrCat("cannot close collection ", collection_id));
    }
    RINGFENCE_ASSIGN_OR_RETURN(result, ReadCollection(collection_id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<CollectionRecord> SubmissionStore::GetCollection(absl::string_view collection_id) {
  absl::MutexLock lock(&mu_);
  return ReadCollection(collection_id);
}

absl::StatusOr<CollectionRecord> SubmissionStore::GetCollectionExpecting(
    absl::string_view collection_id, absl::string_view la_code) {
  absl::MutexLock lock(&mu_);
  CollectionRecord result;
  // A read transaction: the collection's row and the expected-LA lookup are one snapshot.
  RINGFENCE_RETURN_IF_ERROR(Exec("BEGIN", "cannot begin a transaction"));
  absl::Status status = [&]() -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(result, ReadCollection(collection_id, /*with_expected_las=*/false));
    RINGFENCE_ASSIGN_OR_RETURN(bool expected, IsExpected(collection_id, la_code));
    if (!expected) {
      return absl::PermissionDeniedError(
          absl::StrCat("collection ", collection_id, " does not expect LA ", la_code,
                       "; the operator lists the LAs a collection expects when opening it"));
    }
    result.expected_la_codes = {std::string(la_code)};
    return absl::OkStatus();
  }();
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<CollectionRecord>> SubmissionStore::ListCollections() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  {
    RINGFENCE_ASSIGN_OR_RETURN(Stmt stmt, Prepare("SELECT collection_id FROM collections"));
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) ids.push_back(ColumnText(stmt.get(), 0));
    if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read collections");
  }
  std::vector<CollectionRecord> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    RINGFENCE_ASSIGN_OR_RETURN(CollectionRecord c, ReadCollection(id));
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const CollectionRecord& a, const CollectionRecord& b) {
    const int ra = WindowRank(a.collection_id), rb = WindowRank(b.collection_id);
    if (a.year != b.year) return a.year < b.year;
    if (ra != rb) return ra < rb;
    return a.collection_id < b.collection_id;
  });
  return out;
}

absl::StatusOr<InsertResult> SubmissionStore::Insert(absl::string_view collection_id,
                                                     absl::string_view la_code, int year,
                                                     unsigned catalogue_version,
                                                     absl::string_view request_bytes,
                                                     absl::Time received_at) {
  const std::string receipt = crypto::Sha256Hex(request_bytes);
  const std::string received_text =
      absl::FormatTime(absl::RFC3339_full, received_at, absl::UTCTimeZone());
  absl::MutexLock lock(&mu_);
  InsertResult result;
  RINGFENCE_RETURN_IF_ERROR(InTransaction([&]() -> absl::Status {
    // The collection's own row and one indexed lookup of (collection, LA): O(1) in the number
    // of expected LAs, so a round of N submissions costs O(N), not O(N^2).
    RINGFENCE_ASSIGN_OR_RETURN(CollectionRecord collection,
                               ReadCollection(collection_id, /*with_expected_las=*/false));
    if (collection.year != year) {
      return absl::InvalidArgumentError(absl::StrCat("collection ", collection_id, " is for year ",
                                                     collection.year, ", not ", year));
    }
    RINGFENCE_ASSIGN_OR_RETURN(bool expected, IsExpected(collection_id, la_code));
    if (!expected) {
      return absl::PermissionDeniedError(
          absl::StrCat("collection ", collection_id, " does not expect LA ", la_code,
                       "; the operator lists the LAs a collection expects when opening it"));
    }
    RINGFENCE_ASSIGN_OR_RETURN(Stmt select, Prepare("SELECT receipt, late FROM submissions "
                                                    "WHERE collection_id=?1 AND la_code=?2"));
    BindText(select.get(), 1, collection_id);
    BindText(select.get(), 2, la_code);
    int step = sqlite3_step(select.get());
    std::string existing;
    if (step == SQLITE_ROW) {
      existing = ColumnText(select.get(), 0);
      if (existing == receipt) {
        result = InsertResult{receipt, true, sqlite3_column_int(select.get(), 1) != 0};
        return absl::OkStatus();
      }
    } else if (step != SQLITE_DONE) {
      return SqliteError(path_, db_, step, "cannot read submissions");
    }
    if (collection.state != CollectionState::kOpen) {
      return absl::FailedPreconditionError(absl::StrCat(
          "collection ", collection_id, " was closed at ", FormatUtc(collection.closed_at),
          "; its submissions are final; this one was not stored"));
    }
    if (!existing.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat(la_code, " already submitted a different grid to ", collection_id,
                       "; a round is released once (stored receipt ", existing, ")"));
    }
    const bool late = received_at > collection.deadline;
    RINGFENCE_ASSIGN_OR_RETURN(Stmt insert,
                               Prepare("INSERT INTO submissions (collection_id, la_code, year, "
                                       "catalogue_version, receipt, request, received_at, late) "
                                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    BindText(insert.get(), 1, collection_id);
    BindText(insert.get(), 2, la_code);
    sqlite3_bind_int(insert.get(), 3, year);
    sqlite3_bind_int64(insert.get(), 4, catalogue_version);
    BindText(insert.get(), 5, receipt);
    // A non-null pointer so that empty bytes bind as a zero-length blob, not
    // NULL.
    sqlite3_bind_blob(insert.get(), 6, request_bytes.empty() ? "" : request_bytes.data(),
                      static_cast<int>(request_bytes.size()), SQLITE_TRANSIENT);
    BindText(insert.get(), 7, received_text);
    sqlite3_bind_int(insert.get(), 8, late ? 1 : 0);
    step = sqlite3_step(insert.get());
    if (step != SQLITE_DONE) {
      return SqliteError(
          path_, db_, step,
          absl::StrCat("cannot store the submission of ", la_code, " to ", collection_id));
    }
    result = InsertResult{receipt, false, late};
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<StoredSubmission>> SubmissionStore::LoadWhere(
    const char* sql, const std::function<void(sqlite3_stmt*)>& bind) {
  RINGFENCE_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  bind(stmt.get());
  std::vector<StoredSubmission> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    StoredSubmission s;
    s.collection_id = ColumnText(stmt.get(), 0);
    s.la_code = ColumnText(stmt.get(), 1);
    s.year = sqlite3_column_int(stmt.get(), 2);
    s.catalogue_version = static_cast<unsigned>(sqlite3_column_int64(stmt.get(), 3));
    s.receipt = ColumnText(stmt.get(), 4);
    const void* blob = sqlite3_column_blob(stmt.get(), 5);
    const int size = sqlite3_column_bytes(stmt.get(), 5);
    if (blob != nullptr && size > 0) s.request_bytes.assign(static_cast<const char*>(blob), size);
    const std::string received = ColumnText(stmt.get(), 6);
    s.late = sqlite3_column_int(stmt.get(), 7) != 0;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, received, &s.received_at, &err)) {
      return absl::InternalError(absl::StrCat("coordinator database ", path_, ": row for ",
                                              s.la_code, " in ", s.collection_id,
                                              " has a malformed received_at '", received, "'"));
    }
    if (crypto::Sha256Hex(s.request_bytes) != s.receipt) {
      return absl::InternalError(absl::StrCat(
          "coordinator database ", path_, ": row for ", s.la_code, " in ", s.collection_id,
          " does not match its receipt; the file is corrupt or was modified"));
    }
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read submissions");
  return out;
}

absl::StatusOr<std::vector<StoredSubmission>> SubmissionStore::LoadCollection(
    absl::string_view collection_id) {
  absl::MutexLock lock(&mu_);
  return LoadWhere(
      "SELECT collection_id, la_code, year, catalogue_version, receipt, request, received_at, "
      "late FROM submissions WHERE collection_id=?1 ORDER BY la_code",
      [&](sqlite3_stmt* stmt) { BindText(stmt, 1, collection_id); });
}

absl::StatusOr<std::vector<StoredSubmission>> SubmissionStore::LoadYear(int year) {
  absl::MutexLock lock(&mu_);
  return LoadWhere(
      "SELECT collection_id, la_code, year, catalogue_version, receipt, request, received_at, "
      "late FROM submissions WHERE year=?1 ORDER BY la_code, collection_id",
      [&](sqlite3_stmt* stmt) { sqlite3_bind_int(stmt, 1, year); });
}

absl::StatusOr<bool> SubmissionStore::RecordRefusal(absl::string_view collection_id,
                                                    absl::string_view la_code,
                                                    absl::string_view code,
                                                    absl::string_view reason, absl::Time at) {
  absl::MutexLock lock(&mu_);
  // One statement, so one implicit transaction: the expected check and the
  // write cannot be separated by a concurrent change.
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt stmt, Prepare("INSERT INTO refusals (collection_id, la_code, code, reason, refused_at) "
                         "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM expected_las WHERE "
                         "collection_id=?1 AND la_code=?2) "
                         "ON CONFLICT (collection_id, la_code) DO UPDATE SET code=excluded.code, "
                         "reason=excluded.reason, refused_at=excluded.refused_at"));
  BindText(stmt.get(), 1, collection_id);
  BindText(stmt.get(), 2, la_code);
  BindText(stmt.get(), 3, code);
  BindText(stmt.get(), 4, reason);
  sqlite3_bind_int64(stmt.get(), 5, absl::ToUnixSeconds(at));
  const int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot record a refusal");
  return sqlite3_changes(db_) > 0;
}

absl::Status SubmissionStore::RecordNodeState(absl::string_view collection_id,
                                              absl::string_view la_code, int node_state,
                                              absl::Time at) {
  if (node_state <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("node state ", node_state, " is not a state"));
  }
  absl::MutexLock lock(&mu_);
  return InTransaction([&]() -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(CollectionRecord collection,
                               ReadCollection(collection_id, /*with_expected_las=*/false));
    RINGFENCE_ASSIGN_OR_RETURN(bool expected, IsExpected(collection_id, la_code));
    if (!expected) {
      return absl::PermissionDeniedError(
          absl::StrCat("collection ", collection.collection_id, " does not expect LA ", la_code));
    }
    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt stmt,
        Prepare("INSERT INTO node_states (collection_id, la_code, state, reported_at) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (collection_id, la_code) DO UPDATE SET "
                "state=excluded.state, reported_at=excluded.reported_at"));
    BindText(stmt.get(), 1, collection_id);
    BindText(stmt.get(), 2, la_code);
    sqlite3_bind_int(stmt.get(), 3, node_state);
    sqlite3_bind_int64(stmt.get(), 4, absl::ToUnixSeconds(at));
    const int rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot record a node state");
    return absl::OkStatus();
  });
}

absl::StatusOr<CollectionProgressReport> SubmissionStore::CollectionProgress(
    absl::string_view collection_id) {
  absl::MutexLock lock(&mu_);
  CollectionProgressReport report;
  // A read transaction: the collection and its rows are one snapshot.
  RINGFENCE_RETURN_IF_ERROR(Exec("BEGIN", "cannot begin a transaction"));
  absl::Status status = [&]() -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(report.collection, ReadCollection(collection_id));
    RINGFENCE_ASSIGN_OR_RETURN(
        Stmt stmt,
        Prepare("SELECT e.la_code, s.received_at, s.receipt, s.late, r.code, r.reason, "
                "r.refused_at, n.state, n.reported_at FROM expected_las e "
                "LEFT JOIN submissions s ON s.collection_id=e.collection_id AND "
                "s.la_code=e.la_code "
                "LEFT JOIN refusals r ON r.collection_id=e.collection_id AND r.la_code=e.la_code "
                "LEFT JOIN node_states n ON n.collection_id=e.collection_id AND "
                "n.la_code=e.la_code "
                "WHERE e.collection_id=?1 ORDER BY e.la_code"));
    BindText(stmt.get(), 1, collection_id);
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      LaProgress p;
      p.la_code = ColumnText(stmt.get(), 0);
      if (sqlite3_column_type(stmt.get(), 1) != SQLITE_NULL) {
        p.submitted = true;
        const std::string received = ColumnText(stmt.get(), 1);
        std::string err;
        if (!absl::ParseTime(absl::RFC3339_full, received, &p.submitted_at, &err)) {
          return absl::InternalError(absl::StrCat("coordinator database ", path_, ": row for ",
                                                  p.la_code, " in ", collection_id,
                                                  " has a malformed received_at '", received, "'"));
        }
        p.receipt = ColumnText(stmt.get(), 2);
        p.late = sqlite3_column_int(stmt.get(), 3) != 0;
      }
      if (sqlite3_column_type(stmt.get(), 4) != SQLITE_NULL) {
        p.refused = true;
        p.refusal_code = ColumnText(stmt.get(), 4);
        p.refusal_reason = ColumnText(stmt.get(), 5);
        p.refused_at = absl::FromUnixSeconds(sqlite3_column_int64(stmt.get(), 6));
      }
      if (sqlite3_column_type(stmt.get(), 7) != SQLITE_NULL) {
        p.node_state = sqlite3_column_int(stmt.get(), 7);
        p.node_state_at = absl::FromUnixSeconds(sqlite3_column_int64(stmt.get(), 8));
      }
      report.las.push_back(std::move(p));
    }
    if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read collection progress");
    return absl::OkStatus();
  }();
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (!status.ok()) return status;
  return report;
}

}  // namespace ringfence::coordinator
