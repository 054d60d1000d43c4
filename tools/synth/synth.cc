#include "tools/synth/synth.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "node/ssda903_schema.h"
#include "tools/synth/civil_date.h"
#include "tools/synth/geography.h"
#include "tools/synth/prng.h"

namespace ringfence::tools::synth {
namespace {

using catalogue::LocalAuthority;

// ---------------------------------------------------------------------------------------------
// Reference mixes. Weights are integers (parts per 10,000 unless said) so choices are exact.
// Sources: DfE "Children looked after in England including adoptions" (national tables for
// 2023-2025: sex, age, ethnicity, UASC, legal status, placement, reason ceased) and DfE care
// leaver tables; rounded, and split between UASC and other children so the overall mix matches.
// ---------------------------------------------------------------------------------------------

// Ethnicity of children who are not UASC (overall ~73% white once UASC are added).
constexpr WeightedCode kEthnicity[] = {
    {"WBRI", 6700}, {"WIRI", 60},  {"WIRT", 40},  {"WOTH", 1000}, {"WROM", 100},
    {"MWBC", 400},  {"MWBA", 160}, {"MWAS", 140}, {"MOTH", 350},  {"AIND", 40},
    {"APKN", 120},  {"ABAN", 60},  {"AOTH", 90},  {"CHNE", 20},   {"BCRB", 100},
    {"BAFR", 210},  {"BOTH", 140}, {"OOTH", 170}, {"REFU", 30},   {"NOBT", 70}};

// UASC countries of origin (ISO 3166-1 alpha-3) with the usual recorded ethnicity.
struct Origin {
  const char* nationality;
  const char* ethnic;
  int weight;
};
constexpr Origin kUascOrigins[] = {
    {"AFG", "AOTH", 22}, {"ERI", "BAFR", 14}, {"SDN", "BAFR", 14}, {"IRN", "OOTH", 10},
    {"SYR", "OOTH", 6},  {"IRQ", "OOTH", 6},  {"ALB", "WOTH", 8},  {"VNM", "AOTH", 5},
    {"ETH", "BAFR", 4},  {"KWT", "OOTH", 2},  {"EGY", "OOTH", 2},  {"SOM", "BAFR", 2},
    {"TCD", "BAFR", 2},  {"YEM", "OOTH", 1},  {"PAK", "APKN", 1},  {"GMB", "BAFR", 1}};

// Nationality of children who are not UASC. "" is a blank cell.
constexpr WeightedCode kNationalityBritish[] = {{"GBR", 1}};
constexpr WeightedCode kNationalityEu[] = {{"POL", 60}, {"ROU", 60}, {"LTU", 20}, {"LVA", 10},
                                           {"SVK", 15}, {"CZE", 10}, {"BGR", 15}, {"HUN", 10},
                                           {"PRT", 10}, {"IRL", 10}};
constexpr WeightedCode kNationalityOther[] = {
    {"NGA", 40}, {"GHA", 15}, {"ZWE", 15}, {"JAM", 15}, {"PAK", 20}, {"IND", 10}, {"BGD", 10},
    {"SOM", 10}, {"AFG", 15}, {"IRQ", 10}, {"ERI", 10}, {"CHN", 5},  {"USA", 5},  {"UKR", 15},
    {"BRA", 5}};
enum class NationalityKind { kBritish, kEu, kOther, kUnknown };

constexpr WeightedCode kImmigrationBritish[] = {{"BRITISH", 97}, {"", 2}, {"UNKNOWN", 1}};
constexpr WeightedCode kImmigrationEu[] = {{"SETTLED", 50},  {"LIMITED_LEAVE", 30},
                                           {"NO_STATUS", 8}, {"UNKNOWN", 7},
                                           {"", 5}};
constexpr WeightedCode kImmigrationOther[] = {
    {"LIMITED_LEAVE", 30}, {"SETTLED", 20}, {"REFUGEE", 10}, {"HUMANITARIAN", 5},
    {"ASYLUM_SEEKER", 10}, {"NO_STATUS", 15}, {"UNKNOWN", 5}, {"", 5}};
constexpr WeightedCode kImmigrationUnknown[] = {
    {"UNKNOWN", 50}, {"", 40}, {"NO_STATUS", 5}, {"BRITISH", 5}};
constexpr WeightedCode kImmigrationUasc[] = {
    {"ASYLUM_SEEKER", 55}, {"REFUGEE", 22}, {"HUMANITARIAN", 5}, {"LIMITED_LEAVE", 10},
    {"NO_STATUS", 3},      {"UNKNOWN", 3},  {"", 2}};
constexpr WeightedCode kImmigrationFormerUasc[] = {
    {"REFUGEE", 40}, {"LIMITED_LEAVE", 25}, {"ASYLUM_SEEKER", 15}, {"SETTLED", 8},
    {"NO_STATUS", 7}, {"UNKNOWN", 5}};

// Category of need.
constexpr WeightedCode kCin[] = {{"N1", 6500}, {"N2", 300}, {"N3", 300}, {"N4", 800},
                                 {"N5", 1450}, {"N6", 150}, {"N7", 20},  {"N8", 480}};
constexpr WeightedCode kCinUasc[] = {{"N8", 90}, {"N4", 4}, {"N1", 3}, {"N5", 3}};

// Legal status of the current episode (CLA at 31 March), children under 10 and 10+, not UASC.
// E1 is mostly carried by adoption placements (see LegalStatusFor), so it is light here.
constexpr WeightedCode kLsYoung[] = {{"C2", 6600}, {"C1", 2250}, {"E1", 600}, {"D1", 5},
                                     {"V2", 450},  {"L1", 30},   {"L2", 50},  {"L3", 15}};
constexpr WeightedCode kLsOlder[] = {{"C2", 7300}, {"C1", 1530}, {"E1", 40}, {"V2", 1000},
                                     {"J1", 30},   {"J2", 40},   {"J3", 30}, {"L1", 15},
                                     {"L2", 10},   {"L3", 5}};
constexpr WeightedCode kLsUasc[] = {{"V2", 8500}, {"C2", 1000}, {"C1", 400}, {"J2", 50},
                                    {"L1", 50}};
// Legal status when a period of care begins.
constexpr WeightedCode kLsEntryYoung[] = {{"C1", 35}, {"V2", 35}, {"L1", 8},
                                          {"L2", 12}, {"C2", 8},  {"L3", 2}};
constexpr WeightedCode kLsEntryOlder[] = {{"V2", 50}, {"C1", 25}, {"L1", 8}, {"L2", 5},
                                          {"J1", 2},  {"J2", 4},  {"J3", 1}, {"C2", 5}};
constexpr WeightedCode kLsEntryUasc[] = {{"V2", 95}, {"L1", 3}, {"C1", 2}};

// Placement groups; the codes within a group depend on the year (SupportedCodes, OtherCodes).
enum Group {
  kKinship,    // U1-U3
  kFoster,     // U4-U6
  kAdoption,   // A3-A6
  kParents,    // P1
  kHome,       // K2
  kSecure,     // K1
  kSupported,  // H5/P2 (to 2025), K3 (from 2025); from 2026 some Z11-Z14
  kMotherBaby, // R3
  kCareHome,   // R1
  kNhs,        // R2
  kSchool,     // S1
  kCustody,    // R5
  kTemporary,  // T0-T4
  kOther,      // Z1 (to 2025), Z11-Z14 (from 2026)
  kEmployment, // P3
  kGroupCount
};

// Placement group of the current episode by age band, not UASC (weights per 10,000 in a band).
// Foster ~68% (kinship ~17%), homes/secure ~16%, parents ~7%, supported ~8%, adoption ~3% overall.
struct GroupWeight {
  Group group;
  int weight;
};
constexpr GroupWeight kPlaceUnder1[] = {{kKinship, 2500}, {kFoster, 5700}, {kAdoption, 600},
                                        {kParents, 800},  {kMotherBaby, 300},
                                        {kTemporary, 50}, {kNhs, 50}};
constexpr GroupWeight kPlace1To4[] = {{kKinship, 2300}, {kFoster, 5100}, {kAdoption, 1500},
                                      {kParents, 1000}, {kHome, 20},     {kMotherBaby, 30},
                                      {kTemporary, 30}, {kOther, 20}};
constexpr GroupWeight kPlace5To9[] = {{kKinship, 2500}, {kFoster, 5800}, {kAdoption, 350},
                                      {kParents, 1000}, {kHome, 300},    {kSchool, 30},
                                      {kTemporary, 10}, {kOther, 10}};
constexpr GroupWeight kPlace10To15[] = {{kKinship, 1700}, {kFoster, 5000}, {kParents, 790},
                                        {kHome, 2300},    {kSecure, 50},   {kSchool, 60},
                                        {kCareHome, 40},  {kTemporary, 30}, {kOther, 20},
                                        {kNhs, 10}};
constexpr GroupWeight kPlace16Plus[] = {{kKinship, 1100}, {kFoster, 3470}, {kParents, 400},
                                        {kHome, 2500},    {kSecure, 40},   {kSupported, 2250},
                                        {kCustody, 60},   {kSchool, 50},   {kCareHome, 40},
                                        {kTemporary, 30}, {kOther, 30},    {kEmployment, 10},
                                        {kNhs, 20}};
constexpr GroupWeight kPlaceUascYoung[] = {{kFoster, 8000}, {kKinship, 300}, {kHome, 1500},
                                           {kTemporary, 100}, {kOther, 100}};
constexpr GroupWeight kPlaceUascOlder[] = {{kFoster, 5000}, {kSupported, 4200}, {kHome, 600},
                                           {kKinship, 100}, {kTemporary, 50}, {kOther, 50}};

constexpr WeightedCode kKinshipCodes[] = {{"U1", 35}, {"U2", 5}, {"U3", 60}};
constexpr WeightedCode kFosterCodes[] = {{"U4", 40}, {"U5", 5}, {"U6", 55}};
constexpr WeightedCode kAdoptionCodes[] = {{"A3", 10}, {"A4", 10}, {"A5", 25}, {"A6", 55}};
constexpr WeightedCode kTemporaryCodes[] = {{"T0", 20}, {"T1", 20}, {"T2", 10}, {"T3", 30},
                                            {"T4", 20}};
constexpr WeightedCode kSupportedTo2024[] = {{"H5", 60}, {"P2", 40}};
constexpr WeightedCode kSupported2025[] = {{"H5", 35}, {"P2", 25}, {"K3", 40}};
constexpr WeightedCode kSupportedFrom2026[] = {{"K3", 80}, {"Z11", 5}, {"Z12", 5}, {"Z13", 5},
                                               {"Z14", 5}};
constexpr WeightedCode kOtherTo2025[] = {{"Z1", 1}};
constexpr WeightedCode kOtherFrom2026[] = {{"Z11", 25}, {"Z12", 25}, {"Z13", 25}, {"Z14", 25}};

// Reason episode ceased for children who leave care (X1 is used only inside chains).
constexpr WeightedCode kReasonCeased[] = {
    {"E11", 60}, {"E12", 35}, {"E13", 30}, {"E4A", 220}, {"E4B", 20}, {"E41", 40},
    {"E45", 50}, {"E46", 10}, {"E47", 50}, {"E48", 10},  {"E43", 3},  {"E44", 3},
    {"E5", 75},  {"E6", 15},  {"E17", 95}, {"E2", 3},    {"E3", 10},  {"E7", 10},
    {"E8", 120}, {"E9", 10},  {"E14", 40}, {"E15", 10},  {"E16", 8}};
constexpr WeightedCode kReasonPreviousPeriod[] = {{"E4A", 50}, {"E13", 15}, {"E41", 5},
                                                  {"E8", 20},  {"E4B", 10}};
constexpr WeightedCode kReasonAfterYearEnd[] = {{"E4A", 60}, {"E13", 20}, {"E8", 20}};

// Reason for placement change, on an episode that ends with X1 before a P/T/U/B episode.
constexpr WeightedCode kReasonPlaceChange[] = {
    {"CARPL", 15}, {"CLOSE", 3}, {"ALLEG", 2},  {"STAND", 5}, {"APPRR", 35}, {"CREQB", 5},
    {"CREQO", 3},  {"CHILD", 8}, {"LAREQ", 10}, {"PLACE", 5}, {"CUSTOD", 2}, {"OTHER", 7}};

// Care leavers (OC3).
constexpr WeightedCode kInTouch[] = {{"YES", 860}, {"NO", 40},  {"REFU", 30},
                                     {"NREQ", 40}, {"DIED", 3}, {"RHOM", 27}};
constexpr WeightedCode kActivity[] = {{"F1", 60}, {"P1", 10}, {"F2", 140}, {"P2", 30},
                                      {"F4", 170}, {"P4", 50}, {"G4", 80}, {"G5", 300},
                                      {"G6", 60},  {"0", 20}};
constexpr WeightedCode kAccommodation[] = {
    {"B1", 60}, {"C1", 20}, {"D1", 150}, {"E1", 60}, {"G1", 5},  {"K1", 20}, {"R1", 100},
    {"T1", 20}, {"U1", 400}, {"B2", 10}, {"D2", 10}, {"E2", 5},  {"K2", 5},  {"R2", 5},
    {"T2", 10}, {"U2", 30}, {"C2", 5},  {"G2", 2},  {"H1", 1},  {"H2", 1}, {"0", 10}};

// UPN check letters, without C (so a UPN can never contain a CHILD id) and without I, O, S.
constexpr char kUpnLetters[] = "ABDEFGHJKLMNPQRTUVWXYZ";

constexpr char kMaskedDate[] = "ZZ/ZZ/ZZZZ";

// ---------------------------------------------------------------------------------------------
// The model of one LA's children.
// ---------------------------------------------------------------------------------------------

enum class Sex { kMale, kFemale, kUnknown };

// Everything an episode records apart from its dates, RNE, CIN, REC and reason.
struct Placement {
  std::string ls;
  std::string place;
  std::string provider;
  std::string pl_post;
  std::string urn;
};

struct Episode {
  Day decom = 0;
  bool has_dec = false;
  Day dec = 0;
  std::string rne, ls, cin, place, provider, rec, reason, home_post, pl_post, urn;
};

struct MissingSpell {
  bool away = false;  // A (away without authorisation) rather than M (missing)
  Day start = 0;
  bool has_end = true;
  Day end = 0;
};

struct Child {
  std::string id;
  Sex sex = Sex::kMale;
  Day dob = 0;
  std::string ethnic;
  std::string upn;
  std::string mother;
  std::string mc_dob;
  bool uasc = false;
  bool duc_masked = false;
  std::string home_post;
  std::vector<Episode> episodes;
  bool oc3 = false;
  std::string in_touch, activ, accom;
  std::vector<MissingSpell> missing;
  bool has_sensitive = true;
  std::string nationality, immigration, nrpf;
};

bool IsShortBreak(const std::string& ls) { return ls == "V3" || ls == "V4"; }
// Police protection, emergency protection and child assessment orders last days, not months.
bool IsEmergency(const std::string& ls) { return ls == "L1" || ls == "L2" || ls == "L3"; }
bool IsTemporary(const std::string& place) { return !place.empty() && place[0] == 'T'; }
bool IsAdoptionPlace(const std::string& p) { return p.size() == 2 && p[0] == 'A'; }
bool IsKinship(const std::string& p) { return p == "U1" || p == "U2" || p == "U3"; }
bool IsFoster(const std::string& p) { return p == "U4" || p == "U5" || p == "U6"; }
// Special guardianship (E43-E48) and child arrangements / residence orders (E41).
bool IsSgoOrCao(const std::string& rec) {
  return rec == "E41" || rec == "E43" || rec == "E44" || rec == "E45" || rec == "E46" ||
         rec == "E47" || rec == "E48";
}

int BandOf(int age) {
  if (age < 1) return 0;
  if (age < 5) return 1;
  if (age < 10) return 2;
  if (age < 16) return 3;
  return 4;
}

class LaGenerator {
 public:
  LaGenerator(const LocalAuthority& la, size_t la_index, int year, uint64_t seed, double scale)
      : la_(la),
        la_index_(la_index),
        year_(year),
        scale_(scale),
        rng_(Rng::ForStream(seed, la.new_la_code, static_cast<uint64_t>(year))),
        start_(DayFromYmd(year - 1, 4, 1)),
        end_(DayFromYmd(year, 3, 31)) {}

  LaDataset Run();

 private:
  // --- people ---
  std::string NewChildId();
  std::string NewUpn(int age_at_r);
  Day UniformDay(Day lo, Day hi) { return static_cast<Day>(rng_.Between(lo, hi)); }
  Day DobForAge(int age, Day on);  // completed `age` years on `on`, leap days sometimes
  Sex DrawSex(bool uasc, double male_share);
  void SetIdentity(Child* c, bool uasc);
  void SetSensitive(Child* c, bool former_uasc);
  void MaybeMother(Child* c);

  // --- placements ---
  std::string PlaceCode(Group g);
  Group DrawGroup(int age, bool uasc);
  Placement NewPlacement(const std::string& place, const std::string& ls);
  std::string LegalStatusFor(const std::string& place, int age, bool uasc);
  Placement CurrentPlacement(int age, bool uasc);
  Placement EntryPlacement(int age, bool uasc);
  Placement FinalPlacementFor(const std::string& rec, int age, bool uasc);
  std::string NextLegalStatus(const std::string& ls, int age);
  std::string RelatedPlace(const std::string& place, int age);
  std::string Postcode(size_t la_index);
  std::string PlacementPostcode(Group g);

  // --- episodes ---
  // Appends the episodes of one period of care: first episode from `start` (RNE S); the last
  // has placement `last` and, if `closed`, DEC `end` and REC `rec`, else is open.
  void BuildPeriod(Child* c, Day start, bool closed, Day end, const std::string& rec,
                   const Placement& last);
  void AddPreviousPeriod(Child* c, Day next_start);

  // --- cohorts ---
  void AddLookedAfter(bool uasc);
  void AddCeased();
  void AddShortBreakChild();
  void AddCareLeaver(bool former_uasc, int age_in_year);
  void SetOc3(Child* c);
  void AddMissing(Child* c);

  // --- rendering ---
  // Rewrites a few current placements to the postcode table's edge cases (blank coordinates,
  // blank utla, absent from the table).
  void PostcodeEdgeCases();
  // Rows of Reviews, OC2, AD1, PlacedAdoption, PrevPerm and SWEpisodes for one child.
  struct OtherTables {
    SynthTable* reviews;
    SynthTable* oc2;
    SynthTable* ad1;
    SynthTable* placed;
    SynthTable* prev_perm;
    SynthTable* sw;
  };
  void AddOtherRows(const Child& c, const std::string& dob, const OtherTables& t);
  // A postcode as an LA's system may hold it: now and then lower case or oddly spaced.
  std::string AsExported(const std::string& postcode);
  // Every postcode the episodes use (unless absent from the table) plus unused rows.
  SynthTable PostcodeTable(const SynthTable& episodes);
  LaDataset Render();

  const LocalAuthority& la_;
  const size_t la_index_;
  const int year_;
  const double scale_;
  Rng rng_;
  const Day start_;  // S = 01/04/(Y-1)
  const Day end_;    // R = 31/03/Y
  double uasc_share_ = 0.09;
  std::set<std::string> ids_;
  std::vector<std::string> home_urns_;
  std::vector<std::string> social_workers_;
  std::vector<Child> children_;
};

// ---------------------------------------------------------------------------------------------
// People.
// ---------------------------------------------------------------------------------------------

std::string LaDigits(const LocalAuthority& la, size_t la_index) {
  // DfE old codes are three digits; fall back to the registry index if one is not.
  if (la.old_la_code.size() == 3 &&
      std::all_of(la.old_la_code.begin(), la.old_la_code.end(),
                  [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return la.old_la_code;
  }
  return absl::StrFormat("%03d", static_cast<int>(la_index % 1000));
}

std::string LaGenerator::NewChildId() {
  const std::string prefix = absl::StrCat("C", LaDigits(la_, la_index_));
  while (true) {
    std::string id = absl::StrFormat("%s%06d", prefix, static_cast<int>(rng_.Below(1000000)));
    if (ids_.insert(id).second) return id;
  }
}

std::string LaGenerator::NewUpn(int age_at_r) {
  // Children under 4 mostly have no UPN yet; a few older ones are missing one too.
  if (age_at_r < 4 || rng_.Chance(0.07)) return "";
  const char letter = kUpnLetters[rng_.Below(sizeof(kUpnLetters) - 1)];
  return absl::StrFormat("%c%s%09d", letter, LaDigits(la_, la_index_),
                         static_cast<int>(rng_.Below(1000000000)));
}

Day LaGenerator::DobForAge(int age, Day on) {
  const Day lo = AddYears(on, -(age + 1)) + 1;
  const Day hi = AddYears(on, -age);
  // About one child in 250 is given a 29 February birthday when the range holds one, so the
  // leap-day age rule is always exercised.
  if (rng_.Chance(0.004)) {
    std::vector<Day> leap_days;
    for (int y = YmdFromDay(lo).year; y <= YmdFromDay(hi).year; ++y) {
      if (!IsLeapYear(y)) continue;
      const Day d = DayFromYmd(y, 2, 29);
      if (d >= lo && d <= hi) leap_days.push_back(d);
    }
    if (!leap_days.empty()) return leap_days[rng_.Below(leap_days.size())];
  }
  return UniformDay(lo, hi);
}

Sex LaGenerator::DrawSex(bool uasc, double male_share) {
  if (year_ >= 2025 && !uasc && rng_.Chance(0.002)) return Sex::kUnknown;
  return rng_.Chance(male_share) ? Sex::kMale : Sex::kFemale;
}

void LaGenerator::SetIdentity(Child* c, bool uasc) {
  c->id = NewChildId();
  c->uasc = uasc;
  if (uasc) {
    // Nationality and ethnicity travel together for UASC.
    std::vector<int> weights;
    for (const Origin& o : kUascOrigins) weights.push_back(o.weight);
    const Origin& o = kUascOrigins[rng_.Weighted(weights)];
    c->ethnic = rng_.Chance(0.9) ? o.ethnic : rng_.Pick({{"OOTH", 2}, {"BOTH", 1}, {"NOBT", 1}});
    c->nationality = o.nationality;
    c->duc_masked = rng_.Chance(0.15);
  } else {
    c->ethnic = rng_.Pick(kEthnicity);
  }
}

void LaGenerator::SetSensitive(Child* c, bool former_uasc) {
  c->has_sensitive = !rng_.Chance(0.03);
  if (c->uasc) {
    if (rng_.Chance(0.03)) c->nationality = rng_.Chance(0.6) ? "UNK" : "";
    c->immigration = rng_.Pick(former_uasc ? absl::MakeConstSpan(kImmigrationFormerUasc)
                                           : absl::MakeConstSpan(kImmigrationUasc));
    c->nrpf = rng_.Pick({{"N", 80}, {"Y", 8}, {"", 12}});
    return;
  }
  const NationalityKind kind = static_cast<NationalityKind>(rng_.Weighted({9300, 220, 200, 280}));
  switch (kind) {
    case NationalityKind::kBritish:
      c->nationality = rng_.Pick(kNationalityBritish);
      c->immigration = rng_.Pick(kImmigrationBritish);
      break;
    case NationalityKind::kEu:
      c->nationality = rng_.Pick(kNationalityEu);
      c->immigration = rng_.Pick(kImmigrationEu);
      break;
    case NationalityKind::kOther:
      c->nationality = rng_.Pick(kNationalityOther);
      c->immigration = rng_.Pick(kImmigrationOther);
      break;
    case NationalityKind::kUnknown:
      c->nationality = rng_.Chance(0.55) ? "" : "UNK";
      c->immigration = rng_.Pick(kImmigrationUnknown);
      break;
  }
  if (c->immigration == "BRITISH" || c->immigration == "SETTLED") {
    c->nrpf = rng_.Chance(0.95) ? "N" : "";
  } else {
    c->nrpf = rng_.Pick({{"Y", 20}, {"N", 65}, {"", 15}});
  }
}

void LaGenerator::MaybeMother(Child* c) {
  // MOTHER and MC_DOB are mostly blank; a few young women aged 15+ are recorded as mothers.
  const int age = AgeOn(c->dob, end_);
  if (c->sex != Sex::kFemale || age < 15) return;
  if (!rng_.Chance(age >= 18 ? 0.06 : 0.02)) return;
  const Day earliest = std::max(AddYears(c->dob, 14), end_ - 3 * 365);
  if (earliest >= end_) return;
  c->mother = "1";
  c->mc_dob = FormatDate(UniformDay(earliest, end_));
}

// ---------------------------------------------------------------------------------------------
// Placements.
// ---------------------------------------------------------------------------------------------

std::string LaGenerator::PlaceCode(Group g) {
  switch (g) {
    case kKinship: return rng_.Pick(kKinshipCodes);
    case kFoster: return rng_.Pick(kFosterCodes);
    case kAdoption: return rng_.Pick(kAdoptionCodes);
    case kParents: return "P1";
    case kHome: return "K2";
    case kSecure: return "K1";
    case kSupported:
      if (year_ <= 2024) return rng_.Pick(kSupportedTo2024);
      if (year_ == 2025) return rng_.Pick(kSupported2025);
      return rng_.Pick(kSupportedFrom2026);
    case kMotherBaby: return "R3";
    case kCareHome: return "R1";
    case kNhs: return "R2";
    case kSchool: return "S1";
    case kCustody: return "R5";
    case kTemporary: return rng_.Pick(kTemporaryCodes);
    case kOther: return rng_.Pick(year_ <= 2025 ? absl::MakeConstSpan(kOtherTo2025)
                                                : absl::MakeConstSpan(kOtherFrom2026));
    case kEmployment: return "P3";
    case kGroupCount: break;
  }
  return "U6";
}

Group LaGenerator::DrawGroup(int age, bool uasc) {
  absl::Span<const GroupWeight> table;
  if (uasc) {
    table = age >= 16 ? absl::MakeConstSpan(kPlaceUascOlder) : absl::MakeConstSpan(kPlaceUascYoung);
  } else {
    switch (BandOf(age)) {
      case 0: table = kPlaceUnder1; break;
      case 1: table = kPlace1To4; break;
      case 2: table = kPlace5To9; break;
      case 3: table = kPlace10To15; break;
      default: table = kPlace16Plus; break;
    }
  }
  std::vector<int> weights;
  for (const GroupWeight& gw : table) weights.push_back(gw.weight);
  return table[rng_.Weighted(weights)].group;
}

Group GroupOf(const std::string& place) {
  if (IsKinship(place)) return kKinship;
  if (IsFoster(place)) return kFoster;
  if (IsAdoptionPlace(place)) return kAdoption;
  if (place == "P1") return kParents;
  if (place == "K2") return kHome;
  if (place == "K1") return kSecure;
  if (place == "H5" || place == "P2" || place == "K3") return kSupported;
  if (place == "R3") return kMotherBaby;
  if (place == "R1") return kCareHome;
  if (place == "R2") return kNhs;
  if (place == "S1") return kSchool;
  if (place == "R5") return kCustody;
  if (IsTemporary(place)) return kTemporary;
  if (place == "P3") return kEmployment;
  return kOther;
}

std::string LaGenerator::Postcode(size_t la_index) { return RandomPostcode(la_index, &rng_); }

std::string LaGenerator::PlacementPostcode(Group g) {
  if (rng_.Chance(0.02)) return "";  // not recorded
  // Chance that a placement is outside the LA, and that an out-of-area one is far (another
  // LA 45-200 km away rather than a neighbour): DfE reports ~40% of children placed outside
  // their LA and ~15-20% more than 20 miles from home; kinship carers are mostly local,
  // children's homes, secure and specialist settings often far away.
  double out = 0.42, far = 0.25;
  switch (g) {
    case kKinship: out = 0.28, far = 0.20; break;
    case kFoster: out = 0.44, far = 0.22; break;
    case kHome: out = 0.62, far = 0.45; break;
    case kSecure: out = 0.85, far = 0.70; break;
    case kSupported: out = 0.38, far = 0.25; break;
    case kAdoption: out = 0.55, far = 0.35; break;
    case kTemporary: out = 0.30, far = 0.20; break;
    case kCareHome: case kNhs: case kSchool: case kCustody: case kMotherBaby:
      out = 0.70, far = 0.50; break;
    default: break;
  }
  if (!rng_.Chance(out)) return Postcode(la_index_);
  if (rng_.Chance(far)) {
    // A few far placements are in Wales or Scotland: absent from an England-only table.
    if (rng_.Chance(0.03)) return AbsentPostcode(&rng_);
    const std::vector<size_t>& far_las = FarLas(la_index_);
    return Postcode(far_las[rng_.Below(far_las.size())]);
  }
  const std::vector<size_t>& near_las = NearLas(la_index_);
  return Postcode(near_las[rng_.Below(near_las.size())]);
}

Placement LaGenerator::NewPlacement(const std::string& place, const std::string& ls) {
  Placement p;
  p.ls = ls;
  p.place = place;
  const Group g = GroupOf(place);
  switch (g) {
    case kParents: p.provider = "PR0"; break;
    case kKinship: p.provider = "PR1"; break;
    case kFoster: p.provider = rng_.Pick({{"PR1", 60}, {"PR4", 30}, {"PR5", 5}, {"PR2", 5}}); break;
    case kHome: p.provider = rng_.Pick({{"PR4", 75}, {"PR1", 15}, {"PR5", 5}, {"PR2", 5}}); break;
    case kSecure: p.provider = rng_.Pick({{"PR1", 40}, {"PR2", 40}, {"PR3", 20}}); break;
    case kAdoption: p.provider = rng_.Pick({{"PR1", 50}, {"PR2", 10}, {"PR5", 40}}); break;
    case kSupported: p.provider = rng_.Pick({{"PR4", 60}, {"PR1", 25}, {"PR5", 15}}); break;
    case kCustody: case kNhs: p.provider = "PR3"; break;
    default: p.provider = rng_.Pick({{"PR1", 30}, {"PR3", 20}, {"PR4", 35}, {"PR5", 15}}); break;
  }
  p.pl_post = PlacementPostcode(g);
  if (g == kHome || g == kSecure) {
    // Children's homes and secure homes have Ofsted URNs; in-area homes recur.
    if (!home_urns_.empty() && rng_.Chance(0.5)) {
      p.urn = home_urns_[rng_.Below(home_urns_.size())];
    } else {
      p.urn = absl::StrFormat("SC%06d", static_cast<int>(rng_.Below(1000000)));
    }
  }
  return p;
}

std::string LaGenerator::LegalStatusFor(const std::string& place, int age, bool uasc) {
  if (IsAdoptionPlace(place)) return rng_.Pick({{"E1", 93}, {"D1", 1}, {"C2", 6}});
  if (uasc) return rng_.Pick(kLsUasc);
  if (place == "P1") return rng_.Pick({{"C2", 70}, {"C1", 30}});  // placed with parents
  if (place == "R5") return rng_.Pick({{"J2", 60}, {"J3", 30}, {"C2", 10}});
  return rng_.Pick(age < 10 ? absl::MakeConstSpan(kLsYoung) : absl::MakeConstSpan(kLsOlder));
}

Placement LaGenerator::CurrentPlacement(int age, bool uasc) {
  const std::string place = PlaceCode(DrawGroup(age, uasc));
  return NewPlacement(place, LegalStatusFor(place, age, uasc));
}

Placement LaGenerator::EntryPlacement(int age, bool uasc) {
  Group g = DrawGroup(age, uasc);
  // Nobody enters care straight into an adoptive, temporary or custodial placement.
  if (g == kAdoption || g == kCustody || g == kTemporary) g = kFoster;
  const std::string ls =
      uasc ? rng_.Pick(kLsEntryUasc)
           : rng_.Pick(age < 10 ? absl::MakeConstSpan(kLsEntryYoung)
                                : absl::MakeConstSpan(kLsEntryOlder));
  std::string place = PlaceCode(g);
  if (place == "P1" && ls != "C1" && ls != "C2") place = PlaceCode(kFoster);
  return NewPlacement(place, ls);
}

Placement LaGenerator::FinalPlacementFor(const std::string& rec, int age, bool uasc) {
  auto make = [&](Group g, const std::string& ls) { return NewPlacement(PlaceCode(g), ls); };
  if (rec == "E11" || rec == "E12") {
    return make(kAdoption, rng_.Pick({{"E1", 95}, {"D1", 1}, {"C2", 4}}));
  }
  const std::string sgo_ls = rng_.Pick({{"C2", 70}, {"C1", 15}, {"V2", 10}, {"E1", 5}});
  if (rec == "E45" || rec == "E47" || rec == "E43") return make(kKinship, sgo_ls);
  if (rec == "E46" || rec == "E48" || rec == "E44") return make(kFoster, sgo_ls);
  if (rec == "E41") return make(rng_.Chance(0.6) ? kKinship : kFoster, sgo_ls);
  if (rec == "E17") {  // staying put with foster carers
    const Group g = rng_.Chance(0.8) ? kFoster : kKinship;
    return make(g, uasc ? "V2" : rng_.Pick({{"C2", 80}, {"V2", 20}}));
  }
  if (rec == "E5" || rec == "E6" || rec == "E15") {
    const Group g = static_cast<Group>(
        std::vector<Group>{kSupported, kFoster, kHome}[rng_.Weighted({60, 25, 15})]);
    return make(g, uasc ? "V2" : rng_.Pick({{"C2", 75}, {"V2", 25}}));
  }
  if (rec == "E7") return make(rng_.Chance(0.7) ? kHome : kNhs, "C2");
  if (rec == "E9") {
    const Group g = static_cast<Group>(
        std::vector<Group>{kCustody, kSecure, kFoster, kHome}[rng_.Weighted({40, 20, 20, 20})]);
    return make(g, rng_.Pick({{"J2", 60}, {"J3", 25}, {"C2", 15}}));
  }
  if (rec == "E14") {
    const Group g = static_cast<Group>(
        std::vector<Group>{kFoster, kHome, kSecure}[rng_.Weighted({50, 35, 15})]);
    return make(g, rng_.Pick({{"J1", 30}, {"J2", 60}, {"J3", 10}}));
  }
  if ((rec == "E4A" || rec == "E4B" || rec == "E13") && !uasc && rng_.Chance(0.35)) {
    return make(kParents, rng_.Pick({{"C2", 60}, {"C1", 40}}));
  }
  Placement p = CurrentPlacement(age, uasc);
  if (IsAdoptionPlace(p.place)) p = make(kFoster, p.ls == "E1" ? "C2" : p.ls);
  return p;
}

std::string LaGenerator::NextLegalStatus(const std::string& ls, int age) {
  if (ls == "C1") {
    if (age < 10 && rng_.Chance(0.1)) return "E1";
    return rng_.Chance(0.93) ? "C2" : "V2";
  }
  if (ls == "V2") return rng_.Pick({{"C1", 70}, {"C2", 20}, {"J2", age >= 12 ? 5 : 0}});
  if (ls == "L1" || ls == "L2" || ls == "L3") return rng_.Pick({{"C1", 60}, {"V2", 40}});
  if (ls == "J1" || ls == "J2" || ls == "J3") {
    return rng_.Pick({{"V2", 50}, {"C1", 30}, {"C2", 20}});
  }
  if (ls == "C2" && age < 10 && rng_.Chance(0.5)) return "E1";
  if (ls == "E1" && rng_.Chance(0.3)) return "C2";  // placement order revoked
  return "";
}

std::string LaGenerator::RelatedPlace(const std::string& place, int age) {
  // Placement status changes with the same carer.
  if (IsKinship(place)) {
    std::string next = rng_.Pick(kKinshipCodes);
    return next == place ? "" : next;
  }
  if (IsFoster(place)) {
    if (age < 10 && place == "U6" && rng_.Chance(0.2)) return "A6";  // carers adopt
    std::string next = rng_.Pick(kFosterCodes);
    return next == place ? "" : next;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Episodes.
// ---------------------------------------------------------------------------------------------

void LaGenerator::BuildPeriod(Child* c, Day start, bool closed, Day end, const std::string& rec,
                              const Placement& last) {
  struct Step {
    Day date;
    Placement placement;
    std::string rne;
    bool temporary = false;
  };
  const std::string cin = c->uasc ? rng_.Pick(kCinUasc) : rng_.Pick(kCin);
  // Mean days between changes: most children are settled, some move often (~10% of children
  // looked after have three or more placements in a year).
  const int mean_gap = c->uasc ? (rng_.Chance(0.6) ? 600 : 250)
                               : std::vector<int>{1100, 330, 100}[rng_.Weighted({70, 22, 8})];
  const Day limit = closed ? end - 1 : end_;  // last day a new episode may start

  std::vector<Step> steps;
  steps.push_back({start, EntryPlacement(AgeOn(c->dob, start), c->uasc), "S"});
  bool early_move = start >= start_ && rng_.Chance(0.35);
  while (steps.size() < 30) {
    const Step& prev = steps.back();
    const bool emergency = IsEmergency(prev.placement.ls);
    Day t;
    if (prev.temporary) {
      t = prev.date + static_cast<Day>(rng_.Between(1, 14));
    } else if (emergency) {
      t = prev.date + static_cast<Day>(rng_.Between(1, 8));  // an order follows within days
    } else if (early_move) {
      t = prev.date + static_cast<Day>(rng_.Between(1, 45));
      early_move = false;
    } else {
      t = prev.date + static_cast<Day>(rng_.Between(1, 2 * mean_gap));
    }
    if (t > limit) break;
    const int age = AgeOn(c->dob, t);
    Step next{t, prev.placement, "P"};
    if (prev.temporary) {
      // Back to the carer the child had before the temporary placement.
      next.placement = steps[steps.size() - 2].placement;
      steps.push_back(next);
      continue;
    }
    const int kind = emergency ? static_cast<int>(rng_.Weighted({0, 70, 30, 0, 0, 0}))
                               : static_cast<int>(rng_.Weighted({6800, 1200, 800, 600, 400, 300}));
    // kind: 0 P (new carer), 1 L (legal status), 2 T (both), 3 U (placement status, same
    // carer), 4 B (legal and placement status, same carer), 5 a temporary placement.
    const bool ls_changes = kind == 1 || kind == 2 || kind == 4;
    std::string new_ls = ls_changes ? NextLegalStatus(prev.placement.ls, age) : "";
    std::string related = (kind == 3 || kind == 4) ? RelatedPlace(prev.placement.place, age) : "";
    if (kind == 5) {  // a temporary placement (holiday, hospital, respite...)
      next.placement = NewPlacement(PlaceCode(kTemporary), prev.placement.ls);
      next.temporary = true;
    } else if (kind == 1 && !new_ls.empty()) {  // L: legal status only
      next.placement.ls = new_ls;
      next.rne = "L";
    } else if (kind == 3 && !related.empty()) {  // U: placement status, same carer
      next.placement.place = related;
      if (IsAdoptionPlace(related)) next.placement.ls = "E1";
      next.rne = IsAdoptionPlace(related) && prev.placement.ls != "E1" ? "B" : "U";
    } else if (kind == 4 && !new_ls.empty() && !related.empty()) {  // B: both, same carer
      next.placement.place = related;
      next.placement.ls = IsAdoptionPlace(related) ? "E1" : new_ls;
      next.rne = "B";
    } else {  // P (or T when the legal status changes too): a new carer
      Group g = DrawGroup(age, c->uasc);
      const std::string ls = new_ls.empty() || kind == 0 ? prev.placement.ls : new_ls;
      if (g == kAdoption && ls != "E1" && ls != "D1") g = kFoster;
      if (g == kParents && ls != "C1" && ls != "C2") g = kKinship;
      next.placement = NewPlacement(PlaceCode(g), ls);
      next.rne = ls != prev.placement.ls ? "T" : "P";
    }
    steps.push_back(next);
  }

  // The last episode carries the intended final placement (the current one at 31 March, or the
  // one the child leaves care from). Its RNE follows from what changed. An emergency status is
  // kept only when the episode is days old.
  Placement final_placement = last;
  if (IsEmergency(final_placement.ls) && (closed ? end : end_) - steps.back().date > 10) {
    final_placement.ls = c->uasc ? "V2" : "C1";
  }
  if (steps.size() == 1) {
    steps[0].placement = final_placement;
  } else {
    const Placement& prev = steps[steps.size() - 2].placement;
    const Placement& want = final_placement;
    Step& fin = steps.back();
    fin.temporary = false;
    fin.placement = want;
    if (want.ls != prev.ls && want.place == prev.place) {
      fin.rne = "L";
      fin.placement.provider = prev.provider;
      fin.placement.pl_post = prev.pl_post;
      fin.placement.urn = prev.urn;
    } else {
      fin.rne = want.ls != prev.ls ? "T" : "P";
    }
  }

  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    Episode e;
    e.decom = s.date;
    e.rne = s.rne;
    e.ls = s.placement.ls;
    e.cin = cin;
    e.place = s.placement.place;
    e.provider = s.placement.provider;
    e.home_post = c->home_post;
    e.pl_post = s.placement.place == "P1" ? c->home_post : s.placement.pl_post;
    e.urn = s.placement.urn;
    if (i + 1 < steps.size()) {
      e.has_dec = true;
      e.dec = steps[i + 1].date;
      e.rec = "X1";
      const std::string& next_rne = steps[i + 1].rne;
      if ((next_rne == "P" || next_rne == "T" || next_rne == "U" || next_rne == "B") &&
          !IsTemporary(e.place)) {
        e.reason = rng_.Pick(kReasonPlaceChange);
      }
    } else if (closed) {
      e.has_dec = true;
      e.dec = end;
      e.rec = rec;
    }
    c->episodes.push_back(std::move(e));
  }
}

void LaGenerator::AddPreviousPeriod(Child* c, Day next_start) {
  // A returner: an earlier period of care that ended a few weeks to three years before this one.
  const Day prev_end = next_start - static_cast<Day>(rng_.Between(14, 1000));
  const Day prev_start = prev_end - static_cast<Day>(rng_.Between(20, 700));
  if (prev_start < c->dob) return;
  const int age = AgeOn(c->dob, prev_end);
  Placement last = CurrentPlacement(age, c->uasc);
  if (IsAdoptionPlace(last.place)) last = NewPlacement(PlaceCode(kFoster), "C2");
  BuildPeriod(c, prev_start, true, prev_end, rng_.Pick(kReasonPreviousPeriod), last);
}

// ---------------------------------------------------------------------------------------------
// Cohorts.
// ---------------------------------------------------------------------------------------------

void LaGenerator::AddLookedAfter(bool uasc) {
  Child c;
  SetIdentity(&c, uasc);
  int age;
  if (uasc) {
    // UASC are nearly all 16 or 17.
    age = static_cast<int>(rng_.Weighted({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 10, 20, 30, 80,
                                          380, 470}));
  } else {
    // Non-UASC age bands chosen so that, with UASC, the national mix is ~5/13/17/38/27%.
    const int band = static_cast<int>(rng_.Weighted({500, 1300, 1700, 3665, 1935}));
    static constexpr int kLo[] = {0, 1, 5, 10, 16};
    static constexpr int kHi[] = {0, 4, 9, 15, 17};
    age = static_cast<int>(rng_.Between(kLo[band], kHi[band]));
  }
  c.dob = DobForAge(age, end_);
  c.sex = DrawSex(uasc, uasc ? 0.95 : 0.521);
  c.upn = NewUpn(age);
  c.home_post = uasc ? (rng_.Chance(0.3) ? Postcode(la_index_) : "")
                     : (rng_.Chance(0.97) ? Postcode(la_index_) : "");

  // Started this year (B) or before (A). Babies born this year started this year.
  bool in_year = c.dob >= start_ || rng_.Chance(uasc ? 0.40 : 0.215);
  Day first = 0;
  if (!in_year) {
    const Day lo = std::max(uasc ? AddYears(c.dob, 13) : c.dob,
                            uasc ? start_ - 3 * 365 : AddYears(start_, -18));
    if (lo > start_ - 1) {
      in_year = true;
    } else {
      const int64_t span = (start_ - 1) - lo + 1;
      // The smaller of two draws: recent starts are likelier. (Two statements: the order of
      // calls inside one expression is unspecified, and output must not depend on compilers.)
      const uint64_t draw1 = rng_.Below(span);
      const uint64_t draw2 = rng_.Below(span);
      const int64_t back = static_cast<int64_t>(std::min(draw1, draw2));
      first = static_cast<Day>(start_ - 1 - back);
    }
  }
  if (in_year) {
    const Day lo = std::max(c.dob, start_);
    const double edge = rng_.Unit();
    if (edge < 0.01) {
      first = lo;  // first day of the year (01/04) or day of birth
    } else if (edge < 0.015) {
      first = end_;  // starts on 31 March
    } else if (c.dob >= start_ && rng_.Chance(0.35)) {
      first = std::min<Day>(end_, c.dob + static_cast<Day>(rng_.Between(0, 7)));  // at birth
    } else {
      first = UniformDay(lo, end_);
    }
    if (rng_.Chance(0.06)) AddPreviousPeriod(&c, first);
  }

  const Placement current = CurrentPlacement(age, uasc);
  const double edge = rng_.Unit();
  if (edge < 0.01) {
    // Still looked after at 31 March, but left care in April: DEC after R with a real REC.
    const Day left = end_ + static_cast<Day>(rng_.Between(1, 45));
    BuildPeriod(&c, first, true, left, rng_.Pick(kReasonAfterYearEnd), current);
  } else {
    BuildPeriod(&c, first, false, 0, "", current);
    if (edge < 0.02) {
      // The export was taken after a move on or after 01 April: the episode open at 31 March
      // ends with X1 after R and a new open episode follows.
      Episode& open = c.episodes.back();
      const Day move = end_ + static_cast<Day>(rng_.Between(1, 20));
      open.has_dec = true;
      open.dec = move;
      open.rec = "X1";
      open.reason = rng_.Pick(kReasonPlaceChange);
      Episode next = open;
      next.decom = move;
      next.has_dec = false;
      next.dec = 0;
      next.rec.clear();
      next.reason.clear();
      next.rne = "P";
      Group g = GroupOf(open.place) == kAdoption ? kAdoption : DrawGroup(age, uasc);
      if (g == kAdoption && open.ls != "E1" && open.ls != "D1") g = kFoster;
      const Placement p = NewPlacement(PlaceCode(g), open.ls);
      next.place = p.place;
      next.provider = p.provider;
      next.pl_post = p.place == "P1" ? c.home_post : p.pl_post;
      next.urn = p.urn;
      if (next.place == "P1" && next.ls != "C1" && next.ls != "C2") next.place = "U6";
      c.episodes.push_back(std::move(next));
    }
  }
  MaybeMother(&c);
  SetSensitive(&c, false);
  AddMissing(&c);
  children_.push_back(std::move(c));
}

void LaGenerator::AddCeased() {
  Child c;
  const std::string rec = rng_.Pick(kReasonCeased);
  const bool at_majority_reason = rec == "E5" || rec == "E6" || rec == "E17" || rec == "E7";
  bool uasc = rec == "E15";
  if (!uasc && (at_majority_reason || rec == "E8" || rec == "E3" || rec == "E16")) {
    uasc = rng_.Chance(std::min(0.6, uasc_share_ * 2.0));
  }
  SetIdentity(&c, uasc);

  // DEC first, then a date of birth consistent with the reason.
  Day dec;
  const double edge = rng_.Unit();
  if (edge < 0.02) {
    dec = end_;  // ceased on 31 March: not looked after at R
  } else if (edge < 0.03) {
    dec = start_;
  } else {
    dec = UniformDay(start_, end_);
  }
  const bool at_18 = (at_majority_reason && rng_.Chance(0.85)) ||
                     (rec == "E8" && (uasc || rng_.Chance(0.3)));
  int age_at_dec;
  if (at_18) {
    c.dob = DobForAge(18, end_);
    // Leave on the 18th birthday; shift into the year if the birthday is not in it.
    dec = AddYears(c.dob, 18);
    if (dec < start_ || dec > end_) {
      c.dob = UniformDay(AddYears(start_, -18), AddYears(end_, -18));
      dec = AddYears(c.dob, 18);
    }
    age_at_dec = 18;
  } else {
    if (rec == "E11" || rec == "E12") {
      age_at_dec = 1 + static_cast<int>(rng_.Weighted({2500, 2500, 1800, 1200, 800, 500, 300, 200,
                                                       200}));
    } else if (IsSgoOrCao(rec)) {
      age_at_dec = 1 + static_cast<int>(rng_.Weighted({20, 18, 15, 12, 10, 8, 6, 5, 3, 2, 1}));
    } else if (rec == "E9") {
      age_at_dec = static_cast<int>(rng_.Between(14, 17));
    } else if (rec == "E14") {
      age_at_dec = static_cast<int>(rng_.Between(12, 17));
    } else if (uasc || at_majority_reason || rec == "E15") {
      age_at_dec = static_cast<int>(rng_.Between(16, 17));
    } else if (rec == "E2") {
      age_at_dec = rng_.Chance(0.5) ? 0 : static_cast<int>(rng_.Between(1, 17));
    } else {
      const int band = static_cast<int>(rng_.Weighted({8, 18, 18, 40, 16}));
      static constexpr int kLo[] = {0, 1, 5, 10, 16};
      static constexpr int kHi[] = {0, 4, 9, 15, 17};
      age_at_dec = static_cast<int>(rng_.Between(kLo[band], kHi[band]));
    }
    c.dob = DobForAge(age_at_dec, dec);
    if (c.dob > dec - 2) c.dob = dec - 2;
  }
  c.sex = DrawSex(uasc, uasc ? 0.94 : 0.52);
  c.upn = NewUpn(AgeOn(c.dob, end_));
  c.home_post = uasc ? (rng_.Chance(0.3) ? Postcode(la_index_) : "")
                     : (rng_.Chance(0.97) ? Postcode(la_index_) : "");

  // How long the period of care lasted, by reason (days).
  int64_t min_days = 30, max_days = 1500;
  if (rec == "E11" || rec == "E12") {
    min_days = 300, max_days = 1400;
  } else if (IsSgoOrCao(rec)) {
    min_days = 200, max_days = 1100;
  } else if (rec == "E4A" || rec == "E4B" || rec == "E13") {
    if (rng_.Chance(0.6)) min_days = 7, max_days = 250;
    else min_days = 250, max_days = 1500;
  } else if (rec == "E14") {
    min_days = 3, max_days = 150;
  } else if (rec == "E15") {
    min_days = 10, max_days = 300;
  } else if (at_18) {
    min_days = uasc ? 120 : 200, max_days = uasc ? 1000 : 4000;
  }
  Day first = std::max<Day>(c.dob, dec - static_cast<Day>(rng_.Between(min_days, max_days)));
  if (first >= dec) first = dec - 1;
  if (first >= start_ && rng_.Chance(0.06)) AddPreviousPeriod(&c, first);

  BuildPeriod(&c, first, true, dec, rec, FinalPlacementFor(rec, AgeOn(c.dob, dec), uasc));
  MaybeMother(&c);
  SetSensitive(&c, false);
  AddMissing(&c);
  if (at_18 && rng_.Chance(0.7)) SetOc3(&c);  // leavers at 18 are followed up in OC3
  children_.push_back(std::move(c));
}

void LaGenerator::AddShortBreakChild() {
  Child c;
  SetIdentity(&c, false);
  const int age = static_cast<int>(rng_.Between(5, 17));
  c.dob = DobForAge(age, end_);
  c.sex = DrawSex(false, 0.62);
  c.upn = NewUpn(age);
  c.home_post = Postcode(la_index_);
  const std::string ls = rng_.Chance(0.7) ? "V4" : "V3";
  const int breaks = ls == "V3" ? 1 : static_cast<int>(rng_.Between(2, 6));
  const bool home = rng_.Chance(0.4);
  const Placement setting = NewPlacement(home ? "K2" : rng_.Pick({{"U4", 40}, {"U6", 60}}), ls);
  const std::string cin = rng_.Chance(0.85) ? "N2" : "N1";
  // Breaks of 1-7 nights spread over the year, in order and never overlapping; sometimes the
  // last one runs over 31 March (still ignored: short breaks never make a child CLA).
  const int64_t slot = (end_ - start_ + 1) / breaks;
  for (int i = 0; i < breaks; ++i) {
    Episode e;
    const Day slot_start = start_ + static_cast<Day>(i * slot);
    e.decom = slot_start + static_cast<Day>(rng_.Between(0, slot - 10));
    e.has_dec = true;
    e.dec = e.decom + static_cast<Day>(rng_.Between(1, 7));
    if (i == breaks - 1 && rng_.Chance(0.1)) {
      e.decom = end_ - static_cast<Day>(rng_.Between(0, 3));
      e.dec = end_ + static_cast<Day>(rng_.Between(1, 5));
    }
    e.rne = "S";
    e.ls = ls;
    e.cin = cin;
    e.place = setting.place;
    e.provider = setting.provider;
    e.rec = rng_.Chance(0.9) ? "E13" : "E4A";
    e.home_post = c.home_post;
    e.pl_post = setting.pl_post;
    e.urn = setting.urn;
    c.episodes.push_back(std::move(e));
  }
  SetSensitive(&c, false);
  children_.push_back(std::move(c));
}

void LaGenerator::SetOc3(Child* c) {
  c->oc3 = true;
  if (rng_.Chance(0.03)) return;  // all three blank: counted in `leavers` only
  c->in_touch = rng_.Pick(kInTouch);
  if (c->in_touch == "YES" || c->in_touch == "NREQ") {
    c->activ = rng_.Pick(kActivity);
    c->accom = rng_.Pick(kAccommodation);
  } else {
    c->activ = "0";
    c->accom = "0";
  }
}

void LaGenerator::AddCareLeaver(bool former_uasc, int age_in_year) {
  Child c;
  SetIdentity(&c, former_uasc);
  // The birthday at `age_in_year` falls in the collection year.
  c.dob = UniformDay(AddYears(start_, -age_in_year), AddYears(end_, -age_in_year));
  c.sex = DrawSex(former_uasc, former_uasc ? 0.93 : 0.53);
  c.upn = NewUpn(age_in_year);
  SetOc3(&c);
  MaybeMother(&c);
  SetSensitive(&c, true);
  children_.push_back(std::move(c));
}

void LaGenerator::AddMissing(Child* c) {
  // Children in care during the year: ~1 in 5 of those aged 11+ has missing or away episodes.
  Day from = end_ + 1, to = start_ - 1;  // the part of the year the child was in care
  for (const Episode& e : c->episodes) {
    if (IsShortBreak(e.ls)) continue;
    const Day last = e.has_dec ? e.dec : end_;
    if (e.decom > end_ || last < start_) continue;
    from = std::min(from, std::max(e.decom, start_));
    to = std::max(to, std::min(last, end_));
  }
  if (to < from) return;
  const int age = AgeOn(c->dob, end_);
  if (!rng_.Chance(age >= 11 ? 0.22 : 0.015)) return;
  const int spells = rng_.Chance(0.7) ? static_cast<int>(rng_.Between(1, 3))
                                      : static_cast<int>(rng_.Between(4, 20));
  const double away_share = rng_.Chance(0.3) ? 0.7 : 0.1;
  for (int i = 0; i < spells; ++i) {
    MissingSpell m;
    m.away = rng_.Chance(away_share);
    m.start = UniformDay(from, to);
    // A few spells from before the year (still in the LA's export) must be left out by the node.
    if (rng_.Chance(0.04) && from - 200 > c->dob) {
      m.start = from - static_cast<Day>(rng_.Between(1, 200));
    }
    m.end = m.start + static_cast<Day>(rng_.Between(0, 3));
    if (m.end > end_ && m.start <= end_ && rng_.Chance(0.5)) m.has_end = false;  // still missing
    c->missing.push_back(m);
  }
  // Stable: spells starting on one day keep their drawn order on every standard library.
  std::stable_sort(c->missing.begin(), c->missing.end(),
                   [](const MissingSpell& a, const MissingSpell& b) { return a.start < b.start; });
}

// ---------------------------------------------------------------------------------------------
// The whole LA.
// ---------------------------------------------------------------------------------------------

int Round(double x) { return static_cast<int>(x + 0.5); }

// An approximately normal multiplier 1 + 0.28 z (z from twelve uniforms, so libm stays out),
// fixed per LA: drawn from a stream of the LA's code alone, never the run's seed.
double RateFactor(size_t la_index) {
  const auto& las = catalogue::AllLocalAuthorities();
  Rng rng = Rng::ForStream(0x7261746573ULL, las[la_index].new_la_code, 0);
  double z = -6.0;
  for (int i = 0; i < 12; ++i) z += rng.Unit();
  return std::max(0.3, 1.0 + 0.28 * z);
}

int64_t PopulationOf(const LocalAuthority& la, int year) {
  const int64_t p = catalogue::Population0To17(la.new_la_code, year);
  return p > 0 ? p : la.population_0_17;
}

// Scales RateFactor so that England's population-weighted mean factor is exactly 1.
double RateNorm(int year) {
  const auto& las = catalogue::AllLocalAuthorities();
  double weighted = 0.0, total = 0.0;
  for (size_t i = 0; i < las.size(); ++i) {
    const double p = static_cast<double>(PopulationOf(las[i], year));
    weighted += p * RateFactor(i);
    total += p;
  }
  return weighted > 0.0 ? total / weighted : 1.0;
}

LaDataset LaGenerator::Run() {
  // The LA's rate per 10,000 children: around England's ~70 (DfE: 70-71 in 2023-24), spread
  // 30-130 between LAs. The spread is a fixed property of each made-up LA (RateFactor), and
  // normalised over the registry so that England's total is stable whatever the seed; the seed
  // only adds a +-3% wobble.
  const double centre = year_ <= 2021 ? 67.0 : year_ <= 2023 ? 70.0 : year_ == 2024 ? 69.6 : 69.0;
  const double wobble = 0.97 + 0.06 * rng_.Unit();
  const double rate =
      std::clamp(centre * RateFactor(la_index_) * RateNorm(year_) * wobble, 30.0, 130.0);
  uasc_share_ = 0.045 + 0.09 * rng_.Unit();
  const int64_t population = PopulationOf(la_, year_);

  const int cla = std::max(1, Round(static_cast<double>(population) * rate / 10000.0 * scale_));
  const int cla_uasc = Round(cla * uasc_share_);
  const int ceased = Round(cla * (0.33 + 0.08 * rng_.Unit()));
  const int short_breaks = Round(cla * (0.02 + 0.04 * rng_.Unit()));
  const int leavers = Round(cla * (0.50 + 0.20 * rng_.Unit()));

  for (int i = 0; i < 8 + cla / 60; ++i) {
    home_urns_.push_back(absl::StrFormat("SC%06d", static_cast<int>(rng_.Below(1000000))));
  }
  for (int i = 0; i < cla; ++i) AddLookedAfter(i < cla_uasc);
  for (int i = 0; i < ceased; ++i) AddCeased();
  for (int i = 0; i < short_breaks; ++i) AddShortBreakChild();
  const double former_uasc = std::min(0.5, uasc_share_ * 2.0);
  for (int i = 0; i < leavers; ++i) {
    const bool uasc = rng_.Chance(former_uasc);
    const int age = uasc ? static_cast<int>(rng_.Weighted({0, 20, 26, 26, 24, 2, 1, 1}) + 17)
                         : static_cast<int>(rng_.Weighted({13, 17, 24, 23, 20, 1, 1, 1, 1}) + 17);
    AddCareLeaver(uasc, age);
  }
  return Render();
}

std::string SexCode(Sex s, int year) {
  if (year <= 2024) return s == Sex::kFemale ? "2" : "1";
  switch (s) {
    case Sex::kMale: return "M";
    case Sex::kFemale: return "F";
    case Sex::kUnknown: return "U";
  }
  return "U";
}

SynthTable EmptyTable(node::Table t, const char* file_name) {
  SynthTable table;
  table.file_name = file_name;
  for (const node::TableSchema& s : node::AllTableSchemas()) {
    if (s.table == t) table.columns = s.columns;
  }
  return table;
}

// ---------------------------------------------------------------------------------------------
// The other tables and the postcode table.
// ---------------------------------------------------------------------------------------------

constexpr WeightedCode kReviewCodes[] = {{"PN1", 45}, {"PN2", 15}, {"PN3", 10}, {"PN4", 5},
                                         {"PN5", 10}, {"PN6", 10}, {"PN7", 5}};
constexpr WeightedCode kSdqReasons[] = {{"SDQ1", 20}, {"SDQ2", 25}, {"SDQ3", 10}, {"SDQ4", 35},
                                        {"SDQ5", 10}};
constexpr WeightedCode kSwReasons[] = {{"MANAGE", 15}, {"FCONTA", 5}, {"LEFTRL", 30},
                                       {"ORGRST", 15}, {"TSPROC", 10}, {"ABSENC", 5},
                                       {"CHCHAN", 5},  {"PCCHAN", 5},  {"SWDIED", 0},
                                       {"OTHERS", 10}};
constexpr WeightedCode kPrevPerm[] = {{"Z1", 850}, {"P1", 30}, {"P2", 50}, {"P3", 50}, {"P4", 20}};

// A period of care: consecutive non-short-break episodes from an RNE S episode to the one that
// ends it (a REC other than X1) or to the open one.
struct Period {
  Day start = 0;
  bool open = true;
  Day end = 0;  // DEC of the last episode when closed
  std::vector<const Episode*> episodes;
};

std::vector<Period> PeriodsOf(const Child& c) {
  std::vector<Period> periods;
  for (const Episode& e : c.episodes) {
    if (IsShortBreak(e.ls)) continue;
    if (e.rne == "S" || periods.empty() || !periods.back().open) {
      periods.emplace_back();
      periods.back().start = e.decom;
    }
    Period& p = periods.back();
    p.episodes.push_back(&e);
    if (e.has_dec && e.rec != "X1") {
      p.open = false;
      p.end = e.dec;
    }
  }
  return periods;
}

void LaGenerator::PostcodeEdgeCases() {
  // Children in care at 31 March, not UASC, whose current placement has an ordinary postcode.
  std::vector<Child*> candidates;
  for (Child& c : children_) {
    if (c.uasc || c.episodes.empty()) continue;
    const Episode& last = c.episodes.back();
    if (last.has_dec || IsShortBreak(last.ls) || last.place == "P1" || last.pl_post.empty() ||
        !LookupPostcode(last.pl_post).has_value()) {
      continue;
    }
    candidates.push_back(&c);
  }
  rng_.Shuffle(&candidates);
  for (size_t k = 0; k < candidates.size() && k < 3; ++k) {
    Child& c = *candidates[k];
    const std::string old = c.episodes.back().pl_post;
    const std::string now = k == 2 ? AbsentPostcode(&rng_)
                                   : SpecialPostcode(la_index_, /*blank_coordinates=*/k == 0, &rng_);
    for (Episode& e : c.episodes) {
      if (e.pl_post == old && e.place != "P1") e.pl_post = now;
    }
  }
}

std::string LaGenerator::AsExported(const std::string& postcode) {
  if (postcode.empty() || !rng_.Chance(0.015)) return postcode;
  std::string out = postcode;
  switch (rng_.Below(4)) {
    case 0:  // lower case
      for (char& ch : out) ch = absl::ascii_tolower(static_cast<unsigned char>(ch));
      return out;
    case 1:  // no space
      out.erase(std::remove(out.begin(), out.end(), ' '), out.end());
      return out;
    case 2:  // two spaces
      return absl::StrReplaceAll(out, {{" ", "  "}});
    default:  // padded and mixed case
      out[out.size() - 1] = absl::ascii_tolower(static_cast<unsigned char>(out.back()));
      return absl::StrCat(" ", out, " ");
  }
}

void LaGenerator::AddOtherRows(const Child& c, const std::string& dob, const OtherTables& t) {
  const std::vector<Period> periods = PeriodsOf(c);
  if (periods.empty()) return;
  const Period& last = periods.back();
  const bool cla = last.start <= end_ && (last.open || last.end > end_);

  // Reviews: 20 days after a period starts, three months later, then every six months.
  for (const Period& p : periods) {
    const Day stop = p.open ? end_ : std::min(end_, p.end - 1);
    if (p.start > end_ || stop < start_) continue;
    Day due = p.start + 20;
    for (int n = 0; due <= stop; ++n) {
      const Day held = std::clamp<Day>(due + static_cast<Day>(rng_.Between(-7, 3)), p.start, stop);
      if (held >= start_) {
        const std::string code =
            AgeOn(c.dob, held) < 4 ? std::string("PN0") : std::string(rng_.Pick(kReviewCodes));
        t.reviews->rows.push_back({c.id, dob, FormatDate(held), code});
      }
      due += n == 0 ? 91 : 182;
    }
  }

  // OC2: looked after continuously for at least twelve months at 31 March.
  if (cla && last.start <= end_ - 365) {
    const int age = AgeOn(c.dob, end_);
    std::string score, reason;
    if (age >= 4 && age <= 16) {
      if (rng_.Chance(0.78)) {
        int64_t sum = 0;
        for (int i = 0; i < 4; ++i) sum += rng_.Between(0, 8);
        score = absl::StrCat(std::min<int64_t>(40, sum));
      } else {
        reason = rng_.Pick(kSdqReasons);
      }
    }
    const bool misuse = age >= 10 && rng_.Chance(0.05);
    const bool received = misuse && rng_.Chance(0.6);
    const bool offered = misuse && (received || rng_.Chance(0.5));
    t.oc2->rows.push_back({c.id, dob, score, reason,
                           age >= 10 && rng_.Chance(0.03) ? "1" : "0",
                           rng_.Chance(0.89) ? "1" : "0", rng_.Chance(0.85) ? "1" : "0",
                           rng_.Chance(age < 5 ? 0.6 : 0.8) ? "1" : "0",
                           rng_.Chance(0.9) ? "1" : "0", misuse ? "1" : "0",
                           misuse ? (received ? "1" : "0") : "", misuse ? (offered ? "1" : "0") : ""});
  }

  // Adoption: the decision to place (PlacedAdoption) and, for children adopted this year, AD1.
  for (const Period& p : periods) {
    const Episode* first_adoptive = nullptr;  // first E1/D1 or adoptive placement
    const Episode* adopted = nullptr;
    for (const Episode* e : p.episodes) {
      if (first_adoptive == nullptr &&
          (e->ls == "E1" || e->ls == "D1" || IsAdoptionPlace(e->place))) {
        first_adoptive = e;
      }
      if (e->has_dec && (e->rec == "E11" || e->rec == "E12")) adopted = e;
    }
    if (first_adoptive == nullptr || first_adoptive->decom > end_) continue;
    if (!p.open && p.end < start_) continue;
    const Day floor = std::max(c.dob, p.start);
    Day placed_day = first_adoptive->decom;
    for (const Episode* e : p.episodes) {
      if (IsAdoptionPlace(e->place)) {
        placed_day = e->decom;
        break;
      }
    }
    const Day match = std::max(floor, placed_day - static_cast<Day>(rng_.Between(10, 60)));
    const Day decision = std::max(
        floor, std::min(match, first_adoptive->decom - static_cast<Day>(rng_.Between(30, 300))));
    // A placement order revoked: the last E1/D1 episode is followed by another legal status.
    std::string ceased, reason;
    if (adopted == nullptr) {
      const Episode* after = nullptr;
      bool in_order = false;
      for (const Episode* e : p.episodes) {
        const bool order = e->ls == "E1" || e->ls == "D1";
        if (in_order && !order) after = e;
        if (order) after = nullptr;
        in_order = order;
      }
      if (after != nullptr && after->decom >= decision) {
        ceased = FormatDate(after->decom);
        reason = rng_.Pick({{"RD1", 40}, {"RD2", 5}, {"RD3", 15}, {"RD4", 40}});
      }
    }
    t.placed->rows.push_back({c.id, dob, FormatDate(decision), ceased, reason});
    if (adopted != nullptr && adopted->dec >= start_ && adopted->dec <= end_) {
      const bool single = rng_.Chance(0.12);
      std::string sex, ls;
      if (single) {
        sex = rng_.Chance(0.9) ? "F1" : "M1";
        ls = "L0";
      } else {
        sex = rng_.Pick({{"MF", 85}, {"MM", 8}, {"FF", 7}});
        ls = sex == "MF" ? rng_.Pick({{"L11", 75}, {"L3", 25}})
                         : rng_.Pick({{"L12", 40}, {"L2", 40}, {"L3", 20}});
      }
      t.ad1->rows.push_back({c.id, dob, FormatDate(decision), FormatDate(match),
                             rng_.Chance(0.12) ? "1" : "0", single ? "1" : "2", sex, ls});
    }
  }

  // PrevPerm: children who started a period of care in the year.
  const Period* started = nullptr;
  for (const Period& p : periods) {
    if (p.start >= start_ && p.start <= end_) started = &p;
  }
  if (started != nullptr) {
    std::string perm = rng_.Pick(kPrevPerm), la, date;
    if (perm == "P1" || perm == "P2" || perm == "P3") {
      const Day lo = c.dob + 180, hi = started->start - 30;
      if (hi <= lo) {
        perm = "Z1";
      } else {
        const auto& all = catalogue::AllLocalAuthorities();
        la = rng_.Chance(0.6) ? LaDigits(la_, la_index_)
                              : LaDigits(all[rng_.Below(all.size())], 0);
        date = FormatDate(UniformDay(lo, hi));
      }
    }
    t.prev_perm->rows.push_back({c.id, dob, perm, la, date});
  }

  // SWEpisodes: the child's allocated social workers while in care during the year.
  Day from = end_ + 1, to = start_ - 1, entered = 0;
  bool in_care_at_r = false;
  for (const Period& p : periods) {
    const Day last_day = p.open ? end_ : std::min(end_, p.end);
    if (p.start > end_ || last_day < start_) continue;
    if (p.start < from) {
      from = std::max(p.start, start_);
      entered = p.start;
    }
    to = std::max(to, last_day);
    in_care_at_r = p.open || p.end > end_;
  }
  if (from <= to && !social_workers_.empty()) {
    Day begin = entered >= start_ ? entered
                                  : std::max(entered, start_ - static_cast<Day>(rng_.Between(0, 400)));
    const int changes = static_cast<int>(rng_.Weighted({55, 30, 12, 3}));
    std::vector<Day> at;
    for (int i = 0; i < changes && to > from + 1; ++i) at.push_back(UniformDay(from + 1, to));
    std::sort(at.begin(), at.end());
    at.erase(std::unique(at.begin(), at.end()), at.end());
    std::string worker = social_workers_[rng_.Below(social_workers_.size())];
    for (size_t i = 0; i <= at.size(); ++i) {
      std::string end_date, why;
      if (i < at.size()) {
        end_date = FormatDate(at[i]);
        why = rng_.Pick(kSwReasons);
      } else if (!in_care_at_r) {
        end_date = FormatDate(to);
        why = "OTHERS";
      }
      t.sw->rows.push_back({c.id, worker, FormatDate(begin), end_date, why});
      if (i < at.size()) {
        begin = at[i];
        std::string next = social_workers_[rng_.Below(social_workers_.size())];
        if (next == worker) next = social_workers_[(rng_.Below(social_workers_.size()))];
        worker = next;
      }
    }
  }
}

SynthTable LaGenerator::PostcodeTable(const SynthTable& episodes) {
  SynthTable table = EmptyTable(node::Table::kPostcodes, "postcodes.csv");
  std::map<std::string, PostcodeRow> rows;  // by pcd, so the file is sorted and has no repeats
  std::unordered_set<std::string> seen;     // normalised, to look each postcode up once
  auto add = [&rows, &seen](const std::string& postcode) {
    std::string norm = NormalisePostcode(postcode);
    if (norm.empty() || !seen.insert(std::move(norm)).second) return;
    std::optional<PostcodeRow> row = LookupPostcode(postcode);
    if (row.has_value()) rows.emplace(row->pcd, *std::move(row));
  };
  const int home = episodes.Col("HOME_POST"), placed = episodes.Col("PL_POST");
  for (const auto& r : episodes.rows) {
    add(r[home]);
    add(r[placed]);
  }
  // Unused rows, as in a real extract: more of the LA's own postcodes and some neighbours',
  // and one of each edge case.
  const size_t extra = 10 + rows.size() / 10;
  for (size_t i = 0; i < extra; ++i) add(Postcode(la_index_));
  const std::vector<size_t>& near = NearLas(la_index_);
  for (int i = 0; i < 5; ++i) add(Postcode(near[rng_.Below(near.size())]));
  add(SpecialPostcode(la_index_, true, &rng_));
  add(SpecialPostcode(la_index_, false, &rng_));
  for (const auto& [pcd, row] : rows) {
    table.rows.push_back({row.pcd, row.has_coordinates ? absl::StrCat(row.at.east) : "",
                          row.has_coordinates ? absl::StrCat(row.at.north) : "", row.utla});
  }
  return table;
}

LaDataset LaGenerator::Render() {
  std::sort(children_.begin(), children_.end(),
            [](const Child& a, const Child& b) { return a.id < b.id; });
  for (Child& c : children_) {
    std::stable_sort(c.episodes.begin(), c.episodes.end(),
                     [](const Episode& a, const Episode& b) { return a.decom < b.decom; });
  }
  PostcodeEdgeCases();
  const int workers = 3 + static_cast<int>(children_.size() / 25);
  for (int i = 0; i < workers; ++i) {
    social_workers_.push_back(
        absl::StrFormat("SW%s%05d", LaDigits(la_, la_index_), static_cast<int>(rng_.Below(100000))));
  }
  SynthTable header = EmptyTable(node::Table::kHeader, "header.csv");
  SynthTable episodes = EmptyTable(node::Table::kEpisodes, "episodes.csv");
  SynthTable uasc = EmptyTable(node::Table::kUasc, "uasc.csv");
  SynthTable oc3 = EmptyTable(node::Table::kOc3, "oc3.csv");
  SynthTable missing = EmptyTable(node::Table::kMissing, "missing.csv");
  SynthTable sensitive = EmptyTable(node::Table::kSensitive, "sensitive.csv");
  SynthTable reviews = EmptyTable(node::Table::kReviews, "reviews.csv");
  SynthTable oc2 = EmptyTable(node::Table::kOc2, "oc2.csv");
  SynthTable ad1 = EmptyTable(node::Table::kAd1, "ad1.csv");
  SynthTable placed = EmptyTable(node::Table::kPlacedAdoption, "placed_adoption.csv");
  SynthTable prev_perm = EmptyTable(node::Table::kPrevPerm, "prev_perm.csv");
  SynthTable sw = EmptyTable(node::Table::kSwEpisodes, "sw_episodes.csv");
  const OtherTables others{&reviews, &oc2, &ad1, &placed, &prev_perm, &sw};

  LaDataset out;
  out.la_code = la_.new_la_code;
  out.year = year_;
  SynthSummary& sum = out.summary;
  for (Child& c : children_) {
    const std::string dob = FormatDate(c.dob);
    const std::string sex = SexCode(c.sex, year_);
    header.rows.push_back({c.id, sex, dob, c.ethnic, c.upn, c.mother, c.mc_dob});
    bool is_cla = false, started = false, ceased = false, any_non_sb = false;
    for (const Episode& e : c.episodes) {
      episodes.rows.push_back({c.id, FormatDate(e.decom), e.rne, e.ls, e.cin, e.place, e.provider,
                               e.has_dec ? FormatDate(e.dec) : "", e.rec, e.reason,
                               AsExported(e.home_post), AsExported(e.pl_post), e.urn});
      if (IsShortBreak(e.ls)) continue;
      any_non_sb = true;
      if (e.decom <= end_ && (!e.has_dec || e.dec > end_)) is_cla = true;
      if (e.rne == "S" && e.decom >= start_ && e.decom <= end_) started = true;
      if (e.has_dec && e.rec != "X1" && e.dec >= start_ && e.dec <= end_) ceased = true;
    }
    sum.cla += is_cla;
    sum.started += started;
    sum.ceased += ceased;
    sum.short_break_only += !c.episodes.empty() && !any_non_sb;
    if (c.uasc) {
      uasc.rows.push_back(
          {c.id, sex, dob, c.duc_masked ? kMaskedDate : FormatDate(AddYears(c.dob, 18))});
    }
    if (c.oc3) oc3.rows.push_back({c.id, dob, c.in_touch, c.activ, c.accom});
    for (const MissingSpell& m : c.missing) {
      missing.rows.push_back({c.id, dob, m.away ? "A" : "M", FormatDate(m.start),
                              m.has_end ? FormatDate(m.end) : ""});
    }
    if (c.has_sensitive) sensitive.rows.push_back({c.id, c.nationality, c.immigration, c.nrpf});
    AddOtherRows(c, dob, others);
  }
  SynthTable postcodes = PostcodeTable(episodes);
  sum.children = static_cast<int>(header.rows.size());
  sum.uasc = static_cast<int>(uasc.rows.size());
  sum.care_leavers = static_cast<int>(oc3.rows.size());
  sum.episodes = static_cast<int>(episodes.rows.size());
  sum.postcodes = static_cast<int>(postcodes.rows.size());
  out.tables.push_back(std::move(header));
  out.tables.push_back(std::move(episodes));
  out.tables.push_back(std::move(uasc));
  out.tables.push_back(std::move(oc3));
  out.tables.push_back(std::move(missing));
  out.tables.push_back(std::move(sensitive));
  out.tables.push_back(std::move(reviews));
  out.tables.push_back(std::move(oc2));
  out.tables.push_back(std::move(ad1));
  out.tables.push_back(std::move(placed));
  out.tables.push_back(std::move(prev_perm));
  out.tables.push_back(std::move(sw));
  out.tables.push_back(std::move(postcodes));
  return out;
}

absl::Status CheckYearAndScale(int year, double scale) {
  if (year < kFirstSynthYear || year > kLastSynthYear) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "year %d is outside %d..%d", year, kFirstSynthYear, kLastSynthYear));
  }
  if (!(scale > 0.0) || scale > kMaxScale) {
    return absl::InvalidArgumentError(
        absl::StrFormat("scale %g is outside (0, %g]", scale, kMaxScale));
  }
  return absl::OkStatus();
}

void AppendCsvField(absl::string_view field, std::string* out) {
  // A plain loop: find_first_of builds a lookup table on every call, and this runs per field.
  bool plain = true;
  for (char ch : field) {
    if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char ch : field) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

void AppendCsvRow(const std::vector<std::string>& fields, std::string* out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendCsvField(fields[i], out);
  }
  out->push_back('\n');
}

absl::Status MakeDirectory(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    const std::string message = absl::StrCat(path, ": cannot create folder: ", ec.message());
    return ec == std::errc::permission_denied ? absl::PermissionDeniedError(message)
                                              : absl::InternalError(message);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<const LocalAuthority*>> ChooseLocalAuthorities(
    const SynthOptions& options) {
  const std::vector<LocalAuthority>& all = catalogue::AllLocalAuthorities();
  std::vector<const LocalAuthority*> chosen;
  if (!options.la_codes.empty() && options.la_count != 0) {
    return absl::InvalidArgumentError("give either a list of LA codes or an LA count, not both");
  }
  if (!options.la_codes.empty()) {
    std::set<std::string> seen;
    for (const std::string& code : options.la_codes) {
      const LocalAuthority* la = catalogue::FindLocalAuthority(code);
      if (la == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown LA code '", code, "' (expected an ONS code such as E09000033)"));
      }
      if (!seen.insert(code).second) {
        return absl::InvalidArgumentError(absl::StrCat("LA code ", code, " given twice"));
      }
      chosen.push_back(la);
    }
    return chosen;
  }
  const int total = static_cast<int>(all.size());
  if (options.la_count < 1 || options.la_count > total) {
    return absl::InvalidArgumentError(
        absl::StrFormat("LA count must be from 1 to %d, got %d", total, options.la_count));
  }
  // Round-robin over the regions in a seed-shuffled order, taking a seed-shuffled LA of each.
  const std::vector<catalogue::Region>& regions = catalogue::AllRegions();
  std::vector<std::vector<size_t>> by_region(regions.size());
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t r = 0; r < regions.size(); ++r) {
      if (all[i].region_code == regions[r].region_code) by_region[r].push_back(i);
    }
  }
  Rng rng = Rng::ForStream(options.seed, "la-choice", 0);
  std::vector<size_t> order(regions.size());
  for (size_t r = 0; r < order.size(); ++r) order[r] = r;
  rng.Shuffle(&order);
  for (auto& list : by_region) rng.Shuffle(&list);
  std::vector<size_t> next(regions.size(), 0);
  std::vector<size_t> picked;
  for (size_t turn = 0; static_cast<int>(picked.size()) < options.la_count; ++turn) {
    const size_t r = order[turn % order.size()];
    if (next[r] < by_region[r].size()) picked.push_back(by_region[r][next[r]++]);
  }
  std::sort(picked.begin(), picked.end());
  for (size_t i : picked) chosen.push_back(&all[i]);
  return chosen;
}

absl::StatusOr<LaDataset> GenerateLaDataset(const LocalAuthority& la, int year, uint64_t seed,
                                            double scale) {
  RINGFENCE_RETURN_IF_ERROR(CheckYearAndScale(year, scale));
  const std::vector<LocalAuthority>& all = catalogue::AllLocalAuthorities();
  size_t index = 0;
  bool found = false;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].new_la_code == la.new_la_code) {
      index = i;
      found = true;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError(absl::StrCat("unknown LA code '", la.new_la_code, "'"));
  }
  LaGenerator generator(all[index], index, year, seed, scale);
  return generator.Run();
}

int SynthTable::Col(absl::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string RenderTable(const SynthTable& table) {
  std::string out;
  AppendCsvRow(table.columns, &out);
  for (const auto& row : table.rows) AppendCsvRow(row, &out);
  return out;
}

absl::StatusOr<std::vector<SynthFile>> GenerateLaFiles(const LocalAuthority& la, int year,
                                                       uint64_t seed, double scale) {
  RINGFENCE_ASSIGN_OR_RETURN(LaDataset dataset, GenerateLaDataset(la, year, seed, scale));
  std::vector<SynthFile> files;
  for (const SynthTable& t : dataset.tables) files.push_back({t.file_name, RenderTable(t)});
  return files;
}

std::string RenderManifest(const std::vector<const LocalAuthority*>& las,
                           const std::vector<SynthSummary>& summaries) {
  std::string out;
  AppendCsvRow({"la_code", "la_name", "region_code", "region_name", "children"}, &out);
  for (size_t i = 0; i < las.size() && i < summaries.size(); ++i) {
    AppendCsvRow({las[i]->new_la_code, las[i]->la_name, las[i]->region_code,
                  las[i]->region_name, absl::StrCat(summaries[i].children)},
                 &out);
  }
  return out;
}

namespace {

std::string Join(const std::string& folder, const std::string& name) {
  return (std::filesystem::path(folder) / name).string();
}

absl::Status WriteExtras(const std::string& folder, const InjectedFaults& faults) {
  for (const SynthFile& f : faults.extra_files) {
    RINGFENCE_RETURN_IF_ERROR(base::WriteFileAtomically(Join(folder, f.name), f.contents));
  }
  std::string expected;
  for (const std::string& line : faults.expected) absl::StrAppend(&expected, line, "\n");
  return base::WriteFileAtomically(Join(folder, "expected_errors.txt"), expected);
}

}  // namespace

absl::Status GenerateSynthetic(const SynthOptions& options,
                               std::vector<SynthSummary>* summaries) {
  if (options.out_dir.empty()) return absl::InvalidArgumentError("no output folder given");
  RINGFENCE_RETURN_IF_ERROR(CheckYearAndScale(options.year, options.scale));
  RINGFENCE_ASSIGN_OR_RETURN(std::vector<const LocalAuthority*> las,
                             ChooseLocalAuthorities(options));
  RINGFENCE_RETURN_IF_ERROR(MakeDirectory(options.out_dir));
  std::vector<SynthSummary> done;
  // Single folder: each table's rows, rendered LA after LA, and the union of postcode rows.
  std::vector<SynthTable> heads;
  std::vector<std::string> bodies;
  std::map<std::string, std::vector<std::string>> postcode_rows;
  InjectedFaults faults;
  // LAs are independent: the next one is generated on a second thread while this one is
  // written (output order and bytes do not depend on the timing).
  auto generate = [&options, &las](size_t k) {
    return GenerateLaDataset(*las[k], options.year, options.seed, options.scale);
  };
  std::future<absl::StatusOr<LaDataset>> next;
  if (!las.empty()) next = std::async(std::launch::async, generate, 0);
  for (size_t k = 0; k < las.size(); ++k) {
    const LocalAuthority* la = las[k];
    absl::StatusOr<LaDataset> generated = next.get();
    if (k + 1 < las.size()) next = std::async(std::launch::async, generate, k + 1);
    if (!generated.ok()) {
      if (next.valid()) next.wait();
      return generated.status();
    }
    LaDataset dataset = *std::move(generated);
    // In one folder, the faults go into the first LA's rows, which come first in every file, so
    // their line numbers are the same as in that LA's own files.
    const bool inject = options.inject_errors && (!options.single_folder || k == 0);
    if (inject) faults = InjectErrors(&dataset, options.seed);
    done.push_back(dataset.summary);
    if (options.single_folder) {
      if (heads.empty()) {
        for (const SynthTable& t : dataset.tables) {
          heads.push_back({t.file_name, t.columns, {}});
        }
        bodies.resize(heads.size());
      }
      for (size_t t = 0; t < dataset.tables.size(); ++t) {
        const SynthTable& table = dataset.tables[t];
        if (table.file_name == "postcodes.csv") {
          for (auto& row : table.rows) postcode_rows.emplace(row[0], row);
        } else {
          for (const auto& row : table.rows) AppendCsvRow(row, &bodies[t]);
        }
      }
      continue;
    }
    const std::string folder = Join(options.out_dir, la->new_la_code);
    RINGFENCE_RETURN_IF_ERROR(MakeDirectory(folder));
    for (const SynthTable& t : dataset.tables) {
      RINGFENCE_RETURN_IF_ERROR(
          base::WriteFileAtomically(Join(folder, t.file_name), RenderTable(t)));
    }
    if (inject) RINGFENCE_RETURN_IF_ERROR(WriteExtras(folder, faults));
  }
  if (options.single_folder) {
    for (size_t t = 0; t < heads.size(); ++t) {
      SynthTable& head = heads[t];
      if (head.file_name == "postcodes.csv") {
        for (auto& [pcd, row] : postcode_rows) head.rows.push_back(std::move(row));
      }
      std::string text = RenderTable(head);
      text += bodies[t];
      bodies[t].clear();
      RINGFENCE_RETURN_IF_ERROR(
          base::WriteFileAtomically(Join(options.out_dir, head.file_name), text));
    }
    if (options.inject_errors) RINGFENCE_RETURN_IF_ERROR(WriteExtras(options.out_dir, faults));
  }
  RINGFENCE_RETURN_IF_ERROR(base::WriteFileAtomically(
      Join(options.out_dir, options.single_folder ? "manifest.txt" : "manifest.csv"),
      RenderManifest(las, done)));
  if (summaries != nullptr) *summaries = std::move(done);
  return absl::OkStatus();
}

}  // namespace ringfence::tools::synth
