// InstallLaRegister in a process of its own: the registry is global and fixed once used.
#include <string>

#include "base/testing/status_matchers.h"
#include "catalogue/la_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::catalogue {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

// One test, in order: the steps share the process's registry.
TEST(LaRegisterInstallTest, ABadRegisterChangesNothingAGoodOneReplacesTheListOnce) {
  const std::string header = "new_la_code,old_la_code,la_name,region_code,region_name\n";
  // A register that fails to parse is not installed and does not use the registry up.
  EXPECT_THAT(InstallLaRegister(header + "E59000001,001,,E12000007,London\n", "bad.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.csv:2: la_name")));
  EXPECT_THAT(InstallLaRegisterFile("/nonexistent/register.csv"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/register.csv")));
  EXPECT_EQ(LaRegisterSource(), "built-in data/la_codes.csv");

  ASSERT_THAT(InstallLaRegister(header + "E59000001,001,Synthetic 1,E12000007,London\n"
                                         "E06000063,942,Cumberland,E12000002,North West\n"
                                         "E59000002,002,Synthetic 2,E12000007,London\n",
                                "ops/register.csv"),
              IsOk());
  EXPECT_EQ(LaRegisterSource(), "register ops/register.csv");
  ASSERT_EQ(AllLocalAuthorities().size(), 3u);
  EXPECT_EQ(AllLocalAuthorities()[0].new_la_code, "E59000001");
  ASSERT_EQ(AllRegions().size(), 2u);
  EXPECT_EQ(AllRegions()[0].region_code, "E12000007");
  EXPECT_EQ(AllRegions()[1].region_name, "North West");
  ASSERT_NE(FindLocalAuthority("E59000002"), nullptr);
  EXPECT_EQ(FindLocalAuthority("E59000002")->la_name, "Synthetic 2");
  EXPECT_EQ(FindLocalAuthority("E09000033"), nullptr);  // not in the register
  // Populations still come from the compiled-in estimates, by code.
  EXPECT_GT(FindLocalAuthority("E06000063")->population_0_17, 0);
  EXPECT_EQ(FindLocalAuthority("E59000001")->population_0_17, 0);

  EXPECT_THAT(
      InstallLaRegister(header + "E59000003,003,Synthetic 3,E12000007,London\n", "second.csv"),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("(register ops/register.csv) is already in use")));
  EXPECT_EQ(AllLocalAuthorities().size(), 3u);
}

}  // namespace
}  // namespace ringfence::catalogue
