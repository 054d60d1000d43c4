// Test helper: a gRPC client channel that records everything the client sends, as gRPC
// serialised it, before TLS. The egress tests use it to search the bytes a node puts on the
// wire (tests/node_egress_test.cc) and to compare their shape (tests/node_egress_shape_test.cc).
#ifndef RINGFENCE_TESTS_TESTING_WIRE_CAPTURE_H_
#define RINGFENCE_TESTS_TESTING_WIRE_CAPTURE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace ringfence::testing {

// What a client sent. Lock `mu` to read while calls may still be running.
struct WireCapture {
  std::mutex mu;
  std::string wire;                   // every metadata key and value and every message, in order
  size_t metadata_bytes = 0;          // bytes of initial metadata (keys and values)
  std::vector<std::string> messages;  // each serialised message on its own
};

// A channel to `target` with `credentials` whose calls are recorded into `sink` (which must
// outlive the channel).
std::shared_ptr<grpc::Channel> CapturingChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    WireCapture* sink);

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_WIRE_CAPTURE_H_
