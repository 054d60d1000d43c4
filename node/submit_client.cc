#include "node/submit_client.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/grpc_status.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "grpcpp/client_context.h"
#include "policy/firewall.h"

namespace ringfence::node {

namespace {

// Writes the request for the cells at `indices` (into catalogue::GridCells(), ascending).
v1::SubmitRequest Build(absl::string_view la_code, int year, const ProtectedGrid& grid,
                        const std::vector<int>& indices) {
  const auto& keys = catalogue::GridCells();
  v1::SubmitRequest req;
  req.set_la_code(std::string(la_code));
  req.set_year(year);
  req.set_catalogue_version(catalogue::kCatalogueVersion);
  req.set_policy_digest(grid.policy_digest);
  v1::NoiseParams* noise = req.mutable_noise();
  noise->set_mechanism(v1::NoiseParams::DISCRETE_GAUSSIAN);
  noise->set_variance_numerator(grid.variance_numerator);
  noise->set_variance_denominator(grid.variance_denominator);
  noise->set_rho_numerator(grid.budget.rho_numerator);
  noise->set_rho_denominator(grid.budget.rho_denominator);
  noise->set_suppression_threshold(grid.untainted_rule.suppression_threshold);
  noise->set_rounding_base(grid.untainted_rule.rounding_base);
  noise->set_tainted_suppression_threshold(grid.tainted_rule.suppression_threshold);
  noise->set_tainted_rounding_base(grid.tainted_rule.rounding_base);
  for (int i : indices) {
    const ProtectedCell& protected_cell = grid.cells[i];
    v1::ProtectedCell* cell = req.add_cells();
    cell->mutable_key()->set_indicator(keys[i].indicator);
    cell->mutable_key()->set_breakdown(keys[i].breakdown);
    cell->mutable_key()->set_group(keys[i].group);
    // All three always set (zeros included): fixed width, so the size never depends on values.
    cell->set_noisy_value(protected_cell.noisy_value);
    cell->set_suppressed(protected_cell.published.suppressed);
    cell->set_rounded_value(protected_cell.published.value);  // 0 when suppressed
  }
  return req;
}

absl::Status CheckGridSize(const ProtectedGrid& grid) {
  const size_t n = catalogue::GridCells().size();
  if (grid.cells.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat("protected grid has ", grid.cells.size(),
                                                   " cells; the catalogue has ", n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::SubmitRequest> BuildSubmitRequest(absl::string_view la_code, int year,
                                                     const policy::Policy& policy,
                                                     const ProtectedGrid& grid) {
  RINGFENCE_RETURN_IF_ERROR(CheckGridSize(grid));
  // The firewall is checked again here, at the only place that writes what leaves the LA, so
  // that a policy that was never checked (ParsePolicyUnchecked) cannot decide what is sent.
  const std::vector<policy::Violation> violations = policy::CheckFirewall(policy);
  if (!violations.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("policy '", policy.name, "' fails the firewall check (",
                     violations.front().ToString(), "); nothing sent"));
  }
  if (policy.digest.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("policy '", policy.name, "' has no digest; nothing sent"));
  }
  if (grid.policy_digest != policy.digest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the grid was protected under policy ",
        grid.policy_digest.empty() ? "(none)" : grid.policy_digest, ", not under '", policy.name,
        "' (", policy.digest, "); nothing sent"));
  }
  const auto same_rule = [](const policy::DisclosureRule& a, const policy::DisclosureRule& b) {
    return a.suppression_threshold == b.suppression_threshold &&
           a.rounding_base == b.rounding_base;
  };
  if (!same_rule(grid.untainted_rule, policy.untainted_rule) ||
      !same_rule(grid.tainted_rule, policy.tainted_rule) ||
      grid.budget.rho_numerator != policy.privacy.rho_per_round.numerator ||
      grid.budget.rho_denominator != policy.privacy.rho_per_round.denominator) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the grid's budget or disclosure rules are not those of policy '", policy.name,
        "'; nothing sent"));
  }
  const std::vector<int> sendable = policy::SendableCells(policy);
  // The grid must have protected exactly these cells: a cell it did not noise is never sent,
  // and a noised cell the policy does not send means the grid and policy disagree.
  std::vector<int> protected_cells;
  for (size_t i = 0; i < grid.cells.size(); ++i) {
    if (grid.cells[i].sent) protected_cells.push_back(static_cast<int>(i));
  }
  if (protected_cells != sendable) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the grid protects ", protected_cells.size(), " cells but policy '", policy.name,
        "' sends ", sendable.size(), "; nothing sent"));
  }
  return Build(la_code, year, grid, sendable);
}

CoordinatorClient::CoordinatorClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::Coordinator::NewStub(std::move(channel))) {}

absl::StatusOr<v1::SubmitResponse> CoordinatorClient::Submit(const v1::SubmitRequest& request,
                                                             absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  v1::SubmitResponse response;
  grpc::Status status = stub_->Submit(&context, request, &response);
  if (!status.ok()) return base::FromGrpcStatus(status);
  return response;
}

}  // namespace ringfence::node
