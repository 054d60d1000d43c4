#include <unistd.h>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "base/csv.h"
#include "gtest/gtest.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

std::string Read(const std::string& path) {
  std::string out;
  EXPECT_TRUE(base::ReadFileToString(path, &out).ok()) << path;
  return out;
}

class SynthCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_synth_command_test";
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(SynthCommandTest, HelpSucceedsAndNamesEveryFlag) {
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(RunSynthCommand({"--help"}), 0);
  const std::string help = ::testing::internal::GetCapturedStdout();
  for (const char* flag : {"--la-count", "--la ", "--year", "--seed", "--out", "--scale",
                           "--single-folder", "--inject-errors"}) {
    EXPECT_TRUE(absl::StrContains(help, flag)) << flag;
  }
}

TEST_F(SynthCommandTest, UsageErrorsExitTwo) {
  const std::string out = root_ + "/x";
  EXPECT_EQ(RunSynthCommand({"--year", "2025", "--seed", "1", "--out", out}), 2);  // no LA
  EXPECT_EQ(RunSynthCommand({"--la-count", "2", "--la", "E09000033", "--year", "2025", "--seed",
                             "1", "--out", out}),
            2);
  EXPECT_EQ(RunSynthCommand({"--la-count", "0", "--year", "2025", "--seed", "1", "--out", out}),
            2);
  EXPECT_EQ(RunSynthCommand({"--la-count", "2", "--year", "2019", "--seed", "1", "--out", out}),
            2);
  EXPECT_EQ(RunSynthCommand({"--la-count", "2", "--year", "2025", "--seed", "-1", "--out", out}),
            2);
  EXPECT_EQ(RunSynthCommand({"--la-count", "2", "--year", "2025", "--seed", "1", "--out", out,
                             "--scale", "0"}),
            2);
  EXPECT_EQ(RunSynthCommand({"--la", "E99999999", "--year", "2025", "--seed", "1", "--out", out}),
            2);
  EXPECT_EQ(RunSynthCommand({"--la-count", "2", "--year", "2025", "--seed", "1"}), 2);  // no out
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(SynthCommandTest, WritesFoldersAndManifestDeterministically) {
  const std::vector<std::string> args_a = {"--la",   "E09000033,E06000017", "--year", "2026",
                                           "--seed", "18446744073709551615", "--out",
                                           root_ + "/a", "--scale", "0.5"};
  std::vector<std::string> args_b = args_a;
  args_b[7] = root_ + "/b";
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunSynthCommand(args_a), 0);
  ASSERT_EQ(RunSynthCommand(args_b), 0);
  ::testing::internal::GetCapturedStdout();
  for (const char* la : {"E09000033", "E06000017"}) {
    for (const char* file : {"header.csv", "episodes.csv", "uasc.csv", "oc3.csv", "missing.csv",
                             "sensitive.csv"}) {
      const std::string rel = std::string("/") + la + "/" + file;
      EXPECT_EQ(Read(root_ + "/a" + rel), Read(root_ + "/b" + rel)) << rel;
    }
  }
  const std::string manifest = Read(root_ + "/a/manifest.csv");
  EXPECT_EQ(manifest, Read(root_ + "/b/manifest.csv"));
  EXPECT_TRUE(absl::StartsWith(manifest, "la_code,la_name,region_code,region_name,children\n"));
  EXPECT_TRUE(absl::StrContains(manifest, "\nE09000033,Westminster,E12000007,London,"));
}

TEST_F(SynthCommandTest, ChoosesByCount) {
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunSynthCommand({"--la-count=3", "--year=2024", "--seed=7", "--out=" + root_ + "/c",
                             "--scale=0.2"}),
            0);
  const std::string said = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(absl::StrContains(said, "3 local authorities")) << said;
  int folders = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root_ + "/c")) {
    folders += entry.is_directory();
  }
  EXPECT_EQ(folders, 3);
}

TEST_F(SynthCommandTest, SingleFolderWithInjectedErrors) {
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunSynthCommand({"--la", "E09000033,E06000017", "--year", "2025", "--seed", "3",
                             "--out", root_ + "/d", "--single-folder", "--inject-errors"}),
            0);
  const std::string said = ::testing::internal::GetCapturedStdout();
  EXPECT_TRUE(absl::StrContains(said, "(one folder) with injected errors")) << said;
  for (const char* file : {"header.csv", "episodes.csv", "postcodes.csv", "reviews.csv",
                           "manifest.txt", "expected_errors.txt", "notes.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(root_ + "/d/" + file)) << file;
  }
  EXPECT_FALSE(std::filesystem::exists(root_ + "/d/E09000033"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/d/manifest.csv"));
  EXPECT_TRUE(absl::StrContains(Read(root_ + "/d/expected_errors.txt"), "header.csv:"));
}

}  // namespace
}  // namespace ringfence::tools
