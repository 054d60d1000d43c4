// ringfence-coordinator: the national coordinator's gRPC server over mutual
// TLS.
//
// Serves two gRPC services on one mTLS port (proto/coordinator_service.proto):
// Coordinator (nodes and recipients; coordinator/service.h) and CollectionAdmin
// (operators; coordinator/admin_service.h), plus grpc.health.v1.Health.
//
// Only this file reads key files and the policy file. Exit codes: 0 after a
// clean shutdown on SIGTERM/SIGINT, 1 when a file cannot be read, the policy
// fails its check (the message names the file and the rule) or the server
// cannot start, 2 for a usage error.
//
// Security: the coordinator enforces exactly one policy, loaded and checked
// (policy::LoadPolicyFile, the firewall included) before anything listens;
// there is no default policy and no way to start without one.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/cli.h"
#include "base/csv.h"
#include "catalogue/la_registry.h"
#include "coordinator/admin_service.h"
#include "coordinator/rate_limiter.h"
#include "coordinator/service.h"
#include "coordinator/store.h"
#include "crypto/revocation.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "policy/policy.h"

namespace {

constexpr char kProgram[] = "ringfence-coordinator";
constexpr auto kShutdownGrace = std::chrono::seconds(10);

ringfence::base::CommandSpec Spec() {
  return {
      "ringfence-coordinator --listen HOST:PORT --cert FILE --key FILE --ca "
      "FILE --db FILE --policy FILE "
      "[--port-file FILE] [--crl FILE] [--requests-per-second R] [--request-burst N] "
      "[--la-register FILE] [--max-db-pages N]",
      "Serves the Ringfence coordinator API over mutual TLS: operators open and close "
      "collections, LA nodes submit protected grids to them, recipients fetch the released "
      "tables of closed collections. Submissions are stored in an SQLite "
      "database. The policy decides which cells nodes send and which each "
      "recipient class receives; a node running another policy is refused. Runs "
      "until SIGTERM or SIGINT, then finishes calls in progress and exits.",
      {
          {"listen", "HOST:PORT", "address to listen on; port 0 picks a free port", true, ""},
          {"cert", "FILE", "server certificate (PEM)", true, ""},
          {"key", "FILE", "server private key (PEM); should be mode 0600", true, ""},
          {"ca", "FILE", "CA certificate that client certificates must chain to (PEM)", true, ""},
          {"db", "FILE",
           "SQLite database of collections and submissions; created if absent, upgraded in "
           "place from an older schema",
           true, ""},
          {"policy", "FILE",
           "the Ringfence policy (textproto; e.g. policies/england-2025.textproto), the "
           "same file every node runs",
           true, ""},
          {"port-file", "FILE", "after binding, write the chosen port here (atomically)", false,
           ""},
          {"crl", "FILE",
           "the CA's certificate revocation list (PEM, e.g. from `ringfence pki revoke`); "
           "revoked certificates are refused; re-read within seconds when it changes",
           false, ""},
          {"requests-per-second", "R",
           "calls per second one client identity (certificate) may make on average; over it, "
           "RESOURCE_EXHAUSTED; 0 turns the limit off",
           false, "5"},
          {"request-burst", "N", "calls one client identity may make at once after being idle",
           false, "20"},
          {"la-register", "FILE",
           "LA register replacing the built-in list (columns of data/la_codes.csv; "
           "docs/coordinator.md)",
           false, ""},
          {"max-db-pages", "N",
           "cap the database at N pages (SQLite max_page_count; 4 KiB pages by default): a "
           "bound on its size, reached as a full disk is (submissions refused UNAVAILABLE, "
           "nothing stored, the service stays up); default: no cap",
           false, ""},
      }};
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  return code;
}

// Splits HOST:PORT (HOST may be a bracketed IPv6 address). False if malformed.
bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = listen.substr(0, colon);
  if (host->find(':') != std::string::npos &&
      (host->front() != '[' || host->back() != ']')) {
    return false;  // an unbracketed IPv6 address is ambiguous
  }
  return absl::SimpleAtoi(listen.substr(colon + 1), port) && *port >= 0 &&
         *port <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  namespace base = ringfence::base;
  namespace coordinator = ringfence::coordinator;
  namespace crypto = ringfence::crypto;

  const base::CommandSpec spec = Spec();
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit(kProgram, spec,
                                       std::vector<std::string>(argv + 1, argv + argc),
                                       &parsed)) {
    return *rc;
  }
  const base::ParsedFlags* flags = &parsed;
  if (flags->Has("la-register")) {  // before anything uses the LA registry
    absl::Status installed = ringfence::catalogue::InstallLaRegisterFile(flags->Get("la-register"));
    if (!installed.ok()) return Fail(1, absl::StrCat("--la-register: ", installed.message()));
    std::fprintf(stderr, "%s: LA register %s: %zu LAs\n", kProgram,
                 flags->Get("la-register").c_str(),
                 ringfence::catalogue::AllLocalAuthorities().size());
  }
  const std::string listen = flags->Get("listen");
  std::string host;
  int requested_port = 0;
  if (!SplitHostPort(listen, &host, &requested_port)) {
    return Fail(
        2, absl::StrCat("--listen: expected HOST:PORT (port 0-65535), got '",
                        listen, "'"));
  }
  const std::string db_path = flags->Get("db");

  coordinator::RateLimitOptions rate_limit;
  if (!absl::SimpleAtod(flags->Get("requests-per-second"), &rate_limit.requests_per_second)) {
    return Fail(2, absl::StrCat("--requests-per-second: expected a number, got '",
                                flags->Get("requests-per-second"), "'"));
  }
  absl::StatusOr<int64_t> burst = flags->GetInt("request-burst", 1, 1000000);
  if (!burst.ok()) return Fail(2, std::string(burst.status().message()));
  rate_limit.burst = static_cast<int>(*burst);
  absl::StatusOr<std::unique_ptr<coordinator::RateLimiter>> limiter =
      coordinator::RateLimiter::Create(rate_limit);
  if (!limiter.ok()) {
    return Fail(2, absl::StrCat("--requests-per-second/--request-burst: ",
                                limiter.status().message()));
  }

  // The policy first: without one that passes every check (the firewall's
  // included) nothing else is opened.
  absl::StatusOr<ringfence::policy::Policy> policy =
      ringfence::policy::LoadPolicyFile(flags->Get("policy"));
  if (!policy.ok()) {
    return Fail(1, absl::StrCat("refusing to start: ", policy.status().message()));
  }

  // Block the shutdown signals before gRPC starts any thread, so every thread
  // inherits the mask and only sigwait() below ever sees them (no
  // async-signal-safety concerns).
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr) != 0) {
    return Fail(1, "cannot block SIGTERM/SIGINT");
  }

  const std::string key_path = flags->Get("key");
  struct stat key_stat;
  if (::stat(key_path.c_str(), &key_stat) == 0 &&
      (key_stat.st_mode & 077) != 0) {
    std::fprintf(
        stderr,
        "%s: warning: %s is readable by group or others; chmod 600 it\n",
        kProgram, key_path.c_str());
  }
  absl::StatusOr<crypto::TlsMaterial> material =
      crypto::LoadTlsMaterial(flags->Get("ca"), flags->Get("cert"), key_path);
  if (!material.ok()) return Fail(1, std::string(material.status().message()));

  // Revocation fails closed at start: a --crl that cannot be read or does not verify
  // against --ca stops the coordinator. Later bad versions of the file are refused and the
  // list in use kept (crypto/revocation.h).
  std::unique_ptr<crypto::RevocationList> crl;
  if (flags->Has("crl")) {
    absl::StatusOr<std::unique_ptr<crypto::RevocationList>> loaded =
        crypto::RevocationList::Load(flags->Get("crl"), material->ca_pem);
    if (!loaded.ok()) {
      return Fail(1, absl::StrCat("refusing to start: --crl ", loaded.status().message()));
    }
    crl = *std::move(loaded);
  }

  coordinator::StoreOptions store_options;
  if (flags->Has("max-db-pages")) {
    absl::StatusOr<int64_t> pages = flags->GetInt("max-db-pages", 1, int64_t{1} << 40);
    if (!pages.ok()) return Fail(2, std::string(pages.status().message()));
    store_options.max_page_count = *pages;
  }
  absl::StatusOr<std::unique_ptr<coordinator::SubmissionStore>> store =
      coordinator::SubmissionStore::Open(db_path, store_options);
  if (!store.ok()) return Fail(1, std::string(store.status().message()));

  const std::string policy_line = absl::StrCat("policy ", policy->name, " from ", policy->file,
                                               ", digest ", policy->digest.substr(0, 12));
  coordinator::CoordinatorServiceImpl service(store->get(), *std::move(policy), nullptr, nullptr,
                                              *std::move(limiter));
  // grpc.health.v1.Health on the same port and under the same mutual TLS: a
  // probe needs a client certificate of the CA. SERVING once started,
  // NOT_SERVING from the moment shutdown begins.
  grpc::EnableDefaultHealthCheckService(true);
  if (crl != nullptr) service.SetRevocationList(crl.get());
  // The operator's CollectionAdmin on the same port and gate: the same mutual TLS, rate
  // limit, revocation list and drain; operator certificates only.
  coordinator::CollectionAdminServiceImpl admin(store->get(), service.gate());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, crypto::MakeServerCredentials(*material),
                           &port);
  builder.SetMaxReceiveMessageSize(coordinator::kMaxRequestBytes);
  builder.RegisterService(&service);
  builder.RegisterService(&admin);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  crypto::ClearSecret(&material->key_pem);  // gRPC holds its own copy
  if (server == nullptr || port == 0) {
    return Fail(
        1, absl::StrCat("cannot listen on ", listen,
                        " (address in use, or not an address of this host?)"));
  }

  if (flags->Has("port-file")) {
    const std::string port_file = flags->Get("port-file");
    absl::Status written =
        base::WriteFileAtomically(port_file, absl::StrCat(port, "\n"));
    if (!written.ok()) {
      server->Shutdown();
      return Fail(1, std::string(written.message()));
    }
  }
  std::printf("%s listening on %s:%d (db %s; %s; %s)\n", kProgram, host.c_str(), port,
              db_path.c_str(), policy_line.c_str(),
              rate_limit.requests_per_second > 0
                  ? absl::StrCat("limit ", rate_limit.requests_per_second,
                                 " requests per second per client, burst ", rate_limit.burst)
                        .c_str()
                  : "no rate limit");
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&shutdown_signals, &signal_number) != 0) {
  }
  std::fprintf(stderr, "%s: %s received, shutting down\n", kProgram,
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  // Drain: the health service says NOT_SERVING, new calls are refused
  // UNAVAILABLE, and calls already running get up to kShutdownGrace to finish
  // (a submission in flight is stored and acknowledged, or not stored at all).
  // Then the server stops at once: gRPC's own grace period would also wait for
  // every idle connection a client keeps open.
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  service.StartDraining();
  if (!service.WaitForCallsToFinish(absl::FromChrono(kShutdownGrace))) {
    std::fprintf(stderr, "%s: calls still running after %lld s; cancelling them\n", kProgram,
                 static_cast<long long>(kShutdownGrace.count()));
  }
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  return 0;
}
