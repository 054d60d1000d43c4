#include "tools/collection_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/cli.h"
#include "base/csv.h"
#include "base/grpc_status.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"
#include "grpcpp/create_channel.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tools/collection_id.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

using ::ringfence::v1::Collection;
using ::ringfence::v1::CollectionStatus;
using ::ringfence::v1::LaCollectionStatus;

constexpr char kProgram[] = "ringfence collection";

std::vector<base::FlagSpec> WithConnectionFlags(std::vector<base::FlagSpec> flags) {
  const std::vector<base::FlagSpec> connection = {
      {"coordinator", "HOST:PORT", "coordinator address", true, ""},
      {"cert", "FILE", "operator certificate (PEM, urn:ringfence:operator:<name>)", true, ""},
      {"key", "FILE", "its private key (PEM)", true, ""},
      {"ca", "FILE", "CA certificate the coordinator's certificate chains to (PEM)", true, ""},
      {"timeout-seconds", "N", "deadline of each call to the coordinator", false, "30"},
  };
  flags.insert(flags.begin(), connection.begin(), connection.end());
  return flags;
}

constexpr char kConnectionUsage[] = "--coordinator HOST:PORT --cert FILE --key FILE --ca FILE";

base::CommandSpec OpenSpec() {
  return {
      absl::StrCat("ringfence collection open ", kConnectionUsage,
                   " --year YYYY --period annual|half-year|quarterly [--period-start "
                   "YYYY-MM-DD --period-end YYYY-MM-DD] --deadline RFC3339 (--expect "
                   "LA,... | --expect-file FILE | --expect-all)"),
      "Opens a collection: from then on the expected LAs' nodes may submit to it. Every "
      "period lies inside collection year Y (01/04/(Y-1) to 31/03/Y) and has fixed windows: "
      "half-year Y-h1 01/04-30/09/(Y-1), Y-h2 01/10/(Y-1)-31/03/Y; quarterly Y-q1 .. Y-q4 "
      "from 01/04/(Y-1). Submissions after the deadline are accepted but marked late until "
      "the collection is closed. Opening the same collection again with the same "
      "parameters is harmless. Prints the collection.",
      WithConnectionFlags({
          {"year", "YYYY", "collection year (the year ending 31 March YYYY)", true, ""},
          {"period", "PERIOD", "annual, half-year or quarterly", true, ""},
          {"period-start", "YYYY-MM-DD",
           "first day of the window (required unless --period annual)", false, ""},
          {"period-end", "YYYY-MM-DD", "last day of the window (required unless --period annual)",
           false, ""},
          {"deadline", "RFC3339", "submission deadline, e.g. 2025-06-30T17:00:00Z", true, ""},
          {"expect", "LA,...", "the LAs expected to submit (ONS codes, comma list)", false, ""},
          {"expect-file", "FILE", "the expected LAs, one code per line, '#' comments", false, ""},
          {"expect-all", "", "expect all 153 LAs of England", false, ""},
      })};
}

base::CommandSpec CloseSpec() {
  return {absl::StrCat("ringfence collection close ", kConnectionUsage, " --collection ID"),
          "Closes a collection: it becomes final. Every later submission to it is refused, and "
          "it may be released. Closing a closed collection changes nothing. Prints the "
          "collection.",
          WithConnectionFlags({
              {"collection", "ID", "e.g. 2025-annual, 2025-q3", true, ""},
          })};
}

base::CommandSpec StatusSpec() {
  return {absl::StrCat("ringfence collection status ", kConnectionUsage,
                       " --collection ID [--wait [--poll-seconds N]]"),
          "Prints, per expected LA, whether it has submitted (and when, and whether late), "
          "the coordinator's latest refusal of its submission, and its node's reported state; "
          "then a summary line. With --wait, prints a progress line on every poll until every "
          "expected LA has submitted (exit 0) or the deadline passes or the collection is "
          "closed with some LA missing (exit 1), then the table.",
          WithConnectionFlags({
              {"collection", "ID", "e.g. 2025-annual, 2025-q3", true, ""},
              {"wait", "", "poll until every LA has submitted or the deadline passes", false, ""},
              {"poll-seconds", "N", "seconds between polls with --wait", false, "10"},
          })};
}

base::CommandSpec ListSpec() {
  return {absl::StrCat("ringfence collection list ", kConnectionUsage),
          "Lists every collection the coordinator knows, open and closed.",
          WithConnectionFlags({})};
}

void PrintHelp() {
  std::printf(
      "usage: ringfence collection <open|close|status|list> [flags]\n\n"
      "  open    open a collection for a year and period, with its deadline and expected LAs\n"
      "  close   close a collection: it becomes final and may be released\n"
      "  status  per-LA progress of a collection (--wait: until all submitted or the deadline)\n"
      "  list    every collection\n\n"
      "Every subcommand authenticates with an operator certificate. Run 'ringfence collection "
      "<subcommand> --help' for its flags.\n");
}

int Fail(absl::string_view subcommand, int code, absl::string_view message) {
  std::fprintf(stderr, "%s %s: %s\n", kProgram, std::string(subcommand).c_str(),
               std::string(message).c_str());
  return code;
}

// Text from the coordinator, made safe for a terminal.
std::string Printable(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

std::string UtcMinute(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

std::string UtcSecond(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

absl::StatusOr<std::string> ParseDate(absl::string_view flag, absl::string_view text) {
  absl::Time t;
  std::string err;
  if (text.size() != 10 ||
      !absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &t, &err) ||
      absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": '", text, "' is not a date YYYY-MM-DD"));
  }
  return std::string(text);
}

absl::StatusOr<ringfence::v1::Period> ParsePeriod(absl::string_view text) {
  if (text == "annual") return ringfence::v1::ANNUAL;
  if (text == "half-year") return ringfence::v1::HALF_YEAR;
  if (text == "quarterly") return ringfence::v1::QUARTERLY;
  return absl::InvalidArgumentError(
      absl::StrCat("--period: '", text, "' is not annual, half-year or quarterly"));
}

// The windows of a period in year Y, for the message that asks for one.
std::string WindowsOf(ringfence::v1::Period period, int year) {
  const std::string a = absl::StrCat(year - 1), b = absl::StrCat(year);
  if (period == ringfence::v1::HALF_YEAR) {
    return absl::StrCat(year, "-h1 ", a, "-04-01..", a, "-09-30, ", year, "-h2 ", a, "-10-01..", b,
                        "-03-31");
  }
  return absl::StrCat(year, "-q1 ", a, "-04-01..", a, "-06-30, ", year, "-q2 ", a, "-07-01..", a,
                      "-09-30, ", year, "-q3 ", a, "-10-01..", a, "-12-31, ", year, "-q4 ", b,
                      "-01-01..", b, "-03-31");
}

// Checks one expected code; `where` prefixes the message ("--expect" or "FILE:LINE").
absl::Status AddExpected(absl::string_view where, absl::string_view code,
                         std::set<std::string>* seen, std::vector<std::string>* out) {
  if (catalogue::FindLocalAuthority(code) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": '", code, "' is not the ONS code of one of the 153 LAs (e.g. E09000033)"));
  }
  if (!seen->insert(std::string(code)).second) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", code, " is repeated"));
  }
  out->push_back(std::string(code));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ExpectedFromFlags(const base::ParsedFlags& flags) {
  const int given = flags.Has("expect") + flags.Has("expect-file") + flags.Has("expect-all");
  if (given != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --expect LA,..., --expect-file FILE or --expect-all");
  }
  std::vector<std::string> out;
  if (flags.Has("expect-all")) {
    for (const catalogue::LocalAuthority& la : catalogue::AllLocalAuthorities()) {
      out.push_back(la.new_la_code);
    }
  } else if (flags.Has("expect-file")) {
    const std::string path = flags.Get("expect-file");
    std::string text;
    if (absl::Status s = base::ReadFileToString(path, &text); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("--expect-file: ", s.message()));
    }
    absl::StatusOr<std::vector<std::string>> codes = ParseExpectFile(text, path);
    if (!codes.ok()) return codes.status();
    out = *std::move(codes);
  } else {
    std::set<std::string> seen;
    for (absl::string_view item : absl::StrSplit(flags.Get("expect"), ',')) {
      item = absl::StripAsciiWhitespace(item);
      if (item.empty()) {
        return absl::InvalidArgumentError("--expect: an empty LA code in the list");
      }
      if (absl::Status s = AddExpected("--expect", item, &seen, &out); !s.ok()) return s;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<ringfence::v1::OpenCollectionRequest> OpenRequestFromFlags(
    const base::ParsedFlags& flags) {
  ringfence::v1::OpenCollectionRequest request;
  absl::StatusOr<int64_t> year = flags.GetInt("year", catalogue::kFirstYear, catalogue::kLastYear);
  if (!year.ok()) return year.status();
  request.set_year(static_cast<int>(*year));
  absl::StatusOr<ringfence::v1::Period> period = ParsePeriod(flags.Get("period"));
  if (!period.ok()) return period.status();
  request.set_period(*period);
  const bool has_start = flags.Has("period-start"), has_end = flags.Has("period-end");
  if (*period != ringfence::v1::ANNUAL && !(has_start && has_end)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--period-start and --period-end are required for --period ", flags.Get("period"),
        ": the window's first and last day, one of ", WindowsOf(*period, request.year())));
  }
  if (has_start != has_end) {
    return absl::InvalidArgumentError("give both --period-start and --period-end, or neither");
  }
  if (has_start) {
    absl::StatusOr<std::string> start = ParseDate("period-start", flags.Get("period-start"));
    if (!start.ok()) return start.status();
    absl::StatusOr<std::string> end = ParseDate("period-end", flags.Get("period-end"));
    if (!end.ok()) return end.status();
    request.set_period_start(*start);
    request.set_period_end(*end);
  }
  absl::StatusOr<int64_t> deadline = ParseRfc3339(flags.Get("deadline"));
  if (!deadline.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--deadline: ", deadline.status().message()));
  }
  request.set_deadline_unix_seconds(*deadline);
  absl::StatusOr<std::vector<std::string>> expected = ExpectedFromFlags(flags);
  if (!expected.ok()) return expected.status();
  for (const std::string& code : *expected) request.add_expected_la_codes(code);
  return request;
}

std::string StateName(Collection::State state) {
  switch (state) {
    case Collection::OPEN:
      return "open";
    case Collection::CLOSED:
      return "closed";
    default:
      return "unknown state";
  }
}

std::string PeriodName(ringfence::v1::Period period) {
  switch (period) {
    case ringfence::v1::ANNUAL:
      return "annual";
    case ringfence::v1::HALF_YEAR:
      return "half-year";
    case ringfence::v1::QUARTERLY:
      return "quarterly";
    default:
      return "unknown period";
  }
}

std::string LaStateName(LaCollectionStatus::State state) {
  switch (state) {
    case LaCollectionStatus::NOT_STARTED:
      return "not started";
    case LaCollectionStatus::SUBMITTED:
      return "submitted";
    case LaCollectionStatus::REFUSED:
      return "refused";
    case LaCollectionStatus::LATE:
      return "missing (late)";
    default:
      return "unknown";
  }
}

std::string NodeStateName(ringfence::v1::NodeState state) {
  if (state == ringfence::v1::NODE_STATE_UNSPECIFIED) return "-";
  std::string name = ringfence::v1::NodeState_Name(state);
  if (name.empty()) return absl::StrCat("unknown (", static_cast<int>(state), ")");
  name = absl::AsciiStrToLower(name);
  std::replace(name.begin(), name.end(), '_', ' ');
  return name;
}

// Pads each column of `rows` to its widest cell; the last column is not padded.
std::string Columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

struct Client {
  std::string target;
  std::unique_ptr<ringfence::v1::CollectionAdmin::Stub> admin;
  std::unique_ptr<ringfence::v1::Coordinator::Stub> coordinator;
  int64_t timeout_seconds = 30;
};

// Connects with the flags' certificate; returns an exit code to stop with (2 for a bad
// --timeout-seconds, 1 for unreadable key material), or nullopt.
std::optional<int> Connect(absl::string_view subcommand, const base::ParsedFlags& flags,
                           Client* client) {
  absl::StatusOr<int64_t> timeout = flags.GetInt("timeout-seconds", 1, 3600);
  if (!timeout.ok()) return Fail(subcommand, 2, timeout.status().message());
  client->timeout_seconds = *timeout;
  client->target = flags.Get("coordinator");
  absl::StatusOr<crypto::TlsMaterial> material =
      crypto::LoadTlsMaterial(flags.Get("ca"), flags.Get("cert"), flags.Get("key"));
  if (!material.ok()) return Fail(subcommand, 1, material.status().message());
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(client->target, crypto::MakeChannelCredentials(*material));
  crypto::ClearSecret(&material->key_pem);
  client->admin = ringfence::v1::CollectionAdmin::NewStub(channel);
  client->coordinator = ringfence::v1::Coordinator::NewStub(channel);
  return std::nullopt;
}

void SetDeadline(const Client& client, grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(client.timeout_seconds));
}

// "<what> at HOST:PORT failed: CODE: message", with a hint for the usual causes.
std::string RpcFailure(absl::string_view what, const Client& client, const grpc::Status& rpc) {
  const absl::Status status = base::FromGrpcStatus(rpc);
  std::string hint;
  if (status.code() == absl::StatusCode::kUnavailable) {
    hint =
        " (is the coordinator running there, and were --cert, --key and --ca issued by the "
        "coordinator's CA?)";
  } else if (status.code() == absl::StatusCode::kPermissionDenied) {
    hint = " (collections are administered with an operator certificate)";
  } else if (status.code() == absl::StatusCode::kUnimplemented) {
    hint = " (the coordinator there does not serve collections; is it an older version?)";
  }
  return absl::StrCat(what, " at ", client.target,
                      " failed: ", absl::StatusCodeToString(status.code()),
                      status.message().empty() ? "" : ": ", Printable(status.message()), hint);
}

// Parses flags common to the subcommands; returns an exit code to stop with, or nullopt.
std::optional<int> Parse(absl::string_view subcommand, const base::CommandSpec& spec,
                         const std::vector<std::string>& args, base::ParsedFlags* flags) {
  return base::ParseFlagsOrExit(absl::StrCat(kProgram, " ", subcommand), spec, args, flags);
}

absl::StatusOr<std::string> CollectionFlag(const base::ParsedFlags& flags) {
  const std::string id = flags.Get("collection");
  absl::StatusOr<CollectionId> parsed = ParseCollectionId(id);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--collection: ", parsed.status().message()));
  }
  return id;
}

int RunOpen(const std::vector<std::string>& args) {
  const base::CommandSpec spec = OpenSpec();
  base::ParsedFlags flags;
  if (auto rc = Parse("open", spec, args, &flags)) return *rc;
  absl::StatusOr<ringfence::v1::OpenCollectionRequest> request = OpenRequestFromFlags(flags);
  if (!request.ok()) {
    return Fail("open", request.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1,
                request.status().message());
  }
  Client client;
  if (auto rc = Connect("open", flags, &client)) return *rc;
  grpc::ClientContext context;
  SetDeadline(client, &context);
  Collection collection;
  const grpc::Status rpc = client.admin->OpenCollection(&context, *request, &collection);
  if (!rpc.ok()) {
    return Fail("open", 1,
                RpcFailure(absl::StrCat("opening the ", request->year(), " ",
                                        PeriodName(request->period()), " collection"),
                           client, rpc));
  }
  std::printf("%s", FormatCollection(collection).c_str());
  return 0;
}

int RunClose(const std::vector<std::string>& args) {
  const base::CommandSpec spec = CloseSpec();
  base::ParsedFlags flags;
  if (auto rc = Parse("close", spec, args, &flags)) return *rc;
  absl::StatusOr<std::string> id = CollectionFlag(flags);
  if (!id.ok()) return Fail("close", 2, id.status().message());
  Client client;
  if (auto rc = Connect("close", flags, &client)) return *rc;
  grpc::ClientContext context;
  SetDeadline(client, &context);
  ringfence::v1::CloseCollectionRequest request;
  request.set_collection_id(*id);
  Collection collection;
  const grpc::Status rpc = client.admin->CloseCollection(&context, request, &collection);
  if (!rpc.ok()) {
    return Fail("close", 1, RpcFailure(absl::StrCat("closing ", *id), client, rpc));
  }
  std::printf("%s", FormatCollection(collection).c_str());
  return 0;
}

int RunStatus(const std::vector<std::string>& args) {
  const base::CommandSpec spec = StatusSpec();
  base::ParsedFlags flags;
  if (auto rc = Parse("status", spec, args, &flags)) return *rc;
  absl::StatusOr<std::string> id = CollectionFlag(flags);
  if (!id.ok()) return Fail("status", 2, id.status().message());
  const bool wait = flags.Has("wait");
  if (flags.Has("poll-seconds") && !wait) {
    return Fail("status", 2, "--poll-seconds is only meaningful with --wait");
  }
  absl::StatusOr<int64_t> poll = flags.GetInt("poll-seconds", 1, 3600);
  if (!poll.ok()) return Fail("status", 2, poll.status().message());
  Client client;
  if (auto rc = Connect("status", flags, &client)) return *rc;
  ringfence::v1::GetCollectionStatusRequest request;
  request.set_collection_id(*id);
  // The deadline from the last status fetched; -1 before the first.
  int64_t known_deadline = -1;
  while (true) {
    grpc::ClientContext context;
    SetDeadline(client, &context);
    CollectionStatus status;
    const grpc::Status rpc = client.admin->GetCollectionStatus(&context, request, &status);
    if (!rpc.ok()) {
      // While waiting, a coordinator that answered once and is briefly unreachable is waited
      // for too, up to the deadline it gave (by this machine's clock). A first call that fails
      // is an error: most likely a wrong address or certificate.
      if (wait && known_deadline >= 0 && absl::ToUnixSeconds(absl::Now()) < known_deadline &&
          (rpc.error_code() == grpc::StatusCode::UNAVAILABLE ||
           rpc.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)) {
        std::printf("%s  %s; retrying in %llds\n",
                    UtcSecond(absl::ToUnixSeconds(absl::Now())).c_str(),
                    RpcFailure("status", client, rpc).c_str(), static_cast<long long>(*poll));
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(*poll));
        continue;
      }
      return Fail("status", 1, RpcFailure(absl::StrCat("status of ", *id), client, rpc));
    }
    if (!wait) {
      std::printf("%s", FormatCollectionStatus(status).c_str());
      return 0;
    }
    const int64_t now = status.now_unix_seconds() > 0 ? status.now_unix_seconds()
                                                      : absl::ToUnixSeconds(absl::Now());
    known_deadline = status.collection().deadline_unix_seconds();
    std::printf("%s  %s\n", UtcSecond(now).c_str(), CollectionSummaryLine(status).c_str());
    std::fflush(stdout);
    if (AllSubmitted(status)) {
      std::printf("%s", FormatCollectionStatus(status).c_str());
      return 0;
    }
    const bool closed = status.collection().state() == Collection::CLOSED;
    if (closed || now >= status.collection().deadline_unix_seconds()) {
      std::printf("%s", FormatCollectionStatus(status).c_str());
      return Fail("status", 1,
                  absl::StrCat(*id, closed ? " is closed" : ": the deadline has passed",
                               " and not every expected LA has submitted"));
    }
    std::this_thread::sleep_for(std::chrono::seconds(*poll));
  }
}

int RunList(const std::vector<std::string>& args) {
  const base::CommandSpec spec = ListSpec();
  base::ParsedFlags flags;
  if (auto rc = Parse("list", spec, args, &flags)) return *rc;
  Client client;
  if (auto rc = Connect("list", flags, &client)) return *rc;
  grpc::ClientContext context;
  SetDeadline(client, &context);
  ringfence::v1::ListCollectionsResponse response;
  const grpc::Status rpc = client.coordinator->ListCollections(
      &context, ringfence::v1::ListCollectionsRequest(), &response);
  if (!rpc.ok()) return Fail("list", 1, RpcFailure("listing collections", client, rpc));
  std::printf("%s", FormatCollectionList(std::vector<Collection>(response.collections().begin(),
                                                                 response.collections().end()))
                        .c_str());
  return 0;
}

}  // namespace

absl::StatusOr<int64_t> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not an RFC 3339 time such as 2025-06-30T17:00:00Z (", err, ")"));
  }
  return absl::ToUnixSeconds(t);
}

absl::StatusOr<std::vector<std::string>> ParseExpectFile(absl::string_view text,
                                                         absl::string_view file_name) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::string where = absl::StrCat(file_name, ":", line_number);
    if (line.find_first_of(" \t,") != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": one LA code per line, found '", line, "'"));
    }
    if (absl::Status s = AddExpected(where, line, &seen, &out); !s.ok()) return s;
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": no LA code in the file"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<ringfence::v1::OpenCollectionRequest> OpenRequestFromArgs(
    const std::vector<std::string>& args) {
  absl::StatusOr<base::ParsedFlags> flags = base::ParseFlags(OpenSpec(), args);
  if (!flags.ok()) return flags.status();
  return OpenRequestFromFlags(*flags);
}

std::string FormatCollection(const Collection& c) {
  std::string out =
      absl::StrCat("collection ", Printable(c.collection_id()), " (", StateName(c.state()), ")\n");
  absl::StrAppend(&out, "  period:    ", PeriodName(c.period()), " ", Printable(c.period_start()),
                  " .. ", Printable(c.period_end()), "\n");
  absl::StrAppend(&out, "  deadline:  ", UtcMinute(c.deadline_unix_seconds()), "\n");
  std::vector<std::string> codes;
  for (const std::string& code : c.expected_la_codes()) codes.push_back(Printable(code));
  std::string shown =
      absl::StrJoin(codes.begin(), codes.begin() + std::min<size_t>(codes.size(), 10), ", ");
  if (codes.size() > 10) absl::StrAppend(&shown, " and ", codes.size() - 10, " more");
  absl::StrAppend(&out, "  expected:  ", codes.size(), " LA", codes.size() == 1 ? "" : "s",
                  codes.empty() ? "" : ": ", shown, "\n");
  if (c.opened_at_unix_seconds() > 0) {
    absl::StrAppend(&out, "  opened:    ", UtcMinute(c.opened_at_unix_seconds()), " by ",
                    Printable(c.opened_by()), "\n");
  }
  if (c.state() == Collection::CLOSED) {
    absl::StrAppend(&out, "  closed:    ", UtcMinute(c.closed_at_unix_seconds()), " by ",
                    Printable(c.closed_by()), "\n");
  }
  return out;
}

std::string FormatCollectionList(const std::vector<Collection>& collections) {
  if (collections.empty()) return "no collections\n";
  std::vector<std::vector<std::string>> rows = {
      {"COLLECTION", "STATE", "PERIOD", "WINDOW", "DEADLINE", "EXPECTED"}};
  for (const Collection& c : collections) {
    rows.push_back({Printable(c.collection_id()), StateName(c.state()), PeriodName(c.period()),
                    absl::StrCat(Printable(c.period_start()), "..", Printable(c.period_end())),
                    UtcMinute(c.deadline_unix_seconds()),
                    absl::StrCat(c.expected_la_codes_size())});
  }
  return Columns(rows);
}

bool AllSubmitted(const CollectionStatus& status) {
  if (status.las_size() == 0) return false;
  for (const LaCollectionStatus& la : status.las()) {
    if (la.state() != LaCollectionStatus::SUBMITTED) return false;
  }
  return status.collection().expected_la_codes_size() == 0 ||
         status.las_size() == status.collection().expected_la_codes_size();
}

std::string CollectionSummaryLine(const CollectionStatus& status) {
  int submitted = 0, late = 0, refused = 0, not_started = 0, missing = 0;
  for (const LaCollectionStatus& la : status.las()) {
    switch (la.state()) {
      case LaCollectionStatus::SUBMITTED:
        ++submitted;
        late += la.late();
        break;
      case LaCollectionStatus::REFUSED:
        ++refused;
        break;
      case LaCollectionStatus::LATE:
        ++missing;
        break;
      default:
        ++not_started;
        break;
    }
  }
  const Collection& c = status.collection();
  const int expected =
      c.expected_la_codes_size() > 0 ? c.expected_la_codes_size() : status.las_size();
  std::string line =
      absl::StrCat(Printable(c.collection_id()), ": ", submitted, "/", expected, " submitted (",
                   late, " late), ", refused, " refused, ", not_started, " not started");
  if (missing > 0) absl::StrAppend(&line, ", ", missing, " missing");
  absl::StrAppend(&line, ", deadline ", UtcMinute(c.deadline_unix_seconds()), " (",
                  StateName(c.state()), ")");
  return line;
}

std::string FormatCollectionStatus(const CollectionStatus& status) {
  std::vector<std::vector<std::string>> rows = {
      {"LA", "NAME", "STATE", "AT (UTC)", "LATE", "NODE", "REFUSAL"}};
  for (const LaCollectionStatus& la : status.las()) {
    std::string name = Printable(la.la_name());
    if (name.empty()) {
      const catalogue::LocalAuthority* known = catalogue::FindLocalAuthority(la.la_code());
      name = known != nullptr ? known->la_name : "?";
    }
    std::string at = "-";
    if (la.state() == LaCollectionStatus::SUBMITTED && la.submitted_at_unix_seconds() > 0) {
      at = UtcSecond(la.submitted_at_unix_seconds());
    } else if (la.state() == LaCollectionStatus::REFUSED && la.refused_at_unix_seconds() > 0) {
      at = UtcSecond(la.refused_at_unix_seconds());
    }
    std::string node = NodeStateName(la.node_state());
    if (la.node_state() != ringfence::v1::NODE_STATE_UNSPECIFIED &&
        la.node_state_at_unix_seconds() > 0) {
      absl::StrAppend(&node, " (", UtcSecond(la.node_state_at_unix_seconds()), ")");
    }
    std::string refusal;
    if (!la.refusal_code().empty()) {
      refusal = absl::StrCat(Printable(la.refusal_code()), ": ", Printable(la.refusal_reason()));
    }
    rows.push_back({Printable(la.la_code()), name, LaStateName(la.state()), at,
                    la.late() ? "late" : "-", node, refusal});
  }
  return absl::StrCat(Columns(rows), CollectionSummaryLine(status), "\n");
}

int RunCollectionCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    PrintHelp();
    return 2;
  }
  const std::string& sub = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "--help" || sub == "-h" || sub == "help") {
    PrintHelp();
    return 0;
  }
  if (sub == "open") return RunOpen(rest);
  if (sub == "close") return RunClose(rest);
  if (sub == "status") return RunStatus(rest);
  if (sub == "list") return RunList(rest);
  std::fprintf(stderr, "%s: unknown subcommand '%s'; expected open, close, status or list\n",
               kProgram, sub.c_str());
  return 2;
}

}  // namespace ringfence::tools
