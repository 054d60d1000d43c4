// bench_echo_server: the load harness's baseline server (bench/echo.proto). The same gRPC
// server set-up as ringfence-coordinator (synchronous service, crypto::MakeServerCredentials:
// mutual TLS requiring a client certificate of the CA, the coordinator's maximum request size)
// and nothing else: no identity check, no policy, no store. Runs until SIGTERM or SIGINT.
//
//   bench_echo_server --listen HOST:PORT --cert FILE --key FILE --ca FILE [--port-file FILE]
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/cli.h"
#include "base/csv.h"
#include "bench/echo.grpc.pb.h"
#include "coordinator/service.h"
#include "crypto/tls_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace {

constexpr char kProgram[] = "bench_echo_server";
// A response is never bigger than this (the harness asks for ~100 bytes).
constexpr uint32_t kMaxResponseBytes = 1 << 20;

class EchoServiceImpl final : public ringfence::bench::v1::Echo::Service {
 public:
  grpc::Status Echo(grpc::ServerContext* context, const ringfence::bench::v1::EchoRequest* request,
                    ringfence::bench::v1::EchoResponse* response) override {
    response->mutable_payload()->assign(std::min(request->response_bytes(), kMaxResponseBytes),
                                        '\0');
    return grpc::Status::OK;
  }
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  namespace base = ringfence::base;
  const base::CommandSpec spec{
      "bench_echo_server --listen HOST:PORT --cert FILE --key FILE --ca FILE [--port-file FILE]",
      "The load harness's baseline: a gRPC echo over the coordinator's mutual-TLS set-up.",
      {
          {"listen", "HOST:PORT", "address to listen on; port 0 picks a free port", true, ""},
          {"cert", "FILE", "server certificate (PEM)", true, ""},
          {"key", "FILE", "server private key (PEM)", true, ""},
          {"ca", "FILE", "CA certificate that client certificates must chain to (PEM)", true, ""},
          {"port-file", "FILE", "after binding, write the chosen port here (atomically)", false,
           ""},
      }};
  base::ParsedFlags flags;
  if (auto rc = base::ParseFlagsOrExit(kProgram, spec,
                                       std::vector<std::string>(argv + 1, argv + argc), &flags)) {
    return *rc;
  }
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr) != 0) {
    return Fail(1, "cannot block SIGTERM/SIGINT");
  }
  absl::StatusOr<ringfence::crypto::TlsMaterial> material =
      ringfence::crypto::LoadTlsMaterial(flags.Get("ca"), flags.Get("cert"), flags.Get("key"));
  if (!material.ok()) return Fail(1, std::string(material.status().message()));

  EchoServiceImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.Get("listen"), ringfence::crypto::MakeServerCredentials(*material),
                           &port);
  builder.SetMaxReceiveMessageSize(ringfence::coordinator::kMaxRequestBytes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(1, absl::StrCat("cannot listen on ", flags.Get("listen")));
  }
  if (flags.Has("port-file")) {
    absl::Status written =
        base::WriteFileAtomically(flags.Get("port-file"), absl::StrCat(port, "\n"));
    if (!written.ok()) return Fail(1, std::string(written.message()));
  }
  std::printf("%s listening on port %d\n", kProgram, port);
  std::fflush(stdout);
  int signal_number = 0;
  while (sigwait(&shutdown_signals, &signal_number) != 0) {
  }
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  return 0;
}
