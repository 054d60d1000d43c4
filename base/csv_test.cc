#include "base/csv.h"

#include <string>
#include <vector>

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

TEST(FileTest, WritesAtomicallyWithMode) {
  std::string path = ::testing::TempDir() + "/csv_test_file";
  ASSERT_TRUE(WriteFileAtomically(path, "secret", 0600).ok());
  std::string back;
  ASSERT_TRUE(ReadFileToString(path, &back).ok());
  EXPECT_EQ(back, "secret");
  EXPECT_THAT(ReadFileToString(path + ".missing", &back),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(".missing")));
}

}  // namespace
}  // namespace ringfence::base
