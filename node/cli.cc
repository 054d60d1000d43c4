// ringfence-node: the LA's node. Reads the LA's SSDA903 exports and sensitive.csv from a
// local folder, computes the catalogue grid, protects it and sends only protected cells.
//
//   ringfence-node validate --data DIR --la CODE --year YYYY [--postcodes FILE]
//                           [--max-errors N] [--policy FILE]
//   ringfence-node preview  --data DIR --la CODE --year YYYY [--postcodes FILE]
//                           (--exact | --policy FILE)
//   ringfence-node submit   --data DIR --la CODE --year YYYY [--postcodes FILE] --policy FILE
//                           --ledger FILE --coordinator HOST:PORT --cert FILE --key FILE
//                           --ca FILE
//   (preview and submit take [--collection YYYY-WINDOW], e.g. 2025-q3: the window's grid)
//   ringfence-node budget   --ledger FILE [--policy FILE]
//   ringfence-node serve    --config FILE.textproto [--once]
// The policy (docs/policy.md) must pass `ringfence policy check` (policy::LoadPolicyFile
// refuses one that does not); the protected preview and submit refuse to run without one.
//
// Exit codes: 0 success; 1 the data, certificate or coordinator refused the run (message on
// stderr, nothing sent); 2 usage error.
//
// Privacy: row-level data is read here and never written anywhere; the exact grid is printed
// only by `preview --exact`, on the LA's own terminal. `validate` prints data errors (which
// quote offending values) and table row counts, on the LA's own terminal only; it computes
// no cell. `submit` sends only what node::BuildSubmitRequest builds from the protected grid:
// the cells the policy lets some recipient class receive. The protected preview shows only
// those cells too.
#include "base/cli.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "crypto/identity.h"
#include "crypto/random_source.h"
#include "crypto/tls_credentials.h"
#include "grpcpp/create_channel.h"
#include "node/budget_report.h"
#include "node/cli.h"
#include "node/dates.h"
#include "node/grid.h"
#include "node/ledger.h"
#include "node/loader.h"
#include "node/preview.h"
#include "node/protect.h"
#include "node/round.h"
#include "node/serve.h"
#include "node/ssda903_schema.h"
#include "node/submit_client.h"
#include "policy/policy.h"

namespace ringfence::node {
namespace {

constexpr char kYearHelp[] = "collection year Y: the year ending 31 March Y";

base::FlagSpec DataFlag() {
  return {"data", "DIR", "folder of the LA's SSDA903 CSV exports and sensitive.csv", true, ""};
}
base::FlagSpec LaFlag() { return {"la", "CODE", "the LA's new code, e.g. E09000033", true, ""}; }
base::FlagSpec YearFlag() { return {"year", "YYYY", kYearHelp, true, ""}; }
base::FlagSpec MaxErrorsFlag() {
  return {"max-errors", "N", "list at most N data errors before stopping", false, "50"};
}
base::FlagSpec PostcodesFlag() {
  return {"postcodes", "FILE",
          "postcode table (pcd,oseast1m,osnrth1m,utla; an NSPL extract); default: the one in "
          "--data, if any",
          false, ""};
}
// The policy is required wherever protected values are computed (preview, submit): the node
// refuses to run without one that passes the firewall check. validate and budget take it
// optionally (for quarantine classes and the display delta).
base::FlagSpec PolicyFlag(bool required) {
  return {"policy", "FILE",
          "the Ringfence policy (textproto, docs/policy.md), which must pass `ringfence policy "
          "check`: privacy budget, disclosure rules, which cells any recipient may receive, and "
          "which classes of bad rows may be quarantined",
          required, ""};
}
base::FlagSpec CollectionFlag() {
  return {"collection", "ID",
          "the collection: <year>-annual (default), <year>-h1, -h2, -q1 .. -q4; the year must be "
          "--year. The grid is computed over the collection's window (docs/indicators.md)",
          false, ""};
}
base::FlagSpec LedgerFlag() {
  return {"ledger", "FILE",
          "the node's privacy ledger (SQLite; created if missing): every spend of privacy "
          "budget and the protected cells it paid for",
          true, ""};
}

const base::CommandSpec& PreviewSpec() {
  static const base::CommandSpec* spec = new base::CommandSpec{
      "ringfence-node preview --data DIR --la CODE --year YYYY [--postcodes FILE] "
      "[--collection ID] (--exact | --policy FILE)",
      "Validates the LA's exports and prints the grid, one line per cell in catalogue order.\n"
      "With --exact: the exact counts of every cell (indicator,breakdown,group,value). They are\n"
      "for the LA's own eyes and are never sent anywhere. Without --exact (--policy required):\n"
      "only the cells the policy sends (those some recipient class may receive), each with one\n"
      "illustrative protected draw (value, or c when suppressed, by the policy's untainted or\n"
      "tainted rule) beside the noise scale, so the LA can see what protection costs on its own\n"
      "data; a submission draws its own noise.",
      {DataFlag(),
       LaFlag(),
       YearFlag(),
       PostcodesFlag(),
       PolicyFlag(false),
       {"exact", "", "print exact counts (local only)", false, ""},
       CollectionFlag(),
       MaxErrorsFlag()}};
  return *spec;
}

const base::CommandSpec& SubmitSpec() {
  static const base::CommandSpec* spec = new base::CommandSpec{
      "ringfence-node submit --data DIR --la CODE --year YYYY [--postcodes FILE] --ledger FILE "
      "--coordinator HOST:PORT --cert FILE --key FILE --ca FILE --policy FILE [--collection ID]",
      "Validates the LA's exports, computes the grid, adds discrete Gaussian noise to the cells\n"
      "the policy sends (those some recipient class may receive; the round's budget is split\n"
      "over their histograms), suppresses and rounds the noisy values by the policy's rules\n"
      "(a stricter one for cells derived from sensitive attributes), records the spend and the\n"
      "protected cells in the ledger, and only then sends them with the policy's digest to the\n"
      "coordinator over mutual TLS. A round already in the ledger is never recomputed: its\n"
      "recorded cells are resent (only under the policy they were recorded under). A round that\n"
      "would exceed the year's budget is refused. Any data error stops the run before anything\n"
      "is computed or sent.",
      {DataFlag(),
       LaFlag(),
       YearFlag(),
       PostcodesFlag(),
       PolicyFlag(true),
       LedgerFlag(),
       {"coordinator", "HOST:PORT", "the coordinator's address", true, ""},
       {"cert", "FILE", "this LA's client certificate (urn:ringfence:la:CODE)", true, ""},
       {"key", "FILE", "its private key", true, ""},
       {"ca", "FILE", "the CA certificate that signed the coordinator's certificate", true, ""},
       MaxErrorsFlag(),
       CollectionFlag(),
       {"timeout-seconds", "N", "deadline for the submission call", false, "30"}}};
  return *spec;
}

const base::CommandSpec& BudgetSpec() {
  static const base::CommandSpec* spec = new base::CommandSpec{
      "ringfence-node budget --ledger FILE [--policy FILE]",
      "Shows, per LA and collection year, the privacy budget spent and left (zCDP rho, and\n"
      "epsilon at the policy's display delta), and every round recorded: when, what it spent,\n"
      "and whether the coordinator acknowledged it. Reads the ledger only; never changes it.",
      {LedgerFlag(), PolicyFlag(false)}};
  return *spec;
}

const base::CommandSpec& ValidateSpec() {
  static const base::CommandSpec* spec = new base::CommandSpec{
      "ringfence-node validate --data DIR --la CODE --year YYYY [--postcodes FILE] "
      "[--max-errors N]",
      "Checks the LA's exports strictly, as preview and submit do, and lists every problem\n"
      "(up to --max-errors) as file:line: FIELD: message, without computing anything. Exits 0\n"
      "and prints one line with the tables and row counts found when the data is clean, 1 when\n"
      "it has errors. With --policy, errors of the classes the policy quarantines do not stop a\n"
      "round: they are listed in a quarantine report (what a round would leave out) and the\n"
      "exit code is 0 if no other error remains. Nothing is sent.",
      {DataFlag(), LaFlag(), YearFlag(), PostcodesFlag(), PolicyFlag(false), MaxErrorsFlag()}};
  return *spec;
}

const base::CommandSpec& ServeSpec() {
  static const base::CommandSpec* spec = new base::CommandSpec{
      "ringfence-node serve --config FILE.textproto [--once]",
      "Runs the node as a service (docs/node.md, \"Running as a service\"). Reads the config\n"
      "(ringfence.v1.NodeConfig, strictly), checks the policy and that the certificate is the\n"
      "config's LA, then polls the coordinator for the open collections that expect this LA\n"
      "and runs each one's round (as submit does, over the collection's window), reporting its\n"
      "state. Retries failures to reach the coordinator with exponential backoff and jitter.\n"
      "SIGTERM or SIGINT stops it cleanly (exit 0). Logs one line per event on stderr; they\n"
      "never quote the LA's data. With --once: one pass, exit 0 if every listed collection is\n"
      "submitted, 1 otherwise.",
      {{"config", "FILE", "the node's config (proto/node_config.proto textproto)", true, ""},
       {"once", "", "one pass over the open collections, then exit", false, ""}}};
  return *spec;
}

void PrintTopHelp() {
  std::cout << "usage: ringfence-node [--la-register FILE] <command> [flags]\n\n"
               "The Ringfence node an LA runs over its own SSDA903 exports. Row-level data never\n"
               "leaves it; only protected aggregates are sent.\n\n"
               "commands:\n"
               "  validate  check the data and list every problem; compute nothing\n"
               "  preview   validate the data and print the grid (exact or protected)\n"
               "  submit    compute, protect and send the grid to the coordinator\n"
               "  budget    show the privacy budget spent and left, from the ledger\n"
               "  serve     run as a service: submit every open collection, polling the "
               "coordinator\n\n"
               "Run 'ringfence-node <command> --help' for a command's flags.\n"
               "'--la-register FILE' replaces the built-in LA list for this run, as the\n"
               "coordinator's --la-register (docs/coordinator.md, \"The LA register\").\n";
}

struct Common {
  std::string data;
  std::optional<CollectionYear> window;  // --collection; the annual window when unset
  std::string postcodes;
  std::string la;
  int year = 0;
  int max_errors = 50;
  std::optional<policy::Policy> policy;  // --policy (always set where it is required)
};

// Loads --policy if given. Returns 0, or the exit code after printing why.
int ReadPolicy(const base::ParsedFlags& flags, std::optional<policy::Policy>* out) {
  if (!flags.Has("policy")) return 0;
  auto policy = policy::LoadPolicyFile(flags.Get("policy"));
  if (!policy.ok()) {
    std::cerr << "ringfence-node: --policy: " << policy.status().message() << "\n";
    return 1;
  }
  *out = *std::move(policy);
  return 0;
}

// Returns 0 on success, else the exit code (after printing why).
int ReadCommon(const base::ParsedFlags& flags, Common* out) {
  out->data = flags.Get("data");
  out->postcodes = flags.Get("postcodes");
  out->la = flags.Get("la");
  if (catalogue::FindLocalAuthority(out->la) == nullptr) {
    std::cerr << "ringfence-node: --la: '" << out->la
              << "' is not a known LA code (expected e.g. E09000033)\n";
    return 2;
  }
  auto year = flags.GetInt("year", catalogue::kFirstYear, catalogue::kLastYear);
  auto max_errors = flags.GetInt("max-errors", 1, 100000);
  for (const absl::Status& s : {year.status(), max_errors.status()}) {
    if (!s.ok()) {
      std::cerr << "ringfence-node: " << s.message() << "\n";
      return 2;
    }
  }
  out->year = static_cast<int>(*year);
  out->max_errors = static_cast<int>(*max_errors);
  return ReadPolicy(flags, &out->policy);
}

// Reads --collection (default "<year>-annual") into c->window. Returns 0, or the exit code
// after printing why.
int ReadCollection(const char* command, const base::ParsedFlags& flags, Common* c) {
  const std::string collection =
      flags.Has("collection") ? flags.Get("collection") : absl::StrCat(c->year, "-annual");
  auto window = ParseCollectionId(collection);
  if (!window.ok()) {
    std::cerr << command << ": --collection: " << window.status().message() << "\n";
    return 2;
  }
  if (window->year != c->year) {
    std::cerr << command << ": --collection " << collection << " is a collection of "
              << window->year << ", not of --year " << c->year << "\n";
    return 2;
  }
  c->window = *window;
  return 0;
}

LoadOptions MakeLoadOptions(const Common& c) {
  LoadOptions opts;
  opts.dir = c.data;
  opts.la_code = c.la;
  opts.year = c.year;
  opts.max_errors = c.max_errors;
  opts.postcodes_path = c.postcodes;
  opts.quarantinable =
      (c.policy.has_value() ? c.policy->quarantinable : policy::DataErrorClassSet());
  return opts;
}

// Loads and computes; the status carries the data errors on failure. A quarantine report, if
// any, goes to stderr (the LA's own terminal: it quotes rows of the LA's files).
absl::StatusOr<std::vector<int64_t>> ExactGrid(const Common& c) {
  ValidationReport report;
  QuarantineReport quarantine;
  auto data = LoadLaFolder(MakeLoadOptions(c), &report, &quarantine);
  if (!data.ok()) return data.status();
  if (!quarantine.empty()) std::cerr << quarantine.ToString() << "\n";
  return ComputeExactGrid(*data,
                          c.window.has_value() ? *c.window : CollectionYear::ForYear(c.year));
}

// "Header 120 rows (header.csv), Episodes 340 rows (episodes.csv), ..., absent: OC2, ...".
std::string TableSummary(const LaData& data) {
  std::vector<std::string> found;
  std::vector<std::string> absent;
  for (const TableSchema& s : AllTableSchemas()) {
    const TableSource& src = data.source(s.table);
    if (src.file.empty()) {
      absent.push_back(s.name);
    } else {
      found.push_back(
          absl::StrCat(s.name, " ", src.rows, src.rows == 1 ? " row (" : " rows (", src.file, ")"));
    }
  }
  std::string out = absl::StrJoin(found, ", ");
  if (!absent.empty()) absl::StrAppend(&out, "; absent: ", absl::StrJoin(absent, ", "));
  return out;
}

int RunValidate(const std::vector<std::string>& args) {
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence-node validate", ValidateSpec(), args, &parsed)) {
    return *rc;
  }
  const base::ParsedFlags* flags = &parsed;
  Common c;
  if (int rc = ReadCommon(*flags, &c); rc != 0) return rc;
  ValidationReport report;
  QuarantineReport quarantine;
  auto data = LoadLaFolder(MakeLoadOptions(c), &report, &quarantine);
  if (!data.ok()) {
    // Data errors are in the status message, one per line, with the summary last.
    std::cerr << data.status().message() << "\n";
    return 1;
  }
  if (quarantine.empty()) {
    std::cout << c.la << " " << c.year << ": no errors; " << TableSummary(*data) << "\n";
  } else {
    std::cout << quarantine.ToString() << "\n"
              << c.la << " " << c.year << ": no errors that stop a round once the rows above are "
              << "left out; " << TableSummary(*data) << "\n";
  }
  return 0;
}

int RunPreview(const std::vector<std::string>& args) {
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence-node preview", PreviewSpec(), args, &parsed)) {
    return *rc;
  }
  const base::ParsedFlags* flags = &parsed;
  Common c;
  if (int rc = ReadCommon(*flags, &c); rc != 0) return rc;
  if (int rc = ReadCollection("ringfence-node preview", *flags, &c); rc != 0) return rc;
  if (!flags->Has("exact") && !c.policy.has_value()) {
    // Protected values depend on the policy (budget, disclosure rules, what is sent).
    std::cerr << "ringfence-node preview: protected values need --policy FILE (or use --exact)\n";
    return 2;
  }
  auto grid = ExactGrid(c);
  if (!grid.ok()) {
    std::cerr << grid.status().message() << "\n";
    return 1;
  }
  if (flags->Has("exact")) {
    std::cout << FormatExactPreview(*grid);
    return 0;
  }
  crypto::OpenSslRandomSource rng;
  auto protected_grid = ProtectGrid(*grid, *c.policy, rng);
  if (!protected_grid.ok()) {
    std::cerr << "ringfence-node: " << protected_grid.status().message() << "\n";
    return 1;
  }
  const auto& keys = catalogue::GridCells();
  std::cout << "indicator,breakdown,group,value,noise_sd,ci95_half_width\n";
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& cell = protected_grid->cells[i];
    if (!cell.sent) continue;  // never noised, never sent: nothing to show
    std::cout << absl::StrFormat(
        "%s,%s,%s,%s,%.2f,%.2f\n", keys[i].indicator, keys[i].breakdown, keys[i].group,
        cell.published.suppressed ? "c" : absl::StrCat(cell.published.value),
        protected_grid->noise_sd(), protected_grid->ci95_half_width());
  }
  const policy::DisclosureRule& u = protected_grid->untainted_rule;
  const policy::DisclosureRule& t = protected_grid->tainted_rule;
  std::cerr << absl::StrFormat(
      "ringfence-node: illustrative protected values of the %d cells (%d histograms) of %d that "
      "policy '%s' sends; rho per round %s split over those histograms; suppressed below %d and "
      "rounded to %d (below %d and to %d for cells derived from sensitive attributes); nothing "
      "is recorded or sent, and a submission draws its own noise\n",
      protected_grid->sent_cells(), protected_grid->histograms, static_cast<int>(keys.size()),
      c.policy->name, c.policy->privacy.rho_per_round.ToString(), u.suppression_threshold,
      u.rounding_base, t.suppression_threshold, t.rounding_base);
  return 0;
}

int RunSubmit(const std::vector<std::string>& args, RoundHooks* hooks) {
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence-node submit", SubmitSpec(), args, &parsed)) {
    return *rc;
  }
  const base::ParsedFlags* flags = &parsed;
  Common c;
  if (int rc = ReadCommon(*flags, &c); rc != 0) return rc;
  auto timeout = flags->GetInt("timeout-seconds", 1, 3600);
  if (!timeout.ok()) {
    std::cerr << "ringfence-node submit: " << timeout.status().message() << "\n";
    return 2;
  }
  if (int rc = ReadCollection("ringfence-node submit", *flags, &c); rc != 0) return rc;
  const std::string collection = CollectionId(*c.window);

  // Certificates first: a misconfigured node should fail before touching the data.
  auto tls = crypto::LoadTlsMaterial(flags->Get("ca"), flags->Get("cert"), flags->Get("key"));
  if (!tls.ok()) {
    std::cerr << "ringfence-node submit: " << tls.status().message() << "\n";
    return 1;
  }
  auto identity = crypto::IdentityFromCertificate(tls->cert_pem);
  if (!identity.ok()) {
    std::cerr << "ringfence-node submit: " << flags->Get("cert") << ": "
              << identity.status().message() << "\n";
    return 1;
  }
  if (identity->kind != crypto::PartyKind::kLocalAuthority || identity->la_code != c.la) {
    std::cerr << "ringfence-node submit: " << flags->Get("cert") << " identifies "
              << crypto::DescribeIdentity(*identity) << ", not LA " << c.la << "\n";
    return 1;
  }

  SubmitRoundOptions options;
  options.la_code = c.la;
  options.year = c.year;
  options.period = c.window->window;
  options.policy = *c.policy;
  options.ledger_path = flags->Get("ledger");
  options.timeout = absl::Seconds(*timeout);
  crypto::OpenSslRandomSource rng;
  RoundHooks production;  // no-ops; only the test-only crash harness passes its own
  RoundHooks& h = hooks != nullptr ? *hooks : production;
  auto channel = h.CreateChannel(flags->Get("coordinator"), crypto::MakeChannelCredentials(*tls));
  auto result = RunSubmitRound(
      options, [&c] { return ExactGrid(c); }, rng, std::move(channel), hooks);
  if (!result.ok()) {
    const absl::Status& s = result.status();
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      // Data errors: one per line, with the summary last.
      std::cerr << s.message() << "\nringfence-node submit: nothing was sent\n";
    } else {
      std::cerr << "ringfence-node submit: " << absl::StatusCodeToString(s.code()) << ": "
                << s.message() << "\n";
    }
    return 1;
  }
  const YearSpend& y = result->year;
  std::cout << absl::StrFormat(
      "%s %s: %s %d protected cells%s; receipt %s; privacy budget spent %s of %s zCDP for %d\n",
      c.la, collection, result->resent ? "resent the recorded" : "submitted",
      result->request.cells_size(),
      result->response.already_stored() ? " (the coordinator already had them)" : "",
      result->response.receipt(), FormatRho(y.spent), FormatRho(y.budget), c.year);
  return 0;
}

int RunBudget(const std::vector<std::string>& args) {
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence-node budget", BudgetSpec(), args, &parsed)) {
    return *rc;
  }
  std::optional<policy::Policy> policy;
  if (int rc = ReadPolicy(parsed, &policy); rc != 0) return rc;
  auto ledger = Ledger::OpenReadOnly(parsed.Get("ledger"));
  if (!ledger.ok()) {
    std::cerr << "ringfence-node budget: " << ledger.status().message() << "\n";
    return 1;
  }
  auto spending = (*ledger)->Spending();
  if (!spending.ok()) {
    std::cerr << "ringfence-node budget: " << spending.status().message() << "\n";
    return 1;
  }
  std::cout << FormatBudgetReport(*spending, policy.has_value()
                                                 ? policy->privacy.display_delta
                                                 : policy::PrivacyPolicy().display_delta);
  return 0;
}

// Set by SIGTERM / SIGINT while `serve` runs.
StopFlag* g_stop = nullptr;

extern "C" void OnStopSignal(int) {
  if (g_stop != nullptr) g_stop->Request();
}

int RunServeCommand(const std::vector<std::string>& args) {
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence-node serve", ServeSpec(), args, &parsed)) {
    return *rc;
  }
  auto config = LoadServeConfig(parsed.Get("config"));
  if (!config.ok()) {
    std::cerr << "ringfence-node serve: " << config.status().message() << "\n";
    return config.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  // Before anything else: the policy passes its firewall check (LoadPolicyFile refuses one
  // that does not) and the certificate is the config's LA.
  auto loaded_policy = policy::LoadPolicyFile(config->policy_file);
  if (!loaded_policy.ok()) {
    std::cerr << "ringfence-node serve: " << config->file
              << ": policy_file: " << loaded_policy.status().message() << "\n";
    return 1;
  }
  auto tls = crypto::LoadTlsMaterial(config->ca_file, config->cert_file, config->key_file);
  if (!tls.ok()) {
    std::cerr << "ringfence-node serve: " << tls.status().message() << "\n";
    return 1;
  }
  auto identity = crypto::IdentityFromCertificate(tls->cert_pem);
  if (!identity.ok()) {
    std::cerr << "ringfence-node serve: " << config->cert_file << ": "
              << identity.status().message() << "\n";
    return 1;
  }
  if (identity->kind != crypto::PartyKind::kLocalAuthority ||
      identity->la_code != config->la_code) {
    std::cerr << "ringfence-node serve: " << config->cert_file << " identifies "
              << crypto::DescribeIdentity(*identity) << ", not LA " << config->la_code
              << " (la_code in " << config->file << ")\n";
    return 1;
  }

  ServeOptions options;
  options.la_code = config->la_code;
  options.policy = *loaded_policy;
  options.ledger_path = config->ledger_file;
  options.poll_interval = config->poll_interval;
  options.backoff_initial = config->backoff_initial;
  options.backoff_max = config->backoff_max;
  options.rpc_timeout = config->rpc_timeout;
  options.once = parsed.Has("once");

  static StopFlag stop;
  g_stop = &stop;
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  crypto::OpenSslRandomSource rng;
  // gRPC's own reconnection backoff (up to 120 s by default) and its 30 s minimum between
  // name resolutions would otherwise delay the first call after the coordinator comes back
  // well past the node's retry schedule (tests/node_serve_e2e_test.cc measured ~20 s). (Not
  // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: it is also the connection attempt's deadline, and a
  // short one cuts TLS handshakes off.)
  grpc::ChannelArguments channel_args;
  channel_args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                      static_cast<int>(absl::ToInt64Milliseconds(config->backoff_initial)));
  channel_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                      static_cast<int>(absl::ToInt64Milliseconds(config->backoff_max)));
  channel_args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS,
                      static_cast<int>(absl::ToInt64Milliseconds(config->backoff_initial)));
  auto channel = grpc::CreateCustomChannel(config->coordinator,
                                           crypto::MakeChannelCredentials(*tls), channel_args);
  const WindowComputeFn compute = MakeFolderCompute(*config, *loaded_policy);
  auto result = RunServe(options, std::move(channel), compute, rng, stop);
  if (!result.ok()) {
    std::cerr << "ringfence-node serve: " << result.status().message() << "\n";
    return 1;
  }
  if (options.once && !result->stopped) return result->all_submitted ? 0 : 1;
  return 0;
}

int Dispatch(int argc, char** argv, RoundHooks* hooks) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    PrintTopHelp();
    return argc < 2 ? 2 : 0;
  }
  int first = 1;  // the command's index in argv
  if (std::string(argv[1]) == "--la-register") {
    // Before anything looks an LA up: the registry can be replaced only before its first use.
    if (argc < 4) {
      PrintTopHelp();
      return 2;
    }
    const absl::Status installed = catalogue::InstallLaRegisterFile(argv[2]);
    if (!installed.ok()) {
      std::cerr << "ringfence-node: --la-register: " << installed.message() << "\n";
      return 1;
    }
    first = 3;
  }
  const std::string command = argv[first];
  std::vector<std::string> args(argv + first + 1, argv + argc);
  if (command == "validate") return RunValidate(args);
  if (command == "preview") return RunPreview(args);
  if (command == "submit") return RunSubmit(args, hooks);
  if (command == "budget") return RunBudget(args);
  if (command == "serve") return RunServeCommand(args);
  std::cerr << "ringfence-node: unknown command '" << command << "'; see --help\n";
  return 2;
}

}  // namespace

int NodeMain(int argc, char** argv, RoundHooks* hooks) { return Dispatch(argc, argv, hooks); }

}  // namespace ringfence::node
