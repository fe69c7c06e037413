#pragma once
// Event time is epoch milliseconds everywhere. RFC 3339 in and out, no time-zone database needed.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace squall::core {

// The wall clock in milliseconds since the Unix epoch ("now" for live input and for records).
inline std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Parses RFC 3339 ("2026-11-24T13:22:00.123Z", "...+01:00", any fraction digits, 't'/' '
// separator). Returns nullopt on anything else. Go's zero time (year 1) parses to a large negative
// value, which callers treat as "unset" (see kGoZeroTimeMs).
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s);

// Go's time.Time{} as Alertmanager writes it for "no endsAt": 0001-01-01T00:00:00Z.
inline constexpr std::int64_t kGoZeroTimeMs = -62135596800000LL;

// "2026-11-24T13:22:00.123Z" (always UTC, always milliseconds).
std::string format_rfc3339_ms(std::int64_t ms);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace squall::core
