// Waits of `ringfence-node serve` between calls to the coordinator: exponential backoff with
// full jitter after failures, and a jittered poll interval when idle.
//
// Backoff. After the k-th consecutive failure (k = 1, 2, ...) the bound is
// min(initial * 2^(k-1), max) and the wait is drawn uniformly from [0, bound] ("full jitter",
// as in the AWS architecture blog's "Exponential Backoff And Jitter"), at millisecond
// resolution. Reset() after a success starts again from `initial`. Full jitter spreads the
// retries of the 153 LA nodes that lost the coordinator at the same moment over the whole
// window instead of bunching them at the same instants.
//
// Poll. PollWait(interval) is interval * (1 + u), u uniform in [-0.2, +0.2], at millisecond
// resolution, so that nodes started together drift apart.
//
// Randomness and time are injected (UniformFn, ClockFn) so that tests are deterministic; the
// defaults are a std::mt19937_64 seeded from std::random_device and absl::Now. Jitter is not a
// secret: no cryptographic source is needed.
//
// Thread-compatible.
#ifndef RINGFENCE_NODE_BACKOFF_H_
#define RINGFENCE_NODE_BACKOFF_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ringfence::node {

// Returns a uniformly distributed integer in [0, bound] (bound inclusive).
using UniformFn = std::function<uint64_t(uint64_t bound)>;
using ClockFn = std::function<absl::Time()>;

// A UniformFn over a std::mt19937_64 seeded from std::random_device.
UniformFn DefaultUniform();

class Backoff {
 public:
  // INVALID_ARGUMENT unless 0 < initial <= max (each at least a millisecond). `uniform` and
  // `clock` default to DefaultUniform() and absl::Now when empty.
  static absl::StatusOr<Backoff> Create(absl::Duration initial, absl::Duration max,
                                        UniformFn uniform = nullptr, ClockFn clock = nullptr);

  // Counts one more failure and returns the wait before the next attempt, in [0, Bound()]
  // where Bound() is taken after counting it.
  absl::Duration NextWait();
  // NextWait() from the clock's now: when the next attempt may be made.
  absl::Time NextAttemptAt();
  // After a success: the next failure waits at most `initial` again.
  void Reset() { failures_ = 0; }

  // The current upper bound: 0 before any failure, else min(initial * 2^(failures-1), max).
  absl::Duration Bound() const;
  int failures() const { return failures_; }

  // interval * (1 + u), u uniform in [-0.2, 0.2] (see above). A non-positive interval is 0.
  absl::Duration PollWait(absl::Duration interval);

 private:
  Backoff(absl::Duration initial, absl::Duration max, UniformFn uniform, ClockFn clock)
      : initial_(initial), max_(max), uniform_(std::move(uniform)), clock_(std::move(clock)) {}

  absl::Duration initial_;
  absl::Duration max_;
  UniformFn uniform_;
  ClockFn clock_;
  int failures_ = 0;
};

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_BACKOFF_H_
