// bench_node_phases: how the node's `preview --exact` time splits between loading (strict
// validation of every file, node/loader.h) and computing the exact grid (node/grid.h), on one
// folder. Not run by ctest; see docs/benchmarks.md.
//
//   bench_node_phases --data DIR --la CODE --year YYYY [--runs N]
//
// Each run loads the folder, computes the grid and frees the data, timing the three steps on
// a monotonic clock; the minimum and the median over the runs are printed (the minimum is the
// steadier figure on a shared machine). Prints nothing about the data but its row counts.
// Only synthetic data (ringfence synth) belongs in benchmarks.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "base/cli.h"
#include "node/grid.h"
#include "node/la_data.h"
#include "node/loader.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// "min 0.412 s, median 0.430 s"
std::string MinMedian(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double median =
      v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return absl::StrFormat("min %.3f s, median %.3f s", v.front(), median);
}

const ringfence::base::CommandSpec& Spec() {
  static const auto* const kSpec = new ringfence::base::CommandSpec{
      "bench_node_phases --data DIR --la CODE --year YYYY [--runs N]",
      "Times the node's strict load of DIR and its exact grid separately, N times, and prints "
      "the minimum and median of each step.",
      {
          {"data", "DIR", "folder of SSDA903 CSV exports (synthetic)", true, ""},
          {"la", "CODE", "the node's LA code, e.g. E09000033", true, ""},
          {"year", "YYYY", "collection year", true, ""},
          {"runs", "N", "number of runs (1-100)", false, "5"},
      }};
  return *kSpec;
}

}  // namespace

int main(int argc, char** argv) {
  using ringfence::node::ComputeExactGrid;
  using ringfence::node::LaData;
  using ringfence::node::LoadLaFolder;
  using ringfence::node::LoadOptions;

  ringfence::base::ParsedFlags flags;
  if (std::optional<int> rc = ringfence::base::ParseFlagsOrExit(
          "bench_node_phases", Spec(), std::vector<std::string>(argv + 1, argv + argc), &flags)) {
    return *rc;
  }
  absl::StatusOr<int64_t> year = flags.GetInt("year", 1900, 9999);
  absl::StatusOr<int64_t> runs = flags.GetInt("runs", 1, 100);
  if (!year.ok() || !runs.ok()) {
    std::cerr << "bench_node_phases: " << (year.ok() ? runs.status() : year.status()).message()
              << "\n";
    return 2;
  }
  LoadOptions opts;
  opts.dir = flags.Get("data");
  opts.la_code = flags.Get("la");
  opts.year = static_cast<int>(*year);

  std::vector<double> load_s, grid_s, free_s, total_s;
  for (int64_t i = 0; i < *runs; ++i) {
    const Clock::time_point t0 = Clock::now();
    auto data = std::make_unique<absl::StatusOr<LaData>>(LoadLaFolder(opts));
    const Clock::time_point t1 = Clock::now();
    if (!data->ok()) {
      std::cerr << "bench_node_phases: " << data->status().message() << "\n";
      return 1;
    }
    absl::StatusOr<std::vector<int64_t>> grid = ComputeExactGrid(**data, opts.year);
    const Clock::time_point t2 = Clock::now();
    if (!grid.ok()) {
      std::cerr << "bench_node_phases: " << grid.status().message() << "\n";
      return 1;
    }
    if (i == 0) {
      std::cout << absl::StrFormat("rows: Header %d, Episodes %d; %d cells\n",
                                   (*data)->children.size(), (*data)->episodes.size(),
                                   grid->size());
    }
    data.reset();
    const Clock::time_point t3 = Clock::now();
    load_s.push_back(Seconds(t0, t1));
    grid_s.push_back(Seconds(t1, t2));
    free_s.push_back(Seconds(t2, t3));
    total_s.push_back(Seconds(t0, t3));
  }
  std::cout << "load  " << MinMedian(load_s) << "\n"
            << "grid  " << MinMedian(grid_s) << "\n"
            << "free  " << MinMedian(free_s) << "\n"
            << "total " << MinMedian(total_s) << "\n";
  return 0;
}
