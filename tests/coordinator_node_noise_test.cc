// The node and the coordinator compute a round's noise independently (node/protect.h:
// NoiseVarianceFor; coordinator/combine.h: PolicyNoise, which ValidateSubmission enforces).
// This test joins the two layers, which do not depend on each other: what the real node path
// (node::ProtectGrid, then node::BuildSubmitRequest) sends under a policy is accepted by the
// coordinator's validation under the same policy, and its declared noise is exactly the
// policy's.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/testing/status_matchers.h"
#include "catalogue/catalogue.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "crypto/testing/deterministic_random_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"

namespace ringfence {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<policy::Policy> ShippedWithRho(absl::string_view rho) {
  // The shipped file sets rho_per_year and rho_per_round, both "1/2".
  std::string text = policy::testing::ShippedPolicyText();
  const std::string from = "rho_per_round: \"1/2\"";
  const size_t at = text.find(from);
  if (at == std::string::npos) return absl::InternalError("no rho_per_round \"1/2\" in the text");
  text.replace(at, from.size(), absl::StrCat("rho_per_round: \"", rho, "\""));
  return policy::ParsePolicy(text, "rho-variant.textproto");
}

// Protects a synthetic exact grid under `policy` as a node does and returns the request.
absl::StatusOr<v1::SubmitRequest> NodeRequest(const policy::Policy& policy, uint64_t seed) {
  std::vector<int64_t> exact;
  for (size_t i = 0; i < catalogue::GridCells().size(); ++i) {
    exact.push_back(static_cast<int64_t>((i * 37) % 500));
  }
  crypto::testing::DeterministicRandomSource rng(seed);
  absl::StatusOr<node::ProtectedGrid> grid = node::ProtectGrid(exact, policy, rng);
  if (!grid.ok()) return grid.status();
  return node::BuildSubmitRequest("E09000033", 2025, policy, *grid);
}

void ExpectAccepted(const policy::Policy& policy) {
  absl::StatusOr<v1::SubmitRequest> request = NodeRequest(policy, 20251126);
  ASSERT_THAT(request, IsOk());
  absl::StatusOr<coordinator::Submission> submission =
      coordinator::SubmissionFromProto(*request, policy);
  ASSERT_THAT(submission, IsOk());
  // The declared noise is exactly the policy's, as the node computes it too.
  absl::StatusOr<coordinator::NoiseParameters> want = coordinator::PolicyNoise(policy);
  ASSERT_THAT(want, IsOk());
  EXPECT_EQ(submission->noise.variance, want->variance);
  EXPECT_EQ(submission->noise.rho, want->rho);
  absl::StatusOr<std::pair<uint64_t, uint64_t>> node_variance = node::NoiseVarianceFor(policy);
  ASSERT_THAT(node_variance, IsOk());
  EXPECT_EQ(want->variance, (coordinator::Rational{node_variance->first, node_variance->second}));
  EXPECT_EQ(want->rho, (coordinator::Rational{policy.privacy.rho_per_round.numerator,
                                              policy.privacy.rho_per_round.denominator}));
}

TEST(CoordinatorNodeNoiseTest, TheNodesRequestUnderTheShippedPolicyIsAccepted) {
  absl::StatusOr<policy::Policy> shipped = policy::ParsePolicy(
      policy::testing::ShippedPolicyText(), policy::testing::ShippedPolicyPath());
  ASSERT_THAT(shipped, IsOk());
  // rho 1/2 over H histograms: sigma^2 = H.
  absl::StatusOr<coordinator::NoiseParameters> want = coordinator::PolicyNoise(*shipped);
  ASSERT_THAT(want, IsOk());
  EXPECT_EQ(
      want->variance,
      (coordinator::Rational{static_cast<uint64_t>(policy::SendableHistogramCount(*shipped)), 1}));
  ExpectAccepted(*shipped);
}

TEST(CoordinatorNodeNoiseTest, TheNodesRequestUnderAnotherRhoIsAcceptedUnderThatPolicyOnly) {
  absl::StatusOr<policy::Policy> other = ShippedWithRho("3/7");
  ASSERT_THAT(other, IsOk());
  ExpectAccepted(*other);
  // The same request checked against the shipped policy: refused (the digest differs first);
  // and with the shipped digest forged in, refused for its rho.
  absl::StatusOr<policy::Policy> shipped = policy::ParsePolicy(
      policy::testing::ShippedPolicyText(), policy::testing::ShippedPolicyPath());
  ASSERT_THAT(shipped, IsOk());
  absl::StatusOr<v1::SubmitRequest> request = NodeRequest(*other, 7);
  ASSERT_THAT(request, IsOk());
  EXPECT_THAT(coordinator::SubmissionFromProto(*request, *shipped),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  request->set_policy_digest(shipped->digest);
  EXPECT_THAT(coordinator::SubmissionFromProto(*request, *shipped),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("declared rho 3/7 is not the policy's rho_per_round 1/2")));
}

}  // namespace
}  // namespace ringfence
