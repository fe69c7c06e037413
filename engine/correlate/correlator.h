#pragma once
// Correlator: the streaming clustering of one shard's alerts into incidents.
//
// Event-time driven. Alerts are held in a reorder buffer until the watermark (max ts seen minus
// allowed_lateness) passes them, then processed in (ts, arrival) order, so out-of-order input
// within the lateness gives the same result as in-order input. For each alert:
//   - a repeat of an active fingerprint updates that member (count, last seen, value, status,
//   flaps);
//   - a new fingerprint is scored against the open incidents it shares evidence with (strong: same
//     service / node / pod / instance / deploy, topology hops, learned service<->node placement;
//     weak: other shared dimensions, which only add to strong evidence and never link alone), times
//     a decay with the gap since the incident's last activity (and, for identity evidence, since
//     something new started on that entity in the incident). It joins the best incident over
//     link_threshold, else opens a new one; when it links strongly to two incidents by identity
//     evidence they merge.
//   - change events are remembered per service and attached to incidents on the services they touch
//     when they precede onset within change_lead.
// Incidents close after quiet_period without firing alerts, or resolve_grace after all members
// resolved (unless a member flapped: then only the quiet period closes it); closing releases their
// members, so state is bounded by what is open.
//
// Thread contract: one thread owns a Correlator (its shard) and calls every method; listener
// callbacks run synchronously on that thread. The Interner is shared (thread-safe).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/incident.h"
#include "engine/core/interner.h"
#include "engine/core/member_table.h"
#include "engine/core/result.h"
#include "engine/core/topology.h"

namespace squall::correlate {

struct Config {
  // Which labels play each role (core::Role order), in priority order: the first one an alert
  // carries wins. The defaults cover the common habits of Prometheus, kube-state-metrics and
  // Kubernetes service discovery; the first name of each role is its canonical name.
  std::array<std::vector<std::string>, core::kRoles> role_labels = {{
      {"alertname"},
      {"service", "app", "app_kubernetes_io_name", "k8s_app", "service_name", "application",
       "kubernetes_name", "source_workload", "source_app"},
      {"node", "kubernetes_node", "nodename", "node_name", "host", "hostname", "k8s_node_name",
       "kubernetes_io_hostname"},
      {"pod", "pod_name", "kubernetes_pod_name", "k8s_pod_name"},
      {"instance"},
      {"deploy"},
      {"cluster", "cluster_name", "k8s_cluster", "k8s_cluster_name"},
      {"zone", "availability_zone", "topology_kubernetes_io_zone", "cloud_availability_zone",
       "failure_domain_beta_kubernetes_io_zone"},
      {"upstream", "upstream_service", "destination_service", "destination_service_name",
       "destination_workload", "dst_service", "peer_service", "target_service", "destination_app"},
      {"namespace", "kubernetes_namespace", "exported_namespace", "k8s_namespace_name"},
      {"severity", "priority", "level"},
      {"change_type"},
  }};
  // Extra labels treated as weak shared dimensions (besides namespace, cluster, zone).
  std::vector<std::string> weak_dimensions = {"job", "team", "region", "env", "environment"};

  std::int64_t allowed_lateness_ms = 10'000;
  std::int64_t quiet_period_ms = 15 * 60'000;  // close after this long without firing alerts
  std::int64_t resolve_grace_ms = 5 * 60'000;  // close this long after every member resolved
  std::int64_t link_window_ms = 15 * 60'000;   // no link to an incident idle for longer
  std::int64_t decay_grace_ms = 2 * 60'000;    // full time weight within this gap
  std::int64_t decay_tau_ms = 3 * 60'000;      // then exp(-(gap - grace) / tau)
  std::int64_t change_lead_ms = 30 * 60'000;   // a change this long before onset can be the cause
  // How long a fault takes to show one hop away, at most: a callee alerting late, a burst's next
  // wave; a caller's own symptoms get 1.5x that (their rate windows and `for:` take longer).
  std::int64_t hop_delay_ms = 120'000;
  std::int64_t flap_window_ms = 30 * 60'000;  // a resolved member re-firing within this is a flap
  // A closed incident's fingerprints are remembered this long after the close: Prometheus re-sends
  // a resolved alert every resend interval for 15 minutes, and the incident closed resolve_grace
  // after its last member resolved. Such a re-send is counted with the closed incident (which stays
  // closed) instead of opening an incident of resolved alerts only. 0: remember nothing.
  std::int64_t closed_memory_ms = 30 * 60'000;
  std::uint32_t closed_memory_max = 1U << 17;  // fingerprints remembered at most (oldest go first)
  int max_hops = 3;
  double link_threshold = 0.65;
  double merge_threshold = 0.9;            // each of two incidents must link at least this strongly
  std::size_t max_annotated_members = 64;  // members per incident whose annotations are kept
  std::size_t max_dimensions = 64;         // distinct (label, value) counts kept per incident
  // Incident numbers start after this ("inc-<shard>-<n>"): a restarted server continues past the
  // numbers its store already holds.
  std::uint64_t first_incident_number = 1;

  // Evidence weights.
  double w_service = 1.0;
  double w_node = 0.9;
  double w_pod = 1.0;
  double w_deploy = 1.0;
  double w_topology = 0.8;  // at one hop; times topology_decay per further hop
  double topology_decay = 0.6;
  double onset_boost = 1.25;  // topology evidence between alerts within decay_grace_ms
  double w_placement = 0.6;
  double w_weak = 0.3;  // per shared weak dimension, scaled by its rarity

  // Zone bursts: when, within zone_window_ms, at least zone_min_services services (on more than
  // one node) start alerting in one zone and that zone holds at least zone_share of the services
  // starting to alert in its cluster, the zone itself is failing (a partition, an outage): an alert
  // in it links to the incident holding the burst, with up to w_zone.
  std::int64_t zone_window_ms = 180'000;
  std::uint32_t zone_min_services = 4;
  double zone_share = 0.7;
  double w_zone = 0.7;
  // A node going down (two or more distinct node-level alerts about it in one incident) takes its
  // pods with it. kube-state-metrics pod alerts (pod, no node, no service label) that start within
  // hop_delay_ms after the node's first alert, in the only node going down in their cluster, link
  // to its incident with w_node_down: nothing else places those pods.
  double w_node_down = 0.7;
};

// Validates ranges; the message names the key.
core::Result<void> validate(const Config& c);

enum class IncidentEvent : std::uint8_t { kOpened, kUpdated, kClosed };

class Listener {
 public:
  virtual ~Listener() = default;
  // The alert with arrival sequence `seq` became part of `incident` (not called for change events).
  virtual void on_assigned(std::uint64_t seq, const core::Incident& incident) = 0;
  // The alert with arrival sequence `seq` is a resolved re-send of a fingerprint of incident
  // `incident_id` (number `incident_number` of this shard), which already closed and stays closed.
  // `incident_id` is valid only during the call.
  virtual void on_assigned_closed(std::uint64_t seq, std::string_view incident_id,
                                  std::uint64_t incident_number) = 0;
  // `from` was merged into `into`: alerts assigned to `from` now belong to `into`.
  virtual void on_merged(const core::Incident& from, const core::Incident& into) = 0;
  // Opened, gained or changed members (kUpdated), or closed. `watermark` = event time now.
  virtual void on_incident(const core::Incident& incident, IncidentEvent event,
                           std::int64_t watermark) = 0;
  // The watermark advanced: time-driven work (bundle group wait, rate limits) happens here.
  virtual void on_tick(std::int64_t watermark) = 0;
};

struct Stats {
  std::uint64_t alerts = 0;        // processed (not counting change events)
  std::uint64_t changes = 0;       // change events
  std::uint64_t deduplicated = 0;  // repeats of an active fingerprint
  std::uint64_t after_close = 0;   // resolved re-sends of a closed incident's fingerprint
  std::uint64_t late = 0;          // older than the watermark on arrival (processed at once)
  std::uint64_t opened = 0;
  std::uint64_t merged = 0;
  std::uint64_t closed = 0;
  std::uint64_t flaps = 0;
};

class Correlator {
 public:
  Correlator(const Config& config, std::shared_ptr<const core::Topology> topology,
             core::Interner& interner, Listener& listener, std::uint32_t shard = 0);
  ~Correlator();
  Correlator(const Correlator&) = delete;
  Correlator& operator=(const Correlator&) = delete;

  // Takes one parsed alert (or change event). `seq` is its arrival order, unique and increasing.
  void add(const core::AlertBatch& batch, const core::Alert& alert, std::uint64_t seq);
  static constexpr std::size_t kPrefetchAhead = 8;
  // Hints that `alert` will be add()ed soon, so that a repeat of one of millions of active alerts
  // does not wait on memory: callers feeding a batch call prefetch() 2 * kPrefetchAhead alerts
  // ahead (loads its fingerprint slot) and prefetch_member() kPrefetchAhead ahead (loads the member
  // record that slot names).
  void prefetch(const core::Alert& alert) const;
  void prefetch_member(const core::Alert& alert) const;
  // Advances event time with no input (live mode: the wall clock when idle).
  void advance_to(std::int64_t event_ms);
  // End of input: processes everything buffered and closes every open incident.
  void finish();

  // Replaces the topology (SIGHUP); applies to alerts processed from now on.
  void set_topology(std::shared_ptr<const core::Topology> topology);

  [[nodiscard]] const Stats& stats() const;
  [[nodiscard]] std::size_t open_incidents() const;
  [[nodiscard]] std::size_t active_members() const;
  // For tests: checks the index of posted values against the open incidents' members; empty when
  // they agree, else what disagrees. O(members).
  [[nodiscard]] std::string check_index() const;
  [[nodiscard]] const core::MemberTable& members() const;
  // The open incident in `slot` (Member::incident), or null when the slot is free or closed.
  [[nodiscard]] const core::Incident* incident(std::uint32_t slot) const;
  [[nodiscard]] const core::Topology& topology() const;
  [[nodiscard]] std::int64_t watermark() const;
  // The latest event time seen (alerts or advance_to), core::kNoTime before any.
  [[nodiscard]] std::int64_t max_event_time() const;
  // Bytes reserved by the correlator's own state (tables, pools, buffers).
  [[nodiscard]] std::size_t bytes_reserved() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::correlate
