// Durable store of the coordinator's collections and the nodes' submissions to
// them: one SQLite database file.
//
// The database is opened in WAL journal mode with synchronous=FULL (a
// submission acknowledged to a node survives a power cut), a busy timeout, and
// foreign keys on. The schema is versioned with PRAGMA user_version and created
// when the file is new; a file from a newer build, or a foreign SQLite file, is
// refused rather than modified. A version 1 file (submissions keyed LA and
// year, before collections existed) is migrated to version 2 on open, in one
// transaction: each year present becomes a CLOSED "<year>-annual" collection
// expecting exactly the LAs that submitted to it, opened and closed by
// "schema v1 migration" at the time of the migration (its deadline too, so no
// migrated submission is late). A failed migration leaves the file as it was.
//
// Tables (schema version 2):
//   collections   one row per collection: id ("2025-q3"), year, period, the
//                 window's first and last day, deadline, state (OPEN/CLOSED),
//                 opened at/by, closed at/by.
//   expected_las  (collection, LA) pairs the collection expects.
//   submissions   one row per (collection, LA): year, catalogue version, the
//                 receipt (lower-case hex SHA-256 of the stored bytes), the
//                 bytes (the deterministic serialisation of the node's
//                 SubmitRequest; opaque here), time received (RFC 3339, UTC)
//                 and whether after the deadline (late).
//   refusals      the latest refusal per (collection, LA): the status code name
//                 and a reason written by the coordinator, and when.
//   node_states   the latest state a node reported per (collection, LA), and
//                 when.
// The last three reference expected_las, so nothing is recorded for an LA a
// collection does not expect.
//
// Privacy: the stored bytes contain each LA's noisy (never exact) values. They
// are needed to sum regional and England totals and must not be released at LA
// level (coordinator/combine.h). Refusal reasons and node states are written by
// the coordinator from fixed texts and codes, never from a grid or a node's
// text. The database file should be readable by the coordinator's service
// account only.
//
// Security: a round is released once. A second, different submission for the
// same collection and LA is refused (ALREADY_EXISTS), so a node cannot average
// away its noise by resubmitting with fresh noise; an identical resend is
// answered as already stored. A closed collection is final: Insert checks that
// the collection exists, is OPEN and expects the LA inside the same IMMEDIATE
// transaction as the write, and Close is one transaction, so a submission
// racing a close is either stored (and acknowledged) before the close or
// refused, never acknowledged and then missing from the release. Receipts are
// re-checked against the stored bytes on every load, so a tampered or corrupt
// row is reported, not used.
//
// Errors: every SQLite failure comes back as a status naming the database file
// and SQLite's message, never a crash: UNAVAILABLE for conditions an operator
// can clear or a client can retry (busy, locked, disk full, read-only, I/O
// error, cannot open), INTERNAL for corruption and anything unexpected,
// FAILED_PRECONDITION for a schema this build does not know. The collection
// checks return NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED,
// INVALID_ARGUMENT and ALREADY_EXISTS as each function says; those messages
// name collections, LAs and times, never a file.
//
// Thread-safe: one connection, serialised by an internal mutex. Several
// processes may open the same file, a brand-new one included, at the same
// moment (SQLite's locking and the busy timeout arbitrate), though one
// coordinator per database is the intended deployment.
#ifndef RINGFENCE_COORDINATOR_STORE_H_
#define RINGFENCE_COORDINATOR_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "coordinator/collections.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ringfence::coordinator {

// The schema version this build writes and reads.
inline constexpr int kStoreSchemaVersion = 2;
// Who opened and closed the collections made from a version 1 file.
inline constexpr char kMigrationActor[] = "schema v1 migration";

struct StoreOptions {
  // How long a statement waits for another connection's lock before failing
  // UNAVAILABLE. Open also retries the switch to WAL mode for this long (SQLite
  // does not apply the busy timeout to it).
  int busy_timeout_ms = 5000;
  // If > 0, caps the database at this many pages (PRAGMA max_page_count): an
  // operator's bound on the file size, and how tests simulate a full disk. 0
  // means SQLite's default.
  int64_t max_page_count = 0;
  // The clock for the schema migration's timestamps; absl::Now when unset.
  absl::Time now = absl::InfinitePast();
};

enum class CollectionState { kOpen = 1, kClosed = 2 };

struct CollectionRecord {
  std::string collection_id;  // "<year>-<window>" (coordinator/collections.h)
  int year = 0;
  CollectionPeriod period = CollectionPeriod::kAnnual;
  absl::CivilDay period_start;  // inclusive
  absl::CivilDay period_end;    // inclusive
  absl::Time deadline;
  std::vector<std::string> expected_la_codes;  // sorted, unique
  CollectionState state = CollectionState::kOpen;
  absl::Time opened_at;
  std::string opened_by;
  absl::Time closed_at = absl::UnixEpoch();  // the epoch while open
  std::string closed_by;
};

struct StoredSubmission {
  std::string collection_id;
  std::string la_code;
  int year = 0;
  unsigned catalogue_version = 0;
  std::string receipt;        // lower-case hex SHA-256 of request_bytes
  std::string request_bytes;  // deterministic serialisation of the SubmitRequest
  absl::Time received_at;
  bool late = false;  // received after the collection's deadline
};

struct InsertResult {
  std::string receipt;
  bool already_stored = false;  // an identical submission was already there
  bool late = false;            // of the stored row (the first arrival's, for a resend)
};

// One expected LA's progress in a collection (CollectionProgress).
struct LaProgress {
  std::string la_code;
  bool submitted = false;
  absl::Time submitted_at;  // when submitted
  std::string receipt;      // when submitted
  bool late = false;        // when submitted
  bool refused = false;
  std::string refusal_code;    // e.g. "FAILED_PRECONDITION"
  std::string refusal_reason;  // written by the coordinator
  absl::Time refused_at;
  int node_state = 0;  // proto NodeState number; 0 when none reported
  absl::Time node_state_at;
};

struct CollectionProgressReport {
  CollectionRecord collection;
  std::vector<LaProgress> las;
};

class SubmissionStore {
 public:
  // Opens (creating if absent, migrating a version 1 file) the database at
  // `path`. Errors as above, naming `path`.
  static absl::StatusOr<std::unique_ptr<SubmissionStore>> Open(const std::string& path,
                                                               const StoreOptions& options = {});

  ~SubmissionStore();
  SubmissionStore(const SubmissionStore&) = delete;
  SubmissionStore& operator=(const SubmissionStore&) = delete;

  // Creates `collection` (state, closed_at and closed_by are ignored: a new
  // collection is OPEN) in one transaction. The caller has validated it
  // (coordinator/collections.h). Idempotent: when a collection with this id
  // exists with the same year, period, window, deadline and expected LAs, it
  // is returned unchanged (whatever its state, opener and time);
  // ALREADY_EXISTS naming what differs otherwise.
  absl::StatusOr<CollectionRecord> OpenCollection(const CollectionRecord& collection);

  // Closes a collection in one transaction: from then on Insert refuses it.
  // Closing a closed one returns it unchanged. NOT_FOUND if unknown.
  absl::StatusOr<CollectionRecord> CloseCollection(absl::string_view collection_id,
                                                   absl::string_view closed_by,
                                                   absl::Time closed_at);

  // NOT_FOUND if unknown.
  absl::StatusOr<CollectionRecord> GetCollection(absl::string_view collection_id);

  // Every collection, by year then window (annual, h1, h2, q1..q4).
  absl::StatusOr<std::vector<CollectionRecord>> ListCollections();

  // Stores one submission to `collection_id` in a single IMMEDIATE transaction
  // that first checks, in this order: the collection exists (NOT_FOUND), its
  // year is `year` (INVALID_ARGUMENT), it expects `la_code`
  // (PERMISSION_DENIED); an identical row already stored is answered
  // already_stored=true with its receipt and late flag (even once closed: the
  // node's acknowledgement may have been lost); the collection is OPEN
  // (FAILED_PRECONDITION "collection C was closed at T; its submissions are
  // final; this one was not stored"); no different row is stored
  // (ALREADY_EXISTS). The row is marked late when `received_at` is after the
  // deadline. The receipt is computed here from `request_bytes`. The caller
  // has validated the submission.
  absl::StatusOr<InsertResult> Insert(absl::string_view collection_id, absl::string_view la_code,
                                      int year, unsigned catalogue_version,
                                      absl::string_view request_bytes, absl::Time received_at);

  // Every submission to `collection_id`, ordered by LA code; empty if none.
  // INTERNAL if a row's receipt does not match its bytes or a row is otherwise
  // malformed. Does not check that the collection exists.
  absl::StatusOr<std::vector<StoredSubmission>> LoadCollection(absl::string_view collection_id);

  // Every submission for `year`, to any of its collections, ordered by LA code
  // then collection id; for inspection and tests. Errors as LoadCollection.
  absl::StatusOr<std::vector<StoredSubmission>> LoadYear(int year);

  // Records the latest refusal of `la_code`'s submission to `collection_id`,
  // replacing an earlier one. Returns false (and records nothing) when the
  // collection does not exist or does not expect the LA. `code` and `reason`
  // must be the coordinator's own words, never a value from a grid.
  absl::StatusOr<bool> RecordRefusal(absl::string_view collection_id, absl::string_view la_code,
                                     absl::string_view code, absl::string_view reason,
                                     absl::Time at);

  // Records the state `la_code`'s node reported for `collection_id` (a proto
  // NodeState number, > 0), replacing an earlier one. NOT_FOUND if the
  // collection is unknown, PERMISSION_DENIED if it does not expect the LA.
  absl::Status RecordNodeState(absl::string_view collection_id, absl::string_view la_code,
                               int node_state, absl::Time at);

  // The collection and one row per expected LA, by LA code, with what is
  // stored, refused and reported for it, read in one transaction (a
  // consistent snapshot). NOT_FOUND if the collection is unknown.
  absl::StatusOr<CollectionProgressReport> CollectionProgress(absl::string_view collection_id);

  const std::string& path() const { return path_; }

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

  SubmissionStore(std::string path, sqlite3* db);

  absl::Status Initialize(const StoreOptions& options);
  absl::Status MigrateFromV1(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Stmt> Prepare(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(const std::string& sql, absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `body` inside BEGIN IMMEDIATE .. COMMIT; rolls back when it fails.
  absl::Status InTransaction(const std::function<absl::Status()>& body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<CollectionRecord> ReadCollection(absl::string_view collection_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> IsExpected(absl::string_view collection_id, absl::string_view la_code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<StoredSubmission>> LoadWhere(
      const char* sql, const std::function<void(sqlite3_stmt*)>& bind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  sqlite3* const db_;  // owned; every use holds mu_ (sqlite3_errmsg is per connection)
};

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_STORE_H_
