#include "coordinator/collection_proto.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "catalogue/la_registry.h"
#include "coordinator/collections.h"

namespace ringfence::coordinator {

namespace v1 = ::ringfence::v1;

absl::StatusOr<CollectionRecord> CollectionFromOpenRequest(const v1::OpenCollectionRequest& request,
                                                           absl::string_view operator_uri,
                                                           absl::Time now) {
  if (request.period() == v1::PERIOD_UNSPECIFIED) {
    return absl::InvalidArgumentError("period is required: ANNUAL, HALF_YEAR or QUARTERLY");
  }
  RINGFENCE_ASSIGN_OR_RETURN(CollectionPeriod period, PeriodFromNumber(request.period(), "period"));
  RINGFENCE_ASSIGN_OR_RETURN(
      CollectionWindow window,
      ResolveWindow(request.year(), period, request.period_start(), request.period_end()));
  const absl::Time deadline = absl::FromUnixSeconds(request.deadline_unix_seconds());
  RINGFENCE_RETURN_IF_ERROR(ValidateDeadline(deadline, window, absl::InfinitePast()));
  std::vector<std::string> codes(request.expected_la_codes().begin(),
                                 request.expected_la_codes().end());
  RINGFENCE_ASSIGN_OR_RETURN(std::vector<std::string> expected, ValidateExpectedLas(codes));
  CollectionRecord c;
  c.collection_id = CollectionId(request.year(), window.name);
  c.year = request.year();
  c.period = period;
  c.period_start = window.start;
  c.period_end = window.end;
  c.deadline = deadline;
  c.expected_la_codes = std::move(expected);
  c.state = CollectionState::kOpen;
  c.opened_at = now;
  c.opened_by = std::string(operator_uri);
  return c;
}

v1::Collection CollectionToProto(const CollectionRecord& c) {
  v1::Collection out;
  out.set_collection_id(c.collection_id);
  out.set_year(c.year);
  out.set_period(static_cast<v1::Period>(static_cast<int>(c.period)));
  out.set_period_start(IsoDate(c.period_start));
  out.set_period_end(IsoDate(c.period_end));
  out.set_deadline_unix_seconds(absl::ToUnixSeconds(c.deadline));
  for (const std::string& la : c.expected_la_codes) out.add_expected_la_codes(la);
  out.set_state(c.state == CollectionState::kOpen ? v1::Collection::OPEN : v1::Collection::CLOSED);
  out.set_opened_at_unix_seconds(absl::ToUnixSeconds(c.opened_at));
  out.set_opened_by(c.opened_by);
  if (c.state == CollectionState::kClosed) {
    out.set_closed_at_unix_seconds(absl::ToUnixSeconds(c.closed_at));
    out.set_closed_by(c.closed_by);
  }
  return out;
}

v1::CollectionStatus CollectionStatusToProto(const CollectionProgressReport& report,
                                             absl::Time now) {
  v1::CollectionStatus out;
  *out.mutable_collection() = CollectionToProto(report.collection);
  out.set_now_unix_seconds(absl::ToUnixSeconds(now));
  for (const LaProgress& p : report.las) {
    v1::LaCollectionStatus* la = out.add_las();
    la->set_la_code(p.la_code);
    if (const catalogue::LocalAuthority* known = catalogue::FindLocalAuthority(p.la_code)) {
      la->set_la_name(known->la_name);
    }
    if (p.submitted) {
      la->set_state(v1::LaCollectionStatus::SUBMITTED);
      la->set_submitted_at_unix_seconds(absl::ToUnixSeconds(p.submitted_at));
      la->set_receipt(p.receipt);
      la->set_late(p.late);
      out.set_submitted(out.submitted() + 1);
    } else if (p.refused) {
      la->set_state(v1::LaCollectionStatus::REFUSED);
      out.set_refused(out.refused() + 1);
    } else if (now > report.collection.deadline) {
      la->set_state(v1::LaCollectionStatus::LATE);
      out.set_late(out.late() + 1);
    } else {
      la->set_state(v1::LaCollectionStatus::NOT_STARTED);
      out.set_not_started(out.not_started() + 1);
    }
    if (p.refused) {
      la->set_refusal_code(p.refusal_code);
      la->set_refusal_reason(p.refusal_reason);
      la->set_refused_at_unix_seconds(absl::ToUnixSeconds(p.refused_at));
    }
    if (p.node_state > 0) {
      la->set_node_state(static_cast<v1::NodeState>(p.node_state));
      la->set_node_state_at_unix_seconds(absl::ToUnixSeconds(p.node_state_at));
    }
  }
  return out;
}

absl::StatusOr<std::string> ResolveCollectionId(absl::string_view collection_id, int year) {
  if (collection_id.empty()) return AnnualCollectionId(year);
  RINGFENCE_ASSIGN_OR_RETURN(ParsedCollectionId parsed, ParseCollectionId(collection_id));
  if (parsed.year != year) {
    return absl::InvalidArgumentError(absl::StrCat("collection ", collection_id,
                                                   " is of collection year ", parsed.year,
                                                   " but the request's year is ", year));
  }
  return std::string(collection_id);
}

}  // namespace ringfence::coordinator
