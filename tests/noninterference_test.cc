// Non-interference of the firewall (issue 6): for many synthetic LAs, change sensitive.csv
// arbitrarily (shuffle its rows' children, blank it, make every child the same, randomise it;
// both in memory and by rewriting the file and loading it through the real loader) and require
// that every byte each enforcement and public class receives, and every untainted cell the
// node sends, is identical. Noise comes from crypto::testing::DeterministicRandomSource, which
// only test binaries can link (a release build has no way to select it), and is replayed
// byte for byte for every variant (tools/noninterference.h).
//
// Teeth: the same check reports FAIL for a class that does receive tainted cells (dfe_analyst),
// and for a variant that changes an untainted attribute (a child's sex).
#include "tools/noninterference.h"

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/loader.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "tools/synth/synth.h"

namespace ringfence {
namespace {

using ::testing::HasSubstr;

constexpr int kYear = 2025;

policy::Policy Shipped() {
  auto p = policy::ParsePolicy(policy::testing::ShippedPolicyText(), "england");
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

absl::StatusOr<node::LaData> Load(const std::string& dir, const std::string& la) {
  node::LoadOptions load;
  load.dir = dir;
  load.la_code = la;
  load.year = kYear;
  load.max_errors = 0;
  node::ValidationReport report;
  return node::LoadLaFolder(load, &report);
}

class NoninterferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/" + std::to_string(::getpid()) + "_noninterference");
    std::filesystem::remove_all(*dir_);
    tools::synth::SynthOptions options;
    options.la_count = 16;  // spread over the regions, Kent-like UASC numbers included
    options.year = kYear;
    options.seed = 2026;
    options.scale = 0.5;
    options.out_dir = *dir_;
    ASSERT_TRUE(tools::synth::GenerateSynthetic(options).ok());
    auto las = tools::synth::ChooseLocalAuthorities(options);
    ASSERT_TRUE(las.ok());
    las_ = new std::vector<std::string>;
    for (const auto* la : *las) las_->push_back(la->new_la_code);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(*dir_); }

  static std::string* dir_;
  static std::vector<std::string>* las_;
};
std::string* NoninterferenceTest::dir_ = nullptr;
std::vector<std::string>* NoninterferenceTest::las_ = nullptr;

TEST_F(NoninterferenceTest, EnforcementAndPublicReceiveTheSameBytesWhateverSensitiveCsvSays) {
  const policy::Policy policy = Shipped();
  int changed_somewhere = 0;
  for (size_t i = 0; i < las_->size(); ++i) {
    const std::string& la = (*las_)[i];
    SCOPED_TRACE(la);
    auto data = Load(*dir_ + "/" + la, la);
    ASSERT_TRUE(data.ok()) << data.status();
    crypto::testing::DeterministicRandomSource noise(100 + i);
    crypto::testing::DeterministicRandomSource variants(200 + i);
    auto report = tools::CheckNoninterference(
        &*data, kYear, policy, tools::StandardSensitiveVariants(), {}, noise, variants);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->pass) << absl::StrJoin(report->lines, "\n");
    EXPECT_THAT(report->classes_checked,
                ::testing::UnorderedElementsAre("public", "home_office_enforcement"));
    changed_somewhere += report->tainted_cells_changed > 0;
  }
  // The variants did reach the sensitive data: tainted cells changed in most LAs.
  EXPECT_GE(changed_somewhere, static_cast<int>(las_->size()) / 2);
}

// Rewrites `la`'s sensitive.csv in a copy of its folder with `edit` applied to the data rows
// (fields CHILD,NATIONALITY,IMMIGRATION_STATUS,NRPF), loads the copy through the real loader,
// and returns a variant that swaps in its sensitive records.
tools::SensitiveVariant FileVariant(const std::string& name, const std::string& src,
                                    const std::string& la,
                                    void (*edit)(std::vector<std::vector<std::string>>*)) {
  const std::string copy = src + "-" + name;
  std::filesystem::remove_all(copy);
  std::filesystem::copy(src, copy);
  std::string text;
  EXPECT_TRUE(base::ReadFileToString(copy + "/sensitive.csv", &text).ok());
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 1; i < lines.size(); ++i) rows.push_back(absl::StrSplit(lines[i], ','));
  edit(&rows);
  std::string out = lines[0] + "\n";
  for (const auto& r : rows) absl::StrAppend(&out, absl::StrJoin(r, ","), "\n");
  EXPECT_TRUE(base::WriteFileAtomically(copy + "/sensitive.csv", out).ok());
  auto loaded = Load(copy, la);
  EXPECT_TRUE(loaded.ok()) << name << ": " << loaded.status();
  std::vector<node::SensitiveRecord> records;
  if (loaded.ok()) records = loaded->sensitive;
  return {name, [records](node::LaData* d, crypto::RandomSource&) { d->sensitive = records; }};
}

TEST_F(NoninterferenceTest, RewrittenSensitiveFilesThroughTheLoader) {
  const policy::Policy policy = Shipped();
  for (size_t i = 0; i < 4 && i < las_->size(); ++i) {
    const std::string& la = (*las_)[i];
    SCOPED_TRACE(la);
    const std::string src = *dir_ + "/" + la;
    std::vector<tools::SensitiveVariant> variants = {
        FileVariant("file-reversed-children", src, la,
                    [](std::vector<std::vector<std::string>>* rows) {
                      std::vector<std::string> ids;
                      for (auto& r : *rows) ids.push_back(r[0]);
                      for (size_t k = 0; k < rows->size(); ++k)
                        (*rows)[k][0] = ids[ids.size() - 1 - k];
                    }),
        FileVariant("file-header-only", src, la,
                    [](std::vector<std::vector<std::string>>* rows) { rows->clear(); }),
        FileVariant("file-all-eritrean-asylum-nrpf", src, la,
                    [](std::vector<std::vector<std::string>>* rows) {
                      for (auto& r : *rows) {
                        r[1] = "ERI";
                        r[2] = "ASYLUM_SEEKER";
                        r[3] = "Y";
                      }
                    }),
        FileVariant("file-all-blank-values", src, la,
                    [](std::vector<std::vector<std::string>>* rows) {
                      for (auto& r : *rows) r[1] = r[2] = r[3] = "";
                    }),
    };
    auto data = Load(src, la);
    ASSERT_TRUE(data.ok()) << data.status();
    crypto::testing::DeterministicRandomSource noise(300 + i);
    crypto::testing::DeterministicRandomSource unused(0);
    auto report = tools::CheckNoninterference(&*data, kYear, policy, variants, {}, noise, unused);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->pass) << absl::StrJoin(report->lines, "\n");
    EXPECT_EQ(report->lines.size(), variants.size());
  }
}

TEST_F(NoninterferenceTest, TheCheckHasTeeth) {
  const policy::Policy policy = Shipped();
  const std::string& la = (*las_)[0];
  auto data = Load(*dir_ + "/" + la, la);
  ASSERT_TRUE(data.ok());
  // A class that receives nationality cells sees the variants.
  {
    crypto::testing::DeterministicRandomSource noise(7), variants(8);
    auto report =
        tools::CheckNoninterference(&*data, kYear, policy, tools::StandardSensitiveVariants(),
                                    {"dfe_analyst"}, noise, variants);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_FALSE(report->pass);
    EXPECT_THAT(absl::StrJoin(report->lines, "\n"), HasSubstr("dfe_analyst release differs at"));
  }
  // A change to an untainted attribute is seen by the untainted-cell comparison.
  {
    tools::SensitiveVariant sex_change{"sex-change", [](node::LaData* d, crypto::RandomSource&) {
                                         for (auto& c : d->children) {
                                           c.sex = c.sex == node::Sex::kMale ? node::Sex::kFemale
                                                                             : node::Sex::kMale;
                                         }
                                       }};
    crypto::testing::DeterministicRandomSource noise(9), variants(10);
    auto report =
        tools::CheckNoninterference(&*data, kYear, policy, {sex_change}, {}, noise, variants);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_FALSE(report->pass);
    EXPECT_THAT(report->lines[0], HasSubstr("FAIL sex-change: untainted cell cla/sex/"));
  }
}

}  // namespace
}  // namespace ringfence
