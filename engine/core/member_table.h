#pragma once
// Storage for incident members: fixed-size Member records plus their variable parts (sorted labels,
// first alert id and annotations) in size-classed pools, so members come and go in steady state
// without touching the heap.
//
// Thread contract: owned by one correlator shard.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/incident.h"

namespace squall::core {

// Byte blocks in power-of-two size classes (16 B .. 64 KiB) carved from one growing buffer and
// recycled through per-class free lists. Blocks are named by offset, so growth never invalidates
// them.
class SlabPool {
 public:
  std::uint32_t allocate(std::size_t bytes);
  void release(std::uint32_t off, std::size_t bytes);
  [[nodiscard]] char* at(std::uint32_t off) { return buf_.data() + off; }
  [[nodiscard]] const char* at(std::uint32_t off) const { return buf_.data() + off; }
  [[nodiscard]] std::size_t capacity_bytes() const { return buf_.capacity(); }
  static constexpr std::size_t kMaxBlock = 64 * 1024;

 private:
  static std::size_t size_class(std::size_t bytes);
  std::vector<char> buf_;
  std::vector<std::uint32_t> free_[13];  // 16 << k
};

class MemberTable {
 public:
  // Copies `alert`'s labels, id and (when keep_annotations) annotations; returns the member's slot.
  std::uint32_t add(const Member& m, const AlertBatch& batch, const Alert& alert,
                    bool keep_annotations);
  void release(std::uint32_t slot);

  [[nodiscard]] Member& operator[](std::uint32_t slot) { return members_[slot]; }
  [[nodiscard]] const Member& operator[](std::uint32_t slot) const { return members_[slot]; }
  [[nodiscard]] std::span<const Label> labels(const Member& m) const {
    return {reinterpret_cast<const Label*>(labels_.at(m.labels_off)), m.labels_count};
  }
  // The id of the member's first alert.
  [[nodiscard]] std::string_view id(const Member& m) const;
  // Calls f(name, value) for each kept annotation of the member's first alert.
  template <class F>
  void for_each_annotation(const Member& m, F&& f) const {
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
  [[nodiscard]] std::size_t live() const { return members_.size() - free_.size(); }
  [[nodiscard]] std::size_t bytes_reserved() const;

 private:
  static std::uint16_t read_u16(const char* p) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(p[0]) |
                                      (static_cast<unsigned char>(p[1]) << 8));
  }
  std::vector<Member> members_;
  std::vector<std::uint32_t> free_;
  SlabPool labels_;
  SlabPool text_;
};

}  // namespace squall::core
