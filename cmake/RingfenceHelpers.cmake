# Project helpers, modelled on abseil's CMake/AbseilHelpers.cmake: one small target per unit.
#
#   ringfence_cc_library(NAME x SRCS a.cc HDRS a.h DEPS other)
#   ringfence_cc_test(NAME x_test SRCS x_test.cc DEPS x [LABELS statistical])
#   ringfence_cc_binary(NAME ringfence-node SRCS main.cc DEPS ...)
#   ringfence_proto_library(NAME p PROTO proto/x.proto [DEPS other_proto] [GRPC])
#
# Library targets are named <folder>_<unit> (e.g. crypto_rng) so a dependency says which
# layer it reaches into. Every target compiles with the project's warning flags.

include(CMakeParseArguments)

set(RINGFENCE_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)

function(ringfence_cc_library)
  cmake_parse_arguments(RF "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  if(RF_SRCS)
    add_library(${RF_NAME} STATIC ${RF_SRCS} ${RF_HDRS})
    target_include_directories(${RF_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(${RF_NAME} PUBLIC ${RF_DEPS})
    target_compile_options(${RF_NAME} PRIVATE ${RINGFENCE_WARNINGS})
  else()
    add_library(${RF_NAME} INTERFACE)
    target_include_directories(${RF_NAME} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(${RF_NAME} INTERFACE ${RF_DEPS})
  endif()
endfunction()

function(ringfence_cc_test)
  cmake_parse_arguments(RF "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT RINGFENCE_BUILD_TESTS)
    return()
  endif()
  add_executable(${RF_NAME} ${RF_SRCS})
  target_include_directories(${RF_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${RF_NAME} PRIVATE ${RF_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_options(${RF_NAME} PRIVATE ${RINGFENCE_WARNINGS})
  set_target_properties(${RF_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  add_test(NAME ${RF_NAME} COMMAND ${RF_NAME})
  set(labels unit)
  if(RF_LABELS)
    set(labels ${RF_LABELS})
  endif()
  if(NOT RF_TIMEOUT)
    set(RF_TIMEOUT 300)
  endif()
  set_tests_properties(${RF_NAME} PROPERTIES LABELS "${labels}" TIMEOUT ${RF_TIMEOUT}
    ENVIRONMENT "RINGFENCE_BIN_DIR=${PROJECT_BINARY_DIR}/bin;RINGFENCE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

function(ringfence_cc_binary)
  cmake_parse_arguments(RF "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${RF_NAME} ${RF_SRCS})
  target_include_directories(${RF_NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${RF_NAME} PRIVATE ${RF_DEPS})
  target_compile_options(${RF_NAME} PRIVATE ${RINGFENCE_WARNINGS})
  set_target_properties(${RF_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# Generates C++ (and, with GRPC, gRPC stubs) for one .proto. One include root: the project
# source dir, so imports read "proto/x.proto" and includes "proto/x.pb.h".
function(ringfence_proto_library)
  cmake_parse_arguments(RF "GRPC" "NAME;PROTO" "DEPS" ${ARGN})
  get_filename_component(base ${RF_PROTO} NAME_WE)
  get_filename_component(dir ${RF_PROTO} DIRECTORY)
  set(out ${PROJECT_BINARY_DIR}/${dir})
  set(srcs ${out}/${base}.pb.cc ${out}/${base}.pb.h)
  set(plugin_args)
  if(RF_GRPC)
    list(APPEND srcs ${out}/${base}.grpc.pb.cc ${out}/${base}.grpc.pb.h)
    set(plugin_args --grpc_out=${PROJECT_BINARY_DIR}
        --plugin=protoc-gen-grpc=${RINGFENCE_GRPC_CPP_PLUGIN})
  endif()
  add_custom_command(
    OUTPUT ${srcs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND protobuf::protoc -I ${PROJECT_SOURCE_DIR} --cpp_out=${PROJECT_BINARY_DIR}
            ${plugin_args} ${PROJECT_SOURCE_DIR}/${RF_PROTO}
    DEPENDS ${PROJECT_SOURCE_DIR}/${RF_PROTO} protobuf::protoc
    COMMENT "protoc ${RF_PROTO}")
  add_library(${RF_NAME} STATIC ${srcs})
  target_include_directories(${RF_NAME} PUBLIC ${PROJECT_BINARY_DIR})
  target_link_libraries(${RF_NAME} PUBLIC protobuf::libprotobuf ${RF_DEPS})
  if(RF_GRPC)
    target_link_libraries(${RF_NAME} PUBLIC gRPC::grpc++)
  endif()
endfunction()
