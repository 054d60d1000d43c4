# `ringfence collection`: the operator opens, closes and follows collections over mTLS.
ringfence_cc_library(NAME tools_collection_id SRCS collection_id.cc HDRS collection_id.h
  DEPS absl::status absl::statusor absl::strings)
ringfence_cc_library(NAME tools_collection_command SRCS collection_command.cc
  HDRS collection_command.h commands.h
  DEPS tools_collection_id proto_coordinator_service base_grpc_status base_cli base_csv
       catalogue_catalogue catalogue_la_registry crypto_tls_credentials crypto_x509 absl::status
       absl::statusor absl::strings absl::time gRPC::grpc++)
ringfence_cc_test(NAME tools_collection_command_test SRCS collection_command_test.cc
  DEPS tools_collection_command tools_collection_id base_csv base_testing_status_matchers)
ringfence_cc_test(NAME tools_collection_command_rpc_test SRCS collection_command_rpc_test.cc
  DEPS tools_collection_command coordinator_testing_test_pki crypto_identity crypto_tls_credentials
       proto_coordinator_service base_csv base_testing_status_matchers absl::synchronization
       absl::time gRPC::grpc++)
# main.cmake declares the binary before this fragment is included.
if(TARGET ringfence)
  target_link_libraries(ringfence PRIVATE tools_collection_command)
endif()
