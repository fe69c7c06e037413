#pragma once
// String interning: every distinct label name or value is stored once and named by a dense 32-bit
// Sym.
//
// Thread contract: safe for concurrent use. Looking up a known string and reading a Sym's text are
// lock-free (parse threads and correlator shards share one Interner); adding a new string takes a
// mutex, which in steady state (known label values) is never touched. Strings live in stable
// chunks, so views stay valid for the Interner's life. Sym 0 is the empty string. The well-known
// label names are interned first, in a fixed order, so their Syms are constants (well_known.h).
//
// Memory grows with the number of distinct strings ever seen (not with alerts).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace squall::core {

using Sym = std::uint32_t;

class Interner {
 public:
  Interner();
  ~Interner();
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  // Returns the Sym of `s`, adding it if new.
  Sym intern(std::string_view s);
  // Returns the Sym of `s` if known, else 0 (and `found` false). Never adds.
  [[nodiscard]] Sym find(std::string_view s, bool* found = nullptr) const;

  [[nodiscard]] std::string_view view(Sym sym) const { return entry(sym).view(); }
  // Byte-wise order of two interned strings (as Go and memcmp order them). The first 8 bytes, as
  // one big-endian number, settle most comparisons without a memcmp call.
  [[nodiscard]] bool less(Sym a, Sym b) const {
    const std::string_view ta = entry(a).view();
    const std::string_view tb = entry(b).view();
    const std::uint64_t pa = prefix(ta);
    const std::uint64_t pb = prefix(tb);
    if (pa != pb) return pa < pb;
    return ta < tb;
  }
  [[nodiscard]] std::size_t size() const { return count_.load(std::memory_order_acquire); }
  [[nodiscard]] std::size_t bytes_used() const;

 private:
  // One per distinct string ever seen, 8 bytes: the text, whose length is stored just before it
  // (one byte below kLongText, else kLongText and then 4 bytes before that).
  static constexpr unsigned char kLongText = 255;
  static constexpr char kEmptyText[2] = {0, 0};  // Sym 0: a zero length, then ""
  struct Entry {
    const char* text = kEmptyText + 1;
    [[nodiscard]] std::string_view view() const {
      std::uint32_t n = static_cast<unsigned char>(text[-1]);
      if (n == kLongText) std::memcpy(&n, text - 5, sizeof n);
      return {text, n};
    }
  };
  static_assert(sizeof(Entry) == 8);
  // Stored strings can be read 8 bytes past their start (chunks end with this much padding).
  static constexpr std::size_t kReadPad = 8;
  // The first 8 bytes as a big-endian number, zero past the end: ordered as memcmp orders.
  static std::uint64_t prefix(std::string_view s) {
    if (s.empty()) return 0;
    std::uint64_t p;
    std::memcpy(&p, s.data(), sizeof p);
    p = __builtin_bswap64(p);
    return s.size() >= 8 ? p : p & (~std::uint64_t{0} << (8 * (8 - s.size())));
  }
  // Open addressing; a slot packs (upper 32 bits of the hash) << 32 | sym, published atomically.
  // Large tables are their own anonymous mappings: when a table is replaced by a bigger one, its
  // pages are given back to the kernel (MADV_DONTNEED) but stay mapped, so a reader still probing
  // it reads zeros ("not there") and looks again in the current table; nothing is freed under it.
  struct Table {
    explicit Table(std::size_t n);
    ~Table();
    Table(const Table&) = delete;
    Table& operator=(const Table&) = delete;
    void retire();  // gives the slots' pages back; reads then see zeros
    std::size_t mask;
    std::atomic<std::uint64_t>* slots;
    bool mapped = false;
  };
  static constexpr std::size_t kSegmentBits = 16;
  static constexpr std::size_t kSegmentSize = std::size_t{1} << kSegmentBits;
  static constexpr std::size_t kMaxSegments = 65536;

  [[nodiscard]] const Entry& entry(Sym sym) const {
    return segments_[sym >> kSegmentBits].load(std::memory_order_acquire)[sym & (kSegmentSize - 1)];
  }
  [[nodiscard]] Sym lookup(const Table& t, std::string_view s, std::uint64_t h) const;
  Sym insert_locked(std::string_view s, std::uint64_t h);
  const char* store(std::string_view s);  // with its length before it (Entry)

  std::atomic<Table*> table_;
  std::unique_ptr<std::atomic<Entry*>[]> segments_;
  std::atomic<std::size_t> count_{0};

  mutable std::mutex mu_;  // guards everything below, and all writes
  // Current last; old ones stay mapped for lock-free readers, their pages given back (retire()).
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::unique_ptr<Entry[]>> segment_storage_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* chunk_pos_ = nullptr;
  std::size_t chunk_left_ = 0;
  std::size_t chunk_bytes_ = 0;
};

}  // namespace squall::core
