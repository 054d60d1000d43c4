// The proto edge of collections: CollectionAdmin requests to validated store records, and
// store records to Collection / CollectionStatus messages (proto/coordinator_service.proto).
//
// Errors: INVALID_ARGUMENT naming the field and the rule (coordinator/collections.h lists the
// valid windows and LAs). Thread-safe: free functions over values.
#ifndef RINGFENCE_COORDINATOR_COLLECTION_PROTO_H_
#define RINGFENCE_COORDINATOR_COLLECTION_PROTO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coordinator/store.h"
#include "proto/coordinator_service.pb.h"

namespace ringfence::coordinator {

// The collection an OpenCollectionRequest asks for, opened by `operator_uri` at `now`: the
// year inside the catalogue's years, the period's window (empty dates allowed for ANNUAL), a
// deadline after the end of the window, and a non-empty list of known, unique LA codes
// (sorted in the result). The deadline is NOT checked against `now` here: re-opening an
// existing collection with identical parameters stays idempotent after its deadline, so the
// caller checks a new collection's deadline with ValidateDeadline.
absl::StatusOr<CollectionRecord> CollectionFromOpenRequest(
    const ringfence::v1::OpenCollectionRequest& request, absl::string_view operator_uri,
    absl::Time now);

ringfence::v1::Collection CollectionToProto(const CollectionRecord& collection);

// The per-LA status of a collection at `now`. An LA is SUBMITTED when a submission is stored
// (late says whether after the deadline); otherwise REFUSED when its latest attempt was
// refused; otherwise LATE once `now` is after the deadline; otherwise NOT_STARTED. The node's
// latest report is shown whatever the state.
ringfence::v1::CollectionStatus CollectionStatusToProto(const CollectionProgressReport& report,
                                                        absl::Time now);

// The collection a Submit or Release names: `collection_id`, or "<year>-annual" when empty.
// INVALID_ARGUMENT when the id is malformed or its year is not `year`.
absl::StatusOr<std::string> ResolveCollectionId(absl::string_view collection_id, int year);

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_COLLECTION_PROTO_H_
