// The 153 local authorities that make SSDA903 returns, with their regions: public reference
// data (data/la_codes.csv, sources in data/README.md), compiled into the binary so nothing is
// read at run time.
//
// Thread-safe: the registry is built once, on first use, and immutable after.
#ifndef RINGFENCE_CATALOGUE_LA_REGISTRY_H_
#define RINGFENCE_CATALOGUE_LA_REGISTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ringfence::catalogue {

struct LocalAuthority {
  std::string new_la_code;  // ONS GSS code, e.g. "E09000033"
  std::string old_la_code;  // DfE three-digit code, e.g. "213"
  std::string la_name;
  std::string region_code;  // e.g. "E12000007"
  std::string region_name;
  // ONS mid-year estimate of children aged 0-17 used for the most recent CLA year in
  // data/la_population_0_17.csv; 0 if none is published.
  int64_t population_0_17 = 0;
};

struct Region {
  std::string region_code;
  std::string region_name;
};

inline constexpr absl::string_view kEnglandCode = "E92000001";
inline constexpr absl::string_view kEnglandName = "England";

// All LAs, in the order of data/la_codes.csv (grouped by region).
const std::vector<LocalAuthority>& AllLocalAuthorities();

// The regions, in order of first appearance in data/la_codes.csv.
const std::vector<Region>& AllRegions();

// The LA with this new (E0...) code, or nullptr.
const LocalAuthority* FindLocalAuthority(absl::string_view new_la_code);

// ONS population aged 0-17 used for CLA year `cla_year`, or 0 when the data has none.
int64_t Population0To17(absl::string_view new_la_code, int cla_year);

}  // namespace ringfence::catalogue

#endif  // RINGFENCE_CATALOGUE_LA_REGISTRY_H_
