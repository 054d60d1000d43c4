#include "tests/testing/collections.h"

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "crypto/tls_credentials.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::testing {
namespace {

absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> Stub(const OperatorClient& op) {
  const std::string prefix = absl::StrCat(op.pki_dir, "/operators/", op.name);
  absl::StatusOr<crypto::TlsMaterial> tls =
      crypto::LoadTlsMaterial(op.pki_dir + "/ca.pem", prefix + ".pem", prefix + ".key");
  if (!tls.ok()) return tls.status();
  return v1::CollectionAdmin::NewStub(
      grpc::CreateChannel(op.address, crypto::MakeChannelCredentials(*tls)));
}

void SetDeadline(const OperatorClient& op, grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(op.timeout)));
}

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

}  // namespace

absl::StatusOr<v1::Collection> OpenAnnualCollection(const OperatorClient& op, int year,
                                                    const std::vector<std::string>& las) {
  absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> stub = Stub(op);
  if (!stub.ok()) return stub.status();
  v1::OpenCollectionRequest request;
  request.set_year(year);
  request.set_period(v1::ANNUAL);
  request.set_deadline_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  for (const std::string& la : las) request.add_expected_la_codes(la);
  grpc::ClientContext context;
  SetDeadline(op, context);
  v1::Collection collection;
  absl::Status s = FromGrpc((*stub)->OpenCollection(&context, request, &collection),
                            absl::StrCat("OpenCollection ", year, "-annual"));
  if (!s.ok()) return s;
  return collection;
}

absl::StatusOr<v1::Collection> CloseCollection(const OperatorClient& op,
                                               const std::string& collection_id) {
  absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> stub = Stub(op);
  if (!stub.ok()) return stub.status();
  v1::CloseCollectionRequest request;
  request.set_collection_id(collection_id);
  grpc::ClientContext context;
  SetDeadline(op, context);
  v1::Collection collection;
  absl::Status s = FromGrpc((*stub)->CloseCollection(&context, request, &collection),
                            absl::StrCat("CloseCollection ", collection_id));
  if (!s.ok()) return s;
  return collection;
}

absl::StatusOr<v1::CollectionStatus> GetCollectionStatus(const OperatorClient& op,
                                                         const std::string& collection_id) {
  absl::StatusOr<std::unique_ptr<v1::CollectionAdmin::Stub>> stub = Stub(op);
  if (!stub.ok()) return stub.status();
  v1::GetCollectionStatusRequest request;
  request.set_collection_id(collection_id);
  grpc::ClientContext context;
  SetDeadline(op, context);
  v1::CollectionStatus status;
  absl::Status s = FromGrpc((*stub)->GetCollectionStatus(&context, request, &status),
                            absl::StrCat("GetCollectionStatus ", collection_id));
  if (!s.ok()) return s;
  return status;
}

}  // namespace ringfence::testing
