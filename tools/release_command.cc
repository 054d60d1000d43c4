// `ringfence release`: fetches the released table of one collection year from
// the coordinator over mutual TLS and writes it as EES-layout CSV
// (tools/release_csv.h).
//
// Security: the caller authenticates with its recipient certificate; the
// coordinator decides what that certificate may see. The key file is read here
// (a binary's command layer) and the in-memory copy is cleared once gRPC has
// its own. Every call has a deadline.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/cli.h"
#include "base/csv.h"
#include "base/grpc_status.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tools/commands.h"
#include "tools/release_csv.h"

namespace ringfence::tools {
namespace {

// A full release is small (153 LAs x the grid); this only guards against a
// runaway peer.
constexpr int kMaxReceiveMessageBytes = 64 * 1024 * 1024;

base::CommandSpec ReleaseSpec() {
  return {
      "ringfence release --coordinator HOST:PORT --cert FILE --key FILE --ca "
      "FILE --year YYYY "
      "--out FILE.csv [--timeout-seconds N]",
      "Fetches the released table for a collection year from the coordinator, "
      "authenticating "
      "with a recipient certificate, and writes it as tidy CSV in the DfE "
      "Explore Education "
      "Statistics layout (c = suppressed, z = not applicable, x = not released "
      "to you), with each value's noise SD and 95% interval half-width from noise "
      "and rounding (columns IND_noise_sd, IND_ci95_half_width).",
      {
          {"coordinator", "HOST:PORT", "coordinator address", true, ""},
          {"cert", "FILE", "recipient certificate (PEM)", true, ""},
          {"key", "FILE", "recipient private key (PEM)", true, ""},
          {"ca", "FILE", "CA certificate the coordinator's certificate chains to (PEM)", true, ""},
          {"year", "YYYY", "collection year (the year ending 31 March YYYY)", true, ""},
          {"out", "FILE.csv", "CSV file to write (replaced atomically)", true, ""},
          {"timeout-seconds", "N", "deadline for the call", false, "30"},
      }};
}

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "ringfence release: %s\n", std::string(message).c_str());
  return code;
}

}  // namespace

int RunReleaseCommand(const std::vector<std::string>& args) {
  const base::CommandSpec spec = ReleaseSpec();
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence release", spec, args, &parsed)) return *rc;
  const base::ParsedFlags* flags = &parsed;
  absl::StatusOr<int64_t> year = flags->GetInt("year", 1900, 9999);
  if (!year.ok()) return Fail(2, year.status().message());
  absl::StatusOr<int64_t> timeout = flags->GetInt("timeout-seconds", 1, 3600);
  if (!timeout.ok()) return Fail(2, timeout.status().message());
  const std::string target = flags->Get("coordinator");
  const std::string out_path = flags->Get("out");

  absl::StatusOr<crypto::TlsMaterial> material =
      crypto::LoadTlsMaterial(flags->Get("ca"), flags->Get("cert"), flags->Get("key"));
  if (!material.ok()) return Fail(1, material.status().message());
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, crypto::MakeChannelCredentials(*material), channel_args);
  crypto::ClearSecret(&material->key_pem);
  std::unique_ptr<ringfence::v1::Coordinator::Stub> stub =
      ringfence::v1::Coordinator::NewStub(channel);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(*timeout));
  ringfence::v1::ReleaseRequest request;
  request.set_year(static_cast<int>(*year));
  ringfence::v1::ReleaseResponse response;
  const grpc::Status rpc = stub->Release(&context, request, &response);
  if (!rpc.ok()) {
    const absl::Status status = base::FromGrpcStatus(rpc);
    std::string hint;
    if (status.code() == absl::StatusCode::kUnavailable) {
      hint =
          " (is the coordinator running there, and were --cert, --key and --ca "
          "issued by "
          "the coordinator's CA?)";
    }
    return Fail(1, absl::StrCat("release of ", *year, " from ", target,
                                " failed: ", absl::StatusCodeToString(status.code()), ": ",
                                status.message(), hint));
  }
  if (response.year() != *year) {
    return Fail(1, absl::StrCat("the coordinator answered with year ", response.year(),
                                " for a request for ", *year));
  }
  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(response);
  if (!csv.ok()) {
    return Fail(1, absl::StrCat("malformed release from ", target, ": ", csv.status().message()));
  }
  absl::Status written = base::WriteFileAtomically(out_path, csv->text);
  if (!written.ok()) return Fail(1, written.message());
  std::printf("%s\n", SummariseRelease(response, csv->rows, out_path).c_str());
  return 0;
}

}  // namespace ringfence::tools
