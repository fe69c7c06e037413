#pragma once
// Pipeline: the wiring of parse -> route -> correlate over threads and bounded queues
// (docs/DESIGN.md "Life of an alert", steps 2-5). No I/O: a producer hands in chunks of bytes; what
// the correlators decide goes to the listeners that the embedding tool (replay, serve) builds per
// partition.
//
//   producer ──acquire()/submit()──> [input queue] ──> P parse threads ──> [one queue per shard]
//       ^                                               (Parser each,          │  reorder by chunk
//       seq └──────────── [free list] <── chunk released when every shard is done ─┘  S shard
//       threads
//                                                                                 (Correlator per
//                                                                                  partition owned)
// Chunks. A chunk is a byte buffer of whole NDJSON lines (native: alerts; alertmanager/webhook: one
// JSON body per line) or one whole body, plus everything parsed from it. Chunks come from a fixed
// pool and go back to it when every shard has consumed them, so at most `chunks_in_flight` exist
// and every queue edge is bounded by that number. Full-queue policy: the producer blocks in
// acquire() (spin, yield, then short sleeps) until a chunk is free; nothing is ever dropped.
// try_acquire() returns null instead, for producers that must answer 429. An idle shard thread
// spins and yields briefly, then parks until a producer hands it a chunk (or finish()), so an idle
// server costs no CPU.
//
// Determinism. Routing: partition = hash(values of the partition_by labels) % partitions; a
// partition is one correlation domain with its own Correlator (its incidents are "inc-<partition>-
// <n>"), owned by shard thread partition % shard_threads. Each shard consumes chunks strictly in
// chunk sequence order (a reorder ring at its input), and an alert's seq is its index among all
// accepted alerts and change events of the input (sum of the accepted counts of the earlier chunks
// plus its index in its chunk), so every correlator sees the same alerts with the same seqs in the
// same order whatever the thread counts: output is identical for any parse_threads and
// shard_threads.
//
// Thread contract: acquire/try_acquire/submit/finish are called by one producer thread. Hooks are
// created on the constructing thread; their callbacks and the listener callbacks of a partition run
// on the shard thread that owns it (or on the producer thread with shard_threads = 0).
//
// Live producers (squall serve). add_producer() (before any input, on the constructing thread,
// with parse_threads 0 and shard_threads >= 1) gives a Producer per I/O thread: it parses on its
// own thread, so a listener learns at once what was accepted and rejected (HTTP 400), and routes
// straight to the shards. Chunks get their sequence number when a producer dispatches them, so
// chunks of many producers interleave and every shard still consumes them in one order. Control
// chunks carry a wall-clock tick (event time moves on while input is idle) or a new topology.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/interner.h"
#include "engine/core/topology.h"
#include "engine/correlate/correlator.h"
#include "engine/parse/parser.h"

namespace moodycamel {
struct ConsumerToken;
}

namespace squall::pipeline {

// What the embedding tool attaches to one partition's correlator.
class PartitionHooks {
 public:
  virtual ~PartitionHooks() = default;
  // The correlator's listener (e.g. the bundle emitter); must live as long as the hooks.
  virtual correlate::Listener& listener() = 0;
  // Called once, right after the partition's correlator is built, on the constructing thread.
  virtual void attach(const correlate::Correlator& correlator) { (void)correlator; }
  // Called on the shard thread for each alert and change event just before the correlator takes it.
  virtual void on_input(const core::AlertBatch& batch, const core::Alert& alert,
                        std::uint64_t seq) {
    (void)batch, (void)alert, (void)seq;
  }
  // Called on the shard thread after the correlator's finish() (end of input).
  virtual void on_finish() {}
  // Live mode: the wall clock (ms since the epoch) at a tick, on the shard thread, before the
  // correlator's event time is moved on.
  virtual void on_wall_clock(std::int64_t wall_ms) { (void)wall_ms; }
};
using HooksFactory = std::function<std::unique_ptr<PartitionHooks>(std::uint32_t partition)>;

struct Options {
  parse::Format format = parse::Format::kNative;
  parse::Limits limits;
  correlate::Config correlator;
  std::shared_ptr<const core::Topology> topology;  // null: none
  std::vector<std::string> partition_by;           // empty: one correlation domain
  std::uint32_t partitions = 0;      // correlation domains; 0: 1 without partition_by, else 16
  std::uint32_t parse_threads = 1;   // 0: parse on the producer thread, in submit()
  std::uint32_t shard_threads = 1;   // 0: correlate on the producer thread (needs parse_threads 0)
  std::size_t chunks_in_flight = 0;  // the pool; 0: 2 * (parse_threads + shard_threads) + 4
  std::int64_t now_ms = 0;           // stands in for missing timestamps ("now" of the input)
  std::size_t max_reject_samples = 16;  // rejected lines remembered for messages
};

// "parse_threads 0 with shard_threads 2", "partitions must be >= 1": the message names the field.
core::Result<void> validate(const Options& options);

class Pipeline;
class Producer;

// A byte buffer with simdjson's padding after its capacity, and what was parsed from it.
class Chunk {
 public:
  static constexpr std::size_t kPadding = 64;

  // The chunk's own buffer, for a producer to fill (not a borrowed one: see borrow()).
  [[nodiscard]] char* data() { return buf_.get(); }
  [[nodiscard]] const char* data() const { return buf_.get(); }
  // The bytes to parse: the borrowed ones, else the own buffer's.
  [[nodiscard]] const char* bytes() const { return borrowed_ ? borrowed_ : buf_.get(); }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  // Parses `size` bytes the caller keeps valid (and readable up to `readable` bytes, at least
  // size + kPadding) until the chunk is back in the pool, instead of the chunk's own buffer: a
  // memory-mapped file needs no copy. acquire() clears it.
  void borrow(const char* bytes, std::size_t size, std::size_t readable) {
    borrowed_ = bytes;
    size_ = size;
    borrowed_readable_ = readable;
  }
  // Grows the buffer to at least `bytes`, keeping the first size() bytes.
  void reserve(std::size_t bytes);
  void resize(std::size_t bytes);  // reserves, then sets size (new bytes unspecified)
  void assign(std::string_view bytes);

  // 1-based line number of the chunk's first line in its source (for rejection messages).
  std::uint64_t first_line = 1;
  // For alertmanager/webhook formats: true when the buffer is one body; false when it holds one
  // body per line.
  bool whole_body = false;
  // The format of this chunk's bytes (acquire sets Options::format; a live producer may change it).
  parse::Format format = parse::Format::kNative;

 private:
  friend class Pipeline;
  friend class Producer;
  class Producer;
  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  const char* borrowed_ = nullptr;
  std::size_t borrowed_readable_ = 0;

  std::uint64_t seq_ = 0;
  std::int64_t tick_ms_ = core::kNoTime;  // control: wall-clock tick
  std::int64_t now_ms_ = core::kNoTime;   // "now" for its parse (live: the wall clock at submit)
  std::shared_ptr<const core::Topology> topology_;  // control: replace the topology
  core::AlertBatch batch_;
  std::vector<std::uint32_t> partition_;               // per alert, when partitions > 1
  std::vector<std::vector<std::uint32_t>> for_shard_;  // alert indices per shard, when shards > 1
  std::atomic<std::uint32_t> pending_{0};              // shards yet to consume it
};

struct RejectSample {
  std::uint64_t line = 0;   // 1-based line in the source
  std::uint32_t index = 0;  // array index inside a body (alertmanager/webhook), else 0
  parse::Reject reason = parse::Reject::kBadJson;
};

struct Stats {
  parse::Stats parse;          // accepted and rejected by reason, over every parser
  correlate::Stats correlate;  // summed over partitions
  std::uint64_t chunks = 0;
  std::uint64_t bytes = 0;
  std::uint64_t producer_waits = 0;  // acquire() calls that found the pool empty (backpressure)
  double parse_busy_s = 0;           // summed over parse threads (or the producer, inline)
  double correlate_busy_s = 0;       // summed over shard threads
  std::vector<RejectSample> reject_samples;  // the first rejections, in input order
};

// What a live producer's submit() did with one chunk.
struct Submitted {
  std::uint32_t accepted = 0;  // alerts and change events
  std::uint32_t rejected = 0;
  std::array<std::uint32_t, static_cast<std::size_t>(parse::Reject::kCount)> rejected_by{};
  parse::Reject first_reject = parse::Reject::kBadJson;  // valid when rejected > 0
  std::uint32_t first_reject_index = 0;  // 1-based line (native) or array index (bodies)
};

// Live counters, readable from any thread at any time (metrics).
struct LiveStats {
  std::uint64_t chunks_in_flight = 0;  // acquired and not yet back in the pool
  std::uint64_t chunks_capacity = 0;
  std::uint64_t inputs_dispatched = 0;       // accepted alerts and change events sent to the shards
  std::uint64_t inputs_correlated = 0;       // of those, taken by a correlator
  std::vector<std::uint64_t> shard_backlog;  // chunks queued per shard
  std::uint64_t shard_parks = 0;             // times an idle shard thread went to sleep until woken
};

class Pipeline {
 public:
  // Builds one Correlator (and its hooks, from `factory`) per partition and starts the threads.
  // `interner` is shared by every parser and correlator: it must be safe for concurrent interning.
  // Options must pass validate().
  Pipeline(Options options, core::Interner& interner, const HooksFactory& factory);
  ~Pipeline();  // finish()es if the producer did not
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // A free chunk (size 0, capacity >= min_bytes); blocks while none is free (backpressure).
  Chunk* acquire(std::size_t min_bytes);
  // A free chunk, or null when every chunk is in flight.
  Chunk* try_acquire(std::size_t min_bytes);
  // Hands a filled chunk to the parsers; the pipeline owns it until it returns to the pool.
  void submit(Chunk* chunk);
  // Gives back an acquired chunk without submitting it.
  void release_unused(Chunk* chunk);
  // End of input: parses and correlates everything submitted, finishes every correlator (closing
  // its incidents) in partition order, and joins the threads. Idempotent.
  void finish();

  // Live mode: a producer for one I/O thread (see the header comment). Call before any input.
  Producer& add_producer();
  [[nodiscard]] LiveStats live() const;

  // Valid after finish().
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] std::uint32_t partitions() const { return partitions_; }
  [[nodiscard]] std::uint32_t shard_threads() const { return shards_; }
  [[nodiscard]] std::uint32_t parse_threads() const { return parsers_; }
  // Accepted alerts and change events so far (seq of the next one), after finish().
  [[nodiscard]] std::uint64_t inputs() const { return inputs_; }

 private:
  struct Queues;
  struct ParseWorker;
  struct Shard;

  void parse_chunk(ParseWorker& w, Chunk& chunk);
  // Parses `buf` (readable up to `readable` bytes) into `batch`, appending.
  void parse_bytes(ParseWorker& w, core::AlertBatch& batch, std::string_view buf,
                   std::size_t readable, parse::Format format, bool whole_body, std::int64_t now,
                   std::uint64_t first_line);
  void route(Chunk& chunk);
  void dispatch(ParseWorker& w, Chunk* chunk);
  void parse_loop(ParseWorker& w);
  void shard_loop(Shard& s);
  void consume(Shard& s, Chunk& chunk);
  void release(Chunk* chunk);
  void control(Shard& s, Chunk& chunk);
  Chunk* prepare(Chunk* chunk, std::size_t min_bytes);
  void enqueue_shards(ParseWorker& w, Chunk* chunk);
  void park(Shard& s);
  void unpark(Shard& s);
  friend class Producer;

  Options options_;
  core::Interner& interner_;
  std::uint32_t partitions_ = 1;
  std::uint32_t shards_ = 1;   // effective shard count (<= partitions); 1 when inline
  std::uint32_t parsers_ = 0;  // 0: inline
  bool inline_correlate_ = false;
  std::vector<core::Sym> partition_syms_;

  std::vector<std::unique_ptr<Chunk>> pool_;
  std::unique_ptr<Queues> queues_;
  std::vector<std::unique_ptr<ParseWorker>> workers_;  // parse threads' state (+1 inline at back)
  std::vector<std::unique_ptr<Shard>> shard_state_;
  // Per partition. Hooks before correlators: a correlator goes before the listener it holds.
  std::vector<std::unique_ptr<PartitionHooks>> hooks_;
  std::vector<std::unique_ptr<correlate::Correlator>> correlators_;
  std::vector<std::thread> threads_;

  std::vector<std::unique_ptr<Producer>> producers_;

  std::atomic<std::uint64_t> next_seq_{0};  // chunk sequence
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<std::uint64_t> dispatched_{0};
  std::atomic<std::uint64_t> correlated_{0};
  std::atomic<bool> input_closed_{false};
  std::atomic<std::uint64_t> total_chunks_{UINT64_MAX};
  std::atomic<std::uint64_t> taken_{0};  // chunks the parse threads have dequeued
  std::uint64_t producer_waits_ = 0;
  std::atomic<std::uint64_t> bytes_{0};
  std::uint64_t inputs_ = 0;
  bool finished_ = false;
};

// A live producer: owned by one I/O thread, parses there. Not thread-safe; one per thread.
class Producer {
 public:
  // A free chunk with the pipeline's default format, or null when all are in flight (push back).
  Chunk* try_acquire(std::size_t min_bytes);
  void release_unused(Chunk* chunk);
  // Parses the chunk here, routes it and hands it to the shards; the pipeline owns it afterwards.
  Submitted submit(Chunk* chunk);
  // Coalescing for small bodies (an HTTP request of one alert or a few): parses `body` here into
  // this producer's open chunk, which goes to the shards at flush(), or at once when it holds
  // kStagedAlerts. One chunk then carries many requests: a chunk per request filled the pool and
  // woke a shard per request. Returns nullopt, taking nothing, when no chunk is free (push back).
  // What stage() accepted is the pipeline's: flush() never fails.
  std::optional<Submitted> stage(std::string_view body, parse::Format format, bool whole_body);
  void flush();
  [[nodiscard]] bool staged() const { return open_ != nullptr; }
  static constexpr std::size_t kStagedAlerts = 1024;
  // Control chunks (acquire blocks while the pool is empty; they are rare and small).
  void tick(std::int64_t wall_ms);
  void set_topology(std::shared_ptr<const core::Topology> topology);
  // Parse counters of this producer; read from its own thread, or after the pipeline finished.
  [[nodiscard]] const parse::Stats& parse_stats() const;

 private:
  friend class Pipeline;
  Producer(Pipeline& p, std::unique_ptr<Pipeline::ParseWorker> w);
  Chunk* acquire_control();
  // What the last parse on this producer's worker took and rejected, `accepted` alerts in all.
  [[nodiscard]] Submitted outcome(std::uint32_t accepted) const;
  // Hands a parsed, routed chunk to the shards.
  void hand_over(Chunk* chunk);
  Pipeline& pipeline_;
  std::unique_ptr<Pipeline::ParseWorker> worker_;
  std::unique_ptr<moodycamel::ConsumerToken> free_consumer_;
  Chunk* open_ = nullptr;  // stage()'s chunk, not yet handed to the shards

 public:
  ~Producer();
};

}  // namespace squall::pipeline
