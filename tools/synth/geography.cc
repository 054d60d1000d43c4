#include "tools/synth/geography.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalogue/la_registry.h"

namespace ringfence::tools::synth {
namespace {

// Real postcode area letters, assigned to LAs arbitrarily (LA i gets area i %
// count and a block of kOutwardPerLa district numbers), so an outward code maps
// back to exactly one LA.
constexpr const char* kPostcodeAreas[] = {
    "AL", "B",  "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "CA", "CB",
    "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DE", "DH", "DL", "DN",
    "DT", "DY", "EN", "EX", "FY", "GL", "GU", "HA", "HD", "HG", "HP", "HR",
    "HU", "HX", "IG", "IP", "KT", "L",  "LA", "LE", "LN", "LS", "LU", "M",
    "ME", "MK", "NE", "NG", "NN", "NR", "OL", "OX", "PE", "PL", "PO", "PR",
    "RG", "RH", "RM", "S",  "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR",
    "SS", "ST", "SY", "TA", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "WA",
    "WD", "WF", "WN", "WR", "WS", "WV", "YO"};
constexpr size_t kAreaCount =
    sizeof(kPostcodeAreas) / sizeof(kPostcodeAreas[0]);
// Areas outside England: an England-only NSPL extract has no rows for them.
constexpr const char* kAbsentAreas[] = {"CF", "LL", "SA", "NP", "LD",
                                        "EH", "G",  "DG", "TD"};
// The letters real inward codes use; the first ten mark blank coordinates on a
// special code.
constexpr char kInwardLetters[] = "ABDEFGHJLNPQRSTUWXYZ";
constexpr int kInwardLetterCount = sizeof(kInwardLetters) - 1;
constexpr int64_t kUnitJitter = 1200;  // metres around the district centre

// Rough boxes (BNG metres) per region: west, south, east, north.
struct Box {
  const char* region_code;
  int64_t w, s, e, n;
};
constexpr Box kRegionBoxes[] = {
    {"E12000001", 380000, 505000, 465000, 640000},  // North East
    {"E12000002", 330000, 370000, 400000, 560000},  // North West
    {"E12000003", 395000, 400000, 525000, 500000},  // Yorkshire and The Humber
    {"E12000004", 430000, 290000, 560000, 400000},  // East Midlands
    {"E12000005", 330000, 230000, 430000, 350000},  // West Midlands
    {"E12000006", 500000, 200000, 650000, 330000},  // East of England
    {"E12000007", 505000, 158000, 558000, 198000},  // London
    {"E12000008", 410000, 100000, 630000, 200000},  // South East
    {"E12000009", 140000, 20000, 420000, 200000},   // South West
};
constexpr Box kEnglandBox = {"", 130000, 10000, 655000, 660000};

// Geography stream labels: fixed, never the run's seed.
constexpr uint64_t kGeoSeed = 0x9e0c4a3d2b1f7781ULL;

struct Geography {
  std::vector<GridRef> centre;
  std::vector<int64_t> radius;
  std::vector<std::vector<size_t>> near, far;
  std::vector<std::vector<GridRef>> district;  // [la][slot]
};

const Geography& Geo() {
  static const Geography* const kGeo = [] {
    auto* g = new Geography;
    const auto& las = catalogue::AllLocalAuthorities();
    const size_t n = las.size();
    g->centre.resize(n);
    // Regions: lay their LAs out on a jittered grid of cells over the region's
    // box.
    std::vector<std::string> regions;
    for (const auto& la : las) {
      if (std::find(regions.begin(), regions.end(), la.region_code) ==
          regions.end()) {
        regions.push_back(la.region_code);
      }
    }
    for (const std::string& region : regions) {
      Box box = kEnglandBox;
      for (const Box& b : kRegionBoxes) {
        if (region == b.region_code) box = b;
      }
      std::vector<size_t> members;
      for (size_t i = 0; i < n; ++i) {
        if (las[i].region_code == region) members.push_back(i);
      }
      const int64_t width = box.e - box.w, height = box.n - box.s;
      int64_t cols = 1;
      // The smallest column count whose near-square cells hold every LA.
      while (cols * cols * height <
             static_cast<int64_t>(members.size()) * width)
        ++cols;
      const int64_t rows =
          (static_cast<int64_t>(members.size()) + cols - 1) / cols;
      std::vector<int64_t> cells(static_cast<size_t>(cols * rows));
      for (size_t c = 0; c < cells.size(); ++c)
        cells[c] = static_cast<int64_t>(c);
      Rng rng = Rng::ForStream(kGeoSeed, region, 0);
      rng.Shuffle(&cells);
      const int64_t cw = width / cols, ch = height / rows;
      for (size_t k = 0; k < members.size(); ++k) {
        const int64_t cell = cells[k];
        const int64_t cx = box.w + (cell % cols) * cw,
                      cy = box.s + (cell / cols) * ch;
        g->centre[members[k]] = {cx + cw / 5 + rng.Between(0, cw * 3 / 5),
                                 cy + ch / 5 + rng.Between(0, ch * 3 / 5)};
      }
    }
    // Neighbours by distance between centres.
    g->radius.resize(n);
    g->near.resize(n);
    g->far.resize(n);
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::pair<int64_t, size_t>> by_distance;
      for (size_t j = 0; j < n; ++j) {
        if (j != i)
          by_distance.emplace_back(DistanceMetres(g->centre[i], g->centre[j]),
                                   j);
      }
      std::sort(by_distance.begin(), by_distance.end());
      g->radius[i] =
          std::clamp<int64_t>(by_distance.front().first * 45 / 100, 2500, 8000);
      for (size_t k = 0; k < by_distance.size(); ++k) {
        const int64_t d = by_distance[k].first;
        if (k < 2 || d <= 25000) g->near[i].push_back(by_distance[k].second);
        if (d >= 45000 && d <= 200000)
          g->far[i].push_back(by_distance[k].second);
      }
      if (g->far[i].empty()) g->far[i].push_back(by_distance.back().second);
    }
    // District centres: uniform in the LA's disc (rejection sampling keeps it
    // integer-only).
    g->district.resize(n);
    for (size_t i = 0; i < n; ++i) {
      Rng rng = Rng::ForStream(kGeoSeed, "district", i);
      const int64_t r = g->radius[i];
      for (int slot = 0; slot < kOutwardPerLa; ++slot) {
        int64_t dx, dy;
        do {
          dx = rng.Between(-r, r);
          dy = rng.Between(-r, r);
        } while (dx * dx + dy * dy > r * r);
        g->district[i].push_back(
            {g->centre[i].east + dx, g->centre[i].north + dy});
      }
    }
    return g;
  }();
  return *kGeo;
}

std::string Outward(size_t la_index, int slot) {
  return absl::StrCat(
      kPostcodeAreas[la_index % kAreaCount],
      static_cast<int>(la_index / kAreaCount) * kOutwardPerLa + 1 + slot);
}

char InwardLetter(Rng* rng, int from, int count) {
  return kInwardLetters[from + static_cast<int>(
                                   rng->Below(static_cast<uint64_t>(count)))];
}

// Integer square root (floor) without libm.
int64_t ISqrt(int64_t v) {
  if (v <= 0) return 0;
  int64_t x = 1;
  while ((x + 1) * (x + 1) <= v && x < (int64_t{1} << 31)) x *= 2;
  int64_t lo = x / 2, hi = x;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (mid * mid <= v)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

}  // namespace

GridRef LaCentre(size_t la_index) { return Geo().centre.at(la_index); }
int64_t LaRadius(size_t la_index) { return Geo().radius.at(la_index); }
const std::vector<size_t>& NearLas(size_t la_index) {
  return Geo().near.at(la_index);
}
const std::vector<size_t>& FarLas(size_t la_index) {
  return Geo().far.at(la_index);
}

int64_t DistanceMetres(const GridRef& a, const GridRef& b) {
  const int64_t de = a.east - b.east, dn = a.north - b.north;
  return ISqrt(de * de + dn * dn);
}

std::string RandomPostcode(size_t la_index, Rng* rng) {
  const int slot = static_cast<int>(rng->Below(kOutwardPerLa));
  const int digit = 1 + static_cast<int>(rng->Below(9));
  const char a = InwardLetter(rng, 0, kInwardLetterCount);
  const char b = InwardLetter(rng, 0, kInwardLetterCount);
  return absl::StrFormat("%s %d%c%c", Outward(la_index, slot), digit, a, b);
}

std::string SpecialPostcode(size_t la_index, bool blank_coordinates, Rng* rng) {
  const int slot = static_cast<int>(rng->Below(kOutwardPerLa));
  const char a =
      blank_coordinates
          ? InwardLetter(rng, 0, kInwardLetterCount / 2)
          : InwardLetter(rng, kInwardLetterCount / 2,
                         kInwardLetterCount - kInwardLetterCount / 2);
  const char b = InwardLetter(rng, 0, kInwardLetterCount);
  return absl::StrFormat("%s 0%c%c", Outward(la_index, slot), a, b);
}

std::string AbsentPostcode(Rng* rng) {
  constexpr size_t kCount = sizeof(kAbsentAreas) / sizeof(kAbsentAreas[0]);
  const char* area = kAbsentAreas[rng->Below(kCount)];
  const int district = 1 + static_cast<int>(rng->Below(40));
  const int digit = 1 + static_cast<int>(rng->Below(9));
  const char a = InwardLetter(rng, 0, kInwardLetterCount);
  const char b = InwardLetter(rng, 0, kInwardLetterCount);
  return absl::StrFormat("%s%d %d%c%c", area, district, digit, a, b);
}

std::string NormalisePostcode(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<PostcodeRow> LookupPostcode(absl::string_view raw) {
  const std::string pc = NormalisePostcode(raw);
  if (pc.size() < 5 || pc.size() > 7) return std::nullopt;
  const std::string outward = pc.substr(0, pc.size() - 3);
  const std::string inward = pc.substr(pc.size() - 3);
  if (!absl::ascii_isdigit(static_cast<unsigned char>(inward[0])))
    return std::nullopt;
  size_t letters = 0;
  while (letters < outward.size() &&
         absl::ascii_isalpha(static_cast<unsigned char>(outward[letters]))) {
    ++letters;
  }
  int district = 0;
  if (letters == 0 || !absl::SimpleAtoi(outward.substr(letters), &district) ||
      district < 1 || outward.substr(letters)[0] == '0') {
    return std::nullopt;
  }
  const std::string area = outward.substr(0, letters);
  // Area letters to index, built once (a linear scan of C strings is the hot
  // spot otherwise).
  static const std::unordered_map<std::string, size_t>* const kAreaIndex = [] {
    auto* m = new std::unordered_map<std::string, size_t>;
    for (size_t a = 0; a < kAreaCount; ++a) m->emplace(kPostcodeAreas[a], a);
    return m;
  }();
  const auto found = kAreaIndex->find(area);
  const size_t area_index =
      found == kAreaIndex->end() ? kAreaCount : found->second;
  if (area_index == kAreaCount) return std::nullopt;
  const size_t la_index =
      static_cast<size_t>((district - 1) / kOutwardPerLa) * kAreaCount +
      area_index;
  const auto& las = catalogue::AllLocalAuthorities();
  if (la_index >= las.size()) return std::nullopt;
  const int slot = (district - 1) % kOutwardPerLa;

  PostcodeRow row;
  row.pcd = absl::StrCat(outward, " ", inward);
  row.utla = las[la_index].new_la_code;
  // The unit postcode's place: its district centre plus a jitter fixed by the
  // text.
  Rng rng(Fnv1a64(pc));
  const GridRef& d = Geo().district[la_index][static_cast<size_t>(slot)];
  row.at = {d.east + rng.Between(-kUnitJitter, kUnitJitter),
            d.north + rng.Between(-kUnitJitter, kUnitJitter)};
  if (inward[0] == '0') {
    const char* first_half_end = kInwardLetters + kInwardLetterCount / 2;
    if (std::find(static_cast<const char*>(kInwardLetters), first_half_end,
                  inward[1]) != first_half_end) {
      row.has_coordinates = false;
    } else {
      row.utla.clear();
    }
  }
  return row;
}

std::string PostcodeCsvLine(const PostcodeRow& row) {
  if (!row.has_coordinates) return absl::StrCat(row.pcd, ",,,", row.utla);
  return absl::StrCat(row.pcd, ",", row.at.east, ",", row.at.north, ",",
                      row.utla);
}

}  // namespace ringfence::tools::synth
