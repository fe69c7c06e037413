#include "engine/core/fingerprint.h"

#include <gtest/gtest.h>

namespace squall::core {
namespace {

TEST(Fingerprint, EmptySetIsFnvOffset) { EXPECT_EQ(FingerprintBuilder().value(), kFnvOffset64); }

// Independently computed FNV-1a 64 of "alertname\xffA\xff" (the Go code Alertmanager uses hashes
// exactly these bytes for the set {alertname="A"}).
TEST(Fingerprint, MatchesFnv1aOverNameSepValueSep) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : std::string_view("alertname\xff"
                                          "A\xff")) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  FingerprintBuilder fp;
  fp.add("alertname", "A");
  EXPECT_EQ(fp.value(), h);
}

TEST(Fingerprint, SeparatorKeepsBoundariesApart) {
  FingerprintBuilder a, b;
  a.add("ab", "c");
  b.add("a", "bc");
  EXPECT_NE(a.value(), b.value());
}

TEST(Fingerprint, FormatsAsSixteenHexDigits) {
  char buf[16];
  format_fingerprint(0x00ab'cdef'0123'4567ULL, buf);
  EXPECT_EQ(std::string_view(buf, 16), "00abcdef01234567");
}

}  // namespace
}  // namespace squall::core
