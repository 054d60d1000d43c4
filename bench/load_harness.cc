// bench_load_harness: one national collection round at scale, on loopback, in one command.
//
//   bench_load_harness --n N [--mode ringfence|echo] [--threads T] [--bin DIR]
//                      [--policy FILE] [--year Y] [--work DIR] [--seed S] [--label TEXT]
//                      [--server-prefix CMD]
//
// N is 1 to 1000 (the synthetic register uses three-digit DfE codes). Results are in
// docs/benchmarks.md, "National round at scale"; bench/run_load.sh runs both modes for several N.
//
// --mode ringfence (default), for N synthetic LAs:
//   1. a throwaway PKI (crypto/x509.h): a CA, the server's certificate, one client certificate
//      per LA, one operator and one dfe_analyst certificate;
//   2. a synthetic LA register of N LAs (codes E59000001..., spread over the nine real regions)
//      for ringfence-coordinator --la-register;
//   3. ringfence-coordinator as a subprocess (the shipped policy, a fresh database, no
//      throttling: 1000 requests/s per identity);
//   4. N protected grids built with the real node code (a synthetic exact grid ->
//      node::ProtectGrid under the policy -> node::BuildSubmitRequest), before anything is
//      timed: a node computes its grid on its own machine;
//   5. CollectionAdmin.OpenCollection "<Y>-annual" expecting the N LAs (operator certificate);
//   6. the round, timed: T threads, each taking the next LA, opening that LA's own channel
//      (its own credentials; GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, so no connection is shared),
//      waiting for the TLS connection and sending one Submit; every channel stays open until
//      the round ends; then CloseCollection (operator) and Release of the national level
//      (dfe_analyst). The round runs from the first connection to the national table received;
//   7. checks, failing loudly (exit 1): every Submit OK, GetCollectionStatus says N submitted,
//      the release names the N LAs and its national cells count N contributing LAs.
// --mode echo: the same PKI, N clients with the same credentials, channels, handshakes and
//   threads, each sending its LA's serialised SubmitRequest to bench_echo_server
//   (bench/echo.proto) and getting back a SubmitResponse-sized answer: the floor that gRPC and
//   mutual TLS alone cost on this machine.
//
// Prints one JSON line (its fields are named at the end of main): times in seconds, latencies
// in milliseconds, the server's peak RSS (VmHWM of /proc/PID/status) and CPU time
// (/proc/PID/stat), message sizes.
// Progress goes to stderr. Exit 0 only when every check passed.
//
// Only synthetic data: the grids are random counts, never derived from any record.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/cli.h"
#include "base/csv.h"
#include "bench/echo.grpc.pb.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "crypto/identity.h"
#include "crypto/random_source.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/policy.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace {

namespace v1 = ringfence::v1;
namespace crypto = ringfence::crypto;
namespace catalogue = ringfence::catalogue;

constexpr char kProgram[] = "bench_load_harness";
constexpr auto kCallTimeout = std::chrono::seconds(120);

// The server subprocess, stopped by Die so that a failed run leaves nothing running.
pid_t server_pid = -1;

// Reports a failure and exits 1. The work folder is kept (its server.log tells more).
[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "%s: FAILED: %s\n", kProgram, message.c_str());
  if (server_pid > 0) {
    kill(server_pid, SIGTERM);
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 100 && !(reaped = waitpid(server_pid, &status, WNOHANG) == server_pid);
         ++i) {
      usleep(100000);
    }
    if (!reaped) {
      kill(server_pid, SIGKILL);
      waitpid(server_pid, &status, 0);
    }
  }
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> v, absl::string_view what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

void Progress(const std::string& line) { std::fprintf(stderr, "%s: %s\n", kProgram, line.c_str()); }

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// --- The server subprocess ----------------------------------------------------------------

class Server {
 public:
  Server(const std::vector<std::string>& argv, const std::string& log_path) {
    pid_ = fork();
    if (pid_ < 0) Die("fork failed");
    if (pid_ == 0) {
      FILE* log = std::fopen(log_path.c_str(), "a");
      if (log != nullptr) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      std::fprintf(stderr, "cannot run %s\n", args[0]);
      _exit(127);
    }
    server_pid = pid_;
  }
  ~Server() { Stop(); }

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = server_pid = -1;
      return false;
    }
    return true;
  }
  // SIGTERM, then SIGKILL after 15 s. The exit code, or -1 if signalled or not running.
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 150; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = server_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = server_pid = -1;
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string ReadOrEmpty(const std::string& path) {
  std::string text;
  if (!ringfence::base::ReadFileToString(path, &text).ok()) return "";
  return text;
}

// VmHWM (peak RSS) of `pid` in kB, or -1.
int64_t PeakRssKb(pid_t pid) {
  std::istringstream in(ReadOrEmpty(absl::StrCat("/proc/", pid, "/status")));
  std::string line;
  while (std::getline(in, line)) {
    int64_t kb = 0;
    if (line.rfind("VmHWM:", 0) == 0 &&
        absl::SimpleAtoi(
            absl::StripAsciiWhitespace(absl::StripSuffix(absl::string_view(line).substr(6), "kB")),
            &kb)) {
      return kb;
    }
  }
  return -1;
}

// User + system CPU seconds of `pid` (all its threads), or -1.
double CpuSeconds(pid_t pid) {
  const std::string stat = ReadOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
  const size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  // Fields after ")": state is index 0, utime 11, stime 12 (proc(5) fields 14 and 15).
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

void WriteOrDie(const std::string& path, absl::string_view contents, int mode = 0644) {
  absl::Status s = ringfence::base::WriteFileAtomically(path, contents, mode);
  if (!s.ok()) Die(s.ToString());
}

// --- The synthetic deployment -------------------------------------------------------------

struct Party {
  std::string la_code;  // empty for the operator and the analyst
  crypto::TlsMaterial tls;
};

struct Pki {
  crypto::PemKeyAndCert ca;
  crypto::TlsMaterial server;
  std::vector<Party> las;
  Party op;
  Party analyst;
};

crypto::TlsMaterial Issue(const crypto::PemKeyAndCert& ca, const std::string& uri) {
  const absl::Time now = absl::Now();
  crypto::CertificateSpec spec;
  spec.common_name = uri;
  spec.uri_sans = {uri};
  spec.not_before = now - absl::Hours(1);
  spec.not_after = now + absl::Hours(24);
  spec.client_auth = true;
  crypto::PemKeyAndCert c = OrDie(crypto::IssueCertificate(ca, spec), uri);
  return crypto::TlsMaterial{ca.cert_pem, std::move(c.cert_pem), std::move(c.key_pem)};
}

Pki MakePki(const std::vector<std::string>& la_codes) {
  const absl::Time now = absl::Now();
  crypto::CertificateSpec ca_spec;
  ca_spec.common_name = "ringfence load-test CA (throwaway)";
  ca_spec.not_before = now - absl::Hours(1);
  ca_spec.not_after = now + absl::Hours(48);
  ca_spec.is_ca = true;
  Pki pki;
  pki.ca = OrDie(crypto::CreateSelfSignedCa(ca_spec), "CA");
  crypto::CertificateSpec server_spec;
  server_spec.common_name = "ringfence-coordinator";
  server_spec.dns_sans = {"localhost"};
  server_spec.ip_sans = {"127.0.0.1"};
  server_spec.not_before = now - absl::Hours(1);
  server_spec.not_after = now + absl::Hours(24);
  server_spec.server_auth = true;
  crypto::PemKeyAndCert server = OrDie(crypto::IssueCertificate(pki.ca, server_spec), "server");
  pki.server = crypto::TlsMaterial{pki.ca.cert_pem, server.cert_pem, server.key_pem};
  for (const std::string& code : la_codes) {
    pki.las.push_back(Party{code, Issue(pki.ca, crypto::LaUri(code))});
  }
  pki.op = Party{"", Issue(pki.ca, crypto::OperatorUri("load-operator"))};
  pki.analyst = Party{"", Issue(pki.ca, crypto::RecipientUri("dfe_analyst", "load-analyst"))};
  return pki;
}

// N synthetic LAs: codes E59000001.. (the E59 prefix is no ONS entity code), DfE-style codes
// 000.., over the nine real regions in turn. At most 1000 (three-digit DfE codes).
std::string SyntheticRegister(int n, std::vector<std::string>* codes) {
  const std::vector<catalogue::Region>& regions = catalogue::AllRegions();
  std::string csv = "new_la_code,old_la_code,la_name,region_code,region_name\n";
  for (int i = 0; i < n; ++i) {
    const std::string code = absl::StrFormat("E59%06d", i + 1);
    const catalogue::Region& r = regions[i % regions.size()];
    absl::StrAppend(&csv, code, ",", absl::StrFormat("%03d", i), ",",
                    absl::StrFormat("Synthetic LA %04d", i + 1), ",", r.region_code, ",",
                    r.region_name, "\n");
    codes->push_back(code);
  }
  return csv;
}

// A plausible exact grid: small counts, most cells under 50, some zeros. Random, so nothing
// about the values is real.
std::vector<int64_t> SyntheticExactGrid(std::mt19937_64& gen) {
  std::geometric_distribution<int64_t> count(0.05);
  std::vector<int64_t> exact(catalogue::GridCells().size());
  for (int64_t& v : exact) v = count(gen);
  return exact;
}

std::shared_ptr<grpc::Channel> OwnChannel(const std::string& target,
                                          const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, creds, args);
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  return ctx;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * v.size())) - 1;
  return v[std::min(i, v.size() - 1)];
}

std::string StatusText(const grpc::Status& s) {
  return absl::StrCat("code ", s.error_code(), ": ", s.error_message());
}

}  // namespace

int main(int argc, char** argv) {
  namespace base = ringfence::base;
  namespace node = ringfence::node;
  const base::CommandSpec spec{
      "bench_load_harness --n N [--mode ringfence|echo] [--threads T] [--bin DIR] "
      "[--policy FILE] [--year Y] [--work DIR] [--seed S] [--label TEXT] [--server-prefix CMD]",
      "One national round of N simulated LA nodes against one coordinator (or, with --mode "
      "echo, against a bare gRPC mutual-TLS echo server), on loopback. Prints one JSON line.",
      {
          {"n", "N", "number of LAs (1-1000)", true, ""},
          {"mode", "MODE", "ringfence or echo", false, "ringfence"},
          {"threads", "T", "client threads; each drives one channel at a time", false, "32"},
          {"bin", "DIR",
           "folder with ringfence-coordinator (and bench_echo_server in DIR/../bench)", false, ""},
          {"policy", "FILE", "the policy", false, "policies/england-2025.textproto"},
          {"year", "Y", "collection year", false, "2025"},
          {"work", "DIR", "working folder (kept); default a temporary one, removed", false, ""},
          {"seed", "S", "seed of the synthetic exact grids", false, "1"},
          {"label", "TEXT", "copied into the JSON line", false, ""},
          {"server-prefix", "CMD",
           "run the server under CMD (words split at spaces), e.g. 'perf record -g -o F --' to "
           "profile it; the server's RSS and CPU figures are then CMD's",
           false, ""},
      }};
  base::ParsedFlags flags;
  if (auto rc = base::ParseFlagsOrExit(kProgram, spec,
                                       std::vector<std::string>(argv + 1, argv + argc), &flags)) {
    return *rc;
  }
  const int n = static_cast<int>(OrDie(flags.GetInt("n", 1, 1000), "--n"));
  const int threads = static_cast<int>(OrDie(flags.GetInt("threads", 1, 1024), "--threads"));
  const int year = static_cast<int>(OrDie(flags.GetInt("year", 2000, 2100), "--year"));
  const int64_t seed = OrDie(flags.GetInt("seed", 0, INT64_MAX), "--seed");
  const std::string mode = flags.Get("mode");
  if (mode != "ringfence" && mode != "echo") Die("--mode: expected ringfence or echo");
  const bool echo = mode == "echo";
  if (flags.Get("label").find_first_of("\"\\") != std::string::npos) {
    Die("--label: no quotes or backslashes");
  }

  std::string bin = flags.Get("bin");
  if (bin.empty()) {
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0) Die("cannot find this program's folder; pass --bin");
    self[len] = '\0';
    std::string dir(self);
    bin = dir.substr(0, dir.rfind('/')) + "/../bin";
  }
  // Every connection is a file descriptor on both sides: raise the limit (the server inherits).
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < static_cast<rlim_t>(2 * n + 256)) {
    Die(absl::StrCat("open-file limit ", files.rlim_cur, " is too low for ", n, " connections"));
  }

  std::string work = flags.Get("work");
  const bool keep = !work.empty();
  if (work.empty()) {
    char tmpl[] = "/tmp/ringfence-load.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) Die("cannot make a temporary folder");
    work = tmpl;
  } else {
    mkdir(work.c_str(), 0755);
  }

  // 1-2. PKI and register.
  auto t = std::chrono::steady_clock::now();
  std::vector<std::string> codes;
  const std::string register_csv = SyntheticRegister(n, &codes);
  const Pki pki = MakePki(codes);
  const double pki_s = Seconds(std::chrono::steady_clock::now() - t);
  WriteOrDie(work + "/ca.pem", pki.ca.cert_pem);
  WriteOrDie(work + "/server.pem", pki.server.cert_pem);
  WriteOrDie(work + "/server.key", pki.server.key_pem, 0600);
  WriteOrDie(work + "/la_register.csv", register_csv);
  Progress(absl::StrCat(mode, " n=", n, ": PKI of ", n + 3, " certificates in ",
                        absl::StrFormat("%.2f", pki_s), " s; work folder ", work));

  // 4. The grids, built as a node builds them.
  t = std::chrono::steady_clock::now();
  const ringfence::policy::Policy policy =
      OrDie(ringfence::policy::LoadPolicyFile(flags.Get("policy")), "--policy");
  const std::string collection_id = absl::StrCat(year, "-annual");
  std::vector<v1::SubmitRequest> requests;
  requests.reserve(n);
  {
    crypto::OpenSslRandomSource rng;
    std::mt19937_64 gen(static_cast<uint64_t>(seed));
    for (int i = 0; i < n; ++i) {
      node::ProtectedGrid grid =
          OrDie(node::ProtectGrid(SyntheticExactGrid(gen), policy, rng), "ProtectGrid");
      v1::SubmitRequest req =
          OrDie(node::BuildSubmitRequest(codes[i], year, policy, grid), "BuildSubmitRequest");
      req.set_collection_id(collection_id);
      requests.push_back(std::move(req));
    }
  }
  const double prepare_s = Seconds(std::chrono::steady_clock::now() - t);
  const size_t request_bytes = requests[0].ByteSizeLong();
  for (const v1::SubmitRequest& r : requests) {
    if (r.ByteSizeLong() != request_bytes) Die("requests differ in size (egress shape broken)");
  }
  Progress(absl::StrCat(n, " protected grids of ", requests[0].cells_size(), " cells, ",
                        request_bytes, " bytes each, in ", absl::StrFormat("%.2f", prepare_s),
                        " s"));

  // 3. The server.
  const std::string port_file = work + "/port";
  std::vector<std::string> server_argv;
  if (echo) {
    server_argv = {bin + "/../bench/bench_echo_server",
                   "--listen",
                   "127.0.0.1:0",
                   "--cert",
                   work + "/server.pem",
                   "--key",
                   work + "/server.key",
                   "--ca",
                   work + "/ca.pem",
                   "--port-file",
                   port_file};
  } else {
    server_argv = {bin + "/ringfence-coordinator",
                   "--listen",
                   "127.0.0.1:0",
                   "--cert",
                   work + "/server.pem",
                   "--key",
                   work + "/server.key",
                   "--ca",
                   work + "/ca.pem",
                   "--db",
                   work + "/coordinator.db",
                   "--policy",
                   flags.Get("policy"),
                   "--port-file",
                   port_file,
                   "--la-register",
                   work + "/la_register.csv",
                   "--requests-per-second",
                   "1000",
                   "--request-burst",
                   "1000"};
  }
  if (flags.Has("server-prefix")) {
    std::vector<std::string> prefix =
        absl::StrSplit(flags.Get("server-prefix"), ' ', absl::SkipEmpty());
    if (prefix.empty() || prefix[0].empty() || prefix[0][0] != '/') {
      Die("--server-prefix: the first word must be an absolute path, e.g. /usr/bin/perf");
    }
    server_argv.insert(server_argv.begin(), prefix.begin(), prefix.end());
  }
  unlink(port_file.c_str());
  unlink((work + "/coordinator.db").c_str());
  Server server(server_argv, work + "/server.log");
  std::string port;
  for (int i = 0; i < 300 && port.empty(); ++i) {
    if (!server.running()) Die(absl::StrCat("server exited; see ", work, "/server.log"));
    port = std::string(absl::StripAsciiWhitespace(ReadOrEmpty(port_file)));
    if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (port.empty()) Die(absl::StrCat("server did not start in 30 s; see ", work, "/server.log"));
  const std::string target = "127.0.0.1:" + port;

  std::shared_ptr<grpc::Channel> op_channel =
      OwnChannel(target, crypto::MakeChannelCredentials(pki.op.tls));
  std::shared_ptr<grpc::Channel> analyst_channel =
      OwnChannel(target, crypto::MakeChannelCredentials(pki.analyst.tls));

  // 5. Open the collection.
  if (!echo) {
    v1::OpenCollectionRequest open;
    open.set_year(year);
    open.set_period(v1::ANNUAL);
    open.set_deadline_unix_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
    std::vector<std::string> sorted = codes;
    std::sort(sorted.begin(), sorted.end());
    for (const std::string& c : sorted) open.add_expected_la_codes(c);
    v1::Collection opened;
    grpc::Status s =
        v1::CollectionAdmin::NewStub(op_channel)->OpenCollection(Context().get(), open, &opened);
    if (!s.ok()) Die("OpenCollection: " + StatusText(s));
    if (opened.collection_id() != collection_id || opened.expected_la_codes_size() != n) {
      Die(absl::StrCat("OpenCollection answered ", opened.collection_id(), " expecting ",
                       opened.expected_la_codes_size(), " LAs"));
    }
  }

  // Credentials are made before the round: a node holds its own.
  std::vector<std::shared_ptr<grpc::ChannelCredentials>> creds;
  for (const Party& la : pki.las) creds.push_back(crypto::MakeChannelCredentials(la.tls));
  std::vector<std::string> echo_payloads;
  v1::SubmitResponse response_shape;  // the size of a typical SubmitResponse, for the echo
  response_shape.set_receipt(std::string(64, 'f'));
  response_shape.set_collection_id(collection_id);
  const uint32_t echo_response_bytes = static_cast<uint32_t>(response_shape.ByteSizeLong());
  if (echo) {
    for (const v1::SubmitRequest& r : requests) echo_payloads.push_back(r.SerializeAsString());
  }

  // 6. The round.
  const double server_cpu_before = CpuSeconds(server.pid());
  const double client_cpu_before = OwnCpuSeconds();
  std::vector<std::shared_ptr<grpc::Channel>> channels(n);
  std::vector<double> connect_ms(n, 0), submit_ms(n, 0);
  std::vector<std::string> failures(n);
  std::vector<size_t> response_bytes(n, 0);
  std::atomic<int> next{0};
  const auto round_start = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> pool;
    for (int w = 0; w < std::min(threads, n); ++w) {
      pool.emplace_back([&] {
        for (int i = next++; i < n; i = next++) {
          const auto c0 = std::chrono::steady_clock::now();
          channels[i] = OwnChannel(target, creds[i]);
          if (!channels[i]->WaitForConnected(std::chrono::system_clock::now() + kCallTimeout)) {
            failures[i] = "could not connect";
            continue;
          }
          const auto c1 = std::chrono::steady_clock::now();
          grpc::Status s;
          if (echo) {
            ringfence::bench::v1::EchoRequest req;
            req.set_payload(echo_payloads[i]);
            req.set_response_bytes(echo_response_bytes);
            ringfence::bench::v1::EchoResponse resp;
            s = ringfence::bench::v1::Echo::NewStub(channels[i])->Echo(Context().get(), req, &resp);
            response_bytes[i] = resp.ByteSizeLong();
          } else {
            v1::SubmitResponse resp;
            s = v1::Coordinator::NewStub(channels[i])->Submit(Context().get(), requests[i], &resp);
            response_bytes[i] = resp.ByteSizeLong();
            if (s.ok() && (resp.already_stored() || resp.late() || resp.receipt().empty())) {
              failures[i] = "unexpected answer: already_stored, late or no receipt";
            }
          }
          const auto c2 = std::chrono::steady_clock::now();
          if (!s.ok()) failures[i] = StatusText(s);
          connect_ms[i] = 1e3 * Seconds(c1 - c0);
          submit_ms[i] = 1e3 * Seconds(c2 - c1);
        }
      });
    }
    for (std::thread& th : pool) th.join();
  }
  const auto submitted_at = std::chrono::steady_clock::now();
  // The server's peak so far: every connection open and every submission stored, before the
  // release loads and combines them.
  const int64_t peak_rss_after_submits_kb = PeakRssKb(server.pid());
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    if (!failures[i].empty()) {
      if (failed++ < 5) Progress(absl::StrCat(codes[i], ": ", failures[i]));
    }
  }
  if (failed > 0) Die(absl::StrCat(failed, " of ", n, " submissions failed"));

  double close_s = 0, release_s = 0;
  size_t release_bytes = 0;
  int release_cells = 0;
  if (!echo) {
    v1::CloseCollectionRequest close;
    close.set_collection_id(collection_id);
    v1::Collection closed;
    grpc::Status s =
        v1::CollectionAdmin::NewStub(op_channel)->CloseCollection(Context().get(), close, &closed);
    if (!s.ok()) Die("CloseCollection: " + StatusText(s));
    if (closed.state() != v1::Collection::CLOSED) Die("CloseCollection: not CLOSED");
    const auto closed_at = std::chrono::steady_clock::now();
    close_s = Seconds(closed_at - submitted_at);
    v1::ReleaseRequest release;
    release.set_year(year);
    release.set_collection_id(collection_id);
    release.add_levels(v1::NATIONAL);
    v1::ReleaseResponse table;
    s = v1::Coordinator::NewStub(analyst_channel)->Release(Context().get(), release, &table);
    if (!s.ok()) Die("Release: " + StatusText(s));
    release_s = Seconds(std::chrono::steady_clock::now() - closed_at);
    release_bytes = table.ByteSizeLong();
    release_cells = table.cells_size();
    if (table.la_codes_size() != n) {
      Die(absl::StrCat("the release names ", table.la_codes_size(), " LAs, not ", n));
    }
    if (table.cells_size() == 0) Die("the release has no cells");
    for (const v1::ReleasedCell& c : table.cells()) {
      if (c.level() != v1::NATIONAL || c.contributing_las() != n) {
        Die(absl::StrCat("a released cell has level ", c.level(), " and ", c.contributing_las(),
                         " contributing LAs, not NATIONAL and ", n));
      }
    }
  }
  const auto round_end = std::chrono::steady_clock::now();
  const double server_cpu_after = CpuSeconds(server.pid());
  const double client_cpu_after = OwnCpuSeconds();
  const int64_t peak_rss_kb = PeakRssKb(server.pid());

  // 7. Checks after the round (untimed).
  if (!echo) {
    v1::GetCollectionStatusRequest get;
    get.set_collection_id(collection_id);
    v1::CollectionStatus status;
    grpc::Status s = v1::CollectionAdmin::NewStub(op_channel)
                         ->GetCollectionStatus(Context().get(), get, &status);
    if (!s.ok()) Die("GetCollectionStatus: " + StatusText(s));
    if (status.submitted() != n || status.las_size() != n) {
      Die(absl::StrCat("status: ", status.submitted(), " submitted of ", status.las_size(),
                       " expected, not ", n));
    }
  }
  channels.clear();
  const int server_exit = server.Stop();
  if (server_exit != 0 && !flags.Has("server-prefix")) {  // a wrapper may report the signal
    Die(absl::StrCat("the server exited with ", server_exit, " on SIGTERM; see ", work,
                     "/server.log"));
  }

  const double round_s = Seconds(round_end - round_start);
  const double submit_phase_s = Seconds(submitted_at - round_start);
  std::string json = absl::StrFormat(
      "{\"mode\": \"%s\", \"n\": %d, \"threads\": %d, \"label\": \"%s\", \"round_s\": %.4f, "
      "\"submit_phase_s\": %.4f, \"close_s\": %.4f, \"release_s\": %.4f, "
      "\"submissions_per_s\": %.1f, \"connect_ms_p50\": %.2f, \"connect_ms_p99\": %.2f, "
      "\"submit_ms_p50\": %.2f, \"submit_ms_p99\": %.2f, \"latency_ms_p50\": %.2f, "
      "\"latency_ms_p99\": %.2f, \"server_peak_rss_kb\": %d, "
      "\"server_peak_rss_after_submits_kb\": %d, \"server_cpu_round_s\": %.2f, "
      "\"server_cpu_total_s\": %.2f, \"client_cpu_round_s\": %.2f, \"request_bytes\": %d, "
      "\"response_bytes\": %d, \"release_bytes\": %d, \"release_cells\": %d, "
      "\"cells_per_request\": %d, \"pki_s\": %.2f, \"prepare_s\": %.2f}",
      mode, n, threads, flags.Get("label"), round_s, submit_phase_s, close_s, release_s,
      n / submit_phase_s, Percentile(connect_ms, 0.5), Percentile(connect_ms, 0.99),
      Percentile(submit_ms, 0.5), Percentile(submit_ms, 0.99),
      [&] {
        std::vector<double> total(n);
        for (int i = 0; i < n; ++i) total[i] = connect_ms[i] + submit_ms[i];
        return Percentile(total, 0.5);
      }(),
      [&] {
        std::vector<double> total(n);
        for (int i = 0; i < n; ++i) total[i] = connect_ms[i] + submit_ms[i];
        return Percentile(total, 0.99);
      }(),
      peak_rss_kb, peak_rss_after_submits_kb, server_cpu_after - server_cpu_before,
      server_cpu_after, client_cpu_after - client_cpu_before, static_cast<int>(request_bytes),
      static_cast<int>(response_bytes[0]), static_cast<int>(release_bytes), release_cells,
      requests[0].cells_size(), pki_s, prepare_s);
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
  if (!keep) {
    for (const char* f :
         {"/ca.pem", "/server.pem", "/server.key", "/la_register.csv", "/port", "/server.log",
          "/coordinator.db", "/coordinator.db-wal", "/coordinator.db-shm"}) {
      unlink((work + f).c_str());
    }
    rmdir(work.c_str());
  }
  return 0;
}
