#include "engine/core/member_table.h"

#include <bit>
#include <cstring>

namespace squall::core {

std::size_t SlabPool::size_class(std::size_t bytes) {
  const std::size_t n = bytes < 16 ? 16 : std::bit_ceil(bytes);
  return static_cast<std::size_t>(std::countr_zero(n)) - 4;
}

std::uint32_t SlabPool::allocate(std::size_t bytes) {
  if (bytes > kMaxBlock) bytes = kMaxBlock;  // callers cap what they store
  const std::size_t k = size_class(bytes);
  if (!free_[k].empty()) {
    const std::uint32_t off = free_[k].back();
    free_[k].pop_back();
    return off;
  }
  const std::uint32_t off = static_cast<std::uint32_t>(buf_.size());
  buf_.resize(buf_.size() + (std::size_t{16} << k));
  return off;
}

void SlabPool::release(std::uint32_t off, std::size_t bytes) {
  if (bytes > kMaxBlock) bytes = kMaxBlock;
  free_[size_class(bytes)].push_back(off);
}

namespace {

void put_u16(char*& p, std::size_t v) {
  p[0] = static_cast<char>(v & 0xff);
  p[1] = static_cast<char>((v >> 8) & 0xff);
  p += 2;
}

// Annotations are for people; cap each so one huge description can't dominate memory.
constexpr std::size_t kMaxAnnotationName = 128;
constexpr std::size_t kMaxAnnotationValue = 1024;
constexpr std::size_t kMaxId = 1024;

}  // namespace

std::uint32_t MemberTable::add(const Member& m, const AlertBatch& batch, const Alert& alert,
                               bool keep_annotations) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    members_[slot] = m;
  } else {
    slot = static_cast<std::uint32_t>(members_.size());
    members_.push_back(m);
  }
  Member& dst = members_[slot];
  dst.labels_count = static_cast<std::uint16_t>(alert.labels_count);
  dst.labels_off = labels_.allocate(alert.labels_count * sizeof(Label));
  std::memcpy(labels_.at(dst.labels_off), batch.labels_of(alert),
              alert.labels_count * sizeof(Label));

  // Text layout: u16 id_len, id, u16 n, then n × (u16 len, name, u16 len, value).
  const std::string_view id = batch.str(alert.id).substr(0, kMaxId);
  std::size_t bytes = 2 + id.size() + 2;
  std::size_t n = 0;
  if (keep_annotations) {
    for (std::uint32_t i = 0; i < alert.annotations_count; ++i) {
      const Annotation& a = batch.annotations_of(alert)[i];
      const std::size_t add = 4 + std::min<std::size_t>(a.name.len, kMaxAnnotationName) +
                              std::min<std::size_t>(a.value.len, kMaxAnnotationValue);
      if (bytes + add > SlabPool::kMaxBlock) break;
      bytes += add;
      ++n;
    }
  }
  dst.text_len = static_cast<std::uint32_t>(bytes);
  dst.text_off = text_.allocate(bytes);
  char* p = text_.at(dst.text_off);
  put_u16(p, id.size());
  std::memcpy(p, id.data(), id.size());
  p += id.size();
  put_u16(p, n);
  for (std::size_t i = 0; i < n; ++i) {
    const Annotation& a = batch.annotations_of(alert)[i];
    const std::string_view name = batch.str(a.name).substr(0, kMaxAnnotationName);
    const std::string_view value = batch.str(a.value).substr(0, kMaxAnnotationValue);
    put_u16(p, name.size());
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    put_u16(p, value.size());
    std::memcpy(p, value.data(), value.size());
    p += value.size();
  }
  return slot;
}

void MemberTable::release(std::uint32_t slot) {
  Member& m = members_[slot];
  labels_.release(m.labels_off, m.labels_count * sizeof(Label));
  text_.release(m.text_off, m.text_len);
  m = Member{};
  free_.push_back(slot);
}

std::string_view MemberTable::id(const Member& m) const {
  const char* p = text_.at(m.text_off);
  return {p + 2, read_u16(p)};
}

std::size_t MemberTable::bytes_reserved() const {
  return members_.capacity() * sizeof(Member) + free_.capacity() * sizeof(std::uint32_t) +
         labels_.capacity_bytes() + text_.capacity_bytes();
}

}  // namespace squall::core
