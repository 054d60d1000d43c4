#include "tools/synth/synth.h"

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "catalogue/la_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/ssda903_schema.h"
#include "tools/synth/civil_date.h"
#include "tools/synth/geography.h"

namespace ringfence::tools::synth {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

struct Csv {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  int Col(const std::string& name) const {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return static_cast<int>(i);
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
  }
};

Csv Parse(const std::string& text, const std::string& name) {
  Csv csv;
  base::CsvReader reader(text, name);
  base::CsvRow row;
  bool first = true;
  while (reader.Next(&row)) {
    std::vector<std::string> fields(row.fields.begin(), row.fields.end());
    if (first) {
      csv.columns = fields;
      first = false;
    } else {
      EXPECT_EQ(fields.size(), csv.columns.size()) << name << ":" << row.line << ": ragged";
      csv.rows.push_back(fields);
    }
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status();
  return csv;
}

using Files = std::map<std::string, Csv>;

Files ParseAll(const std::vector<SynthFile>& files) {
  Files out;
  for (const SynthFile& f : files) out[f.name] = Parse(f.contents, f.name);
  return out;
}

const catalogue::LocalAuthority& La(const std::string& code) {
  const catalogue::LocalAuthority* la = catalogue::FindLocalAuthority(code);
  EXPECT_NE(la, nullptr) << code;
  return *la;
}

Files Generate(const std::string& code, int year, uint64_t seed, double scale = 1.0) {
  auto files = GenerateLaFiles(La(code), year, seed, scale);
  EXPECT_THAT(files, IsOk());
  return files.ok() ? ParseAll(*files) : Files();
}

Day ParseDay(const std::string& s) {
  std::vector<std::string> parts = absl::StrSplit(s, '/');
  EXPECT_EQ(parts.size(), 3u) << s;
  int d = 0, m = 0, y = 0;
  EXPECT_TRUE(absl::SimpleAtoi(parts[0], &d) && absl::SimpleAtoi(parts[1], &m) &&
              absl::SimpleAtoi(parts[2], &y))
      << s;
  return DayFromYmd(y, m, d);
}

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[2] != '/' || s[5] != '/') return false;
  for (int i : {0, 1, 3, 4, 6, 7, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  const int d = std::stoi(s.substr(0, 2)), m = std::stoi(s.substr(3, 2)),
            y = std::stoi(s.substr(6, 4));
  return m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

// Children looked after at 31 March (a non-short-break episode open at R).
std::set<std::string> ClaChildren(const Csv& episodes, int year) {
  const Day r = DayFromYmd(year, 3, 31);
  std::set<std::string> cla;
  const int child = episodes.Col("CHILD"), decom = episodes.Col("DECOM"),
            dec = episodes.Col("DEC"), ls = episodes.Col("LS");
  for (const auto& row : episodes.rows) {
    if (row[ls] == "V3" || row[ls] == "V4") continue;
    if (ParseDay(row[decom]) <= r && (row[dec].empty() || ParseDay(row[dec]) > r)) {
      cla.insert(row[child]);
    }
  }
  return cla;
}

const char* const kBirmingham = "E08000025";
const char* const kRutland = "E06000017";
const char* const kIslesOfScilly = "E06000053";
const char* const kWestminster = "E09000033";

// ---------------------------------------------------------------------------------------------

TEST(SynthTest, SameSeedGivesByteIdenticalFiles) {
  auto a = GenerateLaFiles(La(kWestminster), 2025, 11, 1.0);
  auto b = GenerateLaFiles(La(kWestminster), 2025, 11, 1.0);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].name, (*b)[i].name);
    EXPECT_EQ((*a)[i].contents, (*b)[i].contents) << (*a)[i].name;
  }
}

TEST(SynthTest, DifferentSeedGivesDifferentFiles) {
  auto a = GenerateLaFiles(La(kWestminster), 2025, 11, 1.0);
  auto b = GenerateLaFiles(La(kWestminster), 2025, 12, 1.0);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_NE((*a)[i].contents, (*b)[i].contents) << (*a)[i].name;
  }
}

TEST(SynthTest, WritesTheSameBytesToDiskAndAnLaDoesNotDependOnTheOthersChosen) {
  const std::string root = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_synth_test_disk";
  std::filesystem::remove_all(root);
  SynthOptions one;
  one.la_codes = {kWestminster, kRutland};
  one.year = 2026;
  one.seed = 5;
  one.out_dir = root + "/one";
  SynthOptions two = one;
  two.la_codes = {kBirmingham, kWestminster};
  two.out_dir = root + "/two";
  std::vector<SynthSummary> summaries;
  ASSERT_THAT(GenerateSynthetic(one, &summaries), IsOk());
  ASSERT_EQ(summaries.size(), 2u);
  ASSERT_THAT(GenerateSynthetic(two), IsOk());

  auto expected = GenerateLaFiles(La(kWestminster), 2026, 5, 1.0);
  ASSERT_THAT(expected, IsOk());
  for (const SynthFile& f : *expected) {
    for (const std::string& dir : {one.out_dir, two.out_dir}) {
      std::string on_disk;
      ASSERT_THAT(base::ReadFileToString(dir + "/" + kWestminster + "/" + f.name, &on_disk),
                  IsOk());
      EXPECT_EQ(on_disk, f.contents) << dir << " " << f.name;
    }
  }

  std::string manifest;
  ASSERT_THAT(base::ReadFileToString(one.out_dir + "/manifest.csv", &manifest), IsOk());
  const Csv m = Parse(manifest, "manifest.csv");
  EXPECT_THAT(m.columns, ElementsAreArray({"la_code", "la_name", "region_code", "region_name",
                                           "children"}));
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0][0], kWestminster);  // the order given
  EXPECT_EQ(m.rows[0][1], "Westminster");
  EXPECT_EQ(m.rows[0][2], "E12000007");
  EXPECT_EQ(m.rows[0][4], absl::StrCat(summaries[0].children));
  EXPECT_EQ(m.rows[1][0], kRutland);
  EXPECT_FALSE(absl::StrContains(manifest, "C213"));  // no child ids
  std::filesystem::remove_all(root);
}

TEST(SynthTest, ManifestQuotesNamesWithCommas) {
  const catalogue::LocalAuthority& hull = La("E06000010");
  SynthSummary s;
  s.children = 7;
  EXPECT_EQ(RenderManifest({&hull}, {s}),
            absl::StrCat("la_code,la_name,region_code,region_name,children\n",
                         "E06000010,\"Kingston upon Hull, City of\",", hull.region_code, ",",
                         hull.region_name, ",7\n"));
}

TEST(SynthTest, ChoiceByCountSpansRegionsAndIsDeterministic) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    SynthOptions o;
    o.seed = seed;
    o.la_count = 2;
    auto two = ChooseLocalAuthorities(o);
    ASSERT_THAT(two, IsOk());
    ASSERT_EQ(two->size(), 2u);
    EXPECT_NE((*two)[0]->region_code, (*two)[1]->region_code) << "seed " << seed;

    o.la_count = 9;
    auto nine = ChooseLocalAuthorities(o);
    ASSERT_THAT(nine, IsOk());
    std::set<std::string> regions;
    for (const auto* la : *nine) regions.insert(la->region_code);
    EXPECT_EQ(regions.size(), catalogue::AllRegions().size()) << "seed " << seed;

    auto again = ChooseLocalAuthorities(o);
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(*nine, *again);
  }
  SynthOptions a, b;
  a.la_count = b.la_count = 20;
  a.seed = 1;
  b.seed = 2;
  EXPECT_NE(*ChooseLocalAuthorities(a), *ChooseLocalAuthorities(b));
}

TEST(SynthTest, ChoiceOfAllLasTakesEachOnce) {
  SynthOptions o;
  o.seed = 3;
  o.la_count = static_cast<int>(catalogue::AllLocalAuthorities().size());
  auto all = ChooseLocalAuthorities(o);
  ASSERT_THAT(all, IsOk());
  std::set<std::string> codes;
  for (const auto* la : *all) codes.insert(la->new_la_code);
  EXPECT_EQ(codes.size(), catalogue::AllLocalAuthorities().size());
}

TEST(SynthTest, RejectsBadChoices) {
  SynthOptions o;
  o.la_count = 0;
  EXPECT_THAT(ChooseLocalAuthorities(o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.la_count = 154;
  EXPECT_THAT(ChooseLocalAuthorities(o), StatusIs(absl::StatusCode::kInvalidArgument));
  o.la_count = 2;
  o.la_codes = {kRutland};
  EXPECT_THAT(ChooseLocalAuthorities(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not both")));
  o.la_count = 0;
  o.la_codes = {"E99999999"};
  EXPECT_THAT(ChooseLocalAuthorities(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("E99999999")));
  o.la_codes = {kRutland, kRutland};
  EXPECT_THAT(ChooseLocalAuthorities(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
}

TEST(SynthTest, RejectsBadYearScaleAndFolder) {
  EXPECT_THAT(GenerateLaDataset(La(kRutland), 2019, 1, 1.0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GenerateLaDataset(La(kRutland), 2031, 1, 1.0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GenerateLaDataset(La(kRutland), 2025, 1, 0.0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GenerateLaDataset(La(kRutland), 2025, 1, kMaxScale * 2),
              StatusIs(absl::StatusCode::kInvalidArgument));
  SynthOptions o;
  o.la_count = 1;
  o.year = 2025;
  EXPECT_THAT(GenerateSynthetic(o), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SynthTest, FilesHaveTheSchemaColumns) {
  const Files files = Generate(kWestminster, 2025, 1);
  const std::map<std::string, node::Table> expected = {
      {"header.csv", node::Table::kHeader},   {"episodes.csv", node::Table::kEpisodes},
      {"uasc.csv", node::Table::kUasc},       {"oc3.csv", node::Table::kOc3},
      {"missing.csv", node::Table::kMissing}, {"sensitive.csv", node::Table::kSensitive},
      {"reviews.csv", node::Table::kReviews}, {"oc2.csv", node::Table::kOc2},
      {"ad1.csv", node::Table::kAd1},         {"placed_adoption.csv", node::Table::kPlacedAdoption},
      {"prev_perm.csv", node::Table::kPrevPerm},
      {"sw_episodes.csv", node::Table::kSwEpisodes},
      {"postcodes.csv", node::Table::kPostcodes}};
  ASSERT_EQ(files.size(), expected.size());
  for (const auto& [name, table] : expected) {
    ASSERT_EQ(files.count(name), 1u) << name;
    for (const node::TableSchema& s : node::AllTableSchemas()) {
      if (s.table == table) {
        EXPECT_EQ(files.at(name).columns, s.columns) << name;
      }
    }
    EXPECT_FALSE(files.at(name).rows.empty()) << name;
  }
}

TEST(SynthTest, VolumesForABigAndASmallLa) {
  for (const char* code : {kBirmingham, kRutland, kIslesOfScilly}) {
    const catalogue::LocalAuthority& la = La(code);
    const int64_t pop = catalogue::Population0To17(code, 2025);
    ASSERT_GT(pop, 0);
    auto dataset = GenerateLaDataset(la, 2025, 21, 1.0);
    ASSERT_THAT(dataset, IsOk());
    const SynthSummary& s = dataset->summary;
    EXPECT_GE(s.cla, std::max<int64_t>(1, pop * 30 / 10000 - 1)) << code;
    EXPECT_LE(s.cla, pop * 130 / 10000 + 1) << code;
    EXPECT_GT(s.children, s.cla) << code;
    if (s.cla >= 100) {
      EXPECT_GT(s.started, s.cla / 5) << code;
      EXPECT_LT(s.started, s.cla * 3 / 5) << code;
      EXPECT_GT(s.ceased, s.cla / 5) << code;
      EXPECT_LT(s.ceased, s.cla * 3 / 5) << code;
      EXPECT_GT(s.care_leavers, s.cla / 3) << code;
      EXPECT_GT(s.short_break_only, 0) << code;
    }
  }
  // A large LA has about 2,000 children looked after; the scale multiplies volumes.
  auto big = GenerateLaDataset(La(kBirmingham), 2025, 21, 1.0);
  auto half = GenerateLaDataset(La(kBirmingham), 2025, 21, 0.5);
  ASSERT_THAT(big, IsOk());
  ASSERT_THAT(half, IsOk());
  EXPECT_NEAR(half->summary.cla, big->summary.cla / 2.0, 2);
}

TEST(SynthTest, SummaryMatchesTheFiles) {
  auto dataset = GenerateLaDataset(La(kWestminster), 2025, 4, 1.0);
  ASSERT_THAT(dataset, IsOk());
  Files files;
  for (const SynthTable& t : dataset->tables) {
    files[t.file_name] = Parse(RenderTable(t), t.file_name);
  }
  EXPECT_EQ(dataset->summary.children, static_cast<int>(files["header.csv"].rows.size()));
  EXPECT_EQ(dataset->summary.episodes, static_cast<int>(files["episodes.csv"].rows.size()));
  EXPECT_EQ(dataset->summary.uasc, static_cast<int>(files["uasc.csv"].rows.size()));
  EXPECT_EQ(dataset->summary.care_leavers, static_cast<int>(files["oc3.csv"].rows.size()));
  EXPECT_EQ(dataset->summary.cla,
            static_cast<int>(ClaChildren(files["episodes.csv"], 2025).size()));
}

TEST(SynthTest, ChildIdsAreUniqueDistinctiveAndKnownToHeader) {
  for (int year : {2024, 2026}) {
    const Files files = Generate(kBirmingham, year, 8);
    const Csv& header = files.at("header.csv");
    std::set<std::string> ids;
    for (const auto& row : header.rows) {
      const std::string& id = row[header.Col("CHILD")];
      EXPECT_TRUE(ids.insert(id).second) << "CHILD twice in header: " << id;
      ASSERT_EQ(id.size(), 10u) << id;
      EXPECT_EQ(id.substr(0, 4), "C330") << id;  // Birmingham's DfE code
      EXPECT_TRUE(std::all_of(id.begin() + 1, id.end(), absl::ascii_isdigit)) << id;
    }
    std::set<std::string> once_tables = {"oc3.csv", "sensitive.csv"};
    for (const auto& [name, csv] : files) {
      if (name == "postcodes.csv") continue;  // the one table without CHILD
      std::set<std::string> seen;
      const int child = csv.Col("CHILD");
      for (const auto& row : csv.rows) {
        EXPECT_EQ(ids.count(row[child]), 1u) << name << ": " << row[child] << " not in header";
        if (once_tables.count(name)) {
          EXPECT_TRUE(seen.insert(row[child]).second) << name << ": " << row[child] << " twice";
        }
        // A CHILD id never appears inside any other field.
        for (size_t i = 0; i < row.size(); ++i) {
          if (static_cast<int>(i) == child) continue;
          if (absl::StrContains(row[i], "C330")) {
            for (absl::string_view part : absl::StrSplit(row[i], ' ')) {
              EXPECT_EQ(ids.count(std::string(part)), 0u) << name << " field " << csv.columns[i];
            }
          }
        }
      }
    }
  }
}

TEST(SynthTest, SexIsEncodedForTheYear) {
  for (int year : {2020, 2024, 2025, 2030}) {
    const Files files = Generate(kBirmingham, year, 2);
    std::set<std::string> codes;
    for (const char* name : {"header.csv", "uasc.csv"}) {
      const Csv& csv = files.at(name);
      for (const auto& row : csv.rows) codes.insert(row[csv.Col("SEX")]);
    }
    if (year <= 2024) {
      EXPECT_EQ(codes, (std::set<std::string>{"1", "2"})) << year;
    } else {
      EXPECT_TRUE(codes.count("M") && codes.count("F")) << year;
      for (const std::string& c : codes) EXPECT_THAT(c, ::testing::AnyOf("M", "F", "U"));
    }
  }
}

TEST(SynthTest, EpisodesAreConsistentAndCodesFitTheYear) {
  for (int year : {2024, 2025, 2026}) {
    for (uint64_t seed : {1, 2}) {
      const Files files = Generate(kBirmingham, year, seed);
      const Csv& ep = files.at("episodes.csv");
      const Day r = DayFromYmd(year, 3, 31);
      std::map<std::string, std::set<Day>> open_at_r;
      const std::set<std::string> retired_2026 = {"H5", "P2", "Z1"};
      const std::set<std::string> new_2026 = {"Z11", "Z12", "Z13", "Z14"};
      for (const auto& row : ep.rows) {
        const std::string& decom = row[ep.Col("DECOM")];
        const std::string& dec = row[ep.Col("DEC")];
        const std::string& rec = row[ep.Col("REC")];
        const std::string& place = row[ep.Col("PLACE")];
        ASSERT_TRUE(IsDate(decom)) << decom;
        ASSERT_EQ(dec.empty(), rec.empty()) << "DEC iff REC";
        if (!dec.empty()) {
          ASSERT_TRUE(IsDate(dec)) << dec;
          EXPECT_LE(ParseDay(decom), ParseDay(dec)) << "DEC before DECOM";
        }
        if (year >= 2026) {
          EXPECT_EQ(retired_2026.count(place), 0u) << place << " in " << year;
        } else {
          EXPECT_EQ(new_2026.count(place), 0u) << place << " in " << year;
        }
        if (year < 2025) {
          EXPECT_NE(place, "K3") << year;
        }
        const std::string& ls = row[ep.Col("LS")];
        if (ls != "V3" && ls != "V4" && ParseDay(decom) <= r &&
            (dec.empty() || ParseDay(dec) > r)) {
          EXPECT_TRUE(open_at_r[row[ep.Col("CHILD")]].insert(ParseDay(decom)).second)
              << "two open episodes with one DECOM";
        }
        const std::string& urn = row[ep.Col("URN")];
        if (!urn.empty()) {
          EXPECT_EQ(urn.size(), 8u);
          EXPECT_EQ(urn.substr(0, 2), "SC");
        }
      }
      for (const auto& [child, decoms] : open_at_r) EXPECT_EQ(decoms.size(), 1u) << child;
      const Csv& header = files.at("header.csv");
      for (const auto& row : header.rows) {
        EXPECT_TRUE(IsDate(row[header.Col("DOB")]));
        const std::string& upn = row[header.Col("UPN")];
        if (!upn.empty()) {
          EXPECT_EQ(upn.size(), 13u) << upn;
          EXPECT_TRUE(absl::ascii_isupper(static_cast<unsigned char>(upn[0]))) << upn;
        }
      }
      const Csv& uasc = files.at("uasc.csv");
      for (const auto& row : uasc.rows) {
        const std::string& duc = row[uasc.Col("DUC")];
        EXPECT_TRUE(IsDate(duc) || duc == "ZZ/ZZ/ZZZZ") << duc;
      }
    }
  }
}

TEST(SynthTest, PostcodesLookRealOnceNormalised) {
  const Files files = Generate(kBirmingham, 2025, 3);
  const Csv& ep = files.at("episodes.csv");
  int checked = 0, odd = 0;
  for (const auto& row : ep.rows) {
    for (const char* col : {"HOME_POST", "PL_POST"}) {
      const std::string& pc = row[ep.Col(col)];
      if (pc.empty()) continue;
      ++checked;
      const std::string norm = NormalisePostcode(pc);
      const std::string pretty = norm.substr(0, norm.size() - 3) + " " + norm.substr(norm.size() - 3);
      odd += pc != pretty;
      ASSERT_GE(norm.size(), 5u) << pc;
      ASSERT_LE(norm.size(), 7u) << pc;
      const std::string out = norm.substr(0, norm.size() - 3);
      const std::string in = norm.substr(norm.size() - 3);
      EXPECT_TRUE(absl::ascii_isupper(static_cast<unsigned char>(out[0]))) << pc;
      EXPECT_TRUE(absl::ascii_isdigit(static_cast<unsigned char>(out.back()))) << pc;
      EXPECT_TRUE(absl::ascii_isdigit(static_cast<unsigned char>(in[0]))) << pc;
      EXPECT_TRUE(absl::ascii_isupper(static_cast<unsigned char>(in[1]))) << pc;
      EXPECT_TRUE(absl::ascii_isupper(static_cast<unsigned char>(in[2]))) << pc;
    }
  }
  EXPECT_GT(checked, 1000);
  // Some are exported in lower case or with odd spacing (about 1.5%), most as "AB1 2CD".
  EXPECT_GT(odd, checked / 200);
  EXPECT_LT(odd, checked / 25);
}

TEST(SynthTest, UascShareOverTwentyLas) {
  SynthOptions o;
  o.seed = 17;
  o.la_count = 20;
  auto las = ChooseLocalAuthorities(o);
  ASSERT_THAT(las, IsOk());
  int cla = 0, uasc_cla = 0;
  for (const auto* la : *las) {
    auto files = GenerateLaFiles(*la, 2025, 17, 1.0);
    ASSERT_THAT(files, IsOk());
    const Files parsed = ParseAll(*files);
    const std::set<std::string> in_care = ClaChildren(parsed.at("episodes.csv"), 2025);
    std::set<std::string> uasc;
    const Csv& u = parsed.at("uasc.csv");
    for (const auto& row : u.rows) uasc.insert(row[u.Col("CHILD")]);
    cla += static_cast<int>(in_care.size());
    for (const std::string& c : in_care) uasc_cla += static_cast<int>(uasc.count(c));
  }
  ASSERT_GT(cla, 1000);
  const double share = static_cast<double>(uasc_cla) / cla;
  EXPECT_GE(share, 0.05);
  EXPECT_LE(share, 0.14);
}

TEST(SynthTest, EdgeCasesAreExercised) {
  // Over a few LAs, every deliberate edge case shows up at least once.
  int dec_on_r = 0, decom_on_s = 0, decom_after_r = 0, leap_births = 0, x1 = 0, short_breaks = 0,
      masked_duc = 0, no_sensitive_row = 0, dec_after_r_ceased = 0, rne_l = 0, rne_u_or_b = 0;
  const int year = 2025;
  const Day s = DayFromYmd(year - 1, 4, 1), r = DayFromYmd(year, 3, 31);
  for (const char* code : {kBirmingham, kWestminster, "E10000016" /* Kent */}) {
    const Files files = Generate(code, year, 99);
    const Csv& ep = files.at("episodes.csv");
    for (const auto& row : ep.rows) {
      const Day decom = ParseDay(row[ep.Col("DECOM")]);
      const std::string& dec = row[ep.Col("DEC")];
      const std::string& rec = row[ep.Col("REC")];
      const std::string& ls = row[ep.Col("LS")];
      if (!dec.empty() && ParseDay(dec) == r) ++dec_on_r;
      if (!dec.empty() && ParseDay(dec) > r && rec != "X1" && ls != "V3" && ls != "V4") {
        ++dec_after_r_ceased;
      }
      if (decom == s) ++decom_on_s;
      if (decom > r) ++decom_after_r;
      if (rec == "X1") ++x1;
      if (ls == "V3" || ls == "V4") ++short_breaks;
      if (row[ep.Col("RNE")] == "L") ++rne_l;
      if (row[ep.Col("RNE")] == "U" || row[ep.Col("RNE")] == "B") ++rne_u_or_b;
    }
    const Csv& header = files.at("header.csv");
    for (const auto& row : header.rows) {
      if (absl::StartsWith(row[header.Col("DOB")], "29/02/")) ++leap_births;
    }
    const Csv& uasc = files.at("uasc.csv");
    for (const auto& row : uasc.rows) masked_duc += row[uasc.Col("DUC")] == "ZZ/ZZ/ZZZZ";
    no_sensitive_row += static_cast<int>(header.rows.size() -
                                         files.at("sensitive.csv").rows.size());
  }
  EXPECT_GT(dec_on_r, 0);
  EXPECT_GT(decom_on_s, 0);
  EXPECT_GT(decom_after_r, 0);
  EXPECT_GT(dec_after_r_ceased, 0);
  EXPECT_GT(leap_births, 0);
  EXPECT_GT(x1, 0);
  EXPECT_GT(short_breaks, 0);
  EXPECT_GT(masked_duc, 0);
  EXPECT_GT(no_sensitive_row, 0);
  EXPECT_GT(rne_l, 0);
  EXPECT_GT(rne_u_or_b, 0);
}

}  // namespace
}  // namespace ringfence::tools::synth
