// X.509 certificates and keys for Ringfence's mutual-TLS PKI: a test/demo CA, server, LA,
// recipient and operator certificates, parsing of a peer's certificate for its identity, and
// the CA's certificate revocation list (CRL).
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

#include <cstdint>
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

// --- Certificate revocation lists (RFC 5280 section 5) -----------------------------------

struct RevocationResult {
  std::string crl_pem;     // the new CRL, signed by the CA
  std::string serial_hex;  // the revoked certificate's serial, as in CertificateInfo
  bool already_revoked = false;  // the serial was already listed (the CRL is still re-signed)
  int64_t crl_number = 0;        // the new CRL's cRLNumber
};

// Adds `cert_pem`'s serial to the CA's CRL and signs the result with the CA key.
// `existing_crl_pem` may be empty (a new CRL, number 1); otherwise it must verify against
// the CA (CrlInfo below) and its entries are kept and its cRLNumber incremented. The new
// CRL has thisUpdate `now` and nextUpdate `now + next_update_in`.
// INVALID_ARGUMENT if the certificate was not issued by this CA, the CA key does not match,
// or the existing CRL is malformed; UNAUTHENTICATED if the existing CRL's signature does not
// verify (a tampered file is never re-signed).
absl::StatusOr<RevocationResult> RevokeCertificate(const PemKeyAndCert& ca,
                                                   absl::string_view existing_crl_pem,
                                                   absl::string_view cert_pem, absl::Time now,
                                                   absl::Duration next_update_in);

struct CrlInfo {
  std::string issuer;  // one-line RFC 2253 form
  absl::Time this_update;
  absl::Time next_update;  // absl::InfiniteFuture() if the CRL has none
  int64_t crl_number = 0;  // 0 if absent
  std::vector<std::string> revoked_serials_hex;  // normalised by NormalizeSerialHex
};

// Parses the first CRL in `crl_pem` and verifies that it is signed by the CA in `ca_pem`
// and names it as issuer. INVALID_ARGUMENT for malformed PEM; UNAUTHENTICATED when the
// signature or issuer does not match the CA. Does not judge thisUpdate/nextUpdate.
absl::StatusOr<CrlInfo> ParseAndVerifyCrl(absl::string_view crl_pem, absl::string_view ca_pem);

// A serial number in one canonical form: lower-case hex, no "0x", no leading zeros ("0" for
// zero). INVALID_ARGUMENT for anything that is not hex. CertificateInfo::serial_hex and
// CrlInfo serials are compared in this form.
absl::StatusOr<std::string> NormalizeSerialHex(absl::string_view serial);

// Overwrites `secret` (e.g. a private key PEM once written to disk) with zeros in a way the
// compiler may not elide, then empties it. Best effort: copies the string made earlier (or
// left behind by reallocation) are not reached.
void ClearSecret(std::string* secret);

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_X509_H_
