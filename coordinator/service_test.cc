// End-to-end tests of the coordinator service: a real gRPC server on 127.0.0.1,
// port 0, with mutual TLS from an in-process test PKI, and real clients with
// their own certificates.
#include "coordinator/service.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "base/grpc_status.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/admin_service.h"
#include "coordinator/collections.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "coordinator/rate_limiter.h"
#include "coordinator/store.h"
#include "coordinator/testing/health_client.h"
#include "coordinator/testing/server_fixture.h"
#include "coordinator/testing/submissions.h"
#include "coordinator/testing/test_pki.h"
#include "crypto/hash.h"
#include "crypto/identity.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "policy/disclosure.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "proto/coordinator_service.grpc.pb.h"

namespace ringfence::coordinator {
namespace {

namespace v1 = ::ringfence::v1;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::Distinctive;
using testing::kAnnual;
using testing::kCamden;
using testing::kDeadlineAfter;
using testing::kGateshead;
using testing::kWestminster;
using testing::kYear;
using testing::MakeRequest;
using testing::Shipped;

class ServiceTest : public testing::CoordinatorServerTest {};

// sigma^2 under the shipped policy: H / (2 * 1/2) = H, the number of sendable histograms.
uint64_t ShippedVariance() {
  return static_cast<uint64_t>(policy::SendableHistogramCount(Shipped()));
}

TEST_F(ServiceTest,
       AcceptsAGoodSubmissionAndAnswersAnIdenticalResendAsAlreadyStored) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  const v1::SubmitRequest request =
      MakeRequest(kWestminster, Distinctive(1234501));
  absl::StatusOr<v1::SubmitResponse> first = Submit(*stub, request);
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->already_stored());
  // The node can recompute its receipt from what it sent.
  absl::StatusOr<std::string> bytes = SerializeDeterministically(request);
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(first->receipt(), crypto::Sha256Hex(*bytes));

  absl::StatusOr<v1::SubmitResponse> again = Submit(*stub, request);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_stored());
  EXPECT_EQ(again->receipt(), first->receipt());

  const std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0], AllOf(HasSubstr("rpc=Submit"),
                            HasSubstr("peer=urn:ringfence:la:E09000033"),
                            HasSubstr("outcome=OK"),
                            HasSubstr(absl::StrCat("cells=", catalogue::GridCells().size())),
                            HasSubstr("already_stored=false")));
  EXPECT_THAT(log[1], HasSubstr("already_stored=true"));
}

TEST_F(ServiceTest, RefusesADifferentSecondSubmissionForTheSameYear) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  ASSERT_THAT(Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  EXPECT_THAT(
      Submit(*stub, MakeRequest(kWestminster, Distinctive(1234502))),
      StatusIs(
          absl::StatusCode::kAlreadyExists,
          HasSubstr("E09000033 already submitted a different grid to 2025-annual")));
  EXPECT_THAT(Log().back(), HasSubstr("outcome=ALREADY_EXISTS"));
}

TEST_F(ServiceTest, RefusesAnLaCodeNamingAnotherLa) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  EXPECT_THAT(Submit(*stub, MakeRequest(kCamden, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr(kWestminster), HasSubstr(kCamden))));
  // Nothing was stored for either LA.
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
  EXPECT_THAT(Log().back(),
              AllOf(HasSubstr("outcome=PERMISSION_DENIED"),
                    HasSubstr("peer=urn:ringfence:la:E09000033")));
}

TEST_F(ServiceTest, RefusesSubmissionsFromRecipientAndOperatorCertificates) {
  auto recipient = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  EXPECT_THAT(
      Submit(*recipient, MakeRequest(kWestminster, Distinctive(1234501))),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("recipient certificates cannot submit")));
  auto op = StubFor(crypto::OperatorUri("ops"));
  EXPECT_THAT(Submit(*op, MakeRequest(kWestminster, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("operator certificates cannot submit")));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
  EXPECT_THAT(
      Log(),
      ElementsAre(HasSubstr("peer=urn:ringfence:recipient:dfe_analyst:alice"),
                  HasSubstr("peer=urn:ringfence:operator:ops")));
}

TEST_F(ServiceTest, RefusesReleasesToOperatorCertificates) {
  auto la = StubFor(crypto::LaUri(kWestminster));
  ASSERT_THAT(Submit(*la, MakeRequest(kWestminster, Distinctive(1234501))), IsOk());
  auto op = StubFor(crypto::OperatorUri("ops"));
  EXPECT_THAT(Release(*op, kYear),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("operator certificates cannot fetch releases")));
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=Release"), HasSubstr("PERMISSION_DENIED"),
                                  HasSubstr("peer=urn:ringfence:operator:ops"),
                                  HasSubstr("class=-"), HasSubstr("cells=0")));
}

TEST_F(ServiceTest, RefusesASubmissionUnderAnotherPolicyAndStoresNothing) {
  absl::StatusOr<policy::Policy> other =
      testing::ShippedPolicyWith("name: \"england-2025\"", "name: \"england-2025-b\"");
  ASSERT_THAT(other, IsOk());
  auto stub = StubFor(crypto::LaUri(kWestminster));
  EXPECT_THAT(
      Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501), *other)),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(other->digest.substr(0, 12)),
                     HasSubstr(Shipped().digest.substr(0, 12)), HasSubstr(Shipped().file))));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
  // The refusal is logged with both digests (no cell value in that message).
  EXPECT_THAT(Log().back(),
              AllOf(HasSubstr("rpc=Submit"), HasSubstr("outcome=FAILED_PRECONDITION"),
                    HasSubstr(other->digest.substr(0, 12)), Not(HasSubstr("1234501"))));
}

TEST_F(ServiceTest, EachRecipientClassGetsWhatThePolicyGrantsIt) {
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  ASSERT_THAT(
      Submit(*StubFor(crypto::LaUri(kGateshead)), MakeRequest(kGateshead, Distinctive(3234503))),
      IsOk());
  Close();
  for (const policy::RecipientClass& cls : Shipped().classes) {
    if (cls.name == policy::kLaOwnClass) continue;  // LA certificates: below
    absl::StatusOr<v1::ReleaseResponse> r =
        Release(*StubFor(crypto::RecipientUri(cls.name, "someone")), kYear);
    ASSERT_THAT(r, IsOk()) << cls.name;
    EXPECT_EQ(r->recipient_class(), cls.name);
    EXPECT_EQ(r->policy_digest(), Shipped().digest);
    // England, North East, London, Gateshead, Westminster: each cell the class receives.
    int want = 0;
    for (const catalogue::CellKey& k : catalogue::GridCells()) {
      const auto receives = [&](policy::GeoLevel level) {
        return policy::Receives(Shipped(), cls.name, k.indicator, k.breakdown, level).has_value();
      };
      want += receives(policy::GeoLevel::kNational) + 2 * receives(policy::GeoLevel::kRegional) +
              2 * receives(policy::GeoLevel::kLocalAuthority);
    }
    EXPECT_EQ(r->cells_size(), want) << cls.name;
    for (const v1::ReleasedCell& c : r->cells()) {
      const policy::GeoLevel level = c.level() == v1::NATIONAL ? policy::GeoLevel::kNational
                                     : c.level() == v1::REGIONAL
                                         ? policy::GeoLevel::kRegional
                                         : policy::GeoLevel::kLocalAuthority;
      EXPECT_TRUE(
          policy::Receives(Shipped(), cls.name, c.key().indicator(), c.key().breakdown(), level))
          << cls.name << " got " << c.ShortDebugString();
      if (cls.enforcement || cls.is_public) {
        EXPECT_FALSE(policy::IsTainted(Shipped(), c.key().indicator(), c.key().breakdown()))
            << cls.name << " got " << c.ShortDebugString();
      }
    }
  }
  // The enforcement class's line in the log: class and per-level counts (it reads what is
  // public, and its own grant), no value.
  int national = 0, regional = 0, la = 0;
  for (const catalogue::CellKey& k : catalogue::GridCells()) {
    const auto receives = [&](policy::GeoLevel level) {
      return policy::Receives(Shipped(), policy::kEnforcementClass, k.indicator, k.breakdown, level)
          .has_value();
    };
    national += receives(policy::GeoLevel::kNational);
    regional += 2 * receives(policy::GeoLevel::kRegional);
    la += 2 * receives(policy::GeoLevel::kLocalAuthority);
  }
  ASSERT_GT(national, 0);
  bool seen = false;
  for (const std::string& line : Log()) {
    if (line.find("class=home_office_enforcement") == std::string::npos) continue;
    seen = true;
    EXPECT_THAT(line,
                AllOf(HasSubstr("rpc=Release"), HasSubstr("outcome=OK"), HasSubstr("levels=all"),
                      HasSubstr(absl::StrCat("cells=", national + regional + la, " ")),
                      HasSubstr(absl::StrCat("national=", national, " regional=", regional,
                                             " la=", la, " las=2"))));
  }
  EXPECT_TRUE(seen);
}

TEST_F(ServiceTest, AnUnknownClassIsRefusedBeforeAnythingIsRevealed) {
  // Nothing submitted: a known class learns NOT_FOUND, an unknown one not even that.
  auto unknown = StubFor(crypto::RecipientUri("someclass", "mallory"));
  EXPECT_THAT(Release(*unknown, kYear),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("'someclass'"), HasSubstr("receives nothing"))));
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  EXPECT_THAT(Release(*unknown, kYear), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=Release"), HasSubstr("outcome=PERMISSION_DENIED"),
                                  HasSubstr("peer=urn:ringfence:recipient:someclass:mallory"),
                                  HasSubstr("class=someclass"), HasSubstr("cells=0")));
  // A recipient certificate cannot pose as the LAs' own class.
  EXPECT_THAT(
      Release(*StubFor(crypto::RecipientUri("la_own", "bob")), kYear),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("belongs to LA certificates")));
}

TEST_F(ServiceTest, AnLaReadsItsOwnLaRowsAndNoOtherLas) {
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502))),
              IsOk());
  Close();
  absl::StatusOr<v1::ReleaseResponse> r = Release(*StubFor(crypto::LaUri(kCamden)), kYear);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->recipient_class(), "la_own");
  EXPECT_EQ(r->collection_id(), kAnnual);
  const int n = static_cast<int>(catalogue::GridCells().size());
  int national = 0, regional = 0, la = 0;
  for (const v1::ReleasedCell& c : r->cells()) {
    national += c.level() == v1::NATIONAL;
    regional += c.level() == v1::REGIONAL;
    if (c.level() == v1::LOCAL_AUTHORITY) {
      ++la;
      EXPECT_EQ(c.la_code(), kCamden) << "an LA read another LA's row";
    }
  }
  EXPECT_EQ(national, n);
  EXPECT_EQ(regional, n);  // London only
  EXPECT_EQ(la, n);        // Camden only
  EXPECT_THAT(Log().back(),
              AllOf(HasSubstr("peer=urn:ringfence:la:E09000007"), HasSubstr("class=la_own")));
}

TEST_F(ServiceTest, LevelsNarrowAReleaseAndAnUnknownLevelIsRefused) {
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  Close();
  auto analyst = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  absl::StatusOr<v1::ReleaseResponse> r = Release(*analyst, kYear, {v1::LOCAL_AUTHORITY});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->cells_size(), static_cast<int>(catalogue::GridCells().size()));
  for (const v1::ReleasedCell& c : r->cells()) {
    EXPECT_EQ(c.level(), v1::LOCAL_AUTHORITY);
  }
  EXPECT_THAT(Log().back(), HasSubstr("levels=la"));
  EXPECT_THAT(Release(*analyst, kYear, {v1::GEOGRAPHIC_LEVEL_UNSPECIFIED}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ServiceTest, StoredSubmissionsUnderAnotherPolicyAreNotReleased) {
  // A database filled by a coordinator that ran another policy.
  absl::StatusOr<policy::Policy> other =
      testing::ShippedPolicyWith("name: \"england-2025\"", "name: \"england-2025-b\"");
  ASSERT_THAT(other, IsOk());
  absl::StatusOr<std::string> bytes =
      SerializeDeterministically(MakeRequest(kWestminster, Distinctive(1234501), *other));
  ASSERT_THAT(bytes, IsOk());
  ASSERT_THAT(
      store_->Insert(kAnnual, kWestminster, kYear, catalogue::kCatalogueVersion, *bytes,
                     absl::Now()),
      IsOk());
  Close();
  EXPECT_THAT(
      Release(*StubFor(crypto::RecipientUri("dfe_analyst", "alice")), kYear),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("cannot release 2025-annual"), HasSubstr(other->digest.substr(0, 12)))));
}

TEST_F(ServiceTest, RefusesAMalformedGridWithoutLoggingItsValues) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  v1::SubmitRequest request = MakeRequest(kWestminster, Distinctive(1234501));
  request.mutable_cells(2)->set_rounded_value(
      1234521);  // unrounded noisy value of cell 2
  EXPECT_THAT(
      Submit(*stub, request),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("cla/sex/female"), HasSubstr("1234521"))));
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("outcome=INVALID_ARGUMENT"),
                                  Not(HasSubstr("1234521"))));
}

TEST_F(ServiceTest, ACertificateWithoutARingfenceIdentityIsUnauthenticated) {
  // Chains to the right CA, so the handshake succeeds, but names no party.
  auto stub = StubFor("https://example.org/not-a-party");
  EXPECT_THAT(Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Log().back(),
              AllOf(HasSubstr("peer=-"), HasSubstr("outcome=UNAUTHENTICATED")));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
}

TEST_F(ServiceTest, ReleaseOfAYearWithNoSubmissionsIsNotFound) {
  Close();
  auto recipient = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  EXPECT_THAT(Release(*recipient, kYear),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("nothing has been submitted to 2025-annual")));
  EXPECT_THAT(Release(*recipient, 1999),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ServiceTest, ReleasesNationalRegionalAndLaRowsAfterThreeSubmissions) {
  const std::vector<int64_t> w = Distinctive(1234501), c = Distinctive(2234502),
                             g = Distinctive(3234503);
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, w)),
              IsOk());
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, c)),
              IsOk());
  ASSERT_THAT(
      Submit(*StubFor(crypto::LaUri(kGateshead)), MakeRequest(kGateshead, g)),
      IsOk());

  Close();
  auto recipient = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  absl::StatusOr<v1::ReleaseResponse> release = Release(*recipient, kYear);
  ASSERT_THAT(release, IsOk());
  EXPECT_EQ(release->year(), kYear);
  EXPECT_EQ(release->collection_id(), kAnnual);
  EXPECT_EQ(release->catalogue_version(), catalogue::kCatalogueVersion);
  EXPECT_THAT(release->la_codes(),
              ElementsAre(kGateshead, kCamden, kWestminster));

  EXPECT_EQ(release->recipient_class(), "dfe_analyst");
  EXPECT_EQ(release->policy_digest(), Shipped().digest);

  const auto& grid = catalogue::GridCells();
  // The shipped policy grants DfE analysts every cell, nationality and the other
  // sensitive breakdowns included, at every level.
  std::vector<size_t> released;
  for (size_t i = 0; i < grid.size(); ++i) released.push_back(i);
  const size_t n = released.size();
  ASSERT_EQ(static_cast<size_t>(release->cells_size()), 6 * n);
  for (size_t j = 0; j < n; ++j) {
    const size_t i = released[j];
    const policy::DisclosureRule rule =
        policy::RuleFor(Shipped(), grid[i].indicator, grid[i].breakdown);
    const v1::ReleasedCell& eng = release->cells(j);
    EXPECT_EQ(eng.level(), v1::NATIONAL);
    EXPECT_EQ(eng.region_code(), "");
    EXPECT_EQ(eng.key().group(), grid[i].group);
    EXPECT_EQ(eng.value(),
              policy::ApplyDisclosureRule(rule, w[i] + c[i] + g[i]).value);
    EXPECT_EQ(eng.contributing_las(), 3);
    EXPECT_EQ(eng.noise_variance_numerator(), 3 * ShippedVariance());  // 3 x sigma^2
    EXPECT_EQ(eng.noise_variance_denominator(), 1u);

    const v1::ReleasedCell& north_east = release->cells(n + j);
    EXPECT_EQ(north_east.level(), v1::REGIONAL);
    EXPECT_EQ(north_east.region_code(), "E12000001");
    EXPECT_EQ(north_east.value(),
              policy::ApplyDisclosureRule(rule, g[i]).value);

    const v1::ReleasedCell& london = release->cells(2 * n + j);
    EXPECT_EQ(london.region_name(), "London");
    EXPECT_EQ(london.la_code(), "");
    EXPECT_EQ(london.value(),
              policy::ApplyDisclosureRule(rule, w[i] + c[i]).value);
    EXPECT_EQ(london.contributing_las(), 2);
    EXPECT_EQ(london.noise_variance_numerator(), 2 * ShippedVariance());  // 2 x sigma^2
    EXPECT_EQ(london.noise_variance_denominator(), 1u);

    const std::vector<std::pair<const char*, const std::vector<int64_t>*>> las =
        {{kGateshead, &g}, {kCamden, &c}, {kWestminster, &w}};
    for (size_t k = 0; k < las.size(); ++k) {
      const v1::ReleasedCell& row = release->cells((3 + k) * n + j);
      EXPECT_EQ(row.level(), v1::LOCAL_AUTHORITY);
      EXPECT_EQ(row.la_code(), las[k].first);
      const int64_t noisy = (*las[k].second)[i];
      EXPECT_EQ(row.value(), policy::ApplyDisclosureRule(rule, noisy).value);
      EXPECT_NE(row.value(), noisy) << "an LA row carries the noisy value";
    }
  }
  // 1234501 + 2234502 + 3234503 = 6703506 -> 6703505.
  EXPECT_EQ(release->cells(0).value(), 6703505);

  // One line per Submit and per Release; no value of any cell in any of them.
  const std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_THAT(log[3],
              AllOf(HasSubstr("rpc=Release"), HasSubstr("outcome=OK"),
                    HasSubstr(absl::StrCat("cells=", 6 * n)), HasSubstr("las=3"),
                    HasSubstr("class=dfe_analyst"),
                    HasSubstr(absl::StrCat("national=", n, " regional=", 2 * n, " la=", 3 * n)),
                    HasSubstr("peer=urn:ringfence:recipient:dfe_analyst:alice")));
  const std::string all = absl::StrJoin(log, "\n");
  for (const auto* values : {&w, &c, &g}) {
    for (int64_t v : *values) {
      EXPECT_THAT(all, Not(HasSubstr(absl::StrCat(v)))) << v;
      EXPECT_THAT(all, Not(HasSubstr(absl::StrCat(
                           policy::ApplyDisclosureRule(Shipped().untainted_rule, v).value))));
    }
  }
}

// --- Peers that must not even connect
// ----------------------------------------------------

TEST_F(ServiceTest, AClientWithoutACertificateCannotConnect) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pki_->ca().cert_pem;
  auto stub = StubWith(grpc::SslCredentials(options));
  EXPECT_THAT(Release(*stub, kYear), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(Log().empty()) << "a handler ran for an unauthenticated peer";
}

TEST_F(ServiceTest, AClientCertificateFromAnotherCaCannotConnect) {
  absl::StatusOr<testing::TestPki> other =
      testing::TestPki::Create("Some other CA");
  ASSERT_THAT(other, IsOk());
  absl::StatusOr<crypto::TlsMaterial> m =
      other->Client(crypto::LaUri(kWestminster));
  ASSERT_THAT(m, IsOk());
  m->ca_pem = pki_->ca().cert_pem;  // the client itself trusts the real server
  auto stub = StubWith(crypto::MakeChannelCredentials(*m));
  EXPECT_THAT(Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(Log().empty());
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
}

TEST_F(ServiceTest, AnExpiredClientCertificateCannotConnect) {
  const absl::Time now = absl::Now();
  absl::StatusOr<crypto::TlsMaterial> m =
      pki_->Client(crypto::RecipientUri("dfe_analyst", "alice"),
                   now - absl::Hours(48), now - absl::Hours(24));
  ASSERT_THAT(m, IsOk());
  auto stub = StubWith(crypto::MakeChannelCredentials(*m));
  EXPECT_THAT(Release(*stub, kYear), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(Log().empty());
}

TEST_F(ServiceTest, AValidClientOfTheRightCaConnects) {
  // Control for the three tests above: the same path with a good certificate
  // succeeds as far as the handler, which answers that the collection is open.
  auto stub = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  EXPECT_THAT(Release(*stub, kYear),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("still open")));
  EXPECT_EQ(Log().size(), 1u);
}

TEST_F(ServiceTest, RefusesAnotherCatalogueVersionAndStoresNothing) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  v1::SubmitRequest request = MakeRequest(kWestminster, Distinctive(1234501));
  request.set_catalogue_version(catalogue::kCatalogueVersion + 1);
  EXPECT_THAT(Submit(*stub, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat("catalogue version ",
                                              catalogue::kCatalogueVersion + 1))));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
}

TEST_F(ServiceTest, RefusesAnotherDeclaredNoiseAndStoresNothing) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  v1::SubmitRequest request = MakeRequest(kWestminster, Distinctive(1234501));
  ASSERT_EQ(request.noise().variance_numerator(), ShippedVariance());
  ASSERT_EQ(request.noise().variance_denominator(), 1u);
  v1::SubmitRequest less_noise = request;
  less_noise.mutable_noise()->set_variance_denominator(4);
  EXPECT_THAT(Submit(*stub, less_noise),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(absl::StrCat("declared noise variance ", ShippedVariance(),
                                                    "/4")),
                             HasSubstr(absl::StrCat("= ", ShippedVariance(), " (H = ")),
                             HasSubstr("policy 'england-2025'"))));
  v1::SubmitRequest more_budget = request;
  more_budget.mutable_noise()->set_rho_numerator(1);
  more_budget.mutable_noise()->set_rho_denominator(1);
  EXPECT_THAT(Submit(*stub, more_budget),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("declared rho 1 is not the policy's rho_per_round 1/2")));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
  // The policy's own noise, in another but equal form, is accepted.
  request.mutable_noise()->set_variance_numerator(2 * ShippedVariance());
  request.mutable_noise()->set_variance_denominator(2);
  EXPECT_THAT(Submit(*stub, request), IsOk());
}

TEST_F(ServiceTest, RefusesAnOversizedRequestAndKeepsServing) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  v1::SubmitRequest huge = MakeRequest(kWestminster, Distinctive(1234501));
  huge.set_la_code(std::string(kMaxRequestBytes + 1, 'x'));
  EXPECT_THAT(Submit(*stub, huge), StatusIs(absl::StatusCode::kResourceExhausted));
  // gRPC refused it before the handler: nothing logged, nothing stored.
  EXPECT_TRUE(Log().empty());
  // The same client, on the same channel, and another one are still served.
  EXPECT_THAT(Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501))), IsOk());
  EXPECT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502))),
              IsOk());
}

TEST_F(ServiceTest, HealthServiceAnswersServingOverMutualTls) {
  absl::StatusOr<crypto::TlsMaterial> m = pki_->Client(crypto::OperatorUri("monitor"));
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT(testing::CheckHealth(
                  grpc::CreateChannel(Target(), crypto::MakeChannelCredentials(*m))),
              ringfence::testing::IsOkAndHolds(testing::ServingStatus::kServing));
  // Without a client certificate the handshake fails, health probe included.
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pki_->ca().cert_pem;
  EXPECT_THAT(testing::CheckHealth(grpc::CreateChannel(Target(), grpc::SslCredentials(options))),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(Log().empty()) << "health checks are not Coordinator calls";
}

TEST_F(ServiceTest, OneIdentityFloodingIsRefusedWhileOthersAreServed) {
  absl::StatusOr<std::unique_ptr<RateLimiter>> limiter =
      RateLimiter::Create({/*requests_per_second=*/1, /*burst=*/2});
  ASSERT_THAT(limiter, IsOk());
  StartServer(*std::move(limiter));
  auto westminster = StubFor(crypto::LaUri(kWestminster));
  ASSERT_THAT(Submit(*westminster, MakeRequest(kWestminster, Distinctive(1234501))), IsOk());
  ASSERT_THAT(Release(*westminster, kYear), IsOk());
  // The bucket is empty: a flood of calls, Submit and Release alike, is refused before the
  // request is looked at; a different grid would otherwise be ALREADY_EXISTS.
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(Submit(*westminster, MakeRequest(kWestminster, Distinctive(1234502))),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         AllOf(HasSubstr("too many requests from urn:ringfence:la:E09000033"),
                               HasSubstr("retry after 1.000s"))));
  }
  EXPECT_THAT(Release(*westminster, kYear), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=Release"),
                                  HasSubstr("peer=urn:ringfence:la:E09000033"),
                                  HasSubstr("outcome=RESOURCE_EXHAUSTED"), HasSubstr("cells=0"),
                                  HasSubstr("reason=\"too many requests")));
  // Other identities have their own buckets.
  EXPECT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502))),
              IsOk());
  Close();
  EXPECT_THAT(Release(*StubFor(crypto::RecipientUri("dfe_analyst", "alice")), kYear), IsOk());
  // Only Westminster's first grid and Camden's were stored.
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 2u);
  // A second later Westminster has one token again.
  Advance(absl::Seconds(1));
  EXPECT_THAT(Release(*westminster, kYear), IsOk());
  EXPECT_THAT(Release(*westminster, kYear), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(ServiceTest, WhileDrainingNewCallsAreRefusedUnavailableAndNothingIsStored) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  ASSERT_THAT(Release(*stub, kYear), StatusIs(absl::StatusCode::kNotFound));
  service_->StartDraining();
  EXPECT_TRUE(service_->WaitForCallsToFinish(absl::Seconds(5)));
  EXPECT_THAT(Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down; retry later")));
  EXPECT_THAT(Release(*stub, kYear), StatusIs(absl::StatusCode::kUnavailable));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=Release"), HasSubstr("outcome=UNAVAILABLE"),
                                  HasSubstr("shutting down")));
}

// --- Collections: Submit, Release, ListCollections, ReportState -------------------------------

TEST_F(ServiceTest, ASubmissionNamesItsCollectionAndAnEmptyIdMeansTheAnnualOne) {
  ASSERT_THAT(OpenCollection("2025-q3", {kWestminster}), IsOk());
  auto stub = StubFor(crypto::LaUri(kWestminster));
  absl::StatusOr<v1::SubmitResponse> annual =
      Submit(*stub, MakeRequest(kWestminster, Distinctive(1234501)));
  ASSERT_THAT(annual, IsOk());
  EXPECT_EQ(annual->collection_id(), kAnnual);
  EXPECT_FALSE(annual->late());
  // The same LA submits a different grid to another collection of the year: a separate round.
  absl::StatusOr<v1::SubmitResponse> quarter =
      SubmitTo(*stub, MakeRequest(kWestminster, Distinctive(1234502)), "2025-q3");
  ASSERT_THAT(quarter, IsOk());
  EXPECT_EQ(quarter->collection_id(), "2025-q3");
  EXPECT_FALSE(quarter->already_stored());
  auto rows = store_->LoadCollection("2025-q3");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].receipt, quarter->receipt());
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=Submit"), HasSubstr("collection=2025-q3"),
                                  HasSubstr("late=false")));
}

TEST_F(ServiceTest, SubmitChecksTheCollectionAndStoresNothingWhenItIsWrong) {
  auto stub = StubFor(crypto::LaUri(kWestminster));
  const v1::SubmitRequest request = MakeRequest(kWestminster, Distinctive(1234501));
  EXPECT_THAT(SubmitTo(*stub, request, "2025-q1"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no collection 2025-q1")));
  EXPECT_THAT(SubmitTo(*stub, request, "2024-annual"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("collection 2024-annual is of collection year 2024 but the "
                                 "request's year is 2025")));
  EXPECT_THAT(SubmitTo(*stub, request, "2025-weekly"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("<year>-<window>")));
  EXPECT_THAT(Log().back(), HasSubstr("collection=-"));
  // An LA the collection does not expect (Hartlepool).
  constexpr char kHartlepool[] = "E06000001";
  EXPECT_THAT(Submit(*StubFor(crypto::LaUri(kHartlepool)),
                     MakeRequest(kHartlepool, Distinctive(1234501))),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("collection 2025-annual does not expect LA E06000001")));
  auto rows = store_->LoadYear(kYear);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
}

TEST_F(ServiceTest, ASubmissionAfterTheDeadlineIsStoredAndMarkedLate) {
  auto admin = AdminStubFor(crypto::OperatorUri("ops"));
  Advance(kDeadlineAfter + absl::Hours(1));
  absl::StatusOr<v1::SubmitResponse> late =
      Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502)));
  ASSERT_THAT(late, IsOk());
  EXPECT_TRUE(late->late());
  EXPECT_THAT(Log().back(), HasSubstr("late=true"));
  absl::StatusOr<v1::CollectionStatus> status = AdminStatus(*admin, kAnnual);
  ASSERT_THAT(status, IsOk());
  const v1::LaCollectionStatus camden = StatusOf(*status, kCamden);
  EXPECT_EQ(camden.state(), v1::LaCollectionStatus::SUBMITTED);
  EXPECT_TRUE(camden.late());
  EXPECT_EQ(camden.receipt(), late->receipt());
  EXPECT_EQ(camden.la_name(), "Camden");
  // The others have nothing stored after the deadline: LATE.
  EXPECT_EQ(StatusOf(*status, kWestminster).state(), v1::LaCollectionStatus::LATE);
  EXPECT_EQ(status->submitted(), 1);
  EXPECT_EQ(status->late(), 2);
  EXPECT_EQ(status->not_started(), 0);
  EXPECT_EQ(status->now_unix_seconds(), absl::ToUnixSeconds(Now()));
}

TEST_F(ServiceTest, AfterCloseSubmissionsAreRefusedAsFinalButAnIdenticalResendIsAnswered) {
  auto westminster = StubFor(crypto::LaUri(kWestminster));
  const v1::SubmitRequest request = MakeRequest(kWestminster, Distinctive(1234501));
  absl::StatusOr<v1::SubmitResponse> first = Submit(*westminster, request);
  ASSERT_THAT(first, IsOk());
  Close();
  EXPECT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502))),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("collection 2025-annual was closed at"),
                             HasSubstr("its submissions are final; this one was not stored"))));
  // The acknowledgement of Westminster's grid may have been lost: its resend is answered.
  absl::StatusOr<v1::SubmitResponse> resend = Submit(*westminster, request);
  ASSERT_THAT(resend, IsOk());
  EXPECT_TRUE(resend->already_stored());
  EXPECT_EQ(resend->receipt(), first->receipt());
  auto rows = store_->LoadCollection(kAnnual);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 1u);
  // The refusal of Camden is in the status, in the coordinator's words.
  absl::StatusOr<v1::CollectionStatus> status =
      AdminStatus(*AdminStubFor(crypto::OperatorUri("ops")), kAnnual);
  ASSERT_THAT(status, IsOk());
  const v1::LaCollectionStatus camden = StatusOf(*status, kCamden);
  EXPECT_EQ(camden.state(), v1::LaCollectionStatus::REFUSED);
  EXPECT_EQ(camden.refusal_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(camden.refusal_reason(), "the collection is closed; the submission was not stored");
}

TEST_F(ServiceTest, RefusalsAreRecordedInTheCoordinatorsWordsWithoutCellValues) {
  auto admin = AdminStubFor(crypto::OperatorUri("ops"));
  auto westminster = StubFor(crypto::LaUri(kWestminster));
  absl::StatusOr<policy::Policy> other =
      testing::ShippedPolicyWith("name: \"england-2025\"", "name: \"england-2025-b\"");
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(Submit(*westminster, MakeRequest(kWestminster, Distinctive(1234501), *other)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<v1::CollectionStatus> status = AdminStatus(*admin, kAnnual);
  ASSERT_THAT(status, IsOk());
  v1::LaCollectionStatus w = StatusOf(*status, kWestminster);
  EXPECT_EQ(w.state(), v1::LaCollectionStatus::REFUSED);
  EXPECT_EQ(w.refusal_code(), "FAILED_PRECONDITION");
  EXPECT_EQ(w.refusal_reason(), "policy digest differs from the coordinator's policy");
  EXPECT_EQ(w.refused_at_unix_seconds(), absl::ToUnixSeconds(Now()));
  EXPECT_EQ(status->refused(), 1);
  EXPECT_EQ(status->not_started(), 2);

  // A malformed grid: the node gets the details (its own values); the status gets neither.
  v1::SubmitRequest bad = MakeRequest(kWestminster, Distinctive(7654321));
  bad.mutable_cells(0)->set_rounded_value(7654323);
  EXPECT_THAT(Submit(*westminster, bad), StatusIs(absl::StatusCode::kInvalidArgument));
  status = AdminStatus(*admin, kAnnual);
  ASSERT_THAT(status, IsOk());
  w = StatusOf(*status, kWestminster);
  EXPECT_EQ(w.refusal_code(), "INVALID_ARGUMENT");
  EXPECT_THAT(w.refusal_reason(), HasSubstr("grid does not match"));
  EXPECT_THAT(w.ShortDebugString(), AllOf(Not(HasSubstr("765")), Not(HasSubstr("1234501"))));
  for (const std::string& line : Log()) EXPECT_THAT(line, Not(HasSubstr("765432")));

  // Then a good grid: SUBMITTED, and the latest refusal is still shown for the record.
  ASSERT_THAT(Submit(*westminster, MakeRequest(kWestminster, Distinctive(1234501))), IsOk());
  status = AdminStatus(*admin, kAnnual);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(StatusOf(*status, kWestminster).state(), v1::LaCollectionStatus::SUBMITTED);
  EXPECT_EQ(status->submitted(), 1);
  EXPECT_EQ(status->refused(), 0);

  // A different second grid: ALREADY_EXISTS, recorded too.
  EXPECT_THAT(Submit(*westminster, MakeRequest(kWestminster, Distinctive(1234502))),
              StatusIs(absl::StatusCode::kAlreadyExists));
  status = AdminStatus(*admin, kAnnual);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(StatusOf(*status, kWestminster).refusal_code(), "ALREADY_EXISTS");

  // Refusals of an LA the collection does not expect, or of a collection that does not
  // exist, are not recorded anywhere.
  EXPECT_THAT(SubmitTo(*westminster, MakeRequest(kWestminster, Distinctive(1234501)), "2025-q2"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Submit(*StubFor(crypto::LaUri("E06000001")),
                     MakeRequest("E06000001", Distinctive(1234501))),
              StatusIs(absl::StatusCode::kPermissionDenied));
  status = AdminStatus(*admin, kAnnual);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->las_size(), 3);
}

TEST_F(ServiceTest, ReleaseWaitsForTheCloseExceptAnLaReadingItsOwnRows) {
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502))),
              IsOk());
  auto analyst = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  EXPECT_THAT(Release(*analyst, kYear),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("collection 2025-annual is still open"),
                             HasSubstr("released once the operator closes it"))));
  // la_own while open: its own LA rows from its own submission only.
  auto camden = StubFor(crypto::LaUri(kCamden));
  absl::StatusOr<v1::ReleaseResponse> own = Release(*camden, kYear);
  ASSERT_THAT(own, IsOk());
  EXPECT_THAT(own->la_codes(), ElementsAre(kCamden));
  EXPECT_EQ(own->cells_size(), static_cast<int>(catalogue::GridCells().size()));
  for (const v1::ReleasedCell& c : own->cells()) {
    EXPECT_EQ(c.level(), v1::LOCAL_AUTHORITY);
    EXPECT_EQ(c.la_code(), kCamden);
    EXPECT_EQ(c.contributing_las(), 1);
  }
  EXPECT_THAT(Release(*camden, kYear, {v1::NATIONAL}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("only its own LOCAL_AUTHORITY rows")));
  EXPECT_THAT(Release(*StubFor(crypto::LaUri(kGateshead)), kYear),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("E08000037 has not submitted to 2025-annual")));

  Close();
  absl::StatusOr<v1::ReleaseResponse> closed = Release(*analyst, kYear, {}, kAnnual);
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->collection_id(), kAnnual);
  EXPECT_THAT(closed->la_codes(), ElementsAre(kCamden, kWestminster));
  // After the close la_own gets every level its grants name.
  absl::StatusOr<v1::ReleaseResponse> after = Release(*camden, kYear);
  ASSERT_THAT(after, IsOk());
  int national = 0;
  for (const v1::ReleasedCell& c : after->cells()) national += c.level() == v1::NATIONAL;
  EXPECT_GT(national, 0);
}

TEST_F(ServiceTest, ReleaseCombinesOnlyTheNamedCollection) {
  ASSERT_THAT(OpenCollection("2025-q1", {kCamden, kWestminster}), IsOk());
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  ASSERT_THAT(SubmitTo(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502)),
                       "2025-q1"),
              IsOk());
  Close("2025-q1");
  auto analyst = StubFor(crypto::RecipientUri("dfe_analyst", "alice"));
  absl::StatusOr<v1::ReleaseResponse> q1 = Release(*analyst, kYear, {}, "2025-q1");
  ASSERT_THAT(q1, IsOk());
  EXPECT_EQ(q1->collection_id(), "2025-q1");
  EXPECT_THAT(q1->la_codes(), ElementsAre(kCamden));
  EXPECT_THAT(Log().back(), HasSubstr("collection=2025-q1"));
  // The annual collection is still open.
  EXPECT_THAT(Release(*analyst, kYear), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Release(*analyst, kYear, {}, "2024-q1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("collection year 2024")));
  EXPECT_THAT(Release(*analyst, kYear, {}, "2025-q4"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ServiceTest, AnLaListsOnlyTheOpenCollectionsThatExpectIt) {
  ASSERT_THAT(OpenCollection("2025-q1", {kCamden}), IsOk());
  ASSERT_THAT(OpenCollection("2025-q2", {kCamden, kWestminster}), IsOk());
  ASSERT_THAT(OpenCollection("2024-annual", {kWestminster}), IsOk());
  Close("2024-annual");
  auto ids = [](const v1::ListCollectionsResponse& r) {
    std::vector<std::string> out;
    for (const v1::Collection& c : r.collections()) out.push_back(c.collection_id());
    return out;
  };
  absl::StatusOr<v1::ListCollectionsResponse> westminster =
      List(*StubFor(crypto::LaUri(kWestminster)));
  ASSERT_THAT(westminster, IsOk());
  EXPECT_THAT(ids(*westminster), ElementsAre("2025-annual", "2025-q2"));
  const v1::Collection& q2 = westminster->collections(1);
  EXPECT_EQ(q2.period(), v1::QUARTERLY);
  EXPECT_EQ(q2.period_start(), "2024-07-01");
  EXPECT_EQ(q2.period_end(), "2024-09-30");
  EXPECT_EQ(q2.state(), v1::Collection::OPEN);
  EXPECT_THAT(q2.expected_la_codes(), ElementsAre(kCamden, kWestminster));
  absl::StatusOr<v1::ListCollectionsResponse> gateshead =
      List(*StubFor(crypto::LaUri(kGateshead)));
  ASSERT_THAT(gateshead, IsOk());
  EXPECT_THAT(ids(*gateshead), ElementsAre("2025-annual"));
  absl::StatusOr<v1::ListCollectionsResponse> op = List(*StubFor(crypto::OperatorUri("ops")));
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(ids(*op), ElementsAre("2024-annual", "2025-annual", "2025-q1", "2025-q2"));
  EXPECT_EQ(op->collections(0).state(), v1::Collection::CLOSED);
  EXPECT_EQ(op->collections(0).closed_by(), "urn:ringfence:operator:ops");
  EXPECT_THAT(List(*StubFor(crypto::RecipientUri("dfe_analyst", "alice"))),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=ListCollections"),
                                  HasSubstr("outcome=PERMISSION_DENIED")));
}

TEST_F(ServiceTest, ANodeReportsItsStateAsACodeForAnExpectedLaOnly) {
  auto camden = StubFor(crypto::LaUri(kCamden));
  EXPECT_THAT(Report(*camden, kAnnual, v1::DATA_ERRORS), IsOk());
  EXPECT_THAT(Log().back(), AllOf(HasSubstr("rpc=ReportState"), HasSubstr("outcome=OK"),
                                  HasSubstr("collection=2025-annual"),
                                  HasSubstr("state=DATA_ERRORS")));
  EXPECT_THAT(Report(*camden, "2025-q1", v1::COMPUTING), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Report(*camden, kAnnual, v1::NODE_STATE_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Report(*camden, kAnnual, static_cast<v1::NodeState>(99)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Report(*camden, "", v1::COMPUTING), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Report(*StubFor(crypto::LaUri("E06000001")), kAnnual, v1::COMPUTING),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Report(*StubFor(crypto::RecipientUri("dfe_analyst", "alice")), kAnnual,
                     v1::COMPUTING),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Report(*StubFor(crypto::OperatorUri("ops")), kAnnual, v1::COMPUTING),
              StatusIs(absl::StatusCode::kPermissionDenied));
  absl::StatusOr<v1::CollectionStatus> status =
      AdminStatus(*AdminStubFor(crypto::OperatorUri("ops")), kAnnual);
  ASSERT_THAT(status, IsOk());
  const v1::LaCollectionStatus c = StatusOf(*status, kCamden);
  EXPECT_EQ(c.node_state(), v1::DATA_ERRORS);
  EXPECT_EQ(c.node_state_at_unix_seconds(), absl::ToUnixSeconds(Now()));
  EXPECT_EQ(c.state(), v1::LaCollectionStatus::NOT_STARTED);
  EXPECT_EQ(StatusOf(*status, kWestminster).node_state(), v1::NODE_STATE_UNSPECIFIED);
}

}  // namespace
}  // namespace ringfence::coordinator
