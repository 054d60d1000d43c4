#include "node/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "policy/data_quality.h"

namespace ringfence::node {
namespace {

namespace fs = std::filesystem;

// A field value for a message: in double quotes, with quotes and line breaks escaped so one
// error stays on one line.
std::string Quoted(absl::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

// Collects errors up to the limit. The first error past the limit is not kept; it marks the
// report truncated, and the loader stops at its next check.
class ErrorSink {
 public:
  ErrorSink(int max_errors, ValidationReport* report) : max_(max_errors), report_(report) {}

  // A whole-file, header or folder error (class kStructure, no row to attribute).
  void Add(absl::string_view file, int line, absl::string_view field, std::string message) {
    ValidationError e;
    e.file = std::string(file);
    e.line = line;
    e.field = std::string(field);
    e.message = std::move(message);
    Add(std::move(e));
  }
  void Add(ValidationError e) {
    if (report_->truncated) return;
    if (max_ > 0 && static_cast<int>(report_->errors.size()) >= max_) {
      report_->truncated = true;
      return;
    }
    report_->errors.push_back(std::move(e));
  }
  bool stopped() const { return report_->truncated; }

 private:
  int max_;
  ValidationReport* report_;
};

// Upper case, spaces and tabs removed: how postcodes are matched (spec "Distance").
std::string NormalisedPostcode(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// The rows a quarantining second pass leaves out (policy/data_quality.h has the rule).
struct Exclusions {
  absl::flat_hash_set<std::string> children;              // CHILD ids, from every table
  absl::flat_hash_set<std::string> sensitive_children;    // CHILD ids, from sensitive.csv only
  absl::flat_hash_set<std::string> postcodes;             // normalised, from the postcode table
  absl::flat_hash_set<std::pair<std::string, int>> rows;  // (file, line): one row alone
};

// A CSV file of the folder and what its header says it is.
struct CsvFile {
  std::string name;  // base name, for messages
  std::string path;
  const TableSchema* schema = nullptr;  // null when not recognised (an error was reported)
  std::vector<int> column;              // column[k]: field index of schema->columns[k]
  size_t field_count = 0;               // fields in the header row

  // Field index of the schema column `name`, or -1 when the table has no such column.
  int Col(absl::string_view name) const {
    for (size_t k = 0; k < schema->columns.size(); ++k) {
      if (schema->columns[k] == name) return column[k];
    }
    return -1;
  }
};

absl::Status OpenError(const std::string& path) {
  if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  if (errno == EACCES)
    return absl::PermissionDeniedError(absl::StrCat(path, ": permission denied"));
  return absl::InternalError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
}

// read(2) with EINTR retried. Returns bytes read, 0 at the end, -1 on error (errno set).
ssize_t ReadSome(int fd, char* buf, size_t n) {
  while (true) {
    const ssize_t r = ::read(fd, buf, n);
    if (r >= 0 || errno != EINTR) return r;
  }
}

absl::Status ReadError(const std::string& path) {
  return absl::InternalError(absl::StrCat(path, ": read failed: ", std::strerror(errno)));
}

// Closes `fd` when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// The last line feed in [begin, end), or null.
const char* LastLineFeed(const char* begin, const char* end) {
#if defined(__GLIBC__)
  return static_cast<const char*>(::memrchr(begin, '\n', static_cast<size_t>(end - begin)));
#else
  for (const char* p = end; p != begin;) {
    if (*--p == '\n') return p;
  }
  return nullptr;
#endif
}

// Reads a CSV file in pieces of whole records through one buffer of about kPieceBytes, so
// loading a table neither holds the whole file in memory nor page-faults in a fresh buffer of
// the file's size, and the tokenizer reads text that is still in the CPU cache (measured on the
// 10x national folder: system time 1.27 -> 0.76 s, user time 5.34 -> 4.91 s).
//
// Each piece is text for its own base::CsvReader. A piece ends just after a line feed that is
// outside quotes (found by quote parity from the piece's start, which is a record boundary),
// so records never straddle pieces; a piece grows until it holds such a line feed or reaches
// the end of the file. Reading the pieces one after another therefore yields exactly the
// records, fields and syntax errors of reading the whole file at once. Two details keep
// line numbers and the byte-order mark exact:
//   - a piece after the first starts with the line feed that ended the previous one, which
//     the reader skips as a blank line; so the reader never sees a later piece's first bytes
//     at the start of its text, where it would strip a byte-order mark;
//   - a piece that is not the last is followed by one extra byte, 'x' (a sentinel record of
//     one field, never loaded), whose line tells where the next piece's lines start.
// Physical line = the reader's line + line_offset().
class PieceReader {
 public:
  static constexpr size_t kPieceBytes = 256 * 1024;

  PieceReader() = default;
  PieceReader(const PieceReader&) = delete;
  PieceReader& operator=(const PieceReader&) = delete;
  ~PieceReader() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Opens `path`; file_size() is then its size as fstat saw it (a hint for reserving).
  absl::Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return OpenError(path);
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      return absl::InternalError(absl::StrCat(path, ": cannot stat: ", std::strerror(errno)));
    }
    file_size_ = static_cast<size_t>(st.st_size);
    buf_.reset(new char[capacity_ + 1]);  // +1: room for the sentinel
    return absl::OkStatus();
  }
  size_t file_size() const { return file_size_; }

  // Sets *text to the next piece. False (with OK) after the last piece.
  absl::StatusOr<bool> Next(absl::string_view* text) {
    if (last_) return false;
    if (sentinel_ != nullptr) {
      // The previous piece ended at `cut`: keep its last line feed and what follows.
      const size_t cut = static_cast<size_t>(sentinel_ - buf_.get());
      *sentinel_ = saved_;
      line_offset_ += sentinel_line_ - 2;
      std::memmove(buf_.get(), buf_.get() + cut - 1, size_ - (cut - 1));
      size_ -= cut - 1;
      sentinel_ = nullptr;
    }
    const size_t from = first_ ? 0 : 1;  // where this piece's own bytes begin
    first_ = false;
    while (true) {
      while (size_ < capacity_ && !eof_) {
        const ssize_t n = ReadSome(fd_, buf_.get() + size_, capacity_ - size_);
        if (n < 0) return ReadError(path_);
        if (n == 0) eof_ = true;
        size_ += static_cast<size_t>(n > 0 ? n : 0);
      }
      if (eof_) {
        last_ = true;
        *text = absl::string_view(buf_.get(), size_);
        return true;
      }
      const size_t cut = CutAfterLastRecord(from);
      if (cut > 0) {
        sentinel_ = buf_.get() + cut;
        saved_ = *sentinel_;  // buf_ has one spare byte, so cut == size_ is fine
        *sentinel_ = 'x';
        *text = absl::string_view(buf_.get(), cut + 1);
        return true;
      }
      // No record ends in the buffer (a very long quoted field): read a bigger piece.
      std::unique_ptr<char[]> bigger(new char[2 * capacity_ + 1]);
      std::memcpy(bigger.get(), buf_.get(), size_);
      buf_ = std::move(bigger);
      capacity_ *= 2;
    }
  }

  // The sentinel record that ends the current piece, if `row` is it: then the next piece's
  // offset is known from its line.
  bool IsSentinel(const base::CsvRow& row) {
    if (sentinel_ == nullptr || row.fields.size() != 1 || row.fields[0].data() != sentinel_) {
      return false;
    }
    sentinel_line_ = row.line;
    return true;
  }

  int line_offset() const { return line_offset_; }

 private:
  // Just past the last line feed in buf_[from, size_) that is outside quotes, or 0. Quotes
  // toggle: in RFC 4180 an escaped quote is two quotes, so parity tells inside from outside.
  size_t CutAfterLastRecord(size_t from) const {
    const char* const data = buf_.get();
    size_t cut = 0;
    size_t outside = from;  // start of the current stretch outside quotes
    while (true) {
      const void* q = std::memchr(data + outside, '"', size_ - outside);
      const size_t end =
          q == nullptr ? size_ : static_cast<size_t>(static_cast<const char*>(q) - data);
      const char* lf = LastLineFeed(data + outside, data + end);
      if (lf != nullptr) cut = static_cast<size_t>(lf - data) + 1;
      if (q == nullptr) return cut;
      const void* close = std::memchr(data + end + 1, '"', size_ - end - 1);
      if (close == nullptr) return cut;  // the rest is inside an open quote
      outside = static_cast<size_t>(static_cast<const char*>(close) - data) + 1;
    }
  }

  std::string path_;
  int fd_ = -1;
  size_t file_size_ = 0;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = kPieceBytes;
  size_t size_ = 0;  // bytes of buf_ in use
  bool first_ = true;
  bool eof_ = false;
  bool last_ = false;         // the last piece was handed out
  char* sentinel_ = nullptr;  // the current piece's sentinel byte, or null
  char saved_ = 0;            // the file's byte under the sentinel
  int sentinel_line_ = 0;     // the reader's line of the sentinel record
  int line_offset_ = 0;
};

// Reads the file up to the end of its first non-blank record (a line break outside quotes),
// so recognising a large file (a national postcode table) does not read all of it.
absl::Status ReadHeaderRecord(const std::string& path, std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path);
  FdCloser closer(fd);
  constexpr size_t kMaxHeader = 1 << 20;
  bool quoted = false;
  bool content = false;
  size_t scanned = 0;
  char buf[4096];
  while (out->size() < kMaxHeader) {
    const ssize_t n = ReadSome(fd, buf, sizeof buf);
    if (n < 0) return ReadError(path);
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    for (; scanned < out->size(); ++scanned) {
      const char c = (*out)[scanned];
      if (c == '"') {
        quoted = !quoted;
        content = true;
      } else if (c == '\n') {
        if (!quoted && content) {
          out->resize(scanned + 1);
          return absl::OkStatus();
        }
      } else if (c != '\r') {
        content = true;
      }
    }
  }
  return absl::OkStatus();
}

// base::CsvReader reports "file:line: message"; split that into an error of our own. The
// reader read a piece of the file whose lines are `line_offset` lines into it (PieceReader).
void AddCsvSyntaxError(const absl::Status& status, const std::string& file, int line_offset,
                       ErrorSink* sink) {
  absl::string_view msg = status.message();
  int line = 0;
  if (absl::ConsumePrefix(&msg, file) && absl::ConsumePrefix(&msg, ":")) {
    size_t colon = msg.find(':');
    if (colon != absl::string_view::npos && absl::SimpleAtoi(msg.substr(0, colon), &line)) {
      msg.remove_prefix(colon + 1);
      absl::ConsumePrefix(&msg, " ");
      line += line_offset;
    } else {
      line = 0;
      msg = status.message();
    }
  } else {
    msg = status.message();
  }
  sink->Add(file, line, kRowField, absl::StrCat("malformed CSV: ", msg));
}

std::string UpperTrimmed(absl::string_view s) { return absl::AsciiStrToUpper(TrimAsciiBlanks(s)); }

// distinctive[t][k]: column k of schema t appears in no other table's schema.
const std::vector<std::vector<bool>>& Distinctive() {
  static const auto* const kDistinctive = [] {
    const auto& schemas = AllTableSchemas();
    auto* d = new std::vector<std::vector<bool>>;
    for (const TableSchema& s : schemas) {
      std::vector<bool> v;
      for (const std::string& col : s.columns) {
        int tables = 0;
        for (const TableSchema& o : schemas) {
          for (const std::string& oc : o.columns) {
            if (absl::EqualsIgnoreCase(oc, col)) {
              ++tables;
              break;
            }
          }
        }
        v.push_back(tables == 1);
      }
      d->push_back(std::move(v));
    }
    return d;
  }();
  return *kDistinctive;
}

std::string ExpectedTables() {
  std::vector<std::string> parts;
  for (const TableSchema& s : AllTableSchemas()) {
    parts.push_back(absl::StrCat(s.name, " (", absl::StrJoin(s.columns, ","), ")"));
  }
  return absl::StrJoin(parts, "; ");
}

// Decides which table `file` holds from its header fields. Reports errors and leaves
// file->schema null when it cannot.
void RecogniseHeader(const std::vector<absl::string_view>& fields, CsvFile* file, ErrorSink* sink) {
  std::vector<std::string> names;
  names.reserve(fields.size());
  for (absl::string_view f : fields) names.push_back(UpperTrimmed(f));
  file->field_count = fields.size();

  const auto& schemas = AllTableSchemas();
  // present[t][k]: field index of column k of table t, or -1.
  std::vector<std::vector<int>> present(schemas.size());
  const TableSchema* best_full = nullptr;
  size_t best_full_index = 0;
  bool tie = false;
  for (size_t t = 0; t < schemas.size(); ++t) {
    bool all = true;
    for (const std::string& col : schemas[t].columns) {
      const std::string want = absl::AsciiStrToUpper(col);
      int at = -1;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == want) {
          at = static_cast<int>(i);
          break;
        }
      }
      present[t].push_back(at);
      if (at < 0) all = false;
    }
    if (!all) continue;
    if (best_full == nullptr || schemas[t].columns.size() > best_full->columns.size()) {
      best_full = &schemas[t];
      best_full_index = t;
      tie = false;
    } else if (schemas[t].columns.size() == best_full->columns.size()) {
      tie = true;
    }
  }

  if (best_full != nullptr && tie) {
    sink->Add(file->name, 1, kHeaderField,
              absl::StrCat("the header holds the columns of more than one table of the same "
                           "size; expected the columns of exactly one of: ",
                           ExpectedTables()));
    return;
  }

  if (best_full != nullptr) {
    // A required column named twice would make the row's value ambiguous.
    bool duplicated = false;
    for (const std::string& col : best_full->columns) {
      const std::string want = absl::AsciiStrToUpper(col);
      std::vector<std::string> at;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == want) at.push_back(absl::StrCat(i + 1));
      }
      if (at.size() > 1) {
        duplicated = true;
        sink->Add(file->name, 1, col,
                  absl::StrCat("column ", col, " appears more than once in the header (fields ",
                               absl::StrJoin(at, ", "), ")"));
      }
    }
    if (duplicated) return;
    file->schema = best_full;
    file->column = present[best_full_index];
    return;
  }

  // No table fits. If the header has a column only one table has, it is that table with
  // columns missing; with several candidates, the one with most columns present.
  const auto& distinctive = Distinctive();
  int best = -1;
  int best_count = 0;
  for (size_t t = 0; t < schemas.size(); ++t) {
    bool has_distinctive = false;
    int count = 0;
    for (size_t k = 0; k < present[t].size(); ++k) {
      if (present[t][k] < 0) continue;
      ++count;
      if (distinctive[t][k]) has_distinctive = true;
    }
    if (has_distinctive && count > best_count) {
      best = static_cast<int>(t);
      best_count = count;
    }
  }
  if (best >= 0) {
    const TableSchema& s = schemas[best];
    for (size_t k = 0; k < s.columns.size(); ++k) {
      if (present[best][k] >= 0) continue;
      sink->Add(file->name, 1, s.columns[k],
                absl::StrCat("table ", s.name, " is missing column ", s.columns[k]));
    }
    return;
  }

  std::vector<absl::string_view> trimmed;
  for (absl::string_view f : fields) trimmed.push_back(TrimAsciiBlanks(f));
  sink->Add(file->name, 1, kHeaderField,
            absl::StrCat("not a recognised table: the header ", Quoted(absl::StrJoin(trimmed, ",")),
                         " does not hold all the columns of any of: ", ExpectedTables()));
}

// TrimAsciiBlanks (node/codes.h), inlined for the row loop: every field of every row goes
// through it.
inline absl::string_view TrimBlanks(absl::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return absl::string_view(text.data() + b, e - b);
}

bool AllBlank(const base::CsvRow& row) {
  for (absl::string_view f : row.fields) {
    if (!TrimBlanks(f).empty()) return false;
  }
  return true;
}

// "DUC" may be masked: each of dd, mm and yyyy is either digits or all Z (any case). A fully
// unmasked value must be a real date; unmasked parts of a masked one must be in range.
bool ParseMaskableDate(absl::string_view text, Date* date, bool* masked) {
  if (TryParseDate(text, date)) {
    *masked = false;
    return true;
  }
  if (text.size() != 10 || text[2] != '/' || text[5] != '/') return false;
  auto part = [&](size_t at, size_t len, int lo, int hi, bool* is_masked) {
    bool z = true;
    bool digits = true;
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      const char c = text[i];
      if (c != 'Z' && c != 'z') z = false;
      if (c < '0' || c > '9') {
        digits = false;
      } else {
        v = v * 10 + (c - '0');
      }
    }
    *is_masked = z;
    return z || (digits && v >= lo && v <= hi);
  };
  bool md = false;
  bool mm = false;
  bool my = false;
  if (!part(0, 2, 1, 31, &md) || !part(3, 2, 1, 12, &mm) || !part(6, 4, 1, 9999, &my)) {
    return false;
  }
  if (!(md || mm || my)) return false;  // unmasked but not a real date
  *date = Date::Blank();
  *masked = true;
  return true;
}

// A column of the file being loaded: its field index (-1 when its table has no such column)
// and its name as the schema spells it (for messages). Resolved once per file, so the row
// loop indexes fields directly.
struct Column {
  int index = -1;
  const char* name = "";
};

struct Columns {
  Column child, sex, dob, ethnic, mc_dob;                           // Header (and others)
  Column decom, rne, ls, cin, place, dec, rec, home_post, pl_post;  // Episodes
  Column duc;                                                       // UASC
  Column nationality, immigration_status, nrpf;                     // sensitive
  Column in_touch, activ, accom;                                    // OC3
  Column missing, mis_start, mis_end;                               // Missing
  Column pcd, oseast1m, osnrth1m, utla;                             // postcodes
};

Columns ResolveColumns(const CsvFile& f) {
  auto col = [&f](const char* name) { return Column{f.Col(name), name}; };
  Columns c;
  c.child = col("CHILD");
  c.sex = col("SEX");
  c.dob = col("DOB");
  c.ethnic = col("ETHNIC");
  c.mc_dob = col("MC_DOB");
  c.decom = col("DECOM");
  c.rne = col("RNE");
  c.ls = col("LS");
  c.cin = col("CIN");
  c.place = col("PLACE");
  c.dec = col("DEC");
  c.rec = col("REC");
  c.home_post = col("HOME_POST");
  c.pl_post = col("PL_POST");
  c.duc = col("DUC");
  c.nationality = col("NATIONALITY");
  c.immigration_status = col("IMMIGRATION_STATUS");
  c.nrpf = col("NRPF");
  c.in_touch = col("IN_TOUCH");
  c.activ = col("ACTIV");
  c.accom = col("ACCOM");
  c.missing = col("MISSING");
  c.mis_start = col("MIS_START");
  c.mis_end = col("MIS_END");
  c.pcd = col("pcd");
  c.oseast1m = col("oseast1m");
  c.osnrth1m = col("osnrth1m");
  c.utla = col("utla");
  return c;
}

// Starts loading `p`, which is about to be written, into the cache. No effect on results.
inline void PrefetchForWrite(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, /*rw=*/1);
#else
  (void)p;
#endif
}

// LoadTable reads this many rows at a time, and prefetches the lookups of the row this many
// rows ahead of the one it loads (a row takes about 0.5 us to load, a memory miss 0.1 us).
constexpr size_t kRowBatch = 64;
constexpr size_t kPrefetchRows = 4;

// Per-load state: the options, the data being built and the error sink.
class Loader {
 public:
  // `max_errors` overrides opts.max_errors (0: no limit). `exclusions` (may be null) are rows
  // to leave out, counted in `quarantine` (not null when exclusions is not).
  Loader(const LoadOptions& opts, int max_errors, ValidationReport* report,
         const Exclusions* exclusions = nullptr, QuarantineReport* quarantine = nullptr)
      : opts_(opts),
        year_(CollectionYear::ForYear(opts.year)),
        sink_(max_errors, report),
        exclusions_(exclusions),
        quarantine_(quarantine) {
    data_.la_code = opts.la_code;
    data_.year = opts.year;
  }

  // `files`: (base name, path) in load order; `explicit_postcodes`: index in `files` of the
  // file named by LoadOptions::postcodes_path, or -1.
  absl::Status Run(const std::vector<std::pair<std::string, std::string>>& files,
                   int explicit_postcodes);
  LaData TakeData() { return std::move(data_); }
  int64_t excluded_header_ids() const { return excluded_header_ids_.size(); }

 private:
  absl::Status LoadTable(const CsvFile& file);
  // Checks and loads row `i` of the batch rows_ of `f` (counted in `source`).
  void LoadRow(const CsvFile& f, size_t i, bool once, TableSource* source);
  // Prefetches the index entries that loading `row` will look up.
  void PrefetchRow(const CsvFile& f, const base::CsvRow& row);
  void PrefetchPostcode(absl::string_view raw);
  // For the postcode table: looks up the postcodes of the batch's first `n` rows, into
  // batch_postcode_ids_, with their index entries and PostcodeInfo prefetched.
  void ResolvePostcodeRows(const CsvFile& f, size_t n);
  void HeaderRow(const CsvFile& f, const base::CsvRow& row);
  void EpisodesRow(const CsvFile& f, const base::CsvRow& row);
  void UascRow(const CsvFile& f, const base::CsvRow& row);
  void SensitiveRow(const CsvFile& f, const base::CsvRow& row);
  void Oc3Row(const CsvFile& f, const base::CsvRow& row);
  void MissingRow(const CsvFile& f, const base::CsvRow& row);
  // `id`: the row's postcode in data_.postcodes, or -1 (ResolvePostcodeRows).
  void PostcodeRow(const CsvFile& f, const base::CsvRow& row, PostcodeId id);
  bool Coordinate(const CsvFile& f, const base::CsvRow& row, Column c, int32_t* out);
  // Records the first row of `child` in a table that holds each child once; false (after
  // reporting) when the child was already there.
  bool FirstRowOfChild(const CsvFile& f, const base::CsvRow& row, ChildIndex child);
  void OtherRow(const CsvFile& f, const base::CsvRow& row, bool once);
  void CheckOpenEpisodeTies(const CsvFile& f);

  // Field helpers. Each reports its own error and returns false on a bad value.
  absl::string_view Field(const base::CsvRow& row, Column c) const {
    return TrimBlanks(row.fields[c.index]);
  }
  bool RequiredChild(const CsvFile& f, const base::CsvRow& row, ChildIndex* child);
  bool RequiredDate(const CsvFile& f, const base::CsvRow& row, Column c, Date* out);
  bool OptionalDate(const CsvFile& f, const base::CsvRow& row, Column c, Date* out);
  template <typename E>
  bool RequiredCode(const CsvFile& f, const base::CsvRow& row, Column c, E* out);
  // Reports an error of class `cls` in `row`, attributed to the row's CHILD (or, in the
  // postcode table, its postcode) so that quarantine can leave the right rows out.
  void Error(const CsvFile& f, const base::CsvRow& row, policy::DataErrorClass cls,
             absl::string_view field, std::string message) {
    ValidationError e;
    e.file = f.name;
    e.line = row.line;
    e.field = std::string(field);
    e.message = std::move(message);
    e.error_class = cls;
    e.table = static_cast<int>(f.schema->table);
    if (cols_.child.index >= 0) e.child = std::string(Field(row, cols_.child));
    if (f.schema->table == Table::kPostcodes)
      e.postcode = NormalisedPostcode(Field(row, cols_.pcd));
    sink_.Add(std::move(e));
  }
  struct PostcodeMemo {  // the last raw value and its id
    std::string raw;
    PostcodeId id = kNoPostcode;
  };
  PostcodeId InternPostcode(absl::string_view raw, PostcodeMemo* memo);

  // True when `row` of `f` is to be left out (quarantine's second pass); counts it.
  bool Excluded(const CsvFile& f, const base::CsvRow& row);

  const LoadOptions& opts_;
  const CollectionYear year_;
  ErrorSink sink_;
  const Exclusions* exclusions_;
  QuarantineReport* quarantine_;
  absl::flat_hash_set<std::string> excluded_header_ids_;  // for children_left_out
  LaData data_;
  bool have_header_ = false;
  Columns cols_;  // of the file being loaded
  // RequiredChild's memo and cursor: the child of the last row resolved in this table (-1 at
  // the start of a table). Exports list children in Header order, so a new id is usually the
  // child after it.
  ChildIndex last_child_ = -1;
  absl::string_view last_child_id_;
  std::vector<int32_t> once_line_;  // per child: line of its row in the current "once" table
  std::string scratch_;
  std::vector<base::CsvRow> rows_;              // LoadTable's batch of rows, reused
  std::vector<std::string> batch_postcodes_;    // ResolvePostcodeRows: normalised pcd
  std::vector<PostcodeId> batch_postcode_ids_;  // ... and its id, or -1
  PostcodeMemo home_post_memo_;
  PostcodeMemo pl_post_memo_;
};

absl::Status Loader::Run(const std::vector<std::pair<std::string, std::string>>& files,
                         int explicit_postcodes) {
  // Pass 1: recognise every file by its header.
  std::vector<CsvFile> recognised;
  const CsvFile* table_file[kTableCount] = {};
  std::string head;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& name = files[i].first;
    const std::string& path = files[i].second;
    CsvFile file;
    file.name = name;
    file.path = path;
    RINGFENCE_RETURN_IF_ERROR(ReadHeaderRecord(path, &head));
    base::CsvReader reader(head, name);
    base::CsvRow row;
    if (!reader.Next(&row)) {
      if (!reader.status().ok()) {
        AddCsvSyntaxError(reader.status(), name, /*line_offset=*/0, &sink_);
      } else {
        sink_.Add(name, 1, kHeaderField,
                  absl::StrCat("the file is empty; expected a header row with the columns of "
                               "one of: ",
                               ExpectedTables()));
      }
      continue;
    }
    RecogniseHeader(row.fields, &file, &sink_);
    if (static_cast<int>(i) == explicit_postcodes && file.schema != nullptr &&
        file.schema->table != Table::kPostcodes) {
      sink_.Add(name, 1, kHeaderField,
                absl::StrCat("the --postcodes file holds the ", file.schema->name,
                             " table, not the postcode table (pcd,oseast1m,osnrth1m,utla)"));
      continue;
    }
    if (file.schema != nullptr) recognised.push_back(std::move(file));
  }
  // Two files for one table (the second by name is reported; the first is loaded).
  std::vector<const CsvFile*> to_load;
  for (const CsvFile& file : recognised) {
    const int t = static_cast<int>(file.schema->table);
    if (table_file[t] != nullptr) {
      sink_.Add(file.name, 1, kHeaderField,
                absl::StrCat("holds the ", file.schema->name, " table, which ", table_file[t]->name,
                             " already holds; keep one file per table"));
      continue;
    }
    table_file[t] = &file;
    to_load.push_back(&file);
  }
  const CsvFile* header = table_file[static_cast<int>(Table::kHeader)];
  if (header == nullptr) {
    const TableSchema& hs = AllTableSchemas()[0];
    sink_.Add(opts_.dir, 0, kFolderField,
              absl::StrCat("no CSV file holds the Header table (a header row with the columns ",
                           absl::StrJoin(hs.columns, ","), "); Header is required"));
  }
  if (sink_.stopped()) return absl::OkStatus();

  // Pass 2: Header first (every other table refers to it), then the rest in name order, and
  // the postcode table last: only the postcodes Episodes uses are kept from it.
  if (header != nullptr) {
    have_header_ = true;
    RINGFENCE_RETURN_IF_ERROR(LoadTable(*header));
  }
  const CsvFile* postcodes = table_file[static_cast<int>(Table::kPostcodes)];
  for (const CsvFile* file : to_load) {
    if (sink_.stopped()) break;
    if (file == header || file == postcodes) continue;
    RINGFENCE_RETURN_IF_ERROR(LoadTable(*file));
  }
  if (postcodes != nullptr && !sink_.stopped()) {
    RINGFENCE_RETURN_IF_ERROR(LoadTable(*postcodes));
  }
  return absl::OkStatus();
}

absl::Status Loader::LoadTable(const CsvFile& f) {
  PieceReader file;
  RINGFENCE_RETURN_IF_ERROR(file.Open(f.path));
  last_child_ = -1;
  last_child_id_ = absl::string_view();
  TableSource& source = data_.tables[static_cast<int>(f.schema->table)];
  source.file = f.name;
  cols_ = ResolveColumns(f);

  const Table table = f.schema->table;
  const bool once = table == Table::kOc3 || table == Table::kSensitive;
  if (once) once_line_.assign(data_.children.size(), 0);
  const size_t bytes = file.file_size();
  switch (table) {
    case Table::kHeader:
      data_.children.reserve(bytes / 40);
      data_.child_ids.Reserve(bytes / 40);
      break;
    case Table::kEpisodes:
      data_.episodes.reserve(bytes / 64);
      data_.postcodes.Reserve(bytes / 128);
      break;
    case Table::kPostcodes:
      data_.postcode_info.assign(static_cast<size_t>(data_.postcodes.size()), PostcodeInfo{});
      break;
    default:
      break;
  }

  // Rows are read a batch at a time so that the index lookups of the next few rows can be
  // started (prefetched) while a row is validated: with a national folder the indexes are far
  // larger than the CPU caches, and a lookup that waits for memory costs more than the rest of
  // its row. Rows read past the point where loading stops are never looked at.
  rows_.resize(kRowBatch);
  bool header = true;  // the first record is the header, recognised in pass 1
  absl::string_view text;
  while (!sink_.stopped()) {
    absl::StatusOr<bool> piece = file.Next(&text);
    if (!piece.ok()) return piece.status();
    if (!*piece) break;
    base::CsvReader reader(text, f.name);
    const int line_offset = file.line_offset();
    bool more = true;
    while (more && !sink_.stopped()) {
      size_t n = 0;
      while (n < kRowBatch && (more = reader.Next(&rows_[n]))) {
        base::CsvRow& row = rows_[n];
        if (file.IsSentinel(row)) continue;
        row.line += line_offset;
        if (header) {
          header = false;
          continue;
        }
        ++n;
      }
      if (table == Table::kPostcodes) ResolvePostcodeRows(f, n);
      for (size_t i = 0; i < n && i < kPrefetchRows; ++i) PrefetchRow(f, rows_[i]);
      for (size_t i = 0; i < n && !sink_.stopped(); ++i) {
        if (i + kPrefetchRows < n) PrefetchRow(f, rows_[i + kPrefetchRows]);
        LoadRow(f, i, once, &source);
      }
    }
    if (!reader.status().ok()) {
      AddCsvSyntaxError(reader.status(), f.name, line_offset, &sink_);
      break;
    }
  }
  if (table == Table::kEpisodes && !sink_.stopped()) CheckOpenEpisodeTies(f);
  return absl::OkStatus();
}

void Loader::LoadRow(const CsvFile& f, size_t i, bool once, TableSource* source) {
  const base::CsvRow& row = rows_[i];
  const Table table = f.schema->table;
  if (row.fields.size() != f.field_count) {
    if (row.fields.size() == 1 && AllBlank(row)) return;  // a line of spaces
    Error(f, row, policy::DataErrorClass::kStructure, kRowField,
          absl::StrCat("ragged line: ", row.fields.size(), " fields, but the header has ",
                       f.field_count));
    return;
  }
  if (AllBlank(row)) return;
  ++source->rows;
  if (exclusions_ != nullptr && Excluded(f, row)) return;
  switch (table) {
    case Table::kHeader:
      HeaderRow(f, row);
      break;
    case Table::kEpisodes:
      EpisodesRow(f, row);
      break;
    case Table::kUasc:
      UascRow(f, row);
      break;
    case Table::kSensitive:
      SensitiveRow(f, row);
      break;
    case Table::kOc3:
      Oc3Row(f, row);
      break;
    case Table::kMissing:
      MissingRow(f, row);
      break;
    case Table::kPostcodes:
      PostcodeRow(f, row, batch_postcode_ids_[i]);
      break;
    default:
      OtherRow(f, row, once);
      break;
  }
}

void Loader::PrefetchRow(const CsvFile& f, const base::CsvRow& row) {
  if (row.fields.size() != f.field_count) return;
  switch (f.schema->table) {
    case Table::kHeader:
      data_.child_ids.Prefetch(Field(row, cols_.child));
      break;
    case Table::kEpisodes:
      PrefetchPostcode(Field(row, cols_.home_post));
      PrefetchPostcode(Field(row, cols_.pl_post));
      break;
    default:  // other tables find most CHILD ids by RequiredChild's look-ahead, not the
      break;  // index (and ResolvePostcodeRows serves the postcode table)
  }
}

void Loader::ResolvePostcodeRows(const CsvFile& f, size_t n) {
  batch_postcodes_.resize(n);
  batch_postcode_ids_.assign(n, -1);
  // First start loading every row's index entry, then look each up (by then in the cache)
  // and start loading its PostcodeInfo, which PostcodeRow updates.
  for (size_t i = 0; i < n; ++i) {
    const base::CsvRow& row = rows_[i];
    std::string& key = batch_postcodes_[i];
    key.clear();
    if (row.fields.size() != f.field_count) continue;
    for (char c : Field(row, cols_.pcd)) {
      if (c == ' ' || c == '\t') continue;
      key.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
    }
    data_.postcodes.Prefetch(key);
  }
  for (size_t i = 0; i < n; ++i) {
    if (batch_postcodes_[i].empty()) continue;
    const PostcodeId id = data_.postcodes.Find(batch_postcodes_[i]);
    batch_postcode_ids_[i] = id;
    if (id >= 0 && static_cast<size_t>(id) < data_.postcode_info.size()) {
      PrefetchForWrite(&data_.postcode_info[id]);
    }
  }
}

void Loader::PrefetchPostcode(absl::string_view raw) {
  char normalised[StringPool::kInlineKeyBytes];
  size_t n = 0;
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    if (n == sizeof normalised) return;  // not keyed inline: no prefetch
    normalised[n++] = absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  if (n > 0) data_.postcodes.Prefetch(absl::string_view(normalised, n));
}

bool Loader::Excluded(const CsvFile& f, const base::CsvRow& row) {
  const Table table = f.schema->table;
  bool out = false;
  if (cols_.child.index >= 0) {
    const absl::string_view id = Field(row, cols_.child);
    if (exclusions_->children.contains(id)) {
      out = true;
      if (table == Table::kHeader) excluded_header_ids_.emplace(id);
    } else if (table == Table::kSensitive && exclusions_->sensitive_children.contains(id)) {
      out = true;
    }
  }
  if (!out && table == Table::kPostcodes) {
    out = exclusions_->postcodes.contains(NormalisedPostcode(Field(row, cols_.pcd)));
  }
  if (!out) out = exclusions_->rows.contains(std::make_pair(f.name, row.line));
  if (out) ++quarantine_->rows_left_out[static_cast<int>(table)];
  return out;
}

// How many children after the last one RequiredChild compares before hashing.
constexpr ChildIndex kChildLookahead = 8;

bool Loader::RequiredChild(const CsvFile& f, const base::CsvRow& row, ChildIndex* child) {
  absl::string_view id = Field(row, cols_.child);
  if (id.empty()) {
    Error(f, row, policy::DataErrorClass::kMissingChildId, "CHILD",
          "is blank; every row needs the child's id");
    return false;
  }
  if (!have_header_) return false;  // already reported: no Header table
  // Exports list a child's rows together, so the last id usually repeats.
  if (last_child_ >= 0 && id == last_child_id_) {
    *child = last_child_;
    return true;
  }
  // Then the next few children in Header order: a table lists its children in that order,
  // skipping those it has no row for. The pool's ids are Header's order and its strings are
  // unique, so an equal string is the child the hash map would find.
  const ChildIndex end = std::min(last_child_ + 1 + kChildLookahead, data_.child_ids.size());
  for (ChildIndex next = last_child_ + 1; next < end; ++next) {
    const absl::string_view candidate = data_.child_ids.Get(next);
    if (candidate.size() == id.size() && std::memcmp(candidate.data(), id.data(), id.size()) == 0) {
      *child = next;
      last_child_ = next;
      last_child_id_ = candidate;
      return true;
    }
  }
  const int32_t c = data_.child_ids.Find(id);
  if (c < 0) {
    Error(f, row, policy::DataErrorClass::kUnknownChild, "CHILD",
          absl::StrCat(Quoted(id),
                       " is not in the Header table; every child must have a "
                       "Header row"));
    return false;
  }
  *child = c;
  last_child_ = c;
  last_child_id_ = data_.child_ids.Get(c);  // a view into the pool: stable
  return true;
}

bool Loader::RequiredDate(const CsvFile& f, const base::CsvRow& row, Column c, Date* out) {
  const char* field = c.name;
  absl::string_view v = Field(row, c);
  if (TryParseDate(v, out)) return true;
  if (v.empty()) {
    Error(f, row, policy::DataErrorClass::kBadDate, field, "is blank; expected a date dd/mm/yyyy");
  } else if (v.find_first_of("\r\n\"") != absl::string_view::npos) {
    Error(f, row, policy::DataErrorClass::kBadDate, field,
          absl::StrCat("expected a date dd/mm/yyyy, found ", Quoted(v)));
  } else {
    Error(f, row, policy::DataErrorClass::kBadDate, field,
          std::string(ParseDate(v).status().message()));
  }
  return false;
}

bool Loader::OptionalDate(const CsvFile& f, const base::CsvRow& row, Column c, Date* out) {
  absl::string_view v = Field(row, c);
  if (v.empty()) {
    *out = Date::Blank();
    return true;
  }
  return RequiredDate(f, row, c, out);
}

template <typename E>
bool Loader::RequiredCode(const CsvFile& f, const base::CsvRow& row, Column c, E* out) {
  const char* field = c.name;
  absl::string_view v = Field(row, c);
  if (ParseCode(v, opts_.year, out)) return true;
  const std::string expected = ExpectedCodes(CodeListOf<E>::kList, opts_.year);
  if (v.empty()) {
    Error(f, row, policy::DataErrorClass::kUnknownCode, field,
          absl::StrCat("is blank; expected one of ", expected));
  } else {
    Error(f, row, policy::DataErrorClass::kUnknownCode, field,
          absl::StrCat(Quoted(v), " is not a valid ", field, " code for ", opts_.year,
                       "; expected one of ", expected));
  }
  return false;
}

PostcodeId Loader::InternPostcode(absl::string_view raw, PostcodeMemo* memo) {
  if (raw.empty()) return kNoPostcode;
  // A child's consecutive episodes usually share a home (and often a placement) postcode.
  if (memo->id != kNoPostcode && raw == memo->raw) return memo->id;
  memo->raw.assign(raw.data(), raw.size());
  scratch_.clear();
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    scratch_.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  memo->id = scratch_.empty() ? kNoPostcode : data_.postcodes.Intern(scratch_);
  return memo->id;
}

void Loader::HeaderRow(const CsvFile& f, const base::CsvRow& row) {
  bool ok = true;
  absl::string_view id = Field(row, cols_.child);
  ChildIndex child = -1;
  if (id.empty()) {
    Error(f, row, policy::DataErrorClass::kMissingChildId, "CHILD",
          "is blank; every row needs the child's id");
    ok = false;
  } else {
    bool added = false;
    child = data_.child_ids.Intern(id, &added);
    if (added) {
      data_.children.emplace_back();
      data_.children.back().line = row.line;
    } else {
      Error(f, row, policy::DataErrorClass::kDuplicateChild, "CHILD",
            absl::StrCat(Quoted(id), " appears twice in Header (first on line ",
                         data_.children[child].line, "); each child must appear once"));
      return;  // the first row stands
    }
  }
  ChildRecord rec;
  rec.line = row.line;
  ok &= RequiredCode(f, row, cols_.sex, &rec.sex);
  ok &= RequiredDate(f, row, cols_.dob, &rec.dob);
  ok &= RequiredCode(f, row, cols_.ethnic, &rec.ethnicity);
  Date mc_dob;
  ok &= OptionalDate(f, row, cols_.mc_dob, &mc_dob);
  if (ok) data_.children[child] = rec;
}

void Loader::EpisodesRow(const CsvFile& f, const base::CsvRow& row) {
  EpisodeRecord ep;
  ep.line = row.line;
  bool ok = RequiredChild(f, row, &ep.child);
  ok &= RequiredDate(f, row, cols_.decom, &ep.decom);
  ok &= RequiredCode(f, row, cols_.rne, &ep.rne);
  ok &= RequiredCode(f, row, cols_.ls, &ep.ls);
  ok &= RequiredCode(f, row, cols_.cin, &ep.cin);
  ok &= RequiredCode(f, row, cols_.place, &ep.place);
  const bool dec_ok = OptionalDate(f, row, cols_.dec, &ep.dec);
  ok &= dec_ok;
  absl::string_view dec_text = Field(row, cols_.dec);
  absl::string_view rec_text = Field(row, cols_.rec);
  if (!rec_text.empty()) {
    ReasonCeased rec;
    if (RequiredCode(f, row, cols_.rec, &rec)) {
      ep.rec = rec;
    } else {
      ok = false;
    }
  }
  // Spec "Validation": DEC without REC or the reverse.
  if (!dec_text.empty() && rec_text.empty()) {
    Error(f, row, policy::DataErrorClass::kInconsistentEpisode, "REC",
          absl::StrCat("is blank, but DEC is ", Quoted(dec_text),
                       "; DEC and REC must both be given or both be blank"));
    ok = false;
  } else if (dec_text.empty() && !rec_text.empty()) {
    Error(f, row, policy::DataErrorClass::kInconsistentEpisode, "DEC",
          absl::StrCat("is blank, but REC is ", Quoted(rec_text),
                       "; DEC and REC must both be given or both be blank"));
    ok = false;
  }
  // Spec "Validation": DEC before DECOM (the same day is allowed).
  if (dec_ok && !ep.dec.is_blank() && !ep.decom.is_blank() && ep.dec < ep.decom) {
    Error(f, row, policy::DataErrorClass::kInconsistentEpisode, "DEC",
          absl::StrCat(Quoted(dec_text), " is before DECOM ", Quoted(Field(row, cols_.decom))));
    ok = false;
  }
  ep.home_post = InternPostcode(Field(row, cols_.home_post), &home_post_memo_);
  ep.pl_post = InternPostcode(Field(row, cols_.pl_post), &pl_post_memo_);
  if (ok) data_.episodes.push_back(ep);
}

void Loader::CheckOpenEpisodeTies(const CsvFile& f) {
  // Spec "The cohorts": a child's current episode is its open one with the latest DECOM; two
  // non-short-break episodes open at R with the same DECOM make the input invalid.
  const Date r = year_.reference;
  // Only children with two or more such episodes can have a tie, and they are few, so one
  // pass over Episodes finds them and only their episodes are sorted (sorting every open
  // episode cost 0.25 s at 10x).
  std::vector<int32_t> open_count(data_.children.size(), 0);
  for (const EpisodeRecord& ep : data_.episodes) {
    if (!ep.is_short_break() && ep.OpenAt(r)) ++open_count[ep.child];
  }
  std::vector<const EpisodeRecord*> open;
  for (const EpisodeRecord& ep : data_.episodes) {
    if (open_count[ep.child] > 1 && !ep.is_short_break() && ep.OpenAt(r)) open.push_back(&ep);
  }
  std::sort(open.begin(), open.end(), [](const EpisodeRecord* a, const EpisodeRecord* b) {
    if (a->child != b->child) return a->child < b->child;
    if (a->decom != b->decom) return a->decom < b->decom;
    return a->line < b->line;
  });
  std::vector<ValidationError> errors;  // sorted by line below, so they print in order
  for (size_t i = 1; i < open.size(); ++i) {
    const EpisodeRecord& a = *open[i - 1];
    const EpisodeRecord& b = *open[i];
    if (a.child != b.child || a.decom != b.decom) continue;
    ValidationError e;
    e.file = f.name;
    e.line = b.line;
    e.field = "DECOM";
    e.message =
        absl::StrCat("child ", Quoted(data_.child_ids.Get(b.child)), " has two episodes open at ",
                     r.ToString(), " with the same DECOM ", Quoted(b.decom.ToString()), " (lines ",
                     a.line, " and ", b.line, "), so its current episode is ambiguous");
    e.error_class = policy::DataErrorClass::kInconsistentEpisode;
    e.table = static_cast<int>(Table::kEpisodes);
    e.child = std::string(data_.child_ids.Get(b.child));
    errors.push_back(std::move(e));
  }
  std::stable_sort(
      errors.begin(), errors.end(),
      [](const ValidationError& x, const ValidationError& y) { return x.line < y.line; });
  for (ValidationError& e : errors) sink_.Add(std::move(e));
}

void Loader::UascRow(const CsvFile& f, const base::CsvRow& row) {
  UascRecord u;
  u.line = row.line;
  bool ok = RequiredChild(f, row, &u.child);
  ok &= RequiredCode(f, row, cols_.sex, &u.sex);
  ok &= RequiredDate(f, row, cols_.dob, &u.dob);
  absl::string_view duc = Field(row, cols_.duc);
  if (!duc.empty() && !ParseMaskableDate(duc, &u.duc, &u.duc_masked)) {
    Error(f, row, policy::DataErrorClass::kBadDate, "DUC",
          absl::StrCat("expected a date dd/mm/yyyy, one masked with Z such as ZZ/ZZ/ZZZZ, or "
                       "a blank, found ",
                       Quoted(duc)));
    ok = false;
  }
  if (ok) data_.uasc.push_back(u);
}

void Loader::SensitiveRow(const CsvFile& f, const base::CsvRow& row) {
  SensitiveRecord s;
  s.line = row.line;
  bool ok = RequiredChild(f, row, &s.child);
  if (ok && !FirstRowOfChild(f, row, s.child)) return;
  absl::string_view nat = Field(row, cols_.nationality);
  if (!ParseNationality(nat, &s.nationality)) {
    Error(f, row, policy::DataErrorClass::kUnknownCode, "NATIONALITY",
          absl::StrCat(Quoted(nat),
                       " is not an ISO 3166-1 alpha-3 country code; expected a code such as "
                       "GBR, or UNK, or a blank"));
    ok = false;
  }
  ok &= RequiredCode(f, row, cols_.immigration_status, &s.immigration_status);
  ok &= RequiredCode(f, row, cols_.nrpf, &s.nrpf);
  if (ok) data_.sensitive.push_back(s);
}

bool Loader::FirstRowOfChild(const CsvFile& f, const base::CsvRow& row, ChildIndex child) {
  int32_t& first = once_line_[child];
  if (first != 0) {
    // sensitive.csv is named by its file (it is the LA's own file), DfE tables by table name.
    const std::string where =
        f.schema->table == Table::kSensitive ? f.name : std::string(f.schema->name);
    Error(f, row, policy::DataErrorClass::kDuplicateChild, "CHILD",
          absl::StrCat(Quoted(Field(row, cols_.child)), " appears twice in ", where,
                       " (first on line ", first, "); each child must appear once"));
    return false;
  }
  first = row.line;
  return true;
}

// Spec "The cohorts", care leavers, and "Clarifications": IN_TOUCH, ACTIV and ACCOM are codes
// of DfE's lists or blank; DOB must be a date but the grid takes DOB from Header.
void Loader::Oc3Row(const CsvFile& f, const base::CsvRow& row) {
  Oc3Record r;
  r.line = row.line;
  bool ok = RequiredChild(f, row, &r.child);
  if (ok && !FirstRowOfChild(f, row, r.child)) return;
  Date dob;
  ok &= RequiredDate(f, row, cols_.dob, &dob);
  ok &= RequiredCode(f, row, cols_.in_touch, &r.in_touch);
  ok &= RequiredCode(f, row, cols_.activ, &r.activ);
  ok &= RequiredCode(f, row, cols_.accom, &r.accom);
  if (ok) data_.oc3.push_back(r);
}

// Missing: MISSING M or A; MIS_START a date; MIS_END a date or blank (still missing). A
// MIS_END before MIS_START or overlapping spells are DfE warnings, not errors (spec
// "Validation": only the listed faults stop a round), and do not affect any cell.
void Loader::MissingRow(const CsvFile& f, const base::CsvRow& row) {
  MissingRecord m;
  m.line = row.line;
  bool ok = RequiredChild(f, row, &m.child);
  Date dob;
  ok &= RequiredDate(f, row, cols_.dob, &dob);
  ok &= RequiredCode(f, row, cols_.missing, &m.kind);
  ok &= RequiredDate(f, row, cols_.mis_start, &m.start);
  ok &= OptionalDate(f, row, cols_.mis_end, &m.end);
  if (ok) data_.missing.push_back(m);
}

// A whole number of metres: 1 to 7 digits (Great Britain's grid spans 0..1,300,000 m north).
bool Loader::Coordinate(const CsvFile& f, const base::CsvRow& row, Column c, int32_t* out) {
  absl::string_view v = Field(row, c);
  bool digits = !v.empty() && v.size() <= 7;
  int32_t n = 0;
  for (char ch : v) {
    if (ch < '0' || ch > '9') {
      digits = false;
      break;
    }
    n = n * 10 + (ch - '0');
  }
  if (!digits) {
    Error(f, row, policy::DataErrorClass::kBadPostcodeRow, c.name,
          absl::StrCat(Quoted(v),
                       " is not a grid coordinate; expected whole metres (0 to 9999999) or a "
                       "blank, as in NSPL"));
    return false;
  }
  *out = n;
  return true;
}

// Spec "Distance" and "Clarifications": pcd matched upper-cased with all spaces removed;
// coordinates whole metres or both blank (no distance, but utla still serves out_of_area);
// utla may be blank. Every row is validated; only rows for postcodes that Episodes uses are
// kept. A used postcode repeated with different values is an error.
void Loader::PostcodeRow(const CsvFile& f, const base::CsvRow& row, PostcodeId id) {
  absl::string_view raw = Field(row, cols_.pcd);
  scratch_.clear();
  for (char c : raw) {
    if (c == ' ' || c == '\t') continue;
    scratch_.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  bool ok = true;
  if (scratch_.empty()) {
    Error(f, row, policy::DataErrorClass::kBadPostcodeRow, "pcd",
          "is blank; every row of the postcode table needs a postcode");
    ok = false;
  }
  const bool east_blank = Field(row, cols_.oseast1m).empty();
  const bool north_blank = Field(row, cols_.osnrth1m).empty();
  int32_t east = 0;
  int32_t north = 0;
  if (east_blank != north_blank) {
    Error(f, row, policy::DataErrorClass::kBadPostcodeRow, east_blank ? "oseast1m" : "osnrth1m",
          "is blank but the other coordinate is not; give both or neither");
    ok = false;
  } else if (!east_blank) {
    ok &= Coordinate(f, row, cols_.oseast1m, &east);
    ok &= Coordinate(f, row, cols_.osnrth1m, &north);
  }
  if (!ok) return;
  if (id < 0 || static_cast<size_t>(id) >= data_.postcode_info.size()) return;
  PostcodeInfo& info = data_.postcode_info[id];
  absl::string_view utla_text = Field(row, cols_.utla);
  const int32_t utla =
      utla_text.empty() ? -1 : data_.utlas.Intern(absl::AsciiStrToUpper(utla_text));
  if (info.in_table) {
    // The spec is silent on repeated postcodes. An identical repeat is harmless; a repeat that
    // disagrees would make distances and out-of-area counts depend on row order, so it is an
    // error (only for postcodes the episodes use: others cannot change a figure).
    if (info.has_coords != !east_blank || info.east != east || info.north != north ||
        info.utla != utla) {
      Error(f, row, policy::DataErrorClass::kBadPostcodeRow, "pcd",
            absl::StrCat("\"", raw,
                         "\" appears twice in the postcode table with different "
                         "coordinates or utla (first on line ",
                         info.line, "); keep one row per postcode"));
    }
    return;
  }
  info.in_table = true;
  info.line = row.line;
  info.has_coords = !east_blank;
  info.east = east;
  info.north = north;
  info.utla = utla;
}

void Loader::OtherRow(const CsvFile& f, const base::CsvRow& row, bool once) {
  ChildIndex child;
  if (!RequiredChild(f, row, &child) || !once) return;
  FirstRowOfChild(f, row, child);
}

bool EndsWithCsv(const std::string& name) {
  return name.size() > 4 && absl::EndsWithIgnoreCase(name, ".csv");
}

}  // namespace

std::string ValidationError::ToString() const {
  if (line <= 0) return absl::StrCat(file, ": ", field, ": ", message);
  return absl::StrCat(file, ":", line, ": ", field, ": ", message);
}

std::string ValidationReport::Summary() const {
  if (errors.empty()) return "";
  std::string quarantine;
  if (quarantinable_errors > 0) {
    quarantine = absl::StrCat(" that the policy cannot quarantine (and ", quarantinable_errors,
                              " it could)");
  }
  if (truncated) {
    return absl::StrCat("stopped after the first ", errors.size(), " errors", quarantine,
                        "; there are more; nothing computed");
  }
  return absl::StrCat(errors.size(), errors.size() == 1 ? " error" : " errors", quarantine,
                      "; nothing computed");
}

std::string QuarantineReport::ToString() const {
  if (errors.empty()) return "";
  std::string out =
      absl::StrCat("quarantine: ", errors.size(), errors.size() == 1 ? " error" : " errors",
                   " in quarantinable classes; their rows were left out (policy data_quality):\n");
  for (policy::DataErrorClass c : policy::AllDataErrorClasses()) {
    const int64_t n = errors_by_class[static_cast<int>(c)];
    if (n > 0) absl::StrAppend(&out, "  ", policy::DataErrorClassName(c), ": ", n, "\n");
  }
  absl::StrAppend(&out, "  children left out of every figure: ", children_left_out, "\n");
  absl::StrAppend(&out, "  children counted without their sensitive.csv row: ", sensitive_left_out,
                  "\n");
  absl::StrAppend(&out, "  postcodes treated as unknown: ", postcodes_left_out, "\n");
  for (const TableSchema& t : AllTableSchemas()) {
    const int64_t n = rows_left_out[static_cast<int>(t.table)];
    if (n > 0) absl::StrAppend(&out, "  rows left out of ", t.name, ": ", n, "\n");
  }
  for (const ValidationError& e : errors) {
    absl::StrAppend(&out, "  [", policy::DataErrorClassName(e.error_class), "] ", e.ToString(),
                    "\n");
  }
  out.pop_back();
  return out;
}

std::string ValidationReport::ToString() const {
  std::string out;
  for (const ValidationError& e : errors) absl::StrAppend(&out, e.ToString(), "\n");
  absl::StrAppend(&out, Summary());
  return out;
}

absl::StatusOr<LaData> LoadLaFolder(const LoadOptions& opts) {
  ValidationReport report;
  return LoadLaFolder(opts, &report);
}

absl::StatusOr<LaData> LoadLaFolder(const LoadOptions& opts, ValidationReport* report) {
  QuarantineReport quarantine;
  return LoadLaFolder(opts, report, &quarantine);
}

namespace {

// The folder's CSV files (base name, path) in load order, and the index of the explicit
// postcode table among them (or -1).
absl::Status ListFiles(const LoadOptions& opts,
                       std::vector<std::pair<std::string, std::string>>* out,
                       int* explicit_postcodes_out) {
  if (opts.year < catalogue::kFirstYear || opts.year > catalogue::kLastYear) {
    return absl::InvalidArgumentError(
        absl::StrCat("collection year ", opts.year, " is outside the years this build knows (",
                     catalogue::kFirstYear, "..", catalogue::kLastYear, ")"));
  }
  std::error_code ec;
  if (!fs::is_directory(opts.dir, ec)) {
    return absl::NotFoundError(absl::StrCat(opts.dir, ": no such folder"));
  }
  std::vector<std::pair<std::string, std::string>> files;  // base name, path
  fs::directory_iterator it(opts.dir, ec);
  if (ec) {
    if (ec == std::errc::permission_denied) {
      return absl::PermissionDeniedError(absl::StrCat(opts.dir, ": permission denied"));
    }
    return absl::InternalError(absl::StrCat(opts.dir, ": cannot list: ", ec.message()));
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    std::string name = it->path().filename().string();
    if (EndsWithCsv(name)) files.emplace_back(name, it->path().string());
  }
  if (ec) return absl::InternalError(absl::StrCat(opts.dir, ": cannot list: ", ec.message()));
  std::sort(files.begin(), files.end());

  // An explicit postcode table is one more file of the folder's set (so a second postcode
  // table in the folder is "two files holding one table"), unless it is one of them.
  int explicit_postcodes = -1;
  if (!opts.postcodes_path.empty()) {
    std::error_code pec;
    if (!fs::is_regular_file(opts.postcodes_path, pec)) {
      return absl::NotFoundError(absl::StrCat(opts.postcodes_path, ": no such file"));
    }
    const fs::path want = fs::weakly_canonical(opts.postcodes_path, pec);
    for (size_t i = 0; i < files.size(); ++i) {
      std::error_code cec;
      if (fs::weakly_canonical(files[i].second, cec) == want && !cec) {
        explicit_postcodes = static_cast<int>(i);
      }
    }
    if (explicit_postcodes < 0) {
      files.emplace_back(fs::path(opts.postcodes_path).filename().string(), opts.postcodes_path);
      explicit_postcodes = static_cast<int>(files.size()) - 1;
    }
  }

  *out = std::move(files);
  *explicit_postcodes_out = explicit_postcodes;
  return absl::OkStatus();
}

// Adds what `e` makes quarantine leave out (policy/data_quality.h).
void AddExclusion(const ValidationError& e, Exclusions* ex) {
  const bool sensitive = e.table == static_cast<int>(Table::kSensitive);
  const bool postcodes = e.table == static_cast<int>(Table::kPostcodes);
  if (postcodes) {
    if (!e.postcode.empty()) {
      ex->postcodes.insert(e.postcode);
    } else {
      ex->rows.emplace(e.file, e.line);
    }
  } else if (e.error_class == policy::DataErrorClass::kUnknownChild || e.child.empty()) {
    ex->rows.emplace(e.file, e.line);
  } else if (sensitive) {
    ex->sensitive_children.insert(e.child);
  } else {
    ex->children.insert(e.child);
  }
}

}  // namespace

absl::StatusOr<LaData> LoadLaFolder(const LoadOptions& opts, ValidationReport* report,
                                    QuarantineReport* quarantine) {
  *report = ValidationReport();
  *quarantine = QuarantineReport();
  std::vector<std::pair<std::string, std::string>> files;
  int explicit_postcodes = -1;
  RINGFENCE_RETURN_IF_ERROR(ListFiles(opts, &files, &explicit_postcodes));

  if (opts.quarantinable.empty()) {
    Loader loader(opts, opts.max_errors, report);
    RINGFENCE_RETURN_IF_ERROR(loader.Run(files, explicit_postcodes));
    if (!report->ok()) return absl::InvalidArgumentError(report->ToString());
    return loader.TakeData();
  }

  // Pass 1: every error, nothing left out.
  ValidationReport all;
  {
    Loader loader(opts, /*max_errors=*/0, &all);
    RINGFENCE_RETURN_IF_ERROR(loader.Run(files, explicit_postcodes));
    if (all.ok()) return loader.TakeData();
  }
  std::vector<ValidationError> blocking;
  int quarantinable = 0;
  for (const ValidationError& e : all.errors) {
    if (opts.quarantinable.Contains(e.error_class)) {
      ++quarantinable;
    } else {
      blocking.push_back(e);
    }
  }
  if (!blocking.empty()) {
    const size_t limit = opts.max_errors > 0 ? static_cast<size_t>(opts.max_errors) : 0;
    if (limit > 0 && blocking.size() > limit) {
      blocking.resize(limit);
      report->truncated = true;
    }
    report->errors = std::move(blocking);
    report->quarantinable_errors = quarantinable;
    return absl::InvalidArgumentError(report->ToString());
  }

  // Pass 2: without the bad rows.
  Exclusions ex;
  for (const ValidationError& e : all.errors) AddExclusion(e, &ex);
  Loader loader(opts, /*max_errors=*/0, report, &ex, quarantine);
  RINGFENCE_RETURN_IF_ERROR(loader.Run(files, explicit_postcodes));
  if (!report->ok()) {
    // Cannot happen by construction (every bad row is left out, and so is every row of a
    // left-out child); refuse rather than compute from a half-understood folder.
    return absl::InternalError(
        absl::StrCat("quarantine left errors behind (a bug; please report it); nothing computed:\n",
                     report->ToString()));
  }
  quarantine->errors = std::move(all.errors);
  for (const ValidationError& e : quarantine->errors) {
    ++quarantine->errors_by_class[static_cast<int>(e.error_class)];
  }
  quarantine->children_left_out = loader.excluded_header_ids();
  for (const std::string& id : ex.sensitive_children) {
    if (!ex.children.contains(id)) ++quarantine->sensitive_left_out;
  }
  quarantine->postcodes_left_out = static_cast<int64_t>(ex.postcodes.size());
  return loader.TakeData();
}

}  // namespace ringfence::node
