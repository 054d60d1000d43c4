// Microbenchmarks of the strict CSV reader (base/csv.h), the first stage of every node load.
//
//   build-bench/bench/bench_csv [--benchmark_filter=...]
//
// The inputs are made here, in memory, from a fixed-seed generator shaped like an SSDA903
// Episodes export (13 columns, dates, codes, postcodes, blanks), so the figures do not depend
// on any file on disk and contain no real data. Throughput is reported in bytes of CSV per
// second. Not run by ctest: see bench/run_benchmarks.sh and docs/benchmarks.md.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/csv.h"
#include "benchmark/benchmark.h"

namespace ringfence::base {
namespace {

// A small, fixed-seed generator (splitmix64) so every run sees the same bytes.
class Prng {
 public:
  explicit Prng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

std::string Date(Prng& p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", 1 + p.Below(28), 1 + p.Below(12),
                2015 + p.Below(11));
  return buf;
}

std::string Postcode(Prng& p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%c%d %d%c%c", 'A' + p.Below(26), 'A' + p.Below(26),
                1 + p.Below(20), p.Below(10), 'A' + p.Below(26), 'A' + p.Below(26));
  return buf;
}

// About `bytes` of Episodes-shaped CSV. With `quoted`, one row in four quotes its postcodes
// and one in sixteen carries an escaped quote, as a spreadsheet export might.
std::string MakeEpisodes(size_t bytes, bool quoted, bool crlf) {
  static constexpr const char* kRne[] = {"S", "P", "L", "T", "U", "B"};
  static constexpr const char* kLs[] = {"C1", "C2", "E1", "V2", "J1", "L1"};
  static constexpr const char* kPlace[] = {"U1", "U4", "K2", "P1", "H5", "R1", "T0", "Z1"};
  static constexpr const char* kRec[] = {"E11", "E13", "E4A", "E5", "E45", "X1"};
  Prng p(20250331);
  const char* eol = crlf ? "\r\n" : "\n";
  std::string out = absl::StrCat(
      "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
      "PL_POST,URN",
      eol);
  int child = 0;
  while (out.size() < bytes) {
    if (p.Below(3) == 0) ++child;
    const bool ceased = p.Below(2) == 0;
    std::string home = Postcode(p);
    std::string place = Postcode(p);
    if (quoted && p.Below(4) == 0) {
      home = absl::StrCat("\"", home, "\"");
      place = absl::StrCat("\"", place, "\"");
    }
    const char* provider = (quoted && p.Below(16) == 0) ? "\"PR\"\"1\"" : "PR1";
    absl::StrAppend(&out, "C", 213000000 + child, ",", Date(p), ",", kRne[p.Below(6)], ",",
                    kLs[p.Below(6)], ",N", 1 + p.Below(8), ",", kPlace[p.Below(8)], ",",
                    provider, ",", ceased ? Date(p) : "", ",", ceased ? kRec[p.Below(6)] : "",
                    ",", ceased ? "CARPL" : "", ",", home, ",", place, ",", eol);
  }
  return out;
}

constexpr size_t kSize = 8 << 20;  // about the Episodes file of the largest LAs at 10x

void ReadAllRows(benchmark::State& state, const std::string& text) {
  size_t fields = 0;
  for (auto _ : state) {
    CsvReader reader(text, "episodes.csv");
    CsvRow row;
    while (reader.Next(&row)) fields += row.fields.size();
    if (!reader.status().ok()) state.SkipWithError("malformed benchmark input");
    benchmark::DoNotOptimize(fields);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}

// Plain unquoted fields and LF line ends: what `ringfence synth` and most LA systems write.
void BM_CsvPlainLf(benchmark::State& state) {
  static const std::string text = MakeEpisodes(kSize, false, false);
  ReadAllRows(state, text);
}
BENCHMARK(BM_CsvPlainLf);

// CRLF line ends: what spreadsheet exports write.
void BM_CsvPlainCrlf(benchmark::State& state) {
  static const std::string text = MakeEpisodes(kSize, false, true);
  ReadAllRows(state, text);
}
BENCHMARK(BM_CsvPlainCrlf);

// Some quoted fields and escaped quotes.
void BM_CsvQuoted(benchmark::State& state) {
  static const std::string text = MakeEpisodes(kSize, true, true);
  ReadAllRows(state, text);
}
BENCHMARK(BM_CsvQuoted);

// Reading the file from the page cache, as the loader does before parsing. The file is
// written before the timed loop (and removed after it) on every call the library makes.
void BM_ReadFileToString(benchmark::State& state) {
  static const std::string text = MakeEpisodes(kSize, false, false);
  const std::string path = absl::StrCat("/tmp/ringfence_bench_csv_", ::getpid(), ".csv");
  if (!WriteFileAtomically(path, text).ok()) {
    state.SkipWithError("cannot write the temporary file");
    return;
  }
  std::string out;
  for (auto _ : state) {
    if (!ReadFileToString(path, &out).ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  ::unlink(path.c_str());
}
BENCHMARK(BM_ReadFileToString);

}  // namespace
}  // namespace ringfence::base

BENCHMARK_MAIN();
