#include "policy/policy.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "base/textproto.h"
#include "catalogue/catalogue.h"
#include "crypto/discrete_gaussian.h"
#include "crypto/hash.h"
#include "dp/zcdp.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "policy/firewall.h"
#include "proto/policy.pb.h"

namespace ringfence::policy {
namespace {

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
  return absl::OkStatus();
}

GeoLevel FromProto(v1::GeoLevel level) {
  switch (level) {
    case v1::NATIONAL:
      return GeoLevel::kNational;
    case v1::REGIONAL:
      return GeoLevel::kRegional;
    default:
      return GeoLevel::kLocalAuthority;
  }
}

bool IsKnownAttribute(const std::string& a) {
  const auto& all = catalogue::AllAttributes();
  return std::find(all.begin(), all.end(), a) != all.end();
}

bool ValidClassName(const std::string& name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

absl::Status ParseDisclosureRule(const v1::DisclosureRule& proto, absl::string_view file,
                                 absl::string_view field, DisclosureRule* out) {
  if (proto.suppress_below() < 1 || proto.round_to() < 1) {
    return RuleError(file, field, "suppress_below and round_to must both be given and at least 1");
  }
  out->suppression_threshold = proto.suppress_below();
  out->rounding_base = proto.round_to();
  // The same bounds the node and coordinator check before every round.
  absl::Status valid = ValidateDisclosureRule(*out);
  if (!valid.ok()) return RuleError(file, field, valid.message());
  return absl::OkStatus();
}

absl::Status ParseFirewall(const v1::Policy& proto, absl::string_view file, Policy* policy) {
  // Sensitive attributes.
  std::set<std::string> sensitive;
  for (const std::string& a : proto.sensitive_attributes()) {
    if (!IsKnownAttribute(a)) {
      return RuleError(file, "sensitive_attributes",
                       absl::StrCat("\"", a, "\" is not an attribute of the catalogue (",
                                    absl::StrJoin(catalogue::AllAttributes(), ", "), ")"));
    }
    if (!sensitive.insert(a).second) {
      return RuleError(file, "sensitive_attributes", absl::StrCat("\"", a, "\" is listed twice"));
    }
  }
  for (const std::string& a : catalogue::MandatorySensitiveAttributes()) {
    if (sensitive.count(a) == 0) {
      return RuleError(file, "sensitive_attributes",
                       absl::StrCat("must include \"", a,
                                    "\": it comes from the LA's local sensitive file, and every "
                                    "policy treats it as sensitive"));
    }
  }
  policy->sensitive_attributes.assign(sensitive.begin(), sensitive.end());

  // Breakdowns: every catalogue breakdown, once, with at least the catalogue's attributes.
  for (const v1::BreakdownDeclaration& b : proto.breakdowns()) {
    const catalogue::Breakdown* known = catalogue::FindBreakdown(b.name());
    if (known == nullptr) {
      return RuleError(file, "breakdowns",
                       absl::StrCat("\"", b.name(),
                                    "\" is not a breakdown of the catalogue; a policy cannot add "
                                    "or rename breakdowns"));
    }
    if (policy->breakdown_attributes.count(b.name()) != 0) {
      return RuleError(file, "breakdowns", absl::StrCat("\"", b.name(), "\" is declared twice"));
    }
    std::set<std::string> declared;
    for (const std::string& a : b.derives_from()) {
      if (!IsKnownAttribute(a)) {
        return RuleError(
            file, "breakdowns",
            absl::StrCat(b.name(), ": \"", a, "\" is not an attribute of the catalogue"));
      }
      declared.insert(a);
    }
    for (const std::string& a : known->derives_from) {
      if (declared.count(a) == 0) {
        return RuleError(
            file, "breakdowns",
            absl::StrCat(b.name(), " derives from \"", a,
                         "\" in the catalogue, but the policy does not say so; a declaration "
                         "may add attributes, never remove them"));
      }
    }
    policy->breakdown_attributes[b.name()] =
        std::vector<std::string>(declared.begin(), declared.end());
  }
  for (const catalogue::Breakdown& b : catalogue::AllBreakdowns()) {
    if (policy->breakdown_attributes.count(b.name) == 0) {
      return RuleError(
          file, "breakdowns",
          absl::StrCat("\"", b.name,
                       "\" is not declared; declare every breakdown of the catalogue"));
    }
  }

  // Disclosure.
  if (proto.disclosure().has_untainted()) {
    RINGFENCE_RETURN_IF_ERROR(ParseDisclosureRule(proto.disclosure().untainted(), file,
                                                  "disclosure.untainted", &policy->untainted_rule));
  }
  policy->tainted_rule = policy->untainted_rule;
  if (proto.disclosure().has_tainted()) {
    RINGFENCE_RETURN_IF_ERROR(ParseDisclosureRule(proto.disclosure().tainted(), file,
                                                  "disclosure.tainted", &policy->tainted_rule));
  }
  if (policy->tainted_rule.suppression_threshold < policy->untainted_rule.suppression_threshold ||
      policy->tainted_rule.rounding_base % policy->untainted_rule.rounding_base != 0) {
    return RuleError(file, "disclosure.tainted",
                     "must be at least as strict as disclosure.untainted (suppress_below not "
                     "lower, round_to a multiple of untainted's)");
  }

  // Recipient classes.
  for (const v1::RecipientClass& c : proto.recipient_classes()) {
    if (!ValidClassName(c.name())) {
      return RuleError(file, "recipient_classes",
                       absl::StrCat("\"", c.name(), "\" is not a class name ([a-z][a-z0-9_]*)"));
    }
    if (policy->FindClass(c.name()) != nullptr) {
      return RuleError(file, "recipient_classes",
                       absl::StrCat("\"", c.name(), "\" is declared twice"));
    }
    RecipientClass rc;
    rc.name = c.name();
    rc.description = c.description();
    rc.enforcement = c.enforcement();
    rc.is_public = c.public_();
    rc.inherits.assign(c.inherits().begin(), c.inherits().end());
    int index = 0;
    for (const v1::Grant& g : c.grants()) {
      Grant grant;
      grant.index = ++index;
      const std::string where =
          absl::StrCat("recipient_classes[", c.name(), "].grants[", index, "]");
      if (g.reason().empty()) {
        return RuleError(file, where, "has no reason; say why this class needs these cells");
      }
      grant.reason = g.reason();
      for (const std::string& i : g.indicators()) {
        if (i == "*") {
          for (const catalogue::Indicator& ind : catalogue::Indicators()) {
            grant.indicators.push_back(ind.name);
          }
        } else if (catalogue::FindIndicator(i) == nullptr) {
          return RuleError(file, where,
                           absl::StrCat("\"", i, "\" is not an indicator of the catalogue"));
        } else {
          grant.indicators.push_back(i);
        }
      }
      for (const std::string& b : g.breakdowns()) {
        if (b == "*") {
          for (const catalogue::Breakdown& bd : catalogue::AllBreakdowns()) {
            grant.breakdowns.push_back(bd.name);
          }
        } else if (catalogue::FindBreakdown(b) == nullptr) {
          return RuleError(file, where,
                           absl::StrCat("\"", b, "\" is not a breakdown of the catalogue"));
        } else {
          grant.breakdowns.push_back(b);
        }
      }
      for (int l : g.levels()) {
        if (l == v1::GEO_LEVEL_UNSPECIFIED || !v1::GeoLevel_IsValid(l)) {
          return RuleError(file, where, "GEO_LEVEL_UNSPECIFIED is not a level");
        }
        grant.levels.push_back(FromProto(static_cast<v1::GeoLevel>(l)));
      }
      if (grant.indicators.empty() || grant.breakdowns.empty() || grant.levels.empty()) {
        return RuleError(file, where, "needs at least one indicator, breakdown and level");
      }
      bool any = false;
      for (const std::string& i : grant.indicators) {
        const auto& bds = catalogue::FindIndicator(i)->breakdowns;
        for (const std::string& b : grant.breakdowns) {
          any |= std::find(bds.begin(), bds.end(), b) != bds.end();
        }
      }
      if (!any) {
        return RuleError(file, where,
                         "grants nothing: none of its indicators has any of its breakdowns");
      }
      rc.grants.push_back(std::move(grant));
    }
    policy->classes.push_back(std::move(rc));
  }
  struct Required {
    const char* name;
    bool enforcement;
    bool is_public;
  };
  for (const Required& r :
       {Required{kPublicClass, false, true}, Required{kLaOwnClass, false, false},
        Required{"dfe_analyst", false, false}, Required{"inspectorate", false, false},
        Required{kEnforcementClass, true, false}}) {
    const RecipientClass* c = policy->FindClass(r.name);
    if (c == nullptr) {
      return RuleError(file, "recipient_classes",
                       absl::StrCat("the class \"", r.name,
                                    "\" is missing; every policy declares "
                                    "public, la_own, dfe_analyst, inspectorate and "
                                    "home_office_enforcement"));
    }
    if (r.enforcement && !c->enforcement) {
      return RuleError(file, absl::StrCat("recipient_classes[", r.name, "]"),
                       "must have enforcement: true");
    }
    if (r.is_public && !c->is_public) {
      return RuleError(file, absl::StrCat("recipient_classes[", r.name, "]"),
                       "must have public: true");
    }
    if (!r.is_public && c->is_public && std::string(r.name) != kPublicClass) {
      if (r.enforcement) {
        return RuleError(file, absl::StrCat("recipient_classes[", r.name, "]"),
                         "an enforcement class cannot be public");
      }
    }
  }
  for (const RecipientClass& c : policy->classes) {
    if (c.enforcement && c.is_public) {
      return RuleError(file, absl::StrCat("recipient_classes[", c.name, "]"),
                       "an enforcement class cannot be public");
    }
    for (const std::string& parent : c.inherits) {
      if (parent == kLaOwnClass) {
        // la_own's grants mean "an LA's own rows" at LA level; inherited by any other class
        // they would mean every LA's rows.
        return RuleError(file, absl::StrCat("recipient_classes[", c.name, "].inherits"),
                         "no class may inherit la_own: its grants cover an LA's own rows only");
      }
      if (policy->FindClass(parent) == nullptr) {
        return RuleError(file, absl::StrCat("recipient_classes[", c.name, "].inherits"),
                         absl::StrCat("\"", parent, "\" is not a class of this policy"));
      }
    }
  }
  // No inheritance cycles; every class has a grant of its own or inherited.
  for (const RecipientClass& c : policy->classes) {
    std::vector<std::string> path = {c.name};
    std::vector<std::string> stack(c.inherits.rbegin(), c.inherits.rend());
    std::set<std::string> seen;
    bool has_grant = !c.grants.empty();
    while (!stack.empty()) {
      const std::string next = stack.back();
      stack.pop_back();
      if (next == c.name) {
        return RuleError(file, absl::StrCat("recipient_classes[", c.name, "].inherits"),
                         "inherits itself (a cycle)");
      }
      if (!seen.insert(next).second) continue;
      const RecipientClass* parent = policy->FindClass(next);
      has_grant |= !parent->grants.empty();
      stack.insert(stack.end(), parent->inherits.rbegin(), parent->inherits.rend());
    }
    if (!has_grant) {
      return RuleError(file, absl::StrCat("recipient_classes[", c.name, "]"),
                       "has no rules: no grant of its own or inherited");
    }
  }
  return absl::OkStatus();
}

// The noise the node will use, sigma^2 = H' / (2 rho_per_round) over the H' histograms the
// policy sends (policy::SendableHistogramCount), must be within the sampler's range.
absl::Status CheckNoiseRange(const Policy& policy, absl::string_view file) {
  const int histograms = std::max(1, SendableHistogramCount(policy));
  auto per_histogram = dp::SplitEqually(policy.privacy.rho_per_round, histograms);
  if (!per_histogram.ok()) {
    return RuleError(file, "privacy.rho_per_round", per_histogram.status().message());
  }
  auto variance = dp::GaussianVarianceForRho(*per_histogram);
  if (!variance.ok() ||
      variance->numerator > variance->denominator * crypto::DiscreteGaussianSampler::kMaxVariance ||
      variance->denominator > crypto::DiscreteGaussianSampler::kMaxDenominator) {
    return RuleError(
        file, "privacy.rho_per_round",
        absl::StrCat(policy.privacy.rho_per_round.ToString(), " split over the ", histograms,
                     " histograms this policy sends gives noise outside the sampler's range "
                     "(sigma at most 1024, variance denominator at most 2^31)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Policy> Parse(absl::string_view text, absl::string_view file, bool check_firewall);

}  // namespace

absl::string_view GeoLevelName(GeoLevel level) {
  switch (level) {
    case GeoLevel::kNational:
      return "National";
    case GeoLevel::kRegional:
      return "Regional";
    case GeoLevel::kLocalAuthority:
      return "Local authority";
  }
  return "";
}

const RecipientClass* Policy::FindClass(absl::string_view name) const {
  for (const RecipientClass& c : classes) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::StatusOr<Policy> ParsePolicy(absl::string_view text, absl::string_view file) {
  return Parse(text, file, /*check_firewall=*/true);
}

absl::StatusOr<Policy> ParsePolicyUnchecked(absl::string_view text, absl::string_view file) {
  return Parse(text, file, /*check_firewall=*/false);
}

namespace {

absl::StatusOr<Policy> Parse(absl::string_view text, absl::string_view file, bool check_firewall) {
  v1::Policy proto;
  RINGFENCE_RETURN_IF_ERROR(base::ParseTextprotoStrictly(text, file, &proto));

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
  RINGFENCE_RETURN_IF_ERROR(ParseFirewall(proto, file, &policy));
  RINGFENCE_RETURN_IF_ERROR(CheckNoiseRange(policy, file));
  if (check_firewall) {
    std::vector<Violation> violations = CheckFirewall(policy);
    if (!violations.empty()) {
      std::string message = absl::StrCat(file, ": the firewall does not hold (", violations.size(),
                                         " violation", violations.size() == 1 ? "" : "s", "):");
      for (const Violation& v : violations) absl::StrAppend(&message, "\n  ", v.ToString());
      return absl::InvalidArgumentError(message);
    }
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!proto.SerializeToCodedStream(&coded)) {
      return absl::InternalError(absl::StrCat(file, ": cannot serialise the policy"));
    }
  }
  policy.digest = crypto::Sha256Hex(bytes);
  return policy;
}

}  // namespace

absl::StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  std::string text;
  RINGFENCE_RETURN_IF_ERROR(base::ReadFileToString(path, &text));
  return ParsePolicy(text, path);
}

absl::StatusOr<Policy> LoadPolicyFileUnchecked(const std::string& path) {
  std::string text;
  RINGFENCE_RETURN_IF_ERROR(base::ReadFileToString(path, &text));
  return ParsePolicyUnchecked(text, path);
}

}  // namespace ringfence::policy
