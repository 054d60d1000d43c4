#include "crypto/identity.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "crypto/x509.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::crypto {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseIdentityUriTest, ParsesEachKind) {
  absl::StatusOr<PartyIdentity> la = ParseIdentityUri("urn:ringfence:la:E09000033");
  ASSERT_THAT(la, IsOk());
  EXPECT_EQ(la->kind, PartyKind::kLocalAuthority);
  EXPECT_EQ(la->la_code, "E09000033");
  EXPECT_EQ(la->uri, "urn:ringfence:la:E09000033");

  absl::StatusOr<PartyIdentity> r =
      ParseIdentityUri("urn:ringfence:recipient:dfe_analyst:Alice.B-2_x");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->kind, PartyKind::kRecipient);
  EXPECT_EQ(r->recipient_class, "dfe_analyst");
  EXPECT_EQ(r->name, "Alice.B-2_x");

  absl::StatusOr<PartyIdentity> op = ParseIdentityUri("urn:ringfence:operator:ops1");
  ASSERT_THAT(op, IsOk());
  EXPECT_EQ(op->kind, PartyKind::kOperator);
  EXPECT_EQ(op->name, "ops1");
}

TEST(ParseIdentityUriTest, RejectsMalformedUris) {
  const std::vector<std::string> bad = {
      "",
      "urn:ringfence:",
      "urn:ringfence:la:E99999999",          // not in the LA registry
      "urn:ringfence:la:e09000033",          // codes are case-sensitive
      "urn:ringfence:la:",
      "urn:ringfence:la:E09000033:extra",
      "urn:ringfence:la:E09000033 ",
      "URN:RINGFENCE:la:E09000033",          // one spelling only
      "urn:other:la:E09000033",
      "https://ringfence.example/la/E09000033",
      "urn:ringfence:recipient:DfE_Analyst:alice",  // class is [a-z0-9_]
      "urn:ringfence:recipient:dfe-analyst:alice",
      "urn:ringfence:recipient:dfe_analyst:",
      "urn:ringfence:recipient::alice",
      "urn:ringfence:recipient:dfe_analyst",
      "urn:ringfence:recipient:dfe_analyst:al/ice",
      "urn:ringfence:recipient:dfe_analyst:alice:bob",
      "urn:ringfence:operator:",
      "urn:ringfence:operator:a b",
      "urn:ringfence:operator:a:b",
      std::string("urn:ringfence:operator:ops1\0x", 29),  // embedded NUL
      "urn:ringfence:auditor:alice",
  };
  for (const std::string& uri : bad) {
    EXPECT_THAT(ParseIdentityUri(uri), StatusIs(absl::StatusCode::kInvalidArgument))
        << "uri: " << uri;
  }
  EXPECT_THAT(ParseIdentityUri("urn:ringfence:la:E99999999"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("E99999999")));
}

TEST(IdentityUriTest, BuildersRoundTrip) {
  EXPECT_EQ(LaUri("E08000025"), "urn:ringfence:la:E08000025");
  EXPECT_EQ(RecipientUri("public", "web"), "urn:ringfence:recipient:public:web");
  EXPECT_EQ(OperatorUri("ops1"), "urn:ringfence:operator:ops1");
  EXPECT_THAT(ParseIdentityUri(LaUri("E08000025")), IsOk());
  EXPECT_THAT(ParseIdentityUri(RecipientUri("public", "web")), IsOk());
  EXPECT_THAT(ParseIdentityUri(OperatorUri("ops1")), IsOk());
}

TEST(DescribeIdentityTest, NamesThePartyAndLa) {
  EXPECT_EQ(DescribeIdentity(*ParseIdentityUri("urn:ringfence:la:E09000033")),
            "LA E09000033 (Westminster)");
  EXPECT_EQ(DescribeIdentity(*ParseIdentityUri("urn:ringfence:recipient:public:web")),
            "recipient web of class public");
  EXPECT_EQ(DescribeIdentity(*ParseIdentityUri("urn:ringfence:operator:ops1")),
            "operator ops1");
}

class IdentityFromCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CertificateSpec spec;
    spec.common_name = "Test CA";
    spec.not_before = absl::Now() - absl::Hours(1);
    spec.not_after = absl::Now() + absl::Hours(24);
    absl::StatusOr<PemKeyAndCert> ca = CreateSelfSignedCa(spec);
    ASSERT_THAT(ca, IsOk());
    ca_ = *ca;
  }

  std::string CertWithUris(std::vector<std::string> uris) {
    CertificateSpec spec;
    spec.common_name = "party";
    spec.uri_sans = std::move(uris);
    spec.dns_sans = {"localhost"};
    spec.not_before = absl::Now() - absl::Hours(1);
    spec.not_after = absl::Now() + absl::Hours(24);
    spec.client_auth = true;
    absl::StatusOr<PemKeyAndCert> cert = IssueCertificate(ca_, spec);
    EXPECT_THAT(cert, IsOk());
    return cert.ok() ? cert->cert_pem : "";
  }

  PemKeyAndCert ca_;
};

TEST_F(IdentityFromCertificateTest, ReadsTheOneUrn) {
  absl::StatusOr<PartyIdentity> id =
      IdentityFromCertificate(CertWithUris({"https://example.org/x", LaUri("E08000025")}));
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->kind, PartyKind::kLocalAuthority);
  EXPECT_EQ(id->la_code, "E08000025");
  EXPECT_EQ(DescribeIdentity(*id), "LA E08000025 (Birmingham)");
}

TEST_F(IdentityFromCertificateTest, NoUrnIsUnauthenticated) {
  EXPECT_THAT(IdentityFromCertificate(CertWithUris({})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no urn:ringfence:")));
  EXPECT_THAT(IdentityFromCertificate(CertWithUris({"https://example.org/x"})),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(IdentityFromCertificateTest, TwoUrnsAreUnauthenticated) {
  EXPECT_THAT(
      IdentityFromCertificate(CertWithUris({LaUri("E09000033"), LaUri("E08000025")})),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("2 urn:ringfence:")));
  EXPECT_THAT(IdentityFromCertificate(
                  CertWithUris({LaUri("E09000033"), RecipientUri("public", "web")})),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A second identity in another letter case still counts.
  EXPECT_THAT(IdentityFromCertificate(
                  CertWithUris({LaUri("E09000033"), "URN:Ringfence:operator:ops1"})),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(IdentityFromCertificateTest, MalformedUrnIsUnauthenticated) {
  EXPECT_THAT(IdentityFromCertificate(CertWithUris({"urn:ringfence:la:E99999999"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("E99999999")));
  EXPECT_THAT(IdentityFromCertificate(CertWithUris({"urn:ringfence:recipient:Bad!:x"})),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(IdentityFromCertificateTest, NonCertificateIsUnauthenticated) {
  EXPECT_THAT(IdentityFromCertificate("not a certificate"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(IdentityFromCertificate(ca_.key_pem),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace ringfence::crypto
