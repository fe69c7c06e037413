#pragma once
// FingerprintIndex: active fingerprint -> member slot, in 8 bytes a slot (FlatMap's 64-bit keyed
// slot takes 12): a slot keeps 32 bits of the fingerprint's hash, not the fingerprint, and the
// caller tells entries whose tags match apart by the fingerprint its member record holds. The
// repeat path reads that record next anyway, so a hit costs no extra memory access; two active
// fingerprints share a tag about once per 8,000 pairs at a million (the birthday bound), and then
// both stay findable, one probe apart.
//
// Open addressing with linear probing from the tag, backward-shift deletion (the home slot of an
// entry is computable from its tag alone, so neither erase nor growth reads member records);
// doubles when half full, never shrinks.
//
// Thread contract: single owner (a correlator shard).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "engine/core/fingerprint.h"
#include "engine/core/hash.h"
#include "engine/core/prefetch.h"

namespace squall::core {

class FingerprintIndex {
 public:
  // `initial` slots, rounded up to a power of two (at least 2).
  explicit FingerprintIndex(std::size_t initial = 4096)
      : slots_(std::bit_ceil(std::max<std::size_t>(initial, 2))), mask_(slots_.size() - 1) {}

  static constexpr std::uint32_t kMissing = UINT32_MAX;

  // The value stored for `fp`, or kMissing. `fingerprint_of(value)` returns the fingerprint of
  // the entry holding `value` (its member record's).
  template <class FingerprintOf>
  [[nodiscard]] std::uint32_t find(Fingerprint fp, FingerprintOf&& fingerprint_of) const {
    const std::uint32_t t = tag(fp);
    for (std::size_t i = t & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value_plus1 == 0) return kMissing;
      if (s.tag == t && fingerprint_of(s.value_plus1 - 1) == fp) return s.value_plus1 - 1;
    }
  }

  // Starts loading the slot where a search for `fp` begins (a table of millions of active alerts
  // misses the cache on every lookup: callers prefetch a few alerts ahead).
  void prefetch(Fingerprint fp) const { prefetch_line(&slots_[tag(fp) & mask_]); }

  // The value in the slot where a search for `fp` begins when its tag matches, else kMissing: a
  // guess (no fingerprint check) for prefetching what the value points to, once prefetch() ran.
  [[nodiscard]] std::uint32_t peek(Fingerprint fp) const {
    const std::uint32_t t = tag(fp);
    const Slot& s = slots_[t & mask_];
    return s.tag == t && s.value_plus1 != 0 ? s.value_plus1 - 1 : kMissing;
  }

  // Adds (fp, value); fp must not be present. value < kMissing.
  void insert(Fingerprint fp, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(Slot{tag(fp), value + 1});
    ++size_;
  }

  // Removes the entry (fp, value); false when there is none.
  bool erase(Fingerprint fp, std::uint32_t value) {
    const std::uint32_t t = tag(fp);
    std::size_t i = t & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value_plus1 == 0) return false;
      if (s.tag == t && s.value_plus1 == value + 1) break;
    }
    // Backward shift: pull later entries of the probe run into the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].value_plus1 == 0) break;
      const std::size_t home = slots_[j].tag & mask_;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t bytes_reserved() const { return slots_.capacity() * sizeof(Slot); }
  static constexpr std::size_t slot_bytes() { return sizeof(Slot); }
  // The 32 bits a slot keeps (and probes from): exposed for tests that need two fingerprints
  // sharing one.
  static std::uint32_t tag(Fingerprint fp) { return static_cast<std::uint32_t>(mix64(fp) >> 32); }

 private:
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t value_plus1 = 0;  // 0: empty
  };

  void place(Slot s) {
    std::size_t i = s.tag & mask_;
    while (slots_[i].value_plus1 != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.value_plus1 != 0) place(s);
  }

  std::vector<Slot> slots_;
  std::size_t mask_;
  std::size_t size_ = 0;
};

}  // namespace squall::core
