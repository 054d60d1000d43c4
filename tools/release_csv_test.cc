#include "tools/release_csv.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::tools {
namespace {

namespace v1 = ::ringfence::v1;

constexpr char kHeader[] =
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,new_la_code,la_name,breakdown,group,cla,started,ceased,placements_3plus,"
    "distance_over_20,distance_known,out_of_area,leavers,leavers_in_touch,leavers_eet,"
    "leavers_suitable_accom,missing,away_no_auth,"
    "cla_noise_sd,cla_ci95_half_width,started_noise_sd,started_ci95_half_width,"
    "ceased_noise_sd,ceased_ci95_half_width,placements_3plus_noise_sd,"
    "placements_3plus_ci95_half_width,distance_over_20_noise_sd,"
    "distance_over_20_ci95_half_width,distance_known_noise_sd,distance_known_ci95_half_width,"
    "out_of_area_noise_sd,out_of_area_ci95_half_width,leavers_noise_sd,"
    "leavers_ci95_half_width,leavers_in_touch_noise_sd,leavers_in_touch_ci95_half_width,"
    "leavers_eet_noise_sd,leavers_eet_ci95_half_width,leavers_suitable_accom_noise_sd,"
    "leavers_suitable_accom_ci95_half_width,missing_noise_sd,missing_ci95_half_width,"
    "away_no_auth_noise_sd,away_no_auth_ci95_half_width\n";

// Sets a cell's exact noise variance and, as the coordinator does, the noise SD
// and 95% half-width derived from it (rounding to 5).
void SetVariance(v1::ReleasedCell* c, uint64_t numerator, uint64_t denominator) {
  c->set_noise_variance_numerator(numerator);
  c->set_noise_variance_denominator(denominator);
  const double sd = std::sqrt(static_cast<double>(numerator) / denominator);
  c->set_noise_sd(sd);
  c->set_ci95_half_width(1.96 * sd + 2.5);
}

// The uncertainty columns for a row whose value columns are `values`, every
// cell with the default variance 9/2 (sd 2.121, half-width 6.658).
std::string UncertaintyFor(absl::string_view values) {
  std::vector<std::string> out;
  for (absl::string_view v : absl::StrSplit(values, ',')) {
    if (v == "x" || v == "z") {
      out.insert(out.end(), 2, std::string(v));
    } else {
      out.push_back("2.121");
      out.push_back(v == "c" ? "c" : "6.658");
    }
  }
  return absl::StrJoin(out, ",");
}

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

v1::ReleasedCell* Add(v1::ReleaseResponse* r, v1::GeographicLevel level,
                      const std::string& indicator, const std::string& breakdown,
                      const std::string& group, int64_t value, bool suppressed = false) {
  v1::ReleasedCell* c = r->add_cells();
  c->set_level(level);
  c->mutable_key()->set_indicator(indicator);
  c->mutable_key()->set_breakdown(breakdown);
  c->mutable_key()->set_group(group);
  c->set_value(value);
  c->set_suppressed(suppressed);
  SetVariance(c, 9, 2);
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
  v1::ReleasedCell* total = Add(&r, v1::NATIONAL, "cla", "total", "total", 670205);
  SetVariance(total, 27, 2);  // sd 3.674, half-width 9.701
  Add(&r, v1::NATIONAL, "cla", "sex", "male", 0, /*suppressed=*/true);
  Add(&r, v1::REGIONAL, "cla", "total", "total", 30);
  Add(&r, v1::LOCAL_AUTHORITY, "cla", "total", "total", 25);
  Add(&r, v1::LOCAL_AUTHORITY, "cla", "age", "16_plus", 0, /*suppressed=*/true);

  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->rows, 5);
  // Every catalogue indicator is a column: x where it has the breakdown but the release
  // carries no cell, z where it has no such breakdown.
  // After the values, each indicator's noise SD and 95% half-width: numbers
  // for a published cell, the SD and c for a suppressed one, x or z repeated
  // for an absent one.
  EXPECT_EQ(csv->text,
            std::string(kHeader) +
                "2025,Reporting year,National,E92000001,England,,,,,total,total,"
                "670205,x,x,x,x,x,x,z,z,z,z,x,x,"
                "3.674,9.701,x,x,x,x,x,x,x,x,x,x,x,x,z,z,z,z,z,z,z,z,x,x,x,x\n"
                "2025,Reporting year,National,E92000001,England,,,,,sex,male,"
                "c,x,z,z,z,z,z,z,z,z,z,x,x,"
                "2.121,c,x,x,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,z,x,x,x,x\n"
                "2025,Reporting year,Regional,E92000001,England,E12000009,South West,,,"
                "total,total,30,x,x,x,x,x,x,z,z,z,z,x,x,"
                "2.121,6.658,x,x,x,x,x,x,x,x,x,x,x,x,z,z,z,z,z,z,z,z,x,x,x,x\n"
                "2025,Reporting year,Local authority,E92000001,England,E12000009,South West,"
                "E06000023,\"Bristol, City of\",total,total,25,x,x,x,x,x,x,z,z,z,z,x,x,"
                "2.121,6.658,x,x,x,x,x,x,x,x,x,x,x,x,z,z,z,z,z,z,z,z,x,x,x,x\n"
                "2025,Reporting year,Local authority,E92000001,England,E12000009,South West,"
                "E06000023,\"Bristol, City of\",age,16_plus,c,x,z,x,x,x,z,z,z,z,z,x,x,"
                "2.121,c,x,x,z,z,x,x,x,x,x,x,z,z,z,z,z,z,z,z,z,z,x,x,x,x\n");
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
  const std::string national = "2026,Reporting year,National,E92000001,England,,,,,";
  const std::string regional =
      "2026,Reporting year,Regional,E92000001,England,E12000009,South West,,,";
  auto row = [](const std::string& prefix, const std::string& values) {
    return prefix + values + "," + UncertaintyFor(values) + "\n";
  };
  EXPECT_EQ(csv->text, std::string(kHeader) +
                           row(national + "total,total,", "100,x,x,x,x,x,x,z,z,z,z,x,x") +
                           row(national + "sex,male,", "55,x,z,z,z,z,z,z,z,z,z,x,x") +
                           row(national + "leaver_age,17_to_18,", "z,z,z,z,z,z,z,45,x,x,x,z,z") +
                           row(regional + "total,total,", "30,x,x,x,x,x,x,z,z,z,z,x,x"));
}

// The value of column `name` in data row `row` (1-based) of a CSV without
// quoted fields.
std::string Column(const std::string& csv, int row, const std::string& name) {
  std::vector<std::string> lines = absl::StrSplit(csv, '\n');
  std::vector<std::string> header = absl::StrSplit(lines.at(0), ',');
  std::vector<std::string> fields = absl::StrSplit(lines.at(row), ',');
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return fields.at(i);
  }
  ADD_FAILURE() << "no column " << name;
  return "";
}

TEST(FormatReleaseCsvTest, EachCellHasItsNoiseSdAndHalfWidthFromNoiseAndRounding) {
  v1::ReleaseResponse r;
  r.set_year(2025);
  // A regional cell of 3 LAs at sigma^2 = 52 each: variance 156, sd 12.490,
  // half-width 1.96 * 12.490 + 2.5 = 26.980.
  v1::ReleasedCell* region = Add(&r, v1::REGIONAL, "cla", "total", "total", 610);
  SetVariance(region, 156, 1);
  region->set_contributing_las(3);
  // One LA: variance 52, sd 7.211, half-width 1.96 * 7.211 + 2.5 = 16.634.
  v1::ReleasedCell* la = Add(&r, v1::LOCAL_AUTHORITY, "cla", "total", "total", 205);
  v1::ReleasedCell* la_suppressed =
      Add(&r, v1::LOCAL_AUTHORITY, "started", "total", "total", 0, /*suppressed=*/true);
  for (v1::ReleasedCell* c : {la, la_suppressed}) {
    SetVariance(c, 52, 1);
    c->set_la_name("Bristol");  // no comma, so Column can split the line
  }
  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(r);
  ASSERT_THAT(csv, IsOk());
  ASSERT_EQ(csv->rows, 2);
  EXPECT_EQ(Column(csv->text, 1, "cla"), "610");
  EXPECT_EQ(Column(csv->text, 1, "cla_noise_sd"), "12.490");
  EXPECT_EQ(Column(csv->text, 1, "cla_ci95_half_width"), "26.980");
  EXPECT_EQ(Column(csv->text, 1, "started_noise_sd"), "x");  // withheld
  EXPECT_EQ(Column(csv->text, 1, "leavers_noise_sd"), "z");  // no such breakdown
  EXPECT_EQ(Column(csv->text, 1, "leavers_ci95_half_width"), "z");
  EXPECT_EQ(Column(csv->text, 2, "cla"), "205");
  EXPECT_EQ(Column(csv->text, 2, "cla_noise_sd"), "7.211");
  EXPECT_EQ(Column(csv->text, 2, "cla_ci95_half_width"), "16.634");
  // Suppressed: the SD (public, no value in it) but no interval.
  EXPECT_EQ(Column(csv->text, 2, "started"), "c");
  EXPECT_EQ(Column(csv->text, 2, "started_noise_sd"), "7.211");
  EXPECT_EQ(Column(csv->text, 2, "started_ci95_half_width"), "c");
}

TEST(FormatReleaseCsvTest, RefusesUncertaintyThatDoesNotFollowFromTheVariance) {
  v1::ReleaseResponse unset;  // e.g. from a coordinator that predates the fields
  Add(&unset, v1::NATIONAL, "cla", "total", "total", 100)->clear_noise_sd();
  EXPECT_THAT(FormatReleaseCsv(unset), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("noise_sd 0 is not the square root")));

  v1::ReleaseResponse wrong_sd;
  Add(&wrong_sd, v1::NATIONAL, "cla", "total", "total", 100)->set_noise_sd(2.2);
  EXPECT_THAT(FormatReleaseCsv(wrong_sd),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cla/total/total")));

  v1::ReleaseResponse narrow;
  Add(&narrow, v1::NATIONAL, "cla", "total", "total", 100)
      ->set_ci95_half_width(4.0);  // below 1.96 * 2.121
  EXPECT_THAT(FormatReleaseCsv(narrow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("below 1.96 * noise_sd")));

  v1::ReleaseResponse no_variance;
  Add(&no_variance, v1::NATIONAL, "cla", "total", "total", 100)->set_noise_variance_denominator(0);
  EXPECT_THAT(FormatReleaseCsv(no_variance),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no noise variance")));
}

TEST(FormatReleaseCsvTest, RefusesAnUnknownIndicatorNamedLikeAnUncertaintyColumn) {
  v1::ReleaseResponse r;
  Add(&r, v1::NATIONAL, "cla_noise_sd", "total", "total", 100);
  EXPECT_THAT(FormatReleaseCsv(r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'cla_noise_sd' clashes")));
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
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("geographic level")));

  v1::ReleaseResponse national_with_region;
  Add(&national_with_region, v1::NATIONAL, "cla", "total", "total", 1)->set_region_code("E1");
  EXPECT_THAT(FormatReleaseCsv(national_with_region),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("national row")));

  v1::ReleaseResponse twice;
  Add(&twice, v1::NATIONAL, "cla", "total", "total", 1);
  Add(&twice, v1::NATIONAL, "cla", "total", "total", 2);
  EXPECT_THAT(FormatReleaseCsv(twice),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));

  v1::ReleaseResponse empty_group;
  Add(&empty_group, v1::NATIONAL, "cla", "total", "", 1);
  EXPECT_THAT(FormatReleaseCsv(empty_group), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FormatReleaseCsvTest, WritesOnlyTheCellsThatCameBackAndMarksTheWithheldOnesX) {
  // What a class that receives no nationality breakdown and only some indicators gets: no
  // nationality rows at all, and `x` for each indicator withheld from an existing row.
  v1::ReleaseResponse r;
  r.set_year(2025);
  r.set_recipient_class("home_office_enforcement");
  Add(&r, v1::NATIONAL, "cla", "total", "total", 100);
  absl::StatusOr<ReleaseCsv> csv = FormatReleaseCsv(r);
  ASSERT_THAT(csv, IsOk());
  EXPECT_EQ(csv->rows, 1);
  EXPECT_THAT(csv->text, Not(HasSubstr("nationality")));
  EXPECT_EQ(Column(csv->text, 1, "cla"), "100");
  EXPECT_EQ(Column(csv->text, 1, "started"), "x");  // has a total, withheld
  EXPECT_EQ(Column(csv->text, 1, "leavers"), "z");  // has no total breakdown
}

TEST(SummariseReleaseTest, NamesTheClassAndPolicyTheReleaseWasFilteredFor) {
  v1::ReleaseResponse r;
  r.set_year(2025);
  r.add_la_codes("E06000023");
  r.set_recipient_class("la_own");
  r.set_policy_digest("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  Add(&r, v1::NATIONAL, "cla", "total", "total", 670205);
  EXPECT_EQ(SummariseRelease(r, 1, "o.csv"),
            "release 2025: 1 LA, 1 row written to o.csv; England cla 670205 (noise SD 2.1); "
            "class la_own, policy 0123456789ab");
  r.set_recipient_class("evil\nclass");
  EXPECT_THAT(SummariseRelease(r, 1, "o.csv"), Not(HasSubstr("\n")));
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
