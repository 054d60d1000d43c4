#include "base/csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ringfence::base {

CsvReader::CsvReader(absl::string_view text, std::string filename)
    : text_(text), filename_(std::move(filename)) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool CsvReader::Next(CsvRow* row) {
  row->fields.clear();
  row->scratch.clear();
  if (!status_.ok()) return false;
  // Skip blank lines.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;
  row->line = line_;
  const size_t n = text_.size();
  while (true) {
    if (pos_ < n && text_[pos_] == '"') {
      const int start_line = line_;
      ++pos_;
      size_t begin = pos_;
      std::string* unescaped = nullptr;
      while (true) {
        size_t q = text_.find('"', pos_);
        if (q == absl::string_view::npos) {
          status_ = absl::InvalidArgumentError(absl::StrCat(
              filename_, ":", start_line, ": unterminated quoted field"));
          return false;
        }
        for (size_t i = pos_; i < q; ++i) {
          if (text_[i] == '\n') ++line_;
        }
        if (q + 1 < n && text_[q + 1] == '"') {  // escaped quote
          if (unescaped == nullptr) {
            row->scratch.emplace_back();
            unescaped = &row->scratch.back();
          }
          unescaped->append(text_.data() + begin, q + 1 - begin);
          pos_ = q + 2;
          begin = pos_;
          continue;
        }
        if (unescaped != nullptr) {
          unescaped->append(text_.data() + begin, q - begin);
          row->fields.emplace_back(*unescaped);
        } else {
          row->fields.push_back(text_.substr(begin, q - begin));
        }
        pos_ = q + 1;
        break;
      }
      if (pos_ < n && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        status_ = absl::InvalidArgumentError(
            absl::StrCat(filename_, ":", line_, ": text after a closing quote"));
        return false;
      }
    } else {
      size_t end = pos_;
      while (end < n && text_[end] != ',' && text_[end] != '\n' && text_[end] != '\r') {
        if (text_[end] == '"') {
          status_ = absl::InvalidArgumentError(absl::StrCat(
              filename_, ":", line_, ": quote inside an unquoted field"));
          return false;
        }
        ++end;
      }
      row->fields.push_back(text_.substr(pos_, end - pos_));
      pos_ = end;
    }
    if (pos_ >= n) return true;
    if (text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    // End of record: consume CR?LF.
    if (text_[pos_] == '\r') ++pos_;
    if (pos_ < n && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
    return true;
  }
}

absl::Status ReadFileToString(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    if (errno == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": permission denied"));
    }
    return absl::InternalError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read failed"));
  *out = std::move(ss).str();
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
