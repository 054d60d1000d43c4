#include "tools/synth/prng.h"

namespace ringfence::tools::synth {
namespace {

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a64(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rng::Rng(uint64_t seed) {
  uint64_t st = seed;
  for (uint64_t& w : s_) w = SplitMix64(&st);
  // xoshiro must not start from the all-zero state; splitmix64 outputs are never all zero in
  // practice, but keep the invariant explicit.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

Rng Rng::ForStream(uint64_t seed, absl::string_view label, uint64_t extra) {
  // Each ingredient goes through splitmix64 before mixing so that nearby seeds, labels and
  // extras give unrelated streams.
  uint64_t a = seed;
  uint64_t b = Fnv1a64(label);
  uint64_t c = extra ^ 0x5851f42d4c957f2dULL;
  uint64_t mixed = SplitMix64(&a);
  mixed ^= Rotl(SplitMix64(&b), 21);
  mixed ^= Rotl(SplitMix64(&c), 42);
  return Rng(mixed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Below(uint64_t n) {
  if (n == 0) return 0;
  // Lemire's multiply-shift with rejection of the biased low region: exact uniformity.
  unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::Between(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Below(span + 1));
}

double Rng::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

bool Rng::Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return Unit() < p;
}

size_t Rng::Weighted(absl::Span<const int> weights) {
  uint64_t total = 0;
  for (int w : weights) total += w > 0 ? static_cast<uint64_t>(w) : 0;
  if (total == 0) return 0;
  uint64_t x = Below(total);
  for (size_t i = 0; i < weights.size(); ++i) {
    const uint64_t w = weights[i] > 0 ? static_cast<uint64_t>(weights[i]) : 0;
    if (x < w) return i;
    x -= w;
  }
  return weights.size() - 1;  // unreachable
}

const char* Rng::Pick(absl::Span<const WeightedCode> codes) {
  uint64_t total = 0;
  for (const WeightedCode& c : codes) total += c.weight > 0 ? static_cast<uint64_t>(c.weight) : 0;
  if (total == 0) return codes.empty() ? "" : codes[0].code;
  uint64_t x = Below(total);
  for (const WeightedCode& c : codes) {
    const uint64_t w = c.weight > 0 ? static_cast<uint64_t>(c.weight) : 0;
    if (x < w) return c.code;
    x -= w;
  }
  return codes.back().code;  // unreachable
}

}  // namespace ringfence::tools::synth
