// Durable store of the nodes' submissions: one SQLite database file, one row
// per (LA, year).
//
// The database is opened in WAL journal mode with synchronous=FULL (a
// submission acknowledged to a node survives a power cut), a busy timeout, and
// foreign keys on. The schema is versioned with PRAGMA user_version and created
// when the file is new; a file from a newer build, or a foreign SQLite file, is
// refused rather than modified.
//
// Each row holds the LA code, year, catalogue version, the receipt (lower-case
// hex SHA-256 of the stored bytes), the bytes themselves (the deterministic
// serialisation of the node's SubmitRequest; the store treats them as opaque)
// and the time received (RFC 3339, UTC).
//
// Privacy: the stored bytes contain each LA's noisy (never exact) values. They
// are needed to sum regional and England totals and must not be released at LA
// level (coordinator/combine.h). The database file should be readable by the
// coordinator's service account only.
//
// Security: a round is released once. A second, different submission for the
// same LA and year is refused (ALREADY_EXISTS), so a node cannot average away
// its noise by resubmitting with fresh noise; an identical resend is answered
// as already stored. Receipts are re-checked against the stored bytes on every
// load, so a tampered or corrupt row is reported, not used.
//
// Errors: every SQLite failure comes back as a status naming the database file
// and SQLite's message, never a crash: UNAVAILABLE for conditions an operator
// can clear or a client can retry (busy, locked, disk full, read-only, I/O
// error, cannot open), INTERNAL for corruption and anything unexpected,
// FAILED_PRECONDITION for a schema this build does not know.
//
// Thread-safe: one connection, serialised by an internal mutex. Several
// processes may open the same file, a brand-new one included, at the same
// moment (SQLite's locking and the busy timeout arbitrate), though one
// coordinator per database is the intended deployment.
#ifndef RINGFENCE_COORDINATOR_STORE_H_
#define RINGFENCE_COORDINATOR_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;

namespace ringfence::coordinator {

// The schema version this build writes and reads.
inline constexpr int kStoreSchemaVersion = 1;

struct StoreOptions {
  // How long a statement waits for another connection's lock before failing
  // UNAVAILABLE. Open also retries the switch to WAL mode for this long (SQLite
  // does not apply the busy timeout to it).
  int busy_timeout_ms = 5000;
  // If > 0, caps the database at this many pages (PRAGMA max_page_count): an
  // operator's bound on the file size, and how tests simulate a full disk. 0
  // means SQLite's default.
  int64_t max_page_count = 0;
};

struct StoredSubmission {
  std::string la_code;
  int year = 0;
  unsigned catalogue_version = 0;
  std::string receipt;        // lower-case hex SHA-256 of request_bytes
  std::string request_bytes;  // deterministic serialisation of the SubmitRequest
  absl::Time received_at;
};

struct InsertResult {
  std::string receipt;
  bool already_stored = false;  // an identical submission was already there
};

class SubmissionStore {
 public:
  // Opens (creating if absent) the database at `path`. Errors as above, naming
  // `path`.
  static absl::StatusOr<std::unique_ptr<SubmissionStore>> Open(const std::string& path,
                                                               const StoreOptions& options = {});

  ~SubmissionStore();
  SubmissionStore(const SubmissionStore&) = delete;
  SubmissionStore& operator=(const SubmissionStore&) = delete;

  // Stores one submission in a single transaction. The receipt is computed here
  // from `request_bytes`. Returns already_stored=true when the same LA and year
  // already hold the same bytes (idempotent resend; received_at keeps the first
  // arrival); ALREADY_EXISTS when they hold different bytes. The caller has
  // validated the submission.
  absl::StatusOr<InsertResult> Insert(absl::string_view la_code, int year,
                                      unsigned catalogue_version, absl::string_view request_bytes,
                                      absl::Time received_at);

  // Every submission for `year`, ordered by LA code; empty if none. INTERNAL if
  // a row's receipt does not match its bytes or a row is otherwise malformed.
  absl::StatusOr<std::vector<StoredSubmission>> LoadYear(int year);

  const std::string& path() const { return path_; }

 private:
  SubmissionStore(std::string path, sqlite3* db);

  absl::Status Initialize(const StoreOptions& options);

  const std::string path_;
  absl::Mutex mu_;
  sqlite3* const db_;  // owned; every use holds mu_ (sqlite3_errmsg is per connection)
};

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_STORE_H_
