// Conversions between the wire messages of ringfence.v1 (proto/cells.proto) and
// the coordinator's C++ types (coordinator/combine.h). Protobuf stops here: the
// store keeps opaque bytes and combine sees only C++ types.
//
// Security: SubmissionFromProto is the gate for everything a node sends. It
// converts AND validates (ValidateSubmission against the coordinator's
// policy), so a Submission built from the wire is always a well-formed grid
// made under the coordinator's own policy; malformed input is
// INVALID_ARGUMENT, never a crash. Receipts hash the deterministic
// serialisation, so a node can recompute its receipt from the request it sent.
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_COORDINATOR_PROTO_UTIL_H_
#define RINGFENCE_COORDINATOR_PROTO_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "coordinator/combine.h"
#include "google/protobuf/message_lite.h"
#include "policy/policy.h"
#include "proto/cells.pb.h"

namespace ringfence::coordinator {

// Converts and validates against `policy`. FAILED_PRECONDITION when the
// request's policy_digest is not policy.digest; INVALID_ARGUMENT as
// ValidateSubmission, or for an unknown noise mechanism or an out-of-range
// catalogue version.
absl::StatusOr<Submission> SubmissionFromProto(const ringfence::v1::SubmitRequest& request,
                                               const policy::Policy& policy);

// The inverse (for tests and nodes' fixtures); does not validate.
ringfence::v1::SubmitRequest SubmissionToProto(const Submission& submission);

// Every cell of `table`, with its policy_digest and recipient_class: callers pass a table
// that FilterForRecipient has already filtered.
ringfence::v1::ReleaseResponse ReleaseTableToProto(const ReleaseTable& table);

// The release level of a wire level; INVALID_ARGUMENT for GEOGRAPHIC_LEVEL_UNSPECIFIED or a
// value this build does not know.
absl::StatusOr<GeographicLevel> LevelFromProto(int level);

// Deterministic serialisation (map order fixed, fields in number order).
// INTERNAL if the message cannot be serialised (e.g. larger than 2 GiB).
absl::StatusOr<std::string> SerializeDeterministically(const google::protobuf::MessageLite& m);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_PROTO_UTIL_H_
