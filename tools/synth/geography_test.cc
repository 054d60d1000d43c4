#include "tools/synth/geography.h"

#include <set>
#include <string>

#include "catalogue/la_registry.h"
#include "gtest/gtest.h"

namespace ringfence::tools::synth {
namespace {

size_t Count() { return catalogue::AllLocalAuthorities().size(); }

TEST(GeographyTest, CentresLieInEnglandsGridBox) {
  for (size_t i = 0; i < Count(); ++i) {
    const GridRef c = LaCentre(i);
    EXPECT_GE(c.east, 130000) << i;
    EXPECT_LE(c.east, 655000) << i;
    EXPECT_GE(c.north, 10000) << i;
    EXPECT_LE(c.north, 660000) << i;
    EXPECT_GE(LaRadius(i), 2500);
    EXPECT_LE(LaRadius(i), 8000);
  }
}

TEST(GeographyTest, DistanceIsIntegerEuclidean) {
  EXPECT_EQ(DistanceMetres({0, 0}, {3000, 4000}), 5000);
  EXPECT_EQ(DistanceMetres({10, 10}, {10, 10}), 0);
  EXPECT_EQ(DistanceMetres({0, 0}, {1, 1}), 1);  // floor of 1.414
}

TEST(GeographyTest, AnLasPostcodesMapBackToItNearItsCentre) {
  for (size_t i = 0; i < Count(); ++i) {
    Rng rng(i);
    const std::string code = catalogue::AllLocalAuthorities()[i].new_la_code;
    for (int k = 0; k < 20; ++k) {
      const std::string pc = RandomPostcode(i, &rng);
      auto row = LookupPostcode(pc);
      ASSERT_TRUE(row.has_value()) << pc;
      EXPECT_EQ(row->pcd, pc);
      EXPECT_EQ(row->utla, code) << pc;
      ASSERT_TRUE(row->has_coordinates);
      // District within the radius, unit within 1.2 km of it in each direction.
      EXPECT_LE(DistanceMetres(row->at, LaCentre(i)), LaRadius(i) + 1700) << pc;
    }
  }
}

TEST(GeographyTest, LookupIgnoresCaseAndSpacingAndIsStable) {
  Rng rng(5);
  const std::string pc = RandomPostcode(40, &rng);
  auto a = LookupPostcode(pc);
  ASSERT_TRUE(a.has_value());
  std::string lower;
  for (char ch : pc)
    lower.push_back(ch == ' ' ? ' ' : static_cast<char>(std::tolower(ch)));
  for (const std::string& variant :
       {lower, NormalisePostcode(pc), " " + pc + "  ",
        pc.substr(0, pc.size() - 3) + "\t " + pc.substr(pc.size() - 3)}) {
    auto b = LookupPostcode(variant);
    ASSERT_TRUE(b.has_value()) << variant;
    EXPECT_EQ(b->pcd, a->pcd);
    EXPECT_EQ(b->at.east, a->at.east);
    EXPECT_EQ(b->at.north, a->at.north);
    EXPECT_EQ(b->utla, a->utla);
  }
  EXPECT_EQ(NormalisePostcode(" ab1\t 2cd "), "AB12CD");
}

TEST(GeographyTest, SpecialAndAbsentPostcodes) {
  Rng rng(6);
  for (int k = 0; k < 50; ++k) {
    auto blank_coordinates = LookupPostcode(SpecialPostcode(3, true, &rng));
    ASSERT_TRUE(blank_coordinates.has_value());
    EXPECT_FALSE(blank_coordinates->has_coordinates);
    EXPECT_EQ(blank_coordinates->utla,
              catalogue::AllLocalAuthorities()[3].new_la_code);
    EXPECT_EQ(PostcodeCsvLine(*blank_coordinates),
              blank_coordinates->pcd + ",,," + blank_coordinates->utla);
    auto blank_utla = LookupPostcode(SpecialPostcode(3, false, &rng));
    ASSERT_TRUE(blank_utla.has_value());
    EXPECT_TRUE(blank_utla->has_coordinates);
    EXPECT_EQ(blank_utla->utla, "");
    EXPECT_FALSE(LookupPostcode(AbsentPostcode(&rng)).has_value());
  }
  for (const char* not_in_table :
       {"", "ZZ1 1AA", "B0 1AA", "AB1", "B999 1AA", "CF10 1AA"}) {
    EXPECT_FALSE(LookupPostcode(not_in_table).has_value()) << not_in_table;
  }
}

TEST(GeographyTest, NearNeighboursAreCloseAndFarOnesFar) {
  for (size_t i = 0; i < Count(); ++i) {
    ASSERT_FALSE(NearLas(i).empty());
    ASSERT_FALSE(FarLas(i).empty());
    for (size_t k = 0; k < NearLas(i).size(); ++k) {
      const size_t j = NearLas(i)[k];
      EXPECT_NE(j, i);
      if (k >= 2) {
        EXPECT_LE(DistanceMetres(LaCentre(i), LaCentre(j)), 25000);
      }
    }
    for (size_t j : FarLas(i)) {
      EXPECT_NE(j, i);
      EXPECT_GE(DistanceMetres(LaCentre(i), LaCentre(j)), 45000);
    }
  }
}

}  // namespace
}  // namespace ringfence::tools::synth
