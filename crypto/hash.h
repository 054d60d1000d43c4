// SHA-256 for receipts and (later) the audit log.
// Thread-safe.
#ifndef RINGFENCE_CRYPTO_HASH_H_
#define RINGFENCE_CRYPTO_HASH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace ringfence::crypto {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_HASH_H_
