// The SSDA903 code lists, versioned by collection year, and the local sensitive file's codes.
//
// Source of truth: spec/indicators.md (catalogue version 1), "Validation": SEX 1/2 up to 2024
// and M/F/U from 2025; PLACE adds K3 in 2025 and from 2026 replaces H5, P2 and Z1 by
// Z11-Z14. The lists themselves follow the DfE SSDA903 guidance as encoded in DfE's
// open-source 903 validator (data-to-insight/csc-validator-be-903, rules 101, 103, 143, 144,
// 145, 146 and 149 of its lac2022_23, lac2024_25 and lac2025_26 rule sets), which agrees with
// the spec on every version change above. Each list in codes.cc names its source.
//
// Every lookup first trims ASCII spaces and tabs and upper-cases ASCII letters ("spec:
// Clarifications"), so " c1 " is C1. A code is valid only in the collection years its list
// gives; a blank is a code only where a list says so (the sensitive file's lists).
//
// Code values are small enums (one byte each) so parsed rows stay compact; the grid maps them
// to breakdown groups.
//
// Thread-safe: the tables are immutable, built once on first use.
#ifndef RINGFENCE_NODE_CODES_H_
#define RINGFENCE_NODE_CODES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ringfence::node {

// The code lists read best packed, as the guidance prints them.
// clang-format off
// Header / UASC SEX. Codes 1 (male) and 2 (female) up to 2024; M, F, U from 2025.
enum class Sex : uint8_t { kMale, kFemale, kUnknown };

// Episodes LS (legal status). V3 and V4 are short breaks.
enum class LegalStatus : uint8_t {
  kC1, kC2, kD1, kE1, kJ1, kJ2, kJ3, kL1, kL2, kL3, kV2, kV3, kV4,
};

// Episodes RNE (reason for new episode).
enum class ReasonNewEpisode : uint8_t { kS, kP, kL, kT, kU, kB };

// Episodes PLACE (placement type). The enum holds every code of any year; which are valid in
// a given year is the code list's business.
enum class Placement : uint8_t {
  kA3, kA4, kA5, kA6, kH5, kK1, kK2, kK3, kP1, kP2, kP3, kR1, kR2, kR3, kR5, kS1, kT0, kT1, kT2,
  kT3, kT4, kU1, kU2, kU3, kU4, kU5, kU6, kZ1, kZ11, kZ12, kZ13, kZ14,
};

// Episodes REC (reason episode ceased).
enum class ReasonCeased : uint8_t {
  kE11, kE12, kE13, kE14, kE15, kE16, kE17, kE2, kE3, kE41, kE43, kE44, kE45, kE46, kE47, kE48,
  kE4A, kE4B, kE5, kE6, kE7, kE8, kE9, kX1,
};

// Header ETHNIC.
enum class Ethnicity : uint8_t {
  kWBRI, kWIRI, kWIRT, kWOTH, kWROM, kMWBC, kMWBA, kMWAS, kMOTH, kAIND, kAPKN, kABAN, kAOTH, kBCRB,
  kBAFR, kBOTH, kCHNE, kOOTH, kREFU, kNOBT,
};

// Episodes CIN (category of need).
enum class CategoryOfNeed : uint8_t { kN1, kN2, kN3, kN4, kN5, kN6, kN7, kN8 };

// sensitive.csv IMMIGRATION_STATUS; a blank is kUnknown.
enum class ImmigrationStatus : uint8_t {
  kBritish, kSettled, kLimitedLeave, kAsylumSeeker, kRefugee, kHumanitarian, kNoStatus, kUnknown,
};

// sensitive.csv NRPF (no recourse to public funds); a blank is kUnknown.
enum class Nrpf : uint8_t { kYes, kNo, kUnknown };

// sensitive.csv NATIONALITY, reduced to the `nationality` breakdown's groups.
enum class NationalityGroup : uint8_t { kBritish, kEuEeaSwiss, kOther, kUnknown };

// OC3 IN_TOUCH (DfE validator rule 131); a blank is kBlank (spec: blanks allowed).
enum class InTouch : uint8_t { kYes, kNo, kDied, kRefu, kNreq, kRhom, kBlank };

// OC3 ACTIV (DfE validator rule 132); a blank is kBlank. Codes starting F or P are education,
// employment or training; 0 is not.
enum class Activity : uint8_t { kF1, kP1, kF2, kP2, kF4, kP4, kF5, kP5, kG4, kG5, kG6, k0, kBlank };

// OC3 ACCOM (DfE validator rule 133); a blank is kBlank. Codes ending in 1 are suitable; 0 is
// not.
enum class Accommodation : uint8_t {
  kB1, kB2, kC1, kC2, kD1, kD2, kE1, kE2, kG1, kG2, kH1, kH2, kK1, kK2, kR1, kR2, kS2, kT1, kT2,
  kU1, kU2, kV1, kV2, kW1, kW2, kX2, kY1, kY2, kZ1, kZ2, k0, kBlank,
};

// Missing MISSING: M (missing) or A (away from placement without authorisation).
enum class MissingKind : uint8_t { kMissing, kAway };

// clang-format on

enum class CodeList : uint8_t {
  kSex,
  kLegalStatus,
  kReasonNewEpisode,
  kPlacement,
  kReasonCeased,
  kEthnicity,
  kCategoryOfNeed,
  kImmigrationStatus,
  kNrpf,
  kInTouch,
  kActivity,
  kAccommodation,
  kMissingKind,
};

// The enum value (cast to int) of `text` in `list` for collection year `year`, or -1 when it is
// not a valid code that year (including a blank, unless the list allows one).
int LookupCode(CodeList list, absl::string_view text, int year);

// The valid codes of `list` in `year`, for error messages: "M, F, U", or
// "BRITISH, ..., UNKNOWN or a blank".
std::string ExpectedCodes(CodeList list, int year);

// The code's text as it is written from 2025 on (the latest spelling), e.g. "C1", "M".
absl::string_view CodeText(CodeList list, int value);

// Typed lookups. Each returns false (leaving *out unchanged) when LookupCode would return -1.
template <typename E>
struct CodeListOf;
template <>
struct CodeListOf<Sex> {
  static constexpr CodeList kList = CodeList::kSex;
};
template <>
struct CodeListOf<LegalStatus> {
  static constexpr CodeList kList = CodeList::kLegalStatus;
};
template <>
struct CodeListOf<ReasonNewEpisode> {
  static constexpr CodeList kList = CodeList::kReasonNewEpisode;
};
template <>
struct CodeListOf<Placement> {
  static constexpr CodeList kList = CodeList::kPlacement;
};
template <>
struct CodeListOf<ReasonCeased> {
  static constexpr CodeList kList = CodeList::kReasonCeased;
};
template <>
struct CodeListOf<Ethnicity> {
  static constexpr CodeList kList = CodeList::kEthnicity;
};
template <>
struct CodeListOf<CategoryOfNeed> {
  static constexpr CodeList kList = CodeList::kCategoryOfNeed;
};
template <>
struct CodeListOf<ImmigrationStatus> {
  static constexpr CodeList kList = CodeList::kImmigrationStatus;
};
template <>
struct CodeListOf<Nrpf> {
  static constexpr CodeList kList = CodeList::kNrpf;
};

template <>
struct CodeListOf<InTouch> {
  static constexpr CodeList kList = CodeList::kInTouch;
};
template <>
struct CodeListOf<Activity> {
  static constexpr CodeList kList = CodeList::kActivity;
};
template <>
struct CodeListOf<Accommodation> {
  static constexpr CodeList kList = CodeList::kAccommodation;
};
template <>
struct CodeListOf<MissingKind> {
  static constexpr CodeList kList = CodeList::kMissingKind;
};

template <typename E>
bool ParseCode(absl::string_view text, int year, E* out) {
  int v = LookupCode(CodeListOf<E>::kList, text, year);
  if (v < 0) return false;
  *out = static_cast<E>(v);
  return true;
}

template <typename E>
absl::string_view CodeText(E value) {
  return CodeText(CodeListOf<E>::kList, static_cast<int>(value));
}

// NATIONALITY per spec "The local sensitive file": trimmed and upper-cased; blank or UNK ->
// kUnknown; GBR -> kBritish; the 27 EU member states, ISL, LIE, NOR, CHE -> kEuEeaSwiss; any
// other ISO 3166-1 alpha-3 code -> kOther. Returns false for anything else.
bool ParseNationality(absl::string_view text, NationalityGroup* out);

// True when `code` (exactly, no trimming or case folding) is an officially assigned
// ISO 3166-1 alpha-3 code.
bool IsIsoAlpha3(absl::string_view code);

// The embedded ISO 3166-1 alpha-3 list, sorted (249 codes), for tests and documentation.
const std::vector<absl::string_view>& IsoAlpha3Codes();

// Removes leading and trailing ASCII spaces and tabs.
absl::string_view TrimAsciiBlanks(absl::string_view text);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_CODES_H_
