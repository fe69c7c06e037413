#pragma once
// The drafting queue of `squall serve`: bundles go out to separate `squall draft-worker`
// processes over a local stream socket, with at-least-once delivery, and their drafts come back to
// be stored. An LLM's latency or failure can never slow or break correlation: submit() only takes
// a short lock and never waits for a worker.
//
// Wire protocol (one JSON object per line, both ways):
//   worker → pool  {"type":"hello","pid":123,"drafter":"evidence"}
//                  {"type":"ready"}                       one more bundle, please
//                  {"type":"draft","delivery":7,"draft":{…},"record":{…}}
//   pool → worker  {"type":"bundle","delivery":7,"incident":"inc-0-3","version":2,"bundle":{…}}
//                  {"type":"stored","delivery":7,"new":true}
// A delivery is acknowledged when its draft is stored. It goes back to the head of the queue (for
// another worker) when its worker disconnects or holds it longer than the lease. A newer bundle
// version of an incident replaces a queued older one. The queue is bounded: when full, the oldest
// queued bundle is dropped and counted. Drafts are stored once per (incident, version, drafter),
// so a late answer from a worker whose lease ran out is not stored twice.
//
// Thread contract: submit() and stats() from any thread; one internal thread does the I/O.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/result.h"
#include "io/store/store.h"

namespace squall::serve {

struct DraftPoolOptions {
  std::string listen;              // "unix:/path/draft.sock" or "tcp://127.0.0.1:PORT" (0: any)
  std::size_t queue_max = 1024;    // bundles waiting for a worker
  std::int64_t lease_ms = 60'000;  // a delivery held longer goes to another worker
};

struct DraftPoolStats {
  std::uint64_t queued = 0;     // waiting now
  std::uint64_t in_flight = 0;  // handed out, not yet acknowledged
  std::uint64_t workers = 0;    // connected now
  std::uint64_t submitted = 0;
  std::uint64_t superseded = 0;   // replaced in the queue by a newer version
  std::uint64_t dropped = 0;      // the queue was full
  std::uint64_t delivered = 0;    // hand-outs, redeliveries included
  std::uint64_t redelivered = 0;  // hand-outs after a worker died or its lease ran out
  std::uint64_t stored = 0;       // drafts stored (new rows)
  std::uint64_t duplicates = 0;   // drafts that were already stored
  std::uint64_t bad_messages = 0;
  std::uint64_t store_errors = 0;
};

class DraftPool {
 public:
  static core::Result<std::unique_ptr<DraftPool>> start(const DraftPoolOptions& options,
                                                        store::Store& store);
  ~DraftPool();  // stop()s
  DraftPool(const DraftPool&) = delete;
  DraftPool& operator=(const DraftPool&) = delete;

  // The address workers connect to ("unix:/…/draft.sock", "tcp://127.0.0.1:40111").
  [[nodiscard]] const std::string& address() const;

  void submit(const store::BundleRecord& bundle);
  [[nodiscard]] DraftPoolStats stats() const;
  // Waits until nothing is queued or in flight (true), or `timeout` passes (false).
  bool wait_idle(std::chrono::milliseconds timeout);
  // Closes every connection (workers started with --exit-on-disconnect then exit) and joins.
  void stop();

  struct Impl;

 private:
  explicit DraftPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::serve
