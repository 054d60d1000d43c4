#include "base/textproto.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/type.pb.h"
#include "gtest/gtest.h"

namespace ringfence::base {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;

// google.protobuf.Field ships with libprotobuf and has strings, numbers and an enum (kind).

TEST(ParseTextprotoStrictlyTest, ParsesAWellFormedMessage) {
  google::protobuf::Field field;
  ASSERT_THAT(
      ParseTextprotoStrictly("name: \"x\"\nnumber: 7\nkind: TYPE_STRING\n", "f.textproto", &field),
      IsOk());
  EXPECT_EQ(field.name(), "x");
  EXPECT_EQ(field.number(), 7);
  EXPECT_EQ(field.kind(), google::protobuf::Field::TYPE_STRING);
}

TEST(ParseTextprotoStrictlyTest, RefusesAnUnknownFieldNamingFileLineAndColumn) {
  google::protobuf::Field field;
  EXPECT_THAT(ParseTextprotoStrictly("name: \"x\"\n  bogus: 1\n", "conf/f.textproto", &field),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "conf/f.textproto:2:8: Message type \"google.protobuf.Field\" has no field "
                       "named \"bogus\"."));
}

TEST(ParseTextprotoStrictlyTest, RefusesAnUnknownEnumValue) {
  google::protobuf::Field field;
  EXPECT_THAT(ParseTextprotoStrictly("kind: TYPE_NOPE\n", "f.textproto", &field),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f.textproto:2:1: Unknown enumeration value of \"TYPE_NOPE\" for field "
                       "\"kind\"."));
}

TEST(ParseTextprotoStrictlyTest, ReportsASyntaxError) {
  google::protobuf::Field field;
  EXPECT_THAT(ParseTextprotoStrictly("name \"x\"\n", "f.textproto", &field),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f.textproto:1:6: Expected \":\", found \"\"x\"\"."));
}

}  // namespace
}  // namespace ringfence::base
