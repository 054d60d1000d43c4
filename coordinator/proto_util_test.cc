#include "coordinator/proto_util.h"

#include <cmath>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/testing/submissions.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/disclosure.h"
#include "policy/policy.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The shipped policy, which sends every cell of the grid with both rules {10, 5}, with rho set
// so that its noise variance is 9/2 (a value whose numerator and denominator differ, so that a
// swap would show).
const policy::Policy& Shipped() {
  static const policy::Policy* const kPolicy = [] {
    absl::StatusOr<policy::Policy> p = testing::ShippedPolicyWithVariance(Rational{9, 2});
    if (!p.ok()) ADD_FAILURE() << p.status();
    return new policy::Policy(p.ok() ? *std::move(p) : policy::Policy());
  }();
  return *kPolicy;
}

absl::StatusOr<Submission> SubmissionFromProto(const ringfence::v1::SubmitRequest& r) {
  return coordinator::SubmissionFromProto(r, Shipped());
}

ringfence::v1::SubmitRequest ValidRequest() {
  ringfence::v1::SubmitRequest r;
  r.set_la_code("E09000033");
  r.set_year(2025);
  r.set_catalogue_version(catalogue::kCatalogueVersion);
  r.set_policy_digest(Shipped().digest);
  auto* noise = r.mutable_noise();
  noise->set_mechanism(ringfence::v1::NoiseParams::DISCRETE_GAUSSIAN);
  noise->set_variance_numerator(9);
  noise->set_variance_denominator(2);
  // The policy's rho_per_round, which ValidateSubmission requires (H / 9 here).
  noise->set_rho_numerator(testing::NoiseOf(Shipped()).rho.numerator);
  noise->set_rho_denominator(testing::NoiseOf(Shipped()).rho.denominator);
  noise->set_suppression_threshold(policy::kDefaultDisclosureRule.suppression_threshold);
  noise->set_rounding_base(policy::kDefaultDisclosureRule.rounding_base);
  noise->set_tainted_suppression_threshold(policy::kDefaultDisclosureRule.suppression_threshold);
  noise->set_tainted_rounding_base(policy::kDefaultDisclosureRule.rounding_base);
  int64_t v = 3;
  for (const catalogue::CellKey& k : catalogue::GridCells()) {
    auto* c = r.add_cells();
    c->mutable_key()->set_indicator(k.indicator);
    c->mutable_key()->set_breakdown(k.breakdown);
    c->mutable_key()->set_group(k.group);
    c->set_noisy_value(v);
    policy::PublishedValue p = policy::ApplyDisclosureRule(policy::kDefaultDisclosureRule, v);
    c->set_suppressed(p.suppressed);
    c->set_rounded_value(p.value);
    v += 13;
  }
  return r;
}

TEST(SubmissionFromProtoTest, ConvertsAValidRequestAndRoundTrips) {
  ringfence::v1::SubmitRequest r = ValidRequest();
  absl::StatusOr<Submission> s = SubmissionFromProto(r);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->la_code, "E09000033");
  EXPECT_EQ(s->noise.variance, (Rational{9, 2}));
  EXPECT_EQ(s->noise.rho, testing::NoiseOf(Shipped()).rho);
  EXPECT_NE(s->noise.rho.numerator, s->noise.rho.denominator);
  ASSERT_EQ(s->cells.size(), catalogue::GridCells().size());
  EXPECT_EQ(s->cells[1].noisy_value, 16);
  EXPECT_EQ(s->cells[1].published, (policy::PublishedValue{false, 15}));
  EXPECT_EQ(s->policy_digest, Shipped().digest);
  EXPECT_EQ(s->tainted_rule.suppression_threshold, 10);
  EXPECT_EQ(s->tainted_rule.rounding_base, 5);
  ringfence::v1::SubmitRequest back = SubmissionToProto(*s);
  EXPECT_EQ(*SerializeDeterministically(back), *SerializeDeterministically(r));
}

TEST(SubmissionFromProtoTest, ValidatesWhatItConverts) {
  ringfence::v1::SubmitRequest r = ValidRequest();
  r.mutable_cells(1)->set_rounded_value(16);  // the unrounded noisy value
  EXPECT_THAT(SubmissionFromProto(r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cla/sex/male")));
}

TEST(SubmissionFromProtoTest, RefusesAnotherPolicyDigestAsAFailedPrecondition) {
  ringfence::v1::SubmitRequest r = ValidRequest();
  r.set_policy_digest(std::string(64, 'a'));
  EXPECT_THAT(SubmissionFromProto(r),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("aaaaaaaaaaaa differs from the coordinator's " +
                                       Shipped().digest.substr(0, 12)),
                             HasSubstr(Shipped().file))));
  r.clear_policy_digest();
  EXPECT_THAT(SubmissionFromProto(r),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no policy digest")));
  // A hostile digest is quoted escaped and cut short.
  r.set_policy_digest("\n2026-01-01 rpc=Forged " + std::string(200, 'x'));
  absl::Status forged = SubmissionFromProto(r).status();
  EXPECT_THAT(forged.message(), Not(HasSubstr("\n")));
  EXPECT_THAT(forged.message(), Not(HasSubstr("Forged")));
}

TEST(SubmissionFromProtoTest, ReadsAndChecksTheDeclaredTaintedRule) {
  ringfence::v1::SubmitRequest r = ValidRequest();
  r.mutable_noise()->set_tainted_rounding_base(10);
  EXPECT_THAT(SubmissionFromProto(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("tainted-cell rounding base 10 differs")));
  // Unset (an older node): 0 is not the policy's rule either.
  r.mutable_noise()->clear_tainted_suppression_threshold();
  r.mutable_noise()->clear_tainted_rounding_base();
  EXPECT_THAT(SubmissionFromProto(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("tainted-cell suppression threshold 0")));
}

TEST(SubmissionFromProtoTest, RoundTripsAFixtureSubmission) {
  std::vector<int64_t> noisy(testing::SentCells(Shipped()).size(), 77);
  const Submission s = testing::MakeSubmission(Shipped(), "E09000007", 2025, noisy);
  absl::StatusOr<Submission> back = SubmissionFromProto(SubmissionToProto(s));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->policy_digest, s.policy_digest);
  EXPECT_EQ(back->cells.size(), s.cells.size());
}

TEST(LevelFromProtoTest, AcceptsTheThreeLevelsOnly) {
  EXPECT_THAT(LevelFromProto(ringfence::v1::NATIONAL), IsOk());
  EXPECT_EQ(*LevelFromProto(ringfence::v1::REGIONAL), GeographicLevel::kRegional);
  EXPECT_EQ(*LevelFromProto(ringfence::v1::LOCAL_AUTHORITY), GeographicLevel::kLocalAuthority);
  EXPECT_THAT(LevelFromProto(ringfence::v1::GEOGRAPHIC_LEVEL_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LevelFromProto(42), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("42")));
}

TEST(SubmissionFromProtoTest, RefusesUnknownOrUnsetMechanism) {
  ringfence::v1::SubmitRequest r = ValidRequest();
  r.mutable_noise()->set_mechanism(static_cast<ringfence::v1::NoiseParams::Mechanism>(7));
  EXPECT_THAT(SubmissionFromProto(r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DISCRETE_GAUSSIAN")));
  r.mutable_noise()->set_mechanism(ringfence::v1::NoiseParams::MECHANISM_UNSPECIFIED);
  EXPECT_THAT(SubmissionFromProto(r), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SubmissionFromProtoTest, RefusesAnEmptyRequest) {
  // No LA, so the registry check comes first.
  EXPECT_THAT(SubmissionFromProto(ringfence::v1::SubmitRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SerializeDeterministicallyTest, EqualMessagesGiveEqualBytes) {
  absl::StatusOr<std::string> a = SerializeDeterministically(ValidRequest());
  absl::StatusOr<std::string> b = SerializeDeterministically(ValidRequest());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(*a, *b);
  EXPECT_FALSE(a->empty());
  ringfence::v1::SubmitRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(*a));
  EXPECT_EQ(parsed.cells_size(), static_cast<int>(catalogue::GridCells().size()));
  ringfence::v1::SubmitRequest other = ValidRequest();
  other.mutable_cells(0)->set_noisy_value(4);
  EXPECT_NE(*SerializeDeterministically(other), *a);
}

TEST(ReleaseTableToProtoTest, CopiesEveryField) {
  ReleaseTable t;
  t.year = 2025;
  t.catalogue_version = 1;
  t.la_codes = {"E09000007"};
  t.policy_digest = "abc123";
  t.recipient_class = "inspectorate";
  ReleasedCell c;
  c.level = GeographicLevel::kLocalAuthority;
  c.region_code = "E12000007";
  c.region_name = "London";
  c.la_code = "E09000007";
  c.la_name = "Camden";
  c.key = catalogue::CellKey{"cla", "sex", "female"};
  c.published = {false, 45};
  c.noise_variance = {9, 2};
  c.contributing_las = 1;
  c.noise_sd = std::sqrt(4.5);
  c.ci95_half_width = 1.96 * std::sqrt(4.5) + 2.5;
  t.cells.push_back(c);
  c.level = GeographicLevel::kNational;
  c.published = {true, 0};
  t.cells.push_back(c);
  ringfence::v1::ReleaseResponse p = ReleaseTableToProto(t);
  EXPECT_EQ(p.year(), 2025);
  EXPECT_EQ(p.catalogue_version(), 1u);
  EXPECT_EQ(p.policy_digest(), "abc123");
  EXPECT_EQ(p.recipient_class(), "inspectorate");
  ASSERT_EQ(p.la_codes_size(), 1);
  ASSERT_EQ(p.cells_size(), 2);
  const auto& rc = p.cells(0);
  EXPECT_EQ(rc.level(), ringfence::v1::LOCAL_AUTHORITY);
  EXPECT_EQ(rc.region_name(), "London");
  EXPECT_EQ(rc.la_name(), "Camden");
  EXPECT_EQ(rc.key().group(), "female");
  EXPECT_FALSE(rc.suppressed());
  EXPECT_EQ(rc.value(), 45);
  EXPECT_EQ(rc.noise_variance_numerator(), 9u);
  EXPECT_EQ(rc.noise_variance_denominator(), 2u);
  EXPECT_EQ(rc.contributing_las(), 1);
  EXPECT_EQ(rc.noise_sd(), std::sqrt(4.5));
  EXPECT_EQ(rc.ci95_half_width(), 1.96 * std::sqrt(4.5) + 2.5);
  EXPECT_EQ(p.cells(1).level(), ringfence::v1::NATIONAL);
  EXPECT_TRUE(p.cells(1).suppressed());
  EXPECT_EQ(p.cells(1).value(), 0);
}

}  // namespace
}  // namespace ringfence::coordinator
