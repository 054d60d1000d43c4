// The coordinator's gRPC service (proto/coordinator_service.proto, service
// Coordinator): a thin adapter between the wire and the core
// (coordinator/combine.h, coordinator/store.h), enforcing one policy
// (policy/policy.h) for its whole life. The operator's CollectionAdmin service
// is coordinator/admin_service.h; both share one CallGate
// (coordinator/call_gate.h).
//
// Submit (LA certificates only): resolves the collection (an empty
// collection_id means "<year>-annual"; a collection of another year is
// INVALID_ARGUMENT), checks that it exists (NOT_FOUND) and expects the caller's
// LA (PERMISSION_DENIED), converts and validates the grid against the policy
// (its digest first: a node running another policy is refused
// FAILED_PRECONDITION, naming both digests and the coordinator's policy file),
// and stores it durably (coordinator/store.h Insert, which re-checks the
// collection in the same transaction: a closed collection is
// FAILED_PRECONDITION "... closed at T; its submissions are final; this one
// was not stored"). It answers with the receipt (hex SHA-256 of the request's
// deterministic serialisation), whether it was already stored, the collection
// and whether it was late (after the deadline, before the close). Every refusal
// of a handler for a collection that exists and expects the caller's LA is
// recorded for GetCollectionStatus as the status code name and a reason the
// coordinator writes from a fixed set ("policy digest differs from the
// coordinator's policy", ...); admission refusals (identity, revocation,
// draining, rate limit) are not, so that an over-limit client cannot make the
// store write.
//
// Release (recipient and LA certificates): the collection named (empty:
// "<year>-annual"), which must be CLOSED (FAILED_PRECONDITION while open: sums
// taken before and after one more LA arrives would, subtracted, give that LA's
// noisy value). Combines that collection's submissions into England, regional
// and LA rows and returns only what the requester's class may receive
// (FilterForRecipient): the recipient class of its certificate, or la_own for
// an LA certificate (which at LA level sees only its own LA). The one
// exception to "closed only" is la_own reading its own LA rows: while the
// collection is open it gets its own LOCAL_AUTHORITY rows from its own
// submission only (asking for NATIONAL or REGIONAL then is
// FAILED_PRECONDITION). ReleaseRequest.levels narrows the levels further. The
// response names the collection, the policy digest and the class.
//
// ListCollections: an LA gets the OPEN collections that expect it; an operator
// every collection; a recipient PERMISSION_DENIED. ReportState (LA
// certificates): records the node's NodeState code for a collection that
// expects the LA (NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT for
// NODE_STATE_UNSPECIFIED or an unknown code).
//
// Admission (CallGate): UNAUTHENTICATED (no usable identity in the verified
// client certificate, or a revoked one), UNAVAILABLE while draining,
// RESOURCE_EXHAUSTED over the identity's rate limit (gRPC itself also answers
// it, before a handler runs, for a message over kMaxRequestBytes).
//
// Status codes, as the proto documents: PERMISSION_DENIED (wrong kind of
// certificate, la_code naming another LA, a recipient class not in the policy,
// a recipient certificate claiming la_own, a collection that does not expect
// the LA), FAILED_PRECONDITION (a submission under another policy digest; a
// closed collection; a release of an open collection; a release over stored
// submissions made under another policy), INVALID_ARGUMENT (malformed grid or
// collection id, year out of range or not the collection's, unknown level),
// ALREADY_EXISTS (a different grid is already stored for this collection and
// LA), NOT_FOUND (no such collection; nothing submitted to it), UNAVAILABLE
// (shutting down; or storage temporarily unusable: retry), INTERNAL (anything
// else).
//
// Security: the caller's identity comes ONLY from crypto::PeerIdentity, i.e.
// the URI SAN of the client certificate the TLS handshake verified; a field of
// a message never identifies anyone, and a SubmitRequest whose la_code
// disagrees with the certificate is refused. So is a class the policy does not
// know (before anything about the year or collection is revealed), and an
// operator asking for a release. The server must be built with
// crypto::MakeServerCredentials so that unauthenticated peers never reach a
// handler. Storage error details (file names, SQLite messages) go to the log,
// not to the peer.
//
// Privacy: LA-level rows carry the node's own suppressed/rounded value, never
// its noisy value. What a requester receives is decided by the policy's grants
// (policy::Receives) and fails closed: an unknown class gets nothing, an
// unknown cell is never released, an enforcement or public class never gets a
// tainted cell. The log gets one structured line per call (time, rpc, peer
// URI, outcome, year, collection, number of cells, class and levels for a
// release, the cells per level); it NEVER gets a cell value, which is why
// validation messages (which may quote the submitter's own values back to it)
// are not logged, and why refusal reasons are the coordinator's fixed texts.
//
// Thread-safe: gRPC calls the handlers concurrently; the policy is immutable,
// the store serialises its own access and the gate is synchronised.
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
#include "coordinator/call_gate.h"
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
  using LogSink = CallGate::LogSink;
  using Clock = CallGate::Clock;

  // `store` is not owned and must outlive the service. `policy` is what the
  // service enforces: one that policy::ParsePolicy or LoadPolicyFile accepted
  // (a default-constructed Policy has no digest and no class, so every
  // submission and every release is refused). `log` defaults to stderr,
  // `clock` to absl::Now (it also drives the rate limiter). `limiter` is the
  // per-identity rate limit (RateLimiter::Create); nullptr means no limit.
  CoordinatorServiceImpl(SubmissionStore* store, policy::Policy policy, LogSink log = nullptr,
                         Clock clock = nullptr, std::unique_ptr<RateLimiter> limiter = nullptr);

  const policy::Policy& policy() const { return policy_; }

  // The admission, drain and log path; the admin service shares it
  // (CollectionAdminServiceImpl), so that draining or a revocation list
  // covers both. Owned by this service.
  CallGate* gate() { return &gate_; }

  // Graceful shutdown, first half: from now on every new call (to this
  // service or any sharing its gate) is refused UNAVAILABLE "the coordinator is
  // shutting down; retry later" (and logged), while calls already in a handler
  // run to the end. Irreversible.
  void StartDraining() { gate_.StartDraining(); }
  // Blocks until no call is in a handler, or `timeout` passes; true when idle.
  // Then grpc::Server::Shutdown with an immediate deadline closes connections
  // that clients hold open (gRPC's own grace period would wait for them).
  bool WaitForCallsToFinish(absl::Duration timeout) {
    return gate_.WaitForCallsToFinish(timeout);
  }

  // Revocation: with a list set, every call whose verified client certificate is on it is
  // refused UNAUTHENTICATED "certificate serial <hex> is revoked" (and logged) before the
  // request is looked at; the list reloads itself when its file changes (crypto/revocation.h).
  // `crl` is not owned and must outlive the service; set it before the server starts.
  void SetRevocationList(crypto::RevocationList* crl) { gate_.SetRevocationList(crl); }

  grpc::Status Submit(grpc::ServerContext* context,
                      const ringfence::v1::SubmitRequest* request,
                      ringfence::v1::SubmitResponse* response) override;

  grpc::Status Release(grpc::ServerContext* context,
                       const ringfence::v1::ReleaseRequest* request,
                       ringfence::v1::ReleaseResponse* response) override;

  grpc::Status ListCollections(grpc::ServerContext* context,
                               const ringfence::v1::ListCollectionsRequest* request,
                               ringfence::v1::ListCollectionsResponse* response) override;

  grpc::Status ReportState(grpc::ServerContext* context,
                           const ringfence::v1::ReportStateRequest* request,
                           ringfence::v1::ReportStateResponse* response) override;

 private:
  // `reason` receives the coordinator's own words for a refusal, recorded in
  // the collection's status.
  absl::StatusOr<ringfence::v1::SubmitResponse> DoSubmit(
      const crypto::PartyIdentity& peer, const ringfence::v1::SubmitRequest& request,
      const std::string& collection_id, std::string* reason);
  absl::StatusOr<ringfence::v1::ReleaseResponse> DoRelease(
      const crypto::PartyIdentity& peer,
      const ringfence::v1::ReleaseRequest& request);

  SubmissionStore* const store_;
  const policy::Policy policy_;
  CallGate gate_;
};

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_SERVICE_H_
