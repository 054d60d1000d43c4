#include "crypto/hash.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace ringfence::crypto {

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha256(), nullptr) != 1) {
    // Only a broken OpenSSL installation gets here (the default provider always has
    // SHA-256). The contract returns a plain string, so fail closed with "", which can
    // never equal a real digest in any comparison.
    ERR_clear_error();
    return "";
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), md_len));
}

}  // namespace ringfence::crypto
