# The node's durable privacy ledger (spends and release-once cache). Included from
# node/CMakeLists.txt.

ringfence_cc_library(NAME node_ledger SRCS ledger.cc HDRS ledger.h
  DEPS base_status_macros SQLite::SQLite3 absl::base absl::status absl::statusor absl::strings
       absl::synchronization absl::time)
ringfence_cc_test(NAME node_ledger_test SRCS ledger_test.cc
  DEPS node_ledger base_testing_status_matchers SQLite::SQLite3 Threads::Threads)
