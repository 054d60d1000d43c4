// The operator's administration of collections (proto/coordinator_service.proto, service
// CollectionAdmin): a thin adapter over coordinator/store.h and coordinator/collections.h,
// served on the coordinator's mTLS port beside the Coordinator service and sharing its
// CallGate (identity, revocation, drain, rate limit, one log line per call).
//
// Operator certificates only (urn:ringfence:operator:<name>): any other certificate is refused
// PERMISSION_DENIED before the request is looked at. The operator's URI is recorded as
// opened_by / closed_by and logged with every call.
//
//   OpenCollection       INVALID_ARGUMENT for a year outside the catalogue's years, a period
//                        whose start and end are not one of the period's windows of the
//                        collection year (the message lists them), a deadline not after the
//                        window's end or in the past, an unknown, repeated or missing LA code.
//                        Idempotent: the same parameters again return the collection unchanged
//                        (also after its deadline or close); different ones ALREADY_EXISTS.
//   CloseCollection      From then on the collection is final (coordinator/store.h). Closing a
//                        closed one returns it unchanged. NOT_FOUND if unknown, INVALID_ARGUMENT
//                        for a malformed id.
//   GetCollectionStatus  Per expected LA: NOT_STARTED / SUBMITTED / REFUSED / LATE
//                        (coordinator/collection_proto.h CollectionStatusToProto), counts and
//                        the coordinator's clock. NOT_FOUND if unknown.
// Storage trouble is UNAVAILABLE (retry) or INTERNAL, with details in the log only.
//
// Privacy: nothing here returns or logs a cell value; a status shows receipts, times, the
// coordinator's own refusal reasons and the nodes' state codes.
//
// Thread-safe: gRPC calls the handlers concurrently; the store and the gate synchronise
// themselves.
#ifndef RINGFENCE_COORDINATOR_ADMIN_SERVICE_H_
#define RINGFENCE_COORDINATOR_ADMIN_SERVICE_H_

#include "absl/status/status.h"
#include "coordinator/call_gate.h"
#include "coordinator/store.h"
#include "crypto/identity.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::coordinator {

class CollectionAdminServiceImpl final : public ringfence::v1::CollectionAdmin::Service {
 public:
  // Neither `store` nor `gate` (CoordinatorServiceImpl::gate()) is owned; both must outlive
  // the service.
  CollectionAdminServiceImpl(SubmissionStore* store, CallGate* gate) : store_(store), gate_(gate) {}

  grpc::Status OpenCollection(grpc::ServerContext* context,
                              const ringfence::v1::OpenCollectionRequest* request,
                              ringfence::v1::Collection* response) override;
  grpc::Status CloseCollection(grpc::ServerContext* context,
                               const ringfence::v1::CloseCollectionRequest* request,
                               ringfence::v1::Collection* response) override;
  grpc::Status GetCollectionStatus(grpc::ServerContext* context,
                                   const ringfence::v1::GetCollectionStatusRequest* request,
                                   ringfence::v1::CollectionStatus* response) override;

 private:
  SubmissionStore* const store_;
  CallGate* const gate_;
};

// OK for an operator certificate; PERMISSION_DENIED naming the kind otherwise.
absl::Status CheckOperator(const crypto::PartyIdentity& peer);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_ADMIN_SERVICE_H_
