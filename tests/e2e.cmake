if(RINGFENCE_BUILD_TESTS)
  ringfence_cc_library(NAME tests_testing_subprocess SRCS testing/subprocess.cc
    HDRS testing/subprocess.h)
  ringfence_cc_library(NAME tests_testing_wire_capture SRCS testing/wire_capture.cc
    HDRS testing/wire_capture.h DEPS gRPC::grpc++)
  ringfence_cc_library(NAME tests_testing_collections SRCS testing/collections.cc
    HDRS testing/collections.h
    DEPS proto_coordinator_service crypto_tls_credentials base_grpc_status absl::status
         absl::statusor absl::time gRPC::grpc++)
  ringfence_cc_library(NAME tests_testing_storage_faults SRCS testing/storage_faults.cc
    HDRS testing/storage_faults.h
    DEPS tests_testing_subprocess SQLite::SQLite3 absl::strings GTest::gtest)
endif()
ringfence_cc_test(NAME tests_testing_storage_faults_test SRCS testing/storage_faults_test.cc
  DEPS tests_testing_storage_faults tests_testing_subprocess SQLite::SQLite3)
# End-to-end tests run the real binaries, so they depend on them being built.
set(RINGFENCE_E2E_BINARIES ringfence ringfence-node ringfence-coordinator)
ringfence_cc_test(NAME round_e2e_test SRCS round_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections policy_testing_policy_text policy_policy
  node_protect node_submit_client crypto_tls_credentials
  crypto_testing_deterministic_random_source base_csv catalogue_catalogue absl::strings
  LABELS e2e)
ringfence_cc_test(NAME node_egress_test SRCS node_egress_test.cc
  DEPS tests_testing_subprocess tests_testing_collections tests_testing_wire_capture node_loader node_grid node_protect
  node_submit_client node_round policy_policy policy_testing_policy_text crypto_tls_credentials
  crypto_random_source base_csv absl::strings LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(round_e2e_test ${RINGFENCE_E2E_BINARIES})
  add_dependencies(node_egress_test ${RINGFENCE_E2E_BINARIES})
endif()
ringfence_cc_test(NAME node_quarantine_e2e_test SRCS node_quarantine_e2e_test.cc
  DEPS tests_testing_subprocess node_testing_la_folder policy_testing_policy_text absl::strings
  LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(node_quarantine_e2e_test ringfence-node)
endif()
if(RINGFENCE_BUILD_TESTS)
  # Test-only binary: ringfence-node with crash points (never installed; see its header).
  ringfence_cc_binary(NAME ringfence-node-crashtest SRCS node_crash_harness.cc DEPS node_cli)
endif()
ringfence_cc_test(NAME node_crash_e2e_test SRCS node_crash_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections node_ledger crypto_hash policy_testing_policy_text absl::strings
  LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(node_crash_e2e_test ringfence-node ringfence-node-crashtest ringfence
    ringfence-coordinator)
endif()
ringfence_cc_test(NAME node_egress_shape_test SRCS node_egress_shape_test.cc
  DEPS tests_testing_subprocess tests_testing_collections tests_testing_wire_capture node_loader node_grid node_round
  node_testing_la_folder
  policy_policy policy_testing_policy_text crypto_tls_credentials crypto_random_source
  catalogue_catalogue absl::strings LABELS e2e TIMEOUT 600)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(node_egress_shape_test ${RINGFENCE_E2E_BINARIES})
endif()
ringfence_cc_test(NAME noninterference_test SRCS noninterference_test.cc
  DEPS tools_noninterference tools_synth node_loader policy_policy policy_testing_policy_text
       crypto_testing_deterministic_random_source base_csv absl::strings LABELS e2e)
# The coordinator binary's health service, limits and SIGTERM shutdown.
ringfence_cc_test(NAME coordinator_lifecycle_e2e_test SRCS coordinator_lifecycle_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections coordinator_store
  coordinator_testing_health_client
  policy_policy policy_testing_policy_text node_protect node_submit_client
  crypto_testing_deterministic_random_source catalogue_catalogue base_testing_status_matchers
  absl::strings gRPC::grpc++ LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(coordinator_lifecycle_e2e_test ringfence ringfence-coordinator)
endif()
# ringfence-coordinator --la-register: a round over a register's LAs, a malformed register.
ringfence_cc_test(NAME la_register_e2e_test SRCS la_register_e2e_test.cc
  DEPS tests_testing_subprocess coordinator_testing_test_pki policy_policy
  policy_testing_policy_text node_protect node_submit_client crypto_identity
  crypto_testing_deterministic_random_source crypto_tls_credentials catalogue_catalogue base_csv
  proto_coordinator_service absl::strings absl::time gRPC::grpc++ LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(la_register_e2e_test ringfence ringfence-coordinator)
endif()
# Collections through the real binaries: ringfence collection, ringfence-node submit, release.
ringfence_cc_test(NAME collection_e2e_test SRCS collection_e2e_test.cc
  DEPS tests_testing_subprocess policy_testing_policy_text absl::strings absl::time LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(collection_e2e_test ${RINGFENCE_E2E_BINARIES})
endif()
# The node's ledger on a full disk, a read-only file and a read-only folder.
ringfence_cc_test(NAME node_storage_e2e_test SRCS node_storage_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections tests_testing_storage_faults node_ledger
  policy_testing_policy_text SQLite::SQLite3 absl::strings LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(node_storage_e2e_test ringfence ringfence-node ringfence-coordinator)
endif()
# Replacing and revoking an LA's certificate, renewing the coordinator's.
ringfence_cc_test(NAME cert_rotation_e2e_test SRCS cert_rotation_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections node_ledger policy_testing_policy_text
  absl::strings absl::time LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(cert_rotation_e2e_test ringfence ringfence-node ringfence-coordinator)
endif()
# SIGKILL of the coordinator during a round of many LAs; clients that die and resend.
ringfence_cc_test(NAME coordinator_crash_e2e_test SRCS coordinator_crash_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections policy_policy
  policy_testing_policy_text node_protect node_submit_client catalogue_catalogue
  catalogue_la_registry crypto_hash crypto_testing_deterministic_random_source SQLite::SQLite3
  absl::strings gRPC::grpc++ LABELS e2e TIMEOUT 120)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(coordinator_crash_e2e_test ringfence ringfence-coordinator)
endif()
# The coordinator's database full (--max-db-pages), read-only, or in a read-only folder.
ringfence_cc_test(NAME coordinator_storage_e2e_test SRCS coordinator_storage_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections tests_testing_storage_faults
  policy_policy policy_testing_policy_text node_protect node_submit_client catalogue_catalogue
  crypto_hash crypto_testing_deterministic_random_source absl::strings gRPC::grpc++
  LABELS e2e)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(coordinator_storage_e2e_test ringfence ringfence-coordinator)
endif()
# ringfence-node serve against the real coordinator (collections, state reports, restarts,
# a coordinator that is down at first).
ringfence_cc_test(NAME node_serve_e2e_test SRCS node_serve_e2e_test.cc
  DEPS tests_testing_subprocess tests_testing_collections node_ledger policy_testing_policy_text
       proto_coordinator_service absl::strings absl::time
  LABELS e2e TIMEOUT 600)
if(RINGFENCE_BUILD_TESTS)
  add_dependencies(node_serve_e2e_test ringfence-node ringfence ringfence-coordinator)
endif()
