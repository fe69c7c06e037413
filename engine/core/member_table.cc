#include "engine/core/member_table.h"

#include <bit>
#include <cstring>

#include "engine/core/hash.h"

namespace squall::core {

std::uint32_t LabelShapes::intern(const Label* labels, std::uint32_t n) {
  scratch_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) scratch_[i] = labels[i].name;
  const std::uint64_t h =
      hash_bytes({reinterpret_cast<const char*>(scratch_.data()), n * sizeof(Sym)});
  if (const std::uint32_t* shape = by_hash_.find(h)) {
    const bool same = len_[*shape] == n && std::memcmp(names_.data() + off_[*shape],
                                                       scratch_.data(), n * sizeof(Sym)) == 0;
    return same ? *shape : kNone;  // a collision keeps whole pairs: correct, only larger
  }
  if (off_.size() >= kMaxShapes || names_.size() + n > kMaxNames) return kNone;
  const auto shape = static_cast<std::uint32_t>(off_.size());
  off_.push_back(static_cast<std::uint32_t>(names_.size()));
  len_.push_back(n);
  names_.insert(names_.end(), scratch_.begin(), scratch_.end());
  by_hash_.upsert(h) = shape;
  return shape;
}

std::size_t SlabPool::size_class(std::size_t bytes) {
  if (bytes <= 256) return bytes == 0 ? 0 : (bytes - 1) / 8;
  return 32 + static_cast<std::size_t>(std::countr_zero(std::bit_ceil(bytes))) - 9;
}

std::size_t SlabPool::class_bytes(std::size_t k) {
  return k < 32 ? (k + 1) * 8 : std::size_t{512} << (k - 32);
}

std::uint32_t SlabPool::allocate(std::size_t bytes) {
  if (bytes > kMaxBlock) bytes = kMaxBlock;  // callers cap what they store
  const std::size_t k = size_class(bytes);
  if (!free_[k].empty()) {
    const std::uint32_t off = free_[k].back();
    free_[k].pop_back();
    return off;
  }
  const std::size_t size = class_bytes(k);
  if (used_ + size > kChunk) {
    // The rest of a full chunk is left unused (under 64 KiB, usually a few bytes).
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunk));
    used_ = 0;
  }
  const auto off = static_cast<std::uint32_t>(((chunks_.size() - 1) << kChunkBits) | used_);
  used_ += size;
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
  } else {
    if ((size_ & (kChunk - 1)) == 0) chunks_.push_back(std::make_unique<Member[]>(kChunk));
    slot = static_cast<std::uint32_t>(size_++);
  }
  Member& dst = (*this)[slot];
  dst = m;
  dst.labels_count = static_cast<std::uint16_t>(alert.labels_count);
  const Label* labels = batch.labels_of(alert);
  const std::uint32_t shape = shapes_.intern(labels, alert.labels_count);
  dst.labels_off = labels_.allocate(label_block_bytes(shape, alert.labels_count));
  char* block = labels_.at(dst.labels_off);
  std::memcpy(block, &shape, sizeof shape);
  if (shape == LabelShapes::kNone) {
    std::memcpy(block + 4, labels, alert.labels_count * sizeof(Label));
  } else {
    for (std::uint32_t i = 0; i < alert.labels_count; ++i)
      std::memcpy(block + 4 + i * sizeof(Sym), &labels[i].value, sizeof(Sym));
  }

  // Text layout: u16 id_len, id, u16 n, then n × (u16 len, name, u16 len, value). A derived id is
  // not stored (it is rebuilt from the fingerprint and first_ts); with no annotations either there
  // is no block at all.
  dst.id_derived = alert.id_derived;
  const std::string_view id =
      alert.id_derived ? std::string_view{} : batch.str(alert.id).substr(0, kMaxId);
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
  if (id.empty() && n == 0) {
    dst.text_len = 0;
    dst.text_off = 0;
    return slot;
  }
  dst.text_len = static_cast<std::uint16_t>(bytes);
  dst.text_off = text_.allocate(bytes);
  char* p = text_.at(dst.text_off);
  put_u16(p, id.size());
  if (!id.empty()) std::memcpy(p, id.data(), id.size());  // a derived id's view is null
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

std::size_t MemberTable::label_block_bytes(std::uint32_t shape, std::uint32_t n) {
  return 4 + n * (shape == LabelShapes::kNone ? sizeof(Label) : sizeof(Sym));
}

std::size_t MemberTable::label_block_bytes(const Member& m) const {
  std::uint32_t shape;
  std::memcpy(&shape, labels_.at(m.labels_off), sizeof shape);
  return label_block_bytes(shape, m.labels_count);
}

void MemberTable::release(std::uint32_t slot) {
  Member& m = (*this)[slot];
  labels_.release(m.labels_off, label_block_bytes(m));
  if (m.text_len != 0) text_.release(m.text_off, m.text_len);
  m = Member{};
  free_.push_back(slot);
}

std::string_view MemberTable::id(const Member& m, IdBuf& buf) const {
  if (m.id_derived) return {buf.data(), format_derived_id(m.fingerprint, m.first_ts, buf.data())};
  if (m.text_len == 0) return {};
  const char* p = text_.at(m.text_off);
  return {p + 2, read_u16(p)};
}

std::size_t MemberTable::bytes_reserved() const {
  return chunks_.size() * kChunk * sizeof(Member) + free_.capacity() * sizeof(std::uint32_t) +
         labels_.capacity_bytes() + text_.capacity_bytes();
}

}  // namespace squall::core
