#include "node/submit_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "base/grpc_status.h"
#include "catalogue/catalogue.h"
#include "grpcpp/client_context.h"

namespace ringfence::node {

absl::StatusOr<v1::SubmitRequest> BuildSubmitRequest(absl::string_view la_code, int year,
                                                     const ProtectedGrid& grid) {
  const auto& keys = catalogue::GridCells();
  if (grid.cells.size() != keys.size()) {
    return absl::InvalidArgumentError(absl::StrCat("protected grid has ", grid.cells.size(),
                                                   " cells; the catalogue has ", keys.size()));
  }
  v1::SubmitRequest req;
  req.set_la_code(std::string(la_code));
  req.set_year(year);
  req.set_catalogue_version(catalogue::kCatalogueVersion);
  v1::NoiseParams* noise = req.mutable_noise();
  noise->set_mechanism(v1::NoiseParams::DISCRETE_GAUSSIAN);
  noise->set_variance_numerator(grid.variance_numerator);
  noise->set_variance_denominator(grid.variance_denominator);
  noise->set_rho_numerator(grid.budget.rho_numerator);
  noise->set_rho_denominator(grid.budget.rho_denominator);
  noise->set_suppression_threshold(grid.disclosure.suppression_threshold);
  noise->set_rounding_base(grid.disclosure.rounding_base);
  for (size_t i = 0; i < keys.size(); ++i) {
    v1::ProtectedCell* cell = req.add_cells();
    cell->mutable_key()->set_indicator(keys[i].indicator);
    cell->mutable_key()->set_breakdown(keys[i].breakdown);
    cell->mutable_key()->set_group(keys[i].group);
    cell->set_noisy_value(grid.cells[i].noisy_value);
    cell->set_suppressed(grid.cells[i].published.suppressed);
    cell->set_rounded_value(grid.cells[i].published.value);
  }
  return req;
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
