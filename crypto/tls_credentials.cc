#include "crypto/tls_credentials.h"

#include <grpc/grpc_security_constants.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/csv.h"
#include "base/status_macros.h"
#include "crypto/x509.h"
#include "grpcpp/security/auth_context.h"

namespace ringfence::crypto {
namespace {

absl::Status InFile(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

absl::Status CheckIsCertificate(const std::string& path, const std::string& pem,
                                bool want_ca) {
  absl::StatusOr<CertificateInfo> info = ParseCertificate(pem);
  if (!info.ok()) return InFile(path, info.status());
  // Swapped --ca and --cert arguments are an easy mistake; catch it here, not as an
  // obscure handshake failure later.
  if (info->is_ca != want_ca) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, want_ca ? ": not a CA certificate" : ": is a CA certificate, not a party's"));
  }
  return absl::OkStatus();
}

// The handshake already verified the chain; this only reads the leaf it verified.
absl::StatusOr<absl::string_view> PeerCertificatePem(
    const std::shared_ptr<const grpc::AuthContext>& auth) {
  if (auth == nullptr) return absl::UnauthenticatedError("no authentication context");
  const std::vector<grpc::string_ref> certs =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (certs.empty()) {
    return absl::UnauthenticatedError("peer presented no verified client certificate");
  }
  if (certs.size() != 1) {
    return absl::UnauthenticatedError("peer has more than one leaf certificate");
  }
  return absl::string_view(certs[0].data(), certs[0].size());
}

absl::StatusOr<PartyIdentity> IdentityFromAuthContext(
    const std::shared_ptr<const grpc::AuthContext>& auth) {
  RINGFENCE_ASSIGN_OR_RETURN(absl::string_view pem, PeerCertificatePem(auth));
  return IdentityFromCertificate(pem);
}

}  // namespace

absl::StatusOr<TlsMaterial> LoadTlsMaterial(const std::string& ca_path,
                                            const std::string& cert_path,
                                            const std::string& key_path) {
  TlsMaterial m;
  RINGFENCE_RETURN_IF_ERROR(base::ReadFileToString(ca_path, &m.ca_pem));
  RINGFENCE_RETURN_IF_ERROR(base::ReadFileToString(cert_path, &m.cert_pem));
  absl::Status status = base::ReadFileToString(key_path, &m.key_pem);
  if (status.ok()) status = CheckIsCertificate(ca_path, m.ca_pem, true);
  if (status.ok()) status = CheckIsCertificate(cert_path, m.cert_pem, false);
  if (status.ok()) {
    status = CheckKeyMatchesCertificate(m.key_pem, m.cert_pem);
    if (!status.ok()) {
      status = absl::InvalidArgumentError(absl::StrCat(
          key_path, ": ", status.message(), " (certificate ", cert_path, ")"));
    }
  }
  if (!status.ok()) {
    // Do not leave the key in freed memory on the error path.
    ClearSecret(&m.key_pem);
    return status;
  }
  return m;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsMaterial& m) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = m.ca_pem;
  options.pem_key_cert_pairs.push_back({m.key_pem, m.cert_pem});
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::SslServerCredentials(options);
  ClearSecret(&options.pem_key_cert_pairs.front().private_key);  // gRPC holds its own copy
  return creds;
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsMaterial& m) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = m.ca_pem;
  options.pem_private_key = m.key_pem;
  options.pem_cert_chain = m.cert_pem;
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(options);
  ClearSecret(&options.pem_private_key);
  return creds;
}

absl::StatusOr<PartyIdentity> PeerIdentity(const grpc::ServerContext& context) {
  return IdentityFromAuthContext(context.auth_context());
}

absl::StatusOr<PartyIdentity> PeerIdentity(const grpc::CallbackServerContext& context) {
  return IdentityFromAuthContext(context.auth_context());
}

absl::Status CheckPeerNotRevoked(const grpc::ServerContext& context, RevocationList& crl) {
  // The auth context owns the PEM the view points into; keep it alive while we read it.
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  RINGFENCE_ASSIGN_OR_RETURN(absl::string_view pem, PeerCertificatePem(auth));
  absl::StatusOr<CertificateInfo> info = ParseCertificate(pem);
  if (!info.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("cannot read the client certificate: ", info.status().message()));
  }
  absl::StatusOr<bool> revoked = crl.IsSerialRevoked(info->serial_hex);
  if (!revoked.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("cannot check revocation: ", revoked.status().message()));
  }
  if (*revoked) {
    return absl::UnauthenticatedError(
        absl::StrCat("certificate serial ", info->serial_hex, " is revoked"));
  }
  return absl::OkStatus();
}

}  // namespace ringfence::crypto
