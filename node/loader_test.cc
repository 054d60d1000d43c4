#include "node/loader.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/testing/la_folder.h"

namespace ringfence::node {
namespace {

using ::ringfence::node::testing::Episode;
using ::ringfence::node::testing::EpisodeRow;
using ::ringfence::node::testing::EpisodesCsv;
using ::ringfence::node::testing::HeaderCsv;
using ::ringfence::node::testing::HeaderRow;
using ::ringfence::node::testing::TableCsv;
using ::ringfence::node::testing::TempFolder;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempFolder> dir = TempFolder::Create();
    ASSERT_THAT(dir, IsOk());
    dir_ = std::make_unique<TempFolder>(*std::move(dir));
  }

  void Write(const std::string& name, const std::string& contents) {
    ASSERT_THAT(dir_->Write(name, contents), IsOk());
  }

  absl::StatusOr<LaData> Load(int year = 2025, int max_errors = 50) {
    LoadOptions opts;
    opts.dir = dir_->path();
    opts.la_code = "E09000033";
    opts.year = year;
    opts.max_errors = max_errors;
    return LoadLaFolder(opts, &report_);
  }

  std::vector<std::string> ErrorLines() const {
    std::vector<std::string> lines;
    for (const ValidationError& e : report_.errors) lines.push_back(e.ToString());
    return lines;
  }

  // Loads, expects failure, and expects an error line starting with `prefix` both in the
  // report and in the status message.
  void ExpectError(const std::string& prefix, int year = 2025) {
    absl::StatusOr<LaData> data = Load(year);
    ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ErrorLines(), ::testing::Contains(StartsWith(prefix)))
        << absl::StrJoin(ErrorLines(), "\n");
    const std::string message(data.status().message());
    EXPECT_TRUE(absl::StartsWith(message, prefix) ||
                absl::StrContains(message, absl::StrCat("\n", prefix)))
        << message;
  }

  std::unique_ptr<TempFolder> dir_;
  ValidationReport report_;
};

// ---- Happy paths -----------------------------------------------------------------------------

TEST_F(LoaderTest, LoadsAllParsedTables) {
  Write("header.csv", HeaderCsv({{"A", "M", "01/06/2015", "WBRI"},
                                 {"B", "F", "29/02/2012", "CHNE"},
                                 {"C", "U", "31/03/2024", "NOBT"}}));
  EpisodeRow e1 = Episode("A", "01/05/2023", "10/10/2023", "X1");
  e1.home_post = "sw1a 1aa";
  e1.pl_post = " SW1A1AA ";
  EpisodeRow e2 = Episode("A", "10/10/2023");
  e2.rne = "P";
  e2.place = "K2";
  e2.ls = "C1";
  e2.cin = "N4";
  Write("episodes.csv", EpisodesCsv({e1, e2, Episode("B", "01/01/2025")}));
  Write("uasc.csv", TableCsv(Table::kUasc, {{"B", "F", "29/02/2012", "ZZ/ZZ/ZZZZ"},
                                            {"C", "U", "31/03/2024", "01/04/2042"}}));
  Write("sensitive.csv",
        TableCsv(Table::kSensitive, {{"A", "GBR", "BRITISH", "N"}, {"B", "ERI", "", ""}}));

  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->la_code, "E09000033");
  EXPECT_EQ(data->year, 2025);
  ASSERT_EQ(data->children.size(), 3u);
  EXPECT_EQ(data->child_ids.Find("A"), 0);
  EXPECT_EQ(data->child_ids.Find("C"), 2);
  EXPECT_EQ(data->child_ids.Get(1), "B");
  EXPECT_EQ(data->children[1].sex, Sex::kFemale);
  EXPECT_EQ(data->children[1].dob, Date::FromYmd(2012, 2, 29).value());
  EXPECT_EQ(data->children[1].ethnicity, Ethnicity::kCHNE);
  EXPECT_EQ(data->children[2].sex, Sex::kUnknown);
  EXPECT_EQ(data->children[0].line, 2);

  ASSERT_EQ(data->episodes.size(), 3u);
  const EpisodeRecord& a1 = data->episodes[0];
  EXPECT_EQ(a1.child, 0);
  EXPECT_EQ(a1.decom, Date::FromYmd(2023, 5, 1).value());
  EXPECT_EQ(a1.dec, Date::FromYmd(2023, 10, 10).value());
  EXPECT_EQ(a1.rec, ReasonCeased::kX1);
  EXPECT_EQ(a1.line, 2);
  EXPECT_NE(a1.home_post, kNoPostcode);
  EXPECT_EQ(a1.home_post, a1.pl_post);  // both normalise to SW1A1AA
  EXPECT_EQ(data->postcodes.Get(a1.home_post), "SW1A1AA");
  const EpisodeRecord& a2 = data->episodes[1];
  EXPECT_TRUE(a2.dec.is_blank());
  EXPECT_FALSE(a2.rec.has_value());
  EXPECT_EQ(a2.rne, ReasonNewEpisode::kP);
  EXPECT_EQ(a2.ls, LegalStatus::kC1);
  EXPECT_EQ(a2.cin, CategoryOfNeed::kN4);
  EXPECT_EQ(a2.place, Placement::kK2);
  EXPECT_EQ(a2.home_post, kNoPostcode);

  ASSERT_EQ(data->uasc.size(), 2u);
  EXPECT_TRUE(data->uasc[0].duc_masked);
  EXPECT_TRUE(data->uasc[0].duc.is_blank());
  EXPECT_FALSE(data->uasc[1].duc_masked);
  EXPECT_EQ(data->uasc[1].duc, Date::FromYmd(2042, 4, 1).value());

  ASSERT_EQ(data->sensitive.size(), 2u);
  EXPECT_EQ(data->sensitive[0].nationality, NationalityGroup::kBritish);
  EXPECT_EQ(data->sensitive[0].immigration_status, ImmigrationStatus::kBritish);
  EXPECT_EQ(data->sensitive[0].nrpf, Nrpf::kNo);
  EXPECT_EQ(data->sensitive[1].child, 1);
  EXPECT_EQ(data->sensitive[1].nationality, NationalityGroup::kOther);
  EXPECT_EQ(data->sensitive[1].immigration_status, ImmigrationStatus::kUnknown);
  EXPECT_EQ(data->sensitive[1].nrpf, Nrpf::kUnknown);

  EXPECT_EQ(data->source(Table::kHeader).file, "header.csv");
  EXPECT_EQ(data->source(Table::kHeader).rows, 3);
  EXPECT_EQ(data->source(Table::kEpisodes).rows, 3);
  EXPECT_EQ(data->source(Table::kOc3).file, "");
}

TEST_F(LoaderTest, OnlyHeaderIsRequired) {
  Write("header.csv", HeaderCsv({{"A"}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->children.size(), 1u);
  EXPECT_TRUE(data->episodes.empty());
  EXPECT_TRUE(data->uasc.empty());
  EXPECT_TRUE(data->sensitive.empty());
  EXPECT_TRUE(report_.ok());
}

TEST_F(LoaderTest, RecognisesTablesByHeaderNotByName) {
  // Column order free, names trimmed and case-insensitive, extra columns ignored.
  Write("zz_export_1.csv",
        "dob, Child ,SEX,ETHNIC,UPN,MOTHER,MC_DOB,NOTES\n"
        "01/06/2015,A,M,WBRI,,,,any text\n");
  Write("0.CSV", EpisodesCsv({Episode("A", "01/01/2025")}));
  Write("readme.txt", "not a csv, ignored\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->source(Table::kHeader).file, "zz_export_1.csv");
  EXPECT_EQ(data->source(Table::kEpisodes).file, "0.CSV");
  ASSERT_EQ(data->children.size(), 1u);
  EXPECT_EQ(data->children[0].dob, Date::FromYmd(2015, 6, 1).value());
  EXPECT_EQ(data->episodes.size(), 1u);
}

TEST_F(LoaderTest, ByteOrderMarkAndCrlfLoad) {
  std::string header =
      "\xEF\xBB\xBF"
      "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n"
      "A,M,01/06/2015,WBRI,,,\r\n"
      "B,F,01/06/2016,WBRI,,,\r\n";
  Write("header.csv", header);
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  ASSERT_EQ(data->children.size(), 2u);
  EXPECT_EQ(data->child_ids.Get(0), "A");  // no BOM glued to the first column or id
  EXPECT_EQ(data->children[1].line, 3);
}

TEST_F(LoaderTest, CrlfKeepsLineNumbersInErrors) {
  Write("header.csv",
        "\xEF\xBB\xBF"
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n"
        "A,M,01/06/2015,WBRI,,,\r\n"
        "\r\n"
        "B,M,1/6/2015,WBRI,,,\r\n");
  ExpectError("header.csv:4: DOB: expected a date dd/mm/yyyy, found \"1/6/2015\"");
}

TEST_F(LoaderTest, CodesWithSpacesAndLowerCaseAreAccepted) {
  Write("header.csv", HeaderCsv({{" A ", " f", "01/06/2015", "wbri "}}));
  EpisodeRow e = Episode("A", " 01/01/2025 ");
  e.rne = " s";
  e.ls = "c2 ";
  e.cin = "\tn1";
  e.place = "u1";
  Write("episodes.csv", EpisodesCsv({e, Episode("A", "01/01/2024", "01/01/2025", " e4a ")}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->child_ids.Find("A"), 0);
  EXPECT_EQ(data->children[0].sex, Sex::kFemale);
  EXPECT_EQ(data->children[0].ethnicity, Ethnicity::kWBRI);
  ASSERT_EQ(data->episodes.size(), 2u);
  EXPECT_EQ(data->episodes[0].ls, LegalStatus::kC2);
  EXPECT_EQ(data->episodes[0].place, Placement::kU1);
  EXPECT_EQ(data->episodes[1].rec, ReasonCeased::kE4A);
}

TEST_F(LoaderTest, EntirelyBlankRowsAreSkipped) {
  Write("header.csv", HeaderCsv({{"A"}}) + ",,,,,,\n , ,\t, , , , \n" + "B,M,01/06/2015,WBRI,,,\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->children.size(), 2u);
  EXPECT_EQ(data->children[1].line, 5);
  EXPECT_EQ(data->source(Table::kHeader).rows, 2);
}

TEST_F(LoaderTest, Sex1And2In2024) {
  Write("header.csv", HeaderCsv({{"A", "1"}, {"B", "2"}}));
  absl::StatusOr<LaData> data = Load(2024);
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->children[0].sex, Sex::kMale);
  EXPECT_EQ(data->children[1].sex, Sex::kFemale);
}

TEST_F(LoaderTest, Sex1And2RejectedIn2025) {
  Write("header.csv", HeaderCsv({{"A", "1"}}));
  ExpectError("header.csv:2: SEX: \"1\" is not a valid SEX code for 2025; expected one of M, F, U");
}

TEST_F(LoaderTest, SexMRejectedIn2024) {
  Write("header.csv", HeaderCsv({{"A", "M"}}));
  ExpectError("header.csv:2: SEX: \"M\" is not a valid SEX code for 2024; expected one of 1, 2",
              2024);
}

TEST_F(LoaderTest, PlacementCodesFollowTheYear) {
  EpisodeRow e = Episode("A", "01/01/2025");
  e.place = "Z11";
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({e}));
  ExpectError("episodes.csv:2: PLACE: \"Z11\" is not a valid PLACE code for 2025", 2025);
  EXPECT_THAT(Load(2026), IsOk());
}

// ---- Files and headers -----------------------------------------------------------------------

TEST_F(LoaderTest, MissingHeaderTableIsAnError) {
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025")}));
  ExpectError(absl::StrCat(dir_->path(), ": (folder): no CSV file holds the Header table"));
}

TEST_F(LoaderTest, MissingColumnIsNamed) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv",
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,REC,REASON_PLACE_CHANGE,HOME_POST,"
        "PL_POST,URN\n"
        "A,01/01/2025,S,C2,N1,U1,PR1,,,,,\n");
  ExpectError("episodes.csv:1: DEC: table Episodes is missing column DEC");
  EXPECT_EQ(report_.errors.size(), 1u);
}

TEST_F(LoaderTest, EachMissingColumnIsReported) {
  Write("header.csv", "CHILD,SEX,DOB,ETHNIC,UPN\nA,M,01/06/2015,WBRI,\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre("header.csv:1: MOTHER: table Header is missing column MOTHER",
                                     "header.csv:1: MC_DOB: table Header is missing column MC_DOB",
                                     absl::StrCat(dir_->path(),
                                                  ": (folder): no CSV file holds the Header table "
                                                  "(a header row with the columns "
                                                  "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB); "
                                                  "Header is required")));
}

TEST_F(LoaderTest, UnrecognisedCsvNamesFileAndExpectedTables) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("notes.csv", "foo,bar\n1,2\n");
  ExpectError("notes.csv:1: (header): not a recognised table: the header \"foo,bar\"");
  EXPECT_THAT(report_.errors[0].message,
              HasSubstr("Header (CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB); Episodes (CHILD,"));
  EXPECT_THAT(report_.errors[0].message, HasSubstr("sensitive (CHILD,NATIONALITY,"));
}

TEST_F(LoaderTest, EmptyCsvIsAnError) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("empty.csv", "");
  ExpectError("empty.csv:1: (header): the file is empty");
}

TEST_F(LoaderTest, TwoFilesForOneTable) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("a_episodes.csv", EpisodesCsv({Episode("A", "01/01/2025")}));
  Write("b_episodes.csv", EpisodesCsv({Episode("A", "01/01/2024")}));
  ExpectError(
      "b_episodes.csv:1: (header): holds the Episodes table, which a_episodes.csv already "
      "holds");
}

TEST_F(LoaderTest, RequiredColumnTwiceIsAnError) {
  Write("header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,child\nA,M,01/06/2015,WBRI,,,,B\n");
  ExpectError(
      "header.csv:1: CHILD: column CHILD appears more than once in the header "
      "(fields 1, 8)");
}

TEST_F(LoaderTest, MalformedCsvIsReportedWithItsLine) {
  Write("header.csv", HeaderCsv({{"A"}}) + "B,M,01/06/2015,WBRI,\"unterminated,,\n");
  ExpectError("header.csv:3: (row): malformed CSV: unterminated quoted field");
}

// ---- Rows ------------------------------------------------------------------------------------

TEST_F(LoaderTest, RaggedLine) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025")}) +
                            "A,01/01/2024,S,C2,N1,U1,PR1,01/02/2024,E11,,,\n");
  ExpectError("episodes.csv:3: (row): ragged line: 12 fields, but the header has 13");
}

TEST_F(LoaderTest, BadDate) {
  Write("header.csv", HeaderCsv({{"A", "M", "2015-06-01"}, {"B", "M", "31/04/2015"}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  "header.csv:2: DOB: expected a date dd/mm/yyyy, found \"2015-06-01\"",
                  "header.csv:3: DOB: \"31/04/2015\" is not a real date (April has 30 days); "
                  "expected dd/mm/yyyy"));
  EXPECT_EQ(report_.Summary(), "2 errors; nothing computed");
  EXPECT_EQ(std::string(data.status().message()), report_.ToString());
}

TEST_F(LoaderTest, BadOptionalDate) {
  Write("header.csv", HeaderCsv({{"A", "M", "01/06/2015", "WBRI", "", "", "29/02/2023"}}));
  ExpectError(
      "header.csv:2: MC_DOB: \"29/02/2023\" is not a real date (2023 is not a leap "
      "year)");
}

TEST_F(LoaderTest, UnknownCode) {
  EpisodeRow e = Episode("A", "01/01/2025");
  e.ls = "C9";
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({e}));
  ExpectError(
      "episodes.csv:2: LS: \"C9\" is not a valid LS code for 2025; expected one of C1, C2, D1, "
      "E1, J1, J2, J3, L1, L2, L3, V2, V3, V4");
}

TEST_F(LoaderTest, UnknownEthnicityAndReasonCeased) {
  Write("header.csv", HeaderCsv({{"A", "M", "01/06/2015", "WHITE"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2024", "01/02/2024", "E10")}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(), ::testing::Contains(StartsWith(
                                "header.csv:2: ETHNIC: \"WHITE\" is not a valid ETHNIC code")));
  EXPECT_THAT(
      ErrorLines(),
      ::testing::Contains(StartsWith("episodes.csv:2: REC: \"E10\" is not a valid REC code")));
}

TEST_F(LoaderTest, BlankRequiredFields) {
  Write("header.csv", HeaderCsv({{"", "M"}, {"B", "", ""}}));
  EpisodeRow e = Episode("B", "");
  e.rne = "";
  e.ls = " ";
  e.place = "";
  e.cin = "";
  Write("episodes.csv", EpisodesCsv({e}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  "header.csv:2: CHILD: is blank; every row needs the child's id",
                  "header.csv:3: SEX: is blank; expected one of M, F, U",
                  "header.csv:3: DOB: is blank; expected a date dd/mm/yyyy",
                  "episodes.csv:2: DECOM: is blank; expected a date dd/mm/yyyy",
                  "episodes.csv:2: RNE: is blank; expected one of S, P, L, T, U, B",
                  StartsWith("episodes.csv:2: LS: is blank; expected one of C1, "),
                  "episodes.csv:2: CIN: is blank; expected one of N1, N2, N3, N4, N5, N6, N7, N8",
                  StartsWith("episodes.csv:2: PLACE: is blank; expected one of A3, ")));
}

TEST_F(LoaderTest, DuplicateChildInHeader) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}, {"A", "F"}}));
  ExpectError("header.csv:4: CHILD: \"A\" appears twice in Header (first on line 2)");
}

TEST_F(LoaderTest, EpisodeForChildNotInHeader) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025"), Episode("Z", "01/01/2025")}));
  ExpectError("episodes.csv:3: CHILD: \"Z\" is not in the Header table");
}

TEST_F(LoaderTest, ChildIdsAreCaseSensitive) {
  Write("header.csv", HeaderCsv({{"abc"}}));
  Write("episodes.csv", EpisodesCsv({Episode("ABC", "01/01/2025")}));
  ExpectError("episodes.csv:2: CHILD: \"ABC\" is not in the Header table");
}

TEST_F(LoaderTest, DecBeforeDecom) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "02/01/2024", "01/01/2024", "E11")}));
  ExpectError("episodes.csv:2: DEC: \"01/01/2024\" is before DECOM \"02/01/2024\"");
}

TEST_F(LoaderTest, DecOnDecomIsAllowed) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "02/01/2024", "02/01/2024", "X1")}));
  EXPECT_THAT(Load(), IsOk()) << report_.ToString();
}

TEST_F(LoaderTest, RecWithoutDec) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "02/01/2024", "", "E11")}));
  ExpectError(
      "episodes.csv:2: DEC: is blank, but REC is \"E11\"; DEC and REC must both be "
      "given or both be blank");
}

TEST_F(LoaderTest, DecWithoutRec) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "02/01/2024", "03/01/2024", "")}));
  ExpectError("episodes.csv:2: REC: is blank, but DEC is \"03/01/2024\"");
}

TEST_F(LoaderTest, TieOfOpenEpisodes) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/02/2025"), Episode("B", "01/02/2025"),
                                     Episode("A", "01/02/2025", "01/04/2025", "E11")}));
  ExpectError(
      "episodes.csv:4: DECOM: child \"A\" has two episodes open at 31/03/2025 with the "
      "same DECOM \"01/02/2025\" (lines 2 and 4)");
  EXPECT_EQ(report_.errors.size(), 1u);
}

TEST_F(LoaderTest, SameDecomIsNoTieWhenOneIsClosedOrAShortBreak) {
  EpisodeRow short_break = Episode("A", "01/02/2025");
  short_break.ls = "V3";
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv",
        EpisodesCsv({Episode("A", "01/02/2025"), short_break,
                     Episode("A", "01/02/2025", "31/03/2025", "X1")}));  // ends on R: not open
  EXPECT_THAT(Load(), IsOk()) << report_.ToString();
}

TEST_F(LoaderTest, TieIsCheckedAtTheYearsReferenceDate) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/02/2024", "01/01/2025", "E11"),
                                     Episode("A", "01/02/2024", "01/06/2025", "E11")}));
  EXPECT_THAT(Load(2025), IsOk()) << report_.ToString();  // only one open at 31/03/2025
  Write("header.csv", HeaderCsv({{"A", "1"}}));           // 2024's SEX codes
  ExpectError("episodes.csv:3: DECOM: child \"A\" has two episodes open at 31/03/2024", 2024);
}

TEST_F(LoaderTest, UascDucMaskingAndDates) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}, {"C"}, {"D"}}));
  Write("uasc.csv", TableCsv(Table::kUasc, {{"A", "M", "01/06/2015", "zz/zz/zzzz"},
                                            {"B", "M", "01/06/2015", "ZZ/06/2033"},
                                            {"C", "M", "01/06/2015", "ZZ/13/2033"},
                                            {"D", "M", "01/06/2015", "31/04/2033"}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  StartsWith("uasc.csv:4: DUC: expected a date dd/mm/yyyy, one masked with Z "
                             "such as ZZ/ZZ/ZZZZ, or a blank, found \"ZZ/13/2033\""),
                  StartsWith("uasc.csv:5: DUC: expected a date dd/mm/yyyy, one masked")));
}

TEST_F(LoaderTest, UascNeedsChildInHeader) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("uasc.csv", TableCsv(Table::kUasc, {{"Q", "M", "01/06/2015", ""}}));
  ExpectError("uasc.csv:2: CHILD: \"Q\" is not in the Header table");
}

TEST_F(LoaderTest, SensitiveFile) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}}));
  Write("sensitive.csv", TableCsv(Table::kSensitive, {{"A", "UK", "SETTLED", "Y"},
                                                      {"B", "fra", "Settled", "maybe"},
                                                      {"A", "GBR", "", ""},
                                                      {"X", "GBR", "", ""}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  "sensitive.csv:2: NATIONALITY: \"UK\" is not an ISO 3166-1 alpha-3 country code; "
                  "expected a code such as GBR, or UNK, or a blank",
                  StartsWith("sensitive.csv:3: NRPF: \"maybe\" is not a valid NRPF code for 2025; "
                             "expected one of Y, N or a blank"),
                  "sensitive.csv:4: CHILD: \"A\" appears twice in sensitive.csv (first on line 2); "
                  "each child must appear once",
                  StartsWith("sensitive.csv:5: CHILD: \"X\" is not in the Header table")));
}

TEST_F(LoaderTest, OtherTablesAreCheckedForShapeAndChild) {
  Write("header.csv", HeaderCsv({{"A"}}));
  // Field values of DoLo are not validated (a bad date passes)...
  Write("dolo.csv", TableCsv(Table::kDoLo, {{"A", "01/06/2015", "not a date", ""}}));
  // ...but CHILD must be in Header, OC3 holds a child once, and lines must not be ragged.
  Write("oc3.csv", TableCsv(Table::kOc3, {{"A", "01/06/2015", "YES", "F1", "Y1"},
                                          {"A", "01/06/2015", "YES", "F1", "Y1"}}));
  Write("reviews.csv",
        TableCsv(Table::kReviews, {{"R", "01/06/2015", "01/01/2025", "PN1"}}) + "A,01/06/2015\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  StartsWith("oc3.csv:3: CHILD: \"A\" appears twice in OC3 (first on line 2)"),
                  "reviews.csv:2: CHILD: \"R\" is not in the Header table; every child must have "
                  "a Header row",
                  "reviews.csv:3: (row): ragged line: 2 fields, but the header has 4"));
}

TEST_F(LoaderTest, DoLoTableIsRecognisedAndShapeChecked) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("dolo.csv", TableCsv(Table::kDoLo, {{"A", "01/06/2015", "01/05/2024", ""}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->source(Table::kDoLo).file, "dolo.csv");
  EXPECT_EQ(data->source(Table::kDoLo).rows, 1);
}

TEST_F(LoaderTest, PostcodeTableIsRecognisedAndShapeChecked) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("nspl.csv", "pcd,oseast1m,osnrth1m,utla\nSW1A 1AA,529090,179645,E09000033\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->source(Table::kPostcodes).file, "nspl.csv");
  EXPECT_EQ(data->source(Table::kPostcodes).rows, 1);
}

// ---- OC3, Missing and the postcode table ---------------------------------------------------

TEST_F(LoaderTest, Oc3CodesAreDfEsListsOrBlank) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}, {"C"}, {"D"}}));
  Write("oc3.csv", TableCsv(Table::kOc3, {{"A", "01/06/2015", "yes", " F1 ", "b1"},
                                          {"B", "01/06/2015", "", "", ""},
                                          {"C", "01/06/2015", "MAYBE", "F3", "S1"},
                                          {"D", "1/6/2015", "NO", "0", "0"}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ErrorLines(),
      ::testing::ElementsAre(
          "oc3.csv:4: IN_TOUCH: \"MAYBE\" is not a valid IN_TOUCH code for 2025; expected one "
          "of YES, NO, DIED, REFU, NREQ, RHOM or a blank",
          StartsWith("oc3.csv:4: ACTIV: \"F3\" is not a valid ACTIV code for 2025; expected one "
                     "of F1, P1, F2, P2, F4, P4, F5, P5, G4, G5, G6, 0 or a blank"),
          StartsWith("oc3.csv:4: ACCOM: \"S1\" is not a valid ACCOM code for 2025"),
          "oc3.csv:5: DOB: expected a date dd/mm/yyyy, found \"1/6/2015\""));
}

TEST_F(LoaderTest, Oc3RowsAreParsed) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}}));
  Write("oc3.csv", TableCsv(Table::kOc3, {{"A", "01/06/2015", "yes", " F1 ", "b1"},
                                          {"B", "01/06/2015", "", "", ""}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  ASSERT_EQ(data->oc3.size(), 2u);
  EXPECT_EQ(data->oc3[0].in_touch, InTouch::kYes);
  EXPECT_EQ(data->oc3[0].activ, Activity::kF1);
  EXPECT_EQ(data->oc3[0].accom, Accommodation::kB1);
  EXPECT_EQ(data->oc3[1].in_touch, InTouch::kBlank);
  EXPECT_EQ(data->oc3[1].activ, Activity::kBlank);
  EXPECT_EQ(data->oc3[1].accom, Accommodation::kBlank);
  EXPECT_EQ(data->oc3[1].line, 3);
}

TEST_F(LoaderTest, MissingRowsAreValidated) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("missing.csv",
        TableCsv(Table::kMissing, {{"A", "01/06/2015", "m", "01/05/2024", ""},
                                   {"A", "01/06/2015", "A", "01/05/2024", "30/04/2024"},
                                   {"A", "01/06/2015", "X", "01/05/2024", ""},
                                   {"A", "01/06/2015", "", "", "31/02/2024"},
                                   {"Z", "01/06/2015", "M", "01/05/2024", ""}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  // Line 3: MIS_END before MIS_START is a DfE warning, not an error.
  EXPECT_THAT(
      ErrorLines(),
      ::testing::ElementsAre(
          "missing.csv:4: MISSING: \"X\" is not a valid MISSING code for 2025; expected one of "
          "M, A",
          "missing.csv:5: MISSING: is blank; expected one of M, A",
          "missing.csv:5: MIS_START: is blank; expected a date dd/mm/yyyy",
          StartsWith("missing.csv:5: MIS_END: \"31/02/2024\" is not a real date"),
          StartsWith("missing.csv:6: CHILD: \"Z\" is not in the Header table")));
}

TEST_F(LoaderTest, MissingRowsAreParsed) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("missing.csv",
        TableCsv(Table::kMissing, {{"A", "01/06/2015", "m", "01/05/2024", ""},
                                   {"A", "01/06/2015", "A", "02/05/2024", "03/05/2024"}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  ASSERT_EQ(data->missing.size(), 2u);
  EXPECT_EQ(data->missing[0].kind, MissingKind::kMissing);
  EXPECT_TRUE(data->missing[0].end.is_blank());
  EXPECT_EQ(data->missing[1].kind, MissingKind::kAway);
  EXPECT_EQ(data->missing[1].start.ToString(), "02/05/2024");
}

TEST_F(LoaderTest, PostcodeTableKeepsOnlyTheDataPostcodes) {
  Write("header.csv", HeaderCsv({{"A"}}));
  EpisodeRow e = Episode("A", "01/01/2025");
  e.home_post = "sw1a 1aa";
  e.pl_post = "ZZ9 9ZZ";
  Write("episodes.csv", EpisodesCsv({e}));
  Write("postcodes.csv",
        "pcd,oseast1m,osnrth1m,utla\n"
        "SW1A1AA,529090,179645,e09000033\n"
        "SW1A 1AA,529090,179645,E09000033\n"  // an identical repeat is fine
        "N1 9GU,530000,184000,E09000019\n"
        "ZZ9 9ZZ,,,\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->source(Table::kPostcodes).rows, 4);
  const PostcodeId home = data->postcodes.Find("SW1A1AA");
  const PostcodeId placed = data->postcodes.Find("ZZ99ZZ");
  ASSERT_GE(home, 0);
  ASSERT_GE(placed, 0);
  ASSERT_EQ(data->postcode_info.size(), 2u);
  EXPECT_TRUE(data->postcode_info[home].has_coords);
  EXPECT_EQ(data->postcode_info[home].east, 529090);
  EXPECT_EQ(data->postcode_info[home].north, 179645);
  EXPECT_EQ(data->utlas.Get(data->postcode_info[home].utla), "E09000033");
  EXPECT_TRUE(data->postcode_info[placed].in_table);
  EXPECT_FALSE(data->postcode_info[placed].has_coords);
  EXPECT_EQ(data->postcode_info[placed].utla, -1);
  EXPECT_EQ(data->utlas.size(), 1);  // N1 9GU is not the data's
}

TEST_F(LoaderTest, AUsedPostcodeRepeatedWithDifferentValuesIsAnError) {
  Write("header.csv", HeaderCsv({{"A"}}));
  EpisodeRow e = Episode("A", "01/01/2025");
  e.home_post = "B1 1AC";
  Write("episodes.csv", EpisodesCsv({e}));
  // Which row wins would decide out_of_area for this child, so neither may.
  Write("postcodes.csv",
        "pcd,oseast1m,osnrth1m,utla\n"
        "B1 1AC,406000,286000,E08000026\n"
        "B11AC,406000,286000,E08000025\n"
        "N1 9GU,530000,184000,E09000019\n"
        "N1 9GU,1,1,E09000001\n");  // unused by the data: cannot matter
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  "postcodes.csv:3: pcd: \"B11AC\" appears twice in the postcode table with "
                  "different coordinates or utla (first on line 2); keep one row per postcode"));
}

TEST_F(LoaderTest, PostcodeTableValidation) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("postcodes.csv",
        "pcd,oseast1m,osnrth1m,utla\n"
        "AA1 1AA,12.5,100,\n"
        "AA1 1AB,-3,100,\n"
        "AA1 1AC,,100,\n"
        ",1,1,E09000033\n"
        "AA1 1AD,12345678,1,\n");
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrorLines(),
              ::testing::ElementsAre(
                  StartsWith("postcodes.csv:2: oseast1m: \"12.5\" is not a grid coordinate"),
                  StartsWith("postcodes.csv:3: oseast1m: \"-3\" is not a grid coordinate"),
                  "postcodes.csv:4: oseast1m: is blank but the other coordinate is not; give "
                  "both or neither",
                  "postcodes.csv:5: pcd: is blank; every row of the postcode table needs a "
                  "postcode",
                  StartsWith("postcodes.csv:6: oseast1m: \"12345678\" is not a grid coordinate")));
}

TEST_F(LoaderTest, PostcodesPathMustBeAFileHoldingThePostcodeTable) {
  Write("header.csv", HeaderCsv({{"A"}}));
  LoadOptions opts;
  opts.dir = dir_->path();
  opts.la_code = "E09000033";
  opts.year = 2025;
  opts.postcodes_path = dir_->path() + "/nope.csv";
  EXPECT_THAT(LoadLaFolder(opts), StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope.csv")));

  absl::StatusOr<TempFolder> other = TempFolder::Create();
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT(other->Write("pc.csv", HeaderCsv({{"B"}})), IsOk());
  opts.postcodes_path = other->path() + "/pc.csv";
  ValidationReport report;
  EXPECT_THAT(LoadLaFolder(opts, &report), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0].ToString(),
              StartsWith("pc.csv:1: (header): the --postcodes file holds the Header table"));
}

TEST_F(LoaderTest, PostcodesPathAndAFolderPostcodeTableAreTwoFilesForOneTable) {
  Write("header.csv", HeaderCsv({{"A"}}));
  const std::string table = "pcd,oseast1m,osnrth1m,utla\nAA1 1AA,1,1,E09000033\n";
  Write("postcodes.csv", table);
  LoadOptions opts;
  opts.dir = dir_->path();
  opts.la_code = "E09000033";
  opts.year = 2025;
  // The folder's own file named explicitly: one table.
  opts.postcodes_path = dir_->path() + "/postcodes.csv";
  EXPECT_THAT(LoadLaFolder(opts), IsOk());
  // Another file besides it: two tables.
  absl::StatusOr<TempFolder> other = TempFolder::Create();
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT(other->Write("nspl.csv", table), IsOk());
  opts.postcodes_path = other->path() + "/nspl.csv";
  ValidationReport report;
  EXPECT_THAT(LoadLaFolder(opts, &report), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0].ToString(), HasSubstr("holds the postcodes table, which"));
}

TEST_F(LoaderTest, ValuesInMessagesStayOnOneLine) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("line\nbreak", "01/01/2025")}));
  ExpectError("episodes.csv:2: CHILD: \"line\\nbreak\" is not in the Header table");
}

TEST_F(LoaderTest, DateValuesInMessagesStayOnOneLine) {
  Write("header.csv", HeaderCsv({{"A", "M", "01/06/\n2015"}}));
  ExpectError("header.csv:2: DOB: expected a date dd/mm/yyyy, found \"01/06/\\n2015\"");
}

TEST(LaDataTest, RowsAreCompact) {
  // The next issue's speed target (~85,000 children) relies on rows without heap memory.
  EXPECT_LE(sizeof(Date), 8u);
  EXPECT_LE(sizeof(ChildRecord), 16u);
  EXPECT_LE(sizeof(EpisodeRecord), 40u);
  EXPECT_LE(sizeof(UascRecord), 32u);
  EXPECT_LE(sizeof(SensitiveRecord), 12u);
}

// ---- Error limits and the report -------------------------------------------------------------

TEST_F(LoaderTest, MaxErrorsIsRespected) {
  std::vector<HeaderRow> rows;
  for (int i = 0; i < 10; ++i) rows.push_back({absl::StrCat("C", i), "M", "bad"});
  Write("header.csv", HeaderCsv(rows));
  absl::StatusOr<LaData> data = Load(2025, /*max_errors=*/3);
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(report_.errors.size(), 3u);
  EXPECT_TRUE(report_.truncated);
  EXPECT_EQ(ErrorLines()[2], "header.csv:4: DOB: expected a date dd/mm/yyyy, found \"bad\"");
  EXPECT_THAT(std::string(data.status().message()),
              ::testing::EndsWith("\nstopped after the first 3 errors; there are more; "
                                  "nothing computed"));
}

TEST_F(LoaderTest, ExactlyMaxErrorsIsNotTruncated) {
  std::vector<HeaderRow> rows;
  for (int i = 0; i < 3; ++i) rows.push_back({absl::StrCat("C", i), "M", "bad"});
  Write("header.csv", HeaderCsv(rows));
  ASSERT_THAT(Load(2025, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(report_.errors.size(), 3u);
  EXPECT_FALSE(report_.truncated);
  EXPECT_EQ(report_.Summary(), "3 errors; nothing computed");
}

TEST_F(LoaderTest, ZeroMaxErrorsMeansNoLimit) {
  std::vector<HeaderRow> rows;
  for (int i = 0; i < 120; ++i) rows.push_back({absl::StrCat("C", i), "M", "bad"});
  Write("header.csv", HeaderCsv(rows));
  ASSERT_THAT(Load(2025, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(report_.errors.size(), 120u);
  EXPECT_FALSE(report_.truncated);
}

TEST_F(LoaderTest, ReportFieldsAndSingleErrorSummary) {
  Write("header.csv", HeaderCsv({{"A", "M", "01/06/2015", "XXXX"}}));
  absl::StatusOr<LaData> data = Load();
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0].file, "header.csv");
  EXPECT_EQ(report_.errors[0].line, 2);
  EXPECT_EQ(report_.errors[0].field, "ETHNIC");
  EXPECT_EQ(report_.Summary(), "1 error; nothing computed");
}

TEST_F(LoaderTest, ReportIsClearedOnSuccess) {
  report_.errors.push_back({"x", 1, "y", "z"});
  Write("header.csv", HeaderCsv({{"A"}}));
  EXPECT_THAT(Load(), IsOk());
  EXPECT_TRUE(report_.ok());
  EXPECT_EQ(report_.ToString(), "");
}

// ---- Options ---------------------------------------------------------------------------------

TEST_F(LoaderTest, YearOutsideKnownRangeIsInvalidArgument) {
  Write("header.csv", HeaderCsv({{"A"}}));
  EXPECT_THAT(Load(1999), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1999")));
  EXPECT_THAT(Load(2031), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2031")));
}

TEST(LoadLaFolderTest, MissingFolderIsNotFound) {
  LoadOptions opts;
  opts.dir = "/nonexistent/ringfence/la";
  opts.year = 2025;
  EXPECT_THAT(LoadLaFolder(opts), StatusIs(absl::StatusCode::kNotFound, HasSubstr(opts.dir)));
}

// ---- Error classes and quarantine (policy data_quality) -------------------------------------

class QuarantineTest : public LoaderTest {
 protected:
  absl::StatusOr<LaData> LoadQuarantining(std::vector<policy::DataErrorClass> classes,
                                          int max_errors = 50) {
    LoadOptions opts;
    opts.dir = dir_->path();
    opts.la_code = "E09000033";
    opts.year = 2025;
    opts.max_errors = max_errors;
    for (policy::DataErrorClass c : classes) opts.quarantinable.Add(c);
    return LoadLaFolder(opts, &report_, &quarantine_);
  }
  QuarantineReport quarantine_;
};

using policy::DataErrorClass;

TEST_F(QuarantineTest, EveryErrorCarriesItsClass) {
  Write("header.csv", HeaderCsv({{"A"}, {"B", "M", "31/02/2015"}, {"A"}, {"", "M"}}));
  EpisodeRow bad_code = Episode("A", "01/01/2025");
  bad_code.place = "Q9";
  EpisodeRow dec_before = Episode("A", "02/01/2024", "01/01/2024", "E11");
  Write("episodes.csv", EpisodesCsv({bad_code, dec_before, Episode("Z", "01/01/2025")}));
  Write("postcodes.csv", "pcd,oseast1m,osnrth1m,utla\nB1 1AC,40600x,286000,E08000026\n");
  Write("oddity.csv", "a,b\n1,2\n");
  ASSERT_THAT(Load(), StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<std::string> tagged;
  for (const ValidationError& e : report_.errors) {
    tagged.push_back(absl::StrCat(policy::DataErrorClassName(e.error_class), " ", e.file, ":",
                                  e.line, ":", e.field, " child=", e.child,
                                  " postcode=", e.postcode));
  }
  EXPECT_THAT(tagged, ::testing::UnorderedElementsAre(
                          "STRUCTURE oddity.csv:1:(header) child= postcode=",
                          "BAD_DATE header.csv:3:DOB child=B postcode=",
                          "DUPLICATE_CHILD header.csv:4:CHILD child=A postcode=",
                          "MISSING_CHILD_ID header.csv:5:CHILD child= postcode=",
                          "UNKNOWN_CODE episodes.csv:2:PLACE child=A postcode=",
                          "INCONSISTENT_EPISODE episodes.csv:3:DEC child=A postcode=",
                          "UNKNOWN_CHILD episodes.csv:4:CHILD child=Z postcode=",
                          "BAD_POSTCODE_ROW postcodes.csv:2:oseast1m child= postcode=B11AC"))
      << absl::StrJoin(ErrorLines(), "\n");
}

TEST_F(QuarantineTest, ABadHeaderRowLeavesTheChildOutOfEveryTable) {
  Write("header.csv", HeaderCsv({{"A"}, {"B", "M", "31/02/2015"}, {"C"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025"), Episode("B", "01/01/2025"),
                                     Episode("B", "01/02/2025"), Episode("C", "01/01/2025")}));
  Write("sensitive.csv", TableCsv(Table::kSensitive, {{"A", "GBR", "", ""}, {"B", "ERI", "", ""}}));
  // Without a policy naming BAD_DATE, the round stops.
  ASSERT_THAT(LoadQuarantining({DataErrorClass::kUnknownCode}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.csv:3: DOB: ")));
  EXPECT_TRUE(quarantine_.empty());

  absl::StatusOr<LaData> data = LoadQuarantining({DataErrorClass::kBadDate});
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  ASSERT_EQ(data->children.size(), 2u);
  EXPECT_EQ(data->child_ids.Find("B"), -1);
  EXPECT_EQ(data->child_ids.Get(1), "C");
  EXPECT_EQ(data->episodes.size(), 2u);
  ASSERT_EQ(data->sensitive.size(), 1u);
  EXPECT_EQ(data->sensitive[0].child, data->child_ids.Find("A"));
  EXPECT_EQ(quarantine_.children_left_out, 1);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kHeader)], 1);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kEpisodes)], 2);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kSensitive)], 1);
  EXPECT_EQ(quarantine_.errors_by_class[static_cast<int>(DataErrorClass::kBadDate)], 1);
  ASSERT_EQ(quarantine_.errors.size(), 1u);
  EXPECT_THAT(quarantine_.ToString(), HasSubstr("[BAD_DATE] header.csv:3: DOB: "));
  EXPECT_THAT(quarantine_.ToString(), HasSubstr("children left out of every figure: 1"));
  EXPECT_THAT(quarantine_.ToString(), HasSubstr("rows left out of Episodes: 2"));
}

TEST_F(QuarantineTest, ABadEpisodeLeavesItsChildOut) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}}));
  EpisodeRow bad = Episode("B", "01/02/2025");
  bad.ls = "ZZ";
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025"),
                                     Episode("B", "01/01/2024", "31/01/2025", "X1"), bad}));
  absl::StatusOr<LaData> data = LoadQuarantining({DataErrorClass::kUnknownCode});
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  // Leaving out only the bad episode would make B look as if it left care on 31/01/2025.
  ASSERT_EQ(data->children.size(), 1u);
  ASSERT_EQ(data->episodes.size(), 1u);
  EXPECT_EQ(data->episodes[0].child, data->child_ids.Find("A"));
  EXPECT_EQ(quarantine_.children_left_out, 1);
}

TEST_F(QuarantineTest, ABadSensitiveRowNeverLeavesTheChildOut) {
  // A sensitive attribute must not decide whether a child counts in an untainted cell.
  Write("header.csv", HeaderCsv({{"A"}, {"B"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025"), Episode("B", "01/01/2025")}));
  Write("sensitive.csv", TableCsv(Table::kSensitive, {{"A", "GBR", "BRITISH", "N"},
                                                      {"B", "UK", "", ""},
                                                      {"B", "ERI", "", ""},
                                                      {"Q", "ERI", "", ""}}));
  absl::StatusOr<LaData> data =
      LoadQuarantining({DataErrorClass::kUnknownCode, DataErrorClass::kDuplicateChild,
                        DataErrorClass::kUnknownChild});
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->children.size(), 2u);
  EXPECT_EQ(data->episodes.size(), 2u);
  ASSERT_EQ(data->sensitive.size(), 1u);  // both of B's rows out (which is right is unknown)
  EXPECT_EQ(data->sensitive[0].child, 0);
  EXPECT_EQ(quarantine_.children_left_out, 0);
  EXPECT_EQ(quarantine_.sensitive_left_out, 1);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kSensitive)], 3);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kHeader)], 0);
}

TEST_F(QuarantineTest, AnOrphanRowIsLeftOutAlone) {
  Write("header.csv", HeaderCsv({{"A"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025"), Episode("Z", "01/01/2025")}));
  absl::StatusOr<LaData> data = LoadQuarantining({DataErrorClass::kUnknownChild});
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->children.size(), 1u);
  EXPECT_EQ(data->episodes.size(), 1u);
  EXPECT_EQ(quarantine_.children_left_out, 0);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kEpisodes)], 1);
}

TEST_F(QuarantineTest, ADuplicatedChildIdLeavesBothRowsOut) {
  Write("header.csv", HeaderCsv({{"A"}, {"B"}, {"A", "F"}}));
  Write("episodes.csv", EpisodesCsv({Episode("A", "01/01/2025"), Episode("B", "01/01/2025")}));
  absl::StatusOr<LaData> data = LoadQuarantining({DataErrorClass::kDuplicateChild});
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  ASSERT_EQ(data->children.size(), 1u);
  EXPECT_EQ(data->child_ids.Get(0), "B");
  EXPECT_EQ(data->episodes.size(), 1u);
  EXPECT_EQ(quarantine_.children_left_out, 1);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kHeader)], 2);
}

TEST_F(QuarantineTest, ABadPostcodeRowMakesThePostcodeUnknown) {
  Write("header.csv", HeaderCsv({{"A"}}));
  EpisodeRow e = Episode("A", "01/01/2025");
  e.home_post = "B1 1AC";
  e.pl_post = "N1 9GU";
  Write("episodes.csv", EpisodesCsv({e}));
  Write("postcodes.csv",
        "pcd,oseast1m,osnrth1m,utla\n"
        "B1 1AC,406000,286000,E08000026\n"
        "B1 1AC,406001,286000,E08000026\n"
        "N1 9GU,530000,184000,E09000019\n");
  absl::StatusOr<LaData> data = LoadQuarantining({DataErrorClass::kBadPostcodeRow});
  ASSERT_THAT(data, IsOk()) << report_.ToString();
  EXPECT_EQ(data->children.size(), 1u);
  const PostcodeId home = data->postcodes.Find("B11AC");
  const PostcodeId placed = data->postcodes.Find("N19GU");
  ASSERT_GE(home, 0);
  ASSERT_GE(placed, 0);
  EXPECT_FALSE(data->postcode_info[home].in_table);  // neither disagreeing row wins
  EXPECT_TRUE(data->postcode_info[placed].in_table);
  EXPECT_EQ(quarantine_.postcodes_left_out, 1);
  EXPECT_EQ(quarantine_.rows_left_out[static_cast<int>(Table::kPostcodes)], 2);
}

TEST_F(QuarantineTest, StructureAndMissingIdsAlwaysStopTheRound) {
  Write("header.csv", HeaderCsv({{"A"}, {"B", "M", "31/02/2015"}}));
  Write("episodes.csv",
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,"
        "REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "A,01/01/2025\n");
  policy::DataErrorClassSet all;
  absl::StatusOr<LaData> data =
      LoadQuarantining({DataErrorClass::kBadDate, DataErrorClass::kUnknownCode,
                        DataErrorClass::kUnknownChild, DataErrorClass::kDuplicateChild,
                        DataErrorClass::kInconsistentEpisode, DataErrorClass::kBadPostcodeRow});
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("episodes.csv:2: (row): ragged line")));
  // Only the error that stopped the round is listed; the summary counts the others.
  EXPECT_THAT(ErrorLines(), ::testing::ElementsAre(StartsWith("episodes.csv:2: (row)")));
  EXPECT_THAT(report_.Summary(),
              HasSubstr("1 error that the policy cannot quarantine (and 1 it could)"));
  EXPECT_TRUE(quarantine_.empty());

  Write("episodes.csv", EpisodesCsv({Episode("", "01/01/2025")}));
  EXPECT_THAT(
      LoadQuarantining({DataErrorClass::kBadDate}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("episodes.csv:2: CHILD: is blank")));
}

TEST_F(QuarantineTest, CleanDataLoadsOnceAndReportsNothing) {
  Write("header.csv", HeaderCsv({{"A"}}));
  absl::StatusOr<LaData> data = LoadQuarantining({DataErrorClass::kBadDate});
  ASSERT_THAT(data, IsOk());
  EXPECT_TRUE(quarantine_.empty());
  EXPECT_EQ(quarantine_.ToString(), "");
  EXPECT_EQ(quarantine_.children_left_out, 0);
}

}  // namespace
}  // namespace ringfence::node
