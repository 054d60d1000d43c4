// Cross-check: everything `ringfence synth` writes must load through the node's strict loader
// with zero errors, and the node's own CLA count must equal the generator's.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
      options.out_dir = absl::StrCat(::testing::TempDir(), "/synth_loader_", seed, "_", year);
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
  options.out_dir = ::testing::TempDir() + "/synth_loader_all";
  ExpectRunLoads(options);
  for (int year = kFirstSynthYear; year <= kLastSynthYear; ++year) {
    SynthOptions one;
    one.la_codes = {"E10000016"};  // Kent: many UASC
    one.year = year;
    one.seed = 5;
    one.out_dir = absl::StrCat(::testing::TempDir(), "/synth_loader_kent_", year);
    ExpectRunLoads(one);
  }
}

}  // namespace
}  // namespace ringfence::tools::synth
