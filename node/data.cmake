# The node's data layer: dates, code lists, the strict folder loader, the exact grid and the
# exact preview. Included from node/CMakeLists.txt.

ringfence_cc_library(NAME node_dates SRCS dates.cc HDRS dates.h
  DEPS absl::status absl::statusor absl::strings absl::str_format)
ringfence_cc_test(NAME node_dates_test SRCS dates_test.cc
  DEPS node_dates base_testing_status_matchers)

ringfence_cc_library(NAME node_codes SRCS codes.cc HDRS codes.h DEPS absl::strings)
ringfence_cc_test(NAME node_codes_test SRCS codes_test.cc DEPS node_codes)

ringfence_cc_library(NAME node_loader SRCS loader.cc HDRS loader.h la_data.h ssda903_schema.h
  DEPS node_dates node_codes base_csv base_status_macros catalogue_catalogue policy_data_quality
       absl::flat_hash_map absl::flat_hash_set absl::status absl::statusor absl::strings)
ringfence_cc_test(NAME node_loader_test SRCS loader_test.cc
  DEPS node_loader node_testing_la_folder base_testing_status_matchers)

ringfence_cc_library(NAME node_grid SRCS grid.cc HDRS grid.h
  DEPS node_loader node_dates base_status_macros catalogue_catalogue
       absl::status absl::statusor absl::strings)
ringfence_cc_test(NAME node_grid_test SRCS grid_test.cc
  DEPS node_grid node_loader node_testing_la_folder base_testing_status_matchers)
ringfence_cc_test(NAME node_grid_window_test SRCS grid_window_test.cc
  DEPS node_grid node_dates node_loader node_testing_la_folder base_testing_status_matchers)

ringfence_cc_library(NAME node_preview SRCS preview.cc HDRS preview.h
  DEPS catalogue_catalogue absl::strings)
ringfence_cc_test(NAME node_preview_test SRCS preview_test.cc
  DEPS node_preview catalogue_catalogue)

# Test helpers shared with tests/ (end-to-end): temporary LA folders and CSV builders.
if(RINGFENCE_BUILD_TESTS)
  ringfence_cc_library(NAME node_testing_la_folder SRCS testing/la_folder.cc
    HDRS testing/la_folder.h
    DEPS absl::status absl::statusor absl::strings)
  ringfence_cc_library(NAME node_testing_fake_coordinator SRCS testing/fake_coordinator.cc
    HDRS testing/fake_coordinator.h
    DEPS coordinator_testing_test_pki crypto_identity crypto_tls_credentials
         proto_coordinator_service absl::statusor absl::strings absl::synchronization)
endif()
