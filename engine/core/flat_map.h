#pragma once
// FlatMap: open addressing (linear probing, backward-shift deletion) from integer keys (64-bit by
// default, 32-bit for Sym-keyed maps) to small values. No allocation per insert; the table doubles
// when half full and never shrinks, so a steady state of inserts and erases touches no heap. Keys
// are mixed with hash_mix before use.
//
// Slots carry no "used" flag: key 0 marks an empty slot, and the key 0 itself, when inserted, lives
// beside the table. A 64-bit key is stored as two 32-bit halves, so a slot is aligned to its value,
// not to 8 bytes: a FlatMap<std::uint32_t> slot is 12 bytes, a 32-bit keyed one 8 (the fingerprint
// table and the learned pod maps hold one slot pair per active alert, so this is most of their
// memory).
//
// Thread contract: single owner.
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/core/hash.h"

namespace squall::core {

template <class V, class K = std::uint64_t>
class FlatMap {
  static_assert(std::is_same_v<K, std::uint64_t> || std::is_same_v<K, std::uint32_t>);

 public:
  explicit FlatMap(std::size_t initial = 1024) : slots_(initial), mask_(initial - 1) {}

  [[nodiscard]] V* find(K key) {
    if (key == 0) return has_zero_ ? &zero_value_ : nullptr;
    for (std::size_t i = index(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      const K k = s.key();
      if (k == 0) return nullptr;
      if (k == key) return &s.value;
    }
  }
  [[nodiscard]] const V* find(K key) const { return const_cast<FlatMap*>(this)->find(key); }

  // Returns the value for `key`, default-constructed when new; `inserted` says which.
  V& upsert(K key, bool* inserted = nullptr) {
    if (key == 0) {
      if (inserted) *inserted = !has_zero_;
      if (!has_zero_) {
        has_zero_ = true;
        zero_value_ = V{};
        ++size_;
      }
      return zero_value_;
    }
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = index(key);
    for (;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      const K k = s.key();
      if (k == 0) break;
      if (k == key) {
        if (inserted) *inserted = false;
        return s.value;
      }
    }
    slots_[i].set_key(key);
    slots_[i].value = V{};
    ++size_;
    if (inserted) *inserted = true;
    return slots_[i].value;
  }

  bool erase(K key) {
    if (key == 0) {
      if (!has_zero_) return false;
      has_zero_ = false;
      zero_value_ = V{};
      --size_;
      return true;
    }
    std::size_t i = index(key);
    for (;; i = (i + 1) & mask_) {
      const K k = slots_[i].key();
      if (k == 0) return false;
      if (k == key) break;
    }
    // Backward-shift: pull later entries of the probe run into the hole.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      const K k = slots_[j].key();
      if (k == 0) break;
      const std::size_t home = index(k);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].set_key(0);
    slots_[hole].value = V{};
    --size_;
    return true;
  }

  // Forgets every entry; keeps the table's size.
  void clear() {
    for (Slot& s : slots_) s = Slot{};
    has_zero_ = false;
    zero_value_ = V{};
    size_ = 0;
  }
  // Calls f(key, value) for every entry, in slot order (deterministic for a given history).
  template <class F>
  void for_each(F&& f) const {
    if (has_zero_) f(K{0}, zero_value_);
    for (const Slot& s : slots_)
      if (s.key() != 0) f(s.key(), s.value);
  }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t bytes_reserved() const { return slots_.capacity() * sizeof(Slot); }
  static constexpr std::size_t slot_bytes() { return sizeof(Slot); }

 private:
  struct Slot {
    std::array<std::uint32_t, sizeof(K) / 4> halves{};
    V value{};
    [[nodiscard]] K key() const {
      if constexpr (sizeof(K) == 4) {
        return halves[0];
      } else {
        return static_cast<K>(halves[0]) | (static_cast<K>(halves[1]) << 32);
      }
    }
    void set_key(K k) {
      halves[0] = static_cast<std::uint32_t>(k);
      if constexpr (sizeof(K) == 8) halves[1] = static_cast<std::uint32_t>(k >> 32);
    }
  };
  [[nodiscard]] std::size_t index(K key) const {
    return static_cast<std::size_t>(hash_mix(key, 0)) & mask_;
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (Slot& s : old) {
      const K k = s.key();
      if (k == 0) continue;
      std::size_t i = index(k);
      while (slots_[i].key() != 0) i = (i + 1) & mask_;
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_;
  std::size_t size_ = 0;
  bool has_zero_ = false;
  V zero_value_{};
};

}  // namespace squall::core
