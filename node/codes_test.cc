#include "node/codes.h"

#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

TEST(SexCodesTest, OneAndTwoUpTo2024) {
  Sex s = Sex::kUnknown;
  EXPECT_TRUE(ParseCode("1", 2024, &s));
  EXPECT_EQ(s, Sex::kMale);
  EXPECT_TRUE(ParseCode("2", 2024, &s));
  EXPECT_EQ(s, Sex::kFemale);
  EXPECT_FALSE(ParseCode("M", 2024, &s));
  EXPECT_FALSE(ParseCode("U", 2024, &s));
  EXPECT_EQ(ExpectedCodes(CodeList::kSex, 2024), "1, 2");
}

TEST(SexCodesTest, MfuFrom2025) {
  Sex s = Sex::kMale;
  EXPECT_TRUE(ParseCode("M", 2025, &s));
  EXPECT_EQ(s, Sex::kMale);
  EXPECT_TRUE(ParseCode("F", 2025, &s));
  EXPECT_EQ(s, Sex::kFemale);
  EXPECT_TRUE(ParseCode("U", 2026, &s));
  EXPECT_EQ(s, Sex::kUnknown);
  EXPECT_FALSE(ParseCode("1", 2025, &s));
  EXPECT_FALSE(ParseCode("2", 2025, &s));
  EXPECT_EQ(ExpectedCodes(CodeList::kSex, 2025), "M, F, U");
}

TEST(CodesTest, TrimsSpacesAndTabsAndIgnoresCase) {
  LegalStatus ls = LegalStatus::kC1;
  EXPECT_TRUE(ParseCode(" \tc2 ", 2025, &ls));
  EXPECT_EQ(ls, LegalStatus::kC2);
  ReasonCeased rec = ReasonCeased::kE11;
  EXPECT_TRUE(ParseCode("e4a", 2025, &rec));
  EXPECT_EQ(rec, ReasonCeased::kE4A);
  Sex s = Sex::kMale;
  EXPECT_TRUE(ParseCode(" f", 2025, &s));
  EXPECT_EQ(s, Sex::kFemale);
}

TEST(CodesTest, OtherWhitespaceIsNotTrimmed) {
  LegalStatus ls;
  EXPECT_FALSE(ParseCode("C2\n", 2025, &ls));
  EXPECT_FALSE(ParseCode("C 2", 2025, &ls));
}

TEST(CodesTest, BlankIsNotACodeOfRequiredLists) {
  LegalStatus ls;
  EXPECT_FALSE(ParseCode("", 2025, &ls));
  EXPECT_FALSE(ParseCode("  ", 2025, &ls));
  Placement p;
  EXPECT_FALSE(ParseCode("", 2025, &p));
}

TEST(CodesTest, RejectsUnknownAndOverlongCodes) {
  ReasonNewEpisode rne;
  EXPECT_FALSE(ParseCode("X", 2025, &rne));
  EXPECT_FALSE(ParseCode("SS", 2025, &rne));
  EXPECT_FALSE(ParseCode("SSSSSSSSSSSSSSSSSSSSSSSSS", 2025, &rne));
  EXPECT_EQ(LookupCode(CodeList::kLegalStatus, "C3", 2025), -1);
}

TEST(CodesTest, LegalStatusList) {
  EXPECT_EQ(ExpectedCodes(CodeList::kLegalStatus, 2025),
            "C1, C2, D1, E1, J1, J2, J3, L1, L2, L3, V2, V3, V4");
}

TEST(CodesTest, ReasonNewEpisodeList) {
  EXPECT_EQ(ExpectedCodes(CodeList::kReasonNewEpisode, 2025), "S, P, L, T, U, B");
}

TEST(PlacementCodesTest, VersionedByYear) {
  Placement p;
  EXPECT_FALSE(ParseCode("K3", 2024, &p));
  EXPECT_TRUE(ParseCode("K3", 2025, &p));
  EXPECT_EQ(p, Placement::kK3);
  EXPECT_TRUE(ParseCode("K3", 2026, &p));
  for (const char* gone : {"H5", "P2", "Z1"}) {
    EXPECT_TRUE(ParseCode(gone, 2024, &p)) << gone;
    EXPECT_TRUE(ParseCode(gone, 2025, &p)) << gone;
    EXPECT_FALSE(ParseCode(gone, 2026, &p)) << gone;
  }
  for (const char* added : {"Z11", "Z12", "Z13", "Z14"}) {
    EXPECT_FALSE(ParseCode(added, 2025, &p)) << added;
    EXPECT_TRUE(ParseCode(added, 2026, &p)) << added;
  }
  EXPECT_EQ(ExpectedCodes(CodeList::kPlacement, 2024),
            "A3, A4, A5, A6, H5, K1, K2, P1, P2, P3, R1, R2, R3, R5, S1, T0, T1, T2, T3, T4, "
            "U1, U2, U3, U4, U5, U6, Z1");
  EXPECT_EQ(ExpectedCodes(CodeList::kPlacement, 2026),
            "A3, A4, A5, A6, K1, K2, K3, P1, P3, R1, R2, R3, R5, S1, T0, T1, T2, T3, T4, U1, "
            "U2, U3, U4, U5, U6, Z11, Z12, Z13, Z14");
}

TEST(ReasonCeasedCodesTest, DfeListPlusSpecSgoCodes) {
  EXPECT_EQ(ExpectedCodes(CodeList::kReasonCeased, 2025),
            "E11, E12, E13, E14, E15, E16, E17, E2, E3, E41, E43, E44, E45, E46, E47, E48, "
            "E4A, E4B, E5, E6, E7, E8, E9, X1");
  ReasonCeased rec;
  EXPECT_FALSE(ParseCode("E1", 2025, &rec));
  EXPECT_FALSE(ParseCode("E4", 2025, &rec));
  EXPECT_TRUE(ParseCode("X1", 2025, &rec));
  EXPECT_EQ(rec, ReasonCeased::kX1);
}

TEST(CodesTest, EthnicityAndCategoryOfNeed) {
  Ethnicity e;
  EXPECT_TRUE(ParseCode("wbri", 2025, &e));
  EXPECT_EQ(e, Ethnicity::kWBRI);
  EXPECT_TRUE(ParseCode("NOBT", 2025, &e));
  EXPECT_EQ(e, Ethnicity::kNOBT);
  EXPECT_FALSE(ParseCode("White British", 2025, &e));
  CategoryOfNeed cin;
  EXPECT_TRUE(ParseCode("N8", 2025, &cin));
  EXPECT_FALSE(ParseCode("N9", 2025, &cin));
  EXPECT_FALSE(ParseCode("N0", 2025, &cin));
}

TEST(SensitiveCodesTest, BlankIsUnknown) {
  ImmigrationStatus st = ImmigrationStatus::kBritish;
  EXPECT_TRUE(ParseCode("", 2025, &st));
  EXPECT_EQ(st, ImmigrationStatus::kUnknown);
  EXPECT_TRUE(ParseCode("unknown", 2025, &st));
  EXPECT_EQ(st, ImmigrationStatus::kUnknown);
  EXPECT_TRUE(ParseCode("limited_leave", 2025, &st));
  EXPECT_EQ(st, ImmigrationStatus::kLimitedLeave);
  EXPECT_FALSE(ParseCode("LIMITED LEAVE", 2025, &st));
  Nrpf n = Nrpf::kYes;
  EXPECT_TRUE(ParseCode(" ", 2025, &n));
  EXPECT_EQ(n, Nrpf::kUnknown);
  EXPECT_FALSE(ParseCode("YES", 2025, &n));
  EXPECT_EQ(ExpectedCodes(CodeList::kNrpf, 2025), "Y, N or a blank");
}

TEST(CodeTextTest, LatestSpelling) {
  EXPECT_EQ(CodeText(Sex::kMale), "M");
  EXPECT_EQ(CodeText(Placement::kZ14), "Z14");
  EXPECT_EQ(CodeText(ReasonCeased::kE4A), "E4A");
  EXPECT_EQ(CodeText(ImmigrationStatus::kUnknown), "UNKNOWN");
}

TEST(NationalityTest, IsoList) {
  EXPECT_EQ(IsoAlpha3Codes().size(), 249u);
  EXPECT_TRUE(std::is_sorted(IsoAlpha3Codes().begin(), IsoAlpha3Codes().end()));
  EXPECT_TRUE(IsIsoAlpha3("GBR"));
  EXPECT_TRUE(IsIsoAlpha3("ALA"));
  EXPECT_TRUE(IsIsoAlpha3("ZWE"));
  EXPECT_FALSE(IsIsoAlpha3("UNK"));
  EXPECT_FALSE(IsIsoAlpha3("XKX"));
  EXPECT_FALSE(IsIsoAlpha3("gbr"));  // exact: callers normalise first
  EXPECT_FALSE(IsIsoAlpha3("GB"));
}

TEST(NationalityTest, Groups) {
  NationalityGroup g = NationalityGroup::kOther;
  ASSERT_TRUE(ParseNationality("GBR", &g));
  EXPECT_EQ(g, NationalityGroup::kBritish);
  ASSERT_TRUE(ParseNationality(" gbr ", &g));
  EXPECT_EQ(g, NationalityGroup::kBritish);
  for (const char* eea : {"FRA", "DEU", "IRL", "HRV", "ISL", "LIE", "NOR", "CHE"}) {
    ASSERT_TRUE(ParseNationality(eea, &g)) << eea;
    EXPECT_EQ(g, NationalityGroup::kEuEeaSwiss) << eea;
  }
  for (const char* other : {"AFG", "ALB", "ERI", "USA", "TUR", "UKR"}) {
    ASSERT_TRUE(ParseNationality(other, &g)) << other;
    EXPECT_EQ(g, NationalityGroup::kOther) << other;
  }
  ASSERT_TRUE(ParseNationality("", &g));
  EXPECT_EQ(g, NationalityGroup::kUnknown);
  ASSERT_TRUE(ParseNationality("unk", &g));
  EXPECT_EQ(g, NationalityGroup::kUnknown);
  EXPECT_FALSE(ParseNationality("UK", &g));
  EXPECT_FALSE(ParseNationality("British", &g));
  EXPECT_FALSE(ParseNationality("XKX", &g));
}

TEST(TrimTest, SpacesAndTabsOnly) {
  EXPECT_EQ(TrimAsciiBlanks(" \t a b \t"), "a b");
  EXPECT_EQ(TrimAsciiBlanks("   "), "");
  EXPECT_EQ(TrimAsciiBlanks("\na\n"), "\na\n");
}

}  // namespace
}  // namespace ringfence::node
