#include "crypto/x509.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::crypto {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;

// A fixed clock so validity checks do not depend on when the test runs.
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

CertificateSpec CaSpec(absl::string_view cn = "Test CA") {
  CertificateSpec spec;
  spec.common_name = std::string(cn);
  spec.not_before = kNow - absl::Hours(24 * 365);
  spec.not_after = kNow + absl::Hours(24 * 3650);
  spec.is_ca = true;
  return spec;
}

CertificateSpec LeafSpec() {
  CertificateSpec spec;
  spec.common_name = "leaf";
  spec.dns_sans = {"localhost", "coordinator.example"};
  spec.ip_sans = {"127.0.0.1", "::1"};
  spec.uri_sans = {"urn:ringfence:la:E09000033"};
  spec.not_before = kNow - absl::Hours(1);
  spec.not_after = kNow + absl::Hours(24 * 30);
  spec.server_auth = true;
  spec.client_auth = true;
  return spec;
}

class X509Test : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PemKeyAndCert> ca = CreateSelfSignedCa(CaSpec());
    ASSERT_THAT(ca, IsOk());
    ca_ = *ca;
  }
  PemKeyAndCert ca_;
};

// --- Raw OpenSSL access, to check what CertificateInfo does not expose. ---

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr RawCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

bool HasEku(X509* cert, int nid) {
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  if (eku == nullptr) return false;
  bool found = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid) found = true;
  }
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  return found;
}

// Verifies with X509_V_FLAG_X509_STRICT, which checks RFC 5280 profile rules (key
// identifiers present, AKI not critical, basicConstraints critical on CAs, ...).
int StrictVerifyError(const std::string& cert_pem, const std::string& ca_pem) {
  X509Ptr cert = RawCert(cert_pem);
  X509Ptr ca = RawCert(ca_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert.get(), nullptr);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), absl::ToTimeT(kNow));
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
  const int rc = X509_verify_cert(ctx);
  const int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  ERR_clear_error();
  return err;
}

TEST_F(X509Test, CaRoundTripsAsCaWithExactValidity) {
  absl::StatusOr<CertificateInfo> info = ParseCertificate(ca_.cert_pem);
  ASSERT_THAT(info, IsOk());
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->subject, "CN=Test CA");
  EXPECT_EQ(info->issuer, "CN=Test CA");
  EXPECT_EQ(info->not_before, kNow - absl::Hours(24 * 365));
  EXPECT_EQ(info->not_after, kNow + absl::Hours(24 * 3650));
  EXPECT_THAT(ca_.key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));  // PKCS#8
  EXPECT_THAT(CheckKeyMatchesCertificate(ca_.key_pem, ca_.cert_pem), IsOk());
  EXPECT_THAT(VerifyCertificate(ca_.cert_pem, ca_.cert_pem, kNow), IsOk());

  X509Ptr raw = RawCert(ca_.cert_pem);
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(X509_check_ca(raw.get()), 1);
  EXPECT_NE(X509_get_key_usage(raw.get()) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_NE(X509_get_key_usage(raw.get()) & KU_CRL_SIGN, 0u);
  EXPECT_EQ(X509_get_signature_nid(raw.get()), NID_ecdsa_with_SHA256);
  EXPECT_NE(X509_get0_subject_key_id(raw.get()), nullptr);
}

TEST_F(X509Test, IssuedCertificateRoundTrips) {
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, LeafSpec());
  ASSERT_THAT(leaf, IsOk());
  absl::StatusOr<CertificateInfo> info = ParseCertificate(leaf->cert_pem);
  ASSERT_THAT(info, IsOk());
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->subject, "CN=leaf");
  EXPECT_EQ(info->issuer, "CN=Test CA");
  EXPECT_THAT(info->dns_sans, ElementsAre("localhost", "coordinator.example"));
  EXPECT_THAT(info->ip_sans, ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(info->uri_sans, ElementsAre("urn:ringfence:la:E09000033"));
  EXPECT_EQ(info->not_before, kNow - absl::Hours(1));
  EXPECT_EQ(info->not_after, kNow + absl::Hours(24 * 30));
  EXPECT_THAT(info->serial_hex, MatchesRegex("[0-9a-f]{1,32}"));
  EXPECT_THAT(info->sha256_fingerprint_hex, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_THAT(leaf->key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
}

TEST_F(X509Test, IssuedCertificateHasExtensionsAndPassesStrictChecks) {
  CertificateSpec server = LeafSpec();
  server.client_auth = false;
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, server);
  ASSERT_THAT(leaf, IsOk());
  X509Ptr raw = RawCert(leaf->cert_pem);
  X509Ptr ca = RawCert(ca_.cert_pem);
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(X509_get_version(raw.get()), X509_VERSION_3);
  EXPECT_TRUE(HasEku(raw.get(), NID_server_auth));
  EXPECT_FALSE(HasEku(raw.get(), NID_client_auth));
  EXPECT_EQ(X509_check_ca(raw.get()), 0);
  EXPECT_NE(X509_get_key_usage(raw.get()) & KU_DIGITAL_SIGNATURE, 0u);
  EXPECT_EQ(X509_get_key_usage(raw.get()) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_EQ(X509_get_signature_nid(raw.get()), NID_ecdsa_with_SHA256);
  // The AKI names the CA's SKI.
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(raw.get());
  const ASN1_OCTET_STRING* ca_ski = X509_get0_subject_key_id(ca.get());
  ASSERT_NE(aki, nullptr);
  ASSERT_NE(ca_ski, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, ca_ski), 0);
  EXPECT_EQ(StrictVerifyError(leaf->cert_pem, ca_.cert_pem), X509_V_OK);
  EXPECT_EQ(StrictVerifyError(ca_.cert_pem, ca_.cert_pem), X509_V_OK);
}

TEST_F(X509Test, SerialsAreRandomAndKeysFresh) {
  absl::StatusOr<PemKeyAndCert> a = IssueCertificate(ca_, LeafSpec());
  absl::StatusOr<PemKeyAndCert> b = IssueCertificate(ca_, LeafSpec());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(ParseCertificate(a->cert_pem)->serial_hex, ParseCertificate(b->cert_pem)->serial_hex);
  EXPECT_NE(a->key_pem, b->key_pem);
}

TEST_F(X509Test, VerifyAcceptsCertificateFromItsCa) {
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, LeafSpec());
  ASSERT_THAT(leaf, IsOk());
  EXPECT_THAT(VerifyCertificate(leaf->cert_pem, ca_.cert_pem, kNow), IsOk());
}

TEST_F(X509Test, VerifyRejectsCertificateFromAnotherCa) {
  absl::StatusOr<PemKeyAndCert> other_ca = CreateSelfSignedCa(CaSpec("Test CA"));  // same name!
  ASSERT_THAT(other_ca, IsOk());
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(*other_ca, LeafSpec());
  ASSERT_THAT(leaf, IsOk());
  EXPECT_THAT(VerifyCertificate(leaf->cert_pem, ca_.cert_pem, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(IsEmpty())));
  EXPECT_THAT(VerifyCertificate(leaf->cert_pem, other_ca->cert_pem, kNow), IsOk());
}

TEST_F(X509Test, VerifyRejectsExpiredCertificate) {
  CertificateSpec spec = LeafSpec();
  spec.not_before = kNow - absl::Hours(24 * 10);
  spec.not_after = kNow - absl::Hours(24);
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, spec);
  ASSERT_THAT(leaf, IsOk());
  EXPECT_THAT(VerifyCertificate(leaf->cert_pem, ca_.cert_pem, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  // ...but it was valid during its period.
  EXPECT_THAT(VerifyCertificate(leaf->cert_pem, ca_.cert_pem, kNow - absl::Hours(48)), IsOk());
}

TEST_F(X509Test, VerifyRejectsNotYetValidCertificate) {
  CertificateSpec spec = LeafSpec();
  spec.not_before = kNow + absl::Hours(24);
  spec.not_after = kNow + absl::Hours(24 * 10);
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, spec);
  ASSERT_THAT(leaf, IsOk());
  EXPECT_THAT(VerifyCertificate(leaf->cert_pem, ca_.cert_pem, kNow),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not yet valid")));
}

TEST_F(X509Test, VerifyRejectsMalformedInputAsInvalidArgument) {
  EXPECT_THAT(VerifyCertificate("junk", ca_.cert_pem, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(VerifyCertificate(ca_.cert_pem, "", kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(X509Test, KeyMismatchIsDetected) {
  absl::StatusOr<PemKeyAndCert> a = IssueCertificate(ca_, LeafSpec());
  absl::StatusOr<PemKeyAndCert> b = IssueCertificate(ca_, LeafSpec());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(CheckKeyMatchesCertificate(a->key_pem, a->cert_pem), IsOk());
  EXPECT_THAT(CheckKeyMatchesCertificate(b->key_pem, a->cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  // A certificate where a key is expected.
  EXPECT_THAT(CheckKeyMatchesCertificate(a->cert_pem, a->cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));
}

TEST_F(X509Test, IssueRefusesMismatchedOrNonCaIssuer) {
  absl::StatusOr<PemKeyAndCert> other_ca = CreateSelfSignedCa(CaSpec("Other"));
  ASSERT_THAT(other_ca, IsOk());
  PemKeyAndCert mixed{other_ca->key_pem, ca_.cert_pem};
  EXPECT_THAT(IssueCertificate(mixed, LeafSpec()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));

  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, LeafSpec());
  ASSERT_THAT(leaf, IsOk());
  EXPECT_THAT(IssueCertificate(*leaf, LeafSpec()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a CA")));
}

TEST_F(X509Test, BadSpecsAreInvalidArgument) {
  CertificateSpec spec = LeafSpec();
  spec.common_name = "";
  EXPECT_THAT(IssueCertificate(ca_, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("common name")));
  spec = LeafSpec();
  spec.not_after = spec.not_before - absl::Seconds(1);
  EXPECT_THAT(IssueCertificate(ca_, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not_after")));
  spec = LeafSpec();
  spec.ip_sans = {"300.1.1.1"};
  EXPECT_THAT(IssueCertificate(ca_, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("IP")));
  spec = LeafSpec();
  spec.dns_sans = {"a.example,DNS:evil.example"};  // no SAN smuggling
  EXPECT_THAT(IssueCertificate(ca_, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DNS")));
  spec = LeafSpec();
  spec.uri_sans = {"urn:ringfence:la:E09000033 urn:x"};
  EXPECT_THAT(IssueCertificate(ca_, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("URI")));
  spec = LeafSpec();
  spec.not_after = absl::InfiniteFuture();
  EXPECT_THAT(CreateSelfSignedCa(spec), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(X509Test, ZeroLengthValidityIsAllowed) {
  CertificateSpec spec = LeafSpec();
  spec.not_after = spec.not_before;
  EXPECT_THAT(IssueCertificate(ca_, spec), IsOk());
}

TEST_F(X509Test, ParseRejectsNonCertificatesAndLeavesNoOpenSslErrors) {
  EXPECT_THAT(ParseCertificate(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseCertificate("hello"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a PEM certificate")));
  EXPECT_THAT(ParseCertificate(ca_.key_pem), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string truncated = ca_.cert_pem.substr(0, ca_.cert_pem.size() / 2) +
                          "\n-----END CERTIFICATE-----\n";
  EXPECT_THAT(ParseCertificate(truncated), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_F(X509Test, EncryptedKeyIsRefusedWithoutPrompting) {
  // Re-encrypt the CA key; reading it must fail rather than ask for a passphrase.
  BIO* in = BIO_new_mem_buf(ca_.key_pem.data(), static_cast<int>(ca_.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_NE(key, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), pass, 6, nullptr,
                                          nullptr),
            1);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string encrypted(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(key);
  EXPECT_THAT(CheckKeyMatchesCertificate(encrypted, ca_.cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));
}

TEST_F(X509Test, TwoSanExtensionsAreRefused) {
  // Hand-build a certificate with two subjectAltName extensions, signed by the CA: its
  // identity would be ambiguous.
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca_, LeafSpec());
  ASSERT_THAT(leaf, IsOk());
  X509Ptr raw = RawCert(leaf->cert_pem);
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* uri = ASN1_IA5STRING_new();
  ASN1_STRING_set(uri, "urn:ringfence:operator:x", -1);
  GENERAL_NAME_set0_value(name, GEN_URI, uri);
  sk_GENERAL_NAME_push(names, name);
  X509_EXTENSION* ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names);
  ASSERT_EQ(X509_add_ext(raw.get(), ext, -1), 1);  // appended, not replacing
  X509_EXTENSION_free(ext);
  GENERAL_NAMES_free(names);
  BIO* in = BIO_new_mem_buf(ca_.key_pem.data(), static_cast<int>(ca_.key_pem.size()));
  EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_GT(X509_sign(raw.get(), ca_key, EVP_sha256()), 0);
  EVP_PKEY_free(ca_key);
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(out, raw.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(out);
  EXPECT_THAT(ParseCertificate(pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subjectAltName")));
}

TEST(ClearSecretTest, EmptiesTheString) {
  std::string secret = "-----BEGIN PRIVATE KEY----- not really -----END PRIVATE KEY-----";
  ClearSecret(&secret);
  EXPECT_TRUE(secret.empty());
}

}  // namespace
}  // namespace ringfence::crypto
