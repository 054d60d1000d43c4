// Tests of the operator's CollectionAdmin service (coordinator/admin_service.h) over a real
// mTLS server shared with the Coordinator service (coordinator/testing/server_fixture.h).
#include "coordinator/admin_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "coordinator/collections.h"
#include "coordinator/rate_limiter.h"
#include "coordinator/store.h"
#include "coordinator/testing/server_fixture.h"
#include "crypto/identity.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/coordinator_service.pb.h"

namespace ringfence::coordinator {
namespace {

namespace v1 = ::ringfence::v1;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using testing::Distinctive;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kAnnual;
using testing::kCamden;
using testing::kGateshead;
using testing::kWestminster;
using testing::kYear;
using testing::MakeRequest;

class AdminServiceTest : public testing::CoordinatorServerTest {};

v1::OpenCollectionRequest QuarterRequest(absl::Time deadline) {
  v1::OpenCollectionRequest r;
  r.set_year(kYear);
  r.set_period(v1::QUARTERLY);
  r.set_period_start("2024-10-01");
  r.set_period_end("2024-12-31");
  r.set_deadline_unix_seconds(absl::ToUnixSeconds(deadline));
  r.add_expected_la_codes(kWestminster);
  r.add_expected_la_codes(kCamden);
  return r;
}

TEST_F(AdminServiceTest, AnOperatorOpensACollectionIdempotently) {
  auto admin = AdminStubFor(crypto::OperatorUri("olive"));
  const v1::OpenCollectionRequest request = QuarterRequest(Now() + absl::Hours(24 * 7));
  absl::StatusOr<v1::Collection> opened = AdminOpen(*admin, request);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->collection_id(), "2025-q3");
  EXPECT_EQ(opened->year(), kYear);
  EXPECT_EQ(opened->period(), v1::QUARTERLY);
  EXPECT_EQ(opened->state(), v1::Collection::OPEN);
  EXPECT_THAT(opened->expected_la_codes(), ElementsAre(kCamden, kWestminster));
  EXPECT_EQ(opened->opened_by(), "urn:ringfence:operator:olive");
  EXPECT_EQ(opened->opened_at_unix_seconds(), absl::ToUnixSeconds(Now()));
  EXPECT_EQ(opened->closed_at_unix_seconds(), 0);
  EXPECT_THAT(Log().back(),
              AllOf(HasSubstr("rpc=OpenCollection"), HasSubstr("peer=urn:ringfence:operator:olive"),
                    HasSubstr("outcome=OK"), HasSubstr("collection=2025-q3")));

  // The same again, later and even after the deadline: unchanged.
  Advance(absl::Hours(24 * 8));
  absl::StatusOr<v1::Collection> again = AdminOpen(*admin, request);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->opened_at_unix_seconds(), opened->opened_at_unix_seconds());
  // Different parameters: ALREADY_EXISTS.
  v1::OpenCollectionRequest other = request;
  other.set_deadline_unix_seconds(request.deadline_unix_seconds() + 3600);
  EXPECT_THAT(AdminOpen(*admin, other),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("collection 2025-q3 already exists"),
                             HasSubstr("different deadline"))));
  // And the annual collection with defaults for its window.
  v1::OpenCollectionRequest annual;
  annual.set_year(2026);
  annual.set_period(v1::ANNUAL);
  annual.set_deadline_unix_seconds(absl::ToUnixSeconds(Now() + absl::Hours(24)));
  annual.add_expected_la_codes(kGateshead);
  absl::StatusOr<v1::Collection> a = AdminOpen(*admin, annual);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->collection_id(), "2026-annual");
  EXPECT_EQ(a->period_start(), "2025-04-01");
  EXPECT_EQ(a->period_end(), "2026-03-31");
}

TEST_F(AdminServiceTest, OpenCollectionValidatesEveryField) {
  auto admin = AdminStubFor(crypto::OperatorUri("olive"));
  const absl::Time deadline = Now() + absl::Hours(24 * 7);
  v1::OpenCollectionRequest r = QuarterRequest(deadline);
  r.set_period_start("2024-11-01");
  EXPECT_THAT(AdminOpen(*admin, r),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("is not a quarterly window of collection year 2025"),
                             HasSubstr("2025-q3 2024-10-01..2024-12-31"))));
  r = QuarterRequest(deadline);
  r.set_period(v1::PERIOD_UNSPECIFIED);
  EXPECT_THAT(AdminOpen(*admin, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("period is required")));
  r = QuarterRequest(deadline);
  r.set_year(2019);
  EXPECT_THAT(AdminOpen(*admin, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside")));
  r = QuarterRequest(Now() - absl::Hours(1));
  EXPECT_THAT(AdminOpen(*admin, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is in the past")));
  r = QuarterRequest(absl::FromCivil(absl::CivilDay(2024, 12, 31), absl::UTCTimeZone()));
  EXPECT_THAT(AdminOpen(*admin, r), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("not after the end of the period")));
  r = QuarterRequest(deadline);
  r.add_expected_la_codes("E99999999");
  EXPECT_THAT(AdminOpen(*admin, r), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("'E99999999' is not a known LA code")));
  r = QuarterRequest(deadline);
  r.add_expected_la_codes(kCamden);
  EXPECT_THAT(AdminOpen(*admin, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed more than once")));
  r = QuarterRequest(deadline);
  r.clear_expected_la_codes();
  EXPECT_THAT(AdminOpen(*admin, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  absl::StatusOr<std::vector<CollectionRecord>> all = store_->ListCollections();
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 1u);  // the fixture's annual collection only
}

TEST_F(AdminServiceTest, CloseIsIdempotentAndMakesTheCollectionFinal) {
  auto admin = AdminStubFor(crypto::OperatorUri("olive"));
  ASSERT_THAT(Submit(*StubFor(crypto::LaUri(kWestminster)),
                     MakeRequest(kWestminster, Distinctive(1234501))),
              IsOk());
  absl::StatusOr<v1::Collection> closed = AdminClose(*admin, kAnnual);
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->state(), v1::Collection::CLOSED);
  EXPECT_EQ(closed->closed_by(), "urn:ringfence:operator:olive");
  EXPECT_EQ(closed->closed_at_unix_seconds(), absl::ToUnixSeconds(Now()));
  Advance(absl::Hours(1));
  absl::StatusOr<v1::Collection> again =
      AdminClose(*AdminStubFor(crypto::OperatorUri("other")), kAnnual);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->closed_by(), "urn:ringfence:operator:olive");
  EXPECT_EQ(again->closed_at_unix_seconds(), closed->closed_at_unix_seconds());
  EXPECT_THAT(AdminClose(*admin, "2025-q4"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(AdminClose(*admin, "nonsense"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AdminStatus(*admin, "2025-q4"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Submit(*StubFor(crypto::LaUri(kCamden)), MakeRequest(kCamden, Distinctive(2234502))),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
  EXPECT_THAT(Release(*StubFor(crypto::RecipientUri("dfe_analyst", "alice")), kYear), IsOk());
}

TEST_F(AdminServiceTest, OnlyOperatorCertificatesAdministerCollections) {
  const v1::OpenCollectionRequest request = QuarterRequest(Now() + absl::Hours(24 * 7));
  for (const std::string& uri :
       {crypto::LaUri(kWestminster), crypto::RecipientUri("dfe_analyst", "alice")}) {
    auto stub = AdminStubFor(uri);
    EXPECT_THAT(AdminOpen(*stub, request), StatusIs(absl::StatusCode::kPermissionDenied,
                                                    HasSubstr("only operator certificates")))
        << uri;
    EXPECT_THAT(AdminClose(*stub, kAnnual), StatusIs(absl::StatusCode::kPermissionDenied)) << uri;
    EXPECT_THAT(AdminStatus(*stub, kAnnual), StatusIs(absl::StatusCode::kPermissionDenied)) << uri;
    EXPECT_THAT(Log().back(),
                AllOf(HasSubstr("rpc=GetCollectionStatus"), HasSubstr(absl::StrCat("peer=", uri)),
                      HasSubstr("outcome=PERMISSION_DENIED")));
  }
  absl::StatusOr<CollectionRecord> annual = store_->GetCollection(kAnnual);
  ASSERT_THAT(annual, IsOk());
  EXPECT_EQ(annual->state, CollectionState::kOpen);
  absl::StatusOr<std::vector<CollectionRecord>> all = store_->ListCollections();
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(AdminServiceTest, AdminCallsShareTheRateLimitAndTheDrain) {
  absl::StatusOr<std::unique_ptr<RateLimiter>> limiter =
      RateLimiter::Create({/*requests_per_second=*/1, /*burst=*/1});
  ASSERT_THAT(limiter, IsOk());
  StartServer(*std::move(limiter));
  auto admin = AdminStubFor(crypto::OperatorUri("olive"));
  ASSERT_THAT(AdminStatus(*admin, kAnnual), IsOk());
  EXPECT_THAT(AdminStatus(*admin, kAnnual), StatusIs(absl::StatusCode::kResourceExhausted));
  // The same identity's Coordinator calls draw on the same bucket.
  EXPECT_THAT(List(*StubFor(crypto::OperatorUri("olive"))),
              StatusIs(absl::StatusCode::kResourceExhausted));
  Advance(absl::Seconds(10));
  service_->StartDraining();
  EXPECT_THAT(AdminClose(*admin, kAnnual),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  absl::StatusOr<CollectionRecord> annual = store_->GetCollection(kAnnual);
  ASSERT_THAT(annual, IsOk());
  EXPECT_EQ(annual->state, CollectionState::kOpen);
}

}  // namespace
}  // namespace ringfence::coordinator
