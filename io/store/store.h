#pragma once
// Store: where `squall serve` keeps what outlives the process, under one data directory:
//   <dir>/bundles.ndjson[.1 .. .N]  every bundle emission, one JSON object a line (BundleLog);
//   <dir>/squall.db                 SQLite (WAL, synchronous=NORMAL): the latest bundle of each
//                                   incident, and the drafts written for incidents;
//   <dir>/squall.lock               flock()ed while a Store has the directory open.
//
// Bundles. put_bundle() only queues (a short mutex around an in-memory queue; never disk I/O), so
// correlator threads never wait on disk. One writer thread drains the whole queue at a time: it
// appends every bundle's line to the log, in put order, then upserts the incidents in one
// transaction. Within a drained batch only the highest version of each incident goes to SQLite
// (the others count as superseded); in SQLite a row is only replaced by a strictly higher version,
// so a late older version never overwrites a newer one (it counts as stale). Full-queue policy:
// put_bundle() returns false and counts the bundle as dropped once max_pending bundles or
// max_pending_bytes of JSON are waiting. A failed transaction is retried a bounded number of times,
// then its bundles count as failed and last_error() says why.
//
// Reads go through their own read-only connections (a small pool), concurrently with the writer
// (WAL), and see what the writer has committed: call flush() first to read your own puts.
//
// Incident ids are the key: they must not repeat across restarts of the engine (an id reused with a
// lower version would be ignored as stale). generation() is a counter of opens of this directory
// that the embedding tool can fold into its ids.
//
// Thread contract: every method may be called from any thread, concurrently, except open() and the
// destructor. The destructor flushes and joins the writer; no other call may be running or follow.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace squall::store {

struct Options {
  std::string dir{};                           // created (with parents) if missing
  std::uint64_t log_max_bytes = 64ull << 20;   // rotate the bundle log past this; 0: never
  unsigned log_max_files = 5;                  // rotated files kept besides the live one
  std::size_t max_pending = 100000;            // bundles put but not yet written
  std::size_t max_pending_bytes = 256u << 20;  // their JSON bytes
  int busy_timeout_ms = 5000;                  // SQLite lock waits (drafts vs. the writer)
  // Readers only (squall report): no lock, no writer, no log; the database must exist. Puts fail.
  bool read_only = false;
};

// One bundle emission. `json` is the bundle itself (one line: no '\n'); the other fields repeat
// what it says, for the columns.
struct BundleRecord {
  std::string incident;
  std::uint64_t version = 0;   // <= INT64_MAX
  std::string state;           // "open" | "closed"
  std::int64_t opened_at = 0;  // ms
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> closed_at;
  std::string json;
};

// A draft (incident summary) written by a drafter for one bundle version of an incident.
struct DraftRecord {
  std::string incident;
  std::uint64_t bundle_version = 0;
  std::string drafter;
  std::string model;
  std::string draft_json;
  std::string prompt;
  std::string raw_reply;
  std::int64_t latency_ms = 0;
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  std::int64_t created_at_ms = 0;
  bool fallback = false;
};

// Counters since open. Once flushed: queued = written + stale + superseded + failed.
struct Stats {
  std::uint64_t bundles_queued = 0;      // accepted by put_bundle
  std::uint64_t bundles_dropped = 0;     // refused by put_bundle: max_pending(_bytes) reached
  std::uint64_t bundles_invalid = 0;     // refused by put_bundle: empty id or json, '\n' in json
  std::uint64_t bundles_logged = 0;      // lines written to the bundle log
  std::uint64_t bundles_written = 0;     // inserted or updated in SQLite (committed)
  std::uint64_t bundles_stale = 0;       // not applied: SQLite already had this or a newer version
  std::uint64_t bundles_superseded = 0;  // not sent to SQLite: a newer version was in its batch
  std::uint64_t bundles_failed = 0;      // not in SQLite: the transaction failed after retries
  std::uint64_t write_errors = 0;        // failed log writes or rotations, failed transactions
  std::uint64_t log_rotations = 0;
  std::uint64_t batches = 0;           // writer transactions committed
  std::uint64_t drafts_written = 0;    // new draft rows
  std::uint64_t drafts_duplicate = 0;  // put_draft calls that found the row already there
  std::uint64_t pending = 0;           // bundles accepted, not yet through the writer
};

class Store {
 public:
  // Creates the directory, takes its lock, opens (or creates, or checks the schema version of) the
  // database and the bundle log, and starts the writer thread. Errors name the path.
  [[nodiscard]] static core::Result<std::unique_ptr<Store>> open(const Options& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queues a bundle for the log and the incident table; never blocks on I/O. False, counted, when
  // the queue is full or the record is invalid.
  [[nodiscard]] bool put_bundle(BundleRecord record);

  // Stores a draft once per (incident, bundle_version, drafter): true when it was new, false when
  // that row already existed (a redelivery; the stored one is kept). Synchronous.
  [[nodiscard]] core::Result<bool> put_draft(const DraftRecord& draft);

  // Blocks until every bundle put before the call is logged and committed. An error when a write
  // failed meanwhile (see last_error()); the bundles are through the writer either way.
  [[nodiscard]] core::Result<void> flush();

  // The latest stored bundle of `id`; nullopt when unknown.
  [[nodiscard]] core::Result<std::optional<BundleRecord>> incident(std::string_view id);

  struct Query {
    std::string state{};                                               // "" (any), "open", "closed"
    std::size_t limit = 100;                                           // 0: no limit
    std::int64_t since_ms = std::numeric_limits<std::int64_t>::min();  // updated_at >= since_ms
  };
  // Latest bundles, newest updated_at first (ties: id descending).
  [[nodiscard]] core::Result<std::vector<BundleRecord>> incidents(const Query& query);

  // The draft for the highest bundle version of `incident` (ties: latest created, then latest put).
  [[nodiscard]] core::Result<std::optional<DraftRecord>> latest_draft(std::string_view incident);
  // Every draft of `incident`, in latest_draft's order.
  [[nodiscard]] core::Result<std::vector<DraftRecord>> drafts(std::string_view incident);

  Stats stats() const;
  std::string last_error() const;    // the latest write error, "" if none
  std::uint64_t generation() const;  // 1 on the first open of the directory, +1 each open
  const std::string& dir() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::store
