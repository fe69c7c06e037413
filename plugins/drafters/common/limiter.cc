#include "plugins/drafters/common/limiter.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace squall::drafters {

bool Semaphore::acquire_for(std::chrono::milliseconds max_wait) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, max_wait, [&] { return free_ > 0; })) return false;
  --free_;
  return true;
}

void Semaphore::release() {
  {
    std::lock_guard lock(mu_);
    ++free_;
  }
  cv_.notify_one();
}

TokenBucket::TokenBucket(std::int64_t per_minute, Clock::time_point now)
    : per_minute_(std::max<std::int64_t>(per_minute, 0)),
      level_(static_cast<double>(per_minute_)),
      last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= last_) return;
  const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
  level_ = std::min(static_cast<double>(per_minute_),
                    level_ + ms * static_cast<double>(per_minute_) / 60'000.0);
  last_ = now;
}

std::chrono::milliseconds TokenBucket::try_take(std::int64_t tokens, Clock::time_point now) {
  if (per_minute_ == 0) return std::chrono::milliseconds(0);
  std::lock_guard lock(mu_);
  refill(now);
  const double want = static_cast<double>(std::clamp<std::int64_t>(tokens, 0, per_minute_));
  if (level_ >= want) {
    level_ -= want;
    return std::chrono::milliseconds(0);
  }
  const double wait_ms = (want - level_) * 60'000.0 / static_cast<double>(per_minute_);
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(std::ceil(wait_ms))));
}

bool TokenBucket::take(std::int64_t tokens, std::chrono::milliseconds max_wait) {
  const Clock::time_point deadline = Clock::now() + max_wait;
  while (true) {
    const Clock::time_point now = Clock::now();
    const std::chrono::milliseconds wait = try_take(tokens, now);
    if (wait.count() == 0) return true;
    if (now + wait > deadline) return false;
    std::this_thread::sleep_for(wait);
  }
}

void TokenBucket::adjust(std::int64_t delta, Clock::time_point now) {
  if (per_minute_ == 0 || delta == 0) return;
  std::lock_guard lock(mu_);
  refill(now);
  const double cap = static_cast<double>(per_minute_);
  level_ = std::clamp(level_ - static_cast<double>(delta), -cap, cap);
}

}  // namespace squall::drafters
