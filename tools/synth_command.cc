// `ringfence synth`: writes synthetic SSDA903 exports for a set of LAs (tools/synth/synth.h).
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/cli.h"
#include "tools/commands.h"
#include "tools/synth/synth.h"

namespace ringfence::tools {
namespace {

const base::CommandSpec& SynthSpec() {
  static const base::CommandSpec* const spec = new base::CommandSpec{
      "ringfence synth (--la-count N | --la CODE,CODE,...) --year YYYY --seed S --out DIR "
      "[--scale F] [--single-folder] [--inject-errors]",
      "Writes realistic, entirely synthetic SSDA903 exports (header, episodes, uasc, oc3, "
      "missing, reviews, oc2, ad1, placed_adoption, prev_perm, sw_episodes), a local "
      "sensitive.csv and an NSPL-style postcodes.csv (pcd,oseast1m,osnrth1m,utla) covering "
      "every postcode used, for each chosen local authority to DIR/<LA code>/, and "
      "DIR/manifest.csv listing the LAs (la_code,la_name,region_code,region_name,children). "
      "The same flags always give byte-identical files. Volumes and mixes follow DfE's "
      "published national figures; every file passes the node's strict validation. Never use "
      "real data in the repository: use this.",
      {
          {"la-count", "N",
           "choose N local authorities (1-153) from the seed, spread over the regions"},
          {"la", "CODES", "comma-separated ONS LA codes instead of --la-count, e.g. E09000033"},
          {"year", "YYYY", "collection year: the year ending 31 March YYYY (2020-2030)", true},
          {"seed", "S", "random seed, an unsigned 64-bit integer", true},
          {"out", "DIR", "output folder (created if needed; files of the same names are replaced)",
           true},
          {"scale", "F", "volume multiplier, more than 0 and at most 20", false, "1.0"},
          {"single-folder", "",
           "write every chosen LA's rows into one set of files directly in DIR (one "
           "header.csv, one episodes.csv, ..., CHILD ids unique across LAs, postcode tables "
           "merged) and the manifest as DIR/manifest.txt, e.g. a national folder for benchmarks "
           "(--la-count 153: about 84,000 children looked after)"},
          {"inject-errors", "",
           "add known validation faults to each LA folder (with --single-folder, to the first "
           "LA's rows) plus faulty extra CSVs, and write expected_errors.txt beside them: one "
           "`file:line: FIELD:` prefix per error the node's loader must report"},
      }};
  return *spec;
}

int UsageError(absl::string_view message) {
  std::cerr << "ringfence synth: " << message << "\n";
  return 2;
}

}  // namespace

int RunSynthCommand(const std::vector<std::string>& args) {
  const base::CommandSpec& spec = SynthSpec();
  base::ParsedFlags parsed;
  if (auto rc = base::ParseFlagsOrExit("ringfence synth", spec, args, &parsed)) return *rc;
  const base::ParsedFlags* flags = &parsed;

  synth::SynthOptions options;
  const bool by_count = flags->Has("la-count");
  const bool by_code = flags->Has("la");
  if (by_count == by_code) return UsageError("give exactly one of --la-count N and --la CODES");
  if (by_count) {
    absl::StatusOr<int64_t> n = flags->GetInt(
        "la-count", 1, static_cast<int64_t>(catalogue::AllLocalAuthorities().size()));
    if (!n.ok()) return UsageError(n.status().message());
    options.la_count = static_cast<int>(*n);
  } else {
    for (absl::string_view code : absl::StrSplit(flags->Get("la"), ',')) {
      code = absl::StripAsciiWhitespace(code);
      if (code.empty()) return UsageError("--la: empty LA code in the list");
      options.la_codes.emplace_back(code);
    }
  }
  absl::StatusOr<int64_t> year =
      flags->GetInt("year", synth::kFirstSynthYear, synth::kLastSynthYear);
  if (!year.ok()) return UsageError(year.status().message());
  options.year = static_cast<int>(*year);
  const std::string seed = flags->Get("seed");
  if (seed.empty() || seed[0] == '-' || seed[0] == '+' ||
      !absl::SimpleAtoi(seed, &options.seed)) {
    return UsageError(
        absl::StrCat("--seed: expected an unsigned 64-bit integer, got '", seed, "'"));
  }
  const std::string scale = flags->Get("scale");
  if (!absl::SimpleAtod(scale, &options.scale) || !(options.scale > 0.0) ||
      options.scale > synth::kMaxScale) {
    return UsageError(absl::StrCat("--scale: expected a number more than 0 and at most ",
                                   synth::kMaxScale, ", got '", scale, "'"));
  }
  options.single_folder = flags->Has("single-folder");
  options.inject_errors = flags->Has("inject-errors");
  options.out_dir = flags->Get("out");
  if (options.out_dir.empty()) return UsageError("--out: empty folder name");

  std::vector<synth::SynthSummary> summaries;
  const absl::Status status = synth::GenerateSynthetic(options, &summaries);
  if (!status.ok()) {
    if (status.code() == absl::StatusCode::kInvalidArgument) return UsageError(status.message());
    std::cerr << "ringfence synth: " << status.message() << "\n";
    return 1;
  }
  int64_t children = 0, cla = 0;
  for (const synth::SynthSummary& s : summaries) {
    children += s.children;
    cla += s.cla;
  }
  std::cout << "wrote synthetic data for " << summaries.size() << " local authorities ("
            << children << " children, " << cla << " looked after at 31/03/" << options.year
            << ") to " << options.out_dir << (options.single_folder ? " (one folder)" : "")
            << (options.inject_errors ? " with injected errors" : "") << "\n";
  return 0;
}

}  // namespace ringfence::tools
