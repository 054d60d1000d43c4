// gRPC mutual-TLS credentials from PEM material.
//
// Security: servers built with MakeServerCredentials request AND require a client
// certificate and verify it against the CA (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_
// AND_VERIFY); a peer with no certificate, a certificate from another CA, or an expired one
// fails the handshake before any RPC runs. gRPC 1.51 negotiates TLS 1.2 or 1.3 and cannot be
// told to require 1.3. Clients verify the server's certificate against the CA and its SAN
// against the target host name.
//
// Only main() reads files (LoadTlsMaterial); libraries take TlsMaterial by value.
#ifndef RINGFENCE_CRYPTO_TLS_CREDENTIALS_H_
#define RINGFENCE_CRYPTO_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_context.h"
#include "crypto/identity.h"
#include "crypto/revocation.h"

namespace ringfence::crypto {

struct TlsMaterial {
  std::string ca_pem;    // trust anchor for the peer
  std::string cert_pem;  // own certificate (chain)
  std::string key_pem;   // own private key
};

// Reads the three PEM files. Errors name the file: NOT_FOUND, PERMISSION_DENIED, or
// INVALID_ARGUMENT when a file is not PEM of the expected kind or the key does not match the
// certificate. Warns nothing; callers decide about key file modes.
absl::StatusOr<TlsMaterial> LoadTlsMaterial(const std::string& ca_path,
                                            const std::string& cert_path,
                                            const std::string& key_path);

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsMaterial& m);
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsMaterial& m);

// The verified peer's identity in a server handler: the URI SAN of the client certificate
// the TLS handshake verified. UNAUTHENTICATED when there is none or it is malformed.
absl::StatusOr<PartyIdentity> PeerIdentity(const grpc::ServerContext& context);
// The same for handlers of the callback API.
absl::StatusOr<PartyIdentity> PeerIdentity(const grpc::CallbackServerContext& context);

// OK unless the verified client certificate's serial is on `crl` (which may reload itself
// first). UNAUTHENTICATED "certificate serial <hex> is revoked" when it is, or when there is
// no single verified client certificate to check.
// Security: call it first in every handler; the TLS handshake does not consult the CRL.
absl::Status CheckPeerNotRevoked(const grpc::ServerContext& context, RevocationList& crl);

}  // namespace ringfence::crypto

#endif  // RINGFENCE_CRYPTO_TLS_CREDENTIALS_H_
