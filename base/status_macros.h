// Status propagation macros. Abseil 20220623 ships none, so the project has its own.
//
//   RINGFENCE_RETURN_IF_ERROR(expr);          // expr yields absl::Status
//   RINGFENCE_ASSIGN_OR_RETURN(lhs, expr);    // expr yields absl::StatusOr<T>
//
// Both return the failing status unchanged from the enclosing function, which must itself
// return absl::Status or absl::StatusOr<U>.
#ifndef RINGFENCE_BASE_STATUS_MACROS_H_
#define RINGFENCE_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RINGFENCE_STATUS_CONCAT_INNER_(a, b) a##b
#define RINGFENCE_STATUS_CONCAT_(a, b) RINGFENCE_STATUS_CONCAT_INNER_(a, b)

#define RINGFENCE_RETURN_IF_ERROR(expr)                            \
  do {                                                             \
    ::absl::Status ringfence_status_ = (expr);                     \
    if (!ringfence_status_.ok()) return ringfence_status_;         \
  } while (0)

#define RINGFENCE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return std::move(tmp).status();         \
  lhs = std::move(tmp).value()

#define RINGFENCE_ASSIGN_OR_RETURN(lhs, expr)                                             \
  RINGFENCE_ASSIGN_OR_RETURN_IMPL_(                                                       \
      RINGFENCE_STATUS_CONCAT_(ringfence_statusor_, __LINE__), lhs, expr)

#endif  // RINGFENCE_BASE_STATUS_MACROS_H_
