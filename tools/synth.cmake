# `ringfence synth`: synthetic SSDA903 exports (tools/synth/) and its subcommand adapter.
ringfence_cc_library(NAME tools_synth_prng SRCS synth/prng.cc HDRS synth/prng.h
  DEPS absl::strings absl::span)
ringfence_cc_test(NAME tools_synth_prng_test SRCS synth/prng_test.cc DEPS tools_synth_prng)

ringfence_cc_library(NAME tools_synth_civil_date SRCS synth/civil_date.cc HDRS synth/civil_date.h
  DEPS node_dates)
ringfence_cc_test(NAME tools_synth_civil_date_test SRCS synth/civil_date_test.cc
  DEPS tools_synth_civil_date)

ringfence_cc_library(NAME tools_synth_geography SRCS synth/geography.cc HDRS synth/geography.h
  DEPS tools_synth_prng catalogue_la_registry absl::strings absl::str_format)
ringfence_cc_test(NAME tools_synth_geography_test SRCS synth/geography_test.cc
  DEPS tools_synth_geography catalogue_la_registry)

ringfence_cc_library(NAME tools_synth SRCS synth/synth.cc synth/inject_errors.cc
  HDRS synth/synth.h
  DEPS tools_synth_prng tools_synth_civil_date tools_synth_geography catalogue_la_registry
       base_csv base_status_macros absl::status absl::statusor absl::strings absl::str_format)
ringfence_cc_test(NAME tools_synth_test SRCS synth/synth_test.cc
  DEPS tools_synth base_csv base_testing_status_matchers absl::strings)

ringfence_cc_library(NAME tools_synth_command SRCS synth_command.cc HDRS commands.h
  DEPS tools_synth base_cli absl::strings absl::str_format)
ringfence_cc_test(NAME tools_synth_command_test SRCS synth/synth_command_test.cc
  DEPS tools_synth_command tools_synth base_csv)

# National mixes and England totals over many LAs (slower; statistical label).
ringfence_cc_test(NAME tools_synth_stats_test SRCS synth/synth_stats_test.cc
  DEPS tools_synth tools_synth_civil_date base_csv catalogue_la_registry LABELS statistical)

# Cross-check with the node's strict loader and its exact grid.
if(TARGET node_loader AND TARGET node_grid)
  ringfence_cc_test(NAME tools_synth_loader_test SRCS synth/synth_loader_test.cc
    DEPS tools_synth node_loader node_grid catalogue_catalogue base_csv base_testing_status_matchers
         absl::strings)
endif()

# Postcode table and placement geography, the other 903 tables, the national single folder and
# scale 10 (slower; statistical label).
ringfence_cc_test(NAME tools_synth_postcodes_test SRCS synth/synth_postcodes_test.cc
  DEPS tools_synth tools_synth_geography tools_synth_civil_date base_csv catalogue_la_registry
       absl::strings LABELS statistical)
