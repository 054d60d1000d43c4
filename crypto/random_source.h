// Randomness behind an interface, so production code uses OpenSSL's private DRBG and tests
// inject a deterministic stream.
//
// Security: every source of noise in Ringfence draws from a RandomSource. In production that
// is OpenSslRandomSource (RAND_priv_bytes, OpenSSL's DRBG reserved for secret values). If
// it fails, Fill returns INTERNAL and callers must release nothing (fail closed): a node
// that cannot draw fresh noise must not send a cell.
//
// Thread safety: OpenSslRandomSource is thread-safe; other implementations say.
#ifndef RINGFENCE_CRYPTO_RANDOM_SOURCE_H_
#define RINGFENCE_CRYPTO_RANDOM_SOURCE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringfence::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out[0..n)` with uniformly random bytes. INTERNAL on failure; then `out` must not
  // be used.
  virtual absl::Status Fill(uint8_t* out, size_t n) = 0;
};

// RAND_priv_bytes. Thread-safe.
class OpenSslRandomSource final : public RandomSource {
 public:
  absl::Status Fill(uint8_t* out, size_t n) override;
};

// A uniformly random integer in [0, bound) by rejection sampling (no modulo bias).
// INVALID_ARGUMENT if bound == 0; INTERNAL if the source fails.
absl::StatusOr<uint64_t> UniformBelow(RandomSource& rng, uint64_t bound);
absl::StatusOr<unsigned __int128> UniformBelow128(RandomSource& rng, unsigned __int128 bound);

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_RANDOM_SOURCE_H_
