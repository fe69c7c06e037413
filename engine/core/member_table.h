#pragma once
// Storage for incident members: fixed-size Member records plus their variable parts (sorted labels,
// first alert id and annotations) in size-classed pools, so members come and go in steady state
// without touching the heap.
//
// Thread contract: owned by one correlator shard.
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/fingerprint.h"
#include "engine/core/flat_map.h"
#include "engine/core/incident.h"
#include "engine/core/prefetch.h"

namespace squall::core {

// Byte blocks in size classes (multiples of 8 B up to 256 B, then powers of two up to 64 KiB)
// carved from 1 MiB chunks and recycled through per-class free lists. Blocks are named by offset
// (chunk index and position), so growth never moves them and never needs twice the memory for a
// copy.
class SlabPool {
 public:
  std::uint32_t allocate(std::size_t bytes);
  void release(std::uint32_t off, std::size_t bytes);
  [[nodiscard]] char* at(std::uint32_t off) {
    return chunks_[off >> kChunkBits].get() + (off & (kChunk - 1));
  }
  [[nodiscard]] const char* at(std::uint32_t off) const {
    return chunks_[off >> kChunkBits].get() + (off & (kChunk - 1));
  }
  [[nodiscard]] std::size_t capacity_bytes() const { return chunks_.size() * kChunk; }
  static constexpr std::size_t kMaxBlock = 64 * 1024 - 1;  // lengths inside blocks are u16

 private:
  static constexpr std::size_t kChunkBits = 20;
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kClasses = 32 + 8;  // 8..256 step 8, then 512..64 KiB
  static std::size_t size_class(std::size_t bytes);
  static std::size_t class_bytes(std::size_t k);
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t used_ = kChunk;  // in the last chunk; "full" before the first
  std::vector<std::uint32_t> free_[kClasses];
};

// The sorted label names of a label set, interned as one "shape": a source's alerts share a few
// label-name lists, so a member keeps only its values (4 B a label instead of 8). Bounded: past
// kMaxShapes (or on a hash collision) intern() answers kNone and the member keeps whole pairs.
class LabelShapes {
 public:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::uint32_t intern(const Label* labels, std::uint32_t n);
  [[nodiscard]] const Sym* names(std::uint32_t shape) const { return names_.data() + off_[shape]; }

 private:
  static constexpr std::size_t kMaxShapes = 4096;
  static constexpr std::size_t kMaxNames = std::size_t{1} << 16;
  FlatMap<std::uint32_t> by_hash_{64};  // hash of the names -> shape
  std::vector<std::uint32_t> off_;      // by shape: first name in names_
  std::vector<std::uint32_t> len_;
  std::vector<Sym> names_;
  std::vector<Sym> scratch_;
};

// A member's labels, sorted by name; iterates as Labels. Valid until the member table's next add().
class LabelView {
 public:
  LabelView(const Sym* names, const Sym* values, const Label* pairs, std::uint32_t n)
      : names_(names), values_(values), pairs_(pairs), n_(n) {}
  [[nodiscard]] std::uint32_t size() const { return n_; }
  [[nodiscard]] bool empty() const { return n_ == 0; }
  [[nodiscard]] Label operator[](std::uint32_t i) const {
    return pairs_ ? pairs_[i] : Label{names_[i], values_[i]};
  }
  class iterator {
   public:
    iterator(const LabelView* v, std::uint32_t i) : v_(v), i_(i) {}
    Label operator*() const { return (*v_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    const LabelView* v_;
    std::uint32_t i_;
  };
  [[nodiscard]] iterator begin() const { return {this, 0}; }
  [[nodiscard]] iterator end() const { return {this, n_}; }

 private:
  const Sym* names_;
  const Sym* values_;
  const Label* pairs_;  // set when the labels are kept as whole pairs (no shape)
  std::uint32_t n_;
};

class MemberTable {
 public:
  // A buffer for ids that are rebuilt rather than stored (see Member::id_derived).
  using IdBuf = std::array<char, kDerivedIdMax>;

  // Copies `alert`'s labels, id (unless derived) and (when keep_annotations) annotations; returns
  // the member's slot.
  std::uint32_t add(const Member& m, const AlertBatch& batch, const Alert& alert,
                    bool keep_annotations);
  void release(std::uint32_t slot);

  [[nodiscard]] Member& operator[](std::uint32_t slot) {
    return chunks_[slot >> kChunkBits][slot & (kChunk - 1)];
  }
  [[nodiscard]] const Member& operator[](std::uint32_t slot) const {
    return chunks_[slot >> kChunkBits][slot & (kChunk - 1)];
  }
  // Starts loading the member record in `slot` (both cache lines it may span).
  void prefetch(std::uint32_t slot) const {
    const char* p = reinterpret_cast<const char*>(&(*this)[slot]);
    prefetch_line(p);
    prefetch_line(p + sizeof(Member) - 1);
  }
  [[nodiscard]] LabelView labels(const Member& m) const {
    const char* p = labels_.at(m.labels_off);
    std::uint32_t shape;
    std::memcpy(&shape, p, sizeof shape);
    if (shape == LabelShapes::kNone)
      return {nullptr, nullptr, reinterpret_cast<const Label*>(p + 4), m.labels_count};
    return {shapes_.names(shape), reinterpret_cast<const Sym*>(p + 4), nullptr, m.labels_count};
  }
  // The id of the member's first alert; `buf` holds it when it is derived.
  [[nodiscard]] std::string_view id(const Member& m, IdBuf& buf) const;
  // Calls f(name, value) for each kept annotation of the member's first alert.
  template <class F>
  void for_each_annotation(const Member& m, F&& f) const {
    if (m.text_len == 0) return;
    const char* p = text_.at(m.text_off);
    std::size_t pos = 2 + read_u16(p);
    const std::uint16_t n = read_u16(p + pos);
    pos += 2;
    for (std::uint16_t i = 0; i < n; ++i) {
      const std::uint16_t nl = read_u16(p + pos);
      const std::string_view name(p + pos + 2, nl);
      pos += 2 + nl;
      const std::uint16_t vl = read_u16(p + pos);
      const std::string_view value(p + pos + 2, vl);
      pos += 2 + vl;
      f(name, value);
    }
  }
  [[nodiscard]] std::size_t live() const { return size_ - free_.size(); }
  [[nodiscard]] std::size_t bytes_reserved() const;

 private:
  static constexpr std::size_t kChunkBits = 12;  // members per chunk: 4096 (512 KiB)
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkBits;
  static std::uint16_t read_u16(const char* p) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) |
                                      (static_cast<unsigned char>(p[1]) << 8));
  }
  std::vector<std::unique_ptr<Member[]>> chunks_;
  std::size_t size_ = 0;  // slots handed out, live or free
  std::vector<std::uint32_t> free_;
  // Block layout: u32 shape, then n values (or, with kNone, n whole Label pairs).
  static std::size_t label_block_bytes(std::uint32_t shape, std::uint32_t n);
  [[nodiscard]] std::size_t label_block_bytes(const Member& m) const;

  SlabPool labels_;
  SlabPool text_;
  LabelShapes shapes_;
};

}  // namespace squall::core
