#include "catalogue/la_registry.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "base/csv.h"
#include "catalogue/reference_data.h"

namespace ringfence::catalogue {
namespace {

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
  std::map<std::pair<std::string, int>, int64_t> population;  // (code, cla year)
};

const Registry& GetRegistry() {
  static const Registry* const registry = [] {
    auto* r = new Registry;
    // mid_year,cla_time_period,new_la_code,old_la_code,la_name,region_code,region_name,pop
    for (const auto& row : Rows(kLaPopulationCsv)) {
      int year = 0;
      int64_t pop = 0;
      if (row.size() != 8 || !absl::SimpleAtoi(row[1], &year) ||
          !absl::SimpleAtoi(row[7], &pop)) {
        continue;
      }
      r->population[{row[2], year}] = pop;
    }
    std::set<std::string> seen_regions;
    for (const auto& row : Rows(kLaCodesCsv)) {
      if (row.size() != 5) continue;
      LocalAuthority la{row[0], row[1], row[2], row[3], row[4], 0};
      int latest = 0;
      for (const auto& [key, pop] : r->population) {
        if (key.first == la.new_la_code && key.second > latest) {
          latest = key.second;
          la.population_0_17 = pop;
        }
      }
      if (seen_regions.insert(la.region_code).second) {
        r->regions.push_back(Region{la.region_code, la.region_name});
      }
      r->las.push_back(std::move(la));
    }
    return r;
  }();
  return *registry;
}

}  // namespace

const std::vector<LocalAuthority>& AllLocalAuthorities() { return GetRegistry().las; }

const std::vector<Region>& AllRegions() { return GetRegistry().regions; }

const LocalAuthority* FindLocalAuthority(absl::string_view new_la_code) {
  for (const LocalAuthority& la : GetRegistry().las) {
    if (la.new_la_code == new_la_code) return &la;
  }
  return nullptr;
}

int64_t Population0To17(absl::string_view new_la_code, int cla_year) {
  const auto& pop = GetRegistry().population;
  auto it = pop.find({std::string(new_la_code), cla_year});
  return it == pop.end() ? 0 : it->second;
}

}  // namespace ringfence::catalogue
