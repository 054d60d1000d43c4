// `ringfence release`: fetches the released table of one collection (by default
// the year's annual one; --collection names another, e.g. 2025-q3) from the
// coordinator over mutual TLS and writes it as EES-layout CSV
// (tools/release_csv.h), optionally for some geographic levels only. The
// coordinator releases a collection only once it is closed (FAILED_PRECONDITION
// while open), except an LA's own rows.
//
// Security: the caller authenticates with its certificate: a recipient's
// (urn:ringfence:recipient:CLASS:NAME) or an LA's (class la_own, which at LA
// level sees its own LA only). The coordinator decides, by the policy and the
// certificate, what that caller may see; nothing here can widen it (--level
// only narrows). The key file is read here (a binary's command layer) and the
// in-memory copy is cleared once gRPC has its own. Every call has a deadline.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/cli.h"
#include "base/csv.h"
#include "base/grpc_status.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "proto/coordinator_service.grpc.pb.h"
#include "tools/collection_id.h"
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
      "FILE --year YYYY [--collection ID] "
      "--out FILE.csv [--level national|regional|la]... [--timeout-seconds N]",
      "Fetches the released table for a collection year from the coordinator, "
      "authenticating with a recipient certificate (you receive what the "
      "coordinator's policy grants your class) or an LA certificate (class "
      "la_own: your own LA's rows, and the regional and national rows the "
      "policy grants), and writes it as tidy CSV in the DfE Explore Education "
      "Statistics layout (c = suppressed, z = not applicable, x = withheld from "
      "you by the policy), with each value's noise SD and 95% interval half-width "
      "from noise and rounding (columns IND_noise_sd, IND_ci95_half_width).",
      {
          {"coordinator", "HOST:PORT", "coordinator address", true, ""},
          {"cert", "FILE", "recipient or LA certificate (PEM)", true, ""},
          {"key", "FILE", "its private key (PEM)", true, ""},
          {"ca", "FILE", "CA certificate the coordinator's certificate chains to (PEM)", true, ""},
          {"year", "YYYY", "collection year (the year ending 31 March YYYY)", true, ""},
          {"collection", "ID",
           "the collection of that year to release, e.g. 2025-q3 (default: YYYY-annual); "
           "only a closed collection is released, except an LA's own rows",
           false, ""},
          {"out", "FILE.csv", "CSV file to write (replaced atomically)", true, ""},
          {"level", "LEVEL",
           "only these geographic levels: national, regional, la; repeat the flag or give a "
           "comma list (default: every level you may receive)",
           false, ""},
          {"timeout-seconds", "N", "deadline for the call", false, "30"},
      }};
}

// base::ParseFlags refuses a repeated flag, but --level may be given several
// times: its occurrences are merged into one comma list first. Other flags'
// values are skipped as the parser would, so a value that looks like --level
// stays a value.
std::vector<std::string> MergeLevelFlags(const base::CommandSpec& spec,
                                         const std::vector<std::string>& args) {
  std::vector<std::string> out, levels;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (absl::StartsWith(a, "--level=")) {
      levels.push_back(a.substr(8));
      continue;
    }
    if (a == "--level" && i + 1 < args.size()) {
      levels.push_back(args[++i]);
      continue;
    }
    out.push_back(a);
    if (absl::StartsWith(a, "--") && a.find('=') == std::string::npos) {
      for (const base::FlagSpec& f : spec.flags) {
        if (a.substr(2) == f.name && !f.value_name.empty() && i + 1 < args.size()) {
          out.push_back(args[++i]);
          break;
        }
      }
    }
  }
  if (!levels.empty()) {
    out.push_back("--level");
    out.push_back(absl::StrJoin(levels, ","));
  }
  return out;
}

// "national,la" -> {NATIONAL, LOCAL_AUTHORITY}. INVALID_ARGUMENT naming the bad item.
absl::StatusOr<std::vector<ringfence::v1::GeographicLevel>> ParseLevels(absl::string_view text) {
  std::vector<ringfence::v1::GeographicLevel> out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const std::string lower = absl::AsciiStrToLower(item);
    ringfence::v1::GeographicLevel level;
    if (lower == "national") {
      level = ringfence::v1::NATIONAL;
    } else if (lower == "regional") {
      level = ringfence::v1::REGIONAL;
    } else if (lower == "la") {
      level = ringfence::v1::LOCAL_AUTHORITY;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--level: '", item, "' is not national, regional or la"));
    }
    if (std::find(out.begin(), out.end(), level) == out.end()) out.push_back(level);
  }
  return out;
}

int Fail(int code, absl::string_view message) {
  std::fprintf(stderr, "ringfence release: %s\n", std::string(message).c_str());
  return code;
}

}  // namespace

int RunReleaseCommand(const std::vector<std::string>& args) {
  const base::CommandSpec spec = ReleaseSpec();
  base::ParsedFlags parsed;
  if (auto rc =
          base::ParseFlagsOrExit("ringfence release", spec, MergeLevelFlags(spec, args), &parsed)) {
    return *rc;
  }
  const base::ParsedFlags* flags = &parsed;
  std::vector<ringfence::v1::GeographicLevel> levels;
  if (flags->Has("level")) {
    absl::StatusOr<std::vector<ringfence::v1::GeographicLevel>> l =
        ParseLevels(flags->Get("level"));
    if (!l.ok()) return Fail(2, l.status().message());
    levels = *std::move(l);
  }
  absl::StatusOr<int64_t> year = flags->GetInt("year", 1900, 9999);
  if (!year.ok()) return Fail(2, year.status().message());
  absl::StatusOr<int64_t> timeout = flags->GetInt("timeout-seconds", 1, 3600);
  if (!timeout.ok()) return Fail(2, timeout.status().message());
  // Empty asks the coordinator for "<year>-annual".
  const std::string collection = flags->Get("collection");
  if (flags->Has("collection")) {
    absl::StatusOr<CollectionId> id = ParseCollectionId(collection);
    if (!id.ok()) return Fail(2, absl::StrCat("--collection: ", id.status().message()));
    if (id->year != *year) {
      return Fail(2, absl::StrCat("--collection ", collection, " is not of --year ", *year));
    }
  }
  const std::string what =
      collection.empty() ? absl::StrCat(*year, "-annual") : collection;
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
  request.set_collection_id(collection);
  for (ringfence::v1::GeographicLevel level : levels) request.add_levels(level);
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
    return Fail(1, absl::StrCat("release of ", what, " from ", target,
                                " failed: ", absl::StatusCodeToString(status.code()), ": ",
                                status.message(), hint));
  }
  if (response.year() != *year) {
    return Fail(1, absl::StrCat("the coordinator answered with year ", response.year(),
                                " for a request for ", *year));
  }
  if (!response.collection_id().empty() && response.collection_id() != what) {
    return Fail(1, absl::StrCat("the coordinator answered with collection ",
                                response.collection_id(), " for a request for ", what));
  }
  // The coordinator honours --level; a cell of another level means a broken peer.
  for (const ringfence::v1::ReleasedCell& cell : response.cells()) {
    if (!levels.empty() && std::find(levels.begin(), levels.end(), cell.level()) == levels.end()) {
      return Fail(1, absl::StrCat("the coordinator sent a cell of a level that was not asked for (",
                                  ringfence::v1::GeographicLevel_Name(cell.level()), ")"));
    }
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
