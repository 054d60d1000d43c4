#include "tools/collection_id.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ringfence::tools {

absl::StatusOr<CollectionId> ParseCollectionId(absl::string_view id) {
  const auto bad = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat("'", id,
                     "' is not a collection id: expected YYYY-annual, YYYY-h1, YYYY-h2 or "
                     "YYYY-q1 .. YYYY-q4 (e.g. 2025-annual, 2025-q3)"));
  };
  if (id.size() < 7 || id[4] != '-') return bad();
  CollectionId out;
  const absl::string_view year = id.substr(0, 4);
  for (char c : year) {
    if (c < '0' || c > '9') return bad();
  }
  if (!absl::SimpleAtoi(year, &out.year) || out.year < 1000) return bad();
  const absl::string_view window = id.substr(5);
  for (absl::string_view w : {"annual", "h1", "h2", "q1", "q2", "q3", "q4"}) {
    if (window == w) {
      out.window = std::string(w);
      return out;
    }
  }
  return bad();
}

}  // namespace ringfence::tools
