# `ringfence release`: fetch a release from the coordinator over mTLS and write it as CSV.
ringfence_cc_library(NAME tools_release_csv SRCS release_csv.cc HDRS release_csv.h
  DEPS proto_cells catalogue_catalogue catalogue_la_registry absl::status absl::statusor
       absl::strings absl::str_format)
ringfence_cc_test(NAME tools_release_csv_test SRCS release_csv_test.cc
  DEPS tools_release_csv base_testing_status_matchers)

ringfence_cc_library(NAME tools_release_command SRCS release_command.cc HDRS commands.h
  DEPS tools_release_csv tools_collection_id proto_coordinator_service base_grpc_status
       crypto_tls_credentials crypto_x509 base_cli base_csv absl::status absl::strings
       gRPC::grpc++)
ringfence_cc_test(NAME tools_release_command_test SRCS release_command_test.cc
  DEPS tools_release_command coordinator_service coordinator_store coordinator_proto_util
       coordinator_testing_test_pki coordinator_testing_submissions policy_policy base_csv
       base_testing_status_matchers gRPC::grpc++)
