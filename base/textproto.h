#ifndef RINGFENCE_BASE_TEXTPROTO_H_
#define RINGFENCE_BASE_TEXTPROTO_H_

// Strict parsing of a configuration file written as a text-format protobuf (the node's
// NodeConfig, the coordinator's Policy).
//
// Protobuf only at the edges: reading a configuration file IS an edge, so this unit links
// protobuf and takes a google::protobuf::Message; callers turn the parsed message into their
// own C++ types straight away and never pass the proto further in.
//
// Strict means: an unknown field or extension is an error (a misspelt safety setting must not
// be ignored silently), and so is every parser warning.
//
// Thread safety: stateless; safe to call concurrently on distinct messages.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace ringfence::base {

// Parses `text` (the contents of `file`; `file` only names it in errors) into `*out`.
// Returns OK, or INVALID_ARGUMENT whose message is every parser error and warning as
// "FILE:LINE:COLUMN: message" (1-based line and column) joined by "\n"; if the parser fails
// without saying why, "FILE: not a <full message name> textproto". On error `*out` is left
// partly filled and must not be used.
//
// Security: error messages quote the parser's text, which may echo a piece of the file (a
// field name or value); configuration files hold no row-level data, but do not pass a file
// of records through this.
absl::Status ParseTextprotoStrictly(absl::string_view text, absl::string_view file,
                                    google::protobuf::Message* out);

}  // namespace ringfence::base

#endif  // RINGFENCE_BASE_TEXTPROTO_H_
