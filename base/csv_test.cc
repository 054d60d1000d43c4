#include "base/csv.h"

#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::base {
namespace {

using ::ringfence::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::vector<std::string>> ReadAll(absl::string_view text, std::vector<int>* lines,
                                              absl::Status* status) {
  CsvReader reader(text, "t.csv");
  CsvRow row;
  std::vector<std::vector<std::string>> out;
  while (reader.Next(&row)) {
    out.emplace_back(row.fields.begin(), row.fields.end());
    if (lines) lines->push_back(row.line);
  }
  *status = reader.status();
  return out;
}

TEST(CsvReaderTest, ReadsPlainQuotedAndEscapedFields) {
  absl::Status st;
  std::vector<int> lines;
  auto rows = ReadAll("\xEF\xBB\xBF" "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\n2,,\n", &lines,
                      &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[0], ElementsAre("a", "b", "c"));
  EXPECT_THAT(rows[1], ElementsAre("1", "x, y", "say \"hi\""));
  EXPECT_THAT(rows[2], ElementsAre("2", "", ""));
  EXPECT_THAT(lines, ElementsAre(1, 2, 4));
}

TEST(CsvReaderTest, CountsPhysicalLinesInsideQuotedFields) {
  absl::Status st;
  std::vector<int> lines;
  auto rows = ReadAll("a,b\n\"multi\nline\",x\nz,y", &lines, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_THAT(lines, ElementsAre(1, 2, 4));
  EXPECT_EQ(rows[1][0], "multi\nline");
}

TEST(CsvReaderTest, RejectsMalformedQuoting) {
  absl::Status st;
  ReadAll("a,b\n1,\"open\n", nullptr, &st);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.csv:2:")));
  ReadAll("a,b\n1,x\"y\n", nullptr, &st);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quote inside")));
  ReadAll("a,b\n1,\"x\"y\n", nullptr, &st);
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after a closing")));
}

// A byte-at-a-time reading of the contract in csv.h, kept deliberately simple: the oracle the
// word-at-a-time scanner in csv.cc is checked against.
struct OracleResult {
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;
  std::string error;  // empty when the text is well formed
};

OracleResult Oracle(const std::string& text) {
  OracleResult out;
  size_t pos = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  const size_t n = text.size();
  int line = 1;
  while (true) {
    while (pos < n && (text[pos] == '\n' || text[pos] == '\r')) {
      if (text[pos] == '\n') ++line;
      ++pos;
    }
    if (pos >= n) return out;
    out.lines.push_back(line);
    std::vector<std::string> fields;
    while (true) {
      std::string field;
      if (pos < n && text[pos] == '"') {
        const int start = line;
        ++pos;
        while (true) {
          if (pos >= n) {
            out.error = absl::StrCat("t.csv:", start, ": unterminated quoted field");
            return out;
          }
          const char c = text[pos++];
          if (c != '"') {
            if (c == '\n') ++line;
            field += c;
          } else if (pos < n && text[pos] == '"') {
            field += '"';
            ++pos;
          } else {
            break;
          }
        }
        if (pos < n && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
          out.error = absl::StrCat("t.csv:", line, ": text after a closing quote");
          return out;
        }
      } else {
        while (pos < n && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
          if (text[pos] == '"') {
            out.error = absl::StrCat("t.csv:", line, ": quote inside an unquoted field");
            return out;
          }
          field += text[pos++];
        }
      }
      fields.push_back(field);
      if (pos < n && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < n && text[pos] == '\r') ++pos;
      if (pos < n && text[pos] == '\n') {
        ++pos;
        ++line;
      }
      break;
    }
    out.rows.push_back(fields);
  }
}

void ExpectSameAsOracle(const std::string& text) {
  absl::Status st;
  std::vector<int> lines;
  auto rows = ReadAll(text, &lines, &st);
  OracleResult want = Oracle(text);
  const std::string shown = absl::CEscape(text);
  if (want.error.empty()) {
    ASSERT_TRUE(st.ok()) << shown << ": " << st;
    EXPECT_EQ(rows, want.rows) << shown;
    EXPECT_EQ(lines, want.lines) << shown;
  } else {
    EXPECT_THAT(st, StatusIs(absl::StatusCode::kInvalidArgument, want.error)) << shown;
    // The rows before the bad one are delivered as usual.
    ASSERT_LE(rows.size(), want.rows.size()) << shown;
    EXPECT_EQ(rows, std::vector<std::vector<std::string>>(
                        want.rows.begin(), want.rows.begin() + rows.size()))
        << shown;
  }
}

TEST(CsvReaderTest, MatchesByteAtATimeOracleOnRandomText) {
  // Every byte class the scanner treats differently, including those just either side of
  // its 0x2C candidate threshold ('+' 0x2B, '-' 0x2D), space, tab and UTF-8 bytes >= 0x80.
  const std::string alphabet = std::string("ab09,,,\"\"\n\r +-\t/") + "\xC3\xA9" + "\xEF";
  uint64_t state = 903;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const size_t len = next() % 48;
    for (size_t k = 0; k < len; ++k) text += alphabet[next() % alphabet.size()];
    ExpectSameAsOracle(text);
    if (HasFailure()) return;
  }
}

TEST(CsvReaderTest, MatchesOracleWhereFieldsAndQuotesCrossWordBoundaries) {
  // Fields of every length from 0 to 20 put each delimiter at every offset of an 8-byte word.
  for (size_t a = 0; a <= 20; ++a) {
    for (size_t b = 0; b <= 20; ++b) {
      const std::string x(a, 'x');
      const std::string y(b, 'y');
      ExpectSameAsOracle(absl::StrCat(x, ",", y, "\n", y, ",", x));
      ExpectSameAsOracle(absl::StrCat(x, ",", y, "\r\n", x, ",\"", y, "\"\"", x, "\",", y));
      ExpectSameAsOracle(absl::StrCat(x, ",", y, "\"", x, "\n"));             // stray quote
      ExpectSameAsOracle(absl::StrCat(x, ",\"", y, "\"", x, ",", y, "\n"));   // text after
      ExpectSameAsOracle(absl::StrCat(x, ",\"", y, "\n", x));                 // unterminated
      ExpectSameAsOracle(absl::StrCat(x, "\r", y, ",\xC3\xA9", x, "\n\n\n"));  // lone CR
      if (HasFailure()) return;
    }
  }
}

TEST(CsvReaderTest, LongUnquotedFieldsAndNonAsciiBytesAreKeptWhole) {
  absl::Status st;
  const std::string long_field(1000, 'q');
  auto rows = ReadAll(absl::StrCat("h1,h2,h3\n", long_field, ",caf\xC3\xA9 +-\t/x,", "EX12 4AL"),
                      nullptr, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[1], ElementsAre(long_field, "caf\xC3\xA9 +-\t/x", "EX12 4AL"));
}

TEST(CsvReaderTest, TrailingCommaAtEndOfTextGivesAnEmptyLastField) {
  absl::Status st;
  auto rows = ReadAll("a,b\nlonger-than-eight,", nullptr, &st);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(rows[1], ElementsAre("longer-than-eight", ""));
}

TEST(CsvReaderTest, ReusedRowKeepsItsStorage) {
  std::string text = "CHILD,DECOM,RNE,LS,CIN,PLACE\n";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&text, "C", i, ",01/04/2024,S,C1,N1,U1\n");
  CsvReader reader(text, "t.csv");
  CsvRow row;
  ASSERT_TRUE(reader.Next(&row));
  const absl::string_view* storage = row.fields.data();
  int rows = 1;
  while (reader.Next(&row)) {
    ++rows;
    ASSERT_EQ(row.fields.size(), 6u);
    EXPECT_EQ(row.fields.data(), storage) << "row " << rows << " reallocated its fields";
  }
  EXPECT_TRUE(reader.status().ok());
  EXPECT_EQ(rows, 101);
}

TEST(FileTest, WritesAtomicallyWithMode) {
  std::string path = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_csv_test_file";
  ASSERT_TRUE(WriteFileAtomically(path, "secret", 0600).ok());
  std::string back;
  ASSERT_TRUE(ReadFileToString(path, &back).ok());
  EXPECT_EQ(back, "secret");
  EXPECT_THAT(ReadFileToString(path + ".missing", &back),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(".missing")));
}

TEST(FileTest, ReadsLargeAndEmptyFilesWhole) {
  const std::string path = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_csv_test_large";
  std::string big;
  for (int i = 0; big.size() < (3 << 20) + 7; ++i) absl::StrAppend(&big, "C", i, ",x\n");
  ASSERT_TRUE(WriteFileAtomically(path, big).ok());
  std::string back = "stale";
  ASSERT_TRUE(ReadFileToString(path, &back).ok());
  EXPECT_EQ(back, big);
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  ASSERT_TRUE(ReadFileToString(path, &back).ok());
  EXPECT_EQ(back, "");
  ::unlink(path.c_str());
}

TEST(FileTest, ReadsFilesWhoseSizeIsNotKnownInAdvance) {
  // /proc files report size 0 but have contents: the reader must read to the end.
  std::string back;
  ASSERT_TRUE(ReadFileToString("/proc/self/status", &back).ok());
  EXPECT_THAT(back, HasSubstr("Name:"));
}

TEST(FileTest, ReadingAFolderFailsAndNamesIt) {
  std::string back;
  EXPECT_THAT(ReadFileToString(::testing::TempDir(), &back),
              StatusIs(absl::StatusCode::kInternal, HasSubstr(::testing::TempDir())));
}

}  // namespace
}  // namespace ringfence::base
