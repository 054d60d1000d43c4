// The path every coordinator RPC takes before and after its handler, shared by the
// Coordinator and CollectionAdmin services (coordinator/service.h, admin_service.h) so that
// one identity, one rate limit, one revocation list, one drain and one log format cover them
// all.
//
// Admit checks, in order: the peer's identity (crypto::PeerIdentity, the URI SAN of the
// verified client certificate; UNAUTHENTICATED without one), the revocation list when set
// (UNAUTHENTICATED "certificate serial <hex> is revoked"), draining (UNAVAILABLE "the
// coordinator is shutting down; retry later"), and the identity's rate limit when set
// (RESOURCE_EXHAUSTED). A refused call costs no store access.
//
// Finish writes one structured log line per call, "<time> rpc=<R> peer=<URI> outcome=<CODE>
// <fields> [reason=\"...\"]", and returns the status to send to the peer. What the peer sees
// and what the log sees differ on purpose:
//  * INVALID_ARGUMENT messages may quote the submitter's own cell values: fine for the
//    submitter, never for the log, which says only "invalid request".
//  * UNAVAILABLE (storage) and INTERNAL messages name files and SQLite's messages: fine for
//    the operator's log; the peer gets a generic message.
//  * Every other code's message names collections, LAs, digests, classes and times only, so
//    both sides get it.
//
// Privacy: `fields` must never hold a cell value; callers pass counts, codes and ids.
//
// Thread-safe: the log sink is called under a mutex; the rest is internally synchronised.
#ifndef RINGFENCE_COORDINATOR_CALL_GATE_H_
#define RINGFENCE_COORDINATOR_CALL_GATE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/rate_limiter.h"
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace ringfence::coordinator {

// The message of the UNAVAILABLE a draining coordinator answers.
inline constexpr char kShuttingDown[] = "the coordinator is shutting down; retry later";

class CallGate {
 public:
  // Receives one complete log line, without the trailing newline.
  using LogSink = std::function<void(absl::string_view line)>;
  using Clock = std::function<absl::Time()>;

  // `log` defaults to stderr, `clock` to absl::Now (it also drives the rate limiter);
  // `limiter` nullptr means no rate limit.
  CallGate(LogSink log, Clock clock, std::unique_ptr<RateLimiter> limiter);
  CallGate(const CallGate&) = delete;
  CallGate& operator=(const CallGate&) = delete;

  absl::Time Now() const { return clock_(); }

  // `crl` is not owned and must outlive the gate; set it before the server starts.
  void SetRevocationList(crypto::RevocationList* crl) { revocation_ = crl; }

  // Irreversible: from now on Admit refuses UNAVAILABLE kShuttingDown.
  void StartDraining();
  // Blocks until no admitted call is in a handler, or `timeout` passes; true when idle.
  bool WaitForCallsToFinish(absl::Duration timeout);

  // Holds an admitted call's place for the whole handler; declare one before Admit.
  class Scope {
   public:
    explicit Scope(CallGate* gate) : gate_(gate) {}
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    friend class CallGate;
    CallGate* const gate_;
    bool entered_ = false;
  };

  // The checks above. On OK the call is counted in `scope` until it is destroyed. `peer` is
  // filled as far as known (its uri is empty when the certificate has no usable identity),
  // for the log line of a refusal.
  absl::Status Admit(const grpc::ServerContext& context, Scope* scope, crypto::PartyIdentity* peer);

  // Writes the outcome line and returns the status to send to the peer.
  grpc::Status Finish(absl::string_view rpc, absl::string_view peer_uri, const absl::Status& status,
                      absl::string_view fields);

 private:
  const Clock clock_;
  const std::unique_ptr<RateLimiter> limiter_;
  absl::Mutex log_mu_;
  LogSink log_ ABSL_GUARDED_BY(log_mu_);
  absl::Mutex calls_mu_;
  int in_flight_ ABSL_GUARDED_BY(calls_mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(calls_mu_) = false;
  crypto::RevocationList* revocation_ = nullptr;  // not owned; null: no CRL
};

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_CALL_GATE_H_
