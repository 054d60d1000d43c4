// A per-identity token bucket: each identity (the URI SAN of a verified client
// certificate) may make `requests_per_second` calls per second on average,
// with bursts of up to `burst` calls. The coordinator's service asks it before
// anything else about a call is looked at, so one client flooding the
// coordinator is refused cheaply and never reaches the store, while every
// other identity keeps its own full bucket.
//
// Pure logic: no gRPC, no I/O, no clock of its own (the caller passes `now`,
// so tests drive it with a fake clock).
//
// Thread-safe: Acquire may be called concurrently; one mutex guards the
// buckets.
//
// Security: the identity must come from the verified certificate, never from a
// message, or a client could spread a flood over invented names. Memory is
// bounded by the identities the CA has issued: buckets that have refilled
// completely are forgotten once more than kMaxIdleBuckets are tracked, which
// loses nothing (a full bucket is what a new identity starts with).
#ifndef RINGFENCE_COORDINATOR_RATE_LIMITER_H_
#define RINGFENCE_COORDINATOR_RATE_LIMITER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ringfence::coordinator {

struct RateLimitOptions {
  // Average calls per second allowed to one identity; 0 turns limiting off.
  double requests_per_second = 5;
  // Calls one identity may make at once after being idle (the bucket's size).
  int burst = 20;
};

class RateLimiter {
 public:
  // INVALID_ARGUMENT when requests_per_second is negative or not finite, or
  // burst is below 1 (or above 1,000,000).
  static absl::StatusOr<std::unique_ptr<RateLimiter>> Create(RateLimitOptions options);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `identity`'s bucket at time `now`: OK, or
  // RESOURCE_EXHAUSTED "too many requests from IDENTITY; retry after Ns (limit
  // R per second, burst B)" when the bucket is empty (nothing is taken then).
  // A `now` earlier than the identity's last call (a clock step back) refills
  // nothing.
  absl::Status Acquire(absl::string_view identity, absl::Time now);

  const RateLimitOptions& options() const { return options_; }
  bool enabled() const { return options_.requests_per_second > 0; }

  // Above this many tracked identities, full buckets are dropped.
  static constexpr size_t kMaxIdleBuckets = 4096;

 private:
  explicit RateLimiter(RateLimitOptions options) : options_(options) {}

  struct Bucket {
    double tokens;
    absl::Time last;
  };
  // Refills `b` up to `now`.
  void Refill(Bucket& b, absl::Time now) const;

  const RateLimitOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ringfence::coordinator

#endif  // RINGFENCE_COORDINATOR_RATE_LIMITER_H_
