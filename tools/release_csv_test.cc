#include "tools/release_csv.h"

#include <string>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::tools {
namespace {

constexpr char kHeader[] =
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,new_la_code,la_name,breakdown,group,cla,started,ceased,placements_3plus,"
    "distance_over_20,distance_known,out_of_area,leavers,leavers_in_touch,leavers_eet,"
    "leavers_suitable_accom,missing,away_no_auth\n";

namespace v1 = ::ringfence::v1;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

v1::ReleasedCell* Add(v1::ReleaseResponse* r, v1::GeographicLevel level,
                      const std::string& indicator,
                      const std::string& breakdown, const std::string& group,
                      int64_t value, bool suppressed = false) {
  v1::ReleasedCell* c = r->add_cells();
  c->set_level(level);
  c->mutable_key()->set_indicator(indicator);
  c->mutable_key()->set_breakdown(breakdown);
  c->mutable_key()->set_group(group);
  c->set_value(value);
  c->set_suppressed(suppressed);
  c->set_noise_variance_numerator(9);
  c->set_noise_variance_denominator(2);
  c->set_contributing_las(1);
  if (level != v1::NATIONAL) {
    c->set_region_code("E12000009");
    c->set_region_name("South West");
  }
  if (level == v1::LOCAL_AUTHORITY) {
    c->set_la_code("E06000023");
    c->set_la_name("Bristol, City of");
  }
  return c;
}

TEST(FormatReleaseCsvTest, WritesTheEesLayout) {
  v1::ReleaseResponse r;
  r.set_year(2025);
  r.set_catalogue_version(1);
  r.add_la_codes("E06000023");
  v1::ReleasedCell* total =
      Add(&r, v1::NATIONAL, "cla", "total", "total", 670205);
  total->set_noise_variance_numerator(27);
  Add(&r, v1::NATIONAL, "cla", "sex", "male", 0, /*suppressed=*/true);
  Add(&r, v1::REGIONAL, "cla", "total", "total", 30);
  Add(&r, v1::LOCAL_AUTHORITY, "cla", "total", "total", 25);
  Add(&r, v1::LOCAL_AUTHORITY, "cla", "age", "16_plus", 0, /*suppressed=*/true);

  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->rows, 5);
  // Every catalogue indicator is a column: x where it has the breakdown but the release
  // carries no cell, z where it has no such breakdown.
  EXPECT_EQ(csv->text,
            std::string(kHeader) +
                "2025,Reporting year,National,E92000001,England,,,,,total,total,"
                "670205,x,x,x,x,x,x,z,z,z,z,x,x\n"
                "2025,Reporting year,National,E92000001,England,,,,,sex,male,"
                "c,x,z,z,z,z,z,z,z,z,z,x,x\n"
                "2025,Reporting year,Regional,E92000001,England,E12000009,South West,,,"
                "total,total,30,x,x,x,x,x,x,z,z,z,z,x,x\n"
                "2025,Reporting year,Local authority,E92000001,England,E12000009,South West,"
                "E06000023,\"Bristol, City of\",total,total,25,x,x,x,x,x,x,z,z,z,z,x,x\n"
                "2025,Reporting year,Local authority,E92000001,England,E12000009,South West,"
                "E06000023,\"Bristol, City of\",age,16_plus,c,x,z,x,x,x,z,z,z,z,z,x,x\n");
  EXPECT_EQ(SummariseRelease(r, csv->rows, "out.csv"),
            "release 2025: 1 LA, 5 rows written to out.csv; England cla 670205 "
            "(noise SD 3.7)");
}

TEST(FormatReleaseCsvTest, EachIndicatorIsAColumnWithZWhereItHasNoSuchBreakdown) {
  v1::ReleaseResponse r;
  r.set_year(2026);
  Add(&r, v1::NATIONAL, "cla", "total", "total", 100);
  Add(&r, v1::NATIONAL, "cla", "sex", "male", 55);
  Add(&r, v1::NATIONAL, "leavers", "leaver_age", "17_to_18", 45);
  Add(&r, v1::REGIONAL, "cla", "total", "total", 30);
  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->rows, 4);
  // leavers has no total or sex breakdown (z); cla has no leaver_age (z); leavers_in_touch
  // has leaver_age but no cell was released (x).
  EXPECT_EQ(csv->text,
            std::string(kHeader) +
                "2026,Reporting year,National,E92000001,England,,,,,total,total,"
                "100,x,x,x,x,x,x,z,z,z,z,x,x\n"
                "2026,Reporting year,National,E92000001,England,,,,,sex,male,"
                "55,x,z,z,z,z,z,z,z,z,z,x,x\n"
                "2026,Reporting year,National,E92000001,England,,,,,leaver_age,17_to_18,"
                "z,z,z,z,z,z,z,45,x,x,x,z,z\n"
                "2026,Reporting year,Regional,E92000001,England,E12000009,South West,,,"
                "total,total,30,x,x,x,x,x,x,z,z,z,z,x,x\n");
}

TEST(FormatReleaseCsvTest, AnEmptyReleaseIsJustTheHeader) {
  v1::ReleaseResponse r;
  r.set_year(2025);
  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->rows, 0);
  EXPECT_EQ(csv->text, kHeader);
  EXPECT_EQ(SummariseRelease(r, 0, "x.csv"),
            "release 2025: 0 LAs, 0 rows written to x.csv; England cla not in "
            "release");
}

TEST(FormatReleaseCsvTest, RefusesMalformedReleases) {
  v1::ReleaseResponse no_level;
  Add(&no_level, v1::GEOGRAPHIC_LEVEL_UNSPECIFIED, "cla", "total", "total", 1);
  EXPECT_THAT(FormatReleaseCsv(no_level),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("geographic level")));

  v1::ReleaseResponse national_with_region;
  Add(&national_with_region, v1::NATIONAL, "cla", "total", "total", 1)
      ->set_region_code("E1");
  EXPECT_THAT(
      FormatReleaseCsv(national_with_region),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("national row")));

  v1::ReleaseResponse twice;
  Add(&twice, v1::NATIONAL, "cla", "total", "total", 1);
  Add(&twice, v1::NATIONAL, "cla", "total", "total", 2);
  EXPECT_THAT(
      FormatReleaseCsv(twice),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));

  v1::ReleaseResponse empty_group;
  Add(&empty_group, v1::NATIONAL, "cla", "total", "", 1);
  EXPECT_THAT(FormatReleaseCsv(empty_group),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SummariseReleaseTest, ReportsASuppressedEnglandTotalAsC) {
  v1::ReleaseResponse r;
  r.set_year(2025);
  r.add_la_codes("E06000023");
  r.add_la_codes("E06000024");
  Add(&r, v1::NATIONAL, "cla", "total", "total", 0, /*suppressed=*/true);
  EXPECT_EQ(SummariseRelease(r, 1, "o.csv"),
            "release 2025: 2 LAs, 1 row written to o.csv; England cla c (noise "
            "SD 2.1)");
}

}  // namespace
}  // namespace ringfence::tools
