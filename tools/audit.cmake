# `ringfence audit noninterference` and the non-interference check it shares with
# tests/noninterference_test.cc.
ringfence_cc_library(NAME tools_noninterference SRCS noninterference.cc HDRS noninterference.h
  DEPS node_grid node_protect node_submit_client coordinator_combine coordinator_proto_util
       policy_policy catalogue_catalogue crypto_random_source base_status_macros absl::strings)
ringfence_cc_library(NAME tools_audit_command SRCS audit_command.cc HDRS audit_command.h
  DEPS tools_noninterference node_loader policy_policy catalogue_catalogue catalogue_la_registry
       crypto_random_source
       base_cli absl::strings)
if(TARGET ringfence)
  target_link_libraries(ringfence PRIVATE tools_audit_command)
endif()
