// The coordinator's gRPC service (proto/coordinator_service.proto): a thin
// adapter between the wire and the core (coordinator/combine.h,
// coordinator/store.h), enforcing one policy (policy/policy.h) for its whole
// life.
//
// Submit (LA certificates only): checks the caller, converts and validates the
// grid against the policy (its digest first: a node running another policy is
// refused FAILED_PRECONDITION, naming both digests and the coordinator's policy
// file), stores it durably, and answers with the receipt (hex SHA-256 of the
// request's deterministic serialisation) and whether it was already stored.
// Release (recipient and LA certificates): combines every stored submission of
// the year into England, regional and LA rows and returns only what the
// requester's class may receive (FilterForRecipient): the recipient class of
// its certificate, or la_own for an LA certificate (which at LA level sees
// only its own LA). ReleaseRequest.levels narrows the levels further. The
// response names the policy digest and the class it was filtered for.
//
// Rate limit: with a RateLimiter, every call of an identified peer first takes
// a token from that identity's bucket (the certificate's URI SAN); an empty
// bucket refuses the call RESOURCE_EXHAUSTED "too many requests from URI;
// retry after Ns ..." before the request is looked at or the store touched.
// Other identities have their own buckets and are unaffected. A peer with no
// usable identity is refused UNAUTHENTICATED first, which costs no more.
//
// Status codes, as the proto documents: UNAUTHENTICATED (no usable identity in
// the verified client certificate, or a certificate on the revocation list), PERMISSION_DENIED (wrong kind of
// certificate, la_code naming another LA, a recipient class not in the policy,
// a recipient certificate claiming la_own), FAILED_PRECONDITION (a submission
// under another policy digest; a release over stored submissions made under
// another policy), INVALID_ARGUMENT (malformed grid, year out of range, unknown
// level), ALREADY_EXISTS (a different grid is already stored for this LA and
// year), NOT_FOUND (nothing submitted for the year), RESOURCE_EXHAUSTED (over
// the identity's rate limit; gRPC itself also answers it, before a handler
// runs, for a message over the server's maximum receive size), UNAVAILABLE
// (shutting down, StartDraining; or storage temporarily unusable: retry), INTERNAL (anything else, including a store
// from a newer build).
//
// Security: the caller's identity comes ONLY from crypto::PeerIdentity, i.e.
// the URI SAN of the client certificate the TLS handshake verified; a field of
// a message never identifies anyone, and a SubmitRequest whose la_code
// disagrees with the certificate is refused. So is a class the policy does not
// know (before anything about the year is revealed), and an operator asking
// for a release. The server must be built with crypto::MakeServerCredentials
// so that unauthenticated peers never reach a handler. Storage error details
// (file names, SQLite messages) go to the log, not to the peer.
//
// Privacy: LA-level rows carry the node's own suppressed/rounded value, never
// its noisy value. What a requester receives is decided by the policy's grants
// (policy::Receives) and fails closed: an unknown class gets nothing, an
// unknown cell is never released, an enforcement or public class never gets a
// tainted cell. The log gets one structured line per Submit, per Release and
// per refusal (time, rpc, peer URI, class, outcome, year, number of cells and,
// for a release, the levels asked for and the cells per level); it NEVER gets
// a cell value, which is why validation messages (which may quote the
// submitter's own values back to it) are not logged.
//
// Thread-safe: gRPC calls the handlers concurrently; the policy is immutable,
// the store serialises its own access and the log sink is called under a
// mutex.
#ifndef RINGFENCE_COORDINATOR_SERVICE_H_
#define RINGFENCE_COORDINATOR_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coordinator/rate_limiter.h"
#include "coordinator/store.h"
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "policy/policy.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::coordinator {

// The largest request message a coordinator server accepts
// (grpc::ServerBuilder::SetMaxReceiveMessageSize): a full grid is tens of
// kilobytes. gRPC refuses anything larger RESOURCE_EXHAUSTED before a handler
// runs, so such a call is not logged by the service.
inline constexpr int kMaxRequestBytes = 4 * 1024 * 1024;

class CoordinatorServiceImpl final
    : public ringfence::v1::Coordinator::Service {
 public:
  // Receives one complete log line, without the trailing newline.
  using LogSink = std::function<void(absl::string_view line)>;
  using Clock = std::function<absl::Time()>;

  // `store` is not owned and must outlive the service. `policy` is what the
  // service enforces: one that policy::ParsePolicy or LoadPolicyFile accepted
  // (a default-constructed Policy has no digest and no class, so every
  // submission and every release is refused). `log` defaults to stderr,
  // `clock` to absl::Now (it also drives the rate limiter). `limiter` is the
  // per-identity rate limit (RateLimiter::Create); nullptr means no limit.
  CoordinatorServiceImpl(SubmissionStore* store, policy::Policy policy, LogSink log = nullptr,
                         Clock clock = nullptr, std::unique_ptr<RateLimiter> limiter = nullptr);

  const policy::Policy& policy() const { return policy_; }

  // Graceful shutdown, first half: from now on every new call is refused
  // UNAVAILABLE "the coordinator is shutting down; retry later" (and logged),
  // while calls already in a handler run to the end. Irreversible.
  void StartDraining();
  // Blocks until no call is in a handler, or `timeout` passes; true when idle.
  // Then grpc::Server::Shutdown with an immediate deadline closes connections
  // that clients hold open (gRPC's own grace period would wait for them).
  bool WaitForCallsToFinish(absl::Duration timeout);

  // Revocation: with a list set, every call whose verified client certificate is on it is
  // refused UNAUTHENTICATED "certificate serial <hex> is revoked" (and logged) before the
  // request is looked at; the list reloads itself when its file changes (crypto/revocation.h).
  // `crl` is not owned and must outlive the service; set it before the server starts.
  void SetRevocationList(crypto::RevocationList* crl) { revocation_ = crl; }

  grpc::Status Submit(grpc::ServerContext* context,
                      const ringfence::v1::SubmitRequest* request,
                      ringfence::v1::SubmitResponse* response) override;

  grpc::Status Release(grpc::ServerContext* context,
                       const ringfence::v1::ReleaseRequest* request,
                       ringfence::v1::ReleaseResponse* response) override;

 private:
  absl::StatusOr<ringfence::v1::SubmitResponse> DoSubmit(
      const crypto::PartyIdentity& peer,
      const ringfence::v1::SubmitRequest& request);
  absl::StatusOr<ringfence::v1::ReleaseResponse> DoRelease(
      const crypto::PartyIdentity& peer,
      const ringfence::v1::ReleaseRequest& request);

  // OK, or RESOURCE_EXHAUSTED when `peer_uri` is over its rate limit.
  absl::Status Admit(absl::string_view peer_uri);

  // Counts a call into a handler; false (nothing counted) once draining.
  bool EnterCall();
  void ExitCall();
  class CallScope;

  // OK, or UNAUTHENTICATED when a revocation list is set and names the peer's certificate.
  absl::Status CheckNotRevoked(const grpc::ServerContext& context);

  // Writes the outcome line and returns the status to send to the peer.
  grpc::Status Finish(absl::string_view rpc, absl::string_view peer_uri,
                      const absl::Status& status, int year, int cells,
                      absl::string_view extra);

  SubmissionStore* const store_;
  const policy::Policy policy_;
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

#endif  // RINGFENCE_COORDINATOR_SERVICE_H_
