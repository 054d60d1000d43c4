// Statistical checks of `ringfence synth` against DfE's published national mixes, recomputed
// from the generated files the way docs/indicators.md defines the cohorts.
#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "catalogue/la_registry.h"
#include "gtest/gtest.h"
#include "tools/synth/civil_date.h"
#include "tools/synth/synth.h"

namespace ringfence::tools::synth {
namespace {

Day ParseDay(absl::string_view s) {
  std::vector<absl::string_view> p = absl::StrSplit(s, '/');
  int d = 0, m = 0, y = 0;
  if (p.size() != 3 || !absl::SimpleAtoi(p[0], &d) || !absl::SimpleAtoi(p[1], &m) ||
      !absl::SimpleAtoi(p[2], &y)) {
    ADD_FAILURE() << "bad date " << s;
  }
  return DayFromYmd(y, m, d);
}

struct Row {
  std::map<std::string, std::string> f;
  const std::string& operator[](const std::string& k) const { return f.at(k); }
};

std::vector<Row> Rows(const LaDataset& ds, const std::string& file) {
  std::vector<Row> out;
  for (const SynthTable& t : ds.tables) {
    if (t.file_name != file) continue;
    for (const auto& r : t.rows) {
      Row row;
      for (size_t i = 0; i < t.columns.size(); ++i) row.f[t.columns[i]] = r[i];
      out.push_back(std::move(row));
    }
  }
  return out;
}

struct Tally {
  std::map<std::string, int> counts;
  int total = 0;
  void Add(const std::string& k) {
    ++counts[k];
    ++total;
  }
  double Share(const std::string& k) const {
    auto it = counts.find(k);
    return total == 0 || it == counts.end() ? 0.0 : static_cast<double>(it->second) / total;
  }
};

struct Stats {
  int cla = 0, started = 0, ceased = 0, three_plus = 0;
  Tally sex, age, ethnicity, legal, placement;
};

std::string EthnicGroup(const std::string& e) {
  if (e == "CHNE") return "asian";
  if (e == "OOTH") return "other";
  if (e == "REFU" || e == "NOBT") return "not_known";
  switch (e[0]) {
    case 'W': return "white";
    case 'M': return "mixed";
    case 'A': return "asian";
    case 'B': return "black";
  }
  return "?";
}

std::string LegalGroup(const std::string& ls) {
  if (ls == "C1" || ls == "C2") return "care_order";
  if (ls == "E1" || ls == "D1") return "placement_order";
  if (ls == "V2") return "voluntary";
  return "other";
}

std::string PlaceGroup(const std::string& p) {
  if (p == "U1" || p == "U2" || p == "U3") return "kinship";
  if (p == "U4" || p == "U5" || p == "U6") return "foster";
  if (p[0] == 'A') return "adoption";
  if (p == "P1") return "parents";
  if (p == "K1" || p == "K2") return "homes";
  if (p == "H5" || p == "K3" || p == "P2") return "supported";
  return "other";
}

void Accumulate(const LaDataset& ds, int year, Stats* st) {
  const Day s = DayFromYmd(year - 1, 4, 1), r = DayFromYmd(year, 3, 31);
  std::map<std::string, Row> header;
  for (Row& row : Rows(ds, "header.csv")) header[row["CHILD"]] = row;
  std::map<std::string, std::vector<Row>> episodes;
  for (Row& row : Rows(ds, "episodes.csv")) {
    if (row["LS"] == "V3" || row["LS"] == "V4") continue;
    episodes[row["CHILD"]].push_back(row);
  }
  for (auto& [child, eps] : episodes) {
    std::stable_sort(eps.begin(), eps.end(), [](const Row& a, const Row& b) {
      return ParseDay(a["DECOM"]) < ParseDay(b["DECOM"]);
    });
    const Row* current = nullptr;
    bool started = false, ceased = false;
    int placements = 0;
    for (const Row& e : eps) {
      const Day decom = ParseDay(e["DECOM"]);
      const bool has_dec = !e["DEC"].empty();
      const Day dec = has_dec ? ParseDay(e["DEC"]) : 0;
      if (decom <= r && (!has_dec || dec > r)) current = &e;
      if (e["RNE"] == "S" && decom >= s && decom <= r) started = true;
      if (has_dec && e["REC"] != "X1" && dec >= s && dec <= r) ceased = true;
      if (decom <= r && (!has_dec || dec >= s)) {
        if (placements == 0 || e["RNE"] != "L") ++placements;
      }
    }
    st->started += started;
    st->ceased += ceased;
    if (current == nullptr) continue;
    ++st->cla;
    st->three_plus += placements >= 3;
    const Row& h = header.at(child);
    const std::string& sex = h["SEX"];
    st->sex.Add(sex == "1" || sex == "M"   ? "male"
                : sex == "2" || sex == "F" ? "female"
                                           : "unknown");
    const int age = AgeOn(ParseDay(h["DOB"]), r);
    st->age.Add(age < 1 ? "under_1" : age < 5 ? "1_to_4" : age < 10 ? "5_to_9"
                                    : age < 16 ? "10_to_15" : "16_plus");
    st->ethnicity.Add(EthnicGroup(h["ETHNIC"]));
    st->legal.Add(LegalGroup((*current)["LS"]));
    st->placement.Add(PlaceGroup((*current)["PLACE"]));
  }
}

TEST(SynthStatsTest, NationalMixesHoldOverThirtyLas) {
  SynthOptions o;
  o.seed = 2025;
  o.la_count = 30;
  auto las = ChooseLocalAuthorities(o);
  ASSERT_TRUE(las.ok());
  Stats st;
  for (const auto* la : *las) {
    auto ds = GenerateLaDataset(*la, 2025, o.seed, 1.0);
    ASSERT_TRUE(ds.ok());
    Accumulate(*ds, 2025, &st);
  }
  ASSERT_GT(st.cla, 5000);
  // Printed so a reviewer can compare the mix with DfE's tables at a glance.
  for (const auto* tally : {&st.sex, &st.age, &st.ethnicity, &st.legal, &st.placement}) {
    for (const auto& [group, n] : tally->counts) {
      std::cout << absl::StrFormat("%-16s %5.1f%%\n", group, 100.0 * n / tally->total);
    }
  }
  std::cout << absl::StrFormat("CLA %d, started %d, ceased %d, 3+ placements %.1f%%\n", st.cla,
                               st.started, st.ceased, 100.0 * st.three_plus / st.cla);
  EXPECT_NEAR(st.sex.Share("male"), 0.56, 0.03);
  EXPECT_NEAR(st.age.Share("under_1"), 0.05, 0.02);
  EXPECT_NEAR(st.age.Share("1_to_4"), 0.13, 0.03);
  EXPECT_NEAR(st.age.Share("5_to_9"), 0.17, 0.03);
  EXPECT_NEAR(st.age.Share("10_to_15"), 0.38, 0.04);
  EXPECT_NEAR(st.age.Share("16_plus"), 0.27, 0.04);
  EXPECT_NEAR(st.ethnicity.Share("white"), 0.73, 0.04);
  EXPECT_NEAR(st.ethnicity.Share("mixed"), 0.10, 0.03);
  EXPECT_NEAR(st.ethnicity.Share("asian"), 0.05, 0.02);
  EXPECT_NEAR(st.ethnicity.Share("black"), 0.07, 0.025);
  EXPECT_NEAR(st.ethnicity.Share("other"), 0.04, 0.02);
  EXPECT_NEAR(st.ethnicity.Share("not_known"), 0.01, 0.008);
  EXPECT_NEAR(st.legal.Share("care_order"), 0.80, 0.04);
  EXPECT_NEAR(st.legal.Share("placement_order"), 0.04, 0.02);
  EXPECT_NEAR(st.legal.Share("voluntary"), 0.15, 0.04);
  EXPECT_NEAR(st.placement.Share("kinship") + st.placement.Share("foster"), 0.68, 0.05);
  EXPECT_NEAR(st.placement.Share("kinship"), 0.17, 0.04);
  EXPECT_NEAR(st.placement.Share("homes"), 0.16, 0.04);
  EXPECT_NEAR(st.placement.Share("parents"), 0.07, 0.03);
  EXPECT_NEAR(st.placement.Share("supported"), 0.08, 0.03);
  EXPECT_NEAR(st.placement.Share("adoption"), 0.03, 0.015);
  const double three_plus = static_cast<double>(st.three_plus) / st.cla;
  EXPECT_GT(three_plus, 0.05);
  EXPECT_LT(three_plus, 0.16);
  EXPECT_NEAR(static_cast<double>(st.started) / st.cla, 0.38, 0.08);
  EXPECT_NEAR(static_cast<double>(st.ceased) / st.cla, 0.37, 0.08);
}

TEST(SynthStatsTest, EnglandTotalIsAboutEightyThreeThousand) {
  int64_t cla = 0;
  int64_t largest = 0;
  for (const catalogue::LocalAuthority& la : catalogue::AllLocalAuthorities()) {
    auto ds = GenerateLaDataset(la, 2024, 1, 1.0);
    ASSERT_TRUE(ds.ok());
    cla += ds->summary.cla;
    largest = std::max<int64_t>(largest, ds->summary.cla);
  }
  std::cout << "England CLA at 31/03/2024: " << cla << ", largest LA " << largest << "\n";
  EXPECT_GT(cla, 76000);
  EXPECT_LT(cla, 90000);
  EXPECT_GT(largest, 1500);
  EXPECT_LT(largest, 4700);
}

}  // namespace
}  // namespace ringfence::tools::synth
