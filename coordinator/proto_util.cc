#include "coordinator/proto_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace ringfence::coordinator {
namespace {

namespace v1 = ::ringfence::v1;

catalogue::CellKey KeyFromProto(const v1::CellKey& k) {
  return catalogue::CellKey{k.indicator(), k.breakdown(), k.group()};
}

void KeyToProto(const catalogue::CellKey& k, v1::CellKey* out) {
  out->set_indicator(k.indicator);
  out->set_breakdown(k.breakdown);
  out->set_group(k.group);
}

v1::GeographicLevel LevelToProto(GeographicLevel level) {
  switch (level) {
    case GeographicLevel::kNational:
      return v1::NATIONAL;
    case GeographicLevel::kRegional:
      return v1::REGIONAL;
    case GeographicLevel::kLocalAuthority:
      return v1::LOCAL_AUTHORITY;
  }
  return v1::GEOGRAPHIC_LEVEL_UNSPECIFIED;
}

}  // namespace

absl::StatusOr<Submission> SubmissionFromProto(const v1::SubmitRequest& request,
                                               const policy::Policy& policy) {
  Submission s;
  s.la_code = request.la_code();
  s.year = request.year();
  s.catalogue_version = request.catalogue_version();
  s.policy_digest = request.policy_digest();
  const v1::NoiseParams& noise = request.noise();
  switch (noise.mechanism()) {
    case v1::NoiseParams::DISCRETE_GAUSSIAN:
      s.noise.mechanism = NoiseMechanism::kDiscreteGaussian;
      break;
    default:  // includes values this build does not know (proto3 enums are
              // open)
      s.noise.mechanism = NoiseMechanism::kUnspecified;
      break;
  }
  s.noise.variance = Rational{noise.variance_numerator(), noise.variance_denominator()};
  s.noise.rho = Rational{noise.rho_numerator(), noise.rho_denominator()};
  s.rule.suppression_threshold = noise.suppression_threshold();
  s.rule.rounding_base = noise.rounding_base();
  s.tainted_rule.suppression_threshold = noise.tainted_suppression_threshold();
  s.tainted_rule.rounding_base = noise.tainted_rounding_base();
  s.cells.reserve(request.cells_size());
  for (const v1::ProtectedCell& c : request.cells()) {
    ProtectedCell cell;
    cell.key = KeyFromProto(c.key());
    cell.noisy_value = c.noisy_value();
    cell.published = policy::PublishedValue{c.suppressed(), c.rounded_value()};
    s.cells.push_back(std::move(cell));
  }
  RINGFENCE_RETURN_IF_ERROR(ValidateSubmission(s, policy));
  return s;
}

v1::SubmitRequest SubmissionToProto(const Submission& s) {
  v1::SubmitRequest out;
  out.set_la_code(s.la_code);
  out.set_year(s.year);
  out.set_catalogue_version(s.catalogue_version);
  v1::NoiseParams* noise = out.mutable_noise();
  noise->set_mechanism(s.noise.mechanism == NoiseMechanism::kDiscreteGaussian
                           ? v1::NoiseParams::DISCRETE_GAUSSIAN
                           : v1::NoiseParams::MECHANISM_UNSPECIFIED);
  noise->set_variance_numerator(s.noise.variance.numerator);
  noise->set_variance_denominator(s.noise.variance.denominator);
  noise->set_rho_numerator(s.noise.rho.numerator);
  noise->set_rho_denominator(s.noise.rho.denominator);
  noise->set_suppression_threshold(s.rule.suppression_threshold);
  noise->set_rounding_base(s.rule.rounding_base);
  noise->set_tainted_suppression_threshold(s.tainted_rule.suppression_threshold);
  noise->set_tainted_rounding_base(s.tainted_rule.rounding_base);
  for (const ProtectedCell& c : s.cells) {
    v1::ProtectedCell* pc = out.add_cells();
    KeyToProto(c.key, pc->mutable_key());
    pc->set_noisy_value(c.noisy_value);
    pc->set_suppressed(c.published.suppressed);
    pc->set_rounded_value(c.published.value);
  }
  out.set_policy_digest(s.policy_digest);
  return out;
}

v1::ReleaseResponse ReleaseTableToProto(const ReleaseTable& table) {
  v1::ReleaseResponse out;
  out.set_year(table.year);
  out.set_catalogue_version(table.catalogue_version);
  out.set_policy_digest(table.policy_digest);
  out.set_recipient_class(table.recipient_class);
  for (const std::string& la : table.la_codes) out.add_la_codes(la);
  for (const ReleasedCell& c : table.cells) {
    v1::ReleasedCell* rc = out.add_cells();
    rc->set_level(LevelToProto(c.level));
    rc->set_region_code(c.region_code);
    rc->set_region_name(c.region_name);
    rc->set_la_code(c.la_code);
    rc->set_la_name(c.la_name);
    KeyToProto(c.key, rc->mutable_key());
    rc->set_suppressed(c.published.suppressed);
    rc->set_value(c.published.suppressed ? 0 : c.published.value);
    rc->set_noise_variance_numerator(c.noise_variance.numerator);
    rc->set_noise_variance_denominator(c.noise_variance.denominator);
    rc->set_contributing_las(c.contributing_las);
    rc->set_noise_sd(c.noise_sd);
    rc->set_ci95_half_width(c.ci95_half_width);
  }
  return out;
}

absl::StatusOr<GeographicLevel> LevelFromProto(int level) {
  switch (level) {
    case v1::NATIONAL:
      return GeographicLevel::kNational;
    case v1::REGIONAL:
      return GeographicLevel::kRegional;
    case v1::LOCAL_AUTHORITY:
      return GeographicLevel::kLocalAuthority;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "geographic level ", level, " is not NATIONAL, REGIONAL or LOCAL_AUTHORITY"));
  }
}

absl::StatusOr<std::string> SerializeDeterministically(const google::protobuf::MessageLite& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!m.SerializeToCodedStream(&coded) || coded.HadError()) {
      return absl::InternalError(absl::StrCat("cannot serialise ", m.GetTypeName()));
    }
  }  // the coded stream flushes into `out` when it goes out of scope
  return out;
}

}  // namespace ringfence::coordinator
