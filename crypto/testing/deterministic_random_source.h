// A deterministic RandomSource for tests only: SHA-256 in counter mode over a seed.
//
// Security: never use outside tests. It exists so tests can replay exactly the same noise
// (e.g. to check that output bytes do not depend on a sensitive input). It lives in
// crypto/testing and links only into test binaries; no production binary depends on the
// target crypto_testing_deterministic_random_source.
//
// Thread-compatible.
#ifndef RINGFENCE_CRYPTO_TESTING_DETERMINISTIC_RANDOM_SOURCE_H_
#define RINGFENCE_CRYPTO_TESTING_DETERMINISTIC_RANDOM_SOURCE_H_

#include <cstdint>
#include <string>

#include "crypto/random_source.h"

namespace ringfence::crypto::testing {

class DeterministicRandomSource final : public RandomSource {
 public:
  explicit DeterministicRandomSource(uint64_t seed);
  absl::Status Fill(uint8_t* out, size_t n) override;

 private:
  uint64_t seed_;
  uint64_t counter_ = 0;
  uint8_t block_[32];
  size_t used_ = 32;
};

// A source whose Fill always fails, to test that callers fail closed.
class FailingRandomSource final : public RandomSource {
 public:
  absl::Status Fill(uint8_t*, size_t) override {
    return absl::InternalError("injected RNG failure");
  }
};

}  // namespace ringfence::crypto::testing

#endif  // RINGFENCE_CRYPTO_TESTING_DETERMINISTIC_RANDOM_SOURCE_H_
