// Classes of input errors, and which of them a policy may let a round quarantine.
//
// The node's loader (node/loader.h) tags every validation error with one class. By default any
// error stops the round. A policy (policy/policy.h, `data_quality { quarantine: ... }`) may
// name classes whose bad rows are instead left out and counted in a local report. Two classes
// can never be quarantined, because the rows they affect cannot be tied to one child:
// kStructure and kMissingChildId.
//
// What "left out" means is decided per table by the loader; the rule, stated here because it
// is what makes quarantine safe (docs/node.md, "Quarantine"):
//   - a bad row of a DfE table (Header, Episodes, UASC, OC3, Missing, ...) whose CHILD is in
//     Header leaves that child out entirely: every row of every table with that CHILD id;
//   - a row whose CHILD is not in Header (kUnknownChild) is left out alone;
//   - a bad row of sensitive.csv leaves out only that child's sensitive.csv rows: the child
//     still counts everywhere, with nationality, immigration status and NRPF not recorded.
//     A sensitive attribute must never decide whether a child counts in an untainted cell;
//   - a bad row of the postcode table leaves out every row for that postcode, which is then
//     unknown (distances to or from it are unknown).
// Privacy: each exclusion depends only on rows that carry one CHILD id, so two inputs that
// differ by one child still differ by at most one child after quarantine, and the privacy
// guarantee per child (docs/privacy.md) is unchanged.
#ifndef RINGFENCE_POLICY_DATA_QUALITY_H_
#define RINGFENCE_POLICY_DATA_QUALITY_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace ringfence::policy {

// Mirrors ringfence.v1.DataQuality.ErrorClass (proto/policy.proto); the names are the same.
enum class DataErrorClass : uint8_t {
  kStructure = 0,
  kMissingChildId,
  kBadDate,
  kUnknownCode,
  kUnknownChild,
  kDuplicateChild,
  kInconsistentEpisode,
  kBadPostcodeRow,
};
inline constexpr int kDataErrorClassCount = 8;

// Every class, in order.
const std::array<DataErrorClass, kDataErrorClassCount>& AllDataErrorClasses();

// The policy file's name of `c`, e.g. "BAD_DATE".
absl::string_view DataErrorClassName(DataErrorClass c);

// False for kStructure and kMissingChildId.
bool CanQuarantine(DataErrorClass c);

// A set of classes (a bit mask).
class DataErrorClassSet {
 public:
  void Add(DataErrorClass c) { bits_ |= Bit(c); }
  bool Contains(DataErrorClass c) const { return (bits_ & Bit(c)) != 0; }
  bool empty() const { return bits_ == 0; }

 private:
  static uint32_t Bit(DataErrorClass c) { return uint32_t{1} << static_cast<int>(c); }
  uint32_t bits_ = 0;
};

}  // namespace ringfence::policy

#endif  // RINGFENCE_POLICY_DATA_QUALITY_H_
