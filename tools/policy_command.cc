#include "tools/policy_command.h"

#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/cli.h"
#include "base/csv.h"
#include "catalogue/catalogue.h"
#include "policy/firewall.h"
#include "policy/policy.h"

namespace ringfence::tools {
namespace {

constexpr char kPolicyHelp[] =
    "usage: ringfence policy <subcommand> FILE [flags]\n"
    "\n"
    "Checks and explains a ringfence.v1.Policy textproto (docs/policy.md).\n"
    "\n"
    "subcommands:\n"
    "  check FILE                      does the policy pass every rule? prints a summary, or\n"
    "                                  every violation as rule: recipient: cell: message\n"
    "  explain FILE --recipient CLASS  every cell CLASS receives and why, every cell it does\n"
    "                                  not and why (works on a policy that leaks, too)\n"
    "  digest FILE                     just the digest of a policy that passes\n"
    "\n"
    "exit codes: 0 pass (check) or printed (explain, digest); 1 policy refused, file\n"
    "unreadable, or unknown --recipient class; 2 usage error.\n"
    "Run 'ringfence policy <subcommand> --help' for a subcommand's flags.\n";

constexpr char kExitCodes[] =
    " Exit codes: 0 success; 1 the policy is refused, the file cannot be read, or the class is "
    "unknown; 2 usage error.";

base::CommandSpec CheckSpec() {
  return {"ringfence policy check FILE",
          absl::StrCat("Parses FILE exactly as ringfence-node and ringfence-coordinator do and "
                       "applies every rule of docs/policy.md. On a pass, prints a summary: name, "
                       "digest, sensitive attributes, and each recipient class with its "
                       "enforcement/public flags and the histograms it receives. On a failure, "
                       "prints every firewall violation, one per line as 'rule: recipient: "
                       "cell: message', or the rule that refused the file.",
                       kExitCodes),
          {}};
}

base::CommandSpec ExplainSpec() {
  return {"ringfence policy explain FILE --recipient CLASS",
          absl::StrCat("Lists, for every indicator x breakdown x geographic level in catalogue "
                       "order, whether CLASS RECEIVES it (the grant that lets it, and whether the "
                       "cells are tainted by a sensitive attribute) or DOES NOT RECEIVE it (and "
                       "why). Works on a policy whose firewall does not hold, so you can see how "
                       "it would leak; its violations are printed first, marked '!!'. A "
                       "leaking policy still exits 0 here: use check for the verdict.",
                       kExitCodes),
          {{"recipient", "CLASS", "the recipient class to explain, e.g. home_office_enforcement",
            true, ""}}};
}

base::CommandSpec DigestSpec() {
  return {"ringfence policy digest FILE",
          absl::StrCat("Prints the policy's digest (hex SHA-256 of its deterministic "
                       "serialisation; comments and layout do not change it) and nothing else, "
                       "so an operator can compare it with what ringfence-node and "
                       "ringfence-coordinator report. A policy that fails check has no digest.",
                       kExitCodes),
          {}};
}

// Splits `args` into positional arguments and flags (with their values) for base::ParseFlags,
// which takes flags only. A flag the spec does not know is passed on for ParseFlags to refuse.
void SplitArgs(const base::CommandSpec& spec, const std::vector<std::string>& args,
               std::vector<std::string>* positional, std::vector<std::string>* flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || absl::StartsWith(a, "--")) {
      flags->push_back(a);
      if (a.find('=') != std::string::npos) continue;
      for (const base::FlagSpec& f : spec.flags) {
        if (a == absl::StrCat("--", f.name) && !f.value_name.empty() && i + 1 < args.size()) {
          flags->push_back(args[++i]);
        }
      }
    } else {
      positional->push_back(a);
    }
  }
}

// Parses a subcommand's arguments: exactly one FILE and the spec's flags. Returns an exit code
// to stop with (help printed, or a usage error), or nullopt to carry on.
std::optional<int> ParseSubcommand(absl::string_view program, const base::CommandSpec& spec,
                                   const std::vector<std::string>& args, std::string* file,
                                   base::ParsedFlags* flags, std::ostream& out, std::ostream& err) {
  std::vector<std::string> positional, flag_args;
  SplitArgs(spec, args, &positional, &flag_args);
  absl::StatusOr<base::ParsedFlags> parsed = base::ParseFlags(spec, flag_args);
  if (!parsed.ok()) {
    err << program << ": " << parsed.status().message() << "\n";
    return kPolicyExitUsage;
  }
  if (parsed->help()) {
    out << base::HelpText(spec);
    return kPolicyExitOk;
  }
  if (positional.size() != 1) {
    err << program << ": "
        << (positional.empty() ? "missing the policy FILE"
                               : absl::StrCat("expected one FILE, got ", positional.size(),
                                              " arguments: ", absl::StrJoin(positional, " ")))
        << "; see --help\n";
    return kPolicyExitUsage;
  }
  *file = positional[0];
  *flags = *std::move(parsed);
  return std::nullopt;
}

// Reads FILE; on failure prints why to `err` and returns false.
bool ReadPolicyText(absl::string_view program, const std::string& file, std::string* text,
                    std::ostream& err) {
  absl::Status read = base::ReadFileToString(file, text);
  if (!read.ok()) {
    err << program << ": " << read.message() << "\n";
    return false;
  }
  return true;
}

std::string Cell(absl::string_view indicator, absl::string_view breakdown, policy::GeoLevel level) {
  // The same spelling as policy::Violation::cell, so the two can be matched up.
  return absl::StrCat(indicator, "/", breakdown, " at ", policy::GeoLevelName(level));
}

std::string Flags(const policy::RecipientClass& c) {
  std::vector<std::string> flags;
  if (c.enforcement) flags.push_back("enforcement");
  if (c.is_public) flags.push_back("public");
  return flags.empty() ? "-" : absl::StrJoin(flags, ",");
}

// The classes `name` inherits, transitively, in breadth-first order.
std::vector<std::string> Ancestors(const policy::Policy& p, absl::string_view name) {
  std::vector<std::string> out;
  std::set<std::string> seen = {std::string(name)};
  const policy::RecipientClass* c = p.FindClass(name);
  std::vector<std::string> queue = c != nullptr ? c->inherits : std::vector<std::string>{};
  for (size_t i = 0; i < queue.size(); ++i) {
    if (!seen.insert(queue[i]).second) continue;
    out.push_back(queue[i]);
    if (const policy::RecipientClass* parent = p.FindClass(queue[i])) {
      queue.insert(queue.end(), parent->inherits.begin(), parent->inherits.end());
    }
  }
  return out;
}

int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr char kProgram[] = "ringfence policy check";
  const base::CommandSpec spec = CheckSpec();
  std::string file, text;
  base::ParsedFlags flags;
  if (auto rc = ParseSubcommand(kProgram, spec, args, &file, &flags, out, err)) return *rc;
  if (!ReadPolicyText(kProgram, file, &text, err)) return kPolicyExitRefused;

  // The verdict is ParsePolicy's: the function the node and the coordinator call.
  absl::StatusOr<policy::Policy> checked = policy::ParsePolicy(text, file);
  if (checked.ok()) {
    out << "OK: " << file << " passes every rule of the policy checker\n"
        << PolicySummary(*checked);
    return kPolicyExitOk;
  }
  // Say why, as precisely as we can: a firewall failure as one line per violation.
  absl::StatusOr<policy::Policy> unchecked = policy::ParsePolicyUnchecked(text, file);
  std::vector<policy::Violation> violations;
  if (unchecked.ok()) violations = policy::CheckFirewall(*unchecked);
  if (violations.empty()) {
    // A structural rule or a syntax error: ParsePolicy reports the first one it meets.
    for (absl::string_view line : absl::StrSplit(checked.status().message(), '\n')) {
      out << "FAIL: " << line << "\n";
    }
    return kPolicyExitRefused;
  }
  out << "FAIL: " << file << ": the firewall does not hold (" << violations.size() << " violation"
      << (violations.size() == 1 ? "" : "s") << "); each line is rule: recipient: cell: message\n";
  for (const policy::Violation& v : violations) out << v.ToString() << "\n";
  return kPolicyExitRefused;
}

int RunExplain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr char kProgram[] = "ringfence policy explain";
  const base::CommandSpec spec = ExplainSpec();
  std::string file, text;
  base::ParsedFlags flags;
  if (auto rc = ParseSubcommand(kProgram, spec, args, &file, &flags, out, err)) return *rc;
  if (!ReadPolicyText(kProgram, file, &text, err)) return kPolicyExitRefused;

  // Unchecked, so that a policy that leaks can be explained; never used to enforce.
  absl::StatusOr<policy::Policy> p = policy::ParsePolicyUnchecked(text, file);
  if (!p.ok()) {
    err << kProgram << ": the policy cannot be explained, it fails a rule before the "
        << "firewall's:\n"
        << p.status().message() << "\n";
    return kPolicyExitRefused;
  }
  const std::string recipient = flags.Get("recipient");
  if (p->FindClass(recipient) == nullptr) {
    std::vector<std::string> known;
    for (const policy::RecipientClass& c : p->classes) known.push_back(c.name);
    err << kProgram << ": " << file << " has no recipient class \"" << recipient
        << "\"; its classes are: " << absl::StrJoin(known, ", ") << "\n";
    return kPolicyExitRefused;
  }
  out << ExplainRecipient(*p, recipient);
  return kPolicyExitOk;
}

int RunDigest(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr char kProgram[] = "ringfence policy digest";
  const base::CommandSpec spec = DigestSpec();
  std::string file, text;
  base::ParsedFlags flags;
  if (auto rc = ParseSubcommand(kProgram, spec, args, &file, &flags, out, err)) return *rc;
  if (!ReadPolicyText(kProgram, file, &text, err)) return kPolicyExitRefused;
  absl::StatusOr<policy::Policy> p = policy::ParsePolicy(text, file);
  if (!p.ok()) {
    err << kProgram << ": the policy is refused, so it has no digest (run 'ringfence policy "
        << "check' for every violation):\n"
        << p.status().message() << "\n";
    return kPolicyExitRefused;
  }
  out << p->digest << "\n";
  return kPolicyExitOk;
}

}  // namespace

std::string PolicySummary(const policy::Policy& p) {
  int histograms = 0, tainted = 0;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    for (const std::string& bd : ind.breakdowns) {
      ++histograms;
      tainted += policy::IsTainted(p, ind.name, bd) ? 1 : 0;
    }
  }
  std::string out;
  absl::StrAppend(&out, "name:        ", p.name, "\n");
  absl::StrAppend(&out, "digest:      ", p.digest, "\n");
  absl::StrAppend(&out, "sensitive:   ", absl::StrJoin(p.sensitive_attributes, ", "), "\n");
  absl::StrAppend(&out, "privacy:     rho_per_year ", p.privacy.rho_per_year.ToString(),
                  ", rho_per_round ", p.privacy.rho_per_round.ToString(), "\n");
  absl::StrAppend(
      &out, "disclosure:  untainted suppress below ", p.untainted_rule.suppression_threshold,
      ", round to ", p.untainted_rule.rounding_base, "; tainted suppress below ",
      p.tainted_rule.suppression_threshold, ", round to ", p.tainted_rule.rounding_base, "\n");
  absl::StrAppend(&out, "histograms:  ", histograms, " in the catalogue, ", tainted, " tainted, ",
                  policy::SendableHistogramCount(p), " sent by each node\n");
  absl::StrAppend(&out, "classes (histograms received at some level, of ", histograms, "):\n");
  absl::StrAppend(&out, absl::StrFormat("  %-28s %-18s %10s %8s  %s\n", "class", "flags",
                                        "histograms", "tainted", "inherits"));
  for (const policy::RecipientClass& c : p.classes) {
    int received = 0, received_tainted = 0;
    for (const catalogue::Indicator& ind : catalogue::Indicators()) {
      for (const std::string& bd : ind.breakdowns) {
        bool any = false;
        for (policy::GeoLevel level : policy::kAllGeoLevels) {
          any |= policy::Receives(p, c.name, ind.name, bd, level).has_value();
        }
        if (!any) continue;
        ++received;
        received_tainted += policy::IsTainted(p, ind.name, bd) ? 1 : 0;
      }
    }
    const std::vector<std::string> ancestors = Ancestors(p, c.name);
    absl::StrAppend(&out, absl::StrFormat("  %-28s %-18s %10d %8d  %s\n", c.name, Flags(c),
                                          received, received_tainted,
                                          ancestors.empty() ? "-" : absl::StrJoin(ancestors, ",")));
  }
  return out;
}

std::string ExplainRecipient(const policy::Policy& p, absl::string_view class_name) {
  const policy::RecipientClass* c = p.FindClass(class_name);
  if (c == nullptr) return "";
  std::string out;
  absl::StrAppend(&out, "policy:      ", p.name, " (", p.file, ")\n");
  absl::StrAppend(&out, "class:       ", c->name, " [", Flags(*c), "]",
                  c->description.empty() ? "" : absl::StrCat(": ", c->description), "\n");
  const std::vector<std::string> ancestors = Ancestors(p, c->name);
  absl::StrAppend(&out,
                  "inherits:    ", ancestors.empty() ? "nothing" : absl::StrJoin(ancestors, ", "),
                  ancestors.size() > c->inherits.size() ? " (transitively)" : "", "\n");
  std::vector<std::string> publics;
  for (const policy::RecipientClass& other : p.classes) {
    if (other.is_public && other.name != c->name) publics.push_back(other.name);
  }
  absl::StrAppend(
      &out, "also reads:  ", publics.empty() ? "no public class" : absl::StrJoin(publics, ", "),
      " (what is public, everyone can read)\n");
  absl::StrAppend(&out, "sensitive:   ", absl::StrJoin(p.sensitive_attributes, ", "), "\n");

  const std::vector<policy::Violation> violations = policy::CheckFirewall(p);
  if (!violations.empty()) {
    absl::StrAppend(&out, "\n!! THE FIREWALL DOES NOT HOLD: ", violations.size(), " violation",
                    violations.size() == 1 ? "" : "s",
                    ". check, the node and the coordinator refuse this policy;\n"
                    "!! what follows explains it as written, for diagnosis only.\n");
    for (const policy::Violation& v : violations) {
      absl::StrAppend(&out, "!! ", v.ToString(), "\n");
    }
  }

  // One line per histogram x level, in catalogue order.
  std::vector<std::string> lines;
  int receives = 0, receives_cells = 0, total = 0;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    for (const std::string& bd : ind.breakdowns) {
      const std::vector<std::string> taint = policy::TaintOf(p, ind.name, bd);
      const std::string taint_text =
          taint.empty() ? "untainted" : absl::StrCat("tainted by ", absl::StrJoin(taint, ", "));
      const size_t groups = catalogue::FindBreakdown(bd)->groups.size();
      std::vector<policy::GeoLevel> received_at;
      for (policy::GeoLevel level : policy::kAllGeoLevels) {
        if (policy::Receives(p, c->name, ind.name, bd, level)) received_at.push_back(level);
      }
      for (policy::GeoLevel level : policy::kAllGeoLevels) {
        ++total;
        const std::string cell = absl::StrCat(Cell(ind.name, bd, level), " (", groups,
                                              groups == 1 ? " cell" : " cells", ")");
        std::optional<policy::Route> route = policy::Receives(p, c->name, ind.name, bd, level);
        if (route.has_value()) {
          ++receives;
          receives_cells += static_cast<int>(groups);
          std::string line =
              absl::StrCat("RECEIVES          ", cell, ": ", taint_text, "; ", route->ToString());
          if (c->name == policy::kLaOwnClass && level == policy::GeoLevel::kLocalAuthority) {
            absl::StrAppend(&line, " [each LA sees only its own rows]");
          }
          if (!taint.empty() && (c->enforcement || c->is_public)) {
            absl::StrAppend(
                &line, "  !! ",
                c->enforcement ? "enforcement-receives-tainted" : "public-receives-tainted");
          }
          lines.push_back(std::move(line));
          continue;
        }
        std::string why =
            "no grant of its own, of a class it inherits or of a public class "
            "covers it";
        if (!received_at.empty()) {
          std::vector<std::string> names;
          for (policy::GeoLevel l : received_at) names.emplace_back(policy::GeoLevelName(l));
          absl::StrAppend(&why, " at this level (received at ", absl::StrJoin(names, ", "),
                          " only)");
        }
        if (!taint.empty()) {
          absl::StrAppend(&why, "; ", taint_text);
          if (c->enforcement) {
            absl::StrAppend(&why, ", which an enforcement class may never receive");
          } else if (c->is_public) {
            absl::StrAppend(&why, ", which a public class may never receive");
          }
        }
        lines.push_back(absl::StrCat("DOES NOT RECEIVE  ", cell, ": ", why));
      }
    }
  }
  absl::StrAppend(&out, "\n", c->name, " RECEIVES ", receives, " of ", total,
                  " histogram x level combinations (", receives_cells,
                  " cells) and DOES NOT RECEIVE ", total - receives, ":\n");
  for (const std::string& line : lines) absl::StrAppend(&out, line, "\n");
  return out;
}

int RunPolicyCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kPolicyHelp;
    return kPolicyExitUsage;
  }
  const std::string& sub = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "--help" || sub == "-h" || sub == "help") {
    out << kPolicyHelp;
    return kPolicyExitOk;
  }
  if (sub == "check") return RunCheck(rest, out, err);
  if (sub == "explain") return RunExplain(rest, out, err);
  if (sub == "digest") return RunDigest(rest, out, err);
  err << "ringfence policy: unknown subcommand '" << sub << "'; see 'ringfence policy --help'\n";
  return kPolicyExitUsage;
}

int RunPolicyCommand(const std::vector<std::string>& args) {
  return RunPolicyCommand(args, std::cout, std::cerr);
}

}  // namespace ringfence::tools
