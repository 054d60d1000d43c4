// Conversions between the wire messages of ringfence.v1 (proto/cells.proto) and
// the coordinator's C++ types (coordinator/combine.h). Protobuf stops here: the
// store keeps opaque bytes and combine sees only C++ types.
//
// Security: SubmissionFromProto is the gate for everything a node sends. It
// converts AND validates (ValidateSubmission), so a Submission built from the
// wire is always a well-formed grid; malformed input is INVALID_ARGUMENT, never
// a crash. Receipts hash the deterministic serialisation, so a node can
// recompute its receipt from the request it sent.
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_COORDINATOR_PROTO_UTIL_H_
#define RINGFENCE_COORDINATOR_PROTO_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "coordinator/combine.h"
#include "google/protobuf/message_lite.h"
#include "proto/cells.pb.h"

namespace ringfence::coordinator {

// Converts and validates. INVALID_ARGUMENT as ValidateSubmission, or for an
// unknown noise mechanism or an out-of-range catalogue version.
absl::StatusOr<Submission> SubmissionFromProto(
    const ringfence::v1::SubmitRequest& request);

// The inverse (for tests and nodes' fixtures); does not validate.
ringfence::v1::SubmitRequest SubmissionToProto(const Submission& submission);

ringfence::v1::ReleaseResponse ReleaseTableToProto(const ReleaseTable& table);

// Deterministic serialisation (map order fixed, fields in number order).
// INTERNAL if the message cannot be serialised (e.g. larger than 2 GiB).
absl::StatusOr<std::string> SerializeDeterministically(
    const google::protobuf::MessageLite& m);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_PROTO_UTIL_H_
