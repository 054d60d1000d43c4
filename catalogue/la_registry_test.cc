#include "catalogue/la_registry.h"

#include <set>

#include "gtest/gtest.h"

namespace ringfence::catalogue {
namespace {

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

}  // namespace
}  // namespace ringfence::catalogue
