// Postcode table, placement geography, the other 903 tables and the national
// single folder.
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "catalogue/la_registry.h"
#include "gtest/gtest.h"
#include "tools/synth/civil_date.h"
#include "tools/synth/geography.h"
#include "tools/synth/synth.h"

namespace ringfence::tools::synth {
namespace {

using Row = std::vector<std::string>;

const SynthTable& Table(const LaDataset& ds, const std::string& name) {
  for (const SynthTable& t : ds.tables) {
    if (t.file_name == name) return t;
  }
  ADD_FAILURE() << "no table " << name;
  static const SynthTable kEmpty;
  return kEmpty;
}

Day ParseDay(const std::string& s) {
  std::vector<std::string> p = absl::StrSplit(s, '/');
  int d = 0, m = 0, y = 0;
  EXPECT_TRUE(p.size() == 3 && absl::SimpleAtoi(p[0], &d) &&
              absl::SimpleAtoi(p[1], &m) && absl::SimpleAtoi(p[2], &y))
      << s;
  return DayFromYmd(y, m, d);
}

LaDataset Make(const std::string& code, int year, uint64_t seed) {
  auto ds =
      GenerateLaDataset(*catalogue::FindLocalAuthority(code), year, seed, 1.0);
  EXPECT_TRUE(ds.ok()) << ds.status();
  return ds.ok() ? *std::move(ds) : LaDataset();
}

// Current (open at R, latest DECOM) non-short-break episode of each child.
std::map<std::string, Row> CurrentEpisodes(const SynthTable& ep, int year) {
  const Day r = DayFromYmd(year, 3, 31);
  const int child = ep.Col("CHILD"), decom = ep.Col("DECOM"),
            dec = ep.Col("DEC"), ls = ep.Col("LS");
  std::map<std::string, Row> current;
  for (const Row& row : ep.rows) {
    if (row[ls] == "V3" || row[ls] == "V4") continue;
    const Day start = ParseDay(row[decom]);
    if (start > r || (!row[dec].empty() && ParseDay(row[dec]) <= r)) continue;
    auto it = current.find(row[child]);
    if (it == current.end() || ParseDay(it->second[decom]) <= start)
      current[row[child]] = row;
  }
  return current;
}

struct Geo {
  int cla = 0, known_la = 0, out_of_area = 0, known_distance = 0, over_20 = 0;
  std::map<std::string, std::pair<int, int>>
      out_by_place;  // PLACE -> (out, known)
};

// The catalogue's distance and out-of-area rules, recomputed from the files.
void Tally(const LaDataset& ds, Geo* g) {
  const SynthTable& ep = Table(ds, "episodes.csv");
  const SynthTable& pc = Table(ds, "postcodes.csv");
  std::map<std::string, Row> table;
  for (const Row& row : pc.rows) table[NormalisePostcode(row[0])] = row;
  std::set<std::string> uasc;
  for (const Row& row : Table(ds, "uasc.csv").rows) uasc.insert(row[0]);
  const int home = ep.Col("HOME_POST"), placed = ep.Col("PL_POST"),
            place = ep.Col("PLACE");
  for (const auto& [child, row] : CurrentEpisodes(ep, ds.year)) {
    if (uasc.count(child)) continue;
    ++g->cla;
    auto p = table.find(NormalisePostcode(row[placed]));
    auto h = table.find(NormalisePostcode(row[home]));
    if (p != table.end() && !p->second[3].empty()) {
      ++g->known_la;
      const bool out = p->second[3] != ds.la_code;
      g->out_of_area += out;
      auto& cell = g->out_by_place[row[place]];
      cell.first += out;
      ++cell.second;
    }
    if (p != table.end() && h != table.end() && !p->second[1].empty() &&
        !h->second[1].empty()) {
      int64_t pe, pn, he, hn;
      ASSERT_TRUE(absl::SimpleAtoi(p->second[1], &pe) &&
                  absl::SimpleAtoi(p->second[2], &pn) &&
                  absl::SimpleAtoi(h->second[1], &he) &&
                  absl::SimpleAtoi(h->second[2], &hn));
      ++g->known_distance;
      // Tenths of a mile, halves up: more than 20.0 miles means at least 20.05
      // miles.
      const double de = static_cast<double>(pe - he),
                   dn = static_cast<double>(pn - hn);
      const double miles2 = (de * de + dn * dn) / (1609.3 * 1609.3);
      g->over_20 += miles2 >= 20.05 * 20.05;
    }
  }
}

TEST(SynthPostcodesTest, EveryEmittedPostcodeIsInTheTableUnlessAbsentByDesign) {
  for (int year : {2024, 2025, 2026}) {
    for (const char* code :
         {"E09000033", "E06000017", "E08000025", "E06000053", "E10000016"}) {
      SCOPED_TRACE(absl::StrCat(code, " ", year));
      const LaDataset ds = Make(code, year, 12);
      const SynthTable& pc = Table(ds, "postcodes.csv");
      ASSERT_EQ(pc.columns, (Row{"pcd", "oseast1m", "osnrth1m", "utla"}));
      std::map<std::string, Row> table;
      int blank_coordinates = 0, blank_utla = 0;
      for (const Row& row : pc.rows) {
        ASSERT_EQ(row.size(), 4u);
        EXPECT_TRUE(table.emplace(NormalisePostcode(row[0]), row).second)
            << row[0] << " twice";
        EXPECT_EQ(row[0].find(' '), row[0].size() - 4) << row[0];  // "AB1 2CD"
        if (row[1].empty()) {
          EXPECT_TRUE(row[2].empty());
          EXPECT_FALSE(row[3].empty());
          ++blank_coordinates;
        } else {
          int64_t e, n;
          ASSERT_TRUE(absl::SimpleAtoi(row[1], &e) &&
                      absl::SimpleAtoi(row[2], &n))
              << row[0];
          EXPECT_GE(e, 100000);
          EXPECT_LE(e, 670000);
          EXPECT_GE(n, 0);
          EXPECT_LE(n, 680000);
        }
        if (row[3].empty()) {
          ++blank_utla;
        } else {
          EXPECT_NE(catalogue::FindLocalAuthority(row[3]), nullptr) << row[3];
        }
      }
      EXPECT_GE(blank_coordinates, 1);
      EXPECT_GE(blank_utla, 1);
      const SynthTable& ep = Table(ds, "episodes.csv");
      std::set<std::string> used;
      int absent = 0;
      for (const Row& row : ep.rows) {
        for (int col : {ep.Col("HOME_POST"), ep.Col("PL_POST")}) {
          const std::string norm = NormalisePostcode(row[col]);
          if (norm.empty()) continue;
          used.insert(norm);
          if (table.count(norm)) continue;
          // Not in the table: only by design (Wales or Scotland), and only as a
          // placement.
          EXPECT_FALSE(LookupPostcode(norm).has_value()) << row[col];
          EXPECT_EQ(col, ep.Col("PL_POST")) << row[col];
          ++absent;
        }
      }
      // Unused rows too, as in a real extract.
      EXPECT_GT(table.size(), used.size() - absent);
      // The edge cases are used by current placements of the LA's children.
      int used_blank_coordinates = 0, used_blank_utla = 0;
      for (const std::string& u : used) {
        auto it = table.find(u);
        if (it == table.end()) continue;
        used_blank_coordinates += it->second[1].empty();
        used_blank_utla += it->second[3].empty();
      }
      if (ds.summary.cla >= 20) {
        EXPECT_GE(absent, 1);
        EXPECT_GE(used_blank_coordinates, 1);
        EXPECT_GE(used_blank_utla, 1);
      }
    }
  }
}

TEST(SynthPostcodesTest, PlacementsByKindAndDistance) {
  Geo g;
  const auto& all = catalogue::AllLocalAuthorities();
  for (size_t i = 0; i < all.size(); i += 4)
    Tally(Make(all[i].new_la_code, 2025, 13), &g);
  const double out = static_cast<double>(g.out_of_area) / g.known_la;
  const double far = static_cast<double>(g.over_20) / g.known_distance;
  std::cout << "CLA not UASC " << g.cla << ", out of area " << out
            << ", over 20 miles " << far << "\n";
  EXPECT_GT(g.known_la, g.cla * 9 / 10);
  EXPECT_GT(g.known_distance, g.cla * 85 / 100);
  EXPECT_LT(g.known_distance, g.cla);
  EXPECT_NEAR(out, 0.40, 0.05);
  EXPECT_NEAR(far, 0.18, 0.04);
  auto share = [&g](std::initializer_list<const char*> places) {
    int o = 0, k = 0;
    for (const char* p : places) {
      o += g.out_by_place[p].first;
      k += g.out_by_place[p].second;
    }
    return static_cast<double>(o) / k;
  };
  // Placed with parents: at home. Kinship mostly near; children's homes often
  // away.
  EXPECT_LT(share({"P1"}), 0.02);
  EXPECT_LT(share({"U1", "U2", "U3"}), 0.33);
  EXPECT_GT(share({"K2"}), 0.5);
  EXPECT_LT(share({"U1", "U2", "U3"}), share({"U4", "U5", "U6"}));
}

TEST(SynthPostcodesTest, OtherTablesArePlausible) {
  const LaDataset ds = Make("E08000025", 2025, 14);
  const Day s = DayFromYmd(2024, 4, 1), r = DayFromYmd(2025, 3, 31);
  const SynthTable& ep = Table(ds, "episodes.csv");
  const auto current = CurrentEpisodes(ep, 2025);
  std::set<std::string> adopted;
  for (const Row& row : ep.rows) {
    const std::string& rec = row[ep.Col("REC")];
    if ((rec == "E11" || rec == "E12") && ParseDay(row[ep.Col("DEC")]) >= s &&
        ParseDay(row[ep.Col("DEC")]) <= r) {
      adopted.insert(row[0]);
    }
  }
  const SynthTable& reviews = Table(ds, "reviews.csv");
  EXPECT_GT(reviews.rows.size(), current.size());
  for (const Row& row : reviews.rows) {
    const Day d = ParseDay(row[2]);
    EXPECT_TRUE(d >= s && d <= r) << row[2];
    EXPECT_EQ(row[3].substr(0, 2), "PN");
  }
  const SynthTable& oc2 = Table(ds, "oc2.csv");
  EXPECT_GT(oc2.rows.size(), current.size() / 3);
  for (const Row& row : oc2.rows)
    EXPECT_EQ(current.count(row[0]), 1u) << row[0];
  const SynthTable& ad1 = Table(ds, "ad1.csv");
  EXPECT_EQ(ad1.rows.size(), adopted.size());
  for (const Row& row : ad1.rows) {
    EXPECT_EQ(adopted.count(row[0]), 1u);
    EXPECT_LE(ParseDay(row[2]), ParseDay(row[3]));
    EXPECT_TRUE(row[6] == "M1" || row[6] == "F1"
                    ? row[5] == "1" && row[7] == "L0"
                    : row[5] == "2")
        << row[6];
  }
  EXPECT_GE(Table(ds, "placed_adoption.csv").rows.size(), adopted.size());
  int started = 0;
  for (const Row& row : Table(ds, "prev_perm.csv").rows) {
    ++started;
    const bool order = row[2] == "P1" || row[2] == "P2" || row[2] == "P3";
    EXPECT_EQ(row[3].size(), order ? 3u : 0u) << row[2];
    EXPECT_EQ(row[4].empty(), !order) << row[2];
  }
  EXPECT_NEAR(started, ds.summary.started, ds.summary.started / 10 + 2);
  for (const Row& row : Table(ds, "sw_episodes.csv").rows) {
    if (!row[3].empty()) {
      EXPECT_LE(ParseDay(row[2]), ParseDay(row[3]));
      EXPECT_FALSE(row[4].empty());
    }
  }
}

TEST(SynthPostcodesTest, NationalSingleFolderHasEnglandsVolumeAndUniqueIds) {
  SynthOptions options;
  options.la_count = 153;
  options.year = 2025;
  options.seed = 1;
  options.single_folder = true;
  options.out_dir = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_synth_national";
  std::filesystem::remove_all(options.out_dir);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<SynthSummary> summaries;
  ASSERT_TRUE(GenerateSynthetic(options, &summaries).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  int64_t children = 0, cla = 0;
  for (const SynthSummary& s : summaries) {
    children += s.children;
    cla += s.cla;
  }
  std::cout << "153 LAs in one folder: " << children << " children, " << cla
            << " looked after, " << seconds << " s\n";
  EXPECT_GE(cla, 83000);
  EXPECT_LE(cla, 85000);
  EXPECT_TRUE(std::filesystem::exists(options.out_dir + "/manifest.txt"));
  EXPECT_FALSE(std::filesystem::exists(options.out_dir + "/manifest.csv"));
  std::string text;
  ASSERT_TRUE(
      base::ReadFileToString(options.out_dir + "/header.csv", &text).ok());
  std::set<std::string> ids;
  size_t rows = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (rows++ == 0) continue;
    EXPECT_TRUE(ids.insert(std::string(line.substr(0, line.find(',')))).second)
        << line;
  }
  EXPECT_EQ(static_cast<int64_t>(ids.size()), children);
  ASSERT_TRUE(
      base::ReadFileToString(options.out_dir + "/postcodes.csv", &text).ok());
  std::set<std::string> pcds;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(pcds.insert(std::string(line.substr(0, line.find(',')))).second)
        << line;
  }
  std::filesystem::remove_all(options.out_dir);
}

TEST(SynthPostcodesTest, ScaleTenKeepsIdsUnique) {
  auto ds = GenerateLaDataset(*catalogue::FindLocalAuthority("E10000016"), 2025,
                              15, 10.0);
  ASSERT_TRUE(ds.ok());
  std::set<std::string> ids;
  for (const Row& row : Table(*ds, "header.csv").rows) {
    EXPECT_TRUE(ids.insert(row[0]).second) << row[0];
  }
  EXPECT_GT(ds->summary.cla, 10 * 1000);
}

}  // namespace
}  // namespace ringfence::tools::synth
