// An in-process fake of the coordinator's Coordinator service for tests of the node's service
// loop (node/serve.h): a real gRPC server on 127.0.0.1 (port 0) with the test PKI's mutual TLS,
// whose answers a test scripts: the collections it lists, failures to return first (e.g.
// UNAVAILABLE twice), and what it records (state reports, submissions, in order).
//
// Submit stores per collection id and answers an identical resend already_stored with the same
// receipt, and a different one ALREADY_EXISTS, as the real coordinator does. It checks no
// policy and no grid: the node's side is what is under test.
//
// Security: test-only; the target is declared only when tests are built.
// Thread-safe.
#ifndef RINGFENCE_NODE_TESTING_FAKE_COORDINATOR_H_
#define RINGFENCE_NODE_TESTING_FAKE_COORDINATOR_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/testing/test_pki.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::node::testing {

class FakeCoordinator final : public v1::Coordinator::Service {
 public:
  // Starts the server with `pki`'s server certificate. INTERNAL if it cannot listen.
  static absl::StatusOr<std::unique_ptr<FakeCoordinator>> Start(
      const coordinator::testing::TestPki& pki);
  ~FakeCoordinator() override;

  // A mutual-TLS channel to this server as LA `la_code`.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFor(absl::string_view la_code) const;

  // An OPEN collection "<year>-<window>" to list.
  void AddCollection(int year, const std::string& window);
  // The next `n` ListCollections calls fail with `code`.
  void FailListCalls(int n, grpc::StatusCode code);
  // The next Submit calls return these statuses, in order, before any is stored.
  void FailNextSubmit(grpc::StatusCode code, const std::string& message = "scripted failure");

  std::vector<std::pair<std::string, v1::NodeState>> reports() const;
  std::vector<v1::SubmitRequest> submits() const;  // every Submit that reached the fake
  int stored() const;                              // distinct collections stored
  int list_calls() const;

  grpc::Status ListCollections(grpc::ServerContext* context,
                               const v1::ListCollectionsRequest* request,
                               v1::ListCollectionsResponse* response) override;
  grpc::Status ReportState(grpc::ServerContext* context, const v1::ReportStateRequest* request,
                           v1::ReportStateResponse* response) override;
  grpc::Status Submit(grpc::ServerContext* context, const v1::SubmitRequest* request,
                      v1::SubmitResponse* response) override;

 private:
  explicit FakeCoordinator(const coordinator::testing::TestPki& pki) : pki_(pki) {}

  const coordinator::testing::TestPki& pki_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  std::vector<v1::Collection> collections_ ABSL_GUARDED_BY(mu_);
  int list_failures_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::StatusCode list_failure_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::UNAVAILABLE;
  int list_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<grpc::Status> submit_failures_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, v1::NodeState>> reports_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::SubmitRequest> submits_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> stored_ ABSL_GUARDED_BY(mu_);  // id -> serialized request
};

}  // namespace ringfence::node::testing

#endif  // RINGFENCE_NODE_TESTING_FAKE_COORDINATOR_H_
