// Collection ids as the coordinator names them (proto/coordinator_service.proto, enum Period):
// "<Y>-annual", "<Y>-h1", "<Y>-h2", "<Y>-q1" .. "<Y>-q4", where Y is the collection year (the
// year ending 31 March Y). The tools check an id's shape before sending it, so that a typo is a
// usage error naming the flag rather than the coordinator's NOT_FOUND.
//
// Thread-safe: pure functions.
#ifndef RINGFENCE_TOOLS_COLLECTION_ID_H_
#define RINGFENCE_TOOLS_COLLECTION_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ringfence::tools {

struct CollectionId {
  int year = 0;        // 1000..9999
  std::string window;  // "annual", "h1", "h2", "q1", "q2", "q3" or "q4"
};

// INVALID_ARGUMENT saying what a collection id looks like, for anything else.
absl::StatusOr<CollectionId> ParseCollectionId(absl::string_view id);

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_COLLECTION_ID_H_
