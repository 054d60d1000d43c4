ringfence_cc_library(NAME node_protect SRCS protect.cc HDRS protect.h
  DEPS catalogue_catalogue crypto_discrete_gaussian crypto_random_source policy_disclosure
  policy_policy base_status_macros absl::strings)
ringfence_cc_test(NAME node_protect_test SRCS protect_test.cc
  DEPS node_protect policy_policy policy_testing_policy_text
  crypto_testing_deterministic_random_source base_testing_status_matchers absl::strings)
ringfence_cc_library(NAME node_submit_client SRCS submit_client.cc HDRS submit_client.h
  DEPS node_protect policy_policy catalogue_catalogue proto_coordinator_service base_grpc_status
  base_status_macros absl::time)
ringfence_cc_test(NAME node_submit_client_test SRCS submit_client_test.cc
  DEPS node_submit_client node_protect policy_policy policy_testing_policy_text catalogue_catalogue
  crypto_testing_deterministic_random_source base_testing_status_matchers absl::strings)
# The ringfence-node binary and its CLI library are in ledger.cmake (they need the ledger).
