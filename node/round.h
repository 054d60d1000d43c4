// One submission round of a node, in the order that makes the privacy guarantee hold across
// crashes and retries (issue 5; node/ledger.h has the step-by-step crash argument):
//
//   1. Find the round (LA, year, period, catalogue version) in the privacy ledger. If it is
//      there, it was protected before: go to 5 with its cached protected cells. A recorded
//      round is NEVER recomputed with fresh noise (averaging releases is the classic attack).
//   2. Otherwise compute the exact grid (the caller's function: load, validate, count).
//   3. Protect it under the policy (node/protect.h): discrete Gaussian noise from the policy's
//      rho_per_round split equally over the histograms the policy sends, then suppression and
//      rounding of the noisy values by each cell's rule (untainted or tainted). Build the
//      request of exactly the policy's sendable cells, with the policy's digest.
//   4. Record the spend and the protected cells in the ledger, durably, in one transaction;
//      refused (RESOURCE_EXHAUSTED, nothing sent) if the year's budget would be exceeded.
//   5. Send exactly the recorded cells; on acknowledgement record the coordinator's receipt.
//      A recorded round is sent only under the policy it was recorded under (the digest in
//      the recorded request): under any other policy it might hold cells the current policy
//      sends to nobody, so the round refuses (FAILED_PRECONDITION) and sends nothing.
//
// If the send fails, the round stays recorded and unsent; running the round again resends the
// same cells without spending again. The coordinator answers an identical resend as "already
// stored".
//
// Test hooks: RoundHooks lets a test-only binary (tests/node_crash_harness.cc) stop the process
// at each step to prove the above. The production binary passes no hooks; nothing in its
// configuration can install them.
//
// Privacy: the exact grid exists only inside RunSubmitRound's stack between steps 2 and 3.
// What leaves is what node::BuildSubmitRequest builds from the protected grid.
//
// Egress shape: a round sends one message, one unary Submit call, whose size depends only on
// the policy (node/submit_client.h), whether the round is new or resent.
//
// Thread-compatible.
#ifndef RINGFENCE_NODE_ROUND_H_
#define RINGFENCE_NODE_ROUND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/random_source.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "node/ledger.h"
#include "policy/policy.h"
#include "proto/cells.pb.h"

namespace ringfence::node {

// Points at which a test may stop the process. Every method is a no-op by default.
class RoundHooks {
 public:
  virtual ~RoundHooks() = default;
  // The exact grid has been computed; nothing is protected or recorded yet.
  virtual void AfterCompute() {}
  // The spend and the protected cells are durable in the ledger; nothing sent yet.
  virtual void AfterLedgerWrite() {}
  // The recorded cells (new or cached) are about to be sent; every refusal before this point
  // was the node's own (policy, budget, data, ledger). Used by `serve` to tell them apart.
  virtual void BeforeSend() {}
  // The coordinator acknowledged; the receipt is not yet in the ledger.
  virtual void AfterSendBeforeReceipt() {}
  // Makes the channel the round sends on (e.g. with an interceptor that stops the process
  // while the call is in flight). Default: grpc::CreateChannel(target, credentials).
  virtual std::shared_ptr<grpc::Channel> CreateChannel(
      const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials);
};

struct SubmitRoundOptions {
  std::string la_code;
  int year = 0;
  // The window of the collection year ("annual", "h1", "q3"...; dates.h CollectionYear). The
  // ledger keys the round by (la_code, year, period), so rounds of different windows of one
  // year are separate spends from the same yearly budget. The request carries the collection
  // id "<year>-<period>".
  std::string period = kAnnualPeriod;
  // The policy the round runs under: its privacy section (rho_per_round is what this round
  // spends, rho_per_year the LA's limit for the year), disclosure rules and what may be sent.
  // Held by value, so the options own it. Required: a policy without a digest, or one that
  // fails the firewall check (policy::CheckFirewall), is refused before anything is computed.
  policy::Policy policy;
  std::string ledger_path;
  absl::Duration timeout = absl::Seconds(30);
};

struct SubmitRoundResult {
  v1::SubmitRequest request;    // what was sent (the cached cells)
  v1::SubmitResponse response;  // the coordinator's answer
  bool resent = false;          // the round was recorded before this run: no new noise or spend
  YearSpend year;               // the ledger's account of this LA and year after the round
};

// Runs the round above. `compute_exact` is called only when the round is not yet recorded and
// returns one exact value per catalogue::GridCells() cell. `channel` must be a mutual-TLS
// channel to the coordinator. `hooks` may be null.
// Errors: INVALID_ARGUMENT if options.year and options.period are not a collection window
// (nothing computed); FAILED_PRECONDITION if options.policy is missing or fails the firewall check
// (nothing computed, recorded or sent) or if the round is recorded under a different policy
// (nothing sent, nothing recomputed); those of compute_exact (data errors; nothing recorded or
// sent); RESOURCE_EXHAUSTED over budget; the ledger's errors (node/ledger.h); INTERNAL if
// randomness fails (nothing recorded or sent); the coordinator's status when the send fails, with a
// message saying the round is recorded and will be resent unchanged.
absl::StatusOr<SubmitRoundResult> RunSubmitRound(
    const SubmitRoundOptions& options,
    const std::function<absl::StatusOr<std::vector<int64_t>>()>& compute_exact,
    crypto::RandomSource& rng, std::shared_ptr<grpc::Channel> channel, RoundHooks* hooks);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_ROUND_H_
