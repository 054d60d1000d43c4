#include "node/serve.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "base/textproto.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "grpcpp/client_context.h"
#include "node/grid.h"
#include "node/ledger.h"
#include "node/loader.h"
#include "node/round.h"
#include "policy/firewall.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "proto/node_config.pb.h"

namespace ringfence::node {
namespace {

absl::Status FieldError(absl::string_view file, absl::string_view field,
                        absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", field, ": ", message));
}

// ---- the loop ---------------------------------------------------------------------------

// Records whether a round got as far as sending: a refusal before that was the node's own.
class SendTracker : public RoundHooks {
 public:
  void BeforeSend() override { reached_send_ = true; }
  bool reached_send() const { return reached_send_; }

 private:
  bool reached_send_ = false;
};

bool Retryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted;
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// A log line's value: bare when it is one simple token, else double-quoted with '"' and '\'
// escaped and control characters blanked, so one event is always one line.
std::string LogValue(absl::string_view v) {
  bool simple = !v.empty();
  for (char c : v) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == ':' || c == '/' || c == ',')) {
      simple = false;
    }
  }
  if (simple) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

struct Outcome {
  v1::NodeState state = v1::NODE_STATE_UNSPECIFIED;
  bool retryable = false;
};

class Server {
 public:
  Server(const ServeOptions& options, std::shared_ptr<grpc::Channel> channel,
         const WindowComputeFn& compute, crypto::RandomSource& rng, const StopFlag& stop,
         Backoff backoff)
      : options_(options),
        channel_(std::move(channel)),
        stub_(v1::Coordinator::NewStub(channel_)),
        compute_(compute),
        rng_(rng),
        stop_(stop),
        backoff_(std::move(backoff)) {}

  ServeResult Run() {
    ServeResult result;
    Log("start", {{"la", options_.la_code},
                  {"mode", options_.once ? "once" : "loop"},
                  {"poll_ms", absl::StrCat(absl::ToInt64Milliseconds(options_.poll_interval))}});
    int attempts = 0;
    while (true) {
      if (stop_.requested()) {
        result.stopped = true;
        break;
      }
      ++result.passes;
      ++attempts;
      const PassResult pass = Pass();
      if (pass.stopped) {
        result.stopped = true;
        break;
      }
      if (options_.once && (!pass.retryable || attempts >= options_.once_max_attempts)) {
        result.all_submitted = pass.all_submitted && !pass.retryable;
        Log("once_done", {{"listed", absl::StrCat(pass.listed)},
                          {"submitted", absl::StrCat(pass.submitted)},
                          {"all_submitted", result.all_submitted ? "true" : "false"}});
        return result;
      }
      absl::Duration wait;
      if (pass.retryable) {
        wait = backoff_.NextWait();
        Log("backoff", {{"failures", absl::StrCat(backoff_.failures())},
                        {"backoff_ms", absl::StrCat(absl::ToInt64Milliseconds(wait))}});
      } else {
        backoff_.Reset();
        wait = backoff_.PollWait(options_.poll_interval);
        Log("idle", {{"listed", absl::StrCat(pass.listed)},
                     {"submitted", absl::StrCat(pass.submitted)},
                     {"wait_ms", absl::StrCat(absl::ToInt64Milliseconds(wait))}});
      }
      if (!Wait(wait)) {
        result.stopped = true;
        break;
      }
    }
    Log("stopped", {{"passes", absl::StrCat(result.passes)}});
    return result;
  }

 private:
  struct PassResult {
    bool all_submitted = true;
    bool retryable = false;
    bool stopped = false;
    int listed = 0;
    int submitted = 0;
  };

  using Fields = std::vector<std::pair<std::string, std::string>>;

  void Log(absl::string_view event, const Fields& fields) const {
    const absl::Time now = options_.clock ? options_.clock() : absl::Now();
    std::string line =
        absl::StrCat("time=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()),
                     " event=", event);
    for (const auto& [k, v] : fields) absl::StrAppend(&line, " ", k, "=", LogValue(v));
    if (options_.log) {
      options_.log(line);
    } else {
      std::cerr << line << "\n" << std::flush;
    }
  }

  bool Wait(absl::Duration d) const {
    if (options_.wait) return options_.wait(d) && !stop_.requested();
    return stop_.WaitFor(d);
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
    return ctx;
  }

  absl::StatusOr<std::vector<v1::Collection>> List() {
    auto ctx = Context();
    v1::ListCollectionsRequest request;
    v1::ListCollectionsResponse response;
    const grpc::Status s = stub_->ListCollections(ctx.get(), request, &response);
    if (!s.ok()) return FromGrpc(s);
    return std::vector<v1::Collection>(response.collections().begin(),
                                       response.collections().end());
  }

  // Best effort: the state is for the operator's status view; a failure is logged only.
  void Report(const std::string& collection_id, v1::NodeState state) {
    auto ctx = Context();
    v1::ReportStateRequest request;
    request.set_collection_id(collection_id);
    request.set_state(state);
    v1::ReportStateResponse response;
    const grpc::Status s = stub_->ReportState(ctx.get(), request, &response);
    if (!s.ok()) {
      Log("report_failed", {{"collection", collection_id},
                            {"state", v1::NodeState_Name(state)},
                            {"code", absl::StatusCodeToString(FromGrpc(s).code())}});
    }
  }

  PassResult Pass() {
    PassResult pass;
    auto listed = List();
    if (!listed.ok()) {
      pass.all_submitted = false;
      pass.retryable = Retryable(listed.status().code());
      Log("list_failed", {{"code", absl::StatusCodeToString(listed.status().code())},
                          {"message", std::string(listed.status().message())}});
      return pass;
    }
    pass.listed = static_cast<int>(listed->size());
    for (const v1::Collection& c : *listed) {
      if (stop_.requested()) {
        pass.stopped = true;
        pass.all_submitted = false;
        return pass;
      }
      const Outcome outcome = Collection(c);
      if (outcome.state == v1::SUBMITTED) {
        ++pass.submitted;
        continue;
      }
      pass.all_submitted = false;
      if (outcome.retryable) {
        pass.retryable = true;
        return pass;  // the coordinator or the ledger is unavailable: back off, then resume
      }
    }
    return pass;
  }

  Outcome Collection(const v1::Collection& c) {
    const std::string& id = c.collection_id();
    absl::StatusOr<CollectionYear> window = ParseCollectionId(id);
    if (!window.ok() || window->year != c.year()) {
      Log("bad_collection", {{"collection", id}, {"state", "NODE_FAILED"}});
      Report(id, v1::NODE_FAILED);
      return {v1::NODE_FAILED, false};
    }
    if (budget_refused_.count(id) > 0) {
      Log("skipped", {{"collection", id},
                      {"state", "BUDGET_EXHAUSTED"},
                      {"reason", "budget refused earlier; not retried until restart"}});
      return {v1::BUDGET_EXHAUSTED, false};
    }
    RoundKey key;
    key.la_code = options_.la_code;
    key.year = window->year;
    key.period = window->window;
    key.catalogue_version = catalogue::kCatalogueVersion;
    {
      absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options_.ledger_path);
      absl::StatusOr<std::optional<CachedRound>> cached =
          ledger.ok() ? (*ledger)->Find(key)
                      : absl::StatusOr<std::optional<CachedRound>>(ledger.status());
      if (!cached.ok()) {
        const bool retry = cached.status().code() == absl::StatusCode::kUnavailable;
        Log("ledger_failed", {{"collection", id},
                              {"state", retry ? "RETRYING" : "NODE_FAILED"},
                              {"code", absl::StatusCodeToString(cached.status().code())},
                              {"message", std::string(cached.status().message())}});
        Report(id, retry ? v1::RETRYING : v1::NODE_FAILED);
        return {retry ? v1::RETRYING : v1::NODE_FAILED, retry};
      }
      if (cached->has_value() && (*cached)->sent() && !(*cached)->receipt.empty()) {
        if (announced_sent_.insert(id).second) {
          Log("already_submitted", {{"collection", id}, {"state", "SUBMITTED"}});
        }
        return {v1::SUBMITTED, false};
      }
    }

    Report(id, v1::COMPUTING);
    Log("round_start", {{"collection", id}, {"state", "COMPUTING"}});
    SubmitRoundOptions round;
    round.la_code = options_.la_code;
    round.year = window->year;
    round.period = window->window;
    round.policy = options_.policy;
    round.ledger_path = options_.ledger_path;
    round.timeout = options_.rpc_timeout;
    DataErrorCounts errors;
    bool compute_failed = false;
    const CollectionYear w = *window;
    SendTracker tracker;
    absl::StatusOr<SubmitRoundResult> result = RunSubmitRound(
        round,
        [&]() -> absl::StatusOr<std::vector<int64_t>> {
          absl::StatusOr<std::vector<int64_t>> grid = compute_(w, &errors);
          if (!grid.ok()) compute_failed = true;
          return grid;
        },
        rng_, channel_, &tracker);

    if (result.ok()) {
      Report(id, v1::SUBMITTED);
      Log("submitted", {{"collection", id},
                        {"state", "SUBMITTED"},
                        {"cells", absl::StrCat(result->request.cells_size())},
                        {"resent", result->resent ? "true" : "false"},
                        {"already_stored", result->response.already_stored() ? "true" : "false"},
                        {"late", result->response.late() ? "true" : "false"},
                        {"spent", FormatRho(result->year.spent)},
                        {"budget", FormatRho(result->year.budget)}});
      return {v1::SUBMITTED, false};
    }
    const absl::Status& s = result.status();
    const std::string code(absl::StatusCodeToString(s.code()));
    if (compute_failed) {
      // The status message quotes the LA's rows: only counts leave this function.
      const bool data =
          s.code() == absl::StatusCode::kInvalidArgument || s.code() == absl::StatusCode::kNotFound;
      const v1::NodeState state = data ? v1::DATA_ERRORS : v1::NODE_FAILED;
      Fields f = {{"collection", id}, {"state", v1::NodeState_Name(state)}, {"code", code}};
      if (data) {
        for (policy::DataErrorClass cls : policy::AllDataErrorClasses()) {
          const int64_t n = errors.by_class[static_cast<int>(cls)];
          if (n > 0)
            f.emplace_back(absl::StrCat("errors_", policy::DataErrorClassName(cls)),
                           absl::StrCat(n));
        }
        f.emplace_back("errors", absl::StrCat(errors.total(), errors.truncated ? "+" : ""));
        f.emplace_back(
            "hint", absl::StrCat("run `ringfence-node validate --data DIR --la ", options_.la_code,
                                 " --year ", w.year, "` on the LA's own terminal to see them"));
      }
      Log("round_failed", f);
      Report(id, state);
      return {state, false};
    }
    Outcome outcome;
    if (!tracker.reached_send()) {
      // Refused by the node itself: nothing was sent.
      switch (s.code()) {
        case absl::StatusCode::kResourceExhausted:
          outcome = {v1::BUDGET_EXHAUSTED, false};
          budget_refused_.insert(id);
          break;
        case absl::StatusCode::kFailedPrecondition:
          outcome = {v1::POLICY_MISMATCH, false};
          break;
        case absl::StatusCode::kUnavailable:  // ledger busy, disk full...
          outcome = {v1::RETRYING, true};
          break;
        default:
          outcome = {v1::NODE_FAILED, false};
      }
    } else if (Retryable(s.code())) {
      outcome = {v1::RETRYING, true};
    } else if (s.code() == absl::StatusCode::kFailedPrecondition &&
               absl::StrContains(s.message(), "polic")) {
      outcome = {v1::POLICY_MISMATCH, false};
    } else {
      outcome = {v1::NODE_FAILED, false};  // refused by the coordinator: next poll
    }
    Log("round_failed", {{"collection", id},
                         {"state", v1::NodeState_Name(outcome.state)},
                         {"code", code},
                         {"sent", tracker.reached_send() ? "attempted" : "no"},
                         {"message", std::string(s.message())}});
    Report(id, outcome.state);
    return outcome;
  }

  const ServeOptions& options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
  const WindowComputeFn& compute_;
  crypto::RandomSource& rng_;
  const StopFlag& stop_;
  Backoff backoff_;
  std::set<std::string> budget_refused_;
  std::set<std::string> announced_sent_;
};

}  // namespace

absl::StatusOr<ServeConfig> ParseServeConfig(absl::string_view text, absl::string_view file) {
  v1::NodeConfig proto;
  RINGFENCE_RETURN_IF_ERROR(base::ParseTextprotoStrictly(text, file, &proto));
  ServeConfig c;
  c.file = std::string(file);
  const std::pair<const char*, const std::string*> required[] = {
      {"la_code", &proto.la_code()},         {"coordinator", &proto.coordinator()},
      {"ca_file", &proto.ca_file()},         {"cert_file", &proto.cert_file()},
      {"key_file", &proto.key_file()},       {"data_dir", &proto.data_dir()},
      {"policy_file", &proto.policy_file()}, {"ledger_file", &proto.ledger_file()}};
  for (const auto& [name, value] : required) {
    if (value->empty()) return FieldError(file, name, "is missing; it is required");
  }
  if (catalogue::FindLocalAuthority(proto.la_code()) == nullptr) {
    return FieldError(
        file, "la_code",
        absl::StrCat("'", proto.la_code(), "' is not a known LA code (expected e.g. E09000033)"));
  }
  c.la_code = proto.la_code();
  c.coordinator = proto.coordinator();
  c.ca_file = proto.ca_file();
  c.cert_file = proto.cert_file();
  c.key_file = proto.key_file();
  c.data_dir = proto.data_dir();
  c.postcodes_file = proto.postcodes_file();
  c.policy_file = proto.policy_file();
  c.ledger_file = proto.ledger_file();
  if (proto.poll_interval_seconds() != 0)
    c.poll_interval = absl::Seconds(proto.poll_interval_seconds());
  if (proto.backoff_initial_seconds() != 0) {
    c.backoff_initial = absl::Seconds(proto.backoff_initial_seconds());
  }
  if (proto.backoff_max_seconds() != 0) c.backoff_max = absl::Seconds(proto.backoff_max_seconds());
  if (proto.rpc_timeout_seconds() != 0) c.rpc_timeout = absl::Seconds(proto.rpc_timeout_seconds());
  if (proto.max_errors() != 0) {
    if (proto.max_errors() > 100000) {
      return FieldError(file, "max_errors", "must be at most 100000");
    }
    c.max_errors = static_cast<int>(proto.max_errors());
  }
  const std::pair<const char*, uint32_t> bounded[] = {
      {"poll_interval_seconds", proto.poll_interval_seconds()},
      {"backoff_initial_seconds", proto.backoff_initial_seconds()},
      {"backoff_max_seconds", proto.backoff_max_seconds()},
      {"rpc_timeout_seconds", proto.rpc_timeout_seconds()}};
  for (const auto& [name, value] : bounded) {
    if (value > 86400) return FieldError(file, name, "must be at most 86400 (a day)");
  }
  if (c.backoff_initial > c.backoff_max) {
    return FieldError(file, "backoff_initial_seconds",
                      absl::StrCat("(", absl::ToInt64Seconds(c.backoff_initial),
                                   ") is more than backoff_max_seconds (",
                                   absl::ToInt64Seconds(c.backoff_max), ")"));
  }
  return c;
}

absl::StatusOr<ServeConfig> LoadServeConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the config file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat(path, ": read error"));
  return ParseServeConfig(text.str(), path);
}

std::string DataDirForYear(absl::string_view pattern, int year) {
  return absl::StrReplaceAll(pattern, {{"{year}", absl::StrCat(year)}});
}

int64_t DataErrorCounts::total() const {
  int64_t n = 0;
  for (int64_t c : by_class) n += c;
  return n;
}

WindowComputeFn MakeFolderCompute(const ServeConfig& config, const policy::Policy& policy) {
  return [config, quarantinable = policy.quarantinable](
             const CollectionYear& window,
             DataErrorCounts* errors) -> absl::StatusOr<std::vector<int64_t>> {
    LoadOptions opts;
    opts.dir = DataDirForYear(config.data_dir, window.year);
    opts.la_code = config.la_code;
    opts.year = window.year;
    opts.max_errors = config.max_errors;
    opts.postcodes_path = config.postcodes_file;
    opts.quarantinable = quarantinable;
    ValidationReport report;
    QuarantineReport quarantine;
    absl::StatusOr<LaData> data = LoadLaFolder(opts, &report, &quarantine);
    if (!data.ok()) {
      for (const ValidationError& e : report.errors) {
        ++errors->by_class[static_cast<int>(e.error_class)];
      }
      errors->truncated = report.truncated;
      return data.status();
    }
    absl::StatusOr<std::vector<int64_t>> grid = ComputeExactGrid(*data, window);
    if (!grid.ok() && grid.status().code() == absl::StatusCode::kInvalidArgument) {
      // On validated data the only such error is two open episodes of a child tying on DECOM
      // at the window's end (the loader checks ties only at 31 March).
      ++errors->by_class[static_cast<int>(policy::DataErrorClass::kInconsistentEpisode)];
    }
    return grid;
  };
}

bool StopFlag::WaitFor(absl::Duration d) const {
  const absl::Time end = absl::Now() + d;
  while (!requested()) {
    const absl::Duration left = end - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, absl::Milliseconds(50)));
  }
  return false;
}

absl::StatusOr<ServeResult> RunServe(const ServeOptions& options,
                                     std::shared_ptr<grpc::Channel> channel,
                                     const WindowComputeFn& compute, crypto::RandomSource& rng,
                                     const StopFlag& stop) {
  const std::vector<policy::Violation> violations = policy::CheckFirewall(options.policy);
  if (options.policy.digest.empty() || !violations.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "policy '", options.policy.name, "' ",
        violations.empty()
            ? "has no digest (not loaded from a file)"
            : absl::StrCat("fails the firewall check (", violations.front().ToString(), ")"),
        "; serve does nothing"));
  }
  RINGFENCE_ASSIGN_OR_RETURN(Backoff backoff,
                             Backoff::Create(options.backoff_initial, options.backoff_max,
                                             options.uniform, options.clock));
  if (options.once_max_attempts < 1) {
    return absl::InvalidArgumentError("once_max_attempts must be at least 1");
  }
  Server server(options, std::move(channel), compute, rng, stop, std::move(backoff));
  return server.Run();
}

}  // namespace ringfence::node
