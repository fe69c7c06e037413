#pragma once
// Limits an LLM drafter puts on itself, shared by every thread that calls it: a counting
// semaphore on requests in flight and a token bucket on estimated tokens per minute. Both are
// thread-safe, and every wait is bounded.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace squall::drafters {

class Semaphore {
 public:
  explicit Semaphore(int permits) : free_(permits) {}
  // Takes a permit, waiting at most `max_wait`. False when none freed up in time.
  [[nodiscard]] bool acquire_for(std::chrono::milliseconds max_wait);
  void release();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

// Holds one permit of a Semaphore for its lifetime (when acquired).
class SemaphorePermit {
 public:
  SemaphorePermit(Semaphore& s, std::chrono::milliseconds max_wait)
      : s_(s), held_(s.acquire_for(max_wait)) {}
  ~SemaphorePermit() {
    if (held_) s_.release();
  }
  SemaphorePermit(const SemaphorePermit&) = delete;
  SemaphorePermit& operator=(const SemaphorePermit&) = delete;
  [[nodiscard]] bool held() const { return held_; }

 private:
  Semaphore& s_;
  bool held_;
};

// Capacity `per_minute` tokens, refilled continuously at per_minute / 60 s, starting full.
// per_minute 0 = unlimited. A request for more than the capacity is charged the capacity (it
// waits for a full bucket instead of forever).
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(std::int64_t per_minute, Clock::time_point now);
  // Takes `tokens` when available at `now` and returns 0; else takes nothing and returns how
  // long until they will be.
  [[nodiscard]] std::chrono::milliseconds try_take(std::int64_t tokens, Clock::time_point now);
  // Takes `tokens`, sleeping while needed but at most `max_wait` in all. False when the budget
  // did not free up in time (nothing taken).
  [[nodiscard]] bool take(std::int64_t tokens, std::chrono::milliseconds max_wait);
  // Corrects an estimate once the real count is known: `delta` > 0 charges more, < 0 refunds.
  void adjust(std::int64_t delta, Clock::time_point now);
  [[nodiscard]] bool unlimited() const { return per_minute_ == 0; }

 private:
  void refill(Clock::time_point now);

  std::mutex mu_;
  const std::int64_t per_minute_;
  double level_;
  Clock::time_point last_;
};

}  // namespace squall::drafters
