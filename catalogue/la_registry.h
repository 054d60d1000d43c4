// The 153 local authorities that make SSDA903 returns, with their regions: public reference
// data (data/la_codes.csv, sources in data/README.md), compiled into the binary so nothing is
// read at run time.
//
// An operator may replace the compiled-in list for one process with a register file of the
// same columns (InstallLaRegister below), e.g. after a reorganisation of LAs (Cumbria split
// into Cumberland and Westmorland and Furness in 2023) before a build with the new
// data/la_codes.csv is deployed, or for load tests with synthetic LAs (bench/load_harness.cc).
// The register decides which LA certificates the coordinator accepts and which LAs and regions
// a release has, so every process of one deployment must use the same register.
//
// Thread-safe: the registry is built once, on first use, and immutable after.
#ifndef RINGFENCE_CATALOGUE_LA_REGISTRY_H_
#define RINGFENCE_CATALOGUE_LA_REGISTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

// All LAs, in the order of data/la_codes.csv (grouped by region), or of the installed register.
const std::vector<LocalAuthority>& AllLocalAuthorities();

// The regions, in order of first appearance in data/la_codes.csv (or the installed register).
const std::vector<Region>& AllRegions();

// The LA with this new (E0...) code, or nullptr. Constant time (a hash index).
const LocalAuthority* FindLocalAuthority(absl::string_view new_la_code);

// --- Operator-supplied register ----------------------------------------------------------
//
// A register is a CSV file with exactly the header and columns of data/la_codes.csv:
//
//   new_la_code,old_la_code,la_name,region_code,region_name
//
// and one row per LA, parsed strictly (base/csv.h for the CSV itself). Every row must have
// the five fields; new_la_code and region_code are GSS-style codes (a capital letter and eight
// digits, e.g. E09000033, E12000007); old_la_code is the DfE three-digit code; la_name and
// region_name are non-empty, without leading or trailing spaces or control characters. New
// and old codes are unique; a region code always comes with the same region name, and a
// region name with the same code. At least one LA. Populations (population_0_17) come from
// the compiled-in data/la_population_0_17.csv by new_la_code: 0 for an LA it does not have.

// Parses a register. `file_name` is used only in error messages. INVALID_ARGUMENT
// "FILE:LINE: FIELD: what is wrong" (or "FILE:LINE: ..." for the shape of a row) at the first
// fault. Pure: does not touch the process's registry.
absl::StatusOr<std::vector<LocalAuthority>> ParseLaRegister(absl::string_view csv,
                                                            absl::string_view file_name);

// Parses `csv` (as ParseLaRegister) and makes it this process's registry in place of the
// compiled-in one. Call it at start-up, before anything uses the registry (identity checks,
// combining, ...). FAILED_PRECONDITION, changing nothing, once the registry has been used or a
// register installed; INVALID_ARGUMENT from parsing, changing nothing (the compiled-in list
// stays in force).
absl::Status InstallLaRegister(absl::string_view csv, absl::string_view file_name);

// Reads the register file at `path` (base::ReadFileToString's errors name it) and installs it.
absl::Status InstallLaRegisterFile(const std::string& path);

// Where this process's registry comes from: "built-in data/la_codes.csv", or "register FILE"
// once one has been installed.
std::string LaRegisterSource();

// ONS population aged 0-17 used for CLA year `cla_year`, or 0 when the data has none.
int64_t Population0To17(absl::string_view new_la_code, int cla_year);

}  // namespace ringfence::catalogue

#endif  // RINGFENCE_CATALOGUE_LA_REGISTRY_H_
