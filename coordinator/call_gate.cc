#include "coordinator/call_gate.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/grpc_status.h"
#include "crypto/tls_credentials.h"

namespace ringfence::coordinator {
namespace {

void WriteToStderr(absl::string_view line) {
  std::string out = absl::StrCat(line, "\n");
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

CallGate::CallGate(LogSink log, Clock clock, std::unique_ptr<RateLimiter> limiter)
    : clock_(clock ? std::move(clock) : Clock([] { return absl::Now(); })),
      limiter_(std::move(limiter)),
      log_(log ? std::move(log) : LogSink(WriteToStderr)) {}

CallGate::Scope::~Scope() {
  if (!entered_) return;
  absl::MutexLock lock(&gate_->calls_mu_);
  --gate_->in_flight_;
}

void CallGate::StartDraining() {
  absl::MutexLock lock(&calls_mu_);
  draining_ = true;
}

bool CallGate::WaitForCallsToFinish(absl::Duration timeout) {
  absl::MutexLock lock(&calls_mu_);
  const auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(calls_mu_) { return in_flight_ == 0; };
  return calls_mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

absl::Status CallGate::Admit(const grpc::ServerContext& context, Scope* scope,
                             crypto::PartyIdentity* peer) {
  absl::StatusOr<crypto::PartyIdentity> identity = crypto::PeerIdentity(context);
  if (!identity.ok()) return identity.status();
  *peer = *std::move(identity);
  if (revocation_ != nullptr) {
    if (absl::Status not_revoked = crypto::CheckPeerNotRevoked(context, *revocation_);
        !not_revoked.ok()) {
      return not_revoked;
    }
  }
  {
    absl::MutexLock lock(&calls_mu_);
    if (draining_) return absl::UnavailableError(kShuttingDown);
    ++in_flight_;
    scope->entered_ = true;
  }
  if (limiter_ != nullptr) return limiter_->Acquire(peer->uri, clock_());
  return absl::OkStatus();
}

grpc::Status CallGate::Finish(absl::string_view rpc, absl::string_view peer_uri,
                              const absl::Status& status, absl::string_view fields) {
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
      // Storage trouble is described to the operator only; shutting down is no secret.
      if (status.message() != kShuttingDown) {
        to_peer = absl::UnavailableError("coordinator storage is unavailable; retry later");
      }
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      log_reason = std::string(status.message());
      to_peer = absl::Status(status.code(),
                             "internal error in the coordinator; the operator has the details");
      break;
    default:
      log_reason = std::string(status.message());
      break;
  }
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_(), absl::UTCTimeZone()),
                   " rpc=", rpc, " peer=", peer_uri.empty() ? "-" : absl::CEscape(peer_uri),
                   " outcome=", absl::StatusCodeToString(status.code()));
  if (!fields.empty()) absl::StrAppend(&line, " ", fields);
  if (!log_reason.empty()) absl::StrAppend(&line, " reason=\"", absl::CEscape(log_reason), "\"");
  {
    absl::MutexLock lock(&log_mu_);
    log_(line);
  }
  return base::ToGrpcStatus(to_peer);
}

}  // namespace ringfence::coordinator
