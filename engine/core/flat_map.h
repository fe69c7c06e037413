#pragma once
// FlatMap: open addressing (linear probing, backward-shift deletion) from 64-bit keys to small
// values. No allocation per insert; the table doubles when half full and never shrinks, so a steady
// state of inserts and erases touches no heap. Keys are expected to be well mixed (fingerprints,
// hashes); others go through hash_mix.
//
// Thread contract: single owner.
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/core/hash.h"

namespace squall::core {

template <class V>
class FlatMap {
 public:
  explicit FlatMap(std::size_t initial = 1024) : slots_(initial), mask_(initial - 1) {}

  [[nodiscard]] V* find(std::uint64_t key) {
    for (std::size_t i = index(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }
  [[nodiscard]] const V* find(std::uint64_t key) const {
    return const_cast<FlatMap*>(this)->find(key);
  }

  // Returns the value for `key`, default-constructed when new; `inserted` says which.
  V& upsert(std::uint64_t key, bool* inserted = nullptr) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = index(key);
    for (;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) break;
      if (s.key == key) {
        if (inserted) *inserted = false;
        return s.value;
      }
    }
    slots_[i].used = true;
    slots_[i].key = key;
    slots_[i].value = V{};
    ++size_;
    if (inserted) *inserted = true;
    return slots_[i].value;
  }

  bool erase(std::uint64_t key) {
    std::size_t i = index(key);
    for (;; i = (i + 1) & mask_) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == key) break;
    }
    // Backward-shift: pull later entries of the probe run into the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
      const std::size_t home = index(slots_[j].key);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].used = false;
    slots_[hole].value = V{};
    --size_;
    return true;
  }

  // Forgets every entry; keeps the table's size.
  void clear() {
    for (Slot& s : slots_) s = Slot{};
    size_ = 0;
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t bytes_reserved() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint64_t key = 0;
    bool used = false;
    V value{};
  };
  [[nodiscard]] std::size_t index(std::uint64_t key) const { return hash_mix(key, 0) & mask_; }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (Slot& s : old) {
      if (!s.used) continue;
      std::size_t i = index(s.key);
      while (slots_[i].used) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_;
  std::size_t size_ = 0;
};

}  // namespace squall::core
