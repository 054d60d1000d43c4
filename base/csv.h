// A strict, allocation-light CSV reader (RFC 4180) for files that come from outside: SSDA903
// exports, sensitive.csv, postcode tables and the embedded reference data.
//
// Accepts: a UTF-8 byte-order mark at the start (spreadsheet exports write one), LF or CRLF
// line ends, double-quoted fields with "" escapes and embedded commas or line breaks. Entirely
// blank lines are skipped. Rejects, with INVALID_ARGUMENT `file:line: message`: a quote
// inside an unquoted field, text after a closing quote, and an unterminated quoted field.
//
// Fields are views into the input text (or into the row's own scratch for quoted fields with
// escapes), valid until the next call to Next() or until the text is freed.
//
// Thread-compatible: one reader per thread.
#ifndef RINGFENCE_BASE_CSV_H_
#define RINGFENCE_BASE_CSV_H_

#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ringfence::base {

struct CsvRow {
  int line = 0;  // 1-based physical line where the record starts (header = 1)
  std::vector<absl::string_view> fields;
  std::deque<std::string> scratch;  // backing store for unescaped quoted fields
};

class CsvReader {
 public:
  // `filename` is used only in error messages (callers pass the base name). The reader keeps a
  // view of `text`, which must outlive it (and every CsvRow it fills).
  CsvReader(absl::string_view text, std::string filename);
  // A temporary string would be destroyed while the reader still views it.
  CsvReader(std::string&& text, std::string filename) = delete;

  // Reads the next record into `row`. Returns false at the end of the text or on malformed
  // input; status() tells which.
  bool Next(CsvRow* row);

  const absl::Status& status() const { return status_; }

 private:
  absl::string_view text_;
  std::string filename_;
  size_t pos_ = 0;
  int line_ = 1;
  absl::Status status_;
};

// Reads a whole file into memory. NOT_FOUND / PERMISSION_DENIED / INTERNAL name the path.
absl::Status ReadFileToString(const std::string& path, std::string* out);

// Writes `contents` to `path` atomically: a temporary file in the same folder, fsync, rename.
// A reader never sees a half-written file. `mode` is the permission bits (e.g. 0600 for keys).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 int mode = 0644);

}  // namespace ringfence::base

#endif  // RINGFENCE_BASE_CSV_H_
