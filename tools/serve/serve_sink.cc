#include "tools/serve/serve_sink.h"

#include <charconv>

namespace squall::serve {

BundleHead read_head(std::string_view json) {
  BundleHead h;
  constexpr std::string_view kVersion = "\"version\":";
  if (const auto at = json.find(kVersion); at != std::string_view::npos) {
    const char* b = json.data() + at + kVersion.size();
    std::from_chars(b, json.data() + json.size(), h.version);
  }
  constexpr std::string_view kState = "\"state\":\"";
  if (const auto at = json.find(kState); at != std::string_view::npos)
    h.closed = json.substr(at + kState.size(), 6) == "closed";
  return h;
}

ServeSink::ServeSink(const bundle::Config& config, const rca::Config& rca_config,
                     const core::Interner& interner, net::Metrics& metrics, store::Store& store,
                     Forward forward)
    : emitter_(config, interner, *this, rca_config),
      metrics_(metrics),
      store_(store),
      forward_(std::move(forward)) {}

void ServeSink::note_waiting(const core::Incident& incident) {
  // One clock read per incident per bundle cycle, not per alert.
  if (waiting_since_.find(incident.number) == waiting_since_.end())
    waiting_since_.emplace(incident.number, std::chrono::steady_clock::now());
}

void ServeSink::on_assigned(std::uint64_t seq, const core::Incident& incident) {
  note_waiting(incident);
  emitter_.on_assigned(seq, incident);
}

void ServeSink::on_assigned_closed(std::uint64_t seq, std::string_view incident_id,
                                   std::uint64_t incident_number) {
  metrics_.alerts_after_close.fetch_add(1, std::memory_order_relaxed);
  emitter_.on_assigned_closed(seq, incident_id, incident_number);
}

void ServeSink::on_merged(const core::Incident& from, const core::Incident& into) {
  metrics_.incidents_merged.fetch_add(1, std::memory_order_relaxed);
  metrics_.incidents_open.fetch_sub(1, std::memory_order_relaxed);
  if (auto it = waiting_since_.find(from.number); it != waiting_since_.end()) {
    auto [at, inserted] = waiting_since_.try_emplace(into.number, it->second);
    if (!inserted && it->second < at->second) at->second = it->second;
    waiting_since_.erase(from.number);
  }
  emitter_.on_merged(from, into);
}

void ServeSink::on_incident(const core::Incident& incident, correlate::IncidentEvent event,
                            std::int64_t watermark) {
  if (event == correlate::IncidentEvent::kOpened) {
    // The opening alert is waiting too: with no group wait its bundle goes out in this call,
    // before the alert's on_assigned.
    note_waiting(incident);
    metrics_.incidents_opened.fetch_add(1, std::memory_order_relaxed);
    metrics_.incidents_open.fetch_add(1, std::memory_order_relaxed);
  } else if (event == correlate::IncidentEvent::kClosed) {
    metrics_.incidents_closed.fetch_add(1, std::memory_order_relaxed);
    metrics_.incidents_open.fetch_sub(1, std::memory_order_relaxed);
  }
  emitter_.on_incident(incident, event, watermark);
  if (event == correlate::IncidentEvent::kClosed) waiting_since_.erase(incident.number);
}

void ServeSink::on_bundle(const core::Incident& incident, std::string_view json) {
  metrics_.bundles.fetch_add(1, std::memory_order_relaxed);
  metrics_.bundle_bytes.fetch_add(json.size(), std::memory_order_relaxed);
  if (auto it = waiting_since_.find(incident.number); it != waiting_since_.end()) {
    metrics_.bundle_latency.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count());
    waiting_since_.erase(it);
  }
  const BundleHead head = read_head(json);
  store::BundleRecord r;
  r.incident = incident.id;
  r.version = head.version;
  r.state = head.closed ? "closed" : "open";
  r.opened_at = incident.opened_at;
  r.updated_at = incident.updated_at;
  if (head.closed)
    r.closed_at = incident.closed_at != core::kNoTime ? incident.closed_at : incident.updated_at;
  r.json.assign(json);
  if (forward_) forward_(r);
  if (!store_.put_bundle(std::move(r)))
    metrics_.store_dropped.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace squall::serve
