// The exact preview: the LA's own local view of its exact figures, in the format of
// spec/indicators.md, "Exact preview format":
//
//   indicator,breakdown,group,value
//   cla,total,total,412
//   cla,sex,male,230
//   ...
//
// one line per cell of catalogue::GridCells(), in catalogue order, values as integers, each
// line ending in '\n'.
//
// Privacy: these are exact, unprotected counts. The preview is for the LA's own screen and
// never leaves the node; nothing here sends or logs it.
//
// Thread-safe: a pure function.
#ifndef RINGFENCE_NODE_PREVIEW_H_
#define RINGFENCE_NODE_PREVIEW_H_

#include <cstdint>
#include <string>
#include <vector>

namespace ringfence::node {

// `grid` holds one value per cell of catalogue::GridCells() (as ComputeExactGrid returns).
// Precondition: grid.size() == GridCells().size(); if not, only the cells both cover are
// printed.
std::string FormatExactPreview(const std::vector<int64_t>& grid);

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_PREVIEW_H_
