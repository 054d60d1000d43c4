// A throwaway PKI for the coordinator's mutual-TLS tests, generated in-process
// with crypto/x509.h: one CA, a server certificate for localhost / 127.0.0.1 /
// ::1, and client certificates for any party URI (valid, expired, or from
// another CA by using a second TestPki).
//
// Security: test-only (the target coordinator_testing_test_pki is declared only
// when tests are built and links into no production binary). Keys live in
// memory and are never written.
//
// Thread-compatible: build once, then read from any thread.
#ifndef RINGFENCE_COORDINATOR_TESTING_TEST_PKI_H_
#define RINGFENCE_COORDINATOR_TESTING_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/tls_credentials.h"
#include "crypto/x509.h"

namespace ringfence::coordinator::testing {

class TestPki {
 public:
  // A new CA called `ca_name`, and a server certificate issued by it. INTERNAL
  // or INVALID_ARGUMENT from crypto/x509.h on failure.
  static absl::StatusOr<TestPki> Create(
      absl::string_view ca_name = "Ringfence test CA");

  const crypto::PemKeyAndCert& ca() const { return ca_; }

  // The coordinator's material: this CA as trust anchor, the server certificate
  // and key.
  const crypto::TlsMaterial& server() const { return server_; }

  // Client material for `uri` (e.g. crypto::LaUri("E09000033")), trusting this
  // CA, valid from an hour ago for a day.
  absl::StatusOr<crypto::TlsMaterial> Client(absl::string_view uri) const;

  // As above with an explicit validity window (e.g. one that has already
  // ended).
  absl::StatusOr<crypto::TlsMaterial> Client(absl::string_view uri,
                                             absl::Time not_before,
                                             absl::Time not_after) const;

 private:
  crypto::PemKeyAndCert ca_;
  crypto::TlsMaterial server_;
};

}  // namespace ringfence::coordinator::testing

#endif  // RINGFENCE_COORDINATOR_TESTING_TEST_PKI_H_
