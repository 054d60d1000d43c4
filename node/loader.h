// Loads and strictly validates one LA's folder of SSDA903 CSV exports (and its local
// sensitive.csv) for one collection year. The rules are spec/indicators.md, "Validation (what
// strict means)", "The cohorts" and "The local sensitive file" (catalogue version 1).
//
// Files. Every regular file in `dir` whose name ends in ".csv" (any case) is read, in byte
// order of name; other files and sub-folders are ignored. A file is recognised by its header
// row, never by its name (node/ssda903_schema.h): it is table T when its header holds all of
// T's columns, in any order; column names are compared trimmed of ASCII spaces and tabs and
// case-insensitively; columns beyond T's are ignored. When a header holds the columns of
// several tables, the table with the most columns wins. Errors: a header holding a column that
// only table T has, but not all of T's columns ("table Episodes is missing column DEC", one
// error per missing column); a CSV matching no table (the message lists every table's
// columns); a required column named twice; two files holding one table; no Header table.
// Any other table may be absent and is then empty.
//
// Rows. A row must have exactly as many fields as its header ("ragged line" otherwise); rows
// whose fields are all blank (spreadsheet exports leave them) are skipped. Every field is
// trimmed of ASCII spaces and tabs before use. Header, Episodes, UASC and sensitive.csv are
// parsed fully:
//   Header    CHILD (required, once), SEX (code of the year), DOB (date), ETHNIC (code),
//             MC_DOB (date when given). UPN and MOTHER are not checked.
//   Episodes  CHILD (in Header), DECOM (date), RNE, LS, CIN, PLACE (codes of the year),
//             DEC (date when given), REC (code when given); DEC and REC both given or both
//             blank; DEC not before DECOM; no child with two non-short-break episodes open at
//             R = 31/03/year with the same DECOM. HOME_POST and PL_POST are kept (upper-cased,
//             spaces removed). PLACE_PROVIDER, REASON_PLACE_CHANGE and URN are not checked.
//   UASC      CHILD (in Header), SEX (code), DOB (date), DUC (a date, a date masked with Z
//             such as ZZ/ZZ/ZZZZ, or blank).
//   OC3       CHILD (in Header, once), DOB (date; the grid uses Header's), IN_TOUCH (YES, NO,
//             DIED, REFU, NREQ, RHOM or blank), ACTIV (F1 P1 F2 P2 F4 P4 F5 P5 G4 G5 G6 0 or
//             blank), ACCOM (B1 ... Z2, 0 or blank; DfE validator rules 131-133).
//   Missing   CHILD (in Header), DOB (date), MISSING (M or A), MIS_START (date), MIS_END
//             (date or blank). MIS_END before MIS_START is not an error (a DfE warning).
//   sensitive CHILD (in Header, once), NATIONALITY (ISO 3166-1 alpha-3, UNK or blank),
//             IMMIGRATION_STATUS and NRPF (codes of the spec, or blank).
//   postcodes pcd (required; matched upper-cased with spaces and tabs removed), oseast1m and
//             osnrth1m (whole metres, 1-7 digits, or both blank), utla (any code, or blank).
//             Loaded last; only rows for postcodes that Episodes uses are kept (the first row
//             of a postcode wins), so a national NSPL extract can be given whole.
// The other tables are, for now, checked for shape only: recognised, no ragged line, CHILD
// given and in Header.
//
// Errors. Each error is {file base name, 1-based physical line (header = 1), FIELD, message}
// and prints as `file:line: FIELD: message`. FIELD is the column's name as the schema spells
// it, or kRowField for a whole line (ragged, CSV syntax), kHeaderField for a whole header
// (unrecognised, second file for a table), kFolderField for the folder (then `file` is the
// folder as given and the line is 0, printed as `folder: FIELD: message`). Messages quote
// the offending value. Loading stops at the (max_errors + 1)th error.
//
// Error classes and quarantine. Every error carries a policy::DataErrorClass
// (policy/data_quality.h: STRUCTURE, MISSING_CHILD_ID, BAD_DATE, UNKNOWN_CODE, UNKNOWN_CHILD,
// DUPLICATE_CHILD, INCONSISTENT_EPISODE, BAD_POSTCODE_ROW). By default any error stops the
// load. When LoadOptions::quarantinable (from the policy's data_quality section) holds the
// class of EVERY error found, the load succeeds without the bad rows instead, by the rule in
// policy/data_quality.h: a bad DfE-table row leaves its child out of every table; a row whose
// CHILD is not in Header is left out alone; a bad sensitive.csv row leaves out only that
// child's sensitive rows (the child still counts, with its sensitive attributes not
// recorded); a bad postcode-table row leaves out every row of that postcode. The rows left
// out and why are counted in a QuarantineReport. If any error's class is not quarantinable,
// nothing is loaded and the report lists the errors that stopped the round first. Quarantine
// reads the folder twice (once to find the bad rows, once without them), and only when the
// first pass found errors.
//
// Status codes: OK with the data; INVALID_ARGUMENT when the options are bad (year outside
// catalogue::kFirstYear..kLastYear) or when validation found any error, with every collected
// error line and a summary line ("3 errors; nothing computed") as the message; NOT_FOUND when
// `dir` does not exist or is not a folder, or postcodes_path is given but is not a file;
// PERMISSION_DENIED / INTERNAL when a file cannot be read. On any error no LaData is
// returned, so nothing can be computed from a bad folder.
//
// Privacy: this reads row-level records of children. Error messages include the offending
// field value (a CHILD id, a date of birth, a code) because the LA's analyst needs it to fix
// the file; they are meant for the node's local stderr and the local `validate` command only,
// and must never be sent anywhere. Nothing else is logged.
//
// Thread-safe: LoadLaFolder keeps no state between calls.
#ifndef RINGFENCE_NODE_LOADER_H_
#define RINGFENCE_NODE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/la_data.h"
#include "policy/data_quality.h"

namespace ringfence::node {

struct LoadOptions {
  std::string dir;      // the LA's folder of CSV files
  std::string la_code;  // the node's LA (new GSS code, e.g. "E09000033"); stored, not checked
  int year = 0;         // collection year Y (R = 31/03/Y); selects the code lists
  int max_errors = 50;  // stop after this many errors; 0 or less: no limit
  // The postcode table (NSPL extract: pcd,oseast1m,osnrth1m,utla). Empty: the folder's own
  // postcode table, recognised by its header like every table (e.g. DIR/postcodes.csv), if
  // any. Given: this file (inside the folder or not; any name), which must hold the postcode
  // table. No postcode table at all is not an error: every distance and out-of-area placement
  // is then unknown.
  std::string postcodes_path;
  // Error classes whose bad rows are left out instead of stopping the load (the policy's
  // data_quality.quarantine). Empty: every error stops the load.
  policy::DataErrorClassSet quarantinable;
};

inline constexpr absl::string_view kRowField = "(row)";
inline constexpr absl::string_view kHeaderField = "(header)";
inline constexpr absl::string_view kFolderField = "(folder)";

struct ValidationError {
  std::string file;  // base name of the CSV file (the folder for kFolderField errors)
  int line = 0;      // 1-based physical line; the header is line 1; 0 for the folder
  std::string field;
  std::string message;
  policy::DataErrorClass error_class = policy::DataErrorClass::kStructure;
  // What quarantine would leave out: the table (static_cast<int>(Table)) or -1 for a
  // folder/header error; the row's CHILD as written (trimmed; may be empty); for the postcode
  // table, the row's postcode normalised (upper case, no spaces).
  int table = -1;
  std::string child;
  std::string postcode;

  // "file:line: FIELD: message", or "file: FIELD: message" when line is 0.
  std::string ToString() const;
};

struct ValidationReport {
  std::vector<ValidationError> errors;  // in the order found: headers, Header, other files
  bool truncated = false;               // loading stopped at max_errors; there are more errors
  // With a policy that quarantines some classes: how many further errors were quarantinable
  // (errors lists only those that stopped the round).
  int quarantinable_errors = 0;

  bool ok() const { return errors.empty(); }
  // "N errors; nothing computed", or, when truncated, "stopped after the first N errors;
  // nothing computed". Empty when ok().
  std::string Summary() const;
  // Every error line, then Summary(), joined by '\n' (no trailing newline).
  std::string ToString() const;
};

// What quarantine left out of a successful load. Local only: it names rows of the LA's files.
struct QuarantineReport {
  std::vector<ValidationError> errors;      // every quarantined error, in the order found
  int64_t children_left_out = 0;            // distinct CHILD ids left out of every table
  int64_t sensitive_left_out = 0;           // children counted without their sensitive attributes
  int64_t postcodes_left_out = 0;           // postcodes treated as not in the postcode table
  int64_t rows_left_out[kTableCount] = {};  // per table: bad rows and left-out children's rows
  int64_t errors_by_class[policy::kDataErrorClassCount] = {};

  bool empty() const { return errors.empty(); }
  // A few lines for the LA's terminal: counts by class and by table, then every error with
  // its class. Empty when empty().
  std::string ToString() const;
};

// Loads `opts.dir` (see above).
absl::StatusOr<LaData> LoadLaFolder(const LoadOptions& opts);

// The same, and `report` (not null; cleared first) receives the validation errors, so a
// `validate` command can print them all (use max_errors = 0 for no limit).
absl::StatusOr<LaData> LoadLaFolder(const LoadOptions& opts, ValidationReport* report);

// The same; `quarantine` (not null; cleared first) receives what quarantine left out of a
// successful load (empty when nothing was).
absl::StatusOr<LaData> LoadLaFolder(const LoadOptions& opts, ValidationReport* report,
                                    QuarantineReport* quarantine);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_LOADER_H_
