#include "node/grid.h"

#include <array>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "node/dates.h"

namespace ringfence::node {
namespace {

using catalogue::Cohort;

// ---- Distance -------------------------------------------------------------------------------
//
// Miles = sqrt(D2) / 1609.3 with D2 = dE^2 + dN^2 in square metres. Rounded to one decimal
// halves up, the value exceeds 20.0 exactly when it rounds to 20.1 or more, i.e. when
// miles >= 20.05, i.e. sqrt(D2) >= 20.05 * 1609.3 m = 32266.465 m = 16093 * 2005 mm. Squaring
// (both sides are non-negative): D2 * 10^6 >= 32266465^2 (in mm^2). D2 is an integer, so this
// is D2 >= ceil(32266465^2 / 10^6) = 1041124764. No floating point is involved, so a placement
// at 32266 m (20.0497 miles, rounds to 20.0) and one at 32267 m (20.0503, rounds to 20.1) are
// told apart on every platform. An exact half (sqrt(D2) = 32266.465) cannot occur: the square
// root of an integer is an integer or irrational.
constexpr int64_t kThresholdMm = int64_t{16093} * 2005;  // 20.05 miles in millimetres
constexpr int64_t kThresholdMm2 = kThresholdMm * kThresholdMm;
constexpr int64_t kMm2PerM2 = 1000000;
constexpr int64_t kOver20MinD2 = (kThresholdMm2 + kMm2PerM2 - 1) / kMm2PerM2;
static_assert(kOver20MinD2 == 1041124764, "20.05 miles squared, in whole square metres");

// ---- Per-child facts from one pass over Episodes ------------------------------------------

struct EpisodeFacts {
  const EpisodeRecord* current = nullptr;        // CLA: open at R, latest DECOM
  const EpisodeRecord* first_started = nullptr;  // Started: RNE = S, earliest DECOM in year
  const EpisodeRecord* last_ceased = nullptr;    // Ceased: the episode giving the reason
  const EpisodeRecord* first_in_year = nullptr;  // placements: earliest DECOM overlapping
  int32_t not_l_in_year = 0;                     // overlapping episodes with RNE != L
};

absl::Status EpisodePass(const LaData& data, const CollectionYear& y,
                         std::vector<EpisodeFacts>* facts) {
  facts->assign(data.children.size(), EpisodeFacts{});
  const Date s = y.start;
  const Date r = y.reference;
  // Episodes are in file order, so "strictly earlier" keeps the first line on a DECOM tie
  // and "not earlier" moves to the later line.
  for (const EpisodeRecord& ep : data.episodes) {
    if (ep.child < 0 || static_cast<size_t>(ep.child) >= facts->size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Episodes line ", ep.line, ": the child is not in Header"));
    }
    if (ep.is_short_break()) continue;
    EpisodeFacts& f = (*facts)[ep.child];
    if (ep.OpenAt(r)) {
      if (f.current == nullptr || ep.decom > f.current->decom) {
        f.current = &ep;
      } else if (ep.decom == f.current->decom) {
        return absl::InvalidArgumentError(
            absl::StrCat("Episodes lines ", f.current->line, " and ", ep.line,
                         ": two episodes of one child open at ", r.ToString(),
                         " with the same DECOM; the current episode is ambiguous"));
      }
    }
    if (ep.rne == ReasonNewEpisode::kS && ep.decom >= s && ep.decom <= r &&
        (f.first_started == nullptr || ep.decom < f.first_started->decom)) {
      f.first_started = &ep;
    }
    if (ep.rec.has_value() && *ep.rec != ReasonCeased::kX1 && !ep.dec.is_blank() && ep.dec >= s &&
        ep.dec <= r) {
      const EpisodeRecord* last = f.last_ceased;
      if (last == nullptr || ep.dec > last->dec ||
          (ep.dec == last->dec && ep.decom >= last->decom)) {
        f.last_ceased = &ep;
      }
    }
    // Overlaps the year: DECOM <= R and (DEC blank or DEC >= S); a blank DEC is after S.
    if (ep.decom <= r && ep.dec >= s) {
      if (ep.rne != ReasonNewEpisode::kL) ++f.not_l_in_year;
      if (f.first_in_year == nullptr || ep.decom < f.first_in_year->decom) f.first_in_year = &ep;
    }
  }
  return absl::OkStatus();
}

// Spec [rule] "Placements in the year": the first episode counts one whatever its RNE; each
// later one counts when its RNE is not L. So the count is the number of non-L episodes, plus
// one when the first is an L.
int PlacementsInYear(const EpisodeFacts& f) {
  if (f.first_in_year == nullptr) return 0;
  return f.not_l_in_year + (f.first_in_year->rne == ReasonNewEpisode::kL ? 1 : 0);
}

// ---- Context, members, cohorts ---------------------------------------------------------------

struct Member {
  ChildIndex child = 0;
  Date age_on;                             // the date the `age` breakdown uses
  const EpisodeRecord* current = nullptr;  // CLA: the current episode
  const EpisodeRecord* ceased = nullptr;   // Ceased: the episode giving the ceasing reason
  const Oc3Record* leaver = nullptr;       // Care leavers: the OC3 row
  int leaver_age = 0;                      // Care leavers: age_in_year
  MissingKind missing_kind = MissingKind::kMissing;  // Missing
  uint8_t postcode_facts = 0;  // CLA: kDistanceKnown | kDistanceOver20 | kOutOfArea
};

// Member::postcode_facts bits (see PostcodeFacts).
constexpr uint8_t kDistanceKnown = 1;
constexpr uint8_t kDistanceOver20 = 2;
constexpr uint8_t kOutOfArea = 4;

constexpr int kCohortCount = static_cast<int>(Cohort::kMissing) + 1;

struct Context {
  const LaData& data;
  CollectionYear year;
  std::vector<EpisodeFacts> facts;  // by child
  std::vector<uint8_t> uasc;        // by child: has a UASC row
  std::vector<int32_t> sensitive;   // by child: index into data.sensitive, or -1
  int32_t own_utla = -1;            // the node's LA code in data.utlas, or -1
  std::array<std::vector<Member>, kCohortCount> cohorts;
  std::array<bool, kCohortCount> built{};
};

absl::Status CheckChild(const LaData& data, ChildIndex child, absl::string_view table,
                        int32_t line) {
  if (child < 0 || static_cast<size_t>(child) >= data.children.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(table, " line ", line, ": the child is not in Header"));
  }
  return absl::OkStatus();
}

absl::Status BuildContext(Context* ctx) {
  const LaData& data = ctx->data;
  RINGFENCE_RETURN_IF_ERROR(EpisodePass(data, ctx->year, &ctx->facts));
  ctx->uasc.assign(data.children.size(), 0);
  for (const UascRecord& u : data.uasc) {
    RINGFENCE_RETURN_IF_ERROR(CheckChild(data, u.child, "UASC", u.line));
    ctx->uasc[u.child] = 1;
  }
  ctx->sensitive.assign(data.children.size(), -1);
  for (size_t i = 0; i < data.sensitive.size(); ++i) {
    const SensitiveRecord& rec = data.sensitive[i];
    RINGFENCE_RETURN_IF_ERROR(CheckChild(data, rec.child, "sensitive", rec.line));
    ctx->sensitive[rec.child] = static_cast<int32_t>(i);
  }
  for (const Oc3Record& o : data.oc3) {
    RINGFENCE_RETURN_IF_ERROR(CheckChild(data, o.child, "OC3", o.line));
  }
  for (const MissingRecord& m : data.missing) {
    RINGFENCE_RETURN_IF_ERROR(CheckChild(data, m.child, "Missing", m.line));
  }
  ctx->own_utla = data.utlas.Find(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(data.la_code)));
  return absl::OkStatus();
}

// The conditions of distance_known, distance_over_20 and out_of_area (grid.h) for a CLA
// member with current episode `current`; a UASC child meets none of them:
//   kDistanceKnown   HOME_POST and PL_POST both in the postcode table with coordinates;
//   kDistanceOver20  ... and more than 20.0 miles apart (DistanceOver20Miles);
//   kOutOfArea       PL_POST in the table with a non-blank utla other than the node's LA.
uint8_t PostcodeFacts(const Context& ctx, ChildIndex child, const EpisodeRecord& current) {
  if (ctx.uasc[child]) return 0;
  const auto& info = ctx.data.postcode_info;
  auto in_table = [&info](PostcodeId id) -> const PostcodeInfo* {
    return id < 0 || static_cast<size_t>(id) >= info.size() ? nullptr : &info[id];
  };
  const PostcodeInfo* home = in_table(current.home_post);
  const PostcodeInfo* placed = in_table(current.pl_post);
  uint8_t facts = 0;
  if (home != nullptr && placed != nullptr && home->has_coords && placed->has_coords) {
    facts |= kDistanceKnown;
    if (DistanceOver20Miles(int64_t{placed->east} - home->east,
                            int64_t{placed->north} - home->north)) {
      facts |= kDistanceOver20;
    }
  }
  // A blank utla (-1) makes out of area unknown, not counted.
  if (placed != nullptr && placed->utla >= 0 && placed->utla != ctx.own_utla) facts |= kOutOfArea;
  return facts;
}

constexpr size_t kPrefetchMembers = 8;

// Starts loading `p` into the cache; no effect on results.
inline void PrefetchForRead(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

void BuildCohort(Cohort cohort, Context* ctx) {
  const LaData& data = ctx->data;
  const Date r = ctx->year.reference;
  std::vector<Member>& out = ctx->cohorts[static_cast<int>(cohort)];
  out.clear();
  const size_t n = data.children.size();
  switch (cohort) {
    case Cohort::kCla:
      for (size_t c = 0; c < n; ++c) {
        const EpisodeFacts& f = ctx->facts[c];
        if (f.current == nullptr) continue;
        Member m;
        m.child = static_cast<ChildIndex>(c);
        m.age_on = r;
        m.current = f.current;
        out.push_back(m);
      }
      // The postcode table is indexed by postcode, so these lookups jump about: start each
      // member's a few members ahead (at national scale the table is tens of megabytes).
      for (size_t i = 0; i < out.size(); ++i) {
        if (i + kPrefetchMembers < out.size()) {
          const EpisodeRecord& ahead = *out[i + kPrefetchMembers].current;
          const auto& info = data.postcode_info;
          for (PostcodeId id : {ahead.home_post, ahead.pl_post}) {
            if (id >= 0 && static_cast<size_t>(id) < info.size()) PrefetchForRead(&info[id]);
          }
        }
        out[i].postcode_facts = PostcodeFacts(*ctx, out[i].child, *out[i].current);
      }
      break;
    case Cohort::kStarted:
      for (size_t c = 0; c < n; ++c) {
        const EpisodeFacts& f = ctx->facts[c];
        if (f.first_started == nullptr) continue;
        Member m;
        m.child = static_cast<ChildIndex>(c);
        m.age_on = f.first_started->decom;
        out.push_back(m);
      }
      break;
    case Cohort::kCeased:
      for (size_t c = 0; c < n; ++c) {
        const EpisodeFacts& f = ctx->facts[c];
        if (f.last_ceased == nullptr) continue;
        Member m;
        m.child = static_cast<ChildIndex>(c);
        m.age_on = r;
        m.ceased = f.last_ceased;
        out.push_back(m);
      }
      break;
    case Cohort::kCareLeavers:
      for (const Oc3Record& o : data.oc3) {
        // A sub-annual window counts a leaver only in the window holding the birthday.
        const Date dob = data.children[o.child].dob;
        const std::optional<int> age_in_window =
            ctx->year.is_annual() ? std::optional<int>(AgeInYear(dob, ctx->year.year))
                                  : AgeOnBirthdayInWindow(dob, ctx->year);
        if (!age_in_window.has_value()) continue;
        const int age = *age_in_window;
        if (age < 17 || age > 25) continue;  // spec: rows outside 17-25 are ignored
        Member m;
        m.child = o.child;
        m.age_on = r;
        m.leaver = &o;
        m.leaver_age = age;
        out.push_back(m);
      }
      break;
    case Cohort::kMissing: {
      // first[kind][child]: the earliest MIS_START of that kind in the year (blank: none).
      std::vector<Date> first[2] = {std::vector<Date>(n), std::vector<Date>(n)};
      const Date s = ctx->year.start;
      for (const MissingRecord& rec : data.missing) {
        if (rec.start < s || rec.start > r) continue;
        Date& d = first[static_cast<int>(rec.kind)][rec.child];
        if (rec.start < d) d = rec.start;  // a blank Date is after every date
      }
      for (int kind = 0; kind < 2; ++kind) {
        for (size_t c = 0; c < n; ++c) {
          if (first[kind][c].is_blank()) continue;
          Member m;
          m.child = static_cast<ChildIndex>(c);
          m.age_on = first[kind][c];
          m.missing_kind = static_cast<MissingKind>(kind);
          out.push_back(m);
        }
      }
      break;
    }
  }
  ctx->built[static_cast<int>(cohort)] = true;
}

const std::vector<Member>& CohortMembers(Cohort cohort, Context* ctx) {
  if (!ctx->built[static_cast<int>(cohort)]) BuildCohort(cohort, ctx);
  return ctx->cohorts[static_cast<int>(cohort)];
}

// ---- Indicator conditions -------------------------------------------------------------------

using Condition = bool (*)(const Context&, const Member&);

bool Always(const Context&, const Member&) { return true; }

bool ThreeOrMorePlacements(const Context& ctx, const Member& m) {
  return PlacementsInYear(ctx.facts[m.child]) >= 3;
}

bool DistanceKnown(const Context&, const Member& m) {
  return (m.postcode_facts & kDistanceKnown) != 0;
}
bool DistanceOver20(const Context&, const Member& m) {
  return (m.postcode_facts & kDistanceOver20) != 0;
}
bool OutOfArea(const Context&, const Member& m) { return (m.postcode_facts & kOutOfArea) != 0; }

bool InTouchYes(const Context&, const Member& m) {
  return m.leaver != nullptr && m.leaver->in_touch == InTouch::kYes;
}

// Spec: "ACTIV starts with F or P", read on the code's text so the list can grow.
bool Eet(const Context&, const Member& m) {
  if (m.leaver == nullptr) return false;
  const absl::string_view code = CodeText(m.leaver->activ);
  return !code.empty() && (code[0] == 'F' || code[0] == 'P');
}

// Spec: "ACCOM ends with 1".
bool SuitableAccom(const Context&, const Member& m) {
  if (m.leaver == nullptr) return false;
  const absl::string_view code = CodeText(m.leaver->accom);
  return !code.empty() && code.back() == '1';
}

bool KindMissing(const Context&, const Member& m) {
  return m.missing_kind == MissingKind::kMissing;
}
bool KindAway(const Context&, const Member& m) { return m.missing_kind == MissingKind::kAway; }

struct IndicatorRule {
  const char* indicator;
  Cohort cohort;  // must equal the catalogue's
  Condition condition;
};

const IndicatorRule kIndicatorRules[] = {
    {"cla", Cohort::kCla, &Always},
    {"started", Cohort::kStarted, &Always},
    {"ceased", Cohort::kCeased, &Always},
    {"placements_3plus", Cohort::kCla, &ThreeOrMorePlacements},
    {"distance_over_20", Cohort::kCla, &DistanceOver20},
    {"distance_known", Cohort::kCla, &DistanceKnown},
    {"out_of_area", Cohort::kCla, &OutOfArea},
    {"leavers", Cohort::kCareLeavers, &Always},
    {"leavers_in_touch", Cohort::kCareLeavers, &InTouchYes},
    {"leavers_eet", Cohort::kCareLeavers, &Eet},
    {"leavers_suitable_accom", Cohort::kCareLeavers, &SuitableAccom},
    {"missing", Cohort::kMissing, &KindMissing},
    {"away_no_auth", Cohort::kMissing, &KindAway},
};

const IndicatorRule* FindIndicatorRule(absl::string_view name) {
  for (const IndicatorRule& r : kIndicatorRules) {
    if (name == r.indicator) return &r;
  }
  return nullptr;
}

// ---- Breakdown group functions ----------------------------------------------------------------
//
// Each returns the member's group as an index into the rule's `groups`, which must equal the
// catalogue's groups in order, or -1 when the breakdown is not defined for this member.

using GroupOf = int (*)(const Context&, const Member&);

int TotalGroup(const Context&, const Member&) { return 0; }

int SexGroup(const Context& ctx, const Member& m) {
  switch (ctx.data.children[m.child].sex) {
    case Sex::kMale:
      return 0;
    case Sex::kFemale:
      return 1;
    case Sex::kUnknown:
      return 2;
  }
  return 2;
}

// A date of birth after the age date (a negative age) counts as under_1, so the breakdown
// stays a partition of the cohort.
int AgeGroup(const Context& ctx, const Member& m) {
  const int age = AgeAt(ctx.data.children[m.child].dob, m.age_on);
  if (age < 1) return 0;
  if (age <= 4) return 1;
  if (age <= 9) return 2;
  if (age <= 15) return 3;
  return 4;
}

int EthnicityGroup(const Context& ctx, const Member& m) {
  enum { kWhite, kMixed, kAsian, kBlack, kOther, kNotKnown };
  using E = Ethnicity;
  switch (ctx.data.children[m.child].ethnicity) {
    case E::kWBRI:
    case E::kWIRI:
    case E::kWIRT:
    case E::kWOTH:
    case E::kWROM:
      return kWhite;
    case E::kMWBC:
    case E::kMWBA:
    case E::kMWAS:
    case E::kMOTH:
      return kMixed;
    case E::kAIND:
    case E::kAPKN:
    case E::kABAN:
    case E::kAOTH:
    case E::kCHNE:  // spec [rule]: Chinese is grouped with Asian
      return kAsian;
    case E::kBCRB:
    case E::kBAFR:
    case E::kBOTH:
      return kBlack;
    case E::kOOTH:
      return kOther;
    case E::kREFU:
    case E::kNOBT:
      return kNotKnown;
  }
  return kNotKnown;
}

int UascGroup(const Context& ctx, const Member& m) { return ctx.uasc[m.child] ? 0 : 1; }

int LegalStatusGroup(const Context&, const Member& m) {
  if (m.current == nullptr) return -1;
  using L = LegalStatus;
  switch (m.current->ls) {
    case L::kC1:
    case L::kC2:
      return 0;  // care_order
    case L::kE1:
    case L::kD1:
      return 1;  // placement_order
    case L::kV2:
      return 2;  // voluntary
    case L::kJ1:
    case L::kJ2:
    case L::kJ3:
      return 3;  // youth_justice
    case L::kL1:
    case L::kL2:
    case L::kL3:
      return 4;  // emergency
    case L::kV3:
    case L::kV4:
      return -1;  // short breaks are never current
  }
  return -1;
}

int PlacementGroup(const Context&, const Member& m) {
  if (m.current == nullptr) return -1;
  enum {
    kFosterKinship,
    kFosterOther,
    kAdoption,
    kWithParents,
    kChildrensHome,
    kSecure,
    kSupported,
    kResidentialOther,
    kCustody,
    kTemporary,
    kOther,
  };
  using P = Placement;
  switch (m.current->place) {
    case P::kU1:
    case P::kU2:
    case P::kU3:
      return kFosterKinship;
    case P::kU4:
    case P::kU5:
    case P::kU6:
      return kFosterOther;
    case P::kA3:
    case P::kA4:
    case P::kA5:
    case P::kA6:
      return kAdoption;
    case P::kP1:
      return kWithParents;
    case P::kK2:
      return kChildrensHome;
    case P::kK1:
      return kSecure;
    case P::kH5:
    case P::kK3:
    case P::kP2:
      return kSupported;
    case P::kP3:
    case P::kR1:
    case P::kR2:
    case P::kR3:
    case P::kS1:
      return kResidentialOther;
    case P::kR5:
      return kCustody;
    case P::kT0:
    case P::kT1:
    case P::kT2:
    case P::kT3:
    case P::kT4:
      return kTemporary;
    case P::kZ1:
    case P::kZ11:
    case P::kZ12:
    case P::kZ13:
    case P::kZ14:
      return kOther;
  }
  return -1;
}

const SensitiveRecord* SensitiveOf(const Context& ctx, const Member& m) {
  const int32_t i = ctx.sensitive[m.child];
  return i < 0 ? nullptr : &ctx.data.sensitive[i];
}

int NationalityOf(const Context& ctx, const Member& m) {
  const SensitiveRecord* s = SensitiveOf(ctx, m);
  switch (s == nullptr ? NationalityGroup::kUnknown : s->nationality) {
    case NationalityGroup::kBritish:
      return 0;
    case NationalityGroup::kEuEeaSwiss:
      return 1;
    case NationalityGroup::kOther:
      return 2;
    case NationalityGroup::kUnknown:
      return 3;
  }
  return 3;
}

int ImmigrationStatusGroup(const Context& ctx, const Member& m) {
  const SensitiveRecord* s = SensitiveOf(ctx, m);
  using I = ImmigrationStatus;
  switch (s == nullptr ? I::kUnknown : s->immigration_status) {
    case I::kBritish:
    case I::kSettled:
      return 0;  // british_or_settled
    case I::kLimitedLeave:
      return 1;  // limited_leave
    case I::kAsylumSeeker:
      return 2;  // asylum_seeker
    case I::kRefugee:
    case I::kHumanitarian:
      return 3;  // refugee_or_protection
    case I::kNoStatus:
      return 4;  // no_status
    case I::kUnknown:
      return 5;  // unknown
  }
  return 5;
}

int NrpfGroup(const Context& ctx, const Member& m) {
  const SensitiveRecord* s = SensitiveOf(ctx, m);
  switch (s == nullptr ? Nrpf::kUnknown : s->nrpf) {
    case Nrpf::kYes:
      return 0;
    case Nrpf::kNo:
      return 1;
    case Nrpf::kUnknown:
      return 2;
  }
  return 2;
}

int LeaverAgeGroup(const Context&, const Member& m) {
  if (m.leaver == nullptr) return -1;
  if (m.leaver_age >= 17 && m.leaver_age <= 18) return 0;
  if (m.leaver_age >= 19 && m.leaver_age <= 21) return 1;
  if (m.leaver_age >= 22 && m.leaver_age <= 25) return 2;
  return -1;
}

int CeasedReasonGroup(const Context&, const Member& m) {
  if (m.ceased == nullptr || !m.ceased->rec.has_value()) return -1;
  enum { kAdopted, kSgo, kReturnedHome, kIndependentLiving, kOther };
  using R = ReasonCeased;
  switch (*m.ceased->rec) {
    case R::kE11:
    case R::kE12:
      return kAdopted;
    case R::kE43:
    case R::kE44:
    case R::kE45:
    case R::kE46:
    case R::kE47:
    case R::kE48:
      return kSgo;
    case R::kE4A:
    case R::kE4B:
    case R::kE13:
      return kReturnedHome;
    case R::kE5:
    case R::kE6:
    case R::kE17:
      return kIndependentLiving;
    default:
      return kOther;
  }
}

struct BreakdownRule {
  const char* breakdown;
  std::vector<const char*> groups;  // the order the group function returns
  GroupOf group_of;
};

const std::vector<BreakdownRule>& BreakdownRules() {
  static const std::vector<BreakdownRule>* const kRules = new std::vector<BreakdownRule>{
      {"total", {"total"}, &TotalGroup},
      {"sex", {"male", "female", "unknown"}, &SexGroup},
      {"age", {"under_1", "1_to_4", "5_to_9", "10_to_15", "16_plus"}, &AgeGroup},
      {"ethnicity", {"white", "mixed", "asian", "black", "other", "not_known"}, &EthnicityGroup},
      {"uasc", {"uasc", "not_uasc"}, &UascGroup},
      {"legal_status",
       {"care_order", "placement_order", "voluntary", "youth_justice", "emergency"},
       &LegalStatusGroup},
      {"placement",
       {"foster_kinship", "foster_other", "adoption", "with_parents", "childrens_home", "secure",
        "supported_or_independent", "residential_other", "custody", "temporary", "other"},
       &PlacementGroup},
      {"nationality", {"british", "eu_eea_swiss", "other", "unknown"}, &NationalityOf},
      {"immigration_status",
       {"british_or_settled", "limited_leave", "asylum_seeker", "refugee_or_protection",
        "no_status", "unknown"},
       &ImmigrationStatusGroup},
      {"nrpf", {"nrpf", "not_nrpf", "unknown"}, &NrpfGroup},
      {"leaver_age", {"17_to_18", "19_to_21", "22_to_25"}, &LeaverAgeGroup},
      {"ceased_reason",
       {"adopted", "sgo", "returned_home", "independent_living", "other"},
       &CeasedReasonGroup},
  };
  return *kRules;
}

const BreakdownRule* FindBreakdownRule(absl::string_view name) {
  for (const BreakdownRule& r : BreakdownRules()) {
    if (name == r.breakdown) return &r;
  }
  return nullptr;
}

// A member's group in a breakdown that is not defined for it (ComputeExactGrid).
constexpr uint8_t kNoGroup = 255;

bool SameGroups(const BreakdownRule& rule, const catalogue::Breakdown& b) {
  if (rule.groups.size() != b.groups.size()) return false;
  for (size_t i = 0; i < b.groups.size(); ++i) {
    if (b.groups[i] != rule.groups[i]) return false;
  }
  return true;
}

}  // namespace

int AgeInYear(Date dob, int year) {
  if (dob.is_blank()) return 0;
  const bool by_31_march = dob.month() <= 3;  // 31/03 is the last day of March
  return by_31_march ? year - dob.year() : year - 1 - dob.year();
}

bool DistanceOver20Miles(int64_t d_east, int64_t d_north) {
  // |d| < 2^31 for int32 coordinates, so d^2 < 2^62 and the sum fits in uint64.
  const uint64_t e = static_cast<uint64_t>(d_east < 0 ? -d_east : d_east);
  const uint64_t n = static_cast<uint64_t>(d_north < 0 ? -d_north : d_north);
  return e * e + n * n >= static_cast<uint64_t>(kOver20MinD2);
}

// Spec "The cohorts", CLA.
absl::StatusOr<std::vector<ClaMember>> ClaCohort(const LaData& data, int year) {
  std::vector<EpisodeFacts> facts;
  RINGFENCE_RETURN_IF_ERROR(EpisodePass(data, CollectionYear::ForYear(year), &facts));
  std::vector<ClaMember> cohort;
  for (size_t c = 0; c < facts.size(); ++c) {
    if (facts[c].current != nullptr) {
      cohort.push_back(ClaMember{static_cast<ChildIndex>(c), facts[c].current});
    }
  }
  return cohort;
}

absl::StatusOr<std::vector<int64_t>> ComputeExactGrid(const LaData& data, int year) {
  return ComputeExactGrid(data, CollectionYear::ForYear(year));
}

absl::StatusOr<std::vector<int64_t>> ComputeExactGrid(const LaData& data,
                                                      const CollectionYear& window) {
  if (window.year != data.year) {
    return absl::InvalidArgumentError(
        absl::StrCat("the data was loaded and validated for "
                     "collection year ",
                     data.year, ", not ", window.year));
  }
  if (window.start.is_blank() || window.reference.is_blank() || window.reference < window.start) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection window ", window.window, " of ", window.year, " has no dates"));
  }
  Context ctx{data, window, {}, {}, {}, -1, {}, {}};
  RINGFENCE_RETURN_IF_ERROR(BuildContext(&ctx));

  std::vector<int64_t> grid(catalogue::GridCells().size(), 0);
  // Per member of the indicator's cohort: 1 when it meets the indicator's condition.
  std::vector<uint8_t> counted;
  // Every member's group in a breakdown, computed once per cohort and breakdown (a breakdown is
  // asked for by up to five indicators of a cohort): at national scale a pass over the
  // members' records costs far more than a pass over one byte per member.
  struct MemberGroups {
    Cohort cohort;
    const BreakdownRule* rule;
    std::vector<uint8_t> group;  // kNoGroup where the breakdown is not defined for the member
  };
  std::vector<MemberGroups> member_groups;
  // GridCells() is every indicator x breakdown x group in catalogue order, so each
  // (indicator, breakdown) histogram starts where the previous one ended.
  size_t offset = 0;
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    const IndicatorRule* rule = FindIndicatorRule(ind.name);
    if (rule == nullptr) {
      return absl::UnimplementedError(absl::StrCat("no rule for catalogue indicator ", ind.name));
    }
    if (rule->cohort != ind.cohort) {
      return absl::InternalError(absl::StrCat(
          "catalogue indicator ", ind.name, " counts cohort ", catalogue::CohortName(ind.cohort),
          ", but its rule is written for ", catalogue::CohortName(rule->cohort)));
    }
    const std::vector<Member>& members = CohortMembers(ind.cohort, &ctx);
    counted.resize(members.size());
    for (size_t i = 0; i < members.size(); ++i) counted[i] = rule->condition(ctx, members[i]);
    for (const std::string& bname : ind.breakdowns) {
      const catalogue::Breakdown* b = catalogue::FindBreakdown(bname);
      const BreakdownRule* brule = FindBreakdownRule(bname);
      if (b == nullptr || brule == nullptr) {
        return absl::UnimplementedError(
            absl::StrCat("no rule for breakdown ", bname, " of catalogue indicator ", ind.name));
      }
      if (!SameGroups(*brule, *b)) {
        return absl::InternalError(absl::StrCat("catalogue breakdown ", bname, " has groups ",
                                                absl::StrJoin(b->groups, ","), "; its rule knows ",
                                                absl::StrJoin(brule->groups, ",")));
      }
      if (offset + b->groups.size() > grid.size()) {
        return absl::InternalError("catalogue grid is shorter than its indicators");
      }
      const std::vector<uint8_t>* groups = nullptr;
      for (const MemberGroups& mg : member_groups) {
        if (mg.cohort == ind.cohort && mg.rule == brule) groups = &mg.group;
      }
      if (groups == nullptr) {
        if (b->groups.size() >= kNoGroup) {  // the rules above have at most 11
          return absl::InternalError(absl::StrCat("breakdown ", bname, " has too many groups"));
        }
        MemberGroups mg{ind.cohort, brule, std::vector<uint8_t>(members.size())};
        for (size_t i = 0; i < members.size(); ++i) {
          const int g = brule->group_of(ctx, members[i]);
          mg.group[i] = g < 0 || static_cast<size_t>(g) >= b->groups.size()
                            ? kNoGroup
                            : static_cast<uint8_t>(g);
        }
        member_groups.push_back(std::move(mg));
        groups = &member_groups.back().group;
      }
      int64_t* cells = &grid[offset];
      for (size_t i = 0; i < members.size(); ++i) {
        if (!counted[i]) continue;
        const uint8_t g = (*groups)[i];
        if (g == kNoGroup) {
          return absl::InternalError(absl::StrCat(
              "breakdown ", bname, " is not defined for members of indicator ", ind.name));
        }
        ++cells[g];
      }
      offset += b->groups.size();
    }
  }
  if (offset != grid.size()) {
    return absl::InternalError("catalogue grid does not match its indicators");
  }
  return grid;
}

}  // namespace ringfence::node
