#include "crypto/x509.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace ringfence::crypto {
namespace {

// One deleter for every OpenSSL handle this file owns. ASN1_INTEGER, ASN1_OCTET_STRING,
// ASN1_BIT_STRING, ASN1_IA5STRING and ASN1_TIME are all the same C struct, so one
// ASN1_STRING overload covers them.
struct OpenSslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }  // clears the private scalar
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(BASIC_CONSTRAINTS* p) const { BASIC_CONSTRAINTS_free(p); }
  void operator()(EXTENDED_KEY_USAGE* p) const {
    sk_ASN1_OBJECT_pop_free(p, ASN1_OBJECT_free);
  }
  void operator()(AUTHORITY_KEYID* p) const { AUTHORITY_KEYID_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509)* p) const { sk_X509_pop_free(p, X509_free); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
  void operator()(X509_REVOKED* p) const { X509_REVOKED_free(p); }
};

template <typename T>
using Ptr = std::unique_ptr<T, OpenSslFree>;

// Drains this thread's OpenSSL error queue into one line, so a failure reports OpenSSL's
// reasons and no stale entry is left behind to be misreported by the next caller.
std::string DrainErrors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!text.empty()) text += "; ";
    text += buf;
  }
  ERR_clear_error();
  return text.empty() ? "no OpenSSL error recorded" : text;
}

absl::Status OpenSslInternal(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, " failed: ", DrainErrors()));
}

// Every public function starts from and leaves an empty error queue: entries from an
// earlier, unrelated call must not be attributed to us, and the benign entries OpenSSL
// pushes (e.g. "no start line" at the end of a PEM bundle) must not leak to the caller.
class ErrorQueueScope {
 public:
  ErrorQueueScope() { ERR_clear_error(); }
  ~ErrorQueueScope() { ERR_clear_error(); }
  ErrorQueueScope(const ErrorQueueScope&) = delete;
  ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

// Encrypted keys are not supported. Without this callback OpenSSL would prompt on the
// terminal, which a server must never do.
int RefusePassphrase(char*, int, int, void*) { return -1; }

absl::StatusOr<Ptr<BIO>> ReadOnlyBio(absl::string_view pem, absl::string_view kind) {
  if (pem.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", kind));
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(kind, " too large"));
  }
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslInternal("BIO_new_mem_buf");
  return bio;
}

absl::StatusOr<Ptr<X509>> ReadCertificate(absl::string_view pem) {
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<BIO> bio, ReadOnlyBio(pem, "certificate PEM"));
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a PEM certificate (", DrainErrors(), ")"));
  }
  return cert;
}

// All certificates in a PEM bundle, in order; at least one.
absl::StatusOr<std::vector<Ptr<X509>>> ReadCertificates(absl::string_view pem) {
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<BIO> bio, ReadOnlyBio(pem, "certificate PEM"));
  std::vector<Ptr<X509>> certs;
  while (true) {
    Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, RefusePassphrase, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  // Running out of input ends the loop with "no start line"; anything else means a
  // malformed block, which must not be silently dropped from a trust bundle.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (certs.empty() || !clean_end) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a PEM certificate bundle (", DrainErrors(), ")"));
  }
  ERR_clear_error();
  return certs;
}

absl::StatusOr<Ptr<EVP_PKEY>> ReadPrivateKey(absl::string_view pem) {
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<BIO> bio, ReadOnlyBio(pem, "private key PEM"));
  Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an unencrypted PEM private key (", DrainErrors(), ")"));
  }
  return key;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len < 0 || (len > 0 && data == nullptr)) return OpenSslInternal("BIO_get_mem_data");
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> PrivateKeyToPem(EVP_PKEY* key) {
  // A secure-memory BIO: its buffer is cleared when freed and, if the secure heap is
  // enabled, never swapped out.
  Ptr<BIO> bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr) return OpenSslInternal("BIO_new");
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) !=
      1) {
    return OpenSslInternal("PEM_write_bio_PKCS8PrivateKey");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> CertificateToPem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslInternal("BIO_new");
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslInternal("PEM_write_bio_X509");
  return BioContents(bio.get());
}

absl::StatusOr<Ptr<EVP_PKEY>> GenerateP256Key() {
  Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslInternal("EVP_PKEY_Q_keygen(EC, P-256)");
  return key;
}

std::string LowerHex(const unsigned char* data, size_t n) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(data), n));
}

// --- Spec validation ------------------------------------------------------------------

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsDnsName(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' &&
        c != '*') {
      return false;
    }
  }
  return true;
}

// URIs are IA5String; space and control characters are never valid in a URI (RFC 3986).
bool IsUri(absl::string_view s) {
  if (s.empty() || s.find(':') == absl::string_view::npos) return false;
  for (char c : s) {
    if (c <= 0x20 || c > 0x7e) return false;
  }
  return true;
}

absl::Status ValidateSpec(const CertificateSpec& spec) {
  // ub-common-name is 64 (RFC 5280); OpenSSL would refuse a longer one with a less clear
  // error.
  if (spec.common_name.empty()) {
    return absl::InvalidArgumentError("certificate spec: empty common name");
  }
  if (spec.common_name.size() > 64 || !IsPrintableAscii(spec.common_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate spec: common name must be 1-64 printable ASCII characters: '",
        absl::CEscape(spec.common_name), "'"));
  }
  for (const std::string& dns : spec.dns_sans) {
    if (!IsDnsName(dns)) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate spec: bad DNS name '", absl::CEscape(dns), "'"));
    }
  }
  for (const std::string& uri : spec.uri_sans) {
    if (!IsUri(uri)) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate spec: bad URI '", absl::CEscape(uri), "'"));
    }
  }
  // X.509 times are UTCTime (1950-2049) or GeneralizedTime with a four-digit year.
  const absl::Time earliest = absl::FromCivil(absl::CivilSecond(1950, 1, 1, 0, 0, 0),
                                              absl::UTCTimeZone());
  const absl::Time end = absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                                         absl::UTCTimeZone());
  for (absl::Time t : {spec.not_before, spec.not_after}) {
    if (t < earliest || t >= end) {
      return absl::InvalidArgumentError(
          "certificate spec: validity must lie between 1950 and 9999");
    }
  }
  if (spec.not_after < spec.not_before) {
    return absl::InvalidArgumentError("certificate spec: not_after is before not_before");
  }
  return absl::OkStatus();
}

// --- Building certificates -----------------------------------------------------------

absl::Status AddExtension(X509* cert, int nid, void* value, bool critical,
                          absl::string_view what) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) != 1) {
    return OpenSslInternal(absl::StrCat("adding ", what));
  }
  return absl::OkStatus();
}

absl::Status AddIa5Name(GENERAL_NAMES* names, int type, absl::string_view value) {
  Ptr<ASN1_STRING> ia5(ASN1_IA5STRING_new());
  if (ia5 == nullptr ||
      ASN1_STRING_set(ia5.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return OpenSslInternal("ASN1_STRING_set");
  }
  Ptr<GENERAL_NAME> name(GENERAL_NAME_new());
  if (name == nullptr) return OpenSslInternal("GENERAL_NAME_new");
  GENERAL_NAME_set0_value(name.get(), type, ia5.release());
  if (sk_GENERAL_NAME_push(names, name.get()) == 0) return OpenSslInternal("sk_push");
  name.release();  // owned by `names` now
  return absl::OkStatus();
}

// subjectAltName built from structures rather than from an OpenSSL config string, so no
// value (e.g. a name containing a comma) can smuggle in a second SAN.
absl::Status AddSubjectAltNames(X509* cert, const CertificateSpec& spec) {
  if (spec.dns_sans.empty() && spec.ip_sans.empty() && spec.uri_sans.empty()) {
    return absl::OkStatus();
  }
  Ptr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return OpenSslInternal("sk_GENERAL_NAME_new_null");
  for (const std::string& dns : spec.dns_sans) {
    RINGFENCE_RETURN_IF_ERROR(AddIa5Name(names.get(), GEN_DNS, dns));
  }
  for (const std::string& ip : spec.ip_sans) {
    Ptr<ASN1_STRING> octets(a2i_IPADDRESS(ip.c_str()));
    if (octets == nullptr || ip.find('\0') != std::string::npos) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("certificate spec: bad IP address '", absl::CEscape(ip), "'"));
    }
    Ptr<GENERAL_NAME> name(GENERAL_NAME_new());
    if (name == nullptr) return OpenSslInternal("GENERAL_NAME_new");
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return OpenSslInternal("sk_push");
    name.release();
  }
  for (const std::string& uri : spec.uri_sans) {
    RINGFENCE_RETURN_IF_ERROR(AddIa5Name(names.get(), GEN_URI, uri));
  }
  // RFC 5280 4.2.1.6: critical only when the subject name is empty; ours never is.
  return AddExtension(cert, NID_subject_alt_name, names.get(), false, "subjectAltName");
}

// Key identifier per RFC 7093 section 2 method 1: the leftmost 160 bits of the SHA-256 of
// the subjectPublicKey bits. Avoids depending on SHA-1 being available.
absl::StatusOr<Ptr<ASN1_STRING>> KeyIdentifier(X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  if (bits == nullptr) return OpenSslInternal("X509_get0_pubkey_bitstr");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(ASN1_STRING_get0_data(bits), static_cast<size_t>(ASN1_STRING_length(bits)),
                 md, &md_len, EVP_sha256(), nullptr) != 1 ||
      md_len < 20) {
    return OpenSslInternal("EVP_Digest(SHA-256)");
  }
  Ptr<ASN1_STRING> id(ASN1_OCTET_STRING_new());
  if (id == nullptr || ASN1_OCTET_STRING_set(id.get(), md, 20) != 1) {
    return OpenSslInternal("ASN1_OCTET_STRING_set");
  }
  return id;
}

absl::Status SetRandomSerial(X509* cert) {
  // 128 random bits: unpredictable serials defeat chosen-prefix collision attacks on the
  // signature and make two issuances distinguishable.
  unsigned char bytes[16];
  Ptr<BIGNUM> bn;
  do {
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) return OpenSslInternal("RAND_bytes");
    bn.reset(BN_bin2bn(bytes, sizeof(bytes), nullptr));
    if (bn == nullptr) return OpenSslInternal("BN_bin2bn");
  } while (BN_is_zero(bn.get()));  // RFC 5280: serials are positive
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslInternal("BN_to_ASN1_INTEGER");
  }
  return absl::OkStatus();
}

// Builds, extends and signs one certificate. `issuer` is null for a self-signed CA (then
// `signing_key` is the subject's own key).
absl::StatusOr<Ptr<X509>> BuildCertificate(const CertificateSpec& spec, bool is_ca,
                                           EVP_PKEY* subject_key, X509* issuer,
                                           EVP_PKEY* signing_key) {
  Ptr<X509> cert(X509_new());
  if (cert == nullptr) return OpenSslInternal("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslInternal("X509_set_version");
  }
  RINGFENCE_RETURN_IF_ERROR(SetRandomSerial(cert.get()));

  Ptr<X509_NAME> subject(X509_NAME_new());
  if (subject == nullptr ||
      X509_NAME_add_entry_by_NID(
          subject.get(), NID_commonName, MBSTRING_UTF8,
          reinterpret_cast<const unsigned char*>(spec.common_name.data()),
          static_cast<int>(spec.common_name.size()), -1, 0) != 1) {
    return OpenSslInternal("setting the common name");
  }
  if (X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer == nullptr ? subject.get()
                                                         : X509_get_subject_name(issuer)) !=
          1) {
    return OpenSslInternal("setting subject and issuer names");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(spec.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(spec.not_after)) ==
          nullptr) {
    return OpenSslInternal("setting the validity period");
  }
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return OpenSslInternal("X509_set_pubkey");

  Ptr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
  if (bc == nullptr) return OpenSslInternal("BASIC_CONSTRAINTS_new");
  bc->ca = is_ca ? 0xFF : 0;
  RINGFENCE_RETURN_IF_ERROR(
      AddExtension(cert.get(), NID_basic_constraints, bc.get(), true, "basicConstraints"));

  Ptr<ASN1_STRING> usage(ASN1_BIT_STRING_new());
  if (usage == nullptr) return OpenSslInternal("ASN1_BIT_STRING_new");
  // Bit numbers from RFC 5280 4.2.1.3. ECDSA leaf keys only ever sign (TLS handshakes);
  // ECDHE supplies key agreement, so keyAgreement is not needed.
  const bool ok = is_ca ? (ASN1_BIT_STRING_set_bit(usage.get(), 5, 1) == 1 &&  // keyCertSign
                           ASN1_BIT_STRING_set_bit(usage.get(), 6, 1) == 1)    // cRLSign
                        : ASN1_BIT_STRING_set_bit(usage.get(), 0, 1) == 1;  // digitalSignature
  if (!ok) return OpenSslInternal("ASN1_BIT_STRING_set_bit");
  RINGFENCE_RETURN_IF_ERROR(
      AddExtension(cert.get(), NID_key_usage, usage.get(), true, "keyUsage"));

  if (spec.server_auth || spec.client_auth) {
    Ptr<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
    if (eku == nullptr) return OpenSslInternal("sk_ASN1_OBJECT_new_null");
    if ((spec.server_auth && sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_server_auth)) == 0) ||
        (spec.client_auth && sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_client_auth)) == 0)) {
      return OpenSslInternal("sk_ASN1_OBJECT_push");
    }
    RINGFENCE_RETURN_IF_ERROR(
        AddExtension(cert.get(), NID_ext_key_usage, eku.get(), false, "extendedKeyUsage"));
  }

  RINGFENCE_RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), spec));

  RINGFENCE_ASSIGN_OR_RETURN(Ptr<ASN1_STRING> ski, KeyIdentifier(cert.get()));
  RINGFENCE_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, ski.get(),
                                         false, "subjectKeyIdentifier"));
  // The authority key identifier lets a verifier pick the right CA when several are
  // trusted (e.g. during a CA rollover). An imported CA without one gets none.
  const ASN1_OCTET_STRING* issuer_ski =
      issuer == nullptr ? ski.get() : X509_get0_subject_key_id(issuer);
  if (issuer_ski != nullptr) {
    Ptr<AUTHORITY_KEYID> akid(AUTHORITY_KEYID_new());
    if (akid == nullptr) return OpenSslInternal("AUTHORITY_KEYID_new");
    akid->keyid = ASN1_OCTET_STRING_dup(issuer_ski);
    if (akid->keyid == nullptr) return OpenSslInternal("ASN1_OCTET_STRING_dup");
    RINGFENCE_RETURN_IF_ERROR(AddExtension(cert.get(), NID_authority_key_identifier,
                                           akid.get(), false, "authorityKeyIdentifier"));
  }

  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) return OpenSslInternal("X509_sign");
  return cert;
}

absl::StatusOr<PemKeyAndCert> ToPem(EVP_PKEY* key, X509* cert) {
  PemKeyAndCert out;
  RINGFENCE_ASSIGN_OR_RETURN(out.key_pem, PrivateKeyToPem(key));
  RINGFENCE_ASSIGN_OR_RETURN(out.cert_pem, CertificateToPem(cert));
  return out;
}

// --- Reading certificates ------------------------------------------------------------

absl::StatusOr<std::string> NameToString(const X509_NAME* name) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslInternal("BIO_new");
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return OpenSslInternal("X509_NAME_print_ex");
  }
  return BioContents(bio.get());
}

absl::StatusOr<absl::Time> ToAbslTime(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof(tm));
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate has a malformed validity time (", DrainErrors(), ")"));
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

absl::Status ReadSubjectAltNames(X509* cert, CertificateInfo* info) {
  int critical = -1;
  Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    if (critical == -1) {  // no SAN extension at all
      ERR_clear_error();
      return absl::OkStatus();
    }
    // Two SAN extensions (-2) or an undecodable one: the certificate's identity would be
    // ambiguous, so refuse it rather than guess.
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate has ", critical == -2 ? "several" : "a malformed",
        " subjectAltName extension", critical == -2 ? "s" : ""));
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    if (value == nullptr) continue;
    // Embedded NULs are kept: a name must not be truncated into a different, valid one.
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<size_t>(ASN1_STRING_length(value)));
    switch (type) {
      case GEN_DNS:
        info->dns_sans.push_back(std::move(text));
        break;
      case GEN_URI:
        info->uri_sans.push_back(std::move(text));
        break;
      case GEN_IPADD: {
        char buf[INET6_ADDRSTRLEN];
        const int family = text.size() == 4 ? AF_INET : text.size() == 16 ? AF_INET6 : 0;
        if (family == 0 || inet_ntop(family, text.data(), buf, sizeof(buf)) == nullptr) {
          return absl::InvalidArgumentError("certificate has a malformed IP address SAN");
        }
        info->ip_sans.emplace_back(buf);
        break;
      }
      default:
        break;  // e-mail, directory names etc. carry no meaning for Ringfence
    }
  }
  return absl::OkStatus();
}


// --- Serials and CRLs ----------------------------------------------------------------

absl::StatusOr<std::string> SerialHex(const ASN1_INTEGER* serial) {
  Ptr<BIGNUM> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return OpenSslInternal("ASN1_INTEGER_to_BN");
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return OpenSslInternal("BN_bn2hex");
  std::string text(hex);
  OPENSSL_free(hex);
  return NormalizeSerialHex(text);
}

absl::StatusOr<Ptr<X509_CRL>> ReadCrl(absl::string_view pem) {
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<BIO> bio, ReadOnlyBio(pem, "CRL PEM"));
  Ptr<X509_CRL> crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (crl == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a PEM CRL (", DrainErrors(), ")"));
  }
  return crl;
}

// The CRL must name the CA as issuer and carry the CA key's signature; otherwise anyone able
// to write the file could un-revoke a certificate.
absl::Status VerifyCrlAgainstCa(X509_CRL* crl, X509* ca) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) != 0) {
    ERR_clear_error();
    return absl::UnauthenticatedError("the CRL's issuer is not the CA");
  }
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  if (ca_key == nullptr) return OpenSslInternal("X509_get0_pubkey");
  const int rc = X509_CRL_verify(crl, ca_key);
  if (rc != 1) {
    const std::string why = DrainErrors();
    return absl::UnauthenticatedError(
        absl::StrCat("the CRL's signature does not verify against the CA (", why, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CrlNumber(X509_CRL* crl) {
  int critical = -1;
  Ptr<ASN1_STRING> number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, &critical, nullptr)));
  if (number == nullptr) {
    if (critical == -1) {
      ERR_clear_error();
      return 0;
    }
    return absl::InvalidArgumentError("CRL has a malformed or repeated cRLNumber");
  }
  int64_t value = 0;
  if (ASN1_INTEGER_get_int64(&value, number.get()) != 1 || value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("CRL has an out-of-range cRLNumber (", DrainErrors(), ")"));
  }
  return value;
}

absl::StatusOr<absl::Time> CrlTime(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof(tm));
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("CRL has a malformed update time (", DrainErrors(), ")"));
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

absl::StatusOr<CrlInfo> DescribeCrl(X509_CRL* crl) {
  CrlInfo info;
  RINGFENCE_ASSIGN_OR_RETURN(info.issuer, NameToString(X509_CRL_get_issuer(crl)));
  RINGFENCE_ASSIGN_OR_RETURN(info.this_update, CrlTime(X509_CRL_get0_lastUpdate(crl)));
  info.next_update = absl::InfiniteFuture();
  if (X509_CRL_get0_nextUpdate(crl) != nullptr) {
    RINGFENCE_ASSIGN_OR_RETURN(info.next_update, CrlTime(X509_CRL_get0_nextUpdate(crl)));
  }
  RINGFENCE_ASSIGN_OR_RETURN(info.crl_number, CrlNumber(crl));
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    RINGFENCE_ASSIGN_OR_RETURN(
        std::string serial,
        SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
    info.revoked_serials_hex.push_back(std::move(serial));
  }
  return info;
}

absl::Status SetCrlTime(X509_CRL* crl, absl::Time t, bool next) {
  Ptr<ASN1_STRING> time(ASN1_TIME_set(nullptr, absl::ToTimeT(t)));
  if (time == nullptr) return OpenSslInternal("ASN1_TIME_set");
  const int ok = next ? X509_CRL_set1_nextUpdate(crl, time.get())
                      : X509_CRL_set1_lastUpdate(crl, time.get());
  if (ok != 1) return OpenSslInternal("setting the CRL's update times");
  return absl::OkStatus();
}

}  // namespace

void ClearSecret(std::string* secret) {
  if (secret == nullptr) return;
  if (!secret->empty()) OPENSSL_cleanse(secret->data(), secret->size());
  secret->clear();
}

absl::StatusOr<PemKeyAndCert> CreateSelfSignedCa(const CertificateSpec& spec) {
  ErrorQueueScope errors;
  RINGFENCE_RETURN_IF_ERROR(ValidateSpec(spec));
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<EVP_PKEY> key, GenerateP256Key());
  RINGFENCE_ASSIGN_OR_RETURN(
      Ptr<X509> cert, BuildCertificate(spec, /*is_ca=*/true, key.get(), nullptr, key.get()));
  return ToPem(key.get(), cert.get());
}

absl::StatusOr<PemKeyAndCert> IssueCertificate(const PemKeyAndCert& ca,
                                               const CertificateSpec& spec) {
  ErrorQueueScope errors;
  RINGFENCE_RETURN_IF_ERROR(ValidateSpec(spec));
  absl::StatusOr<Ptr<X509>> ca_cert = ReadCertificate(ca.cert_pem);
  if (!ca_cert.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate: ", ca_cert.status().message()));
  }
  absl::StatusOr<Ptr<EVP_PKEY>> ca_key = ReadPrivateKey(ca.key_pem);
  if (!ca_key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CA key: ", ca_key.status().message()));
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(ca_cert->get()), ca_key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("CA key does not match the CA certificate");
  }
  // 1 means basicConstraints CA:TRUE and, if keyUsage is present, keyCertSign; the other
  // non-zero answers are legacy heuristics we do not accept.
  if (X509_check_ca(ca_cert->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the CA certificate is not a CA (no basicConstraints CA:TRUE with keyCertSign)");
  }
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<EVP_PKEY> key, GenerateP256Key());
  RINGFENCE_ASSIGN_OR_RETURN(
      Ptr<X509> cert, BuildCertificate(spec, spec.is_ca, key.get(), ca_cert->get(), ca_key->get()));
  return ToPem(key.get(), cert.get());
}

absl::StatusOr<CertificateInfo> ParseCertificate(absl::string_view pem) {
  ErrorQueueScope errors;
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<X509> cert, ReadCertificate(pem));
  CertificateInfo info;
  RINGFENCE_ASSIGN_OR_RETURN(info.subject, NameToString(X509_get_subject_name(cert.get())));
  RINGFENCE_ASSIGN_OR_RETURN(info.issuer, NameToString(X509_get_issuer_name(cert.get())));

  RINGFENCE_ASSIGN_OR_RETURN(info.serial_hex, SerialHex(X509_get0_serialNumber(cert.get())));

  RINGFENCE_RETURN_IF_ERROR(ReadSubjectAltNames(cert.get(), &info));
  RINGFENCE_ASSIGN_OR_RETURN(info.not_before, ToAbslTime(X509_get0_notBefore(cert.get())));
  RINGFENCE_ASSIGN_OR_RETURN(info.not_after, ToAbslTime(X509_get0_notAfter(cert.get())));

  // Computing the flags also decodes the extensions; EXFLAG_INVALID means one is
  // malformed, in which case is_ca could not be trusted.
  const uint32_t flags = X509_get_extension_flags(cert.get());
  if ((flags & EXFLAG_INVALID) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate has malformed extensions (", DrainErrors(), ")"));
  }
  info.is_ca = (flags & EXFLAG_CA) != 0;

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &md_len) != 1) {
    return OpenSslInternal("X509_digest");
  }
  info.sha256_fingerprint_hex = LowerHex(md, md_len);
  return info;
}

absl::Status VerifyCertificate(absl::string_view cert_pem, absl::string_view ca_pem,
                               absl::Time now) {
  ErrorQueueScope errors;
  absl::StatusOr<std::vector<Ptr<X509>>> chain = ReadCertificates(cert_pem);
  if (!chain.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("certificate: ", chain.status().message()));
  }
  absl::StatusOr<std::vector<Ptr<X509>>> anchors = ReadCertificates(ca_pem);
  if (!anchors.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate: ", anchors.status().message()));
  }
  Ptr<X509_STORE> store(X509_STORE_new());
  if (store == nullptr) return OpenSslInternal("X509_STORE_new");
  for (const Ptr<X509>& anchor : *anchors) {
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {  // takes its own reference
      return OpenSslInternal("X509_STORE_add_cert");
    }
  }
  // Certificates after the first in `cert_pem` are untrusted intermediates.
  Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  if (untrusted == nullptr) return OpenSslInternal("sk_X509_new_null");
  for (size_t i = 1; i < chain->size(); ++i) {
    if (X509_add_cert(untrusted.get(), (*chain)[i].get(), X509_ADD_FLAG_UP_REF) != 1) {
      return OpenSslInternal("X509_add_cert");
    }
  }
  Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr) return OpenSslInternal("X509_STORE_CTX_new");
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain->front().get(), untrusted.get()) != 1) {
    return OpenSslInternal("X509_STORE_CTX_init");
  }
  // An explicit time makes the answer reproducible in tests and lets callers ask "was it
  // valid then?"; it also sets X509_V_FLAG_USE_CHECK_TIME.
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), absl::ToTimeT(now));
  const int rc = X509_verify_cert(ctx.get());
  if (rc == 1) return absl::OkStatus();
  const int err = X509_STORE_CTX_get_error(ctx.get());
  if (rc < 0 || err == X509_V_OK) return OpenSslInternal("X509_verify_cert");
  ERR_clear_error();
  return absl::UnauthenticatedError(absl::StrCat("certificate verification failed: ",
                                                 X509_verify_cert_error_string(err)));
}

absl::Status CheckKeyMatchesCertificate(absl::string_view key_pem,
                                        absl::string_view cert_pem) {
  ErrorQueueScope errors;
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<EVP_PKEY> key, ReadPrivateKey(key_pem));
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<X509> cert, ReadCertificate(cert_pem));
  const EVP_PKEY* public_key = X509_get0_pubkey(cert.get());
  if (public_key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate has an unreadable public key (", DrainErrors(), ")"));
  }
  if (EVP_PKEY_eq(public_key, key.get()) != 1) {
    return absl::InvalidArgumentError("private key does not match the certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeSerialHex(absl::string_view serial) {
  absl::string_view s = absl::StripAsciiWhitespace(serial);
  if (absl::StartsWithIgnoreCase(s, "0x")) s.remove_prefix(2);
  if (s.empty()) return absl::InvalidArgumentError("empty serial number");
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("serial number is not hex: '", absl::CEscape(serial.substr(0, 80)), "'"));
    }
  }
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  return absl::AsciiStrToLower(s);
}

absl::StatusOr<CrlInfo> ParseAndVerifyCrl(absl::string_view crl_pem, absl::string_view ca_pem) {
  ErrorQueueScope errors;
  absl::StatusOr<Ptr<X509>> ca = ReadCertificate(ca_pem);
  if (!ca.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CA certificate: ", ca.status().message()));
  }
  RINGFENCE_ASSIGN_OR_RETURN(Ptr<X509_CRL> crl, ReadCrl(crl_pem));
  RINGFENCE_RETURN_IF_ERROR(VerifyCrlAgainstCa(crl.get(), ca->get()));
  return DescribeCrl(crl.get());
}

absl::StatusOr<RevocationResult> RevokeCertificate(const PemKeyAndCert& ca,
                                                   absl::string_view existing_crl_pem,
                                                   absl::string_view cert_pem, absl::Time now,
                                                   absl::Duration next_update_in) {
  ErrorQueueScope errors;
  if (next_update_in <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the CRL's nextUpdate must lie after its thisUpdate");
  }
  absl::StatusOr<Ptr<X509>> ca_cert = ReadCertificate(ca.cert_pem);
  if (!ca_cert.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate: ", ca_cert.status().message()));
  }
  absl::StatusOr<Ptr<EVP_PKEY>> ca_key = ReadPrivateKey(ca.key_pem);
  if (!ca_key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CA key: ", ca_key.status().message()));
  }
  if (EVP_PKEY_eq(X509_get0_pubkey(ca_cert->get()), ca_key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("CA key does not match the CA certificate");
  }
  absl::StatusOr<Ptr<X509>> cert = ReadCertificate(cert_pem);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("certificate: ", cert.status().message()));
  }
  // Only this CA's certificates: a serial from another CA's certificate would revoke an
  // unrelated certificate of ours that happens to share it.
  if (X509_NAME_cmp(X509_get_issuer_name(cert->get()), X509_get_subject_name(ca_cert->get())) !=
          0 ||
      X509_verify(cert->get(), X509_get0_pubkey(ca_cert->get())) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the certificate was not issued by this CA");
  }

  Ptr<X509_CRL> crl(X509_CRL_new());
  if (crl == nullptr) return OpenSslInternal("X509_CRL_new");
  int64_t previous_number = 0;
  if (!existing_crl_pem.empty()) {
    RINGFENCE_ASSIGN_OR_RETURN(Ptr<X509_CRL> old, ReadCrl(existing_crl_pem));
    RINGFENCE_RETURN_IF_ERROR(VerifyCrlAgainstCa(old.get(), ca_cert->get()));
    RINGFENCE_ASSIGN_OR_RETURN(previous_number, CrlNumber(old.get()));
    STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(old.get());
    for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
      Ptr<X509_REVOKED> copy(X509_REVOKED_dup(sk_X509_REVOKED_value(entries, i)));
      if (copy == nullptr) return OpenSslInternal("X509_REVOKED_dup");
      if (X509_CRL_add0_revoked(crl.get(), copy.get()) != 1) {
        return OpenSslInternal("X509_CRL_add0_revoked");
      }
      copy.release();  // owned by the CRL now
    }
  }
  if (previous_number == INT64_MAX) return absl::InvalidArgumentError("cRLNumber overflow");

  RevocationResult result;
  RINGFENCE_ASSIGN_OR_RETURN(result.serial_hex,
                             SerialHex(X509_get0_serialNumber(cert->get())));
  X509_REVOKED* found = nullptr;
  result.already_revoked =
      X509_CRL_get0_by_serial(crl.get(), &found,
                              X509_get0_serialNumber(cert->get())) > 0;
  ERR_clear_error();
  if (!result.already_revoked) {
    Ptr<X509_REVOKED> entry(X509_REVOKED_new());
    if (entry == nullptr) return OpenSslInternal("X509_REVOKED_new");
    Ptr<ASN1_STRING> when(ASN1_TIME_set(nullptr, absl::ToTimeT(now)));
    if (when == nullptr ||
        X509_REVOKED_set_serialNumber(entry.get(),
                                      const_cast<ASN1_INTEGER*>(
                                          X509_get0_serialNumber(cert->get()))) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), when.get()) != 1) {
      return OpenSslInternal("building the revoked entry");
    }
    if (X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      return OpenSslInternal("X509_CRL_add0_revoked");
    }
    entry.release();
  }
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert->get())) != 1) {
    return OpenSslInternal("setting the CRL's version and issuer");
  }
  RINGFENCE_RETURN_IF_ERROR(SetCrlTime(crl.get(), now, /*next=*/false));
  RINGFENCE_RETURN_IF_ERROR(SetCrlTime(crl.get(), now + next_update_in, /*next=*/true));
  // RFC 5280 5.2.3: a monotonically increasing cRLNumber, so readers can tell newer from older.
  result.crl_number = previous_number + 1;
  Ptr<ASN1_STRING> number(ASN1_INTEGER_new());
  if (number == nullptr || ASN1_INTEGER_set_int64(number.get(), result.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_REPLACE) !=
          1) {
    return OpenSslInternal("adding cRLNumber");
  }
  const ASN1_OCTET_STRING* ca_ski = X509_get0_subject_key_id(ca_cert->get());
  if (ca_ski != nullptr) {
    Ptr<AUTHORITY_KEYID> akid(AUTHORITY_KEYID_new());
    if (akid == nullptr) return OpenSslInternal("AUTHORITY_KEYID_new");
    akid->keyid = ASN1_OCTET_STRING_dup(ca_ski);
    if (akid->keyid == nullptr ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0,
                              X509V3_ADD_REPLACE) != 1) {
      return OpenSslInternal("adding authorityKeyIdentifier to the CRL");
    }
  }
  if (X509_CRL_sort(crl.get()) != 1) return OpenSslInternal("X509_CRL_sort");
  if (X509_CRL_sign(crl.get(), ca_key->get(), EVP_sha256()) <= 0) {
    return OpenSslInternal("X509_CRL_sign");
  }
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslInternal("BIO_new");
  if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return OpenSslInternal("PEM_write_bio_X509_CRL");
  }
  RINGFENCE_ASSIGN_OR_RETURN(result.crl_pem, BioContents(bio.get()));
  return result;
}

}  // namespace ringfence::crypto
