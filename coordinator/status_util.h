// Conversion between absl::Status (the core's error type) and grpc::Status (the
// wire's), in one place, code for code. Only gRPC adapters
// (coordinator/service.h, the release client) include this; the coordinator's
// core (store, combine) never sees gRPC.
//
// The numeric values of absl::StatusCode and grpc::StatusCode are both the
// canonical google.rpc.Code values, but the mapping is written out explicitly
// so that a code that one side does not know becomes UNKNOWN instead of an
// out-of-range enum.
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_COORDINATOR_STATUS_UTIL_H_
#define RINGFENCE_COORDINATOR_STATUS_UTIL_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ringfence::coordinator {

grpc::StatusCode ToGrpcCode(absl::StatusCode code);
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

// Same code, same message. Payloads are not carried.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_STATUS_UTIL_H_
