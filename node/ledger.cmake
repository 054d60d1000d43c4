# The node's durable privacy ledger (spends and release-once cache). Included from
# node/CMakeLists.txt.

ringfence_cc_library(NAME node_ledger SRCS ledger.cc HDRS ledger.h
  DEPS base_status_macros SQLite::SQLite3 absl::base absl::status absl::statusor absl::strings
       absl::synchronization absl::time)
ringfence_cc_test(NAME node_ledger_test SRCS ledger_test.cc
  DEPS node_ledger base_testing_status_matchers SQLite::SQLite3 Threads::Threads)
ringfence_cc_library(NAME node_budget_report SRCS budget_report.cc HDRS budget_report.h
  DEPS node_ledger dp_zcdp absl::strings absl::str_format absl::time)
ringfence_cc_test(NAME node_budget_report_test SRCS budget_report_test.cc DEPS node_budget_report)
ringfence_cc_library(NAME node_round SRCS round.cc HDRS round.h
  DEPS node_ledger node_dates node_protect node_submit_client policy_policy policy_disclosure
  catalogue_catalogue crypto_random_source base_status_macros absl::strings absl::time)
ringfence_cc_library(NAME node_cli SRCS cli.cc HDRS cli.h
  DEPS node_round node_serve node_budget_report node_loader node_grid node_preview node_protect
  node_submit_client base_cli catalogue_la_registry crypto_identity crypto_tls_credentials
  crypto_random_source policy_policy)
ringfence_cc_binary(NAME ringfence-node SRCS main.cc DEPS node_cli)

# ringfence-node serve: backoff schedule, config and the service loop.
ringfence_cc_library(NAME node_backoff SRCS backoff.cc HDRS backoff.h
  DEPS absl::status absl::statusor absl::strings absl::time)
ringfence_cc_test(NAME node_backoff_test SRCS backoff_test.cc
  DEPS node_backoff base_testing_status_matchers)
ringfence_cc_library(NAME node_serve SRCS serve.cc HDRS serve.h
  DEPS node_backoff node_round node_ledger node_loader node_grid node_dates policy_policy
       policy_data_quality catalogue_catalogue base_textproto catalogue_la_registry
       proto_coordinator_service proto_node_config crypto_random_source base_status_macros
       absl::strings absl::time)
ringfence_cc_test(NAME node_serve_test SRCS serve_test.cc
  DEPS node_serve node_testing_fake_coordinator node_testing_la_folder
       coordinator_testing_test_pki policy_testing_policy_text
       crypto_testing_deterministic_random_source base_testing_status_matchers catalogue_catalogue)
