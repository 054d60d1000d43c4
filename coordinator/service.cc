#include "coordinator/service.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/grpc_status.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "coordinator/collection_proto.h"
#include "coordinator/collections.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "crypto/tls_credentials.h"
#include "policy/policy.h"

namespace ringfence::coordinator {
namespace {

namespace v1 = ::ringfence::v1;

// Text from a message (e.g. a claimed la_code) quoted safely into an error or
// log line: escaped so it cannot forge a log line, and bounded.
std::string Quote(absl::string_view text) {
  constexpr size_t kMax = 40;
  std::string out = absl::CEscape(text.substr(0, kMax));
  if (text.size() > kMax) absl::StrAppend(&out, "...");
  return absl::StrCat("'", out, "'");
}

const char* KindName(crypto::PartyKind kind) {
  switch (kind) {
    case crypto::PartyKind::kLocalAuthority:
      return "LA";
    case crypto::PartyKind::kRecipient:
      return "recipient";
    case crypto::PartyKind::kOperator:
      return "operator";
  }
  return "unknown";
}

// The class a party reads releases as: its certificate's recipient class, or
// la_own for an LA; "-" for an operator, which has none.
std::string ClassOf(const crypto::PartyIdentity& peer) {
  switch (peer.kind) {
    case crypto::PartyKind::kLocalAuthority:
      return policy::kLaOwnClass;
    case crypto::PartyKind::kRecipient:
      return peer.recipient_class;
    case crypto::PartyKind::kOperator:
      return "-";
  }
  return "-";
}

const char* LevelLogName(GeographicLevel level) {
  switch (level) {
    case GeographicLevel::kNational:
      return "national";
    case GeographicLevel::kRegional:
      return "regional";
    case GeographicLevel::kLocalAuthority:
      return "la";
  }
  return "unknown";
}

// The collection id for the log: the request's own text only when it is a
// well-formed id (so a log line cannot be forged or bloated), "-" otherwise.
std::string LogCollection(absl::string_view requested, int year) {
  if (requested.empty()) return AnnualCollectionId(year);
  return ParseCollectionId(requested).ok() ? std::string(requested) : "-";
}

std::string SubmitFields(int year, int cells, absl::string_view collection,
                         absl::string_view extra) {
  std::string out = absl::StrCat("year=", year, " cells=", cells, " collection=", collection);
  if (!extra.empty()) absl::StrAppend(&out, " ", extra);
  return out;
}

// The reason recorded for a refusal by SubmissionFromProto: the coordinator's
// words, by status code, never the message (which may quote cell values).
const char* ValidationReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kFailedPrecondition:
      return "policy digest differs from the coordinator's policy";
    case absl::StatusCode::kInvalidArgument:
      return "grid does not match the catalogue or the policy's sendable cells and rules "
             "(details were returned to the node only)";
    default:
      return "the submission could not be validated";
  }
}

// The reason recorded for a refusal by the store's Insert.
const char* StoreReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kAlreadyExists:
      return "a different grid is already stored for this LA; a round is released once";
    case absl::StatusCode::kFailedPrecondition:
      return "the collection is closed; the submission was not stored";
    case absl::StatusCode::kPermissionDenied:
      return "the collection does not expect this LA";
    case absl::StatusCode::kNotFound:
      return "no such collection";
    case absl::StatusCode::kInvalidArgument:
      return "the request's year is not the collection's year";
    case absl::StatusCode::kUnavailable:
      return "coordinator storage was unavailable; retry";
    default:
      return "internal error in the coordinator";
  }
}

}  // namespace

CoordinatorServiceImpl::CoordinatorServiceImpl(SubmissionStore* store, policy::Policy policy,
                                               LogSink log, Clock clock,
                                               std::unique_ptr<RateLimiter> limiter)
    : store_(store),
      policy_(std::move(policy)),
      gate_(std::move(log), std::move(clock), std::move(limiter)) {}

grpc::Status CoordinatorServiceImpl::Submit(grpc::ServerContext* context,
                                            const v1::SubmitRequest* request,
                                            v1::SubmitResponse* response) {
  CallGate::Scope scope(&gate_);
  crypto::PartyIdentity peer;
  const int year = request->year();
  const std::string logged_collection = LogCollection(request->collection_id(), year);
  if (absl::Status admitted = gate_.Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_.Finish("Submit", peer.uri, admitted, SubmitFields(year, 0, logged_collection, ""));
  }
  std::string reason;
  absl::StatusOr<std::string> collection_id =
      ResolveCollectionId(request->collection_id(), year);
  absl::StatusOr<v1::SubmitResponse> result =
      collection_id.ok() ? DoSubmit(peer, *request, *collection_id, &reason)
                         : absl::StatusOr<v1::SubmitResponse>(collection_id.status());
  if (!result.ok()) {
    std::string extra;
    // Recorded for the operator's status view when the collection exists and
    // expects this LA (the store checks both in the same statement).
    if (collection_id.ok() && peer.kind == crypto::PartyKind::kLocalAuthority &&
        !reason.empty()) {
      absl::StatusOr<bool> recorded =
          store_->RecordRefusal(*collection_id, peer.la_code,
                                absl::StatusCodeToString(result.status().code()), reason,
                                gate_.Now());
      if (!recorded.ok()) {
        extra = absl::StrCat("refusal_not_recorded=\"", absl::CEscape(recorded.status().message()),
                             "\"");
      }
    }
    return gate_.Finish("Submit", peer.uri, result.status(),
                        SubmitFields(year, 0, logged_collection, extra));
  }
  *response = *std::move(result);
  return gate_.Finish(
      "Submit", peer.uri, absl::OkStatus(),
      SubmitFields(year, request->cells_size(), response->collection_id(),
                   absl::StrCat("already_stored=", response->already_stored() ? "true" : "false",
                                " late=", response->late() ? "true" : "false",
                                " receipt=", response->receipt())));
}

absl::StatusOr<v1::SubmitResponse> CoordinatorServiceImpl::DoSubmit(
    const crypto::PartyIdentity& peer, const v1::SubmitRequest& request,
    const std::string& collection_id, std::string* reason) {
  if (peer.kind != crypto::PartyKind::kLocalAuthority) {
    return absl::PermissionDeniedError(
        absl::StrCat(KindName(peer.kind), " certificates cannot submit"));
  }
  if (request.la_code() != peer.la_code) {
    *reason = "the request's la_code names another LA than the certificate";
    return absl::PermissionDeniedError(
        absl::StrCat("the certificate is for LA ", peer.la_code,
                     " but the request names ", Quote(request.la_code())));
  }
  // The collection first, so that a node sending to the wrong or a closed
  // collection learns that rather than a validation detail.
  absl::StatusOr<CollectionRecord> collection = store_->GetCollection(collection_id);
  if (!collection.ok()) {
    *reason = StoreReason(collection.status().code());
    return collection.status();
  }
  if (!std::binary_search(collection->expected_la_codes.begin(),
                          collection->expected_la_codes.end(), peer.la_code)) {
    return absl::PermissionDeniedError(
        absl::StrCat("collection ", collection_id, " does not expect LA ", peer.la_code,
                     "; the operator lists the LAs a collection expects when opening it"));
  }
  // The receipt covers exactly what is stored, in a form the node can
  // recompute.
  RINGFENCE_ASSIGN_OR_RETURN(std::string bytes, SerializeDeterministically(request));
  // A closed collection accepts nothing new, so its grid is not validated:
  // Insert answers an identical resend of a stored (hence validated) grid as
  // already stored, and refuses anything else as closed.
  if (collection->state == CollectionState::kOpen) {
    absl::StatusOr<Submission> submission = SubmissionFromProto(request, policy_);
    if (!submission.ok()) {
      *reason = ValidationReason(submission.status().code());
      return submission.status();
    }
  }
  absl::StatusOr<InsertResult> inserted =
      store_->Insert(collection_id, peer.la_code, request.year(), request.catalogue_version(),
                     bytes, gate_.Now());
  if (!inserted.ok()) {
    *reason = StoreReason(inserted.status().code());
    return inserted.status();
  }
  v1::SubmitResponse response;
  response.set_receipt(inserted->receipt);
  response.set_already_stored(inserted->already_stored);
  response.set_collection_id(collection_id);
  response.set_late(inserted->late);
  return response;
}

grpc::Status CoordinatorServiceImpl::Release(grpc::ServerContext* context,
                                             const v1::ReleaseRequest* request,
                                             v1::ReleaseResponse* response) {
  CallGate::Scope scope(&gate_);
  crypto::PartyIdentity peer;
  const int year = request->year();
  const std::string collection = LogCollection(request->collection_id(), year);
  if (absl::Status admitted = gate_.Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_.Finish("Release", peer.uri, admitted,
                        absl::StrCat("year=", year, " cells=0 collection=", collection,
                                     " class=-"));
  }
  // What was asked for, for the log: the levels (or "all").
  std::string asked;
  for (int level : request->levels()) {
    absl::StatusOr<GeographicLevel> l = LevelFromProto(level);
    absl::StrAppend(&asked, asked.empty() ? "" : ",",
                    l.ok() ? LevelLogName(*l) : absl::StrCat(level));
  }
  if (asked.empty()) asked = "all";
  const std::string who = absl::StrCat("collection=", collection, " class=", ClassOf(peer),
                                       " levels=", asked);
  absl::StatusOr<v1::ReleaseResponse> result = DoRelease(peer, *request);
  if (!result.ok()) {
    return gate_.Finish("Release", peer.uri, result.status(),
                        absl::StrCat("year=", year, " cells=0 ", who));
  }
  *response = *std::move(result);
  int national = 0, regional = 0, la = 0;
  for (const v1::ReleasedCell& cell : response->cells()) {
    national += cell.level() == v1::NATIONAL;
    regional += cell.level() == v1::REGIONAL;
    la += cell.level() == v1::LOCAL_AUTHORITY;
  }
  return gate_.Finish("Release", peer.uri, absl::OkStatus(),
                      absl::StrCat("year=", year, " cells=", response->cells_size(), " ", who,
                                   " national=", national, " regional=", regional, " la=", la,
                                   " las=", response->la_codes_size()));
}

absl::StatusOr<v1::ReleaseResponse> CoordinatorServiceImpl::DoRelease(
    const crypto::PartyIdentity& peer, const v1::ReleaseRequest& request) {
  ReleaseAudience audience;
  switch (peer.kind) {
    case crypto::PartyKind::kOperator:
      return absl::PermissionDeniedError(
          "operator certificates cannot fetch releases: an operator runs the coordinator and "
          "receives no cells");
    case crypto::PartyKind::kLocalAuthority:
      audience.recipient_class = policy::kLaOwnClass;
      audience.own_la_code = peer.la_code;
      break;
    case crypto::PartyKind::kRecipient:
      // la_own is the class of the LAs themselves; a recipient certificate naming it would
      // otherwise be an LA without an LA.
      if (peer.recipient_class == policy::kLaOwnClass) {
        return absl::PermissionDeniedError(absl::StrCat(
            "the class ", policy::kLaOwnClass,
            " belongs to LA certificates (urn:ringfence:la:CODE); a recipient certificate "
            "cannot claim it"));
      }
      audience.recipient_class = peer.recipient_class;
      break;
  }
  // Before anything else, so that a class the policy does not know learns nothing, not even
  // whether a year has submissions.
  RINGFENCE_RETURN_IF_ERROR(CheckAudience(policy_, audience));
  for (int level : request.levels()) {
    RINGFENCE_ASSIGN_OR_RETURN(GeographicLevel l, LevelFromProto(level));
    audience.levels.push_back(l);
  }
  const int year = request.year();
  if (year < catalogue::kFirstYear || year > catalogue::kLastYear) {
    return absl::InvalidArgumentError(
        absl::StrCat("year ", year, " is outside ", catalogue::kFirstYear, "..",
                     catalogue::kLastYear));
  }
  RINGFENCE_ASSIGN_OR_RETURN(std::string collection_id,
                             ResolveCollectionId(request.collection_id(), year));
  RINGFENCE_ASSIGN_OR_RETURN(CollectionRecord collection, store_->GetCollection(collection_id));
  const bool own_only = collection.state == CollectionState::kOpen;
  if (own_only) {
    // While open, national and regional sums would change as LAs arrive, and
    // their differences would give each newcomer's noisy value unrounded. An
    // LA may still read its own LA rows, from its own submission only (so it
    // does not even learn who else has submitted).
    if (peer.kind != crypto::PartyKind::kLocalAuthority) {
      return absl::FailedPreconditionError(absl::StrCat(
          "collection ", collection_id, " is still open (deadline ",
          FormatUtc(collection.deadline),
          "); it is released once the operator closes it"));
    }
    for (GeographicLevel l : audience.levels) {
      if (l != GeographicLevel::kLocalAuthority) {
        return absl::FailedPreconditionError(absl::StrCat(
            "collection ", collection_id,
            " is still open; until the operator closes it an LA may read only its own "
            "LOCAL_AUTHORITY rows"));
      }
    }
    audience.levels = {GeographicLevel::kLocalAuthority};
  }
  absl::StatusOr<std::vector<StoredSubmission>> rows = store_->LoadCollection(collection_id);
  if (!rows.ok()) return rows.status();
  if (own_only) {
    rows->erase(std::remove_if(rows->begin(), rows->end(),
                               [&](const StoredSubmission& row) {
                                 return row.la_code != peer.la_code;
                               }),
                rows->end());
  }
  if (rows->empty()) {
    return absl::NotFoundError(
        own_only ? absl::StrCat(peer.la_code, " has not submitted to ", collection_id)
                 : absl::StrCat("nothing has been submitted to ", collection_id));
  }
  std::vector<Submission> submissions;
  submissions.reserve(rows->size());
  for (const StoredSubmission& row : *rows) {
    v1::SubmitRequest request_proto;
    if (!request_proto.ParseFromString(row.request_bytes)) {
      return absl::InternalError(absl::StrCat("stored submission of ", row.la_code, " to ",
                                              collection_id, " does not parse"));
    }
    absl::StatusOr<Submission> s = SubmissionFromProto(request_proto, policy_);
    if (!s.ok() && s.status().code() == absl::StatusCode::kFailedPrecondition) {
      // Stored under another policy (the coordinator was restarted with a different file):
      // its cells were chosen and post-processed by other rules, so nothing is released.
      // The message names digests and files only.
      return absl::FailedPreconditionError(
          absl::StrCat("cannot release ", collection_id, ": ", s.status().message()));
    }
    // Validation messages can quote cell values, so only the fact is reported.
    if (!s.ok() || s->la_code != row.la_code || s->year != row.year) {
      return absl::InternalError(absl::StrCat("stored submission of ", row.la_code, " to ",
                                              collection_id,
                                              " does not validate against catalogue version ",
                                              catalogue::kCatalogueVersion, " and policy '",
                                              policy_.name, "'"));
    }
    submissions.push_back(*std::move(s));
  }
  absl::StatusOr<ReleaseTable> table = Combine(year, submissions, policy_);
  if (!table.ok()) {
    // Everything was validated above, so only INTERNAL (variance or sum
    // overflow, whose messages carry no cell values) is expected; other
    // messages are not passed on.
    return absl::InternalError(
        absl::StrCat("cannot combine ", collection_id, ": ",
                     table.status().code() == absl::StatusCode::kInternal
                         ? std::string(table.status().message())
                         : absl::StatusCodeToString(table.status().code())));
  }
  RINGFENCE_ASSIGN_OR_RETURN(ReleaseTable filtered,
                             FilterForRecipient(*std::move(table), policy_, audience));
  v1::ReleaseResponse response = ReleaseTableToProto(filtered);
  response.set_collection_id(collection_id);
  return response;
}

grpc::Status CoordinatorServiceImpl::ListCollections(grpc::ServerContext* context,
                                                     const v1::ListCollectionsRequest* /*request*/,
                                                     v1::ListCollectionsResponse* response) {
  CallGate::Scope scope(&gate_);
  crypto::PartyIdentity peer;
  if (absl::Status admitted = gate_.Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_.Finish("ListCollections", peer.uri, admitted, "collections=0");
  }
  absl::Status status = [&]() -> absl::Status {
    if (peer.kind == crypto::PartyKind::kRecipient) {
      return absl::PermissionDeniedError(
          "recipient certificates cannot list collections; LA and operator certificates can");
    }
    RINGFENCE_ASSIGN_OR_RETURN(std::vector<CollectionRecord> all, store_->ListCollections());
    for (const CollectionRecord& c : all) {
      if (peer.kind == crypto::PartyKind::kLocalAuthority &&
          (c.state != CollectionState::kOpen ||
           !std::binary_search(c.expected_la_codes.begin(), c.expected_la_codes.end(),
                               peer.la_code))) {
        continue;
      }
      *response->add_collections() = CollectionToProto(c);
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) response->Clear();
  return gate_.Finish("ListCollections", peer.uri, status,
                      absl::StrCat("collections=", response->collections_size()));
}

grpc::Status CoordinatorServiceImpl::ReportState(grpc::ServerContext* context,
                                                 const v1::ReportStateRequest* request,
                                                 v1::ReportStateResponse* /*response*/) {
  CallGate::Scope scope(&gate_);
  crypto::PartyIdentity peer;
  const std::string fields =
      absl::StrCat("collection=",
                   ParseCollectionId(request->collection_id()).ok() ? request->collection_id()
                                                                    : std::string("-"),
                   " state=", v1::NodeState_IsValid(request->state())
                                  ? v1::NodeState_Name(request->state())
                                  : absl::StrCat(request->state()));
  if (absl::Status admitted = gate_.Admit(*context, &scope, &peer); !admitted.ok()) {
    return gate_.Finish("ReportState", peer.uri, admitted, fields);
  }
  absl::Status status = [&]() -> absl::Status {
    if (peer.kind != crypto::PartyKind::kLocalAuthority) {
      return absl::PermissionDeniedError(
          absl::StrCat(KindName(peer.kind), " certificates cannot report a node's state"));
    }
    if (request->state() == v1::NODE_STATE_UNSPECIFIED ||
        !v1::NodeState_IsValid(request->state())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "state ", request->state(), " is not a node state (COMPUTING .. RETRYING)"));
    }
    RINGFENCE_ASSIGN_OR_RETURN(ParsedCollectionId parsed,
                               ParseCollectionId(request->collection_id()));
    (void)parsed;
    return store_->RecordNodeState(request->collection_id(), peer.la_code, request->state(),
                                   gate_.Now());
  }();
  return gate_.Finish("ReportState", peer.uri, status, fields);
}

}  // namespace ringfence::coordinator
