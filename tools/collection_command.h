// `ringfence collection`: the operator's administration of collections over mutual TLS
// (proto/coordinator_service.proto service CollectionAdmin, and Coordinator.ListCollections).
//
//   ringfence collection open   --year YYYY --period annual|half-year|quarterly
//                               [--period-start YYYY-MM-DD --period-end YYYY-MM-DD]
//                               --deadline RFC3339 (--expect LA,... | --expect-file FILE |
//                               --expect-all)
//   ringfence collection close  --collection ID
//   ringfence collection status --collection ID [--wait [--poll-seconds N]]
//   ringfence collection list
//
// Every subcommand also takes --coordinator HOST:PORT --cert FILE --key FILE --ca FILE (an
// operator certificate, urn:ringfence:operator:<name>) and --timeout-seconds N (the deadline of
// each call). RunCollectionCommand (tools/commands.h) is the entry point.
//
// Exit codes: 0 success; 1 a failure (the coordinator refused, a file cannot be read), with the
// status code name and the coordinator's message on stderr; 2 a usage error naming the flag and
// what was expected. `status --wait` exits 0 once every expected LA has submitted and 1 when the
// deadline passes (or the collection is closed) with some LA not submitted; `status` without
// --wait exits 0 whenever the status was fetched.
//
// What is checked here, before anything is sent: the flags' syntax, dates, the RFC 3339
// deadline, that every expected code is one of the 153 LAs of catalogue/la_registry.h and none
// is repeated. Whether a period window fits the year, whether the deadline is in the future and
// after the window, and the operator's right to act are the coordinator's to decide.
//
// Security: the key file is read only by RunCollectionCommand and its in-memory copy cleared
// once gRPC has its own. Text that comes from the coordinator (LA names, refusal reasons) is
// printed with control characters replaced, so that it cannot drive the operator's terminal.
// Nothing printed comes from an LA's data: a refusal reason is written by the coordinator and
// a node's state is a code.
//
// Thread-compatible: pure functions apart from RunCollectionCommand.
#ifndef RINGFENCE_TOOLS_COLLECTION_COMMAND_H_
#define RINGFENCE_TOOLS_COLLECTION_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/coordinator_service.pb.h"

namespace ringfence::tools {

// The request of `collection open` from its arguments (the connection flags are accepted and
// ignored here). INVALID_ARGUMENT naming the flag (or FILE:LINE for --expect-file) and what was
// expected; NOT_FOUND when --expect-file cannot be read.
absl::StatusOr<ringfence::v1::OpenCollectionRequest> OpenRequestFromArgs(
    const std::vector<std::string>& args);

// LA codes from the text of an --expect-file: one code per line, blank lines and anything after
// '#' ignored. `file_name` is used in messages ("FILE:LINE: ..."). INVALID_ARGUMENT for an
// unknown code, a repeated one, a line with more than one word, or no code at all.
absl::StatusOr<std::vector<std::string>> ParseExpectFile(absl::string_view text,
                                                         absl::string_view file_name);

// "2025-06-30T17:00:00Z" (RFC 3339, any offset) -> Unix seconds. INVALID_ARGUMENT otherwise.
absl::StatusOr<int64_t> ParseRfc3339(absl::string_view text);

// The collection as a few "key: value" lines (id, state, window, deadline, expected LAs,
// opened/closed by and when).
std::string FormatCollection(const ringfence::v1::Collection& collection);

// One line per collection (id, state, window, deadline, number of expected LAs), with a header;
// "no collections" when there are none.
std::string FormatCollectionList(const std::vector<ringfence::v1::Collection>& collections);

// The summary line of a status, e.g. "2025-annual: 150/153 submitted (2 late), 1 refused, 2 not
// started, deadline 2025-06-30 17:00 UTC (open)". LAs whose deadline passed with nothing stored
// are added as ", N missing" when there are any. Counted from `status.las`, not from the
// message's counters, so that the line and the table cannot disagree.
std::string CollectionSummaryLine(const ringfence::v1::CollectionStatus& status);

// The table of a status, one row per LA (code, name, state, submitted/refused time, late,
// node state and when, refusal code and reason), followed by the summary line.
std::string FormatCollectionStatus(const ringfence::v1::CollectionStatus& status);

// True when every expected LA has a stored submission.
bool AllSubmitted(const ringfence::v1::CollectionStatus& status);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_COLLECTION_COMMAND_H_
