// Test helpers: a temporary LA folder and CSV text for the SSDA903 tables, so unit and
// end-to-end tests can write small hand-made exports without repeating column lists.
//
//   ASSERT_OK_AND_ASSIGN-style:
//     absl::StatusOr<TempFolder> dir = TempFolder::Create();
//     dir->Write("header.csv", HeaderCsv({{"C1", "M", "01/01/2015"}}));
//     dir->Write("episodes.csv", EpisodesCsv({Episode("C1", "01/01/2024")}));
//
// The column lists come from node/ssda903_schema.h, so the helpers follow the schema.
//
// Privacy: for synthetic test data only.
//
// Thread-compatible.
#ifndef RINGFENCE_NODE_TESTING_LA_FOLDER_H_
#define RINGFENCE_NODE_TESTING_LA_FOLDER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/ssda903_schema.h"

namespace ringfence::node::testing {

// A fresh, empty folder under $TEST_TMPDIR, $TMPDIR or /tmp, removed with its contents when
// the object is destroyed. Move-only.
class TempFolder {
 public:
  // INTERNAL when the folder cannot be made.
  static absl::StatusOr<TempFolder> Create();

  TempFolder(TempFolder&& other) noexcept;
  TempFolder& operator=(TempFolder&& other) noexcept;
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder();

  const std::string& path() const { return path_; }

  // Writes `contents` byte for byte to `name` inside the folder, replacing any such file.
  absl::Status Write(absl::string_view name, absl::string_view contents) const;

 private:
  explicit TempFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// One CSV line from `fields` (quoted where a field holds a comma, quote or line break),
// ending in "\n".
std::string CsvLine(const std::vector<std::string>& fields);

// The CSV text of `table`: its schema's header row (DfE column order) and `rows`, each holding
// values in that column order.
std::string TableCsv(Table table, const std::vector<std::vector<std::string>>& rows);

// Header rows with defaults for the fields a test does not care about. SEX defaults to "M"
// (valid from 2025); pass "1"/"2" for 2024 and earlier.
struct HeaderRow {
  std::string child;
  std::string sex = "M";
  std::string dob = "01/06/2015";
  std::string ethnic = "WBRI";
  std::string upn = "";
  std::string mother = "";
  std::string mc_dob = "";
};
std::string HeaderCsv(const std::vector<HeaderRow>& rows);

struct EpisodeRow {
  std::string child;
  std::string decom;
  std::string rne = "S";
  std::string ls = "C2";
  std::string cin = "N1";
  std::string place = "U1";
  std::string place_provider = "PR1";
  std::string dec = "";
  std::string rec = "";
  std::string reason_place_change = "";
  std::string home_post = "";
  std::string pl_post = "";
  std::string urn = "";
};
// An episode of `child` from `decom`, ended on `dec` for reason `rec` when given.
EpisodeRow Episode(std::string child, std::string decom, std::string dec = "",
                   std::string rec = "");
std::string EpisodesCsv(const std::vector<EpisodeRow>& rows);

}  // namespace ringfence::node::testing

#endif  // RINGFENCE_NODE_TESTING_LA_FOLDER_H_
