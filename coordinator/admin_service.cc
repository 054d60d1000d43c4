#include "coordinator/admin_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "coordinator/collection_proto.h"
#include "coordinator/collections.h"

namespace ringfence::coordinator {
namespace {

namespace v1 = ::ringfence::v1;

// The collection id for the log: only a well-formed one, so a line cannot be forged.
std::string LogId(absl::string_view id) {
  return ParseCollectionId(id).ok() ? std::string(id) : "-";
}

}  // namespace

absl::Status CheckOperator(const crypto::PartyIdentity& peer) {
  if (peer.kind == crypto::PartyKind::kOperator) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "only operator certificates (urn:ringfence:operator:NAME) administer "
      "collections; this is ",
      peer.kind == crypto::PartyKind::kLocalAuthority ? "an LA" : "a recipient", " certificate"));
}

grpc::Status CollectionAdminServiceImpl::OpenCollection(grpc::ServerContext* context,
                                                        const v1::OpenCollectionRequest* request,
                                                        v1::Collection* response) {
  CallGate::Scope scope(gate_);
  crypto::PartyIdentity peer;
  std::string fields =
      absl::StrCat("year=", request->year(), " period=",
                   v1::Period_IsValid(request->period()) ? v1::Period_Name(request->period())
                                                         : absl::StrCat(request->period()),
                   " las=", request->expected_la_codes_size());
  if (absl::Status admitted = gate_->Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_->Finish("OpenCollection", peer.uri, admitted, fields);
  }
  absl::Status status = [&]() -> absl::Status {
    RINGFENCE_RETURN_IF_ERROR(CheckOperator(peer));
    const absl::Time now = gate_->Now();
    RINGFENCE_ASSIGN_OR_RETURN(CollectionRecord wanted,
                               CollectionFromOpenRequest(*request, peer.uri, now));
    absl::StrAppend(&fields, " collection=", wanted.collection_id);
    // A new collection's deadline must be in the future; re-opening an existing one with the
    // same parameters stays idempotent after it (the store compares them).
    absl::StatusOr<CollectionRecord> existing = store_->GetCollection(wanted.collection_id);
    if (!existing.ok()) {
      if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
      RINGFENCE_RETURN_IF_ERROR(ValidateDeadline(
          wanted.deadline,
          CollectionWindow{wanted.period, "", 0, wanted.period_start, wanted.period_end}, now));
    }
    RINGFENCE_ASSIGN_OR_RETURN(CollectionRecord opened, store_->OpenCollection(wanted));
    *response = CollectionToProto(opened);
    return absl::OkStatus();
  }();
  if (!status.ok()) response->Clear();
  return gate_->Finish("OpenCollection", peer.uri, status, fields);
}

grpc::Status CollectionAdminServiceImpl::CloseCollection(grpc::ServerContext* context,
                                                         const v1::CloseCollectionRequest* request,
                                                         v1::Collection* response) {
  CallGate::Scope scope(gate_);
  crypto::PartyIdentity peer;
  const std::string fields = absl::StrCat("collection=", LogId(request->collection_id()));
  if (absl::Status admitted = gate_->Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_->Finish("CloseCollection", peer.uri, admitted, fields);
  }
  absl::Status status = [&]() -> absl::Status {
    RINGFENCE_RETURN_IF_ERROR(CheckOperator(peer));
    RINGFENCE_RETURN_IF_ERROR(ParseCollectionId(request->collection_id()).status());
    RINGFENCE_ASSIGN_OR_RETURN(
        CollectionRecord closed,
        store_->CloseCollection(request->collection_id(), peer.uri, gate_->Now()));
    *response = CollectionToProto(closed);
    return absl::OkStatus();
  }();
  if (!status.ok()) response->Clear();
  return gate_->Finish("CloseCollection", peer.uri, status, fields);
}

grpc::Status CollectionAdminServiceImpl::GetCollectionStatus(
    grpc::ServerContext* context, const v1::GetCollectionStatusRequest* request,
    v1::CollectionStatus* response) {
  CallGate::Scope scope(gate_);
  crypto::PartyIdentity peer;
  std::string fields = absl::StrCat("collection=", LogId(request->collection_id()));
  if (absl::Status admitted = gate_->Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_->Finish("GetCollectionStatus", peer.uri, admitted, fields);
  }
  absl::Status status = [&]() -> absl::Status {
    RINGFENCE_RETURN_IF_ERROR(CheckOperator(peer));
    RINGFENCE_RETURN_IF_ERROR(ParseCollectionId(request->collection_id()).status());
    RINGFENCE_ASSIGN_OR_RETURN(CollectionProgressReport report,
                               store_->CollectionProgress(request->collection_id()));
    *response = CollectionStatusToProto(report, gate_->Now());
    return absl::OkStatus();
  }();
  if (status.ok()) {
    absl::StrAppend(&fields, " submitted=", response->submitted(), " refused=", response->refused(),
                    " late=", response->late(), " not_started=", response->not_started());
  } else {
    response->Clear();
  }
  return gate_->Finish("GetCollectionStatus", peer.uri, status, fields);
}

}  // namespace ringfence::coordinator
