#include "dp/zcdp.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::dp {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::IsOkAndHolds;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

MATCHER_P2(IsRho, n, d, "is rho " + std::to_string(n) + "/" + std::to_string(d)) {
  return arg.ok() && arg->numerator == static_cast<uint64_t>(n) &&
         arg->denominator == static_cast<uint64_t>(d);
}

// ---- Exact accounting ----

TEST(RhoParseTest, ParsesIntegersAndFractionsIntoLowestTerms) {
  EXPECT_THAT(Rho::Parse("1/2"), IsRho(1, 2));
  EXPECT_THAT(Rho::Parse("3"), IsRho(3, 1));
  EXPECT_THAT(Rho::Parse("4/8"), IsRho(1, 2));
  EXPECT_THAT(Rho::Parse("6/3"), IsRho(2, 1));
  EXPECT_THAT(Rho::Parse("1/104"), IsRho(1, 104));
  EXPECT_THAT(Rho::Parse("18446744073709551615/1"), IsRho(kMax, 1));
}

TEST(RhoParseTest, RejectsMalformedTextAndNamesIt) {
  for (const std::string text :
       {"", "0", "0/5", "1/0", "-1/2", "+1", " 1/2", "1/2 ", "1.5", "0.5", "1/2/3", "/2", "1/",
        "abc", "1e3", "18446744073709551616", "1/18446744073709551616"}) {
    EXPECT_THAT(Rho::Parse(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"" + text + "\"")))
        << text;
  }
}

TEST(RhoTest, ToStringRoundTrips) {
  EXPECT_EQ((Rho{1, 2}).ToString(), "1/2");
  EXPECT_EQ((Rho{3, 1}).ToString(), "3");
  for (const char* text : {"1/2", "3", "7/104", "18446744073709551615/18446744073709551614"}) {
    auto rho = Rho::Parse(text);
    ASSERT_THAT(rho, IsOk());
    EXPECT_EQ(rho->ToString(), text);
  }
  EXPECT_DOUBLE_EQ((Rho{1, 4}).ToDouble(), 0.25);
}

TEST(RhoAddTest, AddsExactlyInLowestTerms) {
  EXPECT_THAT(Add({1, 2}, {1, 3}), IsRho(5, 6));
  EXPECT_THAT(Add({1, 4}, {1, 4}), IsRho(1, 2));
  EXPECT_THAT(Add({2, 4}, {1, 4}), IsRho(3, 4));  // unreduced input
  EXPECT_THAT(Add(Rho{}, {3, 7}), IsRho(3, 7));
  EXPECT_THAT(Add(Rho{}, Rho{}), IsRho(0, 1));
  // Large coprime denominators whose product still fits after reduction.
  EXPECT_THAT(Add({1, uint64_t{1} << 32}, {1, (uint64_t{1} << 32) - 1}),
              IsRho((uint64_t{1} << 33) - 1, ((uint64_t{1} << 32) - 1) << 32));
}

TEST(RhoAddTest, ComposesBackToTheTotalExactly) {
  // 104 releases at 1/104 spend exactly 1; a floating-point sum would not be exact.
  Rho spent{};
  for (int i = 0; i < 104; ++i) {
    auto next = Add(spent, {1, 104});
    ASSERT_THAT(next, IsOk());
    spent = *next;
  }
  EXPECT_THAT(absl::StatusOr<Rho>(spent), IsRho(1, 1));
  EXPECT_TRUE(LessOrEqual(spent, {1, 1}));
  auto one_more = Add(spent, {1, 1000000});
  ASSERT_THAT(one_more, IsOk());
  EXPECT_FALSE(LessOrEqual(*one_more, {1, 1}));
}

TEST(RhoAddTest, ReportsOverflowAndBadDenominators) {
  EXPECT_THAT(Add({kMax, 1}, {1, 1}), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(Add({1, kMax}, {1, kMax - 1}), StatusIs(absl::StatusCode::kOutOfRange));
  // Both cross products are close to 2^128, so their 128-bit sum wraps.
  EXPECT_THAT(Add({kMax, kMax - 1}, {kMax - 1, kMax}), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(Add({1, 0}, {1, 2}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Add({1, 2}, {1, 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RhoCompareTest, ComparesExactly) {
  EXPECT_TRUE(LessOrEqual({1, 3}, {1, 2}));
  EXPECT_FALSE(LessOrEqual({1, 2}, {1, 3}));
  EXPECT_TRUE(LessOrEqual({2, 4}, {1, 2}));
  EXPECT_TRUE(LessOrEqual({1, 2}, {2, 4}));
  EXPECT_TRUE(LessOrEqual(Rho{}, {1, kMax}));
  // 1 - 1/(2^64 - 2) < 1 - 1/(2^64 - 1), although both are the same double.
  const Rho a{kMax - 2, kMax - 1}, b{kMax - 1, kMax};
  ASSERT_EQ(a.ToDouble(), b.ToDouble());
  EXPECT_TRUE(LessOrEqual(a, b));
  EXPECT_FALSE(LessOrEqual(b, a));
  EXPECT_TRUE((Rho{1, 2}) == (Rho{2, 4}));
  EXPECT_TRUE(a != b);
  // A zero denominator never passes a budget check.
  EXPECT_FALSE(LessOrEqual({1, 0}, {1, 1}));
  EXPECT_FALSE(LessOrEqual({1, 2}, {1, 0}));
}

TEST(SplitEquallyTest, SplitsExactly) {
  EXPECT_THAT(SplitEqually({1, 1}, 104), IsRho(1, 104));
  EXPECT_THAT(SplitEqually({1, 2}, 104), IsRho(1, 208));
  EXPECT_THAT(SplitEqually({3, 1}, 3), IsRho(1, 1));
  EXPECT_THAT(SplitEqually({6, 4}, 3), IsRho(1, 2));
  EXPECT_THAT(SplitEqually({1, 2}, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitEqually({1, 2}, -3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitEqually({1, 0}, 2), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitEqually({1, kMax}, 2), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(GaussianVarianceForRhoTest, IsOneOverTwoRho) {
  auto is = [](absl::StatusOr<Rational> r, uint64_t n, uint64_t d) {
    return r.ok() && r->numerator == n && r->denominator == d;
  };
  EXPECT_TRUE(is(GaussianVarianceForRho({1, 2}), 1, 1));
  EXPECT_TRUE(is(GaussianVarianceForRho({1, 104}), 52, 1));
  EXPECT_TRUE(is(GaussianVarianceForRho({1, 208}), 104, 1));
  EXPECT_TRUE(is(GaussianVarianceForRho({3, 4}), 2, 3));
  EXPECT_TRUE(is(GaussianVarianceForRho({2, 6}), 3, 2));  // unreduced input
  EXPECT_TRUE(is(GaussianVarianceForRho({uint64_t{1} << 62, 1}), 1, uint64_t{1} << 63));
  EXPECT_THAT(GaussianVarianceForRho({kMax, 1}), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(GaussianVarianceForRho(Rho{}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GaussianVarianceForRho({1, 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PureEpsilonTest, ConvertsToRhoAndLaplaceScale) {
  EXPECT_THAT(RhoForPureEpsilon({1, 10}), IsRho(1, 200));
  EXPECT_THAT(RhoForPureEpsilon({3, 2}), IsRho(9, 8));
  EXPECT_THAT(RhoForPureEpsilon({2, 1}), IsRho(2, 1));
  EXPECT_THAT(RhoForPureEpsilon({2, 4}), IsRho(1, 8));
  EXPECT_THAT(RhoForPureEpsilon({1, uint64_t{1} << 32}), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(RhoForPureEpsilon({1, kMax}), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(RhoForPureEpsilon({0, 1}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RhoForPureEpsilon({1, 0}), StatusIs(absl::StatusCode::kInvalidArgument));

  auto scale = LaplaceScaleForEpsilon({1, 10});
  ASSERT_THAT(scale, IsOk());
  EXPECT_EQ(scale->numerator, 10u);
  EXPECT_EQ(scale->denominator, 1u);
  scale = LaplaceScaleForEpsilon({6, 20});
  ASSERT_THAT(scale, IsOk());
  EXPECT_EQ(scale->ToString(), "10/3");
  EXPECT_THAT(LaplaceScaleForEpsilon({0, 1}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LaplaceScaleForEpsilon({1, 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Reporting conversions ----

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// The exact privacy profile of the continuous Gaussian mechanism with L2 sensitivity 1 and
// sigma^2 = 1 / (2 rho) (Balle and Wang 2018, Theorem 8), mu = 1 / sigma = sqrt(2 rho). It is
// rho-zCDP, so no valid zCDP conversion may promise a smaller delta.
double GaussianMechanismDelta(double rho, double eps) {
  const double mu = std::sqrt(2 * rho);
  return Phi(-eps / mu + mu / 2) - std::exp(eps) * Phi(-eps / mu - mu / 2);
}

TEST(ConversionTest, KnownValuesAtRhoOneHalf) {
  // rho = 1/2, delta = 1e-6: tight 5.221534, simple 0.5 + 2 sqrt(0.5 ln 1e6) = 5.756522
  // (the tight values here and below agree to 1e-6 with an independent Python ternary search
  // over alpha on the formula as written in the header).
  const Rho rho{1, 2};
  auto tight = EpsilonForDelta(rho, 1e-6);
  auto simple = SimpleEpsilonForDelta(rho, 1e-6);
  ASSERT_THAT(tight, IsOk());
  ASSERT_THAT(simple, IsOk());
  EXPECT_NEAR(*simple, 0.5 + 2 * std::sqrt(0.5 * std::log(1e6)), 1e-12);
  EXPECT_NEAR(*simple, 5.756522, 1e-6);
  EXPECT_NEAR(*tight, 5.221534, 1e-5);
  EXPECT_LT(*tight, *simple - 0.5);  // the tight conversion is worth having
  // The returned epsilon meets delta, and anything visibly smaller does not.
  EXPECT_LE(*DeltaForEpsilon(rho, *tight), 1e-6);
  EXPECT_GT(*DeltaForEpsilon(rho, *tight - 1e-6), 1e-6);
}

TEST(ConversionTest, KnownValuesForAnnualBudgets) {
  // A budget of 1/2 split over 52 weeks and two releases (1/104, 1/208 per release).
  // rho = 1/104: tight 0.608839, simple 0.738564; rho = 1/208: tight 0.421071, simple 0.520252.
  EXPECT_THAT(EpsilonForDelta({1, 104}, 1e-6), IsOkAndHolds(::testing::DoubleNear(0.608839, 1e-5)));
  EXPECT_THAT(SimpleEpsilonForDelta({1, 104}, 1e-6),
              IsOkAndHolds(::testing::DoubleNear(0.738564, 1e-5)));
  EXPECT_THAT(EpsilonForDelta({1, 208}, 1e-6), IsOkAndHolds(::testing::DoubleNear(0.421071, 1e-5)));
  EXPECT_THAT(SimpleEpsilonForDelta({1, 208}, 1e-6),
              IsOkAndHolds(::testing::DoubleNear(0.520252, 1e-5)));
}

const std::vector<Rho>& TestRhos() {
  static const auto* rhos = new std::vector<Rho>{{1, 10000}, {1, 208}, {1, 104}, {1, 10},
                                                 {1, 2},     {1, 1},   {2, 1},   {10, 1}};
  return *rhos;
}

TEST(ConversionTest, TightNeverBeatsTheExactGaussianMechanism) {
  for (const Rho& rho : TestRhos()) {
    for (double eps : {0.0, 0.05, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0}) {
      auto delta = DeltaForEpsilon(rho, eps);
      ASSERT_THAT(delta, IsOk());
      const double exact = GaussianMechanismDelta(rho.ToDouble(), eps);
      EXPECT_GE(*delta, exact) << "rho=" << rho.ToString() << " eps=" << eps;
      EXPECT_LE(*delta, 1.0);
    }
    for (double target : {1e-3, 1e-6, 1e-9}) {
      auto eps = EpsilonForDelta(rho, target);
      ASSERT_THAT(eps, IsOk());
      // At the reported epsilon the Gaussian mechanism itself must already meet the target.
      EXPECT_LE(GaussianMechanismDelta(rho.ToDouble(), *eps), target)
          << "rho=" << rho.ToString() << " delta=" << target;
    }
  }
}

TEST(ConversionTest, TightNeverWorseThanSimple) {
  for (const Rho& rho : TestRhos()) {
    for (double delta : {1e-2, 1e-3, 1e-6, 1e-9, 1e-12}) {
      auto tight = EpsilonForDelta(rho, delta);
      auto simple = SimpleEpsilonForDelta(rho, delta);
      ASSERT_THAT(tight, IsOk());
      ASSERT_THAT(simple, IsOk());
      EXPECT_LE(*tight, *simple) << "rho=" << rho.ToString() << " delta=" << delta;
      EXPECT_GE(*tight, 0) << "rho=" << rho.ToString() << " delta=" << delta;
    }
  }
}

TEST(ConversionTest, IsMonotone) {
  // delta falls as epsilon grows; epsilon falls as delta grows; both grow with rho.
  for (const Rho& rho : TestRhos()) {
    double previous = 2;
    for (double eps = 0; eps <= 10; eps += 0.25) {
      auto delta = DeltaForEpsilon(rho, eps);
      ASSERT_THAT(delta, IsOk());
      EXPECT_LE(*delta, previous) << "rho=" << rho.ToString() << " eps=" << eps;
      previous = *delta;
    }
    double previous_eps = std::numeric_limits<double>::infinity();
    for (double delta : {1e-12, 1e-9, 1e-6, 1e-3, 1e-2, 0.1}) {
      auto eps = EpsilonForDelta(rho, delta);
      ASSERT_THAT(eps, IsOk());
      // Strictly, until epsilon reaches 0 (see EpsilonZeroWhenDeltaCoversEverything).
      if (previous_eps > 0) {
        EXPECT_LT(*eps, previous_eps) << "rho=" << rho.ToString() << " delta=" << delta;
      } else {
        EXPECT_EQ(*eps, 0) << "rho=" << rho.ToString() << " delta=" << delta;
      }
      previous_eps = *eps;
    }
  }
  double previous_eps = 0;
  for (const Rho& rho : TestRhos()) {  // TestRhos is increasing
    auto eps = EpsilonForDelta(rho, 1e-6);
    ASSERT_THAT(eps, IsOk());
    EXPECT_GT(*eps, previous_eps) << "rho=" << rho.ToString();
    previous_eps = *eps;
  }
}

TEST(ConversionTest, EpsilonZeroWhenDeltaCoversEverything) {
  // At rho = 1/10000 (sigma ~ 71) even epsilon = 0 needs only delta = 0.0086 (the Gaussian
  // mechanism's own total variation distance is 0.0056), so delta = 0.01 gives epsilon 0.
  auto delta_at_zero = DeltaForEpsilon({1, 10000}, 0);
  ASSERT_THAT(delta_at_zero, IsOk());
  EXPECT_GT(*delta_at_zero, GaussianMechanismDelta(1e-4, 0));
  EXPECT_LT(*delta_at_zero, 0.01);
  EXPECT_THAT(EpsilonForDelta({1, 10000}, 0.01), IsOkAndHolds(0.0));
  EXPECT_THAT(EpsilonForDelta({1, 10000}, *delta_at_zero / 2), IsOkAndHolds(::testing::Gt(0.0)));
}

TEST(ConversionTest, RejectsInvalidInput) {
  EXPECT_THAT(DeltaForEpsilon(Rho{}, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeltaForEpsilon({1, 0}, 1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeltaForEpsilon({1, 2}, -0.1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeltaForEpsilon({1, 2}, std::nan("")), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeltaForEpsilon({1, 2}, std::numeric_limits<double>::infinity()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (double delta : {0.0, 1.0, -1e-6, 2.0, std::nan("")}) {
    EXPECT_THAT(EpsilonForDelta({1, 2}, delta), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(SimpleEpsilonForDelta({1, 2}, delta), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(EpsilonForDelta(Rho{}, 1e-6), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SimpleEpsilonForDelta(Rho{}, 1e-6), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ringfence::dp
