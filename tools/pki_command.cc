// `ringfence pki`: makes, inspects and revokes in the test/demo PKI (see crypto/x509.h for why this is
// not a production CA).
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/cli.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "catalogue/la_registry.h"
#include "crypto/identity.h"
#include "crypto/x509.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

namespace fs = std::filesystem;

constexpr int kSuccess = 0;
constexpr int kFailure = 1;
constexpr int kUsageError = 2;

constexpr absl::string_view kDefaultRecipients =
    "public:web,dfe_analyst:analyst1,inspectorate:ofsted1,"
    "home_office_enforcement:enforcement1";
constexpr absl::string_view kCaCommonName = "Ringfence test CA";
constexpr absl::string_view kCoordinatorCommonName = "ringfence-coordinator";
// Certificates start an hour in the past so a peer whose clock is slightly behind still
// accepts a certificate issued a moment ago.
constexpr absl::Duration kBackdate = absl::Hours(1);

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

int Fail(absl::string_view command, absl::string_view message, int code = kFailure) {
  std::cerr << "ringfence pki " << command << ": " << message << "\n";
  return code;
}


// "a, b,c" -> {"a","b","c"}; an empty item (",,", trailing comma) is an error because it is
// almost always a typo that would otherwise silently drop a party.
absl::StatusOr<std::vector<std::string>> SplitList(absl::string_view flag,
                                                   absl::string_view value) {
  std::vector<std::string> items;
  if (absl::StripAsciiWhitespace(value).empty()) return items;
  std::set<std::string> seen;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": empty item in '", value, "'"));
    }
    if (!seen.insert(std::string(item)).second) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": '", item, "' listed twice"));
    }
    items.emplace_back(item);
  }
  return items;
}

absl::Status CheckLaCode(absl::string_view code) {
  if (catalogue::FindLocalAuthority(code) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown LA code '", code,
        "': not one of the 153 LAs in the registry (new ONS codes, e.g. E09000033)"));
  }
  return absl::OkStatus();
}

// "class:name" -> (class, name), checked by the same rules as certificates are.
absl::StatusOr<std::pair<std::string, std::string>> ParseRecipient(absl::string_view item) {
  std::vector<std::string> parts = absl::StrSplit(item, absl::MaxSplits(':', 1));
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("recipient '", item, "' is not CLASS:NAME (e.g. dfe_analyst:alice)"));
  }
  RINGFENCE_RETURN_IF_ERROR(
      crypto::ParseIdentityUri(crypto::RecipientUri(parts[0], parts[1])).status());
  return std::make_pair(parts[0], parts[1]);
}

absl::Status CheckOperator(absl::string_view name) {
  return crypto::ParseIdentityUri(crypto::OperatorUri(name)).status();
}

// The common name is informational (identity is the URI SAN) and capped at 64 characters.
std::string CommonNameFor(absl::string_view uri) {
  absl::string_view cn = uri;
  absl::ConsumePrefix(&cn, "urn:ringfence:");
  return std::string(cn.substr(0, 64));
}

crypto::CertificateSpec PartySpec(const std::string& uri, absl::Time not_before,
                                  absl::Time not_after) {
  crypto::CertificateSpec spec;
  spec.common_name = CommonNameFor(uri);
  spec.uri_sans = {uri};
  spec.not_before = not_before;
  spec.not_after = not_after;
  spec.client_auth = true;
  return spec;
}

// One issued key pair waiting to be written. The key is wiped when this goes away,
// whichever way the command ends.
struct Issued {
  std::string rel_path;  // without extension, relative to the output folder
  crypto::PemKeyAndCert pem;
  Issued(std::string p, crypto::PemKeyAndCert k) : rel_path(std::move(p)), pem(std::move(k)) {}
  Issued(Issued&&) = default;
  Issued& operator=(Issued&&) = default;
  ~Issued() { crypto::ClearSecret(&pem.key_pem); }
};

absl::Status WritePair(const fs::path& prefix, const crypto::PemKeyAndCert& pem) {
  RINGFENCE_RETURN_IF_ERROR(
      base::WriteFileAtomically(prefix.string() + ".pem", pem.cert_pem, 0644));
  return base::WriteFileAtomically(prefix.string() + ".key", pem.key_pem, 0600);
}

absl::Status MakeDirectories(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir.string(), ": ", ec.message()));
  if (!fs::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(dir.string(), ": not a directory"));
  }
  return absl::OkStatus();
}

// "A, B, C and 4 more" for the summary.
std::string Abbreviate(const std::vector<std::string>& items, size_t shown = 4) {
  if (items.size() <= shown + 1) return absl::StrJoin(items, ", ");
  std::vector<std::string> head(items.begin(), items.begin() + shown);
  return absl::StrCat(absl::StrJoin(head, ", "), " and ", items.size() - shown, " more");
}

// --- pki init --------------------------------------------------------------------------

base::CommandSpec InitSpec() {
  return base::CommandSpec{
      "ringfence pki init --out DIR --la CODE,... [--recipients CLASS:NAME,...] "
      "[--operators NAME,...] [--days N] [--force]",
      "Creates a test/demo PKI: a CA (ca.pem, ca.key), the coordinator's server certificate "
      "(coordinator.pem/.key), one client certificate per LA (la/<CODE>.pem/.key), per "
      "recipient (recipients/<class>-<name>.pem/.key) and per operator "
      "(operators/<name>.pem/.key). Keys are written with mode 0600. Everything is checked "
      "before anything is written. Use your organisation's CA in production.",
      {{"out", "DIR", "output folder (created if missing)", true, ""},
       {"la", "CODE,...", "LA codes (ONS, e.g. E09000033,E08000025)", true, ""},
       {"recipients", "CLASS:NAME,...", "recipients; an empty value for none", false,
        std::string(kDefaultRecipients)},
       {"operators", "NAME,...", "coordinator operators; an empty value for none", false,
        "ops1"},
       {"coordinator-dns", "NAME,...", "DNS names of the coordinator", false, "localhost"},
       {"coordinator-ip", "IP,...", "IP addresses of the coordinator", false, "127.0.0.1"},
       {"days", "N", "validity of the party certificates in days", false, "365"},
       {"ca-days", "N", "validity of the CA in days", false, "3650"},
       {"force", "", "replace an existing CA (ca.key) in DIR", false, ""}}};
}

int RunInit(const std::vector<std::string>& args) {
  constexpr absl::string_view kCmd = "init";
  const base::CommandSpec spec = InitSpec();
  base::ParsedFlags flags;
  if (auto rc = base::ParseFlagsOrExit(absl::StrCat("ringfence pki ", kCmd), spec, args, &flags)) {
    return *rc;
  }

  // Validate the whole command line before generating or writing anything.
  absl::StatusOr<int64_t> days = flags.GetInt("days", 1, 36500);
  if (!days.ok()) return Fail(kCmd, days.status().message(), kUsageError);
  absl::StatusOr<int64_t> ca_days = flags.GetInt("ca-days", 1, 36500);
  if (!ca_days.ok()) return Fail(kCmd, ca_days.status().message(), kUsageError);
  if (*days > *ca_days) {
    return Fail(kCmd, "--days exceeds --ca-days: certificates would outlive their CA",
                kUsageError);
  }
  absl::StatusOr<std::vector<std::string>> las = SplitList("la", flags.Get("la"));
  if (!las.ok()) return Fail(kCmd, las.status().message(), kUsageError);
  if (las->empty()) return Fail(kCmd, "--la: at least one LA code is needed", kUsageError);
  for (const std::string& code : *las) {
    if (absl::Status s = CheckLaCode(code); !s.ok()) {
      return Fail(kCmd, absl::StrCat("--la: ", s.message(), "; nothing written"), kUsageError);
    }
  }
  absl::StatusOr<std::vector<std::string>> recipient_items =
      SplitList("recipients", flags.Get("recipients"));
  if (!recipient_items.ok()) return Fail(kCmd, recipient_items.status().message(), kUsageError);
  std::vector<std::pair<std::string, std::string>> recipients;
  for (const std::string& item : *recipient_items) {
    absl::StatusOr<std::pair<std::string, std::string>> r = ParseRecipient(item);
    if (!r.ok()) {
      return Fail(kCmd, absl::StrCat("--recipients: ", r.status().message()), kUsageError);
    }
    recipients.push_back(*std::move(r));
  }
  absl::StatusOr<std::vector<std::string>> operators =
      SplitList("operators", flags.Get("operators"));
  if (!operators.ok()) return Fail(kCmd, operators.status().message(), kUsageError);
  for (const std::string& name : *operators) {
    if (absl::Status s = CheckOperator(name); !s.ok()) {
      return Fail(kCmd, absl::StrCat("--operators: ", s.message()), kUsageError);
    }
  }
  absl::StatusOr<std::vector<std::string>> dns =
      SplitList("coordinator-dns", flags.Get("coordinator-dns"));
  absl::StatusOr<std::vector<std::string>> ips =
      SplitList("coordinator-ip", flags.Get("coordinator-ip"));
  if (!dns.ok()) return Fail(kCmd, dns.status().message(), kUsageError);
  if (!ips.ok()) return Fail(kCmd, ips.status().message(), kUsageError);
  if (dns->empty() && ips->empty()) {
    return Fail(kCmd, "the coordinator needs at least one DNS name or IP address",
                kUsageError);
  }

  const fs::path out = flags.Get("out");
  std::error_code ec;
  const bool ca_key_exists = fs::exists(out / "ca.key", ec);
  if (ca_key_exists && !flags.Has("force")) {
    return Fail(kCmd, absl::StrCat((out / "ca.key").string(),
                                   " already exists; refusing to overwrite a CA key (pass "
                                   "--force to replace the whole PKI)"));
  }
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) {
    return Fail(kCmd, absl::StrCat(out.string(), " exists and is not a directory"));
  }

  // Generate everything in memory first, so a failure (e.g. a bad --coordinator-ip) leaves
  // the folder untouched.
  const absl::Time now = absl::Now();
  const absl::Time not_before = now - kBackdate;
  const absl::Time not_after = now + absl::Hours(24 * *days);
  crypto::CertificateSpec ca_spec;
  ca_spec.common_name = std::string(kCaCommonName);
  ca_spec.not_before = not_before;
  ca_spec.not_after = now + absl::Hours(24 * *ca_days);
  ca_spec.is_ca = true;
  absl::StatusOr<crypto::PemKeyAndCert> ca_pem = crypto::CreateSelfSignedCa(ca_spec);
  if (!ca_pem.ok()) return Fail(kCmd, ca_pem.status().ToString());
  Issued ca("ca", *std::move(ca_pem));

  std::vector<Issued> issued;
  auto issue = [&](std::string rel_path, const crypto::CertificateSpec& s) -> absl::Status {
    RINGFENCE_ASSIGN_OR_RETURN(crypto::PemKeyAndCert pem, crypto::IssueCertificate(ca.pem, s));
    issued.emplace_back(std::move(rel_path), std::move(pem));
    return absl::OkStatus();
  };
  crypto::CertificateSpec server;
  server.common_name = std::string(kCoordinatorCommonName);
  server.dns_sans = *dns;
  server.ip_sans = *ips;
  server.not_before = not_before;
  server.not_after = not_after;
  server.server_auth = true;
  absl::Status status = issue("coordinator", server);
  std::vector<std::string> la_names, recipient_names;
  for (const std::string& code : *las) {
    if (!status.ok()) break;
    status = issue(absl::StrCat("la/", code),
                   PartySpec(crypto::LaUri(code), not_before, not_after));
    la_names.push_back(absl::StrCat(code, " ", catalogue::FindLocalAuthority(code)->la_name));
  }
  for (const auto& [cls, name] : recipients) {
    if (!status.ok()) break;
    status = issue(absl::StrCat("recipients/", cls, "-", name),
                   PartySpec(crypto::RecipientUri(cls, name), not_before, not_after));
    recipient_names.push_back(absl::StrCat(cls, ":", name));
  }
  for (const std::string& name : *operators) {
    if (!status.ok()) break;
    status = issue(absl::StrCat("operators/", name),
                   PartySpec(crypto::OperatorUri(name), not_before, not_after));
  }
  if (!status.ok()) return Fail(kCmd, absl::StrCat(status.ToString(), "; nothing written"));

  // Write the parties first and the CA key last: if writing stops half way, no ca.key
  // exists yet, so a rerun needs no --force.
  for (absl::string_view sub : {"la", "recipients", "operators"}) {
    const bool needed = (sub == "la") || (sub == "recipients" && !recipients.empty()) ||
                        (sub == "operators" && !operators->empty());
    if (!needed) continue;
    if (absl::Status s = MakeDirectories(out / std::string(sub)); !s.ok()) {
      return Fail(kCmd, s.message());
    }
  }
  for (const Issued& item : issued) {
    if (absl::Status s = WritePair(out / item.rel_path, item.pem); !s.ok()) {
      return Fail(kCmd, s.message());
    }
  }
  if (absl::Status s = WritePair(out / "ca", ca.pem); !s.ok()) return Fail(kCmd, s.message());

  std::cout << "Wrote a test PKI to " << out.string() << "\n"
            << "  ca.pem, ca.key                       \"" << kCaCommonName << "\", valid until "
            << Rfc3339(ca_spec.not_after) << "; keep ca.key offline\n"
            << "  coordinator.pem, coordinator.key     server: "
            << absl::StrJoin(*dns, ", ") << (dns->empty() || ips->empty() ? "" : ", ")
            << absl::StrJoin(*ips, ", ") << "\n"
            << "  la/<CODE>.pem, .key                  " << las->size() << " LA(s): "
            << Abbreviate(la_names) << "\n";
  if (!recipients.empty()) {
    std::cout << "  recipients/<class>-<name>.pem, .key  " << recipients.size()
              << " recipient(s): " << Abbreviate(recipient_names) << "\n";
  }
  if (!operators->empty()) {
    std::cout << "  operators/<name>.pem, .key           " << operators->size()
              << " operator(s): " << Abbreviate(*operators) << "\n";
  }
  std::cout << "Party certificates are valid until " << Rfc3339(not_after)
            << ". Private keys (*.key) have mode 0600.\n";
  if (ca_key_exists) {
    std::cout << "Note: the previous CA in " << out.string()
              << " was replaced; certificates it issued that were not reissued above no "
                 "longer verify.\n";
  }
  return kSuccess;
}

// --- pki issue -------------------------------------------------------------------------

base::CommandSpec IssueSpec() {
  return base::CommandSpec{
      "ringfence pki issue --ca-dir DIR --out-prefix PATH (--la CODE | --recipient "
      "CLASS:NAME | --operator NAME | --coordinator [--coordinator-dns NAME,...] "
      "[--coordinator-ip IP,...]) [--days N | --expired | --not-yet-valid] [--force]",
      "Issues one more certificate from the CA in DIR (ca.pem, ca.key), with a new key, and "
      "writes PATH.pem and PATH.key (mode 0600): a client certificate for an LA, a recipient "
      "or an operator, or the coordinator's server certificate. This is also how a "
      "certificate is renewed or replaced (e.g. after a key compromise): issue a new one for "
      "the same identity, install it, then `pki revoke` the old one. The coordinator "
      "identifies a party by its identity (URI SAN), not by its key or serial, so a node's "
      "submissions and ledger carry over. --expired and --not-yet-valid make certificates "
      "for testing that peers refuse them.",
      {{"ca-dir", "DIR", "folder with ca.pem and ca.key", true, ""},
       {"out-prefix", "PATH", "writes PATH.pem and PATH.key", true, ""},
       {"la", "CODE", "an LA node certificate", false, ""},
       {"recipient", "CLASS:NAME", "a recipient certificate", false, ""},
       {"operator", "NAME", "an operator certificate", false, ""},
       {"coordinator", "", "the coordinator's server certificate", false, ""},
       {"coordinator-dns", "NAME,...", "with --coordinator: its DNS names", false, "localhost"},
       {"coordinator-ip", "IP,...", "with --coordinator: its IP addresses", false, "127.0.0.1"},
       {"days", "N", "validity in days from now", false, "365"},
       {"expired", "", "valid from 10 days ago until 1 day ago", false, ""},
       {"not-yet-valid", "", "valid from 1 day ahead until 10 days ahead", false, ""},
       {"force", "", "overwrite an existing PATH.key", false, ""}}};
}

int RunIssue(const std::vector<std::string>& args) {
  constexpr absl::string_view kCmd = "issue";
  const base::CommandSpec spec = IssueSpec();
  base::ParsedFlags flags;
  if (auto rc = base::ParseFlagsOrExit(absl::StrCat("ringfence pki ", kCmd), spec, args, &flags)) {
    return *rc;
  }

  const int kinds =
      flags.Has("la") + flags.Has("recipient") + flags.Has("operator") + flags.Has("coordinator");
  if (kinds != 1) {
    return Fail(kCmd, "give exactly one of --la, --recipient, --operator or --coordinator",
                kUsageError);
  }
  if (!flags.Has("coordinator") && (flags.Has("coordinator-dns") || flags.Has("coordinator-ip"))) {
    return Fail(kCmd, "--coordinator-dns and --coordinator-ip go with --coordinator", kUsageError);
  }
  std::string uri;  // empty for the coordinator, which is identified by DNS names and IPs
  std::vector<std::string> dns, ips;
  if (flags.Has("coordinator")) {
    absl::StatusOr<std::vector<std::string>> d =
        SplitList("coordinator-dns", flags.Get("coordinator-dns"));
    absl::StatusOr<std::vector<std::string>> i =
        SplitList("coordinator-ip", flags.Get("coordinator-ip"));
    if (!d.ok()) return Fail(kCmd, d.status().message(), kUsageError);
    if (!i.ok()) return Fail(kCmd, i.status().message(), kUsageError);
    if (d->empty() && i->empty()) {
      return Fail(kCmd, "the coordinator needs at least one DNS name or IP address", kUsageError);
    }
    dns = *std::move(d);
    ips = *std::move(i);
  } else if (flags.Has("la")) {
    if (absl::Status s = CheckLaCode(flags.Get("la")); !s.ok()) {
      return Fail(kCmd, absl::StrCat("--la: ", s.message()), kUsageError);
    }
    uri = crypto::LaUri(flags.Get("la"));
  } else if (flags.Has("recipient")) {
    absl::StatusOr<std::pair<std::string, std::string>> r = ParseRecipient(flags.Get("recipient"));
    if (!r.ok()) {
      return Fail(kCmd, absl::StrCat("--recipient: ", r.status().message()), kUsageError);
    }
    uri = crypto::RecipientUri(r->first, r->second);
  } else {
    if (absl::Status s = CheckOperator(flags.Get("operator")); !s.ok()) {
      return Fail(kCmd, absl::StrCat("--operator: ", s.message()), kUsageError);
    }
    uri = crypto::OperatorUri(flags.Get("operator"));
  }
  const int windows = flags.Has("days") + flags.Has("expired") + flags.Has("not-yet-valid");
  if (windows > 1) {
    return Fail(kCmd, "--days, --expired and --not-yet-valid exclude each other", kUsageError);
  }
  absl::StatusOr<int64_t> days = flags.GetInt("days", 1, 36500);
  if (!days.ok()) return Fail(kCmd, days.status().message(), kUsageError);

  const absl::Time now = absl::Now();
  absl::Time not_before = now - kBackdate;
  absl::Time not_after = now + absl::Hours(24 * *days);
  if (flags.Has("expired")) {
    not_before = now - absl::Hours(24 * 10);
    not_after = now - absl::Hours(24);
  } else if (flags.Has("not-yet-valid")) {
    not_before = now + absl::Hours(24);
    not_after = now + absl::Hours(24 * 10);
  }

  const fs::path prefix = flags.Get("out-prefix");
  const fs::path key_path = prefix.string() + ".key";
  std::error_code ec;
  if (fs::exists(key_path, ec) && !flags.Has("force")) {
    return Fail(kCmd, absl::StrCat(key_path.string(),
                                   " already exists; refusing to overwrite a key (pass --force)"));
  }

  const fs::path ca_dir = flags.Get("ca-dir");
  Issued ca("ca", {});
  if (absl::Status s = base::ReadFileToString((ca_dir / "ca.pem").string(), &ca.pem.cert_pem);
      !s.ok()) {
    return Fail(kCmd, s.message());
  }
  if (absl::Status s = base::ReadFileToString((ca_dir / "ca.key").string(), &ca.pem.key_pem);
      !s.ok()) {
    return Fail(kCmd, s.message());
  }
  crypto::CertificateSpec leaf_spec;
  if (flags.Has("coordinator")) {
    // As `pki init` makes it.
    leaf_spec.common_name = std::string(kCoordinatorCommonName);
    leaf_spec.dns_sans = dns;
    leaf_spec.ip_sans = ips;
    leaf_spec.not_before = not_before;
    leaf_spec.not_after = not_after;
    leaf_spec.server_auth = true;
  } else {
    leaf_spec = PartySpec(uri, not_before, not_after);
  }
  absl::StatusOr<crypto::PemKeyAndCert> pem = crypto::IssueCertificate(ca.pem, leaf_spec);
  if (!pem.ok()) {
    return Fail(kCmd, absl::StrCat(ca_dir.string(), ": ", pem.status().ToString()));
  }
  Issued leaf(prefix.string(), *std::move(pem));

  if (prefix.has_parent_path()) {
    if (absl::Status s = MakeDirectories(prefix.parent_path()); !s.ok()) {
      return Fail(kCmd, s.message());
    }
  }
  if (absl::Status s = WritePair(prefix, leaf.pem); !s.ok()) return Fail(kCmd, s.message());

  std::string described;
  if (flags.Has("coordinator")) {
    std::vector<std::string> names = dns;
    names.insert(names.end(), ips.begin(), ips.end());
    described = absl::StrCat("coordinator server certificate for ", absl::StrJoin(names, ", "));
  } else {
    absl::StatusOr<crypto::PartyIdentity> id = crypto::ParseIdentityUri(uri);
    described = id.ok() ? crypto::DescribeIdentity(*id) : uri;
  }
  std::cout << "Wrote " << prefix.string() << ".pem and " << key_path.string() << ": " << described
            << ", valid " << Rfc3339(not_before) << " to " << Rfc3339(not_after)
            << (not_after < now    ? " (EXPIRED)"
                : not_before > now ? " (NOT YET VALID)"
                                   : "")
            << "\n";
  return kSuccess;
}

// --- pki show --------------------------------------------------------------------------

base::CommandSpec ShowSpec() {
  return base::CommandSpec{
      "ringfence pki show FILE [--ca CA_FILE]",
      "Prints a certificate's identity, subject, issuer, serial, validity (RFC 3339, UTC) "
      "and SHA-256 fingerprint, and says if it has expired. With --ca, also checks that it "
      "chains to that CA now.",
      {{"ca", "CA_FILE", "check the certificate against this CA", false, ""}}};
}

// Splits positional arguments from flags, using the spec to know which flags take a value.
void SplitPositional(const base::CommandSpec& spec, const std::vector<std::string>& args,
                     std::vector<std::string>* flag_args, std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      positional->push_back(arg);
      continue;
    }
    flag_args->push_back(arg);
    if (!absl::StartsWith(arg, "--") || arg.find('=') != std::string::npos) continue;
    for (const base::FlagSpec& f : spec.flags) {
      if (arg.substr(2) == f.name && !f.value_name.empty() && i + 1 < args.size()) {
        flag_args->push_back(args[++i]);
      }
    }
  }
}

std::string DescribeCertificate(const std::string& pem, const crypto::CertificateInfo& info) {
  if (info.is_ca) return "certificate authority";
  absl::StatusOr<crypto::PartyIdentity> id = crypto::IdentityFromCertificate(pem);
  if (id.ok()) return crypto::DescribeIdentity(*id);
  bool has_urn = false;
  for (const std::string& uri : info.uri_sans) {
    if (absl::StartsWithIgnoreCase(uri, "urn:ringfence:")) has_urn = true;
  }
  if (!has_urn && (!info.dns_sans.empty() || !info.ip_sans.empty())) {
    std::vector<std::string> names;
    for (const std::string& d : info.dns_sans) names.push_back(absl::StrCat("DNS:", d));
    for (const std::string& ip : info.ip_sans) names.push_back(absl::StrCat("IP:", ip));
    return absl::StrCat("server certificate (", absl::StrJoin(names, ", "), ")");
  }
  return absl::StrCat("no valid Ringfence identity: ", id.status().message());
}

int RunShow(const std::vector<std::string>& args) {
  constexpr absl::string_view kCmd = "show";
  const base::CommandSpec spec = ShowSpec();
  std::vector<std::string> flag_args, positional;
  SplitPositional(spec, args, &flag_args, &positional);
  base::ParsedFlags flags;
  if (auto rc = base::ParseFlagsOrExit(absl::StrCat("ringfence pki ", kCmd), spec, flag_args,
                                       &flags)) {
    return *rc;
  }
  if (positional.size() != 1) {
    return Fail(kCmd, "expected exactly one FILE; see --help", kUsageError);
  }
  const std::string& path = positional[0];
  std::string pem;
  if (absl::Status s = base::ReadFileToString(path, &pem); !s.ok()) {
    return Fail(kCmd, s.message());
  }
  absl::StatusOr<crypto::CertificateInfo> info = crypto::ParseCertificate(pem);
  if (!info.ok()) {
    // Never echo the contents: this may be a key file given by mistake.
    const bool looks_like_key = absl::StrContains(pem, "PRIVATE KEY-----");
    crypto::ClearSecret(&pem);
    return Fail(kCmd, absl::StrCat(path, ": not a PEM certificate",
                                   looks_like_key ? " (it looks like a private key)" : "",
                                   ": ", info.status().message()));
  }
  const absl::Time now = absl::Now();
  std::vector<std::string> sans;
  for (const std::string& d : info->dns_sans) sans.push_back(absl::StrCat("DNS:", d));
  for (const std::string& ip : info->ip_sans) sans.push_back(absl::StrCat("IP:", ip));
  for (const std::string& u : info->uri_sans) sans.push_back(absl::StrCat("URI:", u));
  std::string validity = "valid";
  if (now > info->not_after) {
    validity = "EXPIRED";
  } else if (now < info->not_before) {
    validity = "NOT YET VALID";
  }
  std::cout << "file:        " << path << "\n"
            << "identity:    " << DescribeCertificate(pem, *info) << "\n"
            << "subject:     " << info->subject << "\n"
            << "issuer:      " << info->issuer << "\n"
            << "serial:      " << info->serial_hex << "\n"
            << "not before:  " << Rfc3339(info->not_before) << "\n"
            << "not after:   " << Rfc3339(info->not_after) << "\n"
            << "SANs:        " << (sans.empty() ? "(none)" : absl::StrJoin(sans, ", ")) << "\n"
            << "SHA-256:     " << info->sha256_fingerprint_hex << "\n"
            << "status:      " << validity << "\n";
  if (flags.Has("ca")) {
    std::string ca_pem;
    if (absl::Status s = base::ReadFileToString(flags.Get("ca"), &ca_pem); !s.ok()) {
      return Fail(kCmd, s.message());
    }
    absl::Status verified = crypto::VerifyCertificate(pem, ca_pem, now);
    std::cout << "chain:       "
              << (verified.ok() ? absl::StrCat("OK against ", flags.Get("ca"))
                                : absl::StrCat("FAILED: ", verified.message()))
              << "\n";
    if (!verified.ok()) return kFailure;
  }
  return kSuccess;
}

// --- pki revoke ------------------------------------------------------------------------

// How long a CRL written by `pki revoke` is declared current. The coordinator keeps
// enforcing a CRL past its nextUpdate (and warns), so this only says when to re-sign.
constexpr absl::string_view kDefaultCrlDays = "30";

base::CommandSpec RevokeSpec() {
  return base::CommandSpec{
      "ringfence pki revoke --ca-dir DIR --cert FILE [--crl FILE] [--days N]",
      "Revokes a certificate issued by the CA in DIR (ca.pem, ca.key): adds its serial to "
      "the CA's certificate revocation list, re-signs it with ca.key and replaces the CRL "
      "file atomically (DIR/crl.pem by default; created if absent). An existing CRL must "
      "verify against the CA. A coordinator started with --crl FILE picks up the new list "
      "within seconds, without a restart, and refuses the certificate on its next call.",
      {{"ca-dir", "DIR", "folder with ca.pem and ca.key", true, ""},
       {"cert", "FILE", "the certificate to revoke (PEM)", true, ""},
       {"crl", "FILE", "the CRL to update (default DIR/crl.pem)", false, ""},
       {"days", "N", "days until the CRL's nextUpdate", false, std::string(kDefaultCrlDays)}}};
}

int RunRevoke(const std::vector<std::string>& args) {
  constexpr absl::string_view kCmd = "revoke";
  const base::CommandSpec spec = RevokeSpec();
  base::ParsedFlags flags;
  if (auto rc = base::ParseFlagsOrExit(absl::StrCat("ringfence pki ", kCmd), spec, args, &flags)) {
    return *rc;
  }
  absl::StatusOr<int64_t> days = flags.GetInt("days", 1, 3650);
  if (!days.ok()) return Fail(kCmd, days.status().message(), kUsageError);
  const fs::path ca_dir = flags.Get("ca-dir");
  const std::string crl_path =
      flags.Has("crl") ? flags.Get("crl") : (ca_dir / "crl.pem").string();

  Issued ca("ca", {});
  if (absl::Status s = base::ReadFileToString((ca_dir / "ca.pem").string(), &ca.pem.cert_pem);
      !s.ok()) {
    return Fail(kCmd, s.message());
  }
  if (absl::Status s = base::ReadFileToString((ca_dir / "ca.key").string(), &ca.pem.key_pem);
      !s.ok()) {
    return Fail(kCmd, s.message());
  }
  std::string cert_pem;
  if (absl::Status s = base::ReadFileToString(flags.Get("cert"), &cert_pem); !s.ok()) {
    return Fail(kCmd, s.message());
  }
  std::string existing;
  std::error_code ec;
  if (fs::exists(crl_path, ec)) {
    if (absl::Status s = base::ReadFileToString(crl_path, &existing); !s.ok()) {
      return Fail(kCmd, s.message());
    }
  } else if (ec) {
    return Fail(kCmd, absl::StrCat(crl_path, ": ", ec.message()));
  }
  const absl::Time now = absl::Now();
  absl::StatusOr<crypto::RevocationResult> result = crypto::RevokeCertificate(
      ca.pem, existing, cert_pem, now, absl::Hours(24 * *days));
  if (!result.ok()) {
    return Fail(kCmd, absl::StrCat(flags.Get("cert"), " / ", crl_path, ": ",
                                   result.status().ToString(), "; CRL unchanged"));
  }
  if (absl::Status s = base::WriteFileAtomically(crl_path, result->crl_pem, 0644); !s.ok()) {
    return Fail(kCmd, s.message());
  }
  absl::StatusOr<crypto::PartyIdentity> id = crypto::IdentityFromCertificate(cert_pem);
  std::cout << (result->already_revoked ? "Already revoked" : "Revoked") << " serial "
            << result->serial_hex << " ("
            << (id.ok() ? crypto::DescribeIdentity(*id) : std::string("no Ringfence identity"))
            << "); wrote " << crl_path << ", CRL number " << result->crl_number
            << ", next update by " << Rfc3339(now + absl::Hours(24 * *days)) << "\n";
  return kSuccess;
}

constexpr absl::string_view kPkiHelp =
    "usage: ringfence pki <init|issue|show|revoke> [flags]\n\n"
    "Makes and inspects a test/demo PKI for Ringfence's mutual TLS.\n\n"
    "subcommands:\n"
    "  init    create a CA and certificates for the coordinator, LAs, recipients, operators\n"
    "  issue   issue one more certificate from an existing CA\n"
    "  show    print a certificate's identity and validity\n"
    "  revoke  add a certificate to the CA's revocation list (CRL)\n\n"
    "Run 'ringfence pki <subcommand> --help' for its flags.\n";

}  // namespace

int RunPkiCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::cerr << kPkiHelp;
    return kUsageError;
  }
  const std::string& sub = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << kPkiHelp;
    return kSuccess;
  }
  if (sub == "init") return RunInit(rest);
  if (sub == "issue") return RunIssue(rest);
  if (sub == "show") return RunShow(rest);
  if (sub == "revoke") return RunRevoke(rest);
  std::cerr << "ringfence pki: unknown subcommand '" << sub << "'; see 'ringfence pki --help'\n";
  return kUsageError;
}

}  // namespace ringfence::tools
