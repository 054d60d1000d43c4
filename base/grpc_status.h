// Conversion between absl::Status (the core's error type) and grpc::Status (the
// wire's), in one place, code for code. Only gRPC adapters (coordinator/service,
// node/submit_client, tools/release_command) include this; the cores of node and
// coordinator never see gRPC.
//
// The numeric values of absl::StatusCode and grpc::StatusCode are both the
// canonical google.rpc.Code values, but the mapping is written out explicitly
// so that a code that one side does not know becomes UNKNOWN instead of an
// out-of-range enum.
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_BASE_GRPC_STATUS_H_
#define RINGFENCE_BASE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ringfence::base {

grpc::StatusCode ToGrpcCode(absl::StatusCode code);
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

// Same code, same message. Payloads are not carried.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace ringfence::base

#endif  // RINGFENCE_BASE_GRPC_STATUS_H_
