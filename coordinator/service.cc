#include "coordinator/service.h"

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "base/grpc_status.h"
#include "crypto/tls_credentials.h"

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

void WriteToStderr(absl::string_view line) {
  std::string out = absl::StrCat(line, "\n");
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

CoordinatorServiceImpl::CoordinatorServiceImpl(SubmissionStore* store,
                                               LogSink log, Clock clock)
    : store_(store),
      clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })),
      log_(log ? std::move(log) : LogSink(WriteToStderr)) {}

grpc::Status CoordinatorServiceImpl::Finish(absl::string_view rpc,
                                            absl::string_view peer_uri,
                                            const absl::Status& status,
                                            int year, int cells,
                                            absl::string_view extra) {
  // What the peer sees and what the log sees differ on purpose:
  //  * INVALID_ARGUMENT messages may quote the submitter's own cell values:
  //  fine for the
  //    submitter, never for the log.
  //  * Storage and internal errors name files and SQLite's messages: fine for
  //  the operator's
  //    log, not for a peer.
  std::string log_reason;
  absl::Status to_peer = status;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      break;
    case absl::StatusCode::kInvalidArgument:
      log_reason = "invalid request (details returned to the caller only)";
      break;
    case absl::StatusCode::kUnavailable:
      log_reason = std::string(status.message());
      to_peer = absl::UnavailableError(
          "coordinator storage is unavailable; retry later");
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kFailedPrecondition:
      log_reason = std::string(status.message());
      to_peer = absl::Status(
          status.code(),
          "internal error in the coordinator; the operator has the details");
      break;
    default:
      log_reason = std::string(status.message());
      break;
  }
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_(), absl::UTCTimeZone()),
      " rpc=", rpc, " peer=", peer_uri.empty() ? "-" : absl::CEscape(peer_uri),
      " outcome=", absl::StatusCodeToString(status.code()), " year=", year,
      " cells=", cells);
  if (!extra.empty()) absl::StrAppend(&line, " ", extra);
  if (!log_reason.empty())
    absl::StrAppend(&line, " reason=\"", absl::CEscape(log_reason), "\"");
  {
    absl::MutexLock lock(&log_mu_);
    log_(line);
  }
  return base::ToGrpcStatus(to_peer);
}

grpc::Status CoordinatorServiceImpl::Submit(grpc::ServerContext* context,
                                            const v1::SubmitRequest* request,
                                            v1::SubmitResponse* response) {
  absl::StatusOr<crypto::PartyIdentity> peer = crypto::PeerIdentity(*context);
  if (!peer.ok())
    return Finish("Submit", "", peer.status(), request->year(), 0, "");
  absl::StatusOr<v1::SubmitResponse> result = DoSubmit(*peer, *request);
  if (!result.ok()) {
    return Finish("Submit", peer->uri, result.status(), request->year(), 0, "");
  }
  *response = *std::move(result);
  return Finish("Submit", peer->uri, absl::OkStatus(), request->year(),
                request->cells_size(),
                absl::StrCat("already_stored=",
                             response->already_stored() ? "true" : "false",
                             " receipt=", response->receipt()));
}

absl::StatusOr<v1::SubmitResponse> CoordinatorServiceImpl::DoSubmit(
    const crypto::PartyIdentity& peer, const v1::SubmitRequest& request) {
  if (peer.kind != crypto::PartyKind::kLocalAuthority) {
    return absl::PermissionDeniedError(
        absl::StrCat(KindName(peer.kind), " certificates cannot submit"));
  }
  if (request.la_code() != peer.la_code) {
    return absl::PermissionDeniedError(
        absl::StrCat("the certificate is for LA ", peer.la_code,
                     " but the request names ", Quote(request.la_code())));
  }
  RINGFENCE_ASSIGN_OR_RETURN(Submission submission,
                             SubmissionFromProto(request));
  // The receipt covers exactly what is stored, in a form the node can
  // recompute.
  RINGFENCE_ASSIGN_OR_RETURN(std::string bytes,
                             SerializeDeterministically(request));
  RINGFENCE_ASSIGN_OR_RETURN(
      InsertResult stored,
      store_->Insert(submission.la_code, submission.year,
                     submission.catalogue_version, bytes, clock_()));
  v1::SubmitResponse response;
  response.set_receipt(stored.receipt);
  response.set_already_stored(stored.already_stored);
  return response;
}

grpc::Status CoordinatorServiceImpl::Release(grpc::ServerContext* context,
                                             const v1::ReleaseRequest* request,
                                             v1::ReleaseResponse* response) {
  absl::StatusOr<crypto::PartyIdentity> peer = crypto::PeerIdentity(*context);
  if (!peer.ok())
    return Finish("Release", "", peer.status(), request->year(), 0, "");
  absl::StatusOr<v1::ReleaseResponse> result = DoRelease(*peer, *request);
  if (!result.ok()) {
    return Finish("Release", peer->uri, result.status(), request->year(), 0,
                  "");
  }
  *response = *std::move(result);
  return Finish("Release", peer->uri, absl::OkStatus(), request->year(),
                response->cells_size(),
                absl::StrCat("las=", response->la_codes_size()));
}

absl::StatusOr<v1::ReleaseResponse> CoordinatorServiceImpl::DoRelease(
    const crypto::PartyIdentity& peer, const v1::ReleaseRequest& request) {
  if (peer.kind != crypto::PartyKind::kRecipient) {
    return absl::PermissionDeniedError(absl::StrCat(
        KindName(peer.kind), " certificates cannot fetch releases"));
  }
  const int year = request.year();
  if (year < catalogue::kFirstYear || year > catalogue::kLastYear) {
    return absl::InvalidArgumentError(
        absl::StrCat("year ", year, " is outside ", catalogue::kFirstYear, "..",
                     catalogue::kLastYear));
  }
  RINGFENCE_ASSIGN_OR_RETURN(std::vector<StoredSubmission> rows,
                             store_->LoadYear(year));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("nothing has been submitted for ", year));
  }
  std::vector<Submission> submissions;
  submissions.reserve(rows.size());
  for (const StoredSubmission& row : rows) {
    v1::SubmitRequest request_proto;
    if (!request_proto.ParseFromString(row.request_bytes)) {
      return absl::InternalError(absl::StrCat("stored submission of ",
                                              row.la_code, " for ", year,
                                              " does not parse"));
    }
    absl::StatusOr<Submission> s = SubmissionFromProto(request_proto);
    // Validation messages can quote cell values, so only the fact is reported.
    if (!s.ok() || s->la_code != row.la_code || s->year != row.year) {
      return absl::InternalError(
          absl::StrCat("stored submission of ", row.la_code, " for ", year,
                       " does not validate against catalogue ", "version ",
                       catalogue::kCatalogueVersion));
    }
    submissions.push_back(*std::move(s));
  }
  absl::StatusOr<ReleaseTable> table = Combine(year, submissions);
  if (!table.ok()) {
    // Everything was validated above, so only INTERNAL (variance or sum
    // overflow, whose messages carry no cell values) is expected; other
    // messages are not passed on.
    return absl::InternalError(
        absl::StrCat("cannot combine ", year, ": ",
                     table.status().code() == absl::StatusCode::kInternal
                         ? std::string(table.status().message())
                         : absl::StatusCodeToString(table.status().code())));
  }
  // Fail closed until the firewall policy decides per recipient class.
  return ReleaseTableToProto(WithholdSensitive(*std::move(table)));
}

}  // namespace ringfence::coordinator
