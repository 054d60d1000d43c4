#include "node/round.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "grpcpp/create_channel.h"
#include "node/dates.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/firewall.h"

namespace ringfence::node {
namespace {

RoundHooks& NoHooks() {
  static RoundHooks* const kNone = new RoundHooks;
  return *kNone;
}

absl::StatusOr<LedgerRho> ToLedgerRho(const dp::Rho& rho) {
  return MakeLedgerRho(rho.numerator, rho.denominator);
}

absl::StatusOr<YearSpend> YearOf(Ledger& ledger, const std::string& la, int year) {
  RINGFENCE_ASSIGN_OR_RETURN(std::vector<YearSpend> all, ledger.Spending());
  for (YearSpend& y : all) {
    if (y.la_code == la && y.year == year) return std::move(y);
  }
  return absl::InternalError(absl::StrCat(ledger.path(), ": no spend recorded for ", la, " ", year,
                                          " after recording one"));
}

// FAILED_PRECONDITION unless `policy` is a loaded policy that passes the firewall check.
absl::Status CheckPolicy(const policy::Policy& policy) {
  if (policy.digest.empty()) {
    return absl::FailedPreconditionError(
        "no policy: a round needs a policy that passes `ringfence policy check`; nothing "
        "computed or sent");
  }
  const std::vector<policy::Violation> violations = policy::CheckFirewall(policy);
  if (!violations.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("policy '", policy.name, "' fails the firewall check (",
                     violations.front().ToString(), "); nothing computed or sent"));
  }
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<grpc::Channel> RoundHooks::CreateChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  return grpc::CreateChannel(target, credentials);
}

absl::StatusOr<SubmitRoundResult> RunSubmitRound(
    const SubmitRoundOptions& options,
    const std::function<absl::StatusOr<std::vector<int64_t>>()>& compute_exact,
    crypto::RandomSource& rng, std::shared_ptr<grpc::Channel> channel, RoundHooks* hooks) {
  RoundHooks& h = hooks != nullptr ? *hooks : NoHooks();
  const policy::Policy& policy = options.policy;
  RINGFENCE_RETURN_IF_ERROR(CheckPolicy(policy));
  RINGFENCE_ASSIGN_OR_RETURN(CollectionYear window,
                             CollectionYear::ForWindow(options.year, options.period));
  absl::StatusOr<std::unique_ptr<Ledger>> opened = Ledger::Open(options.ledger_path);
  if (!opened.ok()) {
    return absl::Status(opened.status().code(),
                        absl::StrCat(opened.status().message(), "; nothing computed or sent"));
  }
  std::unique_ptr<Ledger> ledger = *std::move(opened);
  RoundKey key;
  key.la_code = options.la_code;
  key.year = options.year;
  key.period = options.period;
  key.catalogue_version = catalogue::kCatalogueVersion;

  SubmitRoundResult result;
  RINGFENCE_ASSIGN_OR_RETURN(std::optional<CachedRound> cached, ledger->Find(key));
  std::string payload;
  if (cached.has_value()) {
    result.resent = true;
    payload = std::move(cached->payload);
  } else {
    RINGFENCE_ASSIGN_OR_RETURN(LedgerRho rho, ToLedgerRho(policy.privacy.rho_per_round));
    RINGFENCE_ASSIGN_OR_RETURN(LedgerRho budget, ToLedgerRho(policy.privacy.rho_per_year));
    // Refuse before computing when the year's budget is already too small (RecordSpend checks
    // again, atomically, below).
    RINGFENCE_ASSIGN_OR_RETURN(std::vector<YearSpend> spending, ledger->Spending());
    for (const YearSpend& y : spending) {
      if (y.la_code != key.la_code || y.year != key.year) continue;
      RINGFENCE_ASSIGN_OR_RETURN(LedgerRho after, AddRho(y.spent, rho));
      if (CompareRho(after, budget) > 0) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "privacy budget for ", key.la_code, " ", key.year, ": spent ", FormatRho(y.spent),
            " of ", FormatRho(budget), " zCDP; this round needs ", FormatRho(rho),
            "; refused, nothing computed or sent (", ledger->path(), ")"));
      }
    }

    RINGFENCE_ASSIGN_OR_RETURN(std::vector<int64_t> exact, compute_exact());
    h.AfterCompute();
    RINGFENCE_ASSIGN_OR_RETURN(ProtectedGrid grid, ProtectGrid(exact, policy, rng));
    exact.assign(exact.size(), 0);  // the exact counts are not needed past this point
    RINGFENCE_ASSIGN_OR_RETURN(v1::SubmitRequest request,
                               BuildSubmitRequest(key.la_code, key.year, policy, grid));
    request.set_collection_id(CollectionId(window));
    std::string fresh;
    if (!request.SerializeToString(&fresh)) {
      return absl::InternalError("cannot serialise the protected grid; nothing sent");
    }
    absl::StatusOr<CachedRound> spent = ledger->RecordSpend(key, rho, budget, fresh);
    if (!spent.ok()) {
      // Nothing may leave the node unless its spend is durable (node/ledger.h).
      if (absl::StrContains(spent.status().message(), "nothing sent")) return spent.status();
      return absl::Status(spent.status().code(),
                          absl::StrCat(spent.status().message(), "; nothing sent"));
    }
    CachedRound recorded = *std::move(spent);
    // Another process may have recorded the round first; its cells are the ones to send.
    result.resent = !recorded.newly_recorded;
    payload = std::move(recorded.payload);
    h.AfterLedgerWrite();
  }

  if (!result.request.ParseFromString(payload)) {
    return absl::DataLossError(absl::StrCat(options.ledger_path, ": the cached protected cells of ",
                                            FormatRoundKey(key), " do not parse; nothing sent"));
  }
  if (result.request.policy_digest() != policy.digest) {
    // The recorded cells were chosen and protected under another policy (or before rounds
    // carried one): they may include cells this policy sends to nobody. Never recompute
    // either: fresh noise for a recorded round is the averaging attack.
    return absl::FailedPreconditionError(absl::StrCat(
        FormatRoundKey(key), " is recorded in ", options.ledger_path, " under policy ",
        result.request.policy_digest().empty() ? "(none)" : result.request.policy_digest(),
        ", not under '", policy.name, "' (", policy.digest,
        "); nothing sent. Submit it with the policy it was recorded under."));
  }
  CoordinatorClient client(std::move(channel));
  h.BeforeSend();
  auto response = client.Submit(result.request, options.timeout);
  if (!response.ok()) {
    return absl::Status(
        response.status().code(),
        absl::StrCat(response.status().message(), " (the protected round is recorded in ",
                     options.ledger_path,
                     "; running submit again resends the same cells, with no new noise and "
                     "no new spend)"));
  }
  result.response = *std::move(response);
  h.AfterSendBeforeReceipt();
  RINGFENCE_RETURN_IF_ERROR(ledger->MarkSent(key, result.response.receipt()));
  RINGFENCE_ASSIGN_OR_RETURN(result.year, YearOf(*ledger, key.la_code, key.year));
  return result;
}

}  // namespace ringfence::node
