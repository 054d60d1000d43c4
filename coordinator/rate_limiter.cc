#include "coordinator/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ringfence::coordinator {

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(RateLimitOptions options) {
  if (!std::isfinite(options.requests_per_second) || options.requests_per_second < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "requests per second must be 0 (no limit) or positive, got ", options.requests_per_second));
  }
  if (options.burst < 1 || options.burst > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst must be 1..1000000, got ", options.burst));
  }
  return std::unique_ptr<RateLimiter>(new RateLimiter(options));
}

void RateLimiter::Refill(Bucket& b, absl::Time now) const {
  if (now <= b.last) return;  // a clock step back refills nothing
  const double earned = absl::ToDoubleSeconds(now - b.last) * options_.requests_per_second;
  b.tokens = std::min<double>(options_.burst, b.tokens + earned);
  b.last = now;
}

absl::Status RateLimiter::Acquire(absl::string_view identity, absl::Time now) {
  if (!enabled()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() > kMaxIdleBuckets) {
    // Forget identities whose buckets are full again: they start full anyway.
    std::vector<std::string> idle;
    for (auto& [name, bucket] : buckets_) {
      Refill(bucket, now);
      if (bucket.tokens >= options_.burst) idle.push_back(name);
    }
    for (const std::string& name : idle) buckets_.erase(name);
  }
  auto [it, inserted] =
      buckets_.try_emplace(std::string(identity), Bucket{static_cast<double>(options_.burst), now});
  Bucket& bucket = it->second;
  if (!inserted) Refill(bucket, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  const double wait = (1 - bucket.tokens) / options_.requests_per_second;
  // Rounded up to the millisecond, so a client that waits exactly that long succeeds.
  const double wait_ms = std::ceil(wait * 1000);
  return absl::ResourceExhaustedError(absl::StrFormat(
      "too many requests from %s; retry after %.3fs (limit %g per second, burst %d)",
      absl::CEscape(identity.substr(0, 200)), wait_ms / 1000, options_.requests_per_second,
      options_.burst));
}

}  // namespace ringfence::coordinator
