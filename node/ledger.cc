#include "node/ledger.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"

namespace ringfence::node {
namespace {

using u128 = unsigned __int128;

// One row per round. seq gives the recording order (Spending lists rounds in it, and the
// latest round's budget is the year's). Rationals are stored as reduced INTEGER pairs, so each
// part is limited to 2^63 - 1. The CHECKs are a first line of defence; reads check again.
constexpr char kCreateSchema[] = R"sql(
CREATE TABLE rounds (
  seq                INTEGER PRIMARY KEY,
  la_code            TEXT    NOT NULL,
  year               INTEGER NOT NULL,
  period             TEXT    NOT NULL,
  catalogue_version  INTEGER NOT NULL CHECK (catalogue_version >= 0),
  rho_numerator      INTEGER NOT NULL CHECK (rho_numerator > 0),
  rho_denominator    INTEGER NOT NULL CHECK (rho_denominator > 0),
  budget_numerator   INTEGER NOT NULL CHECK (budget_numerator >= 0),
  budget_denominator INTEGER NOT NULL CHECK (budget_denominator > 0),
  payload            BLOB    NOT NULL,
  payload_length     INTEGER NOT NULL,
  payload_crc32      INTEGER NOT NULL,
  recorded_at        TEXT    NOT NULL,
  sent_at            TEXT,
  receipt            TEXT,
  CHECK ((sent_at IS NULL) = (receipt IS NULL)),
  UNIQUE (la_code, year, period, catalogue_version)
) STRICT;
)sql";

constexpr char kRoundColumns[] =
    "la_code, year, period, catalogue_version, rho_numerator, rho_denominator, "
    "budget_numerator, budget_denominator, payload, payload_length, payload_crc32, "
    "recorded_at, sent_at, receipt";

constexpr char kKeyCondition[] = "la_code=?1 AND year=?2 AND period=?3 AND catalogue_version=?4";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Conditions an operator can clear (space, permissions, locks, a flaky disk) and that a caller
// may retry are UNAVAILABLE; a damaged file is DATA_LOSS (for a ledger, a lost record of
// spends); anything else is INTERNAL.
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
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::string Where(const std::string& path) { return absl::StrCat("privacy ledger ", path); }

// For a failure an operator must clear (no space, no permission): the operating system's
// reason and what to do; "" otherwise.
std::string StorageAdvice(const std::string& path, sqlite3* db, int rc) {
  const int primary = rc & 0xff;
  if (primary != SQLITE_FULL && primary != SQLITE_IOERR && primary != SQLITE_READONLY &&
      primary != SQLITE_CANTOPEN && primary != SQLITE_PERM) {
    return "";
  }
  const int sys = db != nullptr ? sqlite3_system_errno(db) : 0;
  const std::string os = sys != 0 ? absl::StrCat(" (", std::strerror(sys), ")") : "";
  if (primary == SQLITE_FULL || sys == ENOSPC || sys == EFBIG || sys == EDQUOT) {
    return absl::StrCat(os,
                        "; the disk holding the ledger is full or a file size limit was "
                        "reached: make room and run again");
  }
  if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_TRUNCATE || rc == SQLITE_IOERR_SHMSIZE) {
    // SQLite does not always keep the OS error of a failed write.
    return absl::StrCat(os,
                        "; a write failed: the disk holding the ledger may be full or a "
                        "file size limit reached, or the disk is failing: make room (or "
                        "check the disk) and run again");
  }
  if (primary != SQLITE_IOERR || sys == EACCES || sys == EPERM || sys == EROFS) {
    return absl::StrCat(os, "; the node must be able to write ", path, " and create ", path,
                        "-wal and ", path,
                        "-shm in its folder: make them writable by the "
                        "node's account and run again");
  }
  return os;
}

absl::Status SqliteError(const std::string& path, sqlite3* db, int rc, absl::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc), absl::StrCat(Where(path), ": ", what, ": ", detail,
                                                StorageAdvice(path, db, rc)));
}

absl::Status DataLoss(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat(Where(path), ": ", what, "; the file is corrupt or was modified"));
}

absl::StatusOr<Stmt> Prepare(sqlite3* db, const std::string& path, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(path, db, rc, "cannot prepare a statement");
  return stmt;
}

// Runs a statement that yields at most one row and returns its first column as text ("" if
// there is no row).
absl::StatusOr<std::string> QueryText(sqlite3* db, const std::string& path, const char* sql,
                                      absl::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return SqliteError(path, db, rc, what);
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return SqliteError(path, db, rc, what);
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return std::string(text == nullptr ? "" : reinterpret_cast<const char*>(text));
}

void BindText(sqlite3_stmt* stmt, int index, absl::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void BindKey(sqlite3_stmt* stmt, const RoundKey& key) {
  BindText(stmt, 1, key.la_code);
  sqlite3_bind_int(stmt, 2, key.year);
  BindText(stmt, 3, key.period);
  sqlite3_bind_int64(stmt, 4, key.catalogue_version);
}

std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* t = sqlite3_column_text(stmt, col);
  return std::string(t == nullptr ? "" : reinterpret_cast<const char*>(t));
}

// CRC-32 (IEEE 802.3, reflected, as in zip and PNG) of the payload: catches bit flips and
// truncation on disk. Not a defence against deliberate modification.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint32_t Crc32(absl::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : data) c = kCrcTable[(c ^ byte) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

u128 Gcd(u128 a, u128 b) {
  while (b != 0) {
    const u128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

absl::StatusOr<LedgerRho> Reduce(u128 numerator, u128 denominator) {
  const u128 g = Gcd(numerator, denominator);  // == denominator if numerator is 0
  numerator /= g;
  denominator /= g;
  if (numerator > UINT64_MAX || denominator > UINT64_MAX) {
    return absl::OutOfRangeError("an exact sum of rho does not fit 64 bits");
  }
  return LedgerRho{static_cast<uint64_t>(numerator), static_cast<uint64_t>(denominator)};
}

// a and b over a common denominator: returns {a.num * (l / a.den), b.num * (l / b.den), l}.
// Each product is below 2^128 because l / a.den = b.den / gcd < 2^64.
struct CommonTerms {
  u128 a, b, denominator;
};
CommonTerms OverCommonDenominator(const LedgerRho& a, const LedgerRho& b) {
  const u128 g = Gcd(a.denominator, b.denominator);
  const u128 a_scale = b.denominator / g;
  const u128 b_scale = a.denominator / g;
  return {a.numerator * a_scale, b.numerator * b_scale, a.denominator * a_scale};
}

absl::Status CheckDenominators(const LedgerRho& a, const LedgerRho& b) {
  if (a.denominator == 0 || b.denominator == 0) {
    return absl::InvalidArgumentError("rho with a zero denominator");
  }
  return absl::OkStatus();
}

constexpr uint64_t kMaxStored = static_cast<uint64_t>(INT64_MAX);

bool IsGssCode(absl::string_view code) {
  if (code.size() != 9 || !absl::ascii_isupper(static_cast<unsigned char>(code[0]))) {
    return false;
  }
  for (char c : code.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status ValidateKey(const RoundKey& key) {
  if (!IsGssCode(key.la_code)) {
    return absl::InvalidArgumentError(absl::StrCat("ledger round: LA code '", key.la_code,
                                                   "' is not a GSS code such as E09000033"));
  }
  if (key.year < 1 || key.year > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("ledger round: collection year ", key.year, " is out of range"));
  }
  bool period_ok = !key.period.empty() && key.period.size() <= 32;
  for (char c : key.period) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      period_ok = false;
    }
  }
  if (!period_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("ledger round: period '", key.period, "' is not 1 to 32 of [A-Za-z0-9_-]"));
  }
  if (key.catalogue_version > static_cast<unsigned>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat("ledger round: catalogue version ",
                                                   key.catalogue_version, " is out of range"));
  }
  return absl::OkStatus();
}

// `value` reduced, checked to fit the ledger's INTEGER columns; `what` names it in errors.
absl::StatusOr<LedgerRho> StorableRho(const LedgerRho& value, absl::string_view what) {
  if (value.denominator == 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has a zero denominator"));
  }
  RINGFENCE_ASSIGN_OR_RETURN(LedgerRho reduced, MakeLedgerRho(value.numerator, value.denominator));
  if (reduced.numerator > kMaxStored || reduced.denominator > kMaxStored) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", FormatRho(reduced),
                     " has a numerator or denominator above 2^63 - 1 in lowest terms"));
  }
  return reduced;
}

std::string FormatTimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

// A stored rational: DATA_LOSS unless the denominator is positive and the numerator
// non-negative (positive if `positive`).
absl::StatusOr<LedgerRho> ReadRho(sqlite3_stmt* stmt, int col, bool positive,
                                  const std::string& path, absl::string_view what) {
  const int64_t numerator = sqlite3_column_int64(stmt, col);
  const int64_t denominator = sqlite3_column_int64(stmt, col + 1);
  if (denominator == 0) {
    return DataLoss(path, absl::StrCat(what, " has a zero denominator"));
  }
  if (denominator < 0 || numerator < 0 || (positive && numerator == 0)) {
    return DataLoss(path, absl::StrCat(what, " ", numerator, "/", denominator, " is invalid"));
  }
  return MakeLedgerRho(static_cast<uint64_t>(numerator), static_cast<uint64_t>(denominator));
}

// One row of kRoundColumns, every integrity check applied.
absl::StatusOr<CachedRound> ReadRound(sqlite3_stmt* stmt, const std::string& path) {
  CachedRound round;
  round.key.la_code = ColumnText(stmt, 0);
  round.key.year = sqlite3_column_int(stmt, 1);
  round.key.period = ColumnText(stmt, 2);
  const int64_t version = sqlite3_column_int64(stmt, 3);
  round.key.catalogue_version = static_cast<unsigned>(version);
  const std::string name = absl::StrCat("round ", FormatRoundKey(round.key));
  if (version < 0 || version > INT_MAX) {
    return DataLoss(path, absl::StrCat(name, " has catalogue version ", version));
  }
  RINGFENCE_ASSIGN_OR_RETURN(round.rho, ReadRho(stmt, 4, true, path, absl::StrCat(name, ": rho")));
  RINGFENCE_ASSIGN_OR_RETURN(round.budget,
                             ReadRho(stmt, 6, false, path, absl::StrCat(name, ": budget")));

  const void* blob = sqlite3_column_blob(stmt, 8);
  const int size = sqlite3_column_bytes(stmt, 8);
  if (blob != nullptr && size > 0) round.payload.assign(static_cast<const char*>(blob), size);
  const int64_t recorded_length = sqlite3_column_int64(stmt, 9);
  if (recorded_length != static_cast<int64_t>(round.payload.size())) {
    return DataLoss(path, absl::StrCat(name, ": payload is ", round.payload.size(), " bytes but ",
                                       recorded_length, " were recorded"));
  }
  const int64_t recorded_crc = sqlite3_column_int64(stmt, 10);
  if (recorded_crc != static_cast<int64_t>(Crc32(round.payload))) {
    return DataLoss(path, absl::StrCat(name, ": payload does not match its CRC-32"));
  }

  std::string err;
  const std::string recorded_text = ColumnText(stmt, 11);
  if (!absl::ParseTime(absl::RFC3339_full, recorded_text, &round.recorded_at, &err)) {
    return DataLoss(path, absl::StrCat(name, ": malformed recorded_at '", recorded_text, "'"));
  }
  const bool has_sent_at = sqlite3_column_type(stmt, 12) != SQLITE_NULL;
  const bool has_receipt = sqlite3_column_type(stmt, 13) != SQLITE_NULL;
  if (has_sent_at != has_receipt) {
    return DataLoss(path, absl::StrCat(name, ": sent_at and receipt disagree"));
  }
  if (has_sent_at) {
    const std::string sent_text = ColumnText(stmt, 12);
    absl::Time sent_at;
    if (!absl::ParseTime(absl::RFC3339_full, sent_text, &sent_at, &err)) {
      return DataLoss(path, absl::StrCat(name, ": malformed sent_at '", sent_text, "'"));
    }
    round.sent_at = sent_at;
    round.receipt = ColumnText(stmt, 13);
  }
  return round;
}

}  // namespace

absl::StatusOr<LedgerRho> MakeLedgerRho(uint64_t numerator, uint64_t denominator) {
  if (denominator == 0) return absl::InvalidArgumentError("rho with a zero denominator");
  return Reduce(numerator, denominator);
}

absl::StatusOr<LedgerRho> AddRho(const LedgerRho& a, const LedgerRho& b) {
  RINGFENCE_RETURN_IF_ERROR(CheckDenominators(a, b));
  const CommonTerms t = OverCommonDenominator(a, b);
  u128 sum = 0;
  if (__builtin_add_overflow(t.a, t.b, &sum)) {
    return absl::OutOfRangeError("an exact sum of rho does not fit 128 bits");
  }
  return Reduce(sum, t.denominator);
}

absl::StatusOr<LedgerRho> SubtractRhoOrZero(const LedgerRho& a, const LedgerRho& b) {
  RINGFENCE_RETURN_IF_ERROR(CheckDenominators(a, b));
  const CommonTerms t = OverCommonDenominator(a, b);
  if (t.a <= t.b) return LedgerRho{0, 1};
  return Reduce(t.a - t.b, t.denominator);
}

int CompareRho(const LedgerRho& a, const LedgerRho& b) {
  // Cross products of 64-bit values fit 128 bits: exact.
  const u128 left = static_cast<u128>(a.numerator) * b.denominator;
  const u128 right = static_cast<u128>(b.numerator) * a.denominator;
  return left < right ? -1 : (left > right ? 1 : 0);
}

std::string FormatRho(const LedgerRho& rho) {
  if (rho.denominator == 1) return absl::StrCat(rho.numerator);
  return absl::StrCat(rho.numerator, "/", rho.denominator);
}

std::string FormatRoundKey(const RoundKey& key) {
  return absl::StrCat(key.la_code, " ", key.year, " ", key.period, ", catalogue v",
                      key.catalogue_version);
}

Ledger::Ledger(std::string path, sqlite3* db, bool read_only, LedgerOptions options)
    : path_(std::move(path)), read_only_(read_only), options_(std::move(options)), db_(db) {}

Ledger::~Ledger() { sqlite3_close_v2(db_); }

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path,
                                                     const LedgerOptions& options) {
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
    // than at the first write (a recorded round would otherwise be sent and its receipt lost).
    sqlite3_close_v2(db);
    return absl::UnavailableError(
        absl::StrCat(Where(path),
                     ": not writable by this process (opened read-only); the node must be able "
                     "to write ",
                     path, " and create ", path, "-wal and ", path,
                     "-shm in its folder: make "
                     "them writable by the node's account and run again"));
  }
  std::unique_ptr<Ledger> ledger(new Ledger(path, db, /*read_only=*/false, options));
  RINGFENCE_RETURN_IF_ERROR(ledger->Initialize());
  return ledger;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::OpenReadOnly(const std::string& path,
                                                             const LedgerOptions& options) {
  // SQLite would report a missing file as "unable to open"; say plainly that there is no
  // ledger (for `budget`, that nothing has been spent through this file).
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return absl::NotFoundError(absl::StrCat(Where(path), " does not exist"));
  }
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(path, db, rc, "cannot open");
    sqlite3_close_v2(db);
    return status;
  }
  std::unique_ptr<Ledger> ledger(new Ledger(path, db, /*read_only=*/true, options));
  RINGFENCE_RETURN_IF_ERROR(ledger->Initialize());
  return ledger;
}

absl::Status Ledger::Exec(const char* sql, absl::string_view what) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(path_, db_, rc, what);
  return absl::OkStatus();
}

void Ledger::RollbackIfOpen() {
  // SQLite may already have rolled back (e.g. on SQLITE_FULL).
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

absl::Time Ledger::Now() const { return options_.clock ? options_.clock() : absl::Now(); }

absl::Status Ledger::Initialize() {
  absl::MutexLock lock(&mu_);
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);

  if (!read_only_) {
    // The first read of a file that is not a database fails here with "file is not a
    // database". Switching a new file to WAL needs an exclusive lock and SQLite reports a
    // conflict with another connection opening the same new file as SQLITE_BUSY at once,
    // without calling the busy handler, so retry here until the busy timeout.
    const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.busy_timeout_ms);
    absl::StatusOr<std::string> wal;
    while (true) {
      wal = QueryText(db_, path_, "PRAGMA journal_mode=WAL", "cannot set WAL journal mode");
      const int rc = sqlite3_errcode(db_) & 0xff;
      if (wal.ok() || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || absl::Now() >= deadline) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    RINGFENCE_ASSIGN_OR_RETURN(std::string mode, std::move(wal));
    if (absl::AsciiStrToLower(mode) != "wal") {
      return absl::UnavailableError(absl::StrCat(Where(path_),
                                                 ": cannot use WAL journal mode (got '", mode,
                                                 "'); put the ledger on a local file system"));
    }
    // FULL: the WAL is fsynced at every commit, so a spend reported as recorded survives a
    // power cut, not only a crash of the process.
    RINGFENCE_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL"));
    RINGFENCE_ASSIGN_OR_RETURN(
        std::string sync, QueryText(db_, path_, "PRAGMA synchronous", "cannot read synchronous"));
    if (sync != "2") {
      return absl::InternalError(
          absl::StrCat(Where(path_), ": synchronous is ", sync, ", not FULL (2)"));
    }
  }
  RINGFENCE_ASSIGN_OR_RETURN(std::string check,
                             QueryText(db_, path_, "PRAGMA quick_check", "integrity check failed"));
  if (check != "ok") {
    return absl::DataLossError(absl::StrCat(Where(path_), ": integrity check failed: ", check));
  }

  // Read (and, for a new file, create) the schema under a write lock, re-reading the version
  // inside the transaction so two processes opening a new file at once cannot both create it.
  RINGFENCE_RETURN_IF_ERROR(
      Exec(read_only_ ? "BEGIN" : "BEGIN IMMEDIATE", "cannot begin a transaction"));
  absl::Status status = CheckOrCreateSchemaLocked();
  if (!status.ok()) {
    RollbackIfOpen();
    return status;
  }
  return Exec("COMMIT", "cannot commit the schema");
}

absl::Status Ledger::CheckOrCreateSchemaLocked() {
  RINGFENCE_ASSIGN_OR_RETURN(std::string app_text, QueryText(db_, path_, "PRAGMA application_id",
                                                             "cannot read the application id"));
  RINGFENCE_ASSIGN_OR_RETURN(std::string version_text, QueryText(db_, path_, "PRAGMA user_version",
                                                                 "cannot read the schema version"));
  const long app_id = std::strtol(app_text.c_str(), nullptr, 10);
  const long version = std::strtol(version_text.c_str(), nullptr, 10);

  if (app_id == 0 && version == 0) {
    RINGFENCE_ASSIGN_OR_RETURN(
        std::string tables,
        QueryText(db_, path_, "SELECT count(*) FROM sqlite_schema", "cannot read the schema"));
    if (tables != "0") {
      return absl::FailedPreconditionError(
          absl::StrCat(Where(path_),
                       ": an SQLite file with tables but no Ringfence ledger schema; refusing "
                       "to use or modify it"));
    }
    if (read_only_) {
      return absl::FailedPreconditionError(
          absl::StrCat(Where(path_), ": an empty file, not a Ringfence ledger"));
    }
    RINGFENCE_RETURN_IF_ERROR(Exec(kCreateSchema, "cannot create the schema"));
    RINGFENCE_RETURN_IF_ERROR(
        Exec(absl::StrCat("PRAGMA application_id=", kLedgerApplicationId).c_str(),
             "cannot set the application id"));
    return Exec(absl::StrCat("PRAGMA user_version=", kLedgerSchemaVersion).c_str(),
                "cannot set the schema version");
  }
  if (app_id != kLedgerApplicationId) {
    return absl::FailedPreconditionError(absl::StrCat(
        Where(path_), ": an SQLite file but not a Ringfence privacy ledger (application id ",
        app_id, "); is it another database?"));
  }
  if (version != kLedgerSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(Where(path_), ": schema version ", version, " is not one this build knows (",
                     kLedgerSchemaVersion, "); use the ringfence-node that wrote it"));
  }
  RINGFENCE_ASSIGN_OR_RETURN(
      std::string found,
      QueryText(db_, path_, "SELECT name FROM sqlite_schema WHERE type='table' AND name='rounds'",
                "cannot read the schema"));
  if (found.empty()) {
    return DataLoss(path_, absl::StrCat("schema version ", version, " but no rounds table"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CachedRound>> Ledger::Find(const RoundKey& key) {
  RINGFENCE_RETURN_IF_ERROR(ValidateKey(key));
  absl::MutexLock lock(&mu_);
  return FindLocked(key);
}

absl::StatusOr<std::optional<CachedRound>> Ledger::FindLocked(const RoundKey& key) {
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt stmt,
      Prepare(db_, path_,
              absl::StrCat("SELECT ", kRoundColumns, " FROM rounds WHERE ", kKeyCondition)));
  BindKey(stmt.get(), key);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return SqliteError(path_, db_, rc, "cannot read the ledger");
  RINGFENCE_ASSIGN_OR_RETURN(CachedRound round, ReadRound(stmt.get(), path_));
  return round;
}

absl::StatusOr<CachedRound> Ledger::RecordSpend(const RoundKey& key, const LedgerRho& rho,
                                                const LedgerRho& budget_for_year,
                                                absl::string_view payload) {
  RINGFENCE_RETURN_IF_ERROR(ValidateKey(key));
  RINGFENCE_ASSIGN_OR_RETURN(LedgerRho spend, StorableRho(rho, "rho"));
  if (spend.numerator == 0) return absl::InvalidArgumentError("rho must be positive");
  RINGFENCE_ASSIGN_OR_RETURN(LedgerRho budget, StorableRho(budget_for_year, "privacy budget"));
  if (payload.empty()) return absl::InvalidArgumentError("ledger payload is empty");

  absl::MutexLock lock(&mu_);
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat(Where(path_), " is open read-only; cannot record a spend"));
  }
  if (payload.size() > static_cast<size_t>(sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, -1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("ledger payload of ", payload.size(), " bytes exceeds SQLite's limit"));
  }
  // BEGIN IMMEDIATE takes the write lock before the reads, so find, sum and insert are atomic
  // even against another process.
  RINGFENCE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "cannot begin a transaction"));
  absl::StatusOr<CachedRound> result = RecordSpendLocked(key, spend, budget, payload);
  if (!result.ok() || !result->newly_recorded) {
    RollbackIfOpen();  // nothing to keep
    return result;
  }
  const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    // The caller must not send: the spend may not be durable. If it is after all, the next run
    // finds the round cached and sends it then.
    absl::Status status = SqliteError(path_, db_, rc, "cannot commit the spend");
    RollbackIfOpen();
    return status;
  }
  return result;
}

absl::StatusOr<CachedRound> Ledger::RecordSpendLocked(const RoundKey& key, const LedgerRho& rho,
                                                      const LedgerRho& budget_for_year,
                                                      absl::string_view payload) {
  RINGFENCE_ASSIGN_OR_RETURN(std::optional<CachedRound> existing, FindLocked(key));
  if (existing.has_value()) return *std::move(existing);  // newly_recorded is false

  // Everything this LA spent in this year, whatever the period or catalogue version.
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt select, Prepare(db_, path_,
                           "SELECT rho_numerator, rho_denominator, period, catalogue_version "
                           "FROM rounds WHERE la_code=?1 AND year=?2"));
  BindText(select.get(), 1, key.la_code);
  sqlite3_bind_int(select.get(), 2, key.year);
  // Fails closed: a sum that cannot be computed exactly refuses the spend.
  auto refuse_overflow = [&key](const absl::Status& status) {
    return absl::OutOfRangeError(absl::StrCat("privacy budget for ", key.la_code, " ", key.year,
                                              ": ", status.message(), "; refused, nothing sent"));
  };
  LedgerRho spent{0, 1};
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    RoundKey other{key.la_code, key.year, ColumnText(select.get(), 2),
                   static_cast<unsigned>(sqlite3_column_int64(select.get(), 3))};
    RINGFENCE_ASSIGN_OR_RETURN(LedgerRho one,
                               ReadRho(select.get(), 0, true, path_,
                                       absl::StrCat("round ", FormatRoundKey(other), ": rho")));
    absl::StatusOr<LedgerRho> sum = AddRho(spent, one);
    if (!sum.ok()) return refuse_overflow(sum.status());
    spent = *sum;
  }
  if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read the ledger");

  absl::StatusOr<LedgerRho> total = AddRho(spent, rho);
  if (!total.ok()) return refuse_overflow(total.status());
  if (CompareRho(*total, budget_for_year) > 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "privacy budget for ", key.la_code, " ", key.year, ": spent ", FormatRho(spent), " of ",
        FormatRho(budget_for_year), " zCDP; this round (", key.period, ", catalogue v",
        key.catalogue_version, ") needs ", FormatRho(rho), "; refused, nothing sent"));
  }

  CachedRound round;
  round.key = key;
  round.rho = rho;
  round.budget = budget_for_year;
  round.payload = std::string(payload);
  round.newly_recorded = true;
  const std::string recorded_text = FormatTimeText(Now());
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, recorded_text, &round.recorded_at, &err)) {
    return absl::InternalError(absl::StrCat("cannot parse our own time '", recorded_text, "'"));
  }

  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt insert,
      Prepare(db_, path_,
              absl::StrCat("INSERT INTO rounds (la_code, year, period, catalogue_version, "
                           "rho_numerator, rho_denominator, budget_numerator, "
                           "budget_denominator, payload, payload_length, payload_crc32, "
                           "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                           "?11, ?12)")));
  BindKey(insert.get(), key);
  // Both fit: StorableRho checked them against 2^63 - 1.
  sqlite3_bind_int64(insert.get(), 5, static_cast<int64_t>(rho.numerator));
  sqlite3_bind_int64(insert.get(), 6, static_cast<int64_t>(rho.denominator));
  sqlite3_bind_int64(insert.get(), 7, static_cast<int64_t>(budget_for_year.numerator));
  sqlite3_bind_int64(insert.get(), 8, static_cast<int64_t>(budget_for_year.denominator));
  sqlite3_bind_blob(insert.get(), 9, payload.data(), static_cast<int>(payload.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int64(insert.get(), 10, static_cast<int64_t>(payload.size()));
  sqlite3_bind_int64(insert.get(), 11, Crc32(payload));
  BindText(insert.get(), 12, recorded_text);
  rc = sqlite3_step(insert.get());
  if (rc != SQLITE_DONE) {
    return SqliteError(path_, db_, rc,
                       absl::StrCat("cannot record the spend of ", FormatRoundKey(key)));
  }
  return round;
}

absl::Status Ledger::MarkSent(const RoundKey& key, absl::string_view receipt) {
  RINGFENCE_RETURN_IF_ERROR(ValidateKey(key));
  bool receipt_ok = !receipt.empty() && receipt.size() <= 256;
  for (char c : receipt) {
    if (c < 0x21 || c > 0x7e) receipt_ok = false;
  }
  if (!receipt_ok) {
    return absl::InvalidArgumentError(
        "ledger receipt must be 1 to 256 printable ASCII characters without spaces");
  }
  absl::MutexLock lock(&mu_);
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat(Where(path_), " is open read-only; cannot record a receipt"));
  }
  RINGFENCE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "cannot begin a transaction"));
  absl::Status status = MarkSentLocked(key, receipt);
  if (!status.ok()) {
    RollbackIfOpen();
    return status;
  }
  // Commits nothing if MarkSentLocked found the receipt already there.
  const int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    status = SqliteError(path_, db_, rc, "cannot commit the receipt");
    RollbackIfOpen();
    return status;
  }
  return absl::OkStatus();
}

absl::Status Ledger::MarkSentLocked(const RoundKey& key, absl::string_view receipt) {
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt select,
      Prepare(db_, path_, absl::StrCat("SELECT receipt FROM rounds WHERE ", kKeyCondition)));
  BindKey(select.get(), key);
  int rc = sqlite3_step(select.get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(
        absl::StrCat(Where(path_), ": no round ", FormatRoundKey(key), " to mark sent"));
  }
  if (rc != SQLITE_ROW) return SqliteError(path_, db_, rc, "cannot read the ledger");
  if (sqlite3_column_type(select.get(), 0) != SQLITE_NULL) {
    const std::string existing = ColumnText(select.get(), 0);
    if (existing == receipt) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(Where(path_), ": round ", FormatRoundKey(key),
                                                      " was already marked sent with receipt ",
                                                      existing, ", not ", receipt));
  }
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt update,
      Prepare(db_, path_,
              absl::StrCat("UPDATE rounds SET sent_at=?5, receipt=?6 WHERE ", kKeyCondition)));
  BindKey(update.get(), key);
  BindText(update.get(), 5, FormatTimeText(Now()));
  BindText(update.get(), 6, receipt);
  rc = sqlite3_step(update.get());
  if (rc != SQLITE_DONE) {
    return SqliteError(path_, db_, rc,
                       absl::StrCat("cannot record the receipt of ", FormatRoundKey(key)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<YearSpend>> Ledger::Spending() {
  absl::MutexLock lock(&mu_);
  RINGFENCE_ASSIGN_OR_RETURN(
      Stmt stmt,
      Prepare(db_, path_,
              absl::StrCat("SELECT ", kRoundColumns, " FROM rounds ORDER BY la_code, year, seq")));
  std::vector<YearSpend> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    RINGFENCE_ASSIGN_OR_RETURN(CachedRound round, ReadRound(stmt.get(), path_));
    if (out.empty() || out.back().la_code != round.key.la_code ||
        out.back().year != round.key.year) {
      YearSpend year;
      year.la_code = round.key.la_code;
      year.year = round.key.year;
      out.push_back(std::move(year));
    }
    YearSpend& year = out.back();
    RINGFENCE_ASSIGN_OR_RETURN(year.spent, AddRho(year.spent, round.rho));
    year.budget = round.budget;  // rows come in recording order: the latest wins
    ++year.round_count;
    if (round.sent()) ++year.sent_count;
    RoundSpend spend;
    spend.period = std::move(round.key.period);
    spend.catalogue_version = round.key.catalogue_version;
    spend.rho = round.rho;
    spend.budget = round.budget;
    spend.payload_size = static_cast<int64_t>(round.payload.size());
    spend.recorded_at = round.recorded_at;
    spend.sent_at = round.sent_at;
    spend.receipt = std::move(round.receipt);
    year.rounds.push_back(std::move(spend));
  }
  if (rc != SQLITE_DONE) return SqliteError(path_, db_, rc, "cannot read the ledger");
  for (YearSpend& year : out) {
    RINGFENCE_ASSIGN_OR_RETURN(year.remaining, SubtractRhoOrZero(year.budget, year.spent));
  }
  return out;
}

}  // namespace ringfence::node
