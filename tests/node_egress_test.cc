// Egress: every byte the node puts on the wire is captured (a client interceptor sees each
// serialized message and the metadata before TLS encrypts them) and searched for every CHILD
// id, date of birth and postcode in the LA's input files. None may appear. A control case
// shows the search finds a CHILD id when one is deliberately put into a message, so the test
// is known to have teeth.
//
// The policy decides what leaves: the captured message carries the policy's digest, and under
// a policy that lets no class receive the nrpf breakdown, the message holds exactly the cells
// of policy::SendableCells and no nrpf cell. A round recorded under one policy is not resent
// under another (it could hold cells the other sends to nobody): nothing goes on the wire.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "catalogue/catalogue.h"
#include "crypto/random_source.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/client_interceptor.h"
#include "gtest/gtest.h"
#include "node/grid.h"
#include "node/loader.h"
#include "node/protect.h"
#include "node/round.h"
#include "node/submit_client.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "proto/cells.pb.h"
#include "tests/testing/collections.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/wire_capture.h"

namespace ringfence {
namespace {

using Capture = testing::WireCapture;
using testing::BinaryPath;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;
const char kLa[] = "E08000025";


policy::Policy ShippedPolicy() {
  auto p = policy::ParsePolicy(policy::testing::ShippedPolicyText(), "shipped");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : policy::Policy();
}

// The shipped policy with every `breakdowns: "*"` spelled out without nrpf: no class then
// receives the nrpf breakdown of any indicator (the public class never did).
policy::Policy PolicyWithoutNrpf() {
  std::string text = policy::testing::ShippedPolicyText();
  std::string but_nrpf;
  for (const catalogue::Breakdown& b : catalogue::AllBreakdowns()) {
    if (b.name != "nrpf") absl::StrAppend(&but_nrpf, "breakdowns: \"", b.name, "\" ");
  }
  EXPECT_NE(text.find("breakdowns: \"*\""), std::string::npos);
  text = absl::StrReplaceAll(text, {{"breakdowns: \"*\"", but_nrpf},
                                    {"name: \"england-2025\"", "name: \"no-nrpf\""}});
  auto p = policy::ParsePolicy(text, "no-nrpf");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : policy::Policy();
}

// Every CHILD id, DOB and postcode in the LA folder, in the forms that could leak.
std::set<std::string> Secrets(const std::string& dir) {
  std::set<std::string> secrets;
  for (const char* name : {"header.csv", "episodes.csv", "uasc.csv", "sensitive.csv"}) {
    std::string text = ReadFileOrEmpty(dir + "/" + name);
    base::CsvReader reader(text, name);
    base::CsvRow row;
    std::vector<std::string> header;
    while (reader.Next(&row)) {
      if (header.empty()) {
        for (absl::string_view f : row.fields) header.emplace_back(f);
        continue;
      }
      for (size_t i = 0; i < header.size() && i < row.fields.size(); ++i) {
        const std::string value(absl::StripAsciiWhitespace(row.fields[i]));
        if (value.empty()) continue;
        if (header[i] == "CHILD") secrets.insert(value);
        if (header[i] == "DOB") {
          secrets.insert(value);
          std::vector<std::string> p = absl::StrSplit(value, '/');
          if (p.size() == 3) secrets.insert(absl::StrCat(p[2], "-", p[1], "-", p[0]));
        }
        if (header[i] == "HOME_POST" || header[i] == "PL_POST") {
          secrets.insert(value);
          secrets.insert(absl::StrReplaceAll(value, {{" ", ""}}));
        }
      }
    }
  }
  return secrets;
}

std::vector<std::string> Leaks(const std::string& bytes, const std::set<std::string>& secrets) {
  std::vector<std::string> found;
  for (const std::string& s : secrets) {
    if (bytes.find(s) != std::string::npos) found.push_back(s);
  }
  return found;
}

class EgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("ringfence-egress");
    RunResult r = RunCommand({BinaryPath("ringfence"), "synth", "--la", kLa, "--year",
                       absl::StrCat(kYear), "--seed", "99", "--out", dir_ + "/data"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", dir_ + "/pki", "--la", kLa});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::RunningCoordinator c =
        testing::StartCoordinator(dir_, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(dir_ + "/coordinator.log");
    coordinator_ = std::move(c.process);
    address_ = c.address;
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(
        testing::CollectionAdminTarget{address_, dir_ + "/pki"}, kYear, {kLa});
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  std::shared_ptr<grpc::Channel> CapturingChannel(Capture* sink) {
    auto tls = crypto::LoadTlsMaterial(dir_ + "/pki/ca.pem", dir_ + "/pki/la/" + kLa + ".pem",
                                       dir_ + "/pki/la/" + kLa + ".key");
    EXPECT_TRUE(tls.ok()) << tls.status();
    return testing::CapturingChannel(address_, crypto::MakeChannelCredentials(*tls), sink);
  }

  // The LA's exact grid, through the node's own loader.
  std::vector<int64_t> ExactGrid() {
    node::LoadOptions opts;
    opts.dir = dir_ + "/data/" + kLa;
    opts.la_code = kLa;
    opts.year = kYear;
    auto data = node::LoadLaFolder(opts);
    EXPECT_TRUE(data.ok()) << data.status();
    if (!data.ok()) return {};
    auto exact = node::ComputeExactGrid(*data, kYear);
    EXPECT_TRUE(exact.ok()) << exact.status();
    return exact.ok() ? *std::move(exact) : std::vector<int64_t>();
  }

  std::string dir_;
  std::string address_;
  std::unique_ptr<testing::BackgroundProcess> coordinator_;
};

TEST_F(EgressTest, NoChildIdDobOrPostcodeLeavesTheNode) {
  const std::string la_dir = dir_ + "/data/" + kLa;
  const std::set<std::string> secrets = Secrets(la_dir);
  ASSERT_GT(secrets.size(), 100u) << "the synthetic LA should have many children";

  const policy::Policy policy = ShippedPolicy();
  const std::vector<int64_t> exact = ExactGrid();
  ASSERT_FALSE(exact.empty());
  crypto::OpenSslRandomSource rng;
  auto grid = node::ProtectGrid(exact, policy, rng);
  ASSERT_TRUE(grid.ok()) << grid.status();
  auto request = node::BuildSubmitRequest(kLa, kYear, policy, *grid);
  ASSERT_TRUE(request.ok()) << request.status();

  Capture capture;
  node::CoordinatorClient client(CapturingChannel(&capture));
  auto response = client.Submit(*request, absl::Seconds(10));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(capture.messages.size(), 1u);
  ASSERT_GT(capture.wire.size(), 100u);
  EXPECT_NE(capture.wire.find(kLa), std::string::npos) << "capture saw no message";
  EXPECT_THAT(Leaks(capture.wire, secrets), ::testing::IsEmpty());

  // The message on the wire names the policy it was made under, and holds every cell the
  // shipped policy sends (all of them).
  v1::SubmitRequest sent;
  ASSERT_TRUE(sent.ParseFromString(capture.messages[0]));
  EXPECT_EQ(sent.policy_digest(), policy.digest);
  EXPECT_NE(capture.messages[0].find(policy.digest), std::string::npos);
  EXPECT_EQ(sent.cells_size(), static_cast<int>(policy::SendableCells(policy).size()));
}

TEST_F(EgressTest, OnlyTheCellsThePolicySendsLeaveTheNode) {
  const policy::Policy policy = PolicyWithoutNrpf();
  const std::vector<int> sendable = policy::SendableCells(policy);
  ASSERT_FALSE(sendable.empty());
  ASSERT_LT(sendable.size(), catalogue::GridCells().size()) << "the variant should send less";
  const std::vector<int64_t> exact = ExactGrid();
  ASSERT_FALSE(exact.empty());
  crypto::OpenSslRandomSource rng;
  auto grid = node::ProtectGrid(exact, policy, rng);
  ASSERT_TRUE(grid.ok()) << grid.status();
  auto request = node::BuildSubmitRequest(kLa, kYear, policy, *grid);
  ASSERT_TRUE(request.ok()) << request.status();

  Capture capture;
  node::CoordinatorClient client(CapturingChannel(&capture));
  // The coordinator runs the shipped policy and refuses this one; what matters is what left.
  (void)client.Submit(*request, absl::Seconds(10));
  ASSERT_EQ(capture.messages.size(), 1u);
  v1::SubmitRequest sent;
  ASSERT_TRUE(sent.ParseFromString(capture.messages[0]));
  EXPECT_EQ(sent.policy_digest(), policy.digest);
  const auto& keys = catalogue::GridCells();
  ASSERT_EQ(sent.cells_size(), static_cast<int>(sendable.size()));
  for (int j = 0; j < sent.cells_size(); ++j) {
    const v1::CellKey& k = sent.cells(j).key();
    EXPECT_EQ(k.indicator(), keys[sendable[j]].indicator);
    EXPECT_EQ(k.breakdown(), keys[sendable[j]].breakdown);
    EXPECT_EQ(k.group(), keys[sendable[j]].group);
    EXPECT_TRUE(policy::Sendable(policy, k.indicator(), k.breakdown())) << k.ShortDebugString();
  }
  // Not even the breakdown's name is on the wire.
  EXPECT_EQ(capture.wire.find("nrpf"), std::string::npos);
}

TEST_F(EgressTest, ARoundRecordedUnderOnePolicyIsNotResentUnderAnother) {
  const std::string ledger = dir_ + "/ledger.sqlite";
  node::SubmitRoundOptions options;
  options.la_code = kLa;
  options.year = kYear;
  options.ledger_path = ledger;
  options.timeout = absl::Seconds(10);
  options.policy = ShippedPolicy();
  crypto::OpenSslRandomSource rng;
  Capture first;
  auto round = node::RunSubmitRound(
      options, [this]() -> absl::StatusOr<std::vector<int64_t>> { return ExactGrid(); }, rng,
      CapturingChannel(&first), nullptr);
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(first.messages.size(), 1u);

  // Same round, the no-nrpf policy: the recorded cells include nrpf ones, so nothing is sent
  // (and nothing is recomputed).
  options.policy = PolicyWithoutNrpf();
  Capture second;
  bool computed = false;
  auto again = node::RunSubmitRound(
      options,
      [&computed]() -> absl::StatusOr<std::vector<int64_t>> {
        computed = true;
        return absl::InternalError("must not be called");
      },
      rng, CapturingChannel(&second), nullptr);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_THAT(std::string(again.status().message()), ::testing::HasSubstr("recorded"));
  EXPECT_FALSE(computed);
  EXPECT_TRUE(second.messages.empty());
  EXPECT_TRUE(second.wire.empty());
}

TEST_F(EgressTest, ARoundRefusesAPolicyThatFailsTheFirewall) {
  // A leaking policy can only be built unchecked; the round refuses it before computing.
  std::string text = policy::testing::ShippedPolicyText();
  const std::string grant = "indicators: \"cla\"\n    breakdowns: \"total\"";
  ASSERT_NE(text.find(grant), std::string::npos);
  text = absl::StrReplaceAll(text, {{grant, "indicators: \"*\"\n    breakdowns: \"*\""}});
  auto leaky = policy::ParsePolicyUnchecked(text, "leaky");
  ASSERT_TRUE(leaky.ok()) << leaky.status();
  ASSERT_FALSE(policy::ParsePolicy(text, "leaky").ok());

  node::SubmitRoundOptions options;
  options.la_code = kLa;
  options.year = kYear;
  options.ledger_path = dir_ + "/ledger-leaky.sqlite";
  options.timeout = absl::Seconds(10);
  options.policy = *leaky;
  crypto::OpenSslRandomSource rng;
  Capture capture;
  bool computed = false;
  auto round = node::RunSubmitRound(
      options,
      [&computed]() -> absl::StatusOr<std::vector<int64_t>> {
        computed = true;
        return absl::InternalError("must not be called");
      },
      rng, CapturingChannel(&capture), nullptr);
  EXPECT_EQ(round.status().code(), absl::StatusCode::kFailedPrecondition) << round.status();
  EXPECT_FALSE(computed);
  EXPECT_TRUE(capture.messages.empty());

  // And a round with no policy at all.
  options.policy = policy::Policy();
  round = node::RunSubmitRound(
      options,
      [&computed]() -> absl::StatusOr<std::vector<int64_t>> {
        computed = true;
        return absl::InternalError("must not be called");
      },
      rng, CapturingChannel(&capture), nullptr);
  EXPECT_EQ(round.status().code(), absl::StatusCode::kFailedPrecondition) << round.status();
  EXPECT_FALSE(computed);
  EXPECT_TRUE(capture.messages.empty());
}

TEST_F(EgressTest, TheLeakSearchFindsAChildIdPlantedInAMessage) {
  const std::set<std::string> secrets = Secrets(dir_ + "/data/" + kLa);
  std::string child;
  for (const std::string& s : secrets) {
    if (s.find('/') == std::string::npos && s.size() >= 6 && s.find(' ') == std::string::npos) {
      child = s;
      break;
    }
  }
  ASSERT_FALSE(child.empty());
  Capture capture;
  node::CoordinatorClient client(CapturingChannel(&capture));
  v1::SubmitRequest planted;
  planted.set_la_code(child);  // what a leaking implementation might do
  (void)client.Submit(planted, absl::Seconds(10));
  EXPECT_THAT(Leaks(capture.wire, secrets), ::testing::Contains(child));
}

}  // namespace
}  // namespace ringfence
