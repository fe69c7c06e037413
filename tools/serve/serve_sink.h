#pragma once
// What `squall serve` attaches to each partition's correlator: the bundle emitter, whose bundles go
// to the incident store (and the bundle log through it) and to an optional forwarder (the drafting
// queue), plus the engine-side metrics: open incidents, bundles, alert→bundle latency.
//
// Thread contract: one per partition; every callback runs on the partition's shard thread. The
// store and the forwarder are thread-safe and never block on I/O.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "engine/bundle/emitter.h"
#include "engine/pipeline/pipeline.h"
#include "io/net/metrics.h"
#include "io/store/store.h"

namespace squall::serve {

// A bundle's incident, version and state, read from its first bytes (the emitter writes them
// first: {"incident":"…","version":N,"state":"…").
struct BundleHead {
  std::uint64_t version = 0;
  bool closed = false;
};
BundleHead read_head(std::string_view json);

class ServeSink final : public pipeline::PartitionHooks,
                        public correlate::Listener,
                        public bundle::Sink {
 public:
  using Forward = std::function<void(const store::BundleRecord&)>;

  ServeSink(const bundle::Config& config, const rca::Config& rca_config,
            const core::Interner& interner, net::Metrics& metrics, store::Store& store,
            Forward forward);

  // pipeline::PartitionHooks
  correlate::Listener& listener() override { return *this; }
  void attach(const correlate::Correlator& correlator) override { emitter_.attach(correlator); }

  // correlate::Listener: metrics, then the emitter.
  void on_assigned(std::uint64_t seq, const core::Incident& incident) override;
  void on_assigned_closed(std::uint64_t seq, std::string_view incident_id,
                          std::uint64_t incident_number) override;
  void on_merged(const core::Incident& from, const core::Incident& into) override;
  void on_incident(const core::Incident& incident, correlate::IncidentEvent event,
                   std::int64_t watermark) override;
  void on_tick(std::int64_t watermark) override { emitter_.on_tick(watermark); }

  // bundle::Sink
  void on_assigned(std::uint64_t, std::string_view) override {}
  void on_merged(std::string_view, std::string_view) override {}
  void on_bundle(const core::Incident& incident, std::string_view json) override;

 private:
  void note_waiting(const core::Incident& incident);

  bundle::Emitter emitter_;
  net::Metrics& metrics_;
  store::Store& store_;
  Forward forward_;
  // Per incident number: when its oldest alert not yet in a bundle arrived (steady clock).
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> waiting_since_;
};

}  // namespace squall::serve
