#include "tools/audit_command.h"

#include <iostream>

#include "absl/strings/str_join.h"
#include "base/cli.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"
#include "crypto/random_source.h"
#include "node/loader.h"
#include "policy/policy.h"
#include "tools/noninterference.h"

namespace ringfence::tools {
namespace {

const base::CommandSpec& Spec() {
  static const base::CommandSpec* spec = new base::CommandSpec{
      "ringfence audit noninterference --data DIR --la CODE --year YYYY --policy FILE "
      "[--postcodes FILE]",
      "Runs the node and coordinator pipeline on the LA's data and on shuffled, blanked,\n"
      "uniform and random versions of its sensitive.csv records, with the same noise, and\n"
      "checks that every byte each enforcement and public class would receive, and every\n"
      "untainted cell the node would send, is identical. Nothing is sent or written.\n"
      "Exit codes: 0 PASS, 1 FAIL or an error, 2 usage error.",
      {{"data", "DIR", "folder of the LA's SSDA903 CSV exports and sensitive.csv", true, ""},
       {"la", "CODE", "the LA's new code, e.g. E09000033", true, ""},
       {"year", "YYYY", "collection year Y: the year ending 31 March Y", true, ""},
       {"policy", "FILE", "the policy to audit (must pass `ringfence policy check`)", true, ""},
       {"postcodes", "FILE", "postcode table (as for ringfence-node)", false, ""}}};
  return *spec;
}

}  // namespace

int RunAuditCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "noninterference") {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << "usage: " << Spec().usage << "\n";
      return 0;
    }
    std::cerr << "usage: " << Spec().usage << "\n";
    return 2;
  }
  base::ParsedFlags flags;
  if (auto rc =
          base::ParseFlagsOrExit("ringfence audit noninterference", Spec(),
                                 std::vector<std::string>(args.begin() + 1, args.end()), &flags)) {
    return *rc;
  }
  if (catalogue::FindLocalAuthority(flags.Get("la")) == nullptr) {
    std::cerr << "ringfence audit: --la: '" << flags.Get("la") << "' is not a known LA code\n";
    return 2;
  }
  auto year = flags.GetInt("year", catalogue::kFirstYear, catalogue::kLastYear);
  if (!year.ok()) {
    std::cerr << "ringfence audit: " << year.status().message() << "\n";
    return 2;
  }
  auto policy = policy::LoadPolicyFile(flags.Get("policy"));
  if (!policy.ok()) {
    std::cerr << "ringfence audit: --policy: " << policy.status().message() << "\n";
    return 1;
  }
  node::LoadOptions load;
  load.dir = flags.Get("data");
  load.la_code = flags.Get("la");
  load.year = static_cast<int>(*year);
  load.postcodes_path = flags.Get("postcodes");
  load.quarantinable = policy->quarantinable;
  node::ValidationReport report;
  node::QuarantineReport quarantine;
  auto data = node::LoadLaFolder(load, &report, &quarantine);
  if (!data.ok()) {
    std::cerr << data.status().message() << "\n";
    return 1;
  }
  crypto::OpenSslRandomSource noise;
  crypto::OpenSslRandomSource variants_rng;
  auto result = CheckNoninterference(&*data, load.year, *policy, StandardSensitiveVariants(), {},
                                     noise, variants_rng);
  if (!result.ok()) {
    std::cerr << "ringfence audit: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << "policy " << policy->name << " (digest " << policy->digest.substr(0, 12)
            << "...), LA " << load.la_code << " " << load.year
            << "; classes checked: " << absl::StrJoin(result->classes_checked, ", ") << "\n";
  for (const std::string& line : result->lines) std::cout << "  " << line << "\n";
  std::cout << "  tainted cells changed by the variants: " << result->tainted_cells_changed
            << " (they are allowed to; they show the variants reached the sensitive data)\n";
  std::cout << (result->pass ? "PASS: nothing the checked classes receive depends on "
                               "nationality, immigration status or NRPF\n"
                             : "FAIL: see the lines above\n");
  return result->pass ? 0 : 1;
}

}  // namespace ringfence::tools
