#include "node/preview.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "catalogue/catalogue.h"

namespace ringfence::node {

std::string FormatExactPreview(const std::vector<int64_t>& grid) {
  const auto& cells = catalogue::GridCells();
  std::string out = "indicator,breakdown,group,value\n";
  const size_t n = std::min(cells.size(), grid.size());
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppend(&out, cells[i].indicator, ",", cells[i].breakdown, ",", cells[i].group, ",",
                    grid[i], "\n");
  }
  return out;
}

}  // namespace ringfence::node
