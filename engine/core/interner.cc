#include "engine/core/interner.h"

#include <cstring>

#include "engine/core/hash.h"
#include "engine/core/well_known.h"

namespace squall::core {

namespace {
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kInitialSlots = 1024;
}  // namespace

Interner::Interner() : table_(kInitialSlots), mask_(kInitialSlots - 1) {
  strings_.reserve(256);
  strings_.emplace_back();  // Sym 0 = ""
  prefixes_.push_back(0);
  for (std::string_view name : kWellKnownNames) intern(name);
}

Sym Interner::find(std::string_view s, bool* found) const {
  if (s.empty()) {
    if (found) *found = true;
    return 0;
  }
  const std::uint64_t h = hash_bytes(s);
  for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = table_[i];
    if (slot.sym == 0) break;
    if (slot.hash == h && bytes_equal(strings_[slot.sym], s)) {
      if (found) *found = true;
      return slot.sym;
    }
  }
  if (found) *found = false;
  return 0;
}

Sym Interner::intern(std::string_view s) {
  if (s.empty()) return 0;
  const std::uint64_t h = hash_bytes(s);
  std::size_t i = h & mask_;
  for (;; i = (i + 1) & mask_) {
    const Slot& slot = table_[i];
    if (slot.sym == 0) break;
    if (slot.hash == h && bytes_equal(strings_[slot.sym], s)) return slot.sym;
  }
  const Sym sym = static_cast<Sym>(strings_.size());
  strings_.push_back(store(s));
  std::uint64_t prefix = 0;
  for (std::size_t k = 0; k < 8; ++k)
    prefix = (prefix << 8) | (k < s.size() ? static_cast<unsigned char>(s[k]) : 0u);
  prefixes_.push_back(prefix);
  table_[i] = Slot{h, sym};
  // Load factor <= 1/2 keeps probe chains short.
  if (strings_.size() * 2 > table_.size()) grow();
  return sym;
}

std::string_view Interner::store(std::string_view s) {
  if (s.size() > chunk_left_) {
    const std::size_t n = s.size() > kChunkBytes / 4 ? s.size() : kChunkBytes;
    chunks_.push_back(std::make_unique<char[]>(n));
    chunk_bytes_ += n;
    if (n == kChunkBytes) {
      chunk_pos_ = chunks_.back().get();
      chunk_left_ = n;
    } else {
      // Oversized string: its own chunk; keep filling the current one.
      std::memcpy(chunks_.back().get(), s.data(), s.size());
      return {chunks_.back().get(), s.size()};
    }
  }
  std::memcpy(chunk_pos_, s.data(), s.size());
  std::string_view out(chunk_pos_, s.size());
  chunk_pos_ += s.size();
  chunk_left_ -= s.size();
  return out;
}

void Interner::grow() {
  std::vector<Slot> old;
  old.swap(table_);
  table_.assign(old.size() * 2, Slot{});
  mask_ = table_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.sym == 0) continue;
    std::size_t i = slot.hash & mask_;
    while (table_[i].sym != 0) i = (i + 1) & mask_;
    table_[i] = slot;
  }
}

std::size_t Interner::bytes_used() const {
  return chunk_bytes_ + table_.capacity() * sizeof(Slot) +
         strings_.capacity() * sizeof(std::string_view) + prefixes_.capacity() * sizeof(std::uint64_t);
}

}  // namespace squall::core
