#include "tests/testing/collections.h"

#include <chrono>
#include <memory>

#include "base/grpc_status.h"
#include "crypto/tls_credentials.h"
#include "grpcpp/create_channel.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::testing {
namespace {

absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> Stub(
    const CollectionAdminTarget& target) {
  const std::string prefix = target.pki_dir + "/operators/" + target.operator_name;
  absl::StatusOr<crypto::TlsMaterial> material =
      crypto::LoadTlsMaterial(target.pki_dir + "/ca.pem", prefix + ".pem", prefix + ".key");
  if (!material.ok()) return material.status();
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target.address, crypto::MakeChannelCredentials(*material));
  return v1::CollectionAdmin::NewStub(channel);
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

}  // namespace

absl::StatusOr<v1::Collection> OpenCollection(const CollectionAdminTarget& target,
                                              const v1::OpenCollectionRequest& request) {
  absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> stub = Stub(target);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::Collection collection;
  const grpc::Status s = (*stub)->OpenCollection(&context, request, &collection);
  if (!s.ok()) return base::FromGrpcStatus(s);
  return collection;
}

absl::StatusOr<v1::Collection> OpenAnnualCollection(const CollectionAdminTarget& target, int year,
                                                    const std::vector<std::string>& las,
                                                    absl::Duration deadline_in) {
  v1::OpenCollectionRequest request;
  request.set_year(year);
  request.set_period(v1::ANNUAL);
  request.set_deadline_unix_seconds(absl::ToUnixSeconds(absl::Now() + deadline_in));
  for (const std::string& la : las) request.add_expected_la_codes(la);
  return OpenCollection(target, request);
}

absl::StatusOr<v1::Collection> CloseCollection(const CollectionAdminTarget& target,
                                               const std::string& collection_id) {
  absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> stub = Stub(target);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::CloseCollectionRequest request;
  request.set_collection_id(collection_id);
  v1::Collection collection;
  const grpc::Status s = (*stub)->CloseCollection(&context, request, &collection);
  if (!s.ok()) return base::FromGrpcStatus(s);
  return collection;
}

absl::StatusOr<v1::CollectionStatus> GetCollectionStatus(const CollectionAdminTarget& target,
                                                         const std::string& collection_id) {
  absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> stub = Stub(target);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetCollectionStatusRequest request;
  request.set_collection_id(collection_id);
  v1::CollectionStatus status;
  const grpc::Status s = (*stub)->GetCollectionStatus(&context, request, &status);
  if (!s.ok()) return base::FromGrpcStatus(s);
  return status;
}

}  // namespace ringfence::testing
