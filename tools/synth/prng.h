// Deterministic pseudo-random numbers for the synthetic data generator (`ringfence synth`).
//
// The generator promises byte-identical output for the same flags on every platform, so it does
// not use <random>'s distributions (their algorithms are unspecified and differ between
// standard libraries). Everything here is defined bit for bit: xoshiro256** seeded through
// splitmix64, Lemire's multiply-and-reject for bounded integers, and integer weights for
// weighted choice. Floating point appears only in Unit(), which is an exact scaling of 53
// random bits, and in callers' comparisons against it (IEEE-754 +, *, / and < are exactly
// specified, so results agree across conforming compilers; no libm function is used).
//
// Security: NOT a cryptographic generator. It only makes synthetic test data; anything that
// protects real data (noise, keys, nonces) uses crypto/ instead.
//
// Thread-compatible: one Rng per thread.
#ifndef RINGFENCE_TOOLS_SYNTH_PRNG_H_
#define RINGFENCE_TOOLS_SYNTH_PRNG_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ringfence::tools::synth {

// One step of splitmix64: advances `*state` and returns the next output.
uint64_t SplitMix64(uint64_t* state);

// 64-bit FNV-1a of the bytes of `s` (stable label hashing for stream derivation).
uint64_t Fnv1a64(absl::string_view s);

// A code with an integer weight, for Rng::Pick.
struct WeightedCode {
  const char* code;
  int weight;  // >= 0; the chance of a code is weight / sum of weights
};

class Rng {
 public:
  // Seeds the four xoshiro256** words with four splitmix64 outputs from `seed`.
  explicit Rng(uint64_t seed);

  // An independent stream for (seed, label, extra): e.g. one per (run seed, LA code, year).
  // Streams for different labels do not depend on each other, so an LA's data does not depend
  // on which other LAs are generated.
  static Rng ForStream(uint64_t seed, absl::string_view label, uint64_t extra);

  // The next 64 random bits (xoshiro256**).
  uint64_t Next();

  // Uniform in [0, n). Requires n > 0 (returns 0 for n == 0).
  uint64_t Below(uint64_t n);

  // Uniform in [lo, hi], both inclusive. Requires lo <= hi (returns lo otherwise).
  int64_t Between(int64_t lo, int64_t hi);

  // Uniform in [0, 1) with 53 bits of precision.
  double Unit();

  // True with probability p (p <= 0 never, p >= 1 always).
  bool Chance(double p);

  // An index in [0, weights.size()) with probability weights[i] / sum. Requires a positive
  // sum (returns 0 otherwise).
  size_t Weighted(absl::Span<const int> weights);

  // A code from `codes` with probability weight / sum. Requires a positive sum.
  const char* Pick(absl::Span<const WeightedCode> codes);

  // Fisher-Yates shuffle driven by Below().
  template <typename T>
  void Shuffle(std::vector<T>* v) {
    for (size_t i = v->size(); i > 1; --i) {
      size_t j = static_cast<size_t>(Below(i));
      std::swap((*v)[i - 1], (*v)[j]);
    }
  }

 private:
  uint64_t s_[4];
};

}  // namespace ringfence::tools::synth

#endif  // RINGFENCE_TOOLS_SYNTH_PRNG_H_
