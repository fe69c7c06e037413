#pragma once
// Emitter: the correlator listener that decides when an incident's bundle is due, ranks root
// causes, builds the bundle and hands it to a Sink.
//
// Schedule (event time, the correlator's watermark):
//   - the first bundle once watermark >= opened_at + group_wait_ms (nothing for incidents that
//   close
//     earlier, except their final bundle);
//   - then, at most once per min_interval_ms, an update when something material changed since the
//     last one: a new service or node, higher severity, members grown by >= 50 %, or a different
//     top hypothesis (re-ranked at most every min_interval_ms / 4 per incident);
//   - always one final bundle on close (state "closed"). An incident merged into another gets none:
//     the sink hears on_merged, and the surviving incident's next bundle covers its alerts.
// Each emission increments the incident's bundle version (1, 2, ...), kept in the emitter's own
// per-incident state (the Incident is const to listeners), erased on close or merge.
//
// Time-driven emissions (group wait, rate limit) happen in on_tick and need to find an incident
// again between callbacks: the correlator keeps incidents in slots of a growing vector, so the
// emitter keeps slots, not pointers, and looks them up through the Lookup given to attach(). With
// no lookup, due bundles go out at the incident's next callback (update or close) instead.
//
// Thread contract: one per correlator, called on its shard thread only.
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/bundle/bundler.h"
#include "engine/core/incident.h"
#include "engine/core/interner.h"
#include "engine/core/member_table.h"
#include "engine/core/topology.h"
#include "engine/correlate/correlator.h"
#include "engine/rca/ranker.h"

namespace squall::bundle {

// Where the emitter's results go (the replay writer, the drafting queue, outputs, the store).
class Sink {
 public:
  virtual ~Sink() = default;
  // The alert with arrival sequence `seq` became part of incident `incident_id`.
  virtual void on_assigned(std::uint64_t seq, std::string_view incident_id) = 0;
  // Incident `from_id` was merged into `into_id`.
  virtual void on_merged(std::string_view from_id, std::string_view into_id) = 0;
  // A bundle for `incident`; `json` is valid only during the call.
  virtual void on_bundle(const core::Incident& incident, std::string_view json) = 0;
};

struct EmitterStats {
  std::uint64_t bundles = 0;          // emitted, final ones included
  std::uint64_t final_bundles = 0;    // on close
  std::uint64_t bytes = 0;            // of all bundles
  std::uint64_t ranks = 0;            // root-cause rankings run
  std::uint64_t skipped_updates = 0;  // due checks that found nothing material
};

class Emitter final : public correlate::Listener {
 public:
  // Finds the open incident in `slot`, or null.
  using Lookup = std::function<const core::Incident*(std::uint32_t slot)>;

  Emitter(const Config& config, const core::Interner& interner, Sink& sink,
          rca::Config rca_config = {});

  // Reads members, the (current) topology and incidents from the correlator. Call before the first
  // alert. (Incidents are found through Correlator::incident(slot) when the correlator has it.)
  void attach(const correlate::Correlator& correlator);
  // The same from parts (tests, or a correlator without incident lookup).
  void attach(const core::MemberTable& members, const core::Topology& topology, Lookup lookup);

  void on_assigned(std::uint64_t seq, const core::Incident& incident) override;
  void on_assigned_closed(std::uint64_t seq, std::string_view incident_id,
                          std::uint64_t incident_number) override;
  void on_merged(const core::Incident& from, const core::Incident& into) override;
  void on_incident(const core::Incident& incident, correlate::IncidentEvent event,
                   std::int64_t watermark) override;
  void on_tick(std::int64_t watermark) override;

  [[nodiscard]] const EmitterStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t tracked() const { return states_.size(); }
  // The hypotheses of the latest bundle emitted (for --explain and tests).
  [[nodiscard]] const std::vector<rca::Hypothesis>& last_hypotheses() const { return hyps_; }

 private:
  struct State {
    std::uint32_t slot = 0;
    std::uint32_t version = 0;
    std::int64_t due = core::kNoTime;         // next check; kNoTime: none scheduled
    std::int64_t last_at = core::kNoTime;     // watermark of the last emission
    std::int64_t checked_at = core::kNoTime;  // watermark of the last ranking without emission
    bool dirty = false;                       // updated since the last emission or check
    // What the last bundle showed.
    std::size_t members = 0;
    std::size_t services = 0;
    std::size_t nodes = 0;
    std::size_t changes = 0;
    core::Severity severity = core::Severity::kNone;
    core::Sym top_service = 0;
    core::Sym top_node = 0;
    int top_change = -1;
  };
  struct Due {
    std::int64_t at;
    std::uint64_t number;
    bool operator>(const Due& o) const { return at != o.at ? at > o.at : number > o.number; }
  };

  State& state_of(const core::Incident& incident);
  void schedule(State& s, std::uint64_t number, std::int64_t at);
  void schedule_update(State& s, std::uint64_t number, std::int64_t watermark);
  void check(State& s, const core::Incident& incident, std::int64_t watermark);
  void rank(const core::Incident& incident);
  void emit(State& s, const core::Incident& incident, std::int64_t watermark, bool ranked);
  [[nodiscard]] std::uint32_t slot_of(const core::Incident& incident) const;
  [[nodiscard]] const core::Topology& topology() const;

  Config config_;
  const core::Interner& interner_;
  Sink& sink_;
  rca::RootCauseRanker ranker_;
  const correlate::Correlator* correlator_ = nullptr;
  const core::MemberTable* members_ = nullptr;
  const core::Topology* topology_ = nullptr;
  Lookup lookup_;
  // By Incident::number (unique within one correlator).
  std::unordered_map<std::uint64_t, State> states_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::vector<rca::Hypothesis> hyps_;
  std::string json_;  // reused across bundles
  EmitterStats stats_;
};

}  // namespace squall::bundle
