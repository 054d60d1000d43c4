#include "crypto/testing/deterministic_random_source.h"

#include <openssl/sha.h>

namespace ringfence::crypto::testing {

DeterministicRandomSource::DeterministicRandomSource(uint64_t seed) : seed_(seed) {}

absl::Status DeterministicRandomSource::Fill(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (used_ == sizeof(block_)) {
      uint8_t input[16];
      for (int b = 0; b < 8; ++b) {
        input[b] = static_cast<uint8_t>(seed_ >> (8 * b));
        input[8 + b] = static_cast<uint8_t>(counter_ >> (8 * b));
      }
      ++counter_;
      SHA256(input, sizeof(input), block_);
      used_ = 0;
    }
    out[i] = block_[used_++];
  }
  return absl::OkStatus();
}

}  // namespace ringfence::crypto::testing
