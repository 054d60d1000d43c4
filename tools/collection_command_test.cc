// `ringfence collection`: flag parsing of `open`, the --expect-file format, collection ids, and
// the status table and summary line on hand-made CollectionStatus messages. The calls to a
// real coordinator are covered by tests/collection_e2e_test.cc.
#include "tools/collection_command.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/collection_id.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::IsOkAndHolds;
using ::ringfence::testing::StatusIs;
using ::ringfence::v1::Collection;
using ::ringfence::v1::CollectionStatus;
using ::ringfence::v1::LaCollectionStatus;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// 2025-06-30T17:00:00Z
constexpr int64_t kDeadline = 1751302800;

std::vector<std::string> Open(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--coordinator", "127.0.0.1:1", "--cert", "op.pem",
                                   "--key",         "op.key",      "--ca",   "ca.pem"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(OpenRequestTest, AnAnnualCollectionNeedsNoWindow) {
  absl::StatusOr<v1::OpenCollectionRequest> r =
      OpenRequestFromArgs(Open({"--year", "2025", "--period", "annual", "--deadline",
                                "2025-06-30T17:00:00Z", "--expect", "E09000033, E08000025"}));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->year(), 2025);
  EXPECT_EQ(r->period(), v1::ANNUAL);
  EXPECT_EQ(r->period_start(), "");
  EXPECT_EQ(r->deadline_unix_seconds(), kDeadline);
  EXPECT_THAT(r->expected_la_codes(), ElementsAre("E08000025", "E09000033"));  // sorted
}

TEST(OpenRequestTest, AQuarterCarriesItsWindowAndADeadlineWithAnOffset) {
  absl::StatusOr<v1::OpenCollectionRequest> r = OpenRequestFromArgs(Open(
      {"--year", "2025", "--period", "quarterly", "--period-start", "2024-10-01", "--period-end",
       "2024-12-31", "--deadline", "2025-06-30T18:00:00+01:00", "--expect", "E09000033"}));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->period(), v1::QUARTERLY);
  EXPECT_EQ(r->period_start(), "2024-10-01");
  EXPECT_EQ(r->period_end(), "2024-12-31");
  EXPECT_EQ(r->deadline_unix_seconds(), kDeadline);
}

TEST(OpenRequestTest, ExpectAllNamesEveryLaOfEngland) {
  absl::StatusOr<v1::OpenCollectionRequest> r =
      OpenRequestFromArgs(Open({"--year", "2025", "--period", "annual", "--deadline",
                                "2025-06-30T17:00:00Z", "--expect-all"}));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->expected_la_codes_size(), 153);
}

// The message of OpenRequestFromArgs for these extra flags (after a valid connection).
std::string OpenError(std::vector<std::string> extra) {
  absl::StatusOr<v1::OpenCollectionRequest> r = OpenRequestFromArgs(Open(std::move(extra)));
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  return r.ok() ? "" : std::string(r.status().message());
}

TEST(OpenRequestTest, BadFlagsAreRefusedNamingTheFlagAndWhatWasExpected) {
  const std::vector<std::string> ok_deadline = {"--deadline", "2025-06-30T17:00:00Z"};
  auto with = [&](std::vector<std::string> a, bool deadline = true) {
    if (deadline) a.insert(a.end(), ok_deadline.begin(), ok_deadline.end());
    return a;
  };
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "monthly", "--expect", "E09000033"})),
              AllOf(HasSubstr("--period"), HasSubstr("'monthly'"),
                    HasSubstr("annual, half-year or quarterly")));
  EXPECT_THAT(OpenError(with({"--year", "1999", "--period", "annual", "--expect", "E09000033"})),
              HasSubstr("--year"));
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "quarterly", "--expect", "E09000033"})),
              AllOf(HasSubstr("--period-start and --period-end are required"),
                    HasSubstr("2025-q3 2024-10-01..2024-12-31")));
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "half-year", "--expect", "E09000033"})),
              HasSubstr("2025-h2 2024-10-01..2025-03-31"));
  EXPECT_THAT(
      OpenError(with({"--year", "2025", "--period", "quarterly", "--period-start", "2024-10-01",
                      "--period-end", "2024-12-32", "--expect", "E09000033"})),
      AllOf(HasSubstr("--period-end"), HasSubstr("'2024-12-32'"), HasSubstr("YYYY-MM-DD")));
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "annual", "--period-start",
                              "2024-04-01", "--expect", "E09000033"})),
              HasSubstr("both --period-start and --period-end"));
  EXPECT_THAT(
      OpenError({"--year", "2025", "--period", "annual", "--deadline", "30/06/2025", "--expect",
                 "E09000033"}),
      AllOf(HasSubstr("--deadline"), HasSubstr("'30/06/2025'"), HasSubstr("2025-06-30T17:00:00Z")));
  EXPECT_THAT(OpenError({"--year", "2025", "--period", "annual", "--deadline",
                         "2025-06-30T17:00:00", "--expect", "E09000033"}),
              HasSubstr("--deadline"));  // no offset: ambiguous
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "annual"})),
              HasSubstr("give exactly one of --expect"));
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "annual", "--expect", "E09000033",
                              "--expect-all"})),
              HasSubstr("give exactly one of --expect"));
  EXPECT_THAT(
      OpenError(with({"--year", "2025", "--period", "annual", "--expect", "E09000033,E99999999"})),
      AllOf(HasSubstr("--expect"), HasSubstr("'E99999999'"), HasSubstr("153 LAs")));
  EXPECT_THAT(
      OpenError(with({"--year", "2025", "--period", "annual", "--expect", "E09000033,E09000033"})),
      HasSubstr("E09000033 is repeated"));
  EXPECT_THAT(OpenError(with({"--year", "2025", "--period", "annual", "--expect", "E09000033,"})),
              HasSubstr("empty LA code"));
  EXPECT_THAT(OpenError(with({"--year", "2025", "--expect", "E09000033"})),
              HasSubstr("--period"));  // missing required flag
}

TEST(OpenRequestTest, AnUnreadableExpectFileIsNamed) {
  absl::StatusOr<v1::OpenCollectionRequest> r = OpenRequestFromArgs(
      Open({"--year", "2025", "--period", "annual", "--deadline", "2025-06-30T17:00:00Z",
            "--expect-file", "/nonexistent/expected.txt"}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              AllOf(HasSubstr("--expect-file"), HasSubstr("/nonexistent/expected.txt")));
}

TEST(OpenRequestTest, AnExpectFileIsReadThroughTheFlag) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/", ::getpid(), "_collection_expected.txt");
  ASSERT_THAT(base::WriteFileAtomically(path, "# London\nE09000033\nE08000025  # Birmingham\n"),
              IsOk());
  absl::StatusOr<v1::OpenCollectionRequest> r =
      OpenRequestFromArgs(Open({"--year", "2025", "--period", "annual", "--deadline",
                                "2025-06-30T17:00:00Z", "--expect-file", path}));
  ::unlink(path.c_str());
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->expected_la_codes(), ElementsAre("E08000025", "E09000033"));
}

TEST(ExpectFileTest, CommentsAndBlankLinesAreSkippedAndErrorsNameTheLine) {
  absl::StatusOr<std::vector<std::string>> codes =
      ParseExpectFile("# expected\n\nE09000033\n  E06000047 # Durham\r\n", "las.txt");
  ASSERT_THAT(codes, IsOk());
  EXPECT_THAT(*codes, ElementsAre("E06000047", "E09000033"));

  EXPECT_THAT(ParseExpectFile("E09000033\nE09000034\n", "las.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("las.txt:2: 'E09000034'")));
  EXPECT_THAT(
      ParseExpectFile("E09000033\n# x\nE09000033\n", "las.txt"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("las.txt:3: E09000033 is repeated")));
  EXPECT_THAT(
      ParseExpectFile("E09000033 E08000025\n", "las.txt"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("las.txt:1: one LA code per line")));
  EXPECT_THAT(ParseExpectFile("# nobody\n\n", "las.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("las.txt: no LA code")));
}

TEST(Rfc3339Test, ParsesUtcAndOffsetsAndRefusesTheRest) {
  EXPECT_THAT(ParseRfc3339("2025-06-30T17:00:00Z"), IsOkAndHolds(kDeadline));
  EXPECT_THAT(ParseRfc3339("2025-06-30T12:00:00-05:00"), IsOkAndHolds(kDeadline));
  EXPECT_THAT(ParseRfc3339("2025-06-30"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRfc3339("tomorrow"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CollectionIdTest, AcceptsTheSevenWindowsAndNothingElse) {
  for (const char* id : {"2025-annual", "2025-h1", "2025-h2", "2025-q1", "2025-q4"}) {
    EXPECT_THAT(ParseCollectionId(id), IsOk()) << id;
  }
  absl::StatusOr<CollectionId> q3 = ParseCollectionId("2026-q3");
  ASSERT_THAT(q3, IsOk());
  EXPECT_EQ(q3->year, 2026);
  EXPECT_EQ(q3->window, "q3");
  for (const char* id : {"", "2025", "2025-q5", "2025-Annual", "25-annual", "2025_annual",
                         "2025-annual ", "abcd-annual"}) {
    EXPECT_THAT(ParseCollectionId(id),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("YYYY-annual")))
        << id;
  }
}

// --- the status table -----------------------------------------------------------------------

LaCollectionStatus La(const std::string& code, const std::string& name,
                      LaCollectionStatus::State state) {
  LaCollectionStatus la;
  la.set_la_code(code);
  la.set_la_name(name);
  la.set_state(state);
  return la;
}

CollectionStatus HandMadeStatus() {
  CollectionStatus s;
  Collection* c = s.mutable_collection();
  c->set_collection_id("2025-annual");
  c->set_year(2025);
  c->set_period(v1::ANNUAL);
  c->set_period_start("2024-04-01");
  c->set_period_end("2025-03-31");
  c->set_deadline_unix_seconds(kDeadline);
  c->set_state(Collection::OPEN);
  for (const char* code : {"E06000047", "E08000025", "E09000001", "E09000033", "E10000002"}) {
    c->add_expected_la_codes(code);
  }
  // Durham submitted on time.
  LaCollectionStatus durham = La("E06000047", "County Durham", LaCollectionStatus::SUBMITTED);
  durham.set_submitted_at_unix_seconds(kDeadline - 3600);  // 16:00:00
  durham.set_receipt("r1");
  durham.set_node_state(v1::SUBMITTED);
  durham.set_node_state_at_unix_seconds(kDeadline - 3600);
  *s.add_las() = durham;
  // Birmingham submitted after the deadline.
  LaCollectionStatus brum = La("E08000025", "Birmingham", LaCollectionStatus::SUBMITTED);
  brum.set_submitted_at_unix_seconds(kDeadline + 90);
  brum.set_late(true);
  *s.add_las() = brum;
  // City of London: refused.
  LaCollectionStatus city = La("E09000001", "City of London", LaCollectionStatus::REFUSED);
  city.set_refusal_code("FAILED_PRECONDITION");
  city.set_refusal_reason("policy digest 0123456789ab is not the coordinator's");
  city.set_refused_at_unix_seconds(kDeadline - 60);
  city.set_node_state(v1::POLICY_MISMATCH);
  city.set_node_state_at_unix_seconds(kDeadline - 61);
  *s.add_las() = city;
  // Westminster: not started; its node is computing. No name from the coordinator: the
  // registry's is shown.
  LaCollectionStatus wm = La("E09000033", "", LaCollectionStatus::NOT_STARTED);
  wm.set_node_state(v1::COMPUTING);
  wm.set_node_state_at_unix_seconds(kDeadline - 30);
  *s.add_las() = wm;
  // Buckinghamshire: not started, no node report.
  *s.add_las() = La("E10000002", "Buckinghamshire", LaCollectionStatus::NOT_STARTED);
  s.set_submitted(2);
  s.set_refused(1);
  s.set_not_started(2);
  s.set_now_unix_seconds(kDeadline + 100);
  return s;
}

TEST(CollectionStatusFormatTest, TheSummaryLineCountsFromTheRows) {
  EXPECT_EQ(CollectionSummaryLine(HandMadeStatus()),
            "2025-annual: 2/5 submitted (1 late), 1 refused, 2 not started, deadline "
            "2025-06-30 17:00 UTC (open)");
  CollectionStatus closed = HandMadeStatus();
  closed.mutable_collection()->set_state(Collection::CLOSED);
  closed.mutable_las(4)->set_state(LaCollectionStatus::LATE);
  EXPECT_EQ(CollectionSummaryLine(closed),
            "2025-annual: 2/5 submitted (1 late), 1 refused, 1 not started, 1 missing, "
            "deadline 2025-06-30 17:00 UTC (closed)");
}

TEST(CollectionStatusFormatTest, TheTableHasOneAlignedRowPerLaThenTheSummary) {
  const std::string text = FormatCollectionStatus(HandMadeStatus());
  const std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 7u) << text;
  EXPECT_EQ(lines[0],
            "LA         NAME             STATE        AT (UTC)             LATE  NODE          "
            "                         REFUSAL");
  EXPECT_EQ(lines[1],
            "E06000047  County Durham    submitted    2025-06-30 16:00:00  -     submitted "
            "(2025-06-30 16:00:00)");
  EXPECT_EQ(lines[2], "E08000025  Birmingham       submitted    2025-06-30 17:01:30  late  -");
  EXPECT_EQ(lines[3],
            "E09000001  City of London   refused      2025-06-30 16:59:00  -     policy "
            "mismatch (2025-06-30 16:58:59)  FAILED_PRECONDITION: policy digest 0123456789ab "
            "is not the coordinator's");
  EXPECT_EQ(lines[4],
            "E09000033  Westminster      not started  -                    -     computing "
            "(2025-06-30 16:59:30)");
  EXPECT_EQ(lines[5], "E10000002  Buckinghamshire  not started  -                    -     -");
  EXPECT_EQ(lines[6], CollectionSummaryLine(HandMadeStatus()));
}

TEST(CollectionStatusFormatTest, ControlCharactersFromTheCoordinatorAreNotPrinted) {
  CollectionStatus s = HandMadeStatus();
  s.mutable_las(2)->set_refusal_reason("bad\x1b[2Jthing\nnext");
  const std::string text = FormatCollectionStatus(s);
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  EXPECT_THAT(text, HasSubstr("bad?[2Jthing?next"));
}

TEST(CollectionStatusFormatTest, AllSubmittedOnlyWhenEveryExpectedLaHasSubmitted) {
  CollectionStatus s = HandMadeStatus();
  EXPECT_FALSE(AllSubmitted(s));
  for (LaCollectionStatus& la : *s.mutable_las()) la.set_state(LaCollectionStatus::SUBMITTED);
  EXPECT_TRUE(AllSubmitted(s));
  s.mutable_las()->RemoveLast();  // a row missing for an expected LA
  EXPECT_FALSE(AllSubmitted(s));
  EXPECT_FALSE(AllSubmitted(CollectionStatus()));
}

TEST(CollectionFormatTest, ACollectionAndAListArePrintedWithTheirWindowsAndDeadlines) {
  Collection c = HandMadeStatus().collection();
  c.set_opened_at_unix_seconds(kDeadline - 86400);
  c.set_opened_by("urn:ringfence:operator:ops1");
  EXPECT_EQ(FormatCollection(c),
            "collection 2025-annual (open)\n"
            "  period:    annual 2024-04-01 .. 2025-03-31\n"
            "  deadline:  2025-06-30 17:00 UTC\n"
            "  expected:  5 LAs: E06000047, E08000025, E09000001, E09000033, E10000002\n"
            "  opened:    2025-06-29 17:00 UTC by urn:ringfence:operator:ops1\n");
  Collection q = c;
  q.set_collection_id("2025-q3");
  q.set_period(v1::QUARTERLY);
  q.set_period_start("2024-10-01");
  q.set_period_end("2024-12-31");
  q.set_state(Collection::CLOSED);
  EXPECT_EQ(FormatCollectionList({c, q}),
            "COLLECTION   STATE   PERIOD     WINDOW                  DEADLINE              "
            "EXPECTED\n"
            "2025-annual  open    annual     2024-04-01..2025-03-31  2025-06-30 17:00 UTC  5\n"
            "2025-q3      closed  quarterly  2024-10-01..2024-12-31  2025-06-30 17:00 UTC  5\n");
  EXPECT_EQ(FormatCollectionList({}), "no collections\n");
}

TEST(CollectionCommandTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCollectionCommand({}), 2);
  EXPECT_EQ(RunCollectionCommand({"reopen"}), 2);
  EXPECT_EQ(RunCollectionCommand({"--help"}), 0);
  EXPECT_EQ(RunCollectionCommand({"status", "--help"}), 0);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunCollectionCommand([] {
              std::vector<std::string> a = Open({"--collection", "2025-annual"});
              a.insert(a.begin(), "open");  // open has no --collection, and no --year
              return a;
            }()),
            2);
  EXPECT_EQ(RunCollectionCommand([] {
              std::vector<std::string> a = Open({"--collection", "2025-yearly"});
              a.insert(a.begin(), "close");
              return a;
            }()),
            2);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("--collection: '2025-yearly' is not a collection id"));
  std::vector<std::string> poll_without_wait =
      Open({"--collection", "2025-annual", "--poll-seconds", "5"});
  poll_without_wait.insert(poll_without_wait.begin(), "status");
  EXPECT_EQ(RunCollectionCommand(poll_without_wait), 2);
}

TEST(CollectionCommandTest, MissingKeyMaterialExitsOne) {
  std::vector<std::string> a = Open({"--collection", "2025-annual"});
  a.insert(a.begin(), "close");
  EXPECT_EQ(RunCollectionCommand(a), 1);  // op.pem does not exist
}

}  // namespace
}  // namespace ringfence::tools
