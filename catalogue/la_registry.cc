#include "catalogue/la_registry.h"

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/csv.h"
#include "catalogue/reference_data.h"

namespace ringfence::catalogue {
namespace {

constexpr absl::string_view kRegisterColumns[] = {"new_la_code", "old_la_code", "la_name",
                                                  "region_code", "region_name"};

// The embedded files are build inputs checked by catalogue/la_registry_test.cc; a malformed
// row here is a build defect, so it is skipped rather than reported at run time.
std::vector<std::vector<std::string>> Rows(absl::string_view csv) {
  std::vector<std::vector<std::string>> rows;
  base::CsvReader reader(csv, "embedded");
  base::CsvRow row;
  bool header = true;
  while (reader.Next(&row)) {
    if (header) {
      header = false;
      continue;
    }
    rows.emplace_back(row.fields.begin(), row.fields.end());
  }
  return rows;
}

struct Registry {
  std::vector<LocalAuthority> las;
  std::vector<Region> regions;
  absl::flat_hash_map<std::string, size_t> by_code;           // new_la_code -> index in las
  std::map<std::pair<std::string, int>, int64_t> population;  // (code, cla year)
  std::string source;
};

std::map<std::pair<std::string, int>, int64_t> EmbeddedPopulation() {
  std::map<std::pair<std::string, int>, int64_t> population;
  // mid_year,cla_time_period,new_la_code,old_la_code,la_name,region_code,region_name,pop
  for (const auto& row : Rows(kLaPopulationCsv)) {
    int year = 0;
    int64_t pop = 0;
    if (row.size() != 8 || !absl::SimpleAtoi(row[1], &year) || !absl::SimpleAtoi(row[7], &pop)) {
      continue;
    }
    population[{row[2], year}] = pop;
  }
  return population;
}

// A registry over `las` (already validated), with populations and the index.
Registry* BuildRegistry(std::vector<LocalAuthority> las, std::string source) {
  auto* r = new Registry;
  r->population = EmbeddedPopulation();
  r->source = std::move(source);
  // The latest year's population for each code, in one pass.
  std::map<std::string, std::pair<int, int64_t>> latest;
  for (const auto& [key, pop] : r->population) {
    auto& l = latest[key.first];
    if (key.second > l.first) l = {key.second, pop};
  }
  std::set<std::string> seen_regions;
  for (LocalAuthority& la : las) {
    auto it = latest.find(la.new_la_code);
    la.population_0_17 = it == latest.end() ? 0 : it->second.second;
    if (seen_regions.insert(la.region_code).second) {
      r->regions.push_back(Region{la.region_code, la.region_name});
    }
    r->by_code.emplace(la.new_la_code, r->las.size());
    r->las.push_back(std::move(la));
  }
  return r;
}

Registry* BuildEmbedded() {
  std::vector<LocalAuthority> las;
  for (const auto& row : Rows(kLaCodesCsv)) {
    if (row.size() != 5) continue;
    las.push_back(LocalAuthority{row[0], row[1], row[2], row[3], row[4], 0});
  }
  return BuildRegistry(std::move(las), "built-in data/la_codes.csv");
}

// The process's registry: null until first used or installed, then fixed for the process.
std::mutex registry_mu;
const Registry* installed_registry = nullptr;  // guarded by registry_mu

const Registry& GetRegistry() {
  static const Registry* const registry = [] {
    std::lock_guard<std::mutex> lock(registry_mu);
    if (installed_registry == nullptr) installed_registry = BuildEmbedded();
    return installed_registry;
  }();
  return *registry;
}

// A GSS-style code: a capital letter and eight digits.
bool IsGssCode(absl::string_view s) {
  if (s.size() != 9 || !absl::ascii_isupper(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// Non-empty, no leading/trailing space, no control characters.
bool IsCleanName(absl::string_view s) {
  if (s.empty() || absl::ascii_isspace(static_cast<unsigned char>(s.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  for (char c : s) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<LocalAuthority>> ParseLaRegister(absl::string_view csv,
                                                            absl::string_view file_name) {
  const std::string file(file_name);
  auto bad = [&file](int line, absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", field, ": ", what));
  };
  base::CsvReader reader(csv, file);
  base::CsvRow row;
  if (!reader.Next(&row)) {
    if (!reader.status().ok()) return reader.status();
    return absl::InvalidArgumentError(absl::StrCat(file, ":1: empty file; expected the header ",
                                                   absl::StrJoin(kRegisterColumns, ",")));
  }
  const std::vector<absl::string_view> expected(std::begin(kRegisterColumns),
                                                std::end(kRegisterColumns));
  if (row.fields != expected) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", row.line, ": header is '",
                                                   absl::StrJoin(row.fields, ","), "'; expected '",
                                                   absl::StrJoin(kRegisterColumns, ","), "'"));
  }
  std::vector<LocalAuthority> las;
  std::map<std::string, int> new_codes, old_codes;                  // -> line
  std::map<std::string, std::pair<std::string, int>> region_names;  // code -> (name, line)
  std::map<std::string, std::pair<std::string, int>> region_codes;  // name -> (code, line)
  while (reader.Next(&row)) {
    const int line = row.line;
    if (row.fields.size() != 5) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": expected 5 fields (",
                                                     absl::StrJoin(kRegisterColumns, ","),
                                                     "), got ", row.fields.size()));
    }
    LocalAuthority la{std::string(row.fields[0]), std::string(row.fields[1]),
                      std::string(row.fields[2]), std::string(row.fields[3]),
                      std::string(row.fields[4]), 0};
    if (!IsGssCode(la.new_la_code)) {
      return bad(line, "new_la_code",
                 absl::StrCat("'", absl::CEscape(la.new_la_code),
                              "' is not a GSS code (a capital letter and 8 digits, e.g. "
                              "E09000033)"));
    }
    if (la.old_la_code.size() != 3 || !absl::ascii_isdigit(la.old_la_code[0]) ||
        !absl::ascii_isdigit(la.old_la_code[1]) || !absl::ascii_isdigit(la.old_la_code[2])) {
      return bad(line, "old_la_code",
                 absl::StrCat("'", absl::CEscape(la.old_la_code),
                              "' is not a DfE LA code (three digits, e.g. 213)"));
    }
    if (!IsCleanName(la.la_name)) {
      return bad(line, "la_name",
                 absl::StrCat("'", absl::CEscape(la.la_name),
                              "' must be non-empty, without leading or trailing spaces or "
                              "control characters"));
    }
    if (!IsGssCode(la.region_code)) {
      return bad(line, "region_code",
                 absl::StrCat("'", absl::CEscape(la.region_code),
                              "' is not a GSS code (a capital letter and 8 digits, e.g. "
                              "E12000007)"));
    }
    if (!IsCleanName(la.region_name)) {
      return bad(line, "region_name",
                 absl::StrCat("'", absl::CEscape(la.region_name),
                              "' must be non-empty, without leading or trailing spaces or "
                              "control characters"));
    }
    if (auto [it, added] = new_codes.emplace(la.new_la_code, line); !added) {
      return bad(line, "new_la_code",
                 absl::StrCat(la.new_la_code, " is already on line ", it->second));
    }
    if (auto [it, added] = old_codes.emplace(la.old_la_code, line); !added) {
      return bad(line, "old_la_code",
                 absl::StrCat(la.old_la_code, " is already on line ", it->second));
    }
    if (auto [it, added] =
            region_names.emplace(la.region_code, std::make_pair(la.region_name, line));
        !added && it->second.first != la.region_name) {
      return bad(line, "region_name",
                 absl::StrCat("'", la.region_name, "' for ", la.region_code, ", which line ",
                              it->second.second, " names '", it->second.first, "'"));
    }
    if (auto [it, added] =
            region_codes.emplace(la.region_name, std::make_pair(la.region_code, line));
        !added && it->second.first != la.region_code) {
      return bad(line, "region_code",
                 absl::StrCat(la.region_code, " for region '", la.region_name, "', which line ",
                              it->second.second, " gives code ", it->second.first));
    }
    las.push_back(std::move(la));
  }
  if (!reader.status().ok()) return reader.status();
  if (las.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": no LA rows after the header"));
  }
  return las;
}

absl::Status InstallLaRegister(absl::string_view csv, absl::string_view file_name) {
  absl::StatusOr<std::vector<LocalAuthority>> las = ParseLaRegister(csv, file_name);
  if (!las.ok()) return las.status();
  std::lock_guard<std::mutex> lock(registry_mu);
  if (installed_registry != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot install the LA register ", file_name, ": the LA registry (",
        installed_registry->source,
        ") is already in use; install the register at start-up, before anything else"));
  }
  installed_registry = BuildRegistry(*std::move(las), absl::StrCat("register ", file_name));
  return absl::OkStatus();
}

absl::Status InstallLaRegisterFile(const std::string& path) {
  std::string text;
  absl::Status read = base::ReadFileToString(path, &text);
  if (!read.ok()) return read;
  return InstallLaRegister(text, path);
}

std::string LaRegisterSource() {
  std::lock_guard<std::mutex> lock(registry_mu);
  return installed_registry == nullptr ? "built-in data/la_codes.csv" : installed_registry->source;
}

const std::vector<LocalAuthority>& AllLocalAuthorities() { return GetRegistry().las; }

const std::vector<Region>& AllRegions() { return GetRegistry().regions; }

const LocalAuthority* FindLocalAuthority(absl::string_view new_la_code) {
  const Registry& r = GetRegistry();
  auto it = r.by_code.find(new_la_code);
  return it == r.by_code.end() ? nullptr : &r.las[it->second];
}

int64_t Population0To17(absl::string_view new_la_code, int cla_year) {
  const auto& pop = GetRegistry().population;
  auto it = pop.find({std::string(new_la_code), cla_year});
  return it == pop.end() ? 0 : it->second;
}

}  // namespace ringfence::catalogue
