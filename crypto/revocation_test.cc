#include "crypto/revocation.h"

#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "crypto/x509.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::crypto {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z
constexpr absl::Duration kWeek = absl::Hours(24 * 7);

PemKeyAndCert MakeCa(absl::string_view cn = "Test CA") {
  CertificateSpec spec;
  spec.common_name = std::string(cn);
  spec.not_before = kNow - absl::Hours(24);
  spec.not_after = kNow + absl::Hours(24 * 3650);
  spec.is_ca = true;
  absl::StatusOr<PemKeyAndCert> ca = CreateSelfSignedCa(spec);
  EXPECT_THAT(ca, IsOk());
  return ca.ok() ? *ca : PemKeyAndCert{};
}

std::string Leaf(const PemKeyAndCert& ca, absl::string_view uri) {
  CertificateSpec spec;
  spec.common_name = "leaf";
  spec.uri_sans = {std::string(uri)};
  spec.not_before = kNow - absl::Hours(1);
  spec.not_after = kNow + absl::Hours(24 * 30);
  spec.client_auth = true;
  absl::StatusOr<PemKeyAndCert> leaf = IssueCertificate(ca, spec);
  EXPECT_THAT(leaf, IsOk());
  return leaf.ok() ? leaf->cert_pem : "";
}

std::string Serial(absl::string_view cert_pem) {
  absl::StatusOr<CertificateInfo> info = ParseCertificate(cert_pem);
  EXPECT_THAT(info, IsOk());
  return info.ok() ? info->serial_hex : "";
}

// The serial's big-endian bytes, as they appear in DER.
std::string SerialBytes(const std::string& hex) {
  return absl::HexStringToBytes(hex.size() % 2 ? "0" + hex : hex);
}

// Re-encodes a PEM object after flipping the last bit of the first occurrence of `needle`
// (raw bytes) in its DER: the structure still parses, the signature no longer matches.
std::string FlipBitIn(absl::string_view pem, const std::string& needle) {
  std::vector<std::string> lines = absl::StrSplit(pem, '\n', absl::SkipEmpty());
  std::string body;
  for (size_t i = 1; i + 1 < lines.size(); ++i) body += lines[i];
  std::string der;
  EXPECT_TRUE(absl::Base64Unescape(body, &der));
  const size_t at = der.find(needle);
  EXPECT_NE(at, std::string::npos);
  if (at == std::string::npos) return std::string(pem);
  der[at + needle.size() - 1] ^= 1;
  std::string out = lines.front() + "\n";
  const std::string b64 = absl::Base64Escape(der);
  for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&out, b64.substr(i, 64), "\n");
  return out + lines.back() + "\n";
}

TEST(RevokeCertificateTest, CreatesASignedCrlListingTheSerial) {
  const PemKeyAndCert ca = MakeCa();
  const std::string la = Leaf(ca, "urn:ringfence:la:E09000033");
  absl::StatusOr<RevocationResult> r = RevokeCertificate(ca, "", la, kNow, kWeek);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->serial_hex, Serial(la));
  EXPECT_FALSE(r->already_revoked);
  EXPECT_EQ(r->crl_number, 1);

  absl::StatusOr<CrlInfo> info = ParseAndVerifyCrl(r->crl_pem, ca.cert_pem);
  ASSERT_THAT(info, IsOk());
  EXPECT_THAT(info->revoked_serials_hex, ElementsAre(Serial(la)));
  EXPECT_EQ(info->this_update, kNow);
  EXPECT_EQ(info->next_update, kNow + kWeek);
  EXPECT_EQ(info->crl_number, 1);
  EXPECT_THAT(info->issuer, HasSubstr("CN=Test CA"));
}

TEST(RevokeCertificateTest, KeepsEarlierEntriesAndCountsUp) {
  const PemKeyAndCert ca = MakeCa();
  const std::string a = Leaf(ca, "urn:ringfence:la:E09000033");
  const std::string b = Leaf(ca, "urn:ringfence:recipient:public:web");
  absl::StatusOr<RevocationResult> first = RevokeCertificate(ca, "", a, kNow, kWeek);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<RevocationResult> second =
      RevokeCertificate(ca, first->crl_pem, b, kNow + absl::Hours(1), kWeek);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->crl_number, 2);
  absl::StatusOr<CrlInfo> info = ParseAndVerifyCrl(second->crl_pem, ca.cert_pem);
  ASSERT_THAT(info, IsOk());
  EXPECT_THAT(info->revoked_serials_hex, UnorderedElementsAre(Serial(a), Serial(b)));

  absl::StatusOr<RevocationResult> again = RevokeCertificate(ca, second->crl_pem, a, kNow, kWeek);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_revoked);
  EXPECT_EQ(ParseAndVerifyCrl(again->crl_pem, ca.cert_pem)->revoked_serials_hex.size(), 2u);
}

TEST(RevokeCertificateTest, RefusesACertificateOfAnotherCa) {
  const PemKeyAndCert ca = MakeCa();
  const PemKeyAndCert other = MakeCa();  // same name, different key
  EXPECT_THAT(RevokeCertificate(ca, "", Leaf(other, "urn:ringfence:la:E09000033"), kNow, kWeek),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not issued by this CA")));
}

TEST(RevokeCertificateTest, RefusesToExtendATamperedCrl) {
  const PemKeyAndCert ca = MakeCa();
  const std::string a = Leaf(ca, "urn:ringfence:la:E09000033");
  absl::StatusOr<RevocationResult> r = RevokeCertificate(ca, "", a, kNow, kWeek);
  ASSERT_THAT(r, IsOk());
  const std::string serial_bytes = SerialBytes(r->serial_hex);
  const std::string tampered = FlipBitIn(r->crl_pem, serial_bytes);
  EXPECT_THAT(RevokeCertificate(ca, tampered, Leaf(ca, "urn:ringfence:operator:ops1"), kNow,
                                kWeek),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
}

TEST(ParseAndVerifyCrlTest, RejectsTamperedForgedAndMalformedCrls) {
  const PemKeyAndCert ca = MakeCa();
  const PemKeyAndCert impostor = MakeCa();  // same subject name, another key
  const std::string a = Leaf(ca, "urn:ringfence:la:E09000033");
  absl::StatusOr<RevocationResult> r = RevokeCertificate(ca, "", a, kNow, kWeek);
  ASSERT_THAT(r, IsOk());
  const std::string serial_bytes = SerialBytes(r->serial_hex);
  EXPECT_THAT(ParseAndVerifyCrl(FlipBitIn(r->crl_pem, serial_bytes), ca.cert_pem),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Signed with another key under the same name: only the signature tells them apart.
  absl::StatusOr<RevocationResult> forged =
      RevokeCertificate(impostor, "", Leaf(impostor, "urn:ringfence:la:E09000033"), kNow, kWeek);
  ASSERT_THAT(forged, IsOk());
  EXPECT_THAT(ParseAndVerifyCrl(forged->crl_pem, ca.cert_pem),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature")));
  const PemKeyAndCert other_name = MakeCa("Other CA");
  absl::StatusOr<RevocationResult> other =
      RevokeCertificate(other_name, "", Leaf(other_name, "urn:ringfence:la:E09000033"), kNow,
                        kWeek);
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(ParseAndVerifyCrl(other->crl_pem, ca.cert_pem),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("issuer")));
  EXPECT_THAT(ParseAndVerifyCrl("", ca.cert_pem), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseAndVerifyCrl(a, ca.cert_pem), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseAndVerifyCrl(r->crl_pem.substr(0, r->crl_pem.size() / 2), ca.cert_pem),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NormalizeSerialHexTest, OneFormForEverySpelling) {
  EXPECT_THAT(NormalizeSerialHex("0x00AbC"), testing::IsOkAndHolds(std::string("abc")));
  EXPECT_THAT(NormalizeSerialHex("000"), testing::IsOkAndHolds(std::string("0")));
  EXPECT_THAT(NormalizeSerialHex("12:34"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NormalizeSerialHex(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

class RevocationListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_revocation_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/crl.pem";
    ca_ = MakeCa();
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  // Revokes `cert` on top of the CRL last written and writes the result atomically.
  void RevokeAndWrite(const std::string& cert) {
    absl::StatusOr<RevocationResult> r = RevokeCertificate(ca_, crl_pem_, cert, now_, kWeek);
    ASSERT_THAT(r, IsOk());
    crl_pem_ = r->crl_pem;
    ASSERT_THAT(base::WriteFileAtomically(path_, crl_pem_), IsOk());
  }

  RevocationList::Options Opts() {
    RevocationList::Options o;
    o.check_interval = absl::Seconds(10);
    o.clock = [this] { return now_; };
    o.log = [this](absl::string_view line) { log_.emplace_back(line); };
    return o;
  }

  std::string dir_, path_, crl_pem_;
  PemKeyAndCert ca_;
  absl::Time now_ = kNow;
  std::vector<std::string> log_;
};

TEST_F(RevocationListTest, AnswersForCertificatesAndSerials) {
  const std::string revoked = Leaf(ca_, "urn:ringfence:la:E09000033");
  const std::string fine = Leaf(ca_, "urn:ringfence:la:E08000037");
  RevokeAndWrite(revoked);
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(path_, ca_.cert_pem, Opts());
  ASSERT_THAT(list, IsOk());
  EXPECT_THAT((*list)->IsRevoked(revoked), testing::IsOkAndHolds(true));
  EXPECT_THAT((*list)->IsRevoked(fine), testing::IsOkAndHolds(false));
  EXPECT_THAT((*list)->IsSerialRevoked(absl::StrCat("0x000", Serial(revoked))),
              testing::IsOkAndHolds(true));
  EXPECT_THAT((*list)->IsSerialRevoked("not hex"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT((*list)->IsRevoked("garbage"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ((*list)->size(), 1u);
  EXPECT_EQ((*list)->crl_number(), 1);
}

TEST_F(RevocationListTest, FirstLoadFailsClosed) {
  EXPECT_THAT(RevocationList::Load(path_, ca_.cert_pem, Opts()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path_)));
  ASSERT_THAT(base::WriteFileAtomically(path_, "-----BEGIN X509 CRL-----\nAAAA\n"), IsOk());
  EXPECT_THAT(RevocationList::Load(path_, ca_.cert_pem, Opts()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const PemKeyAndCert impostor = MakeCa();
  absl::StatusOr<RevocationResult> forged =
      RevokeCertificate(impostor, "", Leaf(impostor, "urn:ringfence:la:E09000033"), kNow, kWeek);
  ASSERT_THAT(forged, IsOk());
  ASSERT_THAT(base::WriteFileAtomically(path_, forged->crl_pem), IsOk());
  EXPECT_THAT(RevocationList::Load(path_, ca_.cert_pem, Opts()),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RevocationListTest, ReloadsAChangedFileOnceTheIntervalHasPassed) {
  const std::string a = Leaf(ca_, "urn:ringfence:la:E09000033");
  const std::string b = Leaf(ca_, "urn:ringfence:recipient:dfe_analyst:alice");
  RevokeAndWrite(a);
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(path_, ca_.cert_pem, Opts());
  ASSERT_THAT(list, IsOk());
  RevokeAndWrite(b);
  // Not yet due: the list in use still answers.
  now_ += absl::Seconds(5);
  EXPECT_THAT((*list)->IsRevoked(b), testing::IsOkAndHolds(false));
  now_ += absl::Seconds(5);
  EXPECT_THAT((*list)->IsRevoked(b), testing::IsOkAndHolds(true));
  EXPECT_THAT((*list)->IsRevoked(a), testing::IsOkAndHolds(true));
  EXPECT_EQ((*list)->crl_number(), 2);
  EXPECT_THAT(log_, ElementsAre(HasSubstr("loaded CRL number 2, 2 revoked")));
}

TEST_F(RevocationListTest, ABadReplacementKeepsThePreviousList) {
  const std::string a = Leaf(ca_, "urn:ringfence:la:E09000033");
  RevokeAndWrite(a);
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(path_, ca_.cert_pem, Opts());
  ASSERT_THAT(list, IsOk());
  const std::string serial_bytes = SerialBytes(Serial(a));
  ASSERT_THAT(base::WriteFileAtomically(path_, FlipBitIn(crl_pem_, serial_bytes)), IsOk());
  now_ += absl::Seconds(10);
  EXPECT_THAT((*list)->MaybeReload(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT((*list)->IsRevoked(a), testing::IsOkAndHolds(true));
  ASSERT_EQ(log_.size(), 1u);  // logged once, not on every query
  EXPECT_THAT(log_[0], HasSubstr("keeping CRL number 1"));

  // Deleting the file un-revokes no one either.
  ::unlink(path_.c_str());
  now_ += absl::Seconds(10);
  EXPECT_THAT((*list)->MaybeReload(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT((*list)->IsRevoked(a), testing::IsOkAndHolds(true));

  // A good file again is picked up and clears the error.
  ASSERT_THAT(base::WriteFileAtomically(path_, crl_pem_), IsOk());
  now_ += absl::Seconds(10);
  EXPECT_THAT((*list)->MaybeReload(), IsOk());
  EXPECT_THAT((*list)->last_reload_error(), IsOk());
}

TEST_F(RevocationListTest, AnOlderCrlCannotUnrevoke) {
  const std::string a = Leaf(ca_, "urn:ringfence:la:E09000033");
  const std::string b = Leaf(ca_, "urn:ringfence:la:E08000037");
  RevokeAndWrite(a);
  const std::string old_crl = crl_pem_;
  RevokeAndWrite(b);
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(path_, ca_.cert_pem, Opts());
  ASSERT_THAT(list, IsOk());
  ASSERT_THAT(base::WriteFileAtomically(path_, old_crl), IsOk());
  now_ += absl::Seconds(10);
  EXPECT_THAT((*list)->MaybeReload(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("older")));
  EXPECT_THAT((*list)->IsRevoked(b), testing::IsOkAndHolds(true));
}

TEST_F(RevocationListTest, AStaleCrlIsStillEnforcedAndWarnedAbout) {
  const std::string a = Leaf(ca_, "urn:ringfence:la:E09000033");
  RevokeAndWrite(a);
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(path_, ca_.cert_pem, Opts());
  ASSERT_THAT(list, IsOk());
  now_ += kWeek + absl::Seconds(1);
  EXPECT_THAT((*list)->IsRevoked(a), testing::IsOkAndHolds(true));
  now_ += absl::Seconds(10);
  EXPECT_THAT((*list)->IsRevoked(a), testing::IsOkAndHolds(true));
  EXPECT_THAT(log_, ElementsAre(HasSubstr("passed its nextUpdate")));
}

}  // namespace
}  // namespace ringfence::crypto
