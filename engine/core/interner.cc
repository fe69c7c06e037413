#include "engine/core/interner.h"

#include <cstring>

#include <sys/mman.h>

#include "engine/core/hash.h"
#include "engine/core/well_known.h"

namespace squall::core {

namespace {
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kInitialSlots = 1024;
// Tables this large (512 k slots and up) are mapped apart, so retiring them gives memory back.
constexpr std::size_t kMappedTableBytes = 4 << 20;

}  // namespace

Interner::Table::Table(std::size_t n) : mask(n - 1) {
  const std::size_t bytes = n * sizeof(std::atomic<std::uint64_t>);
  if (bytes >= kMappedTableBytes) {
    // Fresh anonymous pages read as zero: no initialisation pass.
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      slots = static_cast<std::atomic<std::uint64_t>*>(p);
      mapped = true;
      return;
    }
  }
  slots = new std::atomic<std::uint64_t>[n];
  for (std::size_t i = 0; i < n; ++i) slots[i].store(0, std::memory_order_relaxed);
}

Interner::Table::~Table() {
  if (mapped)
    ::munmap(slots, (mask + 1) * sizeof(std::atomic<std::uint64_t>));
  else
    delete[] slots;
}

void Interner::Table::retire() {
  if (mapped) ::madvise(slots, (mask + 1) * sizeof(std::atomic<std::uint64_t>), MADV_DONTNEED);
}

Interner::Interner() : segments_(new std::atomic<Entry*>[kMaxSegments]) {
  for (std::size_t i = 0; i < kMaxSegments; ++i)
    segments_[i].store(nullptr, std::memory_order_relaxed);
  tables_.push_back(std::make_unique<Table>(kInitialSlots));
  table_.store(tables_.back().get(), std::memory_order_release);
  segment_storage_.push_back(std::make_unique<Entry[]>(kSegmentSize));
  segments_[0].store(segment_storage_.back().get(), std::memory_order_release);
  count_.store(1, std::memory_order_release);  // Sym 0 = ""
  for (std::string_view name : kWellKnownNames) intern(name);
}

Interner::~Interner() = default;

Sym Interner::lookup(const Table& t, std::string_view s, std::uint64_t h) const {
  const std::uint64_t tag = h >> 32;
  for (std::size_t i = h & t.mask;; i = (i + 1) & t.mask) {
    const std::uint64_t slot = t.slots[i].load(std::memory_order_acquire);
    if (slot == 0) return 0;
    if ((slot >> 32) == tag) {
      const Sym sym = static_cast<Sym>(slot);
      if (bytes_equal(view(sym), s)) return sym;
    }
  }
}

Sym Interner::find(std::string_view s, bool* found) const {
  if (s.empty()) {
    if (found) *found = true;
    return 0;
  }
  const std::uint64_t h = hash_bytes(s);
  const Table* t = table_.load(std::memory_order_acquire);
  Sym sym = lookup(*t, s, h);
  // A table retired while it was probed reads as empty: look again in the one that replaced it.
  for (const Table* now = table_.load(std::memory_order_acquire); sym == 0 && now != t;
       now = table_.load(std::memory_order_acquire)) {
    t = now;
    sym = lookup(*t, s, h);
  }
  if (found) *found = sym != 0;
  return sym;
}

Sym Interner::intern(std::string_view s) {
  if (s.empty()) return 0;
  const std::uint64_t h = hash_bytes(s);
  if (const Sym sym = lookup(*table_.load(std::memory_order_acquire), s, h); sym != 0) return sym;
  std::lock_guard<std::mutex> lock(mu_);
  // Another thread may have added it (or grown the table) since the lock-free look.
  if (const Sym sym = lookup(*tables_.back(), s, h); sym != 0) return sym;
  return insert_locked(s, h);
}

Sym Interner::insert_locked(std::string_view s, std::uint64_t h) {
  const std::size_t n = count_.load(std::memory_order_relaxed);
  const Sym sym = static_cast<Sym>(n);
  const std::size_t seg = n >> kSegmentBits;
  if (segments_[seg].load(std::memory_order_relaxed) == nullptr) {
    segment_storage_.push_back(std::make_unique<Entry[]>(kSegmentSize));
    segments_[seg].store(segment_storage_.back().get(), std::memory_order_release);
  }
  Entry& e = segments_[seg].load(std::memory_order_relaxed)[n & (kSegmentSize - 1)];
  e.text = store(s);

  Table* t = tables_.back().get();
  if ((n + 1) * 2 > t->mask + 1) {
    // Grow: rehash every sym into a table twice the size, then publish it. Readers still on the
    // old table miss new strings and come here, where they find them.
    auto bigger = std::make_unique<Table>((t->mask + 1) * 2);
    for (std::size_t i = 0; i <= t->mask; ++i) {
      const std::uint64_t slot = t->slots[i].load(std::memory_order_relaxed);
      if (slot == 0) continue;
      const std::uint64_t hh = hash_bytes(view(static_cast<Sym>(slot)));
      std::size_t j = hh & bigger->mask;
      while (bigger->slots[j].load(std::memory_order_relaxed) != 0) j = (j + 1) & bigger->mask;
      bigger->slots[j].store(slot, std::memory_order_relaxed);
    }
    tables_.push_back(std::move(bigger));
    Table* old = t;
    t = tables_.back().get();
    table_.store(t, std::memory_order_seq_cst);
    old->retire();
  }
  std::size_t i = h & t->mask;
  while (t->slots[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & t->mask;
  count_.store(n + 1, std::memory_order_release);
  t->slots[i].store(((h >> 32) << 32) | sym, std::memory_order_release);
  return sym;
}

const char* Interner::store(std::string_view s) {
  const std::size_t head = s.size() < kLongText ? 1 : 5;
  const std::size_t need = head + s.size();
  char* out;
  // kReadPad zeroed bytes past each chunk's end: prefix() loads 8 bytes from any string's start.
  if (need > chunk_left_ && need > kChunkBytes / 4) {
    // Oversized: a chunk of its own; the current one keeps filling.
    chunks_.push_back(std::make_unique<char[]>(need + kReadPad));
    chunk_bytes_ += need;
    out = chunks_.back().get();
  } else {
    if (need > chunk_left_) {
      chunks_.push_back(std::make_unique<char[]>(kChunkBytes + kReadPad));
      chunk_bytes_ += kChunkBytes;
      chunk_pos_ = chunks_.back().get();
      chunk_left_ = kChunkBytes;
    }
    out = chunk_pos_;
    chunk_pos_ += need;
    chunk_left_ -= need;
  }
  if (head == 1) {
    out[0] = static_cast<char>(s.size());
  } else {
    const auto n = static_cast<std::uint32_t>(s.size());
    std::memcpy(out, &n, sizeof n);
    out[4] = static_cast<char>(kLongText);
  }
  std::memcpy(out + head, s.data(), s.size());
  return out + head;
}

std::size_t Interner::bytes_used() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t tables = 0;
  for (const auto& t : tables_) tables += (t->mask + 1) * sizeof(std::uint64_t);
  return chunk_bytes_ + tables + segment_storage_.size() * kSegmentSize * sizeof(Entry) +
         kMaxSegments * sizeof(void*);
}

}  // namespace squall::core
