#include "engine/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include <concurrentqueue/concurrentqueue.h>

#include "engine/core/hash.h"
#include "engine/core/time.h"

namespace squall::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using Queue = moodycamel::ConcurrentQueue<Chunk*>;

constexpr std::size_t kBulk = 32;

// Waiting without a condition variable: spin briefly, then yield, then sleep in short naps. Used by
// idle consumers and by a blocked producer (backpressure); bounded latency, no lost wakeups.
class Backoff {
 public:
  void wait() {
    if (n_ < 32) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else if (n_ < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(n_ < 256 ? 50 : 200));
    }
    ++n_;
  }
  void reset() { n_ = 0; }
  [[nodiscard]] bool waited() const { return n_ != 0; }
  // Past pausing and yielding: a thread with somewhere to park should park now.
  [[nodiscard]] bool spun() const { return n_ >= 64; }

 private:
  unsigned n_ = 0;
};

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

core::Result<void> validate(const Options& o) {
  if (o.shard_threads == 0 && o.parse_threads != 0)
    return core::make_error("shard_threads 0 (correlate on the producer) needs parse_threads 0");
  if (o.parse_threads > 256) return core::make_error("parse_threads must be <= 256");
  if (o.shard_threads > 256) return core::make_error("shard_threads must be <= 256");
  if (o.partitions > 65536) return core::make_error("partitions must be <= 65536");
  if (o.partition_by.empty() && o.partitions > 1)
    return core::make_error("partitions > 1 needs partition_by labels");
  for (const auto& l : o.partition_by)
    if (l.empty()) return core::make_error("partition_by: empty label name");
  if (o.chunks_in_flight != 0 && o.chunks_in_flight < 2)
    return core::make_error("chunks_in_flight must be >= 2");
  return {};
}

// ---- Chunk
// ----------------------------------------------------------------------------------------

void Chunk::reserve(std::size_t bytes) {
  if (bytes <= capacity_ && buf_) return;
  std::size_t cap = std::max<std::size_t>(bytes, capacity_ + capacity_ / 2);
  auto next = std::make_unique_for_overwrite<char[]>(cap + kPadding);
  if (size_ > 0) std::memcpy(next.get(), buf_.get(), size_);
  // Only the padding must be defined (simdjson may read it); the rest is written before it is read.
  std::memset(next.get() + cap, 0, kPadding);
  buf_ = std::move(next);
  capacity_ = cap;
}

void Chunk::resize(std::size_t bytes) {
  reserve(bytes);
  size_ = bytes;
}

void Chunk::assign(std::string_view bytes) {
  size_ = 0;
  resize(bytes.size());
  if (!bytes.empty()) std::memcpy(buf_.get(), bytes.data(), bytes.size());
}

// ---- internals
// ------------------------------------------------------------------------------------

struct Pipeline::Queues {
  explicit Queues(std::size_t capacity, std::uint32_t shards)
      : free(capacity), input(capacity), free_consumer(free), input_producer(input) {
    for (std::uint32_t s = 0; s < shards; ++s) shard.push_back(std::make_unique<Queue>(capacity));
  }
  Queue free;                                 // chunks ready for the producer
  Queue input;                                // submitted chunks, to the parse threads
  std::vector<std::unique_ptr<Queue>> shard;  // parsed chunks, to each shard thread
  moodycamel::ConsumerToken free_consumer;    // the producer's
  moodycamel::ProducerToken input_producer;   // the producer's
};

struct Pipeline::ParseWorker final : parse::RejectSink {
  ParseWorker(core::Interner& interner, const parse::Limits& limits, Queues& q,
              std::size_t max_samples)
      : parser(interner, limits), input_consumer(q.input), max_samples_(max_samples) {
    for (auto& sq : q.shard) shard_producers.emplace_back(*sq);
  }
  void on_reject(std::uint32_t index, parse::Reject reason) override {
    if (chunk_rejected++ == 0) {
      first_reject = reason;
      first_reject_index = index;
    }
    ++rejected_by[static_cast<std::size_t>(reason)];
    RejectSample s;
    if (lines_mode) {
      s.line = line_base + index - 1;  // index: 1-based line within the buffer
    } else {
      s.line = line_base;  // the body's line
      s.index = index;
    }
    s.reason = reason;
    if (samples.size() < max_samples_) {
      samples.push_back(s);
      return;
    }
    auto worst = std::max_element(
        samples.begin(), samples.end(), [](const RejectSample& a, const RejectSample& b) {
          return a.line < b.line || (a.line == b.line && a.index < b.index);
        });
    if (worst != samples.end() &&
        (s.line < worst->line || (s.line == worst->line && s.index < worst->index)))
      *worst = s;
  }

  parse::Parser parser;
  moodycamel::ConsumerToken input_consumer;
  std::vector<moodycamel::ProducerToken> shard_producers;
  std::vector<RejectSample> samples;
  std::uint64_t line_base = 1;
  bool lines_mode = true;
  std::uint32_t chunk_rejected = 0;  // in the chunk being parsed
  parse::Reject first_reject = parse::Reject::kBadJson;
  std::uint32_t first_reject_index = 0;
  std::array<std::uint32_t, static_cast<std::size_t>(parse::Reject::kCount)> rejected_by{};
  Clock::duration busy{};
  std::uint64_t chunks = 0;

 private:
  std::size_t max_samples_;
};

struct Pipeline::Shard {
  Shard(std::uint32_t i, Queue* q, std::size_t ring_size)
      : index(i), ring(ring_size, nullptr), mask(ring_size - 1) {
    if (q) consumer.emplace(*q);
  }
  std::uint32_t index;
  std::optional<moodycamel::ConsumerToken> consumer;  // none when correlating inline
  std::vector<Chunk*> ring;                           // reorder stage, by chunk seq
  std::size_t mask;
  std::uint64_t next = 0;            // the chunk seq to consume next
  std::uint64_t base_seq = 0;        // alert seq of the next chunk's first alert
  std::vector<std::uint32_t> owned;  // partitions, ascending
  Clock::duration busy{};
  // Live mode, per owned partition: the correlator's latest event time and the wall clock when it
  // was last seen to change (event time moves on with the wall clock while input is idle).
  std::vector<std::int64_t> seen_event;
  std::vector<std::int64_t> seen_wall;
  // Parking (an event count): an idle shard thread sleeps on `wake` until a producer hands it a
  // chunk or the input closes, instead of waking every few hundred microseconds.
  std::atomic<std::uint32_t> wake{0};
  std::atomic<bool> parked{false};
  std::atomic<std::uint64_t> parks{0};
};

// ---- Pipeline
// -------------------------------------------------------------------------------------

Pipeline::Pipeline(Options options, core::Interner& interner, const HooksFactory& factory)
    : options_(std::move(options)), interner_(interner) {
  partitions_ =
      options_.partitions != 0 ? options_.partitions : (options_.partition_by.empty() ? 1u : 16u);
  if (options_.partition_by.empty()) partitions_ = 1;
  for (const auto& l : options_.partition_by) partition_syms_.push_back(interner_.intern(l));
  parsers_ = options_.parse_threads;
  inline_correlate_ = options_.shard_threads == 0;
  shards_ = inline_correlate_ ? 1u : std::min(options_.shard_threads, partitions_);
  if (inline_correlate_) parsers_ = 0;

  std::size_t pool = options_.chunks_in_flight;
  if (pool == 0) pool = 2 * (std::size_t{parsers_} + shards_) + 4;
  queues_ = std::make_unique<Queues>(pool, inline_correlate_ ? 0u : shards_);
  for (std::size_t i = 0; i < pool; ++i) {
    auto c = std::make_unique<Chunk>();
    if (shards_ > 1) c->for_shard_.resize(shards_);
    queues_->free.enqueue(c.get());
    pool_.push_back(std::move(c));
  }

  auto topology = options_.topology ? options_.topology : std::make_shared<const core::Topology>();
  for (std::uint32_t p = 0; p < partitions_; ++p) {
    hooks_.push_back(factory(p));
    correlators_.push_back(std::make_unique<correlate::Correlator>(
        options_.correlator, topology, interner_, hooks_.back()->listener(), p));
    hooks_.back()->attach(*correlators_.back());
  }

  const std::size_t ring = round_up_pow2(pool);
  for (std::uint32_t s = 0; s < shards_; ++s) {
    Queue* q = inline_correlate_ ? nullptr : queues_->shard[s].get();
    shard_state_.push_back(std::make_unique<Shard>(s, q, ring));
  }
  for (std::uint32_t p = 0; p < partitions_; ++p) shard_state_[p % shards_]->owned.push_back(p);
  for (auto& s : shard_state_) {
    s->seen_event.assign(s->owned.size(), core::kNoTime);
    s->seen_wall.assign(s->owned.size(), core::kNoTime);
  }

  for (std::uint32_t i = 0; i < parsers_; ++i)
    workers_.push_back(std::make_unique<ParseWorker>(interner_, options_.limits, *queues_,
                                                     options_.max_reject_samples));
  if (parsers_ == 0)  // the producer parses
    workers_.push_back(std::make_unique<ParseWorker>(interner_, options_.limits, *queues_,
                                                     options_.max_reject_samples));

  if (!inline_correlate_)
    for (auto& s : shard_state_) threads_.emplace_back([this, sh = s.get()] { shard_loop(*sh); });
  for (std::uint32_t i = 0; i < parsers_; ++i)
    threads_.emplace_back([this, w = workers_[i].get()] { parse_loop(*w); });
}

Pipeline::~Pipeline() { finish(); }

// A chunk just taken from the pool, made ready for a producer's bytes.
Chunk* Pipeline::prepare(Chunk* c, std::size_t min_bytes) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  // A chunk that once held a huge body gives that memory back when reused for small input.
  constexpr std::size_t kShrinkAbove = 4 << 20;
  if (c->capacity_ > kShrinkAbove && min_bytes * 4 < c->capacity_) {
    c->buf_.reset();
    c->capacity_ = 0;
  }
  c->size_ = 0;
  c->borrowed_ = nullptr;
  c->borrowed_readable_ = 0;
  c->first_line = 1;
  c->whole_body = false;
  c->format = options_.format;
  c->tick_ms_ = core::kNoTime;
  c->now_ms_ = core::kNoTime;
  c->topology_.reset();
  c->reserve(min_bytes);
  return c;
}

Chunk* Pipeline::try_acquire(std::size_t min_bytes) {
  Chunk* c = nullptr;
  if (!queues_->free.try_dequeue(queues_->free_consumer, c)) return nullptr;
  return prepare(c, min_bytes);
}

Chunk* Pipeline::acquire(std::size_t min_bytes) {
  Backoff backoff;
  for (;;) {
    if (Chunk* c = try_acquire(min_bytes)) {
      if (backoff.waited()) ++producer_waits_;
      return c;
    }
    backoff.wait();
  }
}

void Pipeline::release_unused(Chunk* chunk) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  queues_->free.enqueue(chunk);
}

void Pipeline::submit(Chunk* chunk) {
  chunk->seq_ = next_seq_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(chunk->size_, std::memory_order_relaxed);
  if (parsers_ == 0) {
    dispatch(*workers_.back(), chunk);
    return;
  }
  queues_->input.enqueue(queues_->input_producer, chunk);
}

void Pipeline::parse_chunk(ParseWorker& w, Chunk& c) {
  c.batch_.clear();
  if (c.tick_ms_ != core::kNoTime || c.topology_) {  // control chunk: nothing to parse
    if (w.chunk_rejected != 0) w.rejected_by.fill(0);
    w.chunk_rejected = 0;
    return;
  }
  const std::string_view buf(c.bytes(), c.size_);
  const std::size_t readable = c.borrowed_ ? c.borrowed_readable_ : c.capacity_ + Chunk::kPadding;
  const std::int64_t now = c.now_ms_ != core::kNoTime ? c.now_ms_ : options_.now_ms;
  parse_bytes(w, c.batch_, buf, readable, c.format, c.whole_body, now, c.first_line);
}

void Pipeline::parse_bytes(ParseWorker& w, core::AlertBatch& batch, std::string_view buf,
                           std::size_t readable, parse::Format format, bool whole_body,
                           std::int64_t now, std::uint64_t first_line) {
  w.line_base = first_line;
  if (w.chunk_rejected != 0) w.rejected_by.fill(0);
  w.chunk_rejected = 0;
  if (format == parse::Format::kNative) {
    w.lines_mode = true;
    w.parser.parse_ndjson(buf, batch, now, readable, &w);
  } else if (whole_body) {
    w.lines_mode = false;
    w.parser.parse(format, buf, batch, now, readable, &w);
  } else {
    // One body per line.
    w.lines_mode = false;
    const char* const base = buf.data();
    std::size_t pos = 0;
    std::uint64_t line = first_line;
    while (pos < buf.size()) {
      const void* nl = std::memchr(base + pos, '\n', buf.size() - pos);
      const std::size_t end =
          nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - base) : buf.size();
      std::size_t len = end - pos;
      if (len > 0 && base[pos + len - 1] == '\r') --len;
      const std::string_view body(base + pos, len);
      if (body.find_first_not_of(" \t") != std::string_view::npos) {
        w.line_base = line;
        w.parser.parse(format, body, batch, now, readable - pos, &w);
      }
      pos = end + 1;
      ++line;
    }
  }
}

void Pipeline::route(Chunk& c) {
  const std::size_t n = c.batch_.size();
  if (partitions_ > 1) {
    c.partition_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const core::Alert& a = c.batch_.alerts[i];
      std::uint64_t h = 0;
      for (core::Sym name : partition_syms_)
        h = core::hash_mix(h, core::hash_bytes(interner_.view(c.batch_.label(a, name))));
      c.partition_[i] = static_cast<std::uint32_t>(h % partitions_);
    }
  }
  if (shards_ > 1) {
    for (auto& v : c.for_shard_) v.clear();
    for (std::size_t i = 0; i < n; ++i)
      c.for_shard_[c.partition_[i] % shards_].push_back(static_cast<std::uint32_t>(i));
  }
}

void Pipeline::dispatch(ParseWorker& w, Chunk* chunk) {
  const auto t0 = Clock::now();
  parse_chunk(w, *chunk);
  route(*chunk);
  w.busy += Clock::now() - t0;
  ++w.chunks;
  if (inline_correlate_) {
    Shard& s = *shard_state_[0];
    const auto t1 = Clock::now();
    consume(s, *chunk);
    s.busy += Clock::now() - t1;
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    queues_->free.enqueue(chunk);
    return;
  }
  enqueue_shards(w, chunk);
}

void Pipeline::enqueue_shards(ParseWorker& w, Chunk* chunk) {
  dispatched_.fetch_add(chunk->batch_.size(), std::memory_order_relaxed);
  chunk->pending_.store(shards_, std::memory_order_relaxed);
  for (std::uint32_t s = 0; s < shards_; ++s)
    queues_->shard[s]->enqueue(w.shard_producers[s], chunk);
  // Pairs with the fence in park(): either the shard sees the chunk, or we see it parked.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (std::uint32_t s = 0; s < shards_; ++s)
    if (shard_state_[s]->parked.load(std::memory_order_relaxed)) unpark(*shard_state_[s]);
}

void Pipeline::unpark(Shard& s) {
  s.wake.fetch_add(1, std::memory_order_release);
  s.wake.notify_one();
}

void Pipeline::park(Shard& s) {
  Queue& q = *queues_->shard[s.index];
  const std::uint32_t seen = s.wake.load(std::memory_order_acquire);
  s.parked.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (q.size_approx() == 0 && !input_closed_.load(std::memory_order_acquire)) {
    s.parks.fetch_add(1, std::memory_order_relaxed);
    s.wake.wait(seen, std::memory_order_acquire);
  }
  s.parked.store(false, std::memory_order_relaxed);
}

void Pipeline::parse_loop(ParseWorker& w) {
  Backoff backoff;
  Chunk* batch[kBulk];
  for (;;) {
    // One chunk at a time: chunks are big, and taking several would starve the other parsers.
    const std::size_t n = queues_->input.try_dequeue_bulk(w.input_consumer, batch, 1);
    if (n == 0) {
      // Exit on counts, not on an empty-looking queue (a dequeue may fail under contention).
      if (input_closed_.load(std::memory_order_acquire) &&
          taken_.load(std::memory_order_acquire) >= total_chunks_.load(std::memory_order_acquire))
        return;
      backoff.wait();
      continue;
    }
    taken_.fetch_add(n, std::memory_order_acq_rel);
    backoff.reset();
    for (std::size_t i = 0; i < n; ++i) dispatch(w, batch[i]);
  }
}

void Pipeline::control(Shard& s, Chunk& c) {
  if (c.topology_)
    for (std::uint32_t p : s.owned) correlators_[p]->set_topology(c.topology_);
  if (c.tick_ms_ == core::kNoTime) return;
  const std::int64_t wall = c.tick_ms_;
  for (std::size_t i = 0; i < s.owned.size(); ++i) {
    const std::uint32_t p = s.owned[i];
    hooks_[p]->on_wall_clock(wall);
    correlate::Correlator& k = *correlators_[p];
    const std::int64_t event = k.max_event_time();
    if (event == core::kNoTime) continue;  // no input yet: nothing to move on from
    if (event == s.seen_event[i] && wall > s.seen_wall[i])
      k.advance_to(event + (wall - s.seen_wall[i]));
    s.seen_event[i] = k.max_event_time();
    s.seen_wall[i] = wall;
  }
}

void Pipeline::consume(Shard& s, Chunk& c) {
  if (c.tick_ms_ != core::kNoTime || c.topology_) {
    control(s, c);
    ++s.next;
    return;
  }
  const core::AlertBatch& batch = c.batch_;
  const std::uint64_t base = s.base_seq;
  auto feed = [&](std::uint32_t i) {
    const core::Alert& a = batch.alerts[i];
    const std::uint32_t p = partitions_ > 1 ? c.partition_[i] : 0;
    const std::uint64_t seq = base + i;
    hooks_[p]->on_input(batch, a, seq);
    correlators_[p]->add(batch, a, seq);
  };
  // Each alert's lookup is prefetched ahead of it (Correlator::prefetch).
  constexpr std::size_t kAhead = correlate::Correlator::kPrefetchAhead;
  auto correlator_of = [&](std::uint32_t i) -> const correlate::Correlator& {
    return *correlators_[partitions_ > 1 ? c.partition_[i] : 0];
  };
  auto hint = [&](std::size_t k, std::size_t n, auto index_at) {
    if (k + 2 * kAhead < n) {
      const std::uint32_t i = index_at(k + 2 * kAhead);
      correlator_of(i).prefetch(batch.alerts[i]);
    }
    if (k + kAhead < n) {
      const std::uint32_t i = index_at(k + kAhead);
      correlator_of(i).prefetch_member(batch.alerts[i]);
    }
  };
  std::size_t fed = 0;
  if (shards_ > 1) {
    const std::vector<std::uint32_t>& mine = c.for_shard_[s.index];
    for (std::size_t k = 0; k < mine.size(); ++k) {
      hint(k, mine.size(), [&](std::size_t j) { return mine[j]; });
      feed(mine[k]);
    }
    fed = mine.size();
  } else {
    const std::uint32_t n = static_cast<std::uint32_t>(batch.size());
    for (std::uint32_t i = 0; i < n; ++i) {
      hint(i, n, [](std::size_t j) { return static_cast<std::uint32_t>(j); });
      feed(i);
    }
    fed = n;
  }
  correlated_.fetch_add(fed, std::memory_order_relaxed);
  s.base_seq += batch.size();
  ++s.next;
}

void Pipeline::release(Chunk* chunk) {
  if (chunk->pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    queues_->free.enqueue(chunk);
  }
}

void Pipeline::shard_loop(Shard& s) {
  Backoff backoff;
  Queue& q = *queues_->shard[s.index];
  Chunk* got[kBulk];
  for (;;) {
    const std::size_t n = q.try_dequeue_bulk(*s.consumer, got, kBulk);
    for (std::size_t i = 0; i < n; ++i) s.ring[got[i]->seq_ & s.mask] = got[i];
    bool progressed = n != 0;
    const auto t0 = Clock::now();
    while (Chunk* c = s.ring[s.next & s.mask]) {
      if (c->seq_ != s.next) break;
      s.ring[s.next & s.mask] = nullptr;
      consume(s, *c);
      release(c);
      progressed = true;
    }
    if (progressed) {
      s.busy += Clock::now() - t0;
      backoff.reset();
      continue;
    }
    if (input_closed_.load(std::memory_order_acquire) &&
        s.next == total_chunks_.load(std::memory_order_acquire))
      break;
    if (backoff.spun()) {
      park(s);
      backoff.reset();
      continue;
    }
    backoff.wait();
  }
  const auto t0 = Clock::now();
  for (std::uint32_t p : s.owned) {
    correlators_[p]->finish();
    hooks_[p]->on_finish();
  }
  s.busy += Clock::now() - t0;
}

void Pipeline::finish() {
  if (finished_) return;
  finished_ = true;
  total_chunks_.store(next_seq_.load(std::memory_order_acquire), std::memory_order_release);
  input_closed_.store(true, std::memory_order_release);
  for (auto& s : shard_state_) unpark(*s);
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (inline_correlate_) {
    Shard& s = *shard_state_[0];
    const auto t0 = Clock::now();
    for (std::uint32_t p : s.owned) {
      correlators_[p]->finish();
      hooks_[p]->on_finish();
    }
    s.busy += Clock::now() - t0;
  }
  inputs_ = shard_state_.empty() ? 0 : shard_state_[0]->base_seq;
}

Stats Pipeline::stats() const {
  Stats st;
  st.chunks = next_seq_.load(std::memory_order_relaxed);
  st.bytes = bytes_.load(std::memory_order_relaxed);
  st.producer_waits = producer_waits_;
  std::vector<const ParseWorker*> all;
  for (const auto& w : workers_) all.push_back(w.get());
  for (const auto& p : producers_) all.push_back(p->worker_.get());
  for (const ParseWorker* w : all) {
    const parse::Stats& ps = w->parser.stats();
    st.parse.accepted += ps.accepted;
    for (std::size_t i = 0; i < ps.rejected.size(); ++i) st.parse.rejected[i] += ps.rejected[i];
    st.parse_busy_s += std::chrono::duration<double>(w->busy).count();
    st.reject_samples.insert(st.reject_samples.end(), w->samples.begin(), w->samples.end());
  }
  std::sort(st.reject_samples.begin(), st.reject_samples.end(),
            [](const RejectSample& a, const RejectSample& b) {
              return a.line < b.line || (a.line == b.line && a.index < b.index);
            });
  if (st.reject_samples.size() > options_.max_reject_samples)
    st.reject_samples.resize(options_.max_reject_samples);
  for (const auto& s : shard_state_)
    st.correlate_busy_s += std::chrono::duration<double>(s->busy).count();
  for (const auto& c : correlators_) {
    const correlate::Stats& cs = c->stats();
    st.correlate.alerts += cs.alerts;
    st.correlate.changes += cs.changes;
    st.correlate.deduplicated += cs.deduplicated;
    st.correlate.after_close += cs.after_close;
    st.correlate.late += cs.late;
    st.correlate.opened += cs.opened;
    st.correlate.merged += cs.merged;
    st.correlate.closed += cs.closed;
    st.correlate.flaps += cs.flaps;
  }
  return st;
}

LiveStats Pipeline::live() const {
  LiveStats l;
  l.chunks_in_flight = in_flight_.load(std::memory_order_relaxed);
  l.chunks_capacity = pool_.size();
  l.inputs_dispatched = dispatched_.load(std::memory_order_relaxed);
  l.inputs_correlated = correlated_.load(std::memory_order_relaxed);
  for (const auto& q : queues_->shard) l.shard_backlog.push_back(q->size_approx());
  for (const auto& s : shard_state_) l.shard_parks += s->parks.load(std::memory_order_relaxed);
  return l;
}

// ---- Producer
// -------------------------------------------------------------------------------------

Producer& Pipeline::add_producer() {
  auto w = std::make_unique<ParseWorker>(interner_, options_.limits, *queues_,
                                         options_.max_reject_samples);
  producers_.push_back(std::unique_ptr<Producer>(new Producer(*this, std::move(w))));
  return *producers_.back();
}

Producer::Producer(Pipeline& p, std::unique_ptr<Pipeline::ParseWorker> w)
    : pipeline_(p),
      worker_(std::move(w)),
      free_consumer_(std::make_unique<moodycamel::ConsumerToken>(p.queues_->free)) {}

Producer::~Producer() = default;

Chunk* Producer::try_acquire(std::size_t min_bytes) {
  Chunk* c = nullptr;
  if (!pipeline_.queues_->free.try_dequeue(*free_consumer_, c)) return nullptr;
  return pipeline_.prepare(c, min_bytes);
}

void Producer::release_unused(Chunk* chunk) { pipeline_.release_unused(chunk); }

Submitted Producer::submit(Chunk* chunk) {
  Pipeline& p = pipeline_;
  Pipeline::ParseWorker& w = *worker_;
  p.bytes_.fetch_add(chunk->size_, std::memory_order_relaxed);
  chunk->now_ms_ = core::wall_clock_ms();
  const auto t0 = Clock::now();
  p.parse_chunk(w, *chunk);
  p.route(*chunk);
  w.busy += Clock::now() - t0;
  const Submitted out = outcome(static_cast<std::uint32_t>(chunk->batch_.size()));
  hand_over(chunk);
  return out;
}

Submitted Producer::outcome(std::uint32_t accepted) const {
  const Pipeline::ParseWorker& w = *worker_;
  Submitted out;
  out.accepted = accepted;
  out.rejected = w.chunk_rejected;
  out.first_reject = w.first_reject;
  out.first_reject_index = w.first_reject_index;
  if (out.rejected != 0) out.rejected_by = w.rejected_by;
  return out;
}

void Producer::hand_over(Chunk* chunk) {
  Pipeline& p = pipeline_;
  ++worker_->chunks;
  // The sequence number is taken at the last moment: shards wait for every number in order.
  chunk->seq_ = p.next_seq_.fetch_add(1, std::memory_order_acq_rel);
  p.enqueue_shards(*worker_, chunk);
}

std::optional<Submitted> Producer::stage(std::string_view body, parse::Format format,
                                         bool whole_body) {
  Pipeline& p = pipeline_;
  Pipeline::ParseWorker& w = *worker_;
  if (!open_) {
    open_ = try_acquire(0);
    if (!open_) return std::nullopt;
    open_->batch_.clear();
  }
  core::AlertBatch& batch = open_->batch_;
  const std::size_t before = batch.size();
  p.bytes_.fetch_add(body.size(), std::memory_order_relaxed);
  const auto t0 = Clock::now();
  // The body's own buffer is not padded: the parser copies it where it must.
  p.parse_bytes(w, batch, body, body.size(), format, whole_body, core::wall_clock_ms(), 1);
  w.busy += Clock::now() - t0;
  const Submitted out = outcome(static_cast<std::uint32_t>(batch.size() - before));
  if (batch.size() >= kStagedAlerts) flush();
  return out;
}

void Producer::flush() {
  if (!open_) return;
  Chunk* c = std::exchange(open_, nullptr);
  Pipeline& p = pipeline_;
  if (c->batch_.size() == 0) {
    p.release_unused(c);
    return;
  }
  p.route(*c);
  hand_over(c);
}

Chunk* Producer::acquire_control() {
  Backoff backoff;
  for (;;) {
    if (Chunk* c = try_acquire(0)) return c;
    backoff.wait();
  }
}

void Producer::tick(std::int64_t wall_ms) {
  Chunk* c = acquire_control();
  c->tick_ms_ = wall_ms;
  (void)submit(c);
}

void Producer::set_topology(std::shared_ptr<const core::Topology> topology) {
  Chunk* c = acquire_control();
  c->topology_ = std::move(topology);
  (void)submit(c);
}

const parse::Stats& Producer::parse_stats() const { return worker_->parser.stats(); }

}  // namespace squall::pipeline
