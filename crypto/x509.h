// X.509 certificates and keys for Ringfence's mutual-TLS PKI: a test/demo CA, server, LA,
// recipient and operator certificates, and parsing of a peer's certificate for its identity.
//
// All keys are ECDSA P-256. PEM is passed by value: only a binary's main() reads key files.
//
// Security: this is a tool for test and demo PKIs. A production deployment should issue
// certificates from the organisation's own CA; the coordinator accepts any certificate chained
// to the CA file it is given, so the CA key is the root of trust for identities (LA codes and
// recipient classes). Private keys are returned in PEM strings; callers write them with mode
// 0600 and should not keep copies longer than needed.
//
// Errors: INVALID_ARGUMENT for malformed PEM or a spec that makes no sense (empty name,
// not_after before not_before); INTERNAL, with OpenSSL's error text, for OpenSSL failures.
// Thread-safe: functions share no state.
#ifndef RINGFENCE_CRYPTO_X509_H_
#define RINGFENCE_CRYPTO_X509_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ringfence::crypto {

struct PemKeyAndCert {
  std::string key_pem;   // PKCS#8 private key
  std::string cert_pem;  // the certificate
};

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;   // dotted IPv4 or IPv6 text
  std::vector<std::string> uri_sans;  // e.g. "urn:ringfence:la:E09000033"
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;
  bool server_auth = false;  // extendedKeyUsage serverAuth
  bool client_auth = false;  // extendedKeyUsage clientAuth
};

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign, cRLSign).
absl::StatusOr<PemKeyAndCert> CreateSelfSignedCa(const CertificateSpec& spec);

// A certificate for `spec`, signed by `ca`, with a fresh key and a random 128-bit serial.
absl::StatusOr<PemKeyAndCert> IssueCertificate(const PemKeyAndCert& ca,
                                               const CertificateSpec& spec);

struct CertificateInfo {
  std::string subject;  // one-line RFC 2253 form
  std::string issuer;
  std::string serial_hex;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;
  std::vector<std::string> uri_sans;
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;
  std::string sha256_fingerprint_hex;  // of the DER encoding
};

// Parses the first certificate in `pem`.
absl::StatusOr<CertificateInfo> ParseCertificate(absl::string_view pem);

// Verifies that `cert_pem` chains to `ca_pem` and is valid at `now`. UNAUTHENTICATED with
// OpenSSL's reason (e.g. "certificate has expired") when it does not.
absl::Status VerifyCertificate(absl::string_view cert_pem, absl::string_view ca_pem,
                               absl::Time now);

// Checks that `key_pem` is the private key of `cert_pem` (INVALID_ARGUMENT if not).
absl::Status CheckKeyMatchesCertificate(absl::string_view key_pem, absl::string_view cert_pem);

// Overwrites `secret` (e.g. a private key PEM once written to disk) with zeros in a way the
// compiler may not elide, then empties it. Best effort: copies the string made earlier (or
// left behind by reallocation) are not reached.
void ClearSecret(std::string* secret);

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_X509_H_
