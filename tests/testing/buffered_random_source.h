// A RandomSource that reads another source in 4 KiB blocks and hands the bytes out in order,
// for the statistical tests only.
//
// Why: the exact samplers (crypto/discrete_gaussian.h) ask for a few bytes at a time, and
// each OpenSslRandomSource::Fill is one RAND_priv_bytes call with its locking and DRBG
// bookkeeping. Measured on the 2-core CI machine, one discrete Gaussian sample at sigma^2 = 52
// costs ~15 us straight from OpenSslRandomSource and ~0.5 us through this buffer. The bytes are
// the wrapped source's bytes in the same order, so the distribution of every sample is exactly
// what production gets; only the number of calls into OpenSSL changes.
//
// Security: test-only. It keeps up to 4 KiB of unread random bytes in memory and does not
// clear them, which production code drawing secret noise must not do; nothing outside tests/
// includes this header. A failure of the wrapped source is returned as is (INTERNAL for
// OpenSslRandomSource) and the partly filled block is discarded.
//
// Thread-compatible: one instance per thread. The wrapped source must outlive this one.
#ifndef RINGFENCE_TESTS_TESTING_BUFFERED_RANDOM_SOURCE_H_
#define RINGFENCE_TESTS_TESTING_BUFFERED_RANDOM_SOURCE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "crypto/random_source.h"

namespace ringfence::testing {

class BufferedRandomSource final : public crypto::RandomSource {
 public:
  explicit BufferedRandomSource(crypto::RandomSource& base) : base_(base) {}
  BufferedRandomSource(const BufferedRandomSource&) = delete;
  BufferedRandomSource& operator=(const BufferedRandomSource&) = delete;

  absl::Status Fill(uint8_t* out, size_t n) override {
    while (n > 0) {
      if (pos_ == kBlock) {
        absl::Status s = base_.Fill(block_, kBlock);
        if (!s.ok()) return s;  // pos_ stays at kBlock: the block is never used
        pos_ = 0;
      }
      const size_t k = std::min(n, kBlock - pos_);
      std::memcpy(out, block_ + pos_, k);
      pos_ += k;
      out += k;
      n -= k;
    }
    return absl::OkStatus();
  }

 private:
  static constexpr size_t kBlock = 4096;
  crypto::RandomSource& base_;
  uint8_t block_[kBlock];
  size_t pos_ = kBlock;
};

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_BUFFERED_RANDOM_SOURCE_H_
