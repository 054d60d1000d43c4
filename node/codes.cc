#include "node/codes.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ringfence::node {
namespace {

// A code normalised for lookup: up to 15 upper-cased bytes packed into two words, zero
// padded, the length in the top byte. Comparing two words is much cheaper than comparing strings in
// the parser's loop.
struct Key {
  uint64_t a = 0;
  uint64_t b = 0;
  bool operator==(const Key& o) const { return a == o.a && b == o.b; }
};

// False when `text`, trimmed, is longer than any code can be. On the parser's hot path.
inline bool MakeKey(absl::string_view text, Key* key) {
  const char* p = text.data();
  size_t n = text.size();
  while (n > 0 && (*p == ' ' || *p == '\t')) {
    ++p;
    --n;
  }
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) --n;
  if (n > 15) return false;
  // Built in registers: byte stores followed by a word load would stall store forwarding.
  uint64_t a = 0;
  uint64_t b = static_cast<uint64_t>(n) << 56;
  for (size_t i = 0; i < n; ++i) {
    uint64_t c = static_cast<unsigned char>(p[i]);
    if (c - 'a' < 26u) c -= 'a' - 'A';
    if (i < 8) {
      a |= c << (8 * i);
    } else {
      b |= c << (8 * (i - 8));
    }
  }
  key->a = a;
  key->b = b;
  return true;
}

constexpr int kAlways = 0;      // no first year
constexpr int kForever = 9999;  // no last year

struct Entry {
  const char* text;
  int value;
  int first_year = kAlways;  // inclusive
  int last_year = kForever;  // inclusive
};

// An open-addressing index from key to entry, so a lookup is a hash and usually one compare.
constexpr int kSlots = 128;  // a power of two, well above every list's size (at most 32)

int SlotOf(const Key& k) {
  return static_cast<int>(((k.a ^ (k.b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull) >> 57);
}

struct Table {
  std::vector<Entry> entries;          // in the order the guidance lists them
  std::vector<Key> keys;               // keys[i] is entries[i].text's key
  std::vector<const char*> canonical;  // by enum value: the latest spelling
  int16_t slot[kSlots];                // index into entries, or -1
};

Table* Build(std::vector<Entry> entries) {
  auto* t = new Table;
  t->entries = std::move(entries);
  std::fill(std::begin(t->slot), std::end(t->slot), -1);
  for (const Entry& e : t->entries) {
    Key k;
    MakeKey(e.text, &k);
    int s = SlotOf(k);
    while (t->slot[s] >= 0) s = (s + 1) & (kSlots - 1);
    t->slot[s] = static_cast<int16_t>(t->keys.size());
    t->keys.push_back(k);
    if (static_cast<size_t>(e.value) >= t->canonical.size()) {
      t->canonical.resize(e.value + 1, "");
    }
    t->canonical[e.value] = e.text;  // later entries are later spellings
  }
  return t;
}

template <typename E>
Entry Row(const char* text, E value, int first = kAlways, int last = kForever) {
  return Entry{text, static_cast<int>(value), first, last};
}

// SEX. Spec "Validation": 1/2 up to 2024, M/F/U from 2025 (DfE validator rule 101: lac2022_23
// ["1","2"], lac2024_25 ["M","F","U"]). Spec "Breakdowns": 1/M male, 2/F female, U unknown.
const Table& SexTable() {
  static const Table* const t = Build({
      Row("1", Sex::kMale, kAlways, 2024),
      Row("2", Sex::kFemale, kAlways, 2024),
      Row("M", Sex::kMale, 2025),
      Row("F", Sex::kFemale, 2025),
      Row("U", Sex::kUnknown, 2025),
  });
  return *t;
}

// LS. DfE validator rule 144.
const Table& LegalStatusTable() {
  using L = LegalStatus;
  static const Table* const t = Build({
      Row("C1", L::kC1),
      Row("C2", L::kC2),
      Row("D1", L::kD1),
      Row("E1", L::kE1),
      Row("J1", L::kJ1),
      Row("J2", L::kJ2),
      Row("J3", L::kJ3),
      Row("L1", L::kL1),
      Row("L2", L::kL2),
      Row("L3", L::kL3),
      Row("V2", L::kV2),
      Row("V3", L::kV3),
      Row("V4", L::kV4),
  });
  return *t;
}

// RNE. DfE validator rule 143.
const Table& ReasonNewEpisodeTable() {
  using R = ReasonNewEpisode;
  static const Table* const t = Build({
      Row("S", R::kS),
      Row("P", R::kP),
      Row("L", R::kL),
      Row("T", R::kT),
      Row("U", R::kU),
      Row("B", R::kB),
  });
  return *t;
}

// PLACE. Spec "Validation": K3 added in 2025; from 2026 H5, P2 and Z1 replaced by Z11-Z14.
// DfE validator rule 146: lac2022_23 (no K3), lac2024_25 (adds K3), lac2025_26 (drops H5, P2,
// Z1; adds Z11, Z12, Z13, Z14).
const Table& PlacementTable() {
  using P = Placement;
  static const Table* const t = Build({
      Row("A3", P::kA3),
      Row("A4", P::kA4),
      Row("A5", P::kA5),
      Row("A6", P::kA6),
      Row("H5", P::kH5, kAlways, 2025),
      Row("K1", P::kK1),
      Row("K2", P::kK2),
      Row("K3", P::kK3, 2025),
      Row("P1", P::kP1),
      Row("P2", P::kP2, kAlways, 2025),
      Row("P3", P::kP3),
      Row("R1", P::kR1),
      Row("R2", P::kR2),
      Row("R3", P::kR3),
      Row("R5", P::kR5),
      Row("S1", P::kS1),
      Row("T0", P::kT0),
      Row("T1", P::kT1),
      Row("T2", P::kT2),
      Row("T3", P::kT3),
      Row("T4", P::kT4),
      Row("U1", P::kU1),
      Row("U2", P::kU2),
      Row("U3", P::kU3),
      Row("U4", P::kU4),
      Row("U5", P::kU5),
      Row("U6", P::kU6),
      Row("Z1", P::kZ1, kAlways, 2025),
      Row("Z11", P::kZ11, 2026),
      Row("Z12", P::kZ12, 2026),
      Row("Z13", P::kZ13, 2026),
      Row("Z14", P::kZ14, 2026),
  });
  return *t;
}

// REC. DfE validator rule 149 (all rule sets) lists E11 E12 E2 E3 E4A E4B E13 E41 E45 E46 E47
// E48 E5 E6 E7 E8 E9 E14 E15 E16 E17 X1. The spec's `ceased_reason` breakdown also groups
// E43 and E44 (the older special guardianship codes, before SGOs were split into E45-E48) under
// `sgo`; since the spec is the contract and names them, they are accepted in every year
// rather than stopping a round over a code the catalogue knows how to count.
const Table& ReasonCeasedTable() {
  using R = ReasonCeased;
  static const Table* const t = Build({
      Row("E11", R::kE11), Row("E12", R::kE12), Row("E13", R::kE13), Row("E14", R::kE14),
      Row("E15", R::kE15), Row("E16", R::kE16), Row("E17", R::kE17), Row("E2", R::kE2),
      Row("E3", R::kE3),   Row("E41", R::kE41), Row("E43", R::kE43), Row("E44", R::kE44),
      Row("E45", R::kE45), Row("E46", R::kE46), Row("E47", R::kE47), Row("E48", R::kE48),
      Row("E4A", R::kE4A), Row("E4B", R::kE4B), Row("E5", R::kE5),   Row("E6", R::kE6),
      Row("E7", R::kE7),   Row("E8", R::kE8),   Row("E9", R::kE9),   Row("X1", R::kX1),
  });
  return *t;
}

// ETHNIC. DfE validator rule 103.
const Table& EthnicityTable() {
  using E = Ethnicity;
  static const Table* const t = Build({
      Row("WBRI", E::kWBRI), Row("WIRI", E::kWIRI), Row("WIRT", E::kWIRT), Row("WOTH", E::kWOTH),
      Row("WROM", E::kWROM), Row("MWBC", E::kMWBC), Row("MWBA", E::kMWBA), Row("MWAS", E::kMWAS),
      Row("MOTH", E::kMOTH), Row("AIND", E::kAIND), Row("APKN", E::kAPKN), Row("ABAN", E::kABAN),
      Row("AOTH", E::kAOTH), Row("BCRB", E::kBCRB), Row("BAFR", E::kBAFR), Row("BOTH", E::kBOTH),
      Row("CHNE", E::kCHNE), Row("OOTH", E::kOOTH), Row("REFU", E::kREFU), Row("NOBT", E::kNOBT),
  });
  return *t;
}

// CIN. DfE validator rule 145.
const Table& CategoryOfNeedTable() {
  using C = CategoryOfNeed;
  static const Table* const t = Build({
      Row("N1", C::kN1),
      Row("N2", C::kN2),
      Row("N3", C::kN3),
      Row("N4", C::kN4),
      Row("N5", C::kN5),
      Row("N6", C::kN6),
      Row("N7", C::kN7),
      Row("N8", C::kN8),
  });
  return *t;
}

// IMMIGRATION_STATUS. Spec "The local sensitive file"; a blank is unknown.
const Table& ImmigrationStatusTable() {
  using I = ImmigrationStatus;
  static const Table* const t = Build({
      Row("BRITISH", I::kBritish),
      Row("SETTLED", I::kSettled),
      Row("LIMITED_LEAVE", I::kLimitedLeave),
      Row("ASYLUM_SEEKER", I::kAsylumSeeker),
      Row("REFUGEE", I::kRefugee),
      Row("HUMANITARIAN", I::kHumanitarian),
      Row("NO_STATUS", I::kNoStatus),
      Row("", I::kUnknown),
      Row("UNKNOWN", I::kUnknown),
  });
  return *t;
}

// NRPF. Spec "The local sensitive file": Y, N, blank.
const Table& NrpfTable() {
  static const Table* const t = Build({
      Row("Y", Nrpf::kYes),
      Row("N", Nrpf::kNo),
      Row("", Nrpf::kUnknown),
  });
  return *t;
}

// OC3 IN_TOUCH. DfE validator rule 131 (YES, NO, DIED, REFU, NREQ, RHOM). The validator
// rejects a blank, but spec "Clarifications" counts rows whose IN_TOUCH, ACTIV and ACCOM are
// all blank in `leavers`, so a blank is allowed here (and in ACTIV and ACCOM).
const Table& InTouchTable() {
  using I = InTouch;
  static const Table* const t = Build({
      Row("YES", I::kYes), Row("NO", I::kNo), Row("DIED", I::kDied), Row("REFU", I::kRefu),
      Row("NREQ", I::kNreq), Row("RHOM", I::kRhom), Row("", I::kBlank),
  });
  return *t;
}

// OC3 ACTIV. DfE validator rule 132, every year: F1 P1 F2 P2 F4 P4 F5 P5 G4 G5 G6 0.
const Table& ActivityTable() {
  using A = Activity;
  static const Table* const t = Build({
      Row("F1", A::kF1), Row("P1", A::kP1), Row("F2", A::kF2), Row("P2", A::kP2),
      Row("F4", A::kF4), Row("P4", A::kP4), Row("F5", A::kF5), Row("P5", A::kP5),
      Row("G4", A::kG4), Row("G5", A::kG5), Row("G6", A::kG6), Row("0", A::k0),
      Row("", A::kBlank),
  });
  return *t;
}

// OC3 ACCOM. DfE validator rule 133, every year: B1 B2 C1 C2 D1 D2 E1 E2 G1 G2 H1 H2 K1 K2 R1
// R2 S2 T1 T2 U1 U2 V1 V2 W1 W2 X2 Y1 Y2 Z1 Z2 0 (the letter is the kind of accommodation,
// the digit 1 suitable, 2 unsuitable; S and X have no suitable code).
const Table& AccommodationTable() {
  using A = Accommodation;
  static const Table* const t = Build({
      Row("B1", A::kB1), Row("B2", A::kB2), Row("C1", A::kC1), Row("C2", A::kC2),
      Row("D1", A::kD1), Row("D2", A::kD2), Row("E1", A::kE1), Row("E2", A::kE2),
      Row("G1", A::kG1), Row("G2", A::kG2), Row("H1", A::kH1), Row("H2", A::kH2),
      Row("K1", A::kK1), Row("K2", A::kK2), Row("R1", A::kR1), Row("R2", A::kR2),
      Row("S2", A::kS2), Row("T1", A::kT1), Row("T2", A::kT2), Row("U1", A::kU1),
      Row("U2", A::kU2), Row("V1", A::kV1), Row("V2", A::kV2), Row("W1", A::kW1),
      Row("W2", A::kW2), Row("X2", A::kX2), Row("Y1", A::kY1), Row("Y2", A::kY2),
      Row("Z1", A::kZ1), Row("Z2", A::kZ2), Row("0", A::k0),   Row("", A::kBlank),
  });
  return *t;
}

// Missing MISSING: M or A (DfE 903 guidance; spec "Indicators": missing M, away_no_auth A).
const Table& MissingKindTable() {
  static const Table* const t = Build({
      Row("M", MissingKind::kMissing),
      Row("A", MissingKind::kAway),
  });
  return *t;
}

constexpr int kListCount = static_cast<int>(CodeList::kMissingKind) + 1;

const Table& TableFor(CodeList list) {
  // One array of all tables, so the hot path pays one initialisation check, not a switch.
  static const Table* const* const kTables = [] {
    auto* t = new const Table*[kListCount];
    t[static_cast<int>(CodeList::kSex)] = &SexTable();
    t[static_cast<int>(CodeList::kLegalStatus)] = &LegalStatusTable();
    t[static_cast<int>(CodeList::kReasonNewEpisode)] = &ReasonNewEpisodeTable();
    t[static_cast<int>(CodeList::kPlacement)] = &PlacementTable();
    t[static_cast<int>(CodeList::kReasonCeased)] = &ReasonCeasedTable();
    t[static_cast<int>(CodeList::kEthnicity)] = &EthnicityTable();
    t[static_cast<int>(CodeList::kCategoryOfNeed)] = &CategoryOfNeedTable();
    t[static_cast<int>(CodeList::kImmigrationStatus)] = &ImmigrationStatusTable();
    t[static_cast<int>(CodeList::kNrpf)] = &NrpfTable();
    t[static_cast<int>(CodeList::kInTouch)] = &InTouchTable();
    t[static_cast<int>(CodeList::kActivity)] = &ActivityTable();
    t[static_cast<int>(CodeList::kAccommodation)] = &AccommodationTable();
    t[static_cast<int>(CodeList::kMissingKind)] = &MissingKindTable();
    return t;
  }();
  return *kTables[static_cast<int>(list)];
}

// ISO 3166-1 alpha-3: the 249 officially assigned codes of the ISO 3166 Maintenance Agency
// (ISO Online Browsing Platform), as reproduced in the public list
// lukes/ISO-3166-Countries-with-Regional-Codes (slim-3/slim-3.csv, column alpha-3). Sorted
// for binary search. User-assigned codes (e.g. XKX, used by some bodies for Kosovo) are not
// ISO 3166-1 codes and are not accepted; an LA should record such a child as UNK.
// clang-format off
constexpr const char* kIsoAlpha3[] = {
    "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA",
    "ATF", "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR",
    "BHR", "BHS", "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN",
    "BVT", "BWA", "CAF", "CAN", "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG",
    "COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU",
    "DJI", "DMA", "DNK", "DOM", "DZA", "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH",
    "FIN", "FJI", "FLK", "FRA", "FRO", "FSM", "GAB", "GBR", "GEO", "GGY", "GHA", "GIB",
    "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY",
    "HKG", "HMD", "HND", "HRV", "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN",
    "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM",
    "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO",
    "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA", "MDG", "MDV", "MEX", "MHL",
    "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS",
    "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR",
    "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL",
    "PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU",
    "SDN", "SEN", "SGP", "SGS", "SHN", "SJM", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM",
    "SRB", "SSD", "STP", "SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA",
    "TCD", "TGO", "THA", "TJK", "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV",
    "TWN", "TZA", "UGA", "UKR", "UMI", "URY", "USA", "UZB", "VAT", "VCT", "VEN", "VGB",
    "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF", "ZMB", "ZWE",
};

// EU member states (27, since 01/02/2020), then the EEA EFTA states and Switzerland.
// Spec "The local sensitive file".
constexpr const char* kEuEeaSwiss[] = {
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA",
    "DEU", "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD",
    "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR", "CHE",
};

// clang-format on

}  // namespace

absl::string_view TrimAsciiBlanks(absl::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return text.substr(b, e - b);
}

int LookupCode(CodeList list, absl::string_view text, int year) {
  Key key;
  if (!MakeKey(text, &key)) return -1;
  const Table& t = TableFor(list);
  for (int s = SlotOf(key); t.slot[s] >= 0; s = (s + 1) & (kSlots - 1)) {
    const int i = t.slot[s];
    if (t.keys[i] == key) {
      const Entry& e = t.entries[i];
      return year >= e.first_year && year <= e.last_year ? e.value : -1;
    }
  }
  return -1;
}

std::string ExpectedCodes(CodeList list, int year) {
  const Table& t = TableFor(list);
  std::vector<absl::string_view> codes;
  bool blank = false;
  for (const Entry& e : t.entries) {
    if (year < e.first_year || year > e.last_year) continue;
    if (e.text[0] == '\0') {
      blank = true;
    } else {
      codes.push_back(e.text);
    }
  }
  std::string out = absl::StrJoin(codes, ", ");
  if (blank) absl::StrAppend(&out, " or a blank");
  return out;
}

absl::string_view CodeText(CodeList list, int value) {
  const Table& t = TableFor(list);
  if (value < 0 || static_cast<size_t>(value) >= t.canonical.size()) return "";
  return t.canonical[value];
}

const std::vector<absl::string_view>& IsoAlpha3Codes() {
  static const std::vector<absl::string_view>* const kCodes = [] {
    auto* v = new std::vector<absl::string_view>(std::begin(kIsoAlpha3), std::end(kIsoAlpha3));
    std::sort(v->begin(), v->end());  // already sorted; cheap insurance for binary search
    return v;
  }();
  return *kCodes;
}

bool IsIsoAlpha3(absl::string_view code) {
  const auto& codes = IsoAlpha3Codes();
  return code.size() == 3 && std::binary_search(codes.begin(), codes.end(), code);
}

bool ParseNationality(absl::string_view text, NationalityGroup* out) {
  text = TrimAsciiBlanks(text);
  if (text.empty()) {
    *out = NationalityGroup::kUnknown;
    return true;
  }
  if (text.size() != 3) return false;
  char buf[3];
  for (int i = 0; i < 3; ++i) {
    char c = text[i];
    buf[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  absl::string_view code(buf, 3);
  if (code == "UNK") {
    *out = NationalityGroup::kUnknown;
    return true;
  }
  if (!IsIsoAlpha3(code)) return false;
  if (code == "GBR") {
    *out = NationalityGroup::kBritish;
    return true;
  }
  for (const char* eu : kEuEeaSwiss) {
    if (code == eu) {
      *out = NationalityGroup::kEuEeaSwiss;
      return true;
    }
  }
  *out = NationalityGroup::kOther;
  return true;
}

}  // namespace ringfence::node
