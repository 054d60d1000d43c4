// absl::Status <-> grpc::Status, code for code. The only place the two meet; used by the gRPC
// adapters (coordinator/service, node/submit_client, tools/release_command).
#ifndef RINGFENCE_BASE_GRPC_STATUS_H_
#define RINGFENCE_BASE_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ringfence::base {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace ringfence::base

#endif  // RINGFENCE_BASE_GRPC_STATUS_H_
