#include "crypto/random_source.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ringfence::crypto {

absl::Status OpenSslRandomSource::Fill(uint8_t* out, size_t n) {
  while (n > 0) {
    const int chunk = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    if (RAND_priv_bytes(out, chunk) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
      ERR_clear_error();
      return absl::InternalError(absl::StrCat("RAND_priv_bytes failed: ", buf));
    }
    out += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return absl::OkStatus();
}

namespace {

int BitLength(unsigned __int128 x) {
  int bits = 0;
  while (x != 0) {
    ++bits;
    x >>= 1;
  }
  return bits;
}

}  // namespace

absl::StatusOr<unsigned __int128> UniformBelow128(RandomSource& rng, unsigned __int128 bound) {
  if (bound == 0) return absl::InvalidArgumentError("UniformBelow: bound must be positive");
  if (bound == 1) return static_cast<unsigned __int128>(0);
  // Draw just enough bytes, mask to the bit length of bound-1, reject values >= bound.
  // Expected draws < 2.
  const int bits = BitLength(bound - 1);
  const size_t bytes = static_cast<size_t>((bits + 7) / 8);
  const unsigned __int128 mask =
      bits == 128 ? ~static_cast<unsigned __int128>(0)
                  : ((static_cast<unsigned __int128>(1) << bits) - 1);
  uint8_t buf[16];
  while (true) {
    absl::Status s = rng.Fill(buf, bytes);
    if (!s.ok()) return s;
    unsigned __int128 v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | buf[i];
    v &= mask;
    if (v < bound) return v;
  }
}

absl::StatusOr<uint64_t> UniformBelow(RandomSource& rng, uint64_t bound) {
  absl::StatusOr<unsigned __int128> v = UniformBelow128(rng, bound);
  if (!v.ok()) return v.status();
  return static_cast<uint64_t>(*v);
}

}  // namespace ringfence::crypto
