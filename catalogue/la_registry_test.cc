#include "catalogue/la_registry.h"

#include <set>
#include <string>

#include "base/testing/status_matchers.h"
#include "catalogue/reference_data.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::catalogue {
namespace {

using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kHeader[] = "new_la_code,old_la_code,la_name,region_code,region_name\n";

TEST(LaRegistryTest, HoldsAll153LasInNineRegions) {
  EXPECT_EQ(AllLocalAuthorities().size(), 153u);
  EXPECT_EQ(AllRegions().size(), 9u);
  std::set<std::string> codes;
  for (const auto& la : AllLocalAuthorities()) {
    EXPECT_EQ(la.new_la_code.size(), 9u) << la.la_name;
    EXPECT_GT(la.population_0_17, 0) << la.la_name;
    codes.insert(la.new_la_code);
  }
  EXPECT_EQ(codes.size(), 153u);
}

TEST(LaRegistryTest, FindsByCode) {
  const LocalAuthority* westminster = FindLocalAuthority("E09000033");
  ASSERT_NE(westminster, nullptr);
  EXPECT_EQ(westminster->la_name, "Westminster");
  EXPECT_EQ(westminster->region_code, "E12000007");
  EXPECT_EQ(FindLocalAuthority("E99999999"), nullptr);
}

TEST(LaRegistryTest, PopulationByClaYear) {
  EXPECT_EQ(Population0To17("E06000047", 2024), 99969);
  EXPECT_EQ(Population0To17("E06000047", 1999), 0);
}

TEST(LaRegistryTest, CompiledInDataParsesAsARegister) {
  // The compiled-in list passes the strict register rules, so an operator can start a register
  // from a copy of data/la_codes.csv.
  absl::StatusOr<std::vector<LocalAuthority>> las =
      ParseLaRegister(kLaCodesCsv, "data/la_codes.csv");
  ASSERT_TRUE(las.ok()) << las.status();
  EXPECT_EQ(las->size(), 153u);
}

TEST(LaRegisterTest, ParsesRowsInOrder) {
  const std::string csv = std::string(kHeader) +
                          "E06000063,942,Cumberland,E12000002,North West\r\n"
                          "E06000064,943,\"Westmorland and Furness\",E12000002,North West\r\n"
                          "E59000001,001,Synthetic LA 1,E12000007,London\r\n";
  absl::StatusOr<std::vector<LocalAuthority>> las = ParseLaRegister(csv, "reg.csv");
  ASSERT_TRUE(las.ok()) << las.status();
  ASSERT_EQ(las->size(), 3u);
  EXPECT_EQ((*las)[1].new_la_code, "E06000064");
  EXPECT_EQ((*las)[1].old_la_code, "943");
  EXPECT_EQ((*las)[1].la_name, "Westmorland and Furness");
  EXPECT_EQ((*las)[1].region_code, "E12000002");
  EXPECT_EQ((*las)[1].region_name, "North West");
  EXPECT_EQ((*las)[2].new_la_code, "E59000001");
}

struct BadRegister {
  std::string name;
  std::string rows;  // after the header
  std::string message;
};

class LaRegisterErrorTest : public ::testing::TestWithParam<BadRegister> {};

TEST_P(LaRegisterErrorTest, NamesFileLineAndField) {
  const BadRegister& bad = GetParam();
  EXPECT_THAT(ParseLaRegister(std::string(kHeader) + bad.rows, "reg.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad.message)));
}

constexpr char kGood[] = "E06000063,942,Cumberland,E12000002,North West\n";

INSTANTIATE_TEST_SUITE_P(
    Faults, LaRegisterErrorTest,
    ::testing::Values(
        BadRegister{"NoRows", "", "reg.csv: no LA rows after the header"},
        BadRegister{"FourFields", "E06000063,942,Cumberland,E12000002\n",
                    "reg.csv:2: expected 5 fields"},
        BadRegister{"SixFields", std::string(kGood) + "E06000064,943,W,E12000002,North West,x\n",
                    "reg.csv:3: expected 5 fields"},
        BadRegister{"LowerCaseCode", "e06000063,942,Cumberland,E12000002,North West\n",
                    "reg.csv:2: new_la_code: 'e06000063' is not a GSS code"},
        BadRegister{"ShortCode", "E0600006,942,Cumberland,E12000002,North West\n",
                    "reg.csv:2: new_la_code: 'E0600006' is not a GSS code"},
        BadRegister{"OldCodeLetters", "E06000063,94x,Cumberland,E12000002,North West\n",
                    "reg.csv:2: old_la_code: '94x' is not a DfE LA code"},
        BadRegister{"OldCodeFourDigits", "E06000063,9420,Cumberland,E12000002,North West\n",
                    "reg.csv:2: old_la_code: '9420'"},
        BadRegister{"EmptyName", "E06000063,942,,E12000002,North West\n",
                    "reg.csv:2: la_name: '' must be non-empty"},
        BadRegister{"PaddedName", "E06000063,942, Cumberland,E12000002,North West\n",
                    "reg.csv:2: la_name: ' Cumberland'"},
        BadRegister{"ControlInName", "E06000063,942,\"Cumber\tland\",E12000002,North West\n",
                    "reg.csv:2: la_name:"},
        BadRegister{"BadRegionCode", "E06000063,942,Cumberland,NW,North West\n",
                    "reg.csv:2: region_code: 'NW' is not a GSS code"},
        BadRegister{"EmptyRegionName", "E06000063,942,Cumberland,E12000002,\n",
                    "reg.csv:2: region_name: '' must be non-empty"},
        BadRegister{"RepeatedNewCode",
                    std::string(kGood) + "E06000063,943,Westmorland,E12000002,North West\n",
                    "reg.csv:3: new_la_code: E06000063 is already on line 2"},
        BadRegister{"RepeatedOldCode",
                    std::string(kGood) + "E06000064,942,Westmorland,E12000002,North West\n",
                    "reg.csv:3: old_la_code: 942 is already on line 2"},
        BadRegister{"RegionRenamed",
                    std::string(kGood) + "E06000064,943,Westmorland,E12000002,North-West\n",
                    "reg.csv:3: region_name: 'North-West' for E12000002, which line 2 names "
                    "'North West'"},
        BadRegister{"RegionRecoded",
                    std::string(kGood) + "E06000064,943,Westmorland,E12000009,North West\n",
                    "reg.csv:3: region_code: E12000009 for region 'North West', which line 2 "
                    "gives code E12000002"},
        BadRegister{"UnterminatedQuote", "E06000063,942,\"Cumberland,E12000002,North West\n",
                    "reg.csv:2"}),
    [](const ::testing::TestParamInfo<BadRegister>& info) { return info.param.name; });

TEST(LaRegisterTest, RejectsAnotherHeader) {
  EXPECT_THAT(ParseLaRegister("code,old,name,region,region_name\n" + std::string(kGood), "r.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("r.csv:1: header is 'code,old,name,region,region_name'; "
                                 "expected 'new_la_code,old_la_code,la_name,region_code,"
                                 "region_name'")));
  EXPECT_THAT(ParseLaRegister("", "r.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("r.csv:1: empty file")));
}

TEST(LaRegisterTest, InstallAfterTheRegistryWasUsedIsRefusedAndChangesNothing) {
  ASSERT_EQ(AllLocalAuthorities().size(), 153u);  // uses the registry
  EXPECT_THAT(InstallLaRegister(std::string(kHeader) + kGood, "late.csv"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("LA registry (built-in data/la_codes.csv) is already in use")));
  EXPECT_EQ(AllLocalAuthorities().size(), 153u);
  EXPECT_EQ(FindLocalAuthority("E06000063")->la_name, "Cumberland");
  EXPECT_EQ(LaRegisterSource(), "built-in data/la_codes.csv");
}

}  // namespace
}  // namespace ringfence::catalogue
