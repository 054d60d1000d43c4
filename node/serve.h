// `ringfence-node serve`: the node as a long-running service. It polls the coordinator for the
// open collections that expect this LA and runs each one's submission round (node/round.h)
// until every one is submitted, reporting its state to the coordinator as it goes.
//
// One pass:
//   1. ListCollections (the coordinator lists only OPEN collections expecting this LA).
//   2. For each listed collection, in the coordinator's order:
//      - skip it if its round (LA, year, window) is in the ledger, sent with a receipt;
//      - skip it if its round was refused for budget earlier in this process (the budget
//        only grows back with a new year, so it is not retried until the process restarts);
//      - otherwise ReportState(COMPUTING), run the round over the collection's window, then
//        ReportState with the outcome: SUBMITTED, DATA_ERRORS, BUDGET_EXHAUSTED,
//        POLICY_MISMATCH, NODE_FAILED, or RETRYING.
//   A retryable failure (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED from the
//   coordinator, e.g. its rate limit; UNAVAILABLE from the ledger, e.g. busy) ends the pass.
// Between passes: after a retryable failure, an exponential backoff with full jitter
// (node/backoff.h); otherwise (nothing to do, or only non-retryable failures: data errors,
// which the LA may fix meanwhile, or a refusal by the coordinator) the poll interval +/- 20%.
// A success resets the backoff.
//
// Stopping: the loop checks the StopFlag between steps and while waiting; a call in flight
// runs to completion or its deadline (the ledger makes a resend safe), then the loop logs and
// returns. In once mode it makes one pass (retrying a retryable failure with backoff up to
// once_max_attempts passes) and reports whether every listed collection is submitted.
//
// Logs: one line per event on the log sink, as key=value pairs: time, event, collection,
// state, code, counts, backoff_ms / wait_ms, and for failures other than data errors the
// status message (written by the ledger, the policy check or the coordinator, never quoting
// the LA's rows).
//
// Privacy: nothing row-level reaches a log line or the coordinator. The compute function's
// status message (which quotes rows: CHILD ids, dates) is never logged or sent; for data
// errors the log has only the number of errors per class (policy/data_quality.h) and tells
// the operator to run `ringfence-node validate` on the LA's own terminal. ReportState sends a
// code only. What is submitted is what RunSubmitRound sends (the protected cells).
//
// Thread-compatible: one RunServe per process; StopFlag::Request is async-signal-safe.
#ifndef RINGFENCE_NODE_SERVE_H_
#define RINGFENCE_NODE_SERVE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/random_source.h"
#include "grpcpp/channel.h"
#include "node/backoff.h"
#include "node/dates.h"
#include "policy/data_quality.h"
#include "policy/policy.h"

namespace ringfence::node {

// The validated form of proto/node_config.proto (ringfence.v1.NodeConfig), defaults applied.
struct ServeConfig {
  std::string file;  // where it was read from, for messages
  std::string la_code;
  std::string coordinator;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string data_dir;  // may contain "{year}"
  std::string postcodes_file;
  std::string policy_file;
  std::string ledger_file;
  absl::Duration poll_interval = absl::Seconds(300);
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(300);
  absl::Duration rpc_timeout = absl::Seconds(30);
  int max_errors = 50;
};

// Parses `text`, a ringfence.v1.NodeConfig textproto read from `file`, strictly.
// INVALID_ARGUMENT naming file:line:column for a syntax error or an unknown field, and
// naming the file and field for a missing required field (la_code, coordinator, ca_file,
// cert_file, key_file, data_dir, policy_file, ledger_file), an LA code that is not a known
// LA, a duration over 86400 seconds, or backoff_initial_seconds > backoff_max_seconds.
absl::StatusOr<ServeConfig> ParseServeConfig(absl::string_view text, absl::string_view file);

// Reads and parses `path`. NOT_FOUND / PERMISSION_DENIED naming the file if it cannot be read.
absl::StatusOr<ServeConfig> LoadServeConfig(const std::string& path);

// `pattern` with every "{year}" replaced by `year`.
std::string DataDirForYear(absl::string_view pattern, int year);

// Data errors per class (policy::DataErrorClass order), filled by a failed compute.
struct DataErrorCounts {
  std::array<int64_t, policy::kDataErrorClassCount> by_class{};
  bool truncated = false;  // loading stopped at max_errors: there are more
  int64_t total() const;
};

// Computes the exact grid of the LA's data for a window. On a data error returns its status
// (INVALID_ARGUMENT or NOT_FOUND; the message may quote rows and is never logged) and fills
// `errors`. Production: LoadLaFolder over the config's data_dir for window.year, then
// ComputeExactGrid (MakeFolderCompute).
using WindowComputeFn = std::function<absl::StatusOr<std::vector<int64_t>>(
    const CollectionYear& window, DataErrorCounts* errors)>;

WindowComputeFn MakeFolderCompute(const ServeConfig& config, const policy::Policy& policy);

// Set from a signal handler (SIGTERM, SIGINT) or a test to stop RunServe.
class StopFlag {
 public:
  void Request() { stop_.store(true, std::memory_order_relaxed); }
  bool requested() const { return stop_.load(std::memory_order_relaxed); }
  // Sleeps up to `d` (in slices of at most 50 ms); false if stopped before or meanwhile.
  bool WaitFor(absl::Duration d) const;

 private:
  std::atomic<bool> stop_{false};
};

struct ServeOptions {
  std::string la_code;
  policy::Policy policy;  // must pass policy::CheckFirewall (RunSubmitRound checks again)
  std::string ledger_path;
  absl::Duration poll_interval = absl::Seconds(300);
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(300);
  absl::Duration rpc_timeout = absl::Seconds(30);
  bool once = false;
  int once_max_attempts = 5;  // passes in once mode while failures are retryable
  // Injectable for tests; defaults: DefaultUniform(), absl::Now, StopFlag::WaitFor, stderr.
  UniformFn uniform;
  ClockFn clock;
  std::function<bool(absl::Duration)> wait;  // false when stopped
  std::function<void(const std::string& line)> log;
};

struct ServeResult {
  bool stopped = false;        // a stop was requested
  bool all_submitted = false;  // once mode: every listed collection is submitted
  int passes = 0;
};

// Runs the loop above on `channel` (mutual TLS to the coordinator, or a test server) until
// `stop` is requested, or one pass in once mode. INVALID_ARGUMENT for bad options (backoff
// range); FAILED_PRECONDITION if the policy fails the firewall check. Failures of passes are
// logged and reported, not returned.
absl::StatusOr<ServeResult> RunServe(const ServeOptions& options,
                                     std::shared_ptr<grpc::Channel> channel,
                                     const WindowComputeFn& compute, crypto::RandomSource& rng,
                                     const StopFlag& stop);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_SERVE_H_
