#include "coordinator/testing/test_pki.h"

#include <utility>

#include "base/status_macros.h"

namespace ringfence::coordinator::testing {

absl::StatusOr<TestPki> TestPki::Create(absl::string_view ca_name) {
  const absl::Time now = absl::Now();
  crypto::CertificateSpec ca_spec;
  ca_spec.common_name = std::string(ca_name);
  ca_spec.not_before = now - absl::Hours(1);
  ca_spec.not_after = now + absl::Hours(24 * 30);
  ca_spec.is_ca = true;
  TestPki pki;
  RINGFENCE_ASSIGN_OR_RETURN(pki.ca_, crypto::CreateSelfSignedCa(ca_spec));

  crypto::CertificateSpec server_spec;
  server_spec.common_name = "ringfence-coordinator";
  server_spec.dns_sans = {"localhost"};
  server_spec.ip_sans = {"127.0.0.1", "::1"};
  server_spec.not_before = now - absl::Hours(1);
  server_spec.not_after = now + absl::Hours(24);
  server_spec.server_auth = true;
  RINGFENCE_ASSIGN_OR_RETURN(crypto::PemKeyAndCert server,
                             crypto::IssueCertificate(pki.ca_, server_spec));
  pki.server_ = crypto::TlsMaterial{
      pki.ca_.cert_pem, std::move(server.cert_pem), std::move(server.key_pem)};
  return pki;
}

absl::StatusOr<crypto::TlsMaterial> TestPki::Client(
    absl::string_view uri) const {
  const absl::Time now = absl::Now();
  return Client(uri, now - absl::Hours(1), now + absl::Hours(24));
}

absl::StatusOr<crypto::TlsMaterial> TestPki::Client(
    absl::string_view uri, absl::Time not_before, absl::Time not_after) const {
  crypto::CertificateSpec spec;
  spec.common_name = std::string(uri);
  spec.uri_sans = {std::string(uri)};
  spec.not_before = not_before;
  spec.not_after = not_after;
  spec.client_auth = true;
  RINGFENCE_ASSIGN_OR_RETURN(crypto::PemKeyAndCert client,
                             crypto::IssueCertificate(ca_, spec));
  return crypto::TlsMaterial{ca_.cert_pem, std::move(client.cert_pem),
                             std::move(client.key_pem)};
}

}  // namespace ringfence::coordinator::testing
