#include "base/textproto.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace ringfence::base {
namespace {

// Collects the parser's errors as "file:line:column: message" (the parser counts from 0).
class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(absl::string_view file) : file_(file) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(file_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    AddError(line, column, message);  // strict: a warning is an error too
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseTextprotoStrictly(absl::string_view text, absl::string_view file,
                                    google::protobuf::Message* out) {
  Collector collector(file);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  const bool parsed = parser.ParseFromString(std::string(text), out);
  if (parsed && collector.errors().empty()) return absl::OkStatus();
  std::string message = absl::StrJoin(collector.errors(), "\n");
  if (message.empty()) {
    message = absl::StrCat(file, ": not a ", out->GetDescriptor()->full_name(), " textproto");
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace ringfence::base
