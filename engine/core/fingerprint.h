#pragma once
// Label-set fingerprints with Alertmanager's semantics (prometheus/common
// model.LabelSet.Fingerprint): FNV-1a 64 over the labels sorted by name, each name and value
// followed by the 0xff separator. Annotations never take part. The empty set hashes to the FNV
// offset basis.
#include <cstdint>
#include <string_view>

namespace squall::core {

using Fingerprint = std::uint64_t;

inline constexpr std::uint64_t kFnvOffset64 = 14695981039346656037ULL;
inline constexpr std::uint64_t kFnvPrime64 = 1099511628211ULL;
inline constexpr unsigned char kLabelSeparator = 0xff;

class FingerprintBuilder {
 public:
  constexpr void add(std::string_view name, std::string_view value) {
    add_bytes(name);
    add_byte(kLabelSeparator);
    add_bytes(value);
    add_byte(kLabelSeparator);
  }
  [[nodiscard]] constexpr Fingerprint value() const { return h_; }

 private:
  constexpr void add_bytes(std::string_view s) {
    for (char c : s) add_byte(static_cast<unsigned char>(c));
  }
  constexpr void add_byte(unsigned char b) {
    h_ ^= b;
    h_ *= kFnvPrime64;
  }
  std::uint64_t h_ = kFnvOffset64;
};

// Formats as Alertmanager does in its API and webhook payloads: 16 lowercase hex digits.
inline void format_fingerprint(Fingerprint fp, char out[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[fp & 0xf];
    fp >>= 4;
  }
}

// The id of an alert that came without one: "<fingerprint>-<ts>" (stable for the same alert, so
// replays agree). Derived ids are not stored: they are rebuilt from these two whenever needed.
inline constexpr std::size_t kDerivedIdMax = 16 + 1 + 20;
inline std::size_t format_derived_id(Fingerprint fp, std::int64_t ts_ms, char out[kDerivedIdMax]) {
  format_fingerprint(fp, out);
  out[16] = '-';
  std::size_t n = 17;
  char digits[20];
  std::size_t d = 0;
  auto ts = static_cast<std::uint64_t>(ts_ms);
  do {
    digits[d++] = static_cast<char>('0' + ts % 10);
    ts /= 10;
  } while (ts != 0);
  while (d > 0) out[n++] = digits[--d];
  return n;
}

}  // namespace squall::core
