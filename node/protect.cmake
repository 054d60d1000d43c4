ringfence_cc_library(NAME node_protect SRCS protect.cc HDRS protect.h
  DEPS catalogue_catalogue crypto_discrete_gaussian crypto_random_source policy_disclosure
  base_status_macros absl::strings)
ringfence_cc_test(NAME node_protect_test SRCS protect_test.cc
  DEPS node_protect crypto_testing_deterministic_random_source base_testing_status_matchers)
ringfence_cc_library(NAME node_submit_client SRCS submit_client.cc HDRS submit_client.h
  DEPS node_protect catalogue_catalogue proto_coordinator_service base_grpc_status absl::time)
# The ringfence-node binary and its CLI library are in ledger.cmake (they need the ledger).
