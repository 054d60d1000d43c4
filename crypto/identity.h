// Party identities carried in certificates' URI subject alternative names:
//
//   urn:ringfence:la:<new LA code>                 an LA node, e.g. urn:ringfence:la:E09000033
//   urn:ringfence:recipient:<class>:<name>         a recipient of releases, e.g.
//                                                  urn:ringfence:recipient:dfe_analyst:alice
//   urn:ringfence:operator:<name>                  a coordinator operator
//
// Security: identity comes only from a verified certificate, never from a message field. A
// certificate must carry exactly one urn:ringfence: URI SAN; zero or several is
// UNAUTHENTICATED, so no certificate can be two parties at once. LA codes must be in the
// LA registry (catalogue/la_registry.h); class and name are [a-z0-9_] and [A-Za-z0-9._-].
//
// Thread-safe: functions share no state.
#ifndef RINGFENCE_CRYPTO_IDENTITY_H_
#define RINGFENCE_CRYPTO_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ringfence::crypto {

enum class PartyKind { kLocalAuthority, kRecipient, kOperator };

struct PartyIdentity {
  PartyKind kind = PartyKind::kLocalAuthority;
  std::string la_code;          // kLocalAuthority only
  std::string recipient_class;  // kRecipient only
  std::string name;             // kRecipient and kOperator
  std::string uri;              // the SAN it came from
};

// Parses one urn:ringfence: URI. INVALID_ARGUMENT naming what is wrong.
absl::StatusOr<PartyIdentity> ParseIdentityUri(absl::string_view uri);

// The identity in a PEM certificate's URI SANs. UNAUTHENTICATED if the certificate has no
// urn:ringfence: URI SAN, several, or a malformed one. Does not verify the chain: callers use
// it on certificates already verified by the TLS handshake (or crypto::VerifyCertificate).
absl::StatusOr<PartyIdentity> IdentityFromCertificate(absl::string_view cert_pem);

std::string LaUri(absl::string_view la_code);
std::string RecipientUri(absl::string_view recipient_class, absl::string_view name);
std::string OperatorUri(absl::string_view name);

// A one-line description for logs and `pki show`, e.g. "LA E09000033 (Westminster)".
std::string DescribeIdentity(const PartyIdentity& id);

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_IDENTITY_H_
