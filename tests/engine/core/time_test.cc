#include "engine/core/time.h"

#include <gtest/gtest.h>

namespace squall::core {
namespace {

TEST(Rfc3339, ParsesUtcWithMillis) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("2025-11-24T16:00:00.123Z"), 1764000000123LL);
}

TEST(Rfc3339, AppliesOffsets) {
  EXPECT_EQ(parse_rfc3339_ms("2025-11-24T17:00:00+01:00"), 1764000000000LL);
  EXPECT_EQ(parse_rfc3339_ms("2025-11-24T15:30:00-00:30"), 1764000000000LL);
}

TEST(Rfc3339, TruncatesLongFractions) {
  // Go writes nanoseconds; we keep milliseconds.
  EXPECT_EQ(parse_rfc3339_ms("2025-11-24T16:00:00.123456789Z"), 1764000000123LL);
  EXPECT_EQ(parse_rfc3339_ms("2025-11-24T16:00:00.5Z"), 1764000000500LL);
}

TEST(Rfc3339, ParsesGoZeroTime) {
  EXPECT_EQ(parse_rfc3339_ms("0001-01-01T00:00:00Z"), kGoZeroTimeMs);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad :
       {"", "2025-11-24", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-11-24T16:00:00",
        "2025-11-24T25:00:00Z", "2025-11-24T16:00:00.Z", "2025-11-24T16:00:00Zjunk",
        "20x5-11-24T16:00:00Z", "2025-11-24T16:00:00+0100"})
    EXPECT_FALSE(parse_rfc3339_ms(bad).has_value()) << bad;
}

TEST(Rfc3339, FormatRoundTrips) {
  EXPECT_EQ(format_rfc3339_ms(1764000000123LL), "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  for (std::int64_t ms : {0LL, 951782400000LL, 1764000000123LL, 4102444799999LL})
    EXPECT_EQ(parse_rfc3339_ms(format_rfc3339_ms(ms)), ms);
}

}  // namespace
}  // namespace squall::core
