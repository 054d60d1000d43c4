// The node's durable privacy ledger: one SQLite file per LA node recording every spend of
// privacy budget, together with the protected cells it paid for, before they leave the node.
//
// Contract. A round is identified by a RoundKey (LA, collection year, period, catalogue
// version). RecordSpend is the only way to spend: in one IMMEDIATE transaction it either
//   - finds the round already recorded and returns it unchanged (newly_recorded = false; the
//     payload argument is ignored and nothing is spent again), or
//   - refuses the spend with RESOURCE_EXHAUSTED if the exact sum of rho already spent by this
//     LA in this collection year plus this round's rho exceeds the year's budget (nothing is
//     written), or
//   - writes the spend and the payload (the serialized protected cells) and commits.
// The caller sends exactly the returned CachedRound::payload, and only after RecordSpend has
// returned OK, then calls MarkSent with the coordinator's receipt. A released round is never
// recomputed: resending returns the cached bytes byte-for-byte, because averaging several noisy
// releases of the same cells is the classic attack on noise-based protection.
//
// Crash safety. The file is opened in WAL mode with synchronous=FULL, so a transaction that
// has committed is on stable storage (the WAL is fsynced at commit) and one that has not is
// discarded on the next open. Every state change (schema creation, a spend, a receipt) is one
// transaction. If the node is killed (SIGKILL or power cut) at any point of a round:
//   1. after computing the protected cells, before RecordSpend has returned: its transaction
//      either committed in full (then as in 2) or left nothing on disk; nothing was sent. If
//      nothing, restart computes again with fresh noise and records that; the discarded cells
//      were never released, so they cost no privacy, and the budget counts the round once.
//   2. after RecordSpend committed, before or during the send: the spend and the payload are on
//      disk, sent_at is empty. Restart's RecordSpend (or Find) returns the cached round, the
//      budget is not charged again, and the node sends the cached bytes. If the first attempt
//      did reach the coordinator, it is an identical resend, which the coordinator
//      acknowledges as already stored (coordinator/store.h).
//   3. after the coordinator acknowledged, before MarkSent committed: as in 2; the resend is
//      identical and MarkSent records the receipt then.
//   4. after MarkSent: the round is complete; a later RecordSpend returns it, marked sent.
// A COMMIT reported as failed (e.g. an I/O error during fsync) may still have reached the disk;
// the caller then sends nothing, and a later run finds the round cached and sends it (case 2).
// So the budget is never charged twice for a round (the key is unique) and never under-charged
// (nothing is sent before its spend is durable), and what is sent is always the cached bytes.
//
// Integrity. Each payload is stored with its length and CRC-32; a row whose payload does not
// match them, or whose rho or budget has a zero denominator or is out of range, is DATA_LOSS
// naming the file (as are SQLite's own "corrupt" and "not a database" conditions and a failed
// quick_check on open). These checks detect corruption, not deliberate tampering by someone who
// can write the file: that person can also delete rows and reset the budget.
//
// Errors (those about the file name it and carry SQLite's message): INVALID_ARGUMENT for a
// malformed key, rho, budget, payload or receipt; NOT_FOUND for a missing file (OpenReadOnly)
// or an unknown round (MarkSent); RESOURCE_EXHAUSTED for a spend over budget;
// FAILED_PRECONDITION for a file that is not a Ringfence ledger, a schema version this build
// does not know, writes to a read-only ledger and a conflicting receipt; OUT_OF_RANGE if exact
// sums of rho do not fit 64 bits (fails closed: the spend is refused); DATA_LOSS as above;
// UNAVAILABLE for conditions an operator can clear or a caller may retry (busy, locked, disk
// full, read-only file system, I/O error, cannot open); INTERNAL for anything unexpected.
//
// Privacy: the payload is the protected submission (noisy, suppressed and rounded cells, i.e.
// post-processed output of the DP mechanism), never row-level data or exact counts, so the file
// holds nothing the coordinator does not receive. It still reveals, to whoever can read it, how
// many rounds the LA ran, when, and with what rho; keep it readable by the node's service
// account only. The ledger is the budget's only memory: deleting the file or its -wal companion
// (which holds recent spends until they are checkpointed), or restoring an older copy, forgets
// spends and lets the budget be spent again. Back it up with SQLite's backup API (`sqlite3 FILE
// .backup`), not by copying the .db alone, and never restore an older copy over a newer one.
//
// Thread-safe: each Ledger holds one connection serialised by an internal mutex. Several
// Ledger objects, in one process or several, may use the same file; SQLite's locks and the busy
// timeout serialise writers, and IMMEDIATE transactions make check-then-insert atomic, so two
// concurrent RecordSpend calls for the same key produce exactly one spend.
#ifndef RINGFENCE_NODE_LEDGER_H_
#define RINGFENCE_NODE_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;

namespace ringfence::node {

// The schema version this build writes and reads (PRAGMA user_version).
inline constexpr int kLedgerSchemaVersion = 1;
// PRAGMA application_id of a ledger file ("RFLG"), so that another SQLite file (for example a
// coordinator database) given as --ledger is refused rather than mistaken for a ledger.
inline constexpr int32_t kLedgerApplicationId = 0x52464C47;
// The period of an annual collection round.
inline constexpr char kAnnualPeriod[] = "annual";

// An exact non-negative rational, rho of zero-concentrated DP. The functions below return it
// in lowest terms. (A stand-in until the project has one rho type.)
struct LedgerRho {
  uint64_t numerator = 0;
  uint64_t denominator = 1;

  friend bool operator==(const LedgerRho& a, const LedgerRho& b) {
    return a.numerator == b.numerator && a.denominator == b.denominator;
  }
  friend bool operator!=(const LedgerRho& a, const LedgerRho& b) { return !(a == b); }
};

// numerator/denominator in lowest terms. INVALID_ARGUMENT if the denominator is zero.
absl::StatusOr<LedgerRho> MakeLedgerRho(uint64_t numerator, uint64_t denominator);

// Exact a + b in lowest terms, computed in 128 bits. INVALID_ARGUMENT for a zero denominator;
// OUT_OF_RANGE if the reduced sum does not fit 64-bit numerator and denominator.
absl::StatusOr<LedgerRho> AddRho(const LedgerRho& a, const LedgerRho& b);

// Exact max(a - b, 0) in lowest terms. Errors as AddRho.
absl::StatusOr<LedgerRho> SubtractRhoOrZero(const LedgerRho& a, const LedgerRho& b);

// Exact comparison: negative, zero or positive as a <, = or > b. Denominators must be non-zero.
int CompareRho(const LedgerRho& a, const LedgerRho& b);

// "1/4"; a whole number without a denominator ("1", "0").
std::string FormatRho(const LedgerRho& rho);

struct RoundKey {
  std::string la_code;                 // new GSS code of the LA, e.g. "E09000033"
  int year = 0;                        // collection year
  std::string period = kAnnualPeriod;  // [A-Za-z0-9_-]{1,32}; annual, h1, h2, q1..q4 (dates.h)
  unsigned catalogue_version = 0;
};

// "E09000033 2025 annual, catalogue v1", for messages.
std::string FormatRoundKey(const RoundKey& key);

struct CachedRound {
  RoundKey key;
  LedgerRho rho;        // what this round spent
  LedgerRho budget;     // the year's budget given when the round was recorded
  std::string payload;  // the protected cells to send, byte-for-byte as first recorded
  absl::Time recorded_at;
  std::optional<absl::Time> sent_at;  // set by MarkSent
  std::string receipt;                // the coordinator's receipt; empty until MarkSent
  // RecordSpend only: true if this call recorded the spend, false if the round was already in
  // the ledger (nothing was spent, and `payload` is the cached one). Always false from Find.
  bool newly_recorded = false;

  bool sent() const { return sent_at.has_value(); }
};

// One round in Spending(): a CachedRound without its payload.
struct RoundSpend {
  std::string period;
  unsigned catalogue_version = 0;
  LedgerRho rho;
  LedgerRho budget;
  int64_t payload_size = 0;
  absl::Time recorded_at;
  std::optional<absl::Time> sent_at;
  std::string receipt;
};

// Everything one LA spent in one collection year.
struct YearSpend {
  std::string la_code;
  int year = 0;
  LedgerRho spent;      // exact sum of the rounds' rho
  LedgerRho budget;     // the budget given when the latest round of the year was recorded
  LedgerRho remaining;  // max(budget - spent, 0)
  int round_count = 0;
  int sent_count = 0;
  std::vector<RoundSpend> rounds;  // in recording order
};

struct LedgerOptions {
  // How long a statement waits for another connection's lock before failing UNAVAILABLE.
  int busy_timeout_ms = 5000;
  // Source of recorded_at and sent_at; absl::Now if empty.
  std::function<absl::Time()> clock;
};

class Ledger {
 public:
  // Opens the ledger at `path` for recording, creating the file and its schema if absent.
  // Refuses (FAILED_PRECONDITION) an SQLite file that is not a ledger or has a schema version
  // this build does not know; DATA_LOSS if the file is corrupt or not a database. Errors name
  // `path`.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& path,
                                                      const LedgerOptions& options = {});

  // Opens an existing ledger for reading (Find, Spending), e.g. for `ringfence-node budget`.
  // Never creates or modifies the ledger: NOT_FOUND naming `path` if it does not exist; other
  // errors as Open. (SQLite may still create the empty -wal and -shm companions beside an
  // existing file, which WAL readers need.) RecordSpend and MarkSent then fail
  // FAILED_PRECONDITION.
  static absl::StatusOr<std::unique_ptr<Ledger>> OpenReadOnly(const std::string& path,
                                                              const LedgerOptions& options = {});

  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // The round recorded under `key`, or nullopt. INVALID_ARGUMENT for a malformed key;
  // DATA_LOSS if the row fails its integrity checks.
  absl::StatusOr<std::optional<CachedRound>> Find(const RoundKey& key);

  // Records the spend of `rho` for the round `key` with `payload`, its protected cells, unless
  // the round is already recorded (see the contract above), all in one transaction. `rho` must
  // be positive and `budget_for_year` non-negative, each with numerator and denominator at most
  // 2^63 - 1 in lowest terms; `payload` non-empty and within SQLite's blob limit (10^9 bytes by
  // default); INVALID_ARGUMENT otherwise. RESOURCE_EXHAUSTED, naming the LA, the year, what
  // was spent, the budget and what the round needs, if the spend would exceed
  // `budget_for_year`; nothing is written then and nothing may be sent.
  //
  // Privacy: the budget is checked against every round of the LA and year in the ledger,
  // whatever its period or catalogue version, so a new period or catalogue is a new spend. A
  // round already recorded is returned even if `budget_for_year` has since been lowered: it
  // costs nothing more to resend.
  absl::StatusOr<CachedRound> RecordSpend(const RoundKey& key, const LedgerRho& rho,
                                          const LedgerRho& budget_for_year,
                                          absl::string_view payload);

  // Records that the coordinator acknowledged the round with `receipt` (non-empty printable
  // ASCII, at most 256 characters), now. Idempotent: the same receipt again is OK and keeps the
  // first time. NOT_FOUND for a round not in the ledger; FAILED_PRECONDITION if the round was
  // already marked sent with a different receipt (the coordinator holds different bytes for it,
  // which should not happen).
  absl::Status MarkSent(const RoundKey& key, absl::string_view receipt);

  // Per (LA, collection year), ordered by LA code then year: the exact rho spent, the budget,
  // what remains, and every round. Empty for an empty ledger. DATA_LOSS if any row fails its
  // integrity checks; OUT_OF_RANGE if a sum does not fit 64 bits.
  absl::StatusOr<std::vector<YearSpend>> Spending();

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

 private:
  Ledger(std::string path, sqlite3* db, bool read_only, LedgerOptions options);

  absl::Status Initialize() ABSL_LOCKS_EXCLUDED(mu_);
  // Inside Initialize's transaction: checks the application id, version and table, or creates
  // the schema in an empty file (read-write only).
  absl::Status CheckOrCreateSchemaLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<CachedRound>> FindLocked(const RoundKey& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<CachedRound> RecordSpendLocked(const RoundKey& key, const LedgerRho& rho,
                                                const LedgerRho& budget_for_year,
                                                absl::string_view payload)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status MarkSentLocked(const RoundKey& key, absl::string_view receipt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(const char* sql, absl::string_view what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RollbackIfOpen() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time Now() const;

  const std::string path_;
  const bool read_only_;
  const LedgerOptions options_;
  absl::Mutex mu_;
  sqlite3* const db_;  // owned; every use holds mu_ (sqlite3_errmsg is per connection)
};

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_LEDGER_H_
