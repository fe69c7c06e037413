#pragma once
// Fast non-cryptographic hashing for tables and routing (xxHash3, header-only inline).
#include <cstdint>
#include <cstring>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace squall::core {

inline std::uint64_t hash_bytes(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

// Byte equality tuned for the short strings of label sets: small sizes compare with two overlapping
// word loads instead of a call to memcmp.
inline bool bytes_equal(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8 && n <= 16) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a.data(), 8);
    std::memcpy(&b0, b.data(), 8);
    std::memcpy(&a1, a.data() + n - 8, 8);
    std::memcpy(&b1, b.data() + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  return std::memcmp(a.data(), b.data(), n) == 0;
}

// splitmix64's finalizer: a bijection on 64 bits.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline std::uint64_t hash_mix(std::uint64_t a, std::uint64_t b) {
  // splitmix64-style finalizer over the pair; for combining already-good hashes.
  return mix64(a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

// A key for a map keyed by a pair of values (ids, slots, other keys). hash_mix collides on
// structured inputs (values a few apart); pairs here practically never do.
inline std::uint64_t hash_pair(std::uint64_t a, std::uint64_t b) { return mix64(mix64(a) ^ b); }

}  // namespace squall::core
