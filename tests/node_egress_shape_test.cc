// Egress shape (issue 6): "the size and number of messages a node sends do not depend on its
// data". Under one policy, very different LAs run a real submission round (node::RunSubmitRound:
// load, count, protect, record in the ledger, send to a real coordinator over mutual TLS), and a
// client interceptor records every message and metadata entry as gRPC serializes them, before
// TLS. Every round must send the same number of messages (one), each of exactly the same size,
// with initial metadata of the same size (the node adds none today; gRPC's own headers, such as
// the method path, are the same for every call).
//
// The datasets: `ringfence synth` output for a typical LA, for a very large LA at 20 times the
// usual volume and for a tiny one at a twentieth; hand-made folders with exactly one child
// looked after and with no child looked after at all; and a grid of 999,999,000 in every cell
// (no real LA has it: about the widest value the coordinator accepts, +/-10^9, so values that
// a variable-width encoding would write in five bytes instead of one). A resent round (read
// back from the ledger) is checked too.
//
// Controls, so that the test is known to have teeth: the same check fails for a round under a
// policy that sends fewer histograms (the size does change with the policy), and a variable-
// width encoding of the same captured cells (values left out when zero, as proto3 does for
// fields without presence) would give different sizes for these datasets, so they differ in
// the ways that a data-dependent encoding would show.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "catalogue/catalogue.h"
#include "crypto/random_source.h"
#include "crypto/tls_credentials.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/client_interceptor.h"
#include "gtest/gtest.h"
#include "node/grid.h"
#include "node/loader.h"
#include "node/round.h"
#include "node/testing/la_folder.h"
#include "policy/firewall.h"
#include "policy/policy.h"
#include "policy/testing/policy_text.h"
#include "proto/cells.pb.h"
#include "tests/testing/collections.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/wire_capture.h"

namespace ringfence {
namespace {

using ::ringfence::node::testing::Episode;
using ::ringfence::node::testing::EpisodesCsv;
using ::ringfence::node::testing::HeaderCsv;
using ::ringfence::node::testing::HeaderRow;
using ::ringfence::node::testing::TableCsv;
using ::ringfence::node::testing::TempFolder;
// What one round put on the wire, as gRPC serialized it.
using Capture = testing::WireCapture;
using testing::BinaryPath;
using testing::ReadFileOrEmpty;
using testing::RunCommand;
using testing::RunResult;

constexpr int kYear = 2025;


// The shape of what a round sent: the initial metadata's size, then each message's size.
std::vector<size_t> ShapeOf(Capture& c) {
  std::lock_guard<std::mutex> lock(c.mu);
  std::vector<size_t> shape = {c.metadata_bytes};
  for (const std::string& m : c.messages) shape.push_back(m.size());
  return shape;
}

policy::Policy ShippedPolicy() {
  auto p = policy::ParsePolicy(policy::testing::ShippedPolicyText(), "shipped");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : policy::Policy();
}

// The shipped policy with no class receiving the nrpf breakdown: one histogram fewer sent.
policy::Policy PolicyWithoutNrpf() {
  std::string text = policy::testing::ShippedPolicyText();
  std::string but_nrpf;
  for (const catalogue::Breakdown& b : catalogue::AllBreakdowns()) {
    if (b.name != "nrpf") absl::StrAppend(&but_nrpf, "breakdowns: \"", b.name, "\" ");
  }
  EXPECT_NE(text.find("breakdowns: \"*\""), std::string::npos);
  text = absl::StrReplaceAll(text, {{"breakdowns: \"*\"", but_nrpf}});
  auto p = policy::ParsePolicy(text, "no-nrpf");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : policy::Policy();
}

// One LA's input: a folder for the node's loader, or (folder empty) a fixed exact value in
// every cell.
struct Dataset {
  std::string name;
  std::string la;
  std::string folder;
  int64_t fixed_value = 0;
};

// LAs (all distinct, so each round is a new submission to the coordinator).
constexpr char kTypicalLa[] = "E09000033";  // Westminster, synth scale 1
constexpr char kHugeLa[] = "E10000016";     // Kent, synth scale 20
constexpr char kTinyLa[] = "E06000017";     // Rutland, synth scale 0.05
constexpr char kOneChildLa[] = "E06000001";
constexpr char kNoChildLa[] = "E06000002";
constexpr char kExtremeLa[] = "E09000001";
constexpr char kControlLa[] = "E06000005";

class EgressShapeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("ringfence-shape"));
    const std::string& d = *dir_;
    struct Synth {
      const char* la;
      const char* seed;
      const char* scale;
    };
    for (const Synth& s :
         {Synth{kTypicalLa, "1", "1"}, Synth{kHugeLa, "2", "20"}, Synth{kTinyLa, "3", "0.05"}}) {
      RunResult r =
          RunCommand({BinaryPath("ringfence"), "synth", "--la", s.la, "--year", absl::StrCat(kYear),
                      "--seed", s.seed, "--scale", s.scale, "--out", d + "/synth-" + s.la},
                     600);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    folders_ = new std::vector<TempFolder>;
    // Exactly one child looked after at 31 March, with a sensitive row.
    {
      auto f = TempFolder::Create();
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE(f->Write("header.csv", HeaderCsv({HeaderRow{"C1", "F", "01/06/2012"}})).ok());
      ASSERT_TRUE(f->Write("episodes.csv", EpisodesCsv({Episode("C1", "01/01/2024")})).ok());
      ASSERT_TRUE(
          f->Write("sensitive.csv", TableCsv(node::Table::kSensitive, {{"C1", "ERI", "", ""}}))
              .ok());
      folders_->push_back(*std::move(f));
    }
    // No child looked after: one child in the Header table and no episode at all.
    {
      auto f = TempFolder::Create();
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE(f->Write("header.csv", HeaderCsv({HeaderRow{"C1", "M", "01/06/2010"}})).ok());
      folders_->push_back(*std::move(f));
    }
    const std::vector<std::string> las = {kTypicalLa, kHugeLa,    kTinyLa,   kOneChildLa,
                                          kNoChildLa, kExtremeLa, kControlLa};
    RunResult r = RunCommand({BinaryPath("ringfence"), "pki", "init", "--out", d + "/pki", "--la",
                              absl::StrJoin(las, ",")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    testing::RunningCoordinator c =
        testing::StartCoordinator(d, policy::testing::ShippedPolicyPath());
    ASSERT_FALSE(c.address.empty()) << ReadFileOrEmpty(d + "/coordinator.log");
    coordinator_ = c.process.release();
    address_ = new std::string(c.address);
    absl::StatusOr<v1::Collection> opened = testing::OpenAnnualCollection(
        testing::CollectionAdminTarget{c.address, d + "/pki"}, kYear, las);
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
    delete folders_;
    folders_ = nullptr;
  }

  static std::vector<Dataset> Datasets() {
    const std::string& d = *dir_;
    return {
        {"typical (synth, scale 1)", kTypicalLa, d + "/synth-" + kTypicalLa + "/" + kTypicalLa},
        {"huge (synth, scale 20)", kHugeLa, d + "/synth-" + kHugeLa + "/" + kHugeLa},
        {"tiny (synth, scale 0.05)", kTinyLa, d + "/synth-" + kTinyLa + "/" + kTinyLa},
        {"one child looked after", kOneChildLa, (*folders_)[0].path()},
        {"no child looked after", kNoChildLa, (*folders_)[1].path()},
        {"999,999,000 in every cell", kExtremeLa, "", int64_t{999999000}},
    };
  }

  static std::shared_ptr<grpc::Channel> CapturingChannel(const std::string& la, Capture* sink) {
    const std::string& d = *dir_;
    auto tls = crypto::LoadTlsMaterial(d + "/pki/ca.pem", d + "/pki/la/" + la + ".pem",
                                       d + "/pki/la/" + la + ".key");
    EXPECT_TRUE(tls.ok()) << tls.status();
    return testing::CapturingChannel(*address_, crypto::MakeChannelCredentials(*tls), sink);
  }

  // The exact grid of `data` through the node's own loader (or the fixed value).
  static absl::StatusOr<std::vector<int64_t>> ExactGrid(const Dataset& data) {
    if (data.folder.empty()) {
      return std::vector<int64_t>(catalogue::GridCells().size(), data.fixed_value);
    }
    node::LoadOptions opts;
    opts.dir = data.folder;
    opts.la_code = data.la;
    opts.year = kYear;
    auto loaded = node::LoadLaFolder(opts);
    if (!loaded.ok()) return loaded.status();
    return node::ComputeExactGrid(*loaded, kYear);
  }

  // Runs a real round for `data` under `policy` with its own ledger, capturing what it sends.
  // `exact_cla` receives the exact number of children looked after (cla/total/total).
  static absl::Status Round(const Dataset& data, const policy::Policy& policy,
                            const std::string& ledger, Capture* capture,
                            int64_t* exact_cla = nullptr) {
    node::SubmitRoundOptions options;
    options.la_code = data.la;
    options.year = kYear;
    options.policy = policy;
    options.ledger_path = ledger;
    options.timeout = absl::Seconds(30);
    crypto::OpenSslRandomSource rng;
    const int cla_total = catalogue::CellIndex({"cla", "total", "total"});
    auto compute = [&]() -> absl::StatusOr<std::vector<int64_t>> {
      auto exact = ExactGrid(data);
      if (exact.ok() && exact_cla != nullptr) *exact_cla = (*exact)[cla_total];
      return exact;
    };
    return node::RunSubmitRound(options, compute, rng, CapturingChannel(data.la, capture), nullptr)
        .status();
  }

  static std::string Ledger(const std::string& name) {
    return *dir_ + "/ledger-" + name + ".sqlite";
  }

  static std::string* dir_;
  static std::string* address_;
  static std::vector<TempFolder>* folders_;
  static testing::BackgroundProcess* coordinator_;
};

std::string* EgressShapeTest::dir_ = nullptr;
std::string* EgressShapeTest::address_ = nullptr;
std::vector<TempFolder>* EgressShapeTest::folders_ = nullptr;
testing::BackgroundProcess* EgressShapeTest::coordinator_ = nullptr;

// A variable-width re-encoding of a captured request: a value field is left out when zero (or
// false), and the rounded value of a suppressed cell is left out, as an encoding without
// presence would do. Only for the control below; the node never does this.
size_t NaiveSize(const std::string& message) {
  v1::SubmitRequest req;
  EXPECT_TRUE(req.ParseFromString(message));
  for (v1::ProtectedCell& c : *req.mutable_cells()) {
    if (c.noisy_value() == 0) c.clear_noisy_value();
    if (!c.suppressed()) c.clear_suppressed();
    if (c.suppressed() || c.rounded_value() == 0) c.clear_rounded_value();
  }
  return req.ByteSizeLong();
}

TEST_F(EgressShapeTest, EveryLaSendsTheSameNumberOfMessagesOfTheSameSize) {
  const policy::Policy policy = ShippedPolicy();
  std::map<std::string, std::vector<size_t>> shapes;
  std::map<std::string, int64_t> cla;
  std::map<std::string, size_t> naive;
  for (const Dataset& data : Datasets()) {
    SCOPED_TRACE(data.name);
    Capture capture;
    int64_t exact_cla = -1;
    absl::Status s = Round(data, policy, Ledger(data.la), &capture, &exact_cla);
    ASSERT_TRUE(s.ok()) << data.name << ": " << s << "\ncoordinator log:\n"
                        << ReadFileOrEmpty(*dir_ + "/coordinator.log");
    shapes[data.name] = ShapeOf(capture);
    cla[data.name] = exact_cla;
    ASSERT_EQ(capture.messages.size(), 1u) << "one round, one unary call, one message";
    v1::SubmitRequest sent;
    ASSERT_TRUE(sent.ParseFromString(capture.messages[0]));
    EXPECT_EQ(sent.la_code(), data.la);
    EXPECT_EQ(sent.policy_digest(), policy.digest);
    EXPECT_EQ(sent.cells_size(), static_cast<int>(policy::SendableCells(policy).size()));
    naive[data.name] = NaiveSize(capture.messages[0]);
  }

  // The datasets really are very different.
  EXPECT_EQ(cla["no child looked after"], 0);
  EXPECT_EQ(cla["one child looked after"], 1);
  EXPECT_GT(cla["huge (synth, scale 20)"], 10 * cla["typical (synth, scale 1)"]);
  EXPECT_GT(cla["typical (synth, scale 1)"], 10 * cla["tiny (synth, scale 0.05)"]);
  EXPECT_EQ(cla["999,999,000 in every cell"], 999999000);

  const std::vector<size_t>& reference = shapes.begin()->second;
  for (const auto& [name, shape] : shapes) {
    EXPECT_EQ(shape, reference) << name << " sent a different shape from " << shapes.begin()->first;
  }

  // Resending a recorded round sends the same shape again.
  const Dataset typical = Datasets()[0];
  Capture resend;
  ASSERT_TRUE(Round(typical, policy, Ledger(typical.la), &resend).ok());
  EXPECT_EQ(ShapeOf(resend), reference);

  // Control: had the encoding depended on the values, these datasets would have shown it.
  std::set<size_t> naive_sizes;
  for (const auto& [name, size] : naive) naive_sizes.insert(size);
  EXPECT_GT(naive_sizes.size(), 2u) << "the datasets should differ in what a value-dependent "
                                       "encoding would reveal";
}

TEST_F(EgressShapeTest, TheShapeCheckSeesAPolicyThatSendsLess) {
  // Control: the same data under a policy that sends one histogram fewer gives a different
  // size, so the comparison above can fail. (The coordinator, running the shipped policy,
  // refuses this submission; the message has left the node by then, which is what is
  // compared.)
  const policy::Policy shipped = ShippedPolicy();
  const policy::Policy fewer = PolicyWithoutNrpf();
  ASSERT_EQ(policy::SendableHistogramCount(fewer), policy::SendableHistogramCount(shipped) - 1);
  const Dataset data{"control", kControlLa, "", 7};
  Capture under_shipped, under_fewer;
  ASSERT_TRUE(Round(data, shipped, Ledger("control-shipped"), &under_shipped).ok());
  (void)Round(data, fewer, Ledger("control-fewer"), &under_fewer);
  const std::vector<size_t> a = ShapeOf(under_shipped);
  const std::vector<size_t> b = ShapeOf(under_fewer);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NE(a, b);
  EXPECT_LT(b[1], a[1]);
}

}  // namespace
}  // namespace ringfence
