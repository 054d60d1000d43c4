#include "coordinator/service.h"

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/grpc_status.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
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

// The store's FAILED_PRECONDITION (a database from a newer build) is the
// operator's problem, not the caller's: it reaches the peer as INTERNAL so that
// FAILED_PRECONDITION keeps one meaning on the wire (policy mismatch).
absl::Status FromStore(absl::Status status) {
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    return absl::InternalError(status.message());
  }
  return status;
}

constexpr char kShuttingDown[] = "the coordinator is shutting down; retry later";

void WriteToStderr(absl::string_view line) {
  std::string out = absl::StrCat(line, "\n");
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

CoordinatorServiceImpl::CoordinatorServiceImpl(SubmissionStore* store, policy::Policy policy,
                                               LogSink log, Clock clock,
                                               std::unique_ptr<RateLimiter> limiter)
    : store_(store),
      policy_(std::move(policy)),
      clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })),
      limiter_(std::move(limiter)),
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
  //  * FAILED_PRECONDITION (policy digest mismatch) and PERMISSION_DENIED name
  //    digests, classes and the policy: the peer needs them to fix its
  //    set-up, and they carry no cell value, so both sides get them.
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
      // Storage trouble is described to the operator only; shutting down is
      // no secret.
      if (status.message() != kShuttingDown) {
        to_peer = absl::UnavailableError("coordinator storage is unavailable; retry later");
      }
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
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

// Holds a call's place in in_flight_ for the whole handler.
class CoordinatorServiceImpl::CallScope {
 public:
  explicit CallScope(CoordinatorServiceImpl* service)
      : service_(service), admitted_(service->EnterCall()) {}
  ~CallScope() {
    if (admitted_) service_->ExitCall();
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;
  bool admitted() const { return admitted_; }

 private:
  CoordinatorServiceImpl* const service_;
  const bool admitted_;
};

bool CoordinatorServiceImpl::EnterCall() {
  absl::MutexLock lock(&calls_mu_);
  if (draining_) return false;
  ++in_flight_;
  return true;
}

void CoordinatorServiceImpl::ExitCall() {
  absl::MutexLock lock(&calls_mu_);
  --in_flight_;
}

void CoordinatorServiceImpl::StartDraining() {
  absl::MutexLock lock(&calls_mu_);
  draining_ = true;
}

bool CoordinatorServiceImpl::WaitForCallsToFinish(absl::Duration timeout) {
  absl::MutexLock lock(&calls_mu_);
  const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(calls_mu_) { return in_flight_ == 0; };
  return calls_mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

absl::Status CoordinatorServiceImpl::Admit(absl::string_view peer_uri) {
  if (limiter_ == nullptr) return absl::OkStatus();
  return limiter_->Acquire(peer_uri, clock_());
}

absl::Status CoordinatorServiceImpl::CheckNotRevoked(const grpc::ServerContext& context) {
  if (revocation_ == nullptr) return absl::OkStatus();
  return crypto::CheckPeerNotRevoked(context, *revocation_);
}

grpc::Status CoordinatorServiceImpl::Submit(grpc::ServerContext* context,
                                            const v1::SubmitRequest* request,
                                            v1::SubmitResponse* response) {
  absl::StatusOr<crypto::PartyIdentity> peer = crypto::PeerIdentity(*context);
  if (!peer.ok())
    return Finish("Submit", "", peer.status(), request->year(), 0, "");
  if (absl::Status not_revoked = CheckNotRevoked(*context); !not_revoked.ok()) {
    return Finish("Submit", peer->uri, not_revoked, request->year(), 0, "");
  }
  CallScope scope(this);
  if (!scope.admitted()) {
    return Finish("Submit", peer->uri, absl::UnavailableError(kShuttingDown), request->year(), 0,
                  "");
  }
  if (absl::Status allowed = Admit(peer->uri); !allowed.ok()) {
    return Finish("Submit", peer->uri, allowed, request->year(), 0, "");
  }
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
  RINGFENCE_ASSIGN_OR_RETURN(Submission submission, SubmissionFromProto(request, policy_));
  // The receipt covers exactly what is stored, in a form the node can
  // recompute.
  RINGFENCE_ASSIGN_OR_RETURN(std::string bytes,
                             SerializeDeterministically(request));
  absl::StatusOr<InsertResult> inserted = store_->Insert(
      submission.la_code, submission.year, submission.catalogue_version, bytes, clock_());
  if (!inserted.ok()) return FromStore(inserted.status());
  const InsertResult& stored = *inserted;
  v1::SubmitResponse response;
  response.set_receipt(stored.receipt);
  response.set_already_stored(stored.already_stored);
  return response;
}

grpc::Status CoordinatorServiceImpl::Release(grpc::ServerContext* context,
                                             const v1::ReleaseRequest* request,
                                             v1::ReleaseResponse* response) {
  absl::StatusOr<crypto::PartyIdentity> peer = crypto::PeerIdentity(*context);
  if (!peer.ok()) return Finish("Release", "", peer.status(), request->year(), 0, "class=-");
  if (absl::Status not_revoked = CheckNotRevoked(*context); !not_revoked.ok()) {
    return Finish("Release", peer->uri, not_revoked, request->year(), 0, "class=-");
  }
  // What was asked for, for the log: the levels (or "all").
  std::string asked;
  for (int level : request->levels()) {
    absl::StatusOr<GeographicLevel> l = LevelFromProto(level);
    absl::StrAppend(&asked, asked.empty() ? "" : ",",
                    l.ok() ? LevelLogName(*l) : absl::StrCat(level));
  }
  if (asked.empty()) asked = "all";
  const std::string who = absl::StrCat("class=", ClassOf(*peer), " levels=", asked);
  CallScope scope(this);
  if (!scope.admitted()) {
    return Finish("Release", peer->uri, absl::UnavailableError(kShuttingDown), request->year(), 0,
                  who);
  }
  if (absl::Status allowed = Admit(peer->uri); !allowed.ok()) {
    return Finish("Release", peer->uri, allowed, request->year(), 0, who);
  }
  absl::StatusOr<v1::ReleaseResponse> result = DoRelease(*peer, *request);
  if (!result.ok()) {
    return Finish("Release", peer->uri, result.status(), request->year(), 0, who);
  }
  *response = *std::move(result);
  int national = 0, regional = 0, la = 0;
  for (const v1::ReleasedCell& cell : response->cells()) {
    national += cell.level() == v1::NATIONAL;
    regional += cell.level() == v1::REGIONAL;
    la += cell.level() == v1::LOCAL_AUTHORITY;
  }
  return Finish("Release", peer->uri, absl::OkStatus(), request->year(), response->cells_size(),
                absl::StrCat(who, " national=", national, " regional=", regional, " la=", la,
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
  absl::StatusOr<std::vector<StoredSubmission>> rows = store_->LoadYear(year);
  if (!rows.ok()) return FromStore(rows.status());
  if (rows->empty()) {
    return absl::NotFoundError(
        absl::StrCat("nothing has been submitted for ", year));
  }
  std::vector<Submission> submissions;
  submissions.reserve(rows->size());
  for (const StoredSubmission& row : *rows) {
    v1::SubmitRequest request_proto;
    if (!request_proto.ParseFromString(row.request_bytes)) {
      return absl::InternalError(absl::StrCat("stored submission of ",
                                              row.la_code, " for ", year,
                                              " does not parse"));
    }
    absl::StatusOr<Submission> s = SubmissionFromProto(request_proto, policy_);
    if (!s.ok() && s.status().code() == absl::StatusCode::kFailedPrecondition) {
      // Stored under another policy (the coordinator was restarted with a different file):
      // its cells were chosen and post-processed by other rules, so nothing is released.
      // The message names digests and files only.
      return absl::FailedPreconditionError(
          absl::StrCat("cannot release ", year, ": ", s.status().message()));
    }
    // Validation messages can quote cell values, so only the fact is reported.
    if (!s.ok() || s->la_code != row.la_code || s->year != row.year) {
      return absl::InternalError(absl::StrCat("stored submission of ", row.la_code, " for ", year,
                                              " does not validate against catalogue ", "version ",
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
        absl::StrCat("cannot combine ", year, ": ",
                     table.status().code() == absl::StatusCode::kInternal
                         ? std::string(table.status().message())
                         : absl::StatusCodeToString(table.status().code())));
  }
  RINGFENCE_ASSIGN_OR_RETURN(ReleaseTable filtered,
                             FilterForRecipient(*std::move(table), policy_, audience));
  return ReleaseTableToProto(filtered);
}

}  // namespace ringfence::coordinator
