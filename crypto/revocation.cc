#include "crypto/revocation.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "crypto/x509.h"

namespace ringfence::crypto {
namespace {

void WriteToStderr(absl::string_view line) {
  std::string out = absl::StrCat(line, "\n");
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

RevocationList::RevocationList(std::string path, std::string ca_pem, Options options)
    : path_(std::move(path)), ca_pem_(std::move(ca_pem)), options_([&] {
        Options o = std::move(options);
        if (!o.log) o.log = WriteToStderr;
        if (!o.clock) o.clock = [] { return absl::Now(); };
        return o;
      }()) {}

absl::StatusOr<std::unique_ptr<RevocationList>> RevocationList::Load(std::string path,
                                                                      std::string ca_pem,
                                                                      Options options) {
  std::unique_ptr<RevocationList> list(
      new RevocationList(std::move(path), std::move(ca_pem), std::move(options)));
  // Stat before reading: if the file changes in between, the next check sees a new stamp
  // and reads it again, so no change is missed.
  RINGFENCE_ASSIGN_OR_RETURN(FileStamp stamp, list->Stat());
  RINGFENCE_ASSIGN_OR_RETURN(Loaded loaded, list->Read());
  absl::MutexLock lock(&list->mu_);
  list->current_ = std::move(loaded);
  list->stamp_ = stamp;
  list->last_check_ = list->options_.clock();
  return list;
}

absl::StatusOr<RevocationList::FileStamp> RevocationList::Stat() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    const int err = errno;
    const std::string text = absl::StrCat(path_, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(text);
    if (err == EACCES) return absl::PermissionDeniedError(text);
    return absl::InternalError(text);
  }
  FileStamp s;
  s.size = static_cast<int64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.device = static_cast<uint64_t>(st.st_dev);
  return s;
}

absl::StatusOr<RevocationList::Loaded> RevocationList::Read() const {
  std::string pem;
  RINGFENCE_RETURN_IF_ERROR(base::ReadFileToString(path_, &pem));
  absl::StatusOr<CrlInfo> info = ParseAndVerifyCrl(pem, ca_pem_);
  if (!info.ok()) {
    return absl::Status(info.status().code(), absl::StrCat(path_, ": ", info.status().message()));
  }
  Loaded loaded;
  loaded.serials.insert(info->revoked_serials_hex.begin(), info->revoked_serials_hex.end());
  loaded.crl_number = info->crl_number;
  loaded.next_update = info->next_update;
  return loaded;
}

void RevocationList::Log(absl::string_view line) const {
  options_.log(absl::StrCat("revocation: ", line));
}

void RevocationList::MaybeReloadLocked() {
  const absl::Time now = options_.clock();
  if (now - last_check_ < options_.check_interval) return;
  last_check_ = now;
  absl::StatusOr<FileStamp> stamp = Stat();
  if (!stamp.ok()) {
    // A missing file keeps the list in use: deleting the CRL must not un-revoke anyone.
    if (last_error_ != stamp.status()) {
      Log(absl::StrCat("keeping CRL number ", current_.crl_number, ": ",
                       stamp.status().message()));
    }
    last_error_ = stamp.status();
    return;
  }
  if (*stamp == stamp_) {
    if (!warned_stale_ && now > current_.next_update) {
      warned_stale_ = true;
      Log(absl::StrCat(path_, ": CRL number ", current_.crl_number, " passed its nextUpdate ",
                       Rfc3339(current_.next_update),
                       "; still enforced; re-sign it with `ringfence pki revoke`"));
    }
    return;
  }
  stamp_ = *stamp;
  absl::StatusOr<Loaded> loaded = Read();
  if (!loaded.ok()) {
    last_error_ = loaded.status();
    Log(absl::StrCat("keeping CRL number ", current_.crl_number, " (", current_.serials.size(),
                     " revoked): new file refused: ", loaded.status().message()));
    return;
  }
  if (loaded->crl_number < current_.crl_number) {
    // An older CRL, correctly signed, could un-revoke a certificate revoked since.
    last_error_ = absl::FailedPreconditionError(
        absl::StrCat(path_, ": CRL number ", loaded->crl_number, " is older than the one in use (",
                     current_.crl_number, ")"));
    Log(absl::StrCat("keeping CRL number ", current_.crl_number, ": ", last_error_.message()));
    return;
  }
  current_ = *std::move(loaded);
  last_error_ = absl::OkStatus();
  warned_stale_ = false;
  Log(absl::StrCat(path_, ": loaded CRL number ", current_.crl_number, ", ",
                   current_.serials.size(), " revoked, next update ",
                   Rfc3339(current_.next_update)));
}

absl::Status RevocationList::MaybeReload() {
  absl::MutexLock lock(&mu_);
  MaybeReloadLocked();
  return last_error_;
}

absl::StatusOr<bool> RevocationList::IsSerialRevoked(absl::string_view serial_hex) {
  RINGFENCE_ASSIGN_OR_RETURN(std::string serial, NormalizeSerialHex(serial_hex));
  absl::MutexLock lock(&mu_);
  MaybeReloadLocked();
  return current_.serials.contains(serial);
}

absl::StatusOr<bool> RevocationList::IsRevoked(absl::string_view cert_pem) {
  RINGFENCE_ASSIGN_OR_RETURN(CertificateInfo info, ParseCertificate(cert_pem));
  return IsSerialRevoked(info.serial_hex);
}

size_t RevocationList::size() const {
  absl::MutexLock lock(&mu_);
  return current_.serials.size();
}

int64_t RevocationList::crl_number() const {
  absl::MutexLock lock(&mu_);
  return current_.crl_number;
}

absl::Status RevocationList::last_reload_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace ringfence::crypto
