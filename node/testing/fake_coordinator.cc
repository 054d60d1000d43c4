#include "node/testing/fake_coordinator.h"

#include "absl/strings/str_cat.h"
#include "crypto/identity.h"
#include "crypto/tls_credentials.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server_builder.h"

namespace ringfence::node::testing {

absl::StatusOr<std::unique_ptr<FakeCoordinator>> FakeCoordinator::Start(
    const coordinator::testing::TestPki& pki) {
  std::unique_ptr<FakeCoordinator> fake(new FakeCoordinator(pki));
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", crypto::MakeServerCredentials(pki.server()),
                           &fake->port_);
  builder.RegisterService(fake.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr || fake->port_ == 0) {
    return absl::InternalError("fake coordinator: cannot listen on 127.0.0.1");
  }
  return fake;
}

FakeCoordinator::~FakeCoordinator() {
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> FakeCoordinator::ChannelFor(
    absl::string_view la_code) const {
  absl::StatusOr<crypto::TlsMaterial> client = pki_.Client(crypto::LaUri(la_code));
  if (!client.ok()) return client.status();
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                             crypto::MakeChannelCredentials(*client));
}

void FakeCoordinator::AddCollection(int year, const std::string& window) {
  v1::Collection c;
  c.set_collection_id(absl::StrCat(year, "-", window));
  c.set_year(year);
  c.set_period(window == "annual" ? v1::ANNUAL : window[0] == 'h' ? v1::HALF_YEAR : v1::QUARTERLY);
  c.set_state(v1::Collection::OPEN);
  absl::MutexLock lock(&mu_);
  collections_.push_back(c);
}

void FakeCoordinator::FailListCalls(int n, grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  list_failures_ = n;
  list_failure_code_ = code;
}

void FakeCoordinator::FailNextSubmit(grpc::StatusCode code, const std::string& message) {
  absl::MutexLock lock(&mu_);
  submit_failures_.push_back(grpc::Status(code, message));
}

std::vector<std::pair<std::string, v1::NodeState>> FakeCoordinator::reports() const {
  absl::MutexLock lock(&mu_);
  return reports_;
}

std::vector<v1::SubmitRequest> FakeCoordinator::submits() const {
  absl::MutexLock lock(&mu_);
  return submits_;
}

int FakeCoordinator::stored() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(stored_.size());
}

int FakeCoordinator::list_calls() const {
  absl::MutexLock lock(&mu_);
  return list_calls_;
}

grpc::Status FakeCoordinator::ListCollections(grpc::ServerContext*,
                                              const v1::ListCollectionsRequest*,
                                              v1::ListCollectionsResponse* response) {
  absl::MutexLock lock(&mu_);
  ++list_calls_;
  if (list_failures_ > 0) {
    --list_failures_;
    return grpc::Status(list_failure_code_, "scripted failure");
  }
  for (const v1::Collection& c : collections_) *response->add_collections() = c;
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::ReportState(grpc::ServerContext*,
                                          const v1::ReportStateRequest* request,
                                          v1::ReportStateResponse*) {
  absl::MutexLock lock(&mu_);
  reports_.emplace_back(request->collection_id(), request->state());
  return grpc::Status::OK;
}

grpc::Status FakeCoordinator::Submit(grpc::ServerContext*, const v1::SubmitRequest* request,
                                     v1::SubmitResponse* response) {
  absl::MutexLock lock(&mu_);
  submits_.push_back(*request);
  if (!submit_failures_.empty()) {
    grpc::Status s = submit_failures_.front();
    submit_failures_.pop_front();
    return s;
  }
  std::string bytes;
  request->SerializeToString(&bytes);
  const std::string id = request->collection_id();
  auto it = stored_.find(id);
  if (it != stored_.end() && it->second != bytes) {
    return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "a different submission is stored");
  }
  response->set_already_stored(it != stored_.end());
  stored_[id] = bytes;
  response->set_receipt(absl::StrCat("receipt-", id));
  response->set_collection_id(id);
  return grpc::Status::OK;
}

}  // namespace ringfence::node::testing
