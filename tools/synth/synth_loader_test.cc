// Cross-check: everything `ringfence synth` writes must load through the node's strict loader
// with zero errors, and the node's own CLA count must equal the generator's.
#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "gtest/gtest.h"
#include "node/grid.h"
#include "node/loader.h"
#include "tools/synth/synth.h"

namespace ringfence::tools::synth {
namespace {

using ::ringfence::testing::IsOk;

void ExpectRunLoads(const SynthOptions& options) {
  std::filesystem::remove_all(options.out_dir);
  std::vector<SynthSummary> summaries;
  ASSERT_THAT(GenerateSynthetic(options, &summaries), IsOk());
  auto las = ChooseLocalAuthorities(options);
  ASSERT_THAT(las, IsOk());
  ASSERT_EQ(las->size(), summaries.size());
  const int cla_cell = catalogue::CellIndex({"cla", "total", "total"});
  for (size_t i = 0; i < las->size(); ++i) {
    const std::string code = (*las)[i]->new_la_code;
    SCOPED_TRACE(absl::StrCat(code, " year ", options.year, " seed ", options.seed));
    node::LoadOptions load;
    load.dir = options.out_dir + "/" + code;
    load.la_code = code;
    load.year = options.year;
    load.max_errors = 0;
    node::ValidationReport report;
    auto data = node::LoadLaFolder(load, &report);
    EXPECT_TRUE(report.ok()) << report.ToString();
    ASSERT_THAT(data, IsOk());
    EXPECT_EQ(static_cast<int>(data->children.size()), summaries[i].children);
    EXPECT_EQ(static_cast<int>(data->episodes.size()), summaries[i].episodes);
    EXPECT_EQ(static_cast<int>(data->uasc.size()), summaries[i].uasc);
    auto grid = node::ComputeExactGrid(*data, options.year);
    ASSERT_THAT(grid, IsOk());
    ASSERT_GE(cla_cell, 0);
    EXPECT_EQ((*grid)[cla_cell], summaries[i].cla);
  }
  std::filesystem::remove_all(options.out_dir);
}

TEST(SynthLoaderTest, SeedsOneToThreeLoadWithoutErrorsIn2024To2026) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    for (int year : {2024, 2025, 2026}) {
      SynthOptions options;
      options.la_count = 10;
      options.year = year;
      options.seed = seed;
      options.out_dir = absl::StrCat(::testing::TempDir(), "/", ::getpid(), "_synth_loader_", seed, "_", year);
      ExpectRunLoads(options);
    }
  }
}

TEST(SynthLoaderTest, EveryLaAndEveryYearLoads) {
  SynthOptions options;
  options.la_count = static_cast<int>(catalogue::AllLocalAuthorities().size());
  options.year = 2025;
  options.seed = 4;
  options.scale = 0.2;
  options.out_dir = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_synth_loader_all";
  ExpectRunLoads(options);
  for (int year = kFirstSynthYear; year <= kLastSynthYear; ++year) {
    SynthOptions one;
    one.la_codes = {"E10000016"};  // Kent: many UASC
    one.year = year;
    one.seed = 5;
    one.out_dir = absl::StrCat(::testing::TempDir(), "/", ::getpid(), "_synth_loader_kent_", year);
    ExpectRunLoads(one);
  }
}

// The `file:line: FIELD:` prefixes the loader reports for `dir`, sorted.
std::vector<std::string> ReportedPrefixes(const std::string& dir, const std::string& la, int year) {
  node::LoadOptions load;
  load.dir = dir;
  load.la_code = la;
  load.year = year;
  load.max_errors = 100000;
  node::ValidationReport report;
  auto data = node::LoadLaFolder(load, &report);
  EXPECT_FALSE(data.ok());
  EXPECT_FALSE(report.truncated);
  std::vector<std::string> out;
  for (const node::ValidationError& e : report.errors) {
    out.push_back(absl::StrCat(e.file, ":", e.line, ": ", e.field, ":"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> ExpectedPrefixes(const std::string& dir) {
  std::string text;
  EXPECT_TRUE(base::ReadFileToString(dir + "/expected_errors.txt", &text).ok()) << dir;
  std::vector<std::string> out = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SynthLoaderTest, InjectedErrorsAreReportedExactlyAndNothingElse) {
  for (int year : {2024, 2025, 2026}) {
    SynthOptions options;
    options.la_codes = {"E09000033", "E10000016", "E06000017", "E06000053"};
    options.year = year;
    options.seed = 9;
    options.inject_errors = true;
    options.out_dir = absl::StrCat(::testing::TempDir(), "/", ::getpid(), "_synth_inject_", year);
    std::filesystem::remove_all(options.out_dir);
    ASSERT_THAT(GenerateSynthetic(options), IsOk());
    for (const std::string& code : options.la_codes) {
      SCOPED_TRACE(absl::StrCat(code, " year ", year));
      const std::string dir = options.out_dir + "/" + code;
      const std::vector<std::string> expected = ExpectedPrefixes(dir);
      // Westminster, Kent and Rutland have rows for every fault; the Isles of Scilly fewer.
      if (code != "E06000053") {
        EXPECT_GE(expected.size(), 19u);
      }
      EXPECT_GE(expected.size(), 3u);
      EXPECT_EQ(ReportedPrefixes(dir, code, year), expected);
    }
    std::filesystem::remove_all(options.out_dir);
  }
}

TEST(SynthLoaderTest, SingleFolderLoadsAndInjectedSingleFolderReportsExactly) {
  SynthOptions options;
  options.la_count = 12;
  options.year = 2025;
  options.seed = 10;
  options.single_folder = true;
  options.out_dir = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_synth_single_loads";
  std::filesystem::remove_all(options.out_dir);
  std::vector<SynthSummary> summaries;
  ASSERT_THAT(GenerateSynthetic(options, &summaries), IsOk());
  int children = 0, cla = 0;
  for (const SynthSummary& s : summaries) {
    children += s.children;
    cla += s.cla;
  }
  node::LoadOptions load;
  load.dir = options.out_dir;
  load.la_code = "E92000001";
  load.year = options.year;
  load.max_errors = 0;
  node::ValidationReport report;
  auto data = node::LoadLaFolder(load, &report);
  EXPECT_TRUE(report.ok()) << report.ToString();
  ASSERT_THAT(data, IsOk());
  EXPECT_EQ(static_cast<int>(data->children.size()), children);
  auto grid = node::ComputeExactGrid(*data, options.year);
  ASSERT_THAT(grid, IsOk());
  EXPECT_EQ((*grid)[catalogue::CellIndex({"cla", "total", "total"})], cla);

  options.inject_errors = true;
  options.out_dir += "_inject";
  std::filesystem::remove_all(options.out_dir);
  ASSERT_THAT(GenerateSynthetic(options), IsOk());
  const std::vector<std::string> expected = ExpectedPrefixes(options.out_dir);
  EXPECT_GE(expected.size(), 19u);
  EXPECT_EQ(ReportedPrefixes(options.out_dir, "E92000001", options.year), expected);
  std::filesystem::remove_all(options.out_dir);
  std::filesystem::remove_all(::testing::TempDir() + "/" + std::to_string(::getpid()) + "_synth_single_loads");
}

}  // namespace
}  // namespace ringfence::tools::synth
