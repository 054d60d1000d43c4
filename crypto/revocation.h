// RevocationList: the CA's certificate revocation list (CRL) as the coordinator uses it,
// loaded from a PEM file, verified against the CA certificate, and reloaded when the file
// changes, without a restart.
//
// Reloading: each query (IsRevoked, MaybeReload) looks at the file at most once every
// `check_interval`; when its size, mtime, ctime or inode changed, the file is read and
// verified again. A CRL that fails to read, parse or verify never replaces the list in use:
// the previous one stays, the error is logged once per change of the file and returned by
// MaybeReload/last_reload_error. The first load, in Load, fails closed: no list, no service.
//
// Security: only entries signed by the CA key count (crypto::ParseAndVerifyCrl), so whoever
// can write the file but lacks the CA key can neither add nor remove revocations. A CRL past
// its nextUpdate is still enforced (its entries remain true) and a warning is logged; it is
// the operator's job to run `ringfence pki revoke` (which re-signs) before then. Replace the
// file atomically (rename), as `ringfence pki revoke` does, so no half-written CRL is seen.
//
// Errors: Load returns NOT_FOUND / PERMISSION_DENIED naming the file, INVALID_ARGUMENT for a
// malformed CRL or CA, UNAUTHENTICATED for a CRL not signed by the CA. IsRevoked returns
// INVALID_ARGUMENT for a malformed certificate or serial.
//
// Thread-safe: every method may be called concurrently; one mutex guards the list.
#ifndef RINGFENCE_CRYPTO_REVOCATION_H_
#define RINGFENCE_CRYPTO_REVOCATION_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ringfence::crypto {

class RevocationList {
 public:
  struct Options {
    // How often the file is looked at; zero looks on every query (tests).
    absl::Duration check_interval = absl::Seconds(5);
    // Receives one line per reload, failed reload and stale CRL; defaults to stderr.
    std::function<void(absl::string_view line)> log;
    // Defaults to absl::Now.
    std::function<absl::Time()> clock;
  };

  // Reads and verifies the CRL at `path` against `ca_pem` (the CA the coordinator trusts).
  static absl::StatusOr<std::unique_ptr<RevocationList>> Load(std::string path,
                                                              std::string ca_pem,
                                                              Options options);
  static absl::StatusOr<std::unique_ptr<RevocationList>> Load(std::string path,
                                                              std::string ca_pem) {
    return Load(std::move(path), std::move(ca_pem), Options());
  }

  RevocationList(const RevocationList&) = delete;
  RevocationList& operator=(const RevocationList&) = delete;

  // Whether the certificate (the first in `cert_pem`) has been revoked; reloads first if due.
  absl::StatusOr<bool> IsRevoked(absl::string_view cert_pem);
  // The same for a serial in any hex form NormalizeSerialHex accepts.
  absl::StatusOr<bool> IsSerialRevoked(absl::string_view serial_hex);

  // Reloads if the check is due and the file changed. OK when nothing changed or the reload
  // succeeded; otherwise the reason the previous list is still in use.
  absl::Status MaybeReload();

  // The number of revoked serials, and the cRLNumber of the list in use.
  size_t size() const;
  int64_t crl_number() const;
  absl::Status last_reload_error() const;

 private:
  struct FileStamp {
    int64_t size = -1;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    uint64_t inode = 0;
    uint64_t device = 0;
    bool operator==(const FileStamp& o) const {
      return size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns &&
             inode == o.inode && device == o.device;
    }
  };
  struct Loaded {
    absl::flat_hash_set<std::string> serials;
    int64_t crl_number = 0;
    absl::Time next_update;
  };

  RevocationList(std::string path, std::string ca_pem, Options options);
  absl::StatusOr<FileStamp> Stat() const;
  absl::StatusOr<Loaded> Read() const;
  void MaybeReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Log(absl::string_view line) const;

  const std::string path_;
  const std::string ca_pem_;
  const Options options_;
  mutable absl::Mutex mu_;
  Loaded current_ ABSL_GUARDED_BY(mu_);
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);  // of the file last tried, good or bad
  absl::Time last_check_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool warned_stale_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_REVOCATION_H_
