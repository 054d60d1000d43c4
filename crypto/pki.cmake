# PKI and identity: hashing, X.509 certificates and CRLs, party identities and gRPC mTLS
# credentials.
# Included from crypto/CMakeLists.txt.
ringfence_cc_library(NAME crypto_hash SRCS hash.cc HDRS hash.h
  DEPS OpenSSL::Crypto absl::strings)
ringfence_cc_test(NAME crypto_hash_test SRCS hash_test.cc DEPS crypto_hash)

ringfence_cc_library(NAME crypto_x509 SRCS x509.cc HDRS x509.h
  DEPS base_status_macros OpenSSL::Crypto absl::status absl::statusor absl::strings
       absl::time)
ringfence_cc_test(NAME crypto_x509_test SRCS x509_test.cc
  DEPS crypto_x509 base_testing_status_matchers OpenSSL::Crypto)

ringfence_cc_library(NAME crypto_identity SRCS identity.cc HDRS identity.h
  DEPS crypto_x509 catalogue_la_registry absl::status absl::statusor absl::strings)
ringfence_cc_test(NAME crypto_identity_test SRCS identity_test.cc
  DEPS crypto_identity crypto_x509 base_testing_status_matchers)

ringfence_cc_library(NAME crypto_revocation SRCS revocation.cc HDRS revocation.h
  DEPS crypto_x509 base_csv base_status_macros absl::flat_hash_set absl::status absl::statusor
       absl::strings absl::synchronization absl::time)
ringfence_cc_test(NAME crypto_revocation_test SRCS revocation_test.cc
  DEPS crypto_revocation crypto_x509 base_csv base_testing_status_matchers)

ringfence_cc_library(NAME crypto_tls_credentials SRCS tls_credentials.cc HDRS tls_credentials.h
  DEPS crypto_identity crypto_revocation crypto_x509 base_csv base_status_macros gRPC::grpc++ absl::strings)
ringfence_cc_test(NAME crypto_tls_credentials_test SRCS tls_credentials_test.cc
  DEPS crypto_tls_credentials crypto_x509 base_csv base_testing_status_matchers gRPC::grpc++)
