#include "policy/data_quality.h"

namespace ringfence::policy {

const std::array<DataErrorClass, kDataErrorClassCount>& AllDataErrorClasses() {
  static constexpr std::array<DataErrorClass, kDataErrorClassCount> kAll = {
      DataErrorClass::kStructure,
      DataErrorClass::kMissingChildId,
      DataErrorClass::kBadDate,
      DataErrorClass::kUnknownCode,
      DataErrorClass::kUnknownChild,
      DataErrorClass::kDuplicateChild,
      DataErrorClass::kInconsistentEpisode,
      DataErrorClass::kBadPostcodeRow,
  };
  return kAll;
}

absl::string_view DataErrorClassName(DataErrorClass c) {
  switch (c) {
    case DataErrorClass::kStructure:
      return "STRUCTURE";
    case DataErrorClass::kMissingChildId:
      return "MISSING_CHILD_ID";
    case DataErrorClass::kBadDate:
      return "BAD_DATE";
    case DataErrorClass::kUnknownCode:
      return "UNKNOWN_CODE";
    case DataErrorClass::kUnknownChild:
      return "UNKNOWN_CHILD";
    case DataErrorClass::kDuplicateChild:
      return "DUPLICATE_CHILD";
    case DataErrorClass::kInconsistentEpisode:
      return "INCONSISTENT_EPISODE";
    case DataErrorClass::kBadPostcodeRow:
      return "BAD_POSTCODE_ROW";
  }
  return "?";
}

bool CanQuarantine(DataErrorClass c) {
  return c != DataErrorClass::kStructure && c != DataErrorClass::kMissingChildId;
}

}  // namespace ringfence::policy
