// The SSDA903 CSV tables as LAs export them for DfE, and the node's two local-only inputs.
// Column sets follow the DfE 903 CSV layout as used by DfE's open-source 903 validator
// (column_names in its configuration). The node recognises a file by its header row, not by
// its name: a file is table T when its header holds all of T's columns (order free).
//
// Privacy: these files hold row-level records of children. They are read only by the node,
// on the LA's own machine, and never leave it; nothing in them is logged.
#ifndef RINGFENCE_NODE_SSDA903_SCHEMA_H_
#define RINGFENCE_NODE_SSDA903_SCHEMA_H_

#include <string>
#include <vector>

namespace ringfence::node {

enum class Table {
  kHeader,
  kEpisodes,
  kUasc,
  kReviews,
  kOc2,
  kOc3,
  kAd1,
  kPlacedAdoption,
  kPrevPerm,
  kMissing,
  kSwEpisodes,
  kDoLo,       // deprivation of liberty orders (DfE 903 from 2023-24)
  kSensitive,  // local-only: CHILD,NATIONALITY,IMMIGRATION_STATUS,NRPF
  kPostcodes,  // local-only: NSPL extract pcd,oseast1m,osnrth1m,utla
};

struct TableSchema {
  Table table;
  const char* name;                  // e.g. "Episodes"
  std::vector<std::string> columns;  // required columns, in DfE's order
};

inline const std::vector<TableSchema>& AllTableSchemas() {
  static const std::vector<TableSchema>* const kSchemas = new std::vector<TableSchema>{
      {Table::kHeader, "Header", {"CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"}},
      {Table::kEpisodes,
       "Episodes",
       {"CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"}},
      {Table::kUasc, "UASC", {"CHILD", "SEX", "DOB", "DUC"}},
      {Table::kReviews, "Reviews", {"CHILD", "DOB", "REVIEW", "REVIEW_CODE"}},
      {Table::kOc2,
       "OC2",
       {"CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
        "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED"}},
      {Table::kOc3, "OC3", {"CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"}},
      {Table::kAd1,
       "AD1",
       {"CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
        "LS_ADOPTR"}},
      {Table::kPlacedAdoption,
       "PlacedAdoption",
       {"CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"}},
      {Table::kPrevPerm, "PrevPerm", {"CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"}},
      {Table::kMissing, "Missing", {"CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"}},
      {Table::kSwEpisodes, "SWEpisodes", {"CHILD", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"}},
      {Table::kDoLo, "DoLo", {"CHILD", "DOB", "DOLO_START", "DOLO_END"}},
      {Table::kSensitive, "sensitive", {"CHILD", "NATIONALITY", "IMMIGRATION_STATUS", "NRPF"}},
      {Table::kPostcodes, "postcodes", {"pcd", "oseast1m", "osnrth1m", "utla"}},
  };
  return *kSchemas;
}

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_SSDA903_SCHEMA_H_
