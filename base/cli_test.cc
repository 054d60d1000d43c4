#include "base/cli.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::base {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

CommandSpec Spec() {
  return CommandSpec{"prog cmd --data DIR", "Does a thing.",
                     {{"data", "DIR", "input folder", true, ""},
                      {"year", "YYYY", "collection year", false, "2025"},
                      {"exact", "", "print exact values", false, ""}}};
}

TEST(ParseFlagsTest, ReadsSpacedAndEqualsForms) {
  auto p = ParseFlags(Spec(), {"--data", "/x", "--year=2024", "--exact"});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->Get("data"), "/x");
  EXPECT_EQ(p->Get("year"), "2024");
  EXPECT_TRUE(p->Has("exact"));
}

TEST(ParseFlagsTest, FallsBackToDefault) {
  auto p = ParseFlags(Spec(), {"--data", "/x"});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->Get("year"), "2025");
  EXPECT_FALSE(p->Has("exact"));
  EXPECT_THAT(p->GetInt("year", 2000, 2100), IsOk());
}

TEST(ParseFlagsTest, RejectsUnknownMissingAndRepeated) {
  EXPECT_THAT(ParseFlags(Spec(), {"--data", "/x", "--bogus", "1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--bogus")));
  EXPECT_THAT(ParseFlags(Spec(), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--data")));
  EXPECT_THAT(ParseFlags(Spec(), {"--data"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a value")));
  EXPECT_THAT(ParseFlags(Spec(), {"--data", "a", "--data", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(ParseFlags(Spec(), {"--data", "a", "--exact=yes"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no value")));
}

TEST(ParseFlagsTest, GetIntRejectsOutOfRange) {
  auto p = ParseFlags(Spec(), {"--data", "/x", "--year", "20x5"});
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT(p->GetInt("year", 2000, 2100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--year")));
}

TEST(ParseFlagsTest, HelpSkipsRequiredCheckAndListsFlags) {
  auto p = ParseFlags(Spec(), {"--help"});
  ASSERT_THAT(p, IsOk());
  EXPECT_TRUE(p->help());
  EXPECT_THAT(HelpText(Spec()), HasSubstr("--data DIR"));
}

}  // namespace
}  // namespace ringfence::base

namespace ringfence::base {
namespace {

TEST(ParseFlagsOrExitTest, CarriesOnPrintsHelpOrFailsWithUsageError) {
  ParsedFlags flags;
  EXPECT_EQ(ParseFlagsOrExit("prog cmd", Spec(), {"--data", "/x"}, &flags), std::nullopt);
  EXPECT_EQ(flags.Get("data"), "/x");

  ::testing::internal::CaptureStdout();
  EXPECT_EQ(ParseFlagsOrExit("prog cmd", Spec(), {"--help"}, &flags), 0);
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), HasSubstr("--data DIR"));

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(ParseFlagsOrExit("prog cmd", Spec(), {"--bogus"}, &flags), 2);
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("prog cmd: unknown flag --bogus"));
}

}  // namespace
}  // namespace ringfence::base
