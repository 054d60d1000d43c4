# `ringfence policy`: check, explain and digest a policy file (auditors).
ringfence_cc_library(NAME tools_policy_command SRCS policy_command.cc HDRS policy_command.h
  DEPS policy_policy catalogue_catalogue base_cli base_csv absl::status absl::statusor
       absl::strings absl::str_format)
ringfence_cc_test(NAME tools_policy_command_test SRCS policy_command_test.cc
  DEPS tools_policy_command policy_policy policy_testing_policy_text catalogue_catalogue
       base_csv base_testing_status_matchers)
# main.cmake declares the binary before this fragment is included.
if(TARGET ringfence)
  target_link_libraries(ringfence PRIVATE tools_policy_command)
  if(RINGFENCE_BUILD_TESTS)
    add_dependencies(tools_policy_command_test ringfence)  # PolicyBinaryTest runs it
  endif()
endif()
