// The node's side of the wire: turns a protected grid into a ringfence.v1.SubmitRequest and
// sends it to the coordinator over an mTLS channel the caller made.
//
// Privacy: BuildSubmitRequest is the only function that writes what leaves the LA. Its input
// is a ProtectedGrid (noisy, post-processed counts for the fixed catalogue grid), the policy
// and the LA's own code and year; it has no access to row-level records, so no CHILD id, date
// of birth or postcode can reach the message. It puts in exactly the cells of
// policy::SendableCells(policy) (those some recipient class may receive), in catalogue order,
// and nothing of any other cell. tests/node_egress_test.cc checks the bytes on the wire.
//
// Egress shape: every cell is written with all three value fields present and fixed-width
// (proto/cells.proto), every NoiseParams field is set from the policy, and la_code has the
// same length for every LA, so the request's size depends only on the policy, never on the
// data (tests/node_egress_shape_test.cc checks the bytes on the wire).
//
// Security: the channel must be built with crypto::MakeChannelCredentials (mutual TLS). The
// coordinator takes the LA from the client certificate; la_code in the message is only a
// cross-check. The request carries the policy's digest so that the coordinator refuses a
// submission made under a policy other than its own.
//
// Thread-safe: CoordinatorClient may be shared.
#ifndef RINGFENCE_NODE_SUBMIT_CLIENT_H_
#define RINGFENCE_NODE_SUBMIT_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "node/protect.h"
#include "policy/policy.h"
#include "proto/cells.pb.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::node {

// The request for `grid`, which must have been protected under `policy`
// (ProtectGrid(exact, policy, rng)): exactly the cells of policy::SendableCells(policy), in
// catalogue order, with policy_digest = policy.digest and NoiseParams describing the noise,
// the budget and both disclosure rules (untainted and tainted).
// Errors: INVALID_ARGUMENT if the grid does not match the catalogue; FAILED_PRECONDITION,
// with nothing built, if `policy` fails the firewall check (policy::CheckFirewall: e.g. one
// loaded with ParsePolicyUnchecked), has no digest, or is not the policy the grid was
// protected under (another digest, budget or rule, or protected cells other than the policy's
// sendable ones).
absl::StatusOr<v1::SubmitRequest> BuildSubmitRequest(absl::string_view la_code, int year,
                                                     const policy::Policy& policy,
                                                     const ProtectedGrid& grid);

class CoordinatorClient {
 public:
  explicit CoordinatorClient(std::shared_ptr<grpc::Channel> channel);

  // Sends `request` with a deadline of `timeout`, as one unary call (one message). Returns the
  // coordinator's status code and message unchanged (e.g. PERMISSION_DENIED, ALREADY_EXISTS),
  // or UNAVAILABLE / DEADLINE_EXCEEDED when it cannot be reached.
  absl::StatusOr<v1::SubmitResponse> Submit(const v1::SubmitRequest& request,
                                            absl::Duration timeout);

 private:
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_SUBMIT_CLIENT_H_
