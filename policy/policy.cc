#include "policy/policy.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "crypto/discrete_gaussian.h"
#include "dp/zcdp.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "proto/policy.pb.h"

namespace ringfence::policy {
namespace {

// Collects the text-format parser's errors as "file:line:column: message" (1-based).
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

absl::Status RuleError(absl::string_view file, absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", field, ": ", message));
}

DataErrorClass FromProto(v1::DataQuality::ErrorClass c) {
  switch (c) {
    case v1::DataQuality::STRUCTURE:
      return DataErrorClass::kStructure;
    case v1::DataQuality::MISSING_CHILD_ID:
      return DataErrorClass::kMissingChildId;
    case v1::DataQuality::BAD_DATE:
      return DataErrorClass::kBadDate;
    case v1::DataQuality::UNKNOWN_CODE:
      return DataErrorClass::kUnknownCode;
    case v1::DataQuality::UNKNOWN_CHILD:
      return DataErrorClass::kUnknownChild;
    case v1::DataQuality::DUPLICATE_CHILD:
      return DataErrorClass::kDuplicateChild;
    case v1::DataQuality::INCONSISTENT_EPISODE:
      return DataErrorClass::kInconsistentEpisode;
    case v1::DataQuality::BAD_POSTCODE_ROW:
      return DataErrorClass::kBadPostcodeRow;
    default:
      return DataErrorClass::kStructure;  // unreachable: callers reject other values first
  }
}

absl::StatusOr<dp::Rho> ParseRho(const std::string& text, absl::string_view file,
                                 absl::string_view field) {
  if (text.empty()) {
    return RuleError(file, field, "is missing; give a rational such as \"1/2\"");
  }
  auto rho = dp::Rho::Parse(text);
  if (!rho.ok()) return RuleError(file, field, rho.status().message());
  return *rho;
}

absl::Status ParsePrivacy(const v1::Privacy& proto, absl::string_view file, PrivacyPolicy* out) {
  RINGFENCE_ASSIGN_OR_RETURN(out->rho_per_year,
                             ParseRho(proto.rho_per_year(), file, "privacy.rho_per_year"));
  RINGFENCE_ASSIGN_OR_RETURN(out->rho_per_round,
                             ParseRho(proto.rho_per_round(), file, "privacy.rho_per_round"));
  if (!dp::LessOrEqual(out->rho_per_round, out->rho_per_year)) {
    return RuleError(file, "privacy.rho_per_round",
                     absl::StrCat(out->rho_per_round.ToString(), " is more than rho_per_year ",
                                  out->rho_per_year.ToString(),
                                  "; one round may not spend more than the whole year's budget"));
  }
  if (proto.split() != v1::Privacy::SPLIT_UNSPECIFIED &&
      proto.split() != v1::Privacy::EQUAL_PER_HISTOGRAM) {
    return RuleError(file, "privacy.split", "is not a supported split");
  }
  if (proto.mechanism() != v1::Privacy::MECHANISM_UNSPECIFIED &&
      proto.mechanism() != v1::Privacy::DISCRETE_GAUSSIAN) {
    return RuleError(file, "privacy.mechanism", "is not a supported mechanism");
  }
  if (proto.display_delta() != 0) {
    if (!(proto.display_delta() > 0 && proto.display_delta() <= 1e-3)) {
      return RuleError(file, "privacy.display_delta",
                       absl::StrCat(proto.display_delta(), " is not in (0, 1e-3]"));
    }
    out->display_delta = proto.display_delta();
  }
  // The noise this implies must be within the sampler's range.
  auto per_histogram = dp::SplitEqually(out->rho_per_round, catalogue::HistogramCount());
  if (!per_histogram.ok())
    return RuleError(file, "privacy.rho_per_round", per_histogram.status().message());
  auto variance = dp::GaussianVarianceForRho(*per_histogram);
  if (!variance.ok() ||
      variance->numerator > variance->denominator * crypto::DiscreteGaussianSampler::kMaxVariance ||
      variance->denominator > crypto::DiscreteGaussianSampler::kMaxDenominator) {
    return RuleError(
        file, "privacy.rho_per_round",
        absl::StrCat(out->rho_per_round.ToString(), " split over ", catalogue::HistogramCount(),
                     " histograms gives noise outside the sampler's range (sigma at "
                     "most 1024, variance denominator at most 2^31)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Policy> ParsePolicy(absl::string_view text, absl::string_view file) {
  v1::Policy proto;
  Collector collector(file);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  const bool parsed = parser.ParseFromString(std::string(text), &proto);
  if (!parsed || !collector.errors().empty()) {
    std::string message = absl::StrJoin(collector.errors(), "\n");
    if (message.empty()) message = absl::StrCat(file, ": not a ringfence.v1.Policy textproto");
    return absl::InvalidArgumentError(message);
  }

  Policy policy;
  policy.file = std::string(file);
  if (proto.name().empty()) {
    return RuleError(file, "name", "is missing; every policy needs a name");
  }
  policy.name = proto.name();
  for (int c : proto.data_quality().quarantine()) {
    const auto value = static_cast<v1::DataQuality::ErrorClass>(c);
    if (value == v1::DataQuality::ERROR_CLASS_UNSPECIFIED ||
        !v1::DataQuality::ErrorClass_IsValid(c)) {
      return RuleError(file, "data_quality.quarantine",
                       "ERROR_CLASS_UNSPECIFIED (or an unknown number) is not an error class");
    }
    const DataErrorClass cls = FromProto(value);
    if (!CanQuarantine(cls)) {
      return RuleError(
          file, "data_quality.quarantine",
          absl::StrCat(DataErrorClassName(cls),
                       " can never be quarantined: the rows it affects cannot be tied to one "
                       "child, so leaving them out would silently change other figures"));
    }
    if (policy.quarantinable.Contains(cls)) {
      return RuleError(file, "data_quality.quarantine",
                       absl::StrCat(DataErrorClassName(cls), " is listed twice"));
    }
    policy.quarantinable.Add(cls);
  }
  if (proto.has_privacy()) {
    RINGFENCE_RETURN_IF_ERROR(ParsePrivacy(proto.privacy(), file, &policy.privacy));
  }
  return policy;
}

Policy DefaultPolicy() {
  Policy p;
  p.name = "(built-in defaults)";
  return p;
}

absl::StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  std::string text;
  RINGFENCE_RETURN_IF_ERROR(base::ReadFileToString(path, &text));
  return ParsePolicy(text, path);
}

}  // namespace ringfence::policy
