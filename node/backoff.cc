#include "node/backoff.h"

#include <memory>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ringfence::node {

UniformFn DefaultUniform() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine](uint64_t bound) {
    return std::uniform_int_distribution<uint64_t>(0, bound)(*engine);
  };
}

absl::StatusOr<Backoff> Backoff::Create(absl::Duration initial, absl::Duration max,
                                        UniformFn uniform, ClockFn clock) {
  if (initial < absl::Milliseconds(1) || max < initial) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff: need 1ms <= initial <= max, got initial ",
                     absl::FormatDuration(initial), " and max ", absl::FormatDuration(max)));
  }
  if (!uniform) uniform = DefaultUniform();
  if (!clock) clock = [] { return absl::Now(); };
  return Backoff(initial, max, std::move(uniform), std::move(clock));
}

absl::Duration Backoff::Bound() const {
  if (failures_ == 0) return absl::ZeroDuration();
  absl::Duration bound = initial_;
  // Doubling stops at max, so this never overflows however many failures there were.
  for (int i = 1; i < failures_ && bound < max_; ++i) bound *= 2;
  return bound < max_ ? bound : max_;
}

absl::Duration Backoff::NextWait() {
  if (failures_ < 1000000) ++failures_;
  const int64_t bound_ms = absl::ToInt64Milliseconds(Bound());
  return absl::Milliseconds(static_cast<int64_t>(uniform_(static_cast<uint64_t>(bound_ms))));
}

absl::Time Backoff::NextAttemptAt() {
  const absl::Duration wait = NextWait();
  return clock_() + wait;
}

absl::Duration Backoff::PollWait(absl::Duration interval) {
  const int64_t ms = absl::ToInt64Milliseconds(interval);
  if (ms <= 0) return absl::ZeroDuration();
  const int64_t spread = ms / 5;  // 20%
  const int64_t offset = static_cast<int64_t>(uniform_(static_cast<uint64_t>(2 * spread)));
  return absl::Milliseconds(ms - spread + offset);
}

}  // namespace ringfence::node
