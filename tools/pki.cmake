# `ringfence pki`: test/demo PKI (init, issue, show, revoke).
ringfence_cc_library(NAME tools_pki_command SRCS pki_command.cc HDRS commands.h
  DEPS crypto_x509 crypto_identity base_cli base_csv base_status_macros catalogue_la_registry
       absl::status absl::statusor absl::strings absl::time)
ringfence_cc_test(NAME tools_pki_command_test SRCS pki_command_test.cc
  DEPS tools_pki_command crypto_x509 crypto_identity crypto_revocation base_csv
       base_testing_status_matchers)
