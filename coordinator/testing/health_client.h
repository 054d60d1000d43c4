// Test helper: one grpc.health.v1.Health/Check call over a channel, without
// generated code for health.proto (Debian's gRPC ships none): the request is
// HealthCheckRequest{service: ""} (the whole server) and the reply's
// one field, `ServingStatus status = 1`, is decoded by hand.
//
// Thread-compatible. Sets a 10 s deadline.
#ifndef RINGFENCE_COORDINATOR_TESTING_HEALTH_CLIENT_H_
#define RINGFENCE_COORDINATOR_TESTING_HEALTH_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace ringfence::coordinator::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// The server's overall status, or the call's error (UNAVAILABLE when the TLS
// handshake fails, UNIMPLEMENTED when the server has no health service), or
// INTERNAL for a reply that does not decode.
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel);

}  // namespace ringfence::coordinator::testing

#endif  // RINGFENCE_COORDINATOR_TESTING_HEALTH_CLIENT_H_
