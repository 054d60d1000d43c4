#include "base/csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ringfence::base {

namespace {

// Why ScanUnquoted stopped.
enum class Stop {
  kEndOfRecord,  // at a line-break byte or the end of the text; the last field was appended
  kQuotedField,  // at a quote that opens the next field (not appended)
  kStrayQuote,   // at a quote inside an unquoted field (an error)
};

// Appends the record's unquoted fields from `*pos` on to `fields` and leaves `*pos` where it
// stopped.
//
// Fields are short (a code, a date, an id), so the scan must be cheap per byte and cheaper
// still per field. It reads eight bytes at a time as one 64-bit word (plain C++, no
// intrinsics): every byte that matters (',' '"' '\n' '\r') is at most 0x2C, so an add and two
// masks flag the candidate bytes, and only those are looked at, without restarting the scan at
// each field. In 903 exports the only other bytes that low are spaces (postcodes), so false
// candidates are rare. Big-endian or non-GCC builds use the byte loop alone.
inline Stop ScanUnquoted(const char* data, size_t n, size_t* pos,
                         std::vector<absl::string_view>* fields) {
  size_t begin = *pos;  // of the current field
  size_t p = begin;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    (defined(__GNUC__) || defined(__clang__))
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  constexpr uint64_t kTo80 = 0x5353535353535353ull;  // 0x80 - 0x2D in every byte
  for (; p + 8 <= n; p += 8) {
    uint64_t w;
    std::memcpy(&w, data + p, sizeof w);
    // Per byte b: (b & 0x7F) + 0x53 sets the top bit iff (b & 0x7F) >= 0x2D, with no carry
    // into the next byte; OR-ing b back in also drops bytes >= 0x80 (UTF-8).
    uint64_t candidates = ~(((w & kLow7) + kTo80) | w) & kHigh;
    while (candidates != 0) {
      const size_t i = p + (static_cast<size_t>(__builtin_ctzll(candidates)) >> 3);
      candidates &= candidates - 1;
      const char c = data[i];
      if (c == ',') {
        fields->emplace_back(data + begin, i - begin);
        begin = i + 1;
      } else if (c == '\n' || c == '\r') {
        fields->emplace_back(data + begin, i - begin);
        *pos = i;
        return Stop::kEndOfRecord;
      } else if (c == '"') {
        *pos = i;
        return i == begin ? Stop::kQuotedField : Stop::kStrayQuote;
      }
    }
  }
#endif
  for (; p < n; ++p) {
    const char c = data[p];
    if (c == ',') {
      fields->emplace_back(data + begin, p - begin);
      begin = p + 1;
    } else if (c == '\n' || c == '\r') {
      fields->emplace_back(data + begin, p - begin);
      *pos = p;
      return Stop::kEndOfRecord;
    } else if (c == '"') {
      *pos = p;
      return p == begin ? Stop::kQuotedField : Stop::kStrayQuote;
    }
  }
  fields->emplace_back(data + begin, n - begin);
  *pos = n;
  return Stop::kEndOfRecord;
}

}  // namespace

CsvReader::CsvReader(absl::string_view text, std::string filename)
    : text_(text), filename_(std::move(filename)) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool CsvReader::Next(CsvRow* row) {
  // clear() keeps the vector's capacity, so a reader that reuses one row allocates only for
  // its widest record.
  row->fields.clear();
  if (!row->scratch.empty()) row->scratch.clear();
  if (!status_.ok()) return false;
  const char* const data = text_.data();
  const size_t n = text_.size();
  // Skip blank lines.
  while (pos_ < n && (data[pos_] == '\n' || data[pos_] == '\r')) {
    if (data[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= n) return false;
  row->line = line_;
  while (true) {
    if (pos_ < n && data[pos_] == '"') {
      const int start_line = line_;
      ++pos_;
      size_t begin = pos_;
      std::string* unescaped = nullptr;
      while (true) {
        const void* found = std::memchr(data + pos_, '"', n - pos_);
        if (found == nullptr) {
          status_ = absl::InvalidArgumentError(absl::StrCat(
              filename_, ":", start_line, ": unterminated quoted field"));
          return false;
        }
        const size_t q = static_cast<size_t>(static_cast<const char*>(found) - data);
        line_ += static_cast<int>(std::count(data + pos_, data + q, '\n'));
        if (q + 1 < n && data[q + 1] == '"') {  // escaped quote
          if (unescaped == nullptr) {
            row->scratch.emplace_back();
            unescaped = &row->scratch.back();
          }
          unescaped->append(data + begin, q + 1 - begin);
          pos_ = q + 2;
          begin = pos_;
          continue;
        }
        if (unescaped != nullptr) {
          unescaped->append(data + begin, q - begin);
          row->fields.emplace_back(*unescaped);
        } else {
          row->fields.emplace_back(data + begin, q - begin);
        }
        pos_ = q + 1;
        break;
      }
      if (pos_ >= n) return true;
      if (data[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (data[pos_] != '\n' && data[pos_] != '\r') {
        status_ = absl::InvalidArgumentError(
            absl::StrCat(filename_, ":", line_, ": text after a closing quote"));
        return false;
      }
    } else {
      switch (ScanUnquoted(data, n, &pos_, &row->fields)) {
        case Stop::kQuotedField:
          continue;
        case Stop::kStrayQuote:
          status_ = absl::InvalidArgumentError(absl::StrCat(
              filename_, ":", line_, ": quote inside an unquoted field"));
          return false;
        case Stop::kEndOfRecord:
          break;
      }
      if (pos_ >= n) return true;
    }
    // End of record: consume CR?LF.
    if (data[pos_] == '\r') ++pos_;
    if (pos_ < n && data[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    return true;
  }
}

absl::Status ReadFileToString(const std::string& path, std::string* out) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    if (errno == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": permission denied"));
    }
    return absl::InternalError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  // One read of the size fstat reports (no stream buffers, no copy out of a stringstream),
  // then read on until the end, since the file may grow meanwhile or not be a regular file.
  struct stat st;
  size_t expected = 0;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    expected = static_cast<size_t>(st.st_size);
  }
  std::string buf;
  buf.resize(expected + 1);  // one spare byte, so reaching the end needs no second resize
  size_t done = 0;
  while (true) {
    if (done == buf.size()) buf.resize(buf.size() < 65536 ? 65536 : buf.size() * 2);
    const ssize_t r = ::read(fd, buf.data() + done, buf.size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": read failed: ", err));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  buf.resize(done);
  *out = std::move(buf);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 int mode) {
  std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  ::fchmod(fd, mode);  // umask must not widen or narrow what the caller asked for
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t w = ::write(fd, contents.data() + done, contents.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::InternalError(absl::StrCat(path, ": write failed: ", err));
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": fsync failed: ", err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(path, ": rename failed: ", err));
  }
  return absl::OkStatus();
}

}  // namespace ringfence::base
