#pragma once
// String interning: every distinct label name or value is stored once and named by a dense 32-bit Sym.
//
// Thread contract: an Interner is owned by one thread (a parser thread or a correlator shard); it is
// not safe to share. Strings live in stable chunks, so the views it returns stay valid for its life.
// Sym 0 is the empty string. The well-known label names are interned first, in a fixed order, so
// their Syms are compile-time constants (see well_known.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace squall::core {

using Sym = std::uint32_t;

class Interner {
 public:
  Interner();
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  // Returns the Sym of `s`, adding it if new. Amortized O(1), no allocation when `s` is known.
  Sym intern(std::string_view s);
  // Returns the Sym of `s` if known, else 0 (and `found` false).
  [[nodiscard]] Sym find(std::string_view s, bool* found = nullptr) const;

  [[nodiscard]] std::string_view view(Sym sym) const { return strings_[sym]; }
  // The first 8 bytes of the string as a big-endian number (zero-padded): comparing prefixes orders
  // strings like memcmp does, and settles most comparisons without touching the bytes.
  [[nodiscard]] std::uint64_t prefix(Sym sym) const { return prefixes_[sym]; }
  // Byte-wise three-way order of two interned strings (as Go and memcmp order them).
  [[nodiscard]] bool less(Sym a, Sym b) const {
    const std::uint64_t pa = prefixes_[a], pb = prefixes_[b];
    if (pa != pb) return pa < pb;
    return strings_[a] < strings_[b];
  }
  [[nodiscard]] std::size_t size() const { return strings_.size(); }
  [[nodiscard]] std::size_t bytes_used() const;

 private:
  struct Slot {
    std::uint64_t hash = 0;
    Sym sym = 0;  // 0 = empty slot (the empty string is never stored in the table)
  };
  std::string_view store(std::string_view s);
  void grow();

  std::vector<Slot> table_;
  std::size_t mask_ = 0;
  std::vector<std::string_view> strings_;
  std::vector<std::uint64_t> prefixes_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* chunk_pos_ = nullptr;
  std::size_t chunk_left_ = 0;
  std::size_t chunk_bytes_ = 0;
};

}  // namespace squall::core
