#include "engine/bundle/emitter.h"

#include <algorithm>
#include <concepts>
#include <cstdlib>

namespace squall::bundle {
namespace {

using correlate::IncidentEvent;

const core::Topology& empty_topology() {
  static const core::Topology kEmpty;
  return kEmpty;
}

}  // namespace

Emitter::Emitter(const Config& config, const core::Interner& interner, Sink& sink,
                 rca::Config rca_config)
    : config_(config), interner_(interner), sink_(sink), ranker_(rca_config) {}

void Emitter::attach(const correlate::Correlator& correlator) {
  correlator_ = &correlator;
  members_ = &correlator.members();
  topology_ = nullptr;
  lookup_ = [&correlator](std::uint32_t slot) { return correlator.incident(slot); };
}

void Emitter::attach(const core::MemberTable& members, const core::Topology& topology,
                     Lookup lookup) {
  correlator_ = nullptr;
  members_ = &members;
  topology_ = &topology;
  lookup_ = std::move(lookup);
}

const core::Topology& Emitter::topology() const {
  if (correlator_) return correlator_->topology();  // current: it may be swapped on reload
  return topology_ ? *topology_ : empty_topology();
}

std::uint32_t Emitter::slot_of(const core::Incident& incident) const {
  // Every member records the slot of the incident holding it.
  if (incident.members.empty() || !members_) return UINT32_MAX;
  return (*members_)[incident.members.front()].incident;
}

Emitter::State& Emitter::state_of(const core::Incident& incident) {
  State& s = states_[incident.number];
  const std::uint32_t slot = slot_of(incident);
  if (slot != UINT32_MAX) s.slot = slot;
  return s;
}

void Emitter::schedule(State& s, std::uint64_t number, std::int64_t at) {
  if (s.due != core::kNoTime && s.due <= at) return;
  s.due = at;
  due_.push(Due{at, number});
}

void Emitter::schedule_update(State& s, std::uint64_t number, std::int64_t watermark) {
  if (s.due != core::kNoTime) return;
  std::int64_t at = std::max(watermark, s.last_at + config_.min_interval_ms);
  // A check that found nothing material holds off re-ranking for a quarter interval.
  if (s.checked_at != core::kNoTime)
    at = std::max(at, s.checked_at + std::max<std::int64_t>(config_.min_interval_ms / 4, 1));
  schedule(s, number, at);
}

void Emitter::on_assigned(std::uint64_t seq, const core::Incident& incident) {
  sink_.on_assigned(seq, incident.id);
}

// A closed incident gets no new bundle: its final one stands.
void Emitter::on_assigned_closed(std::uint64_t seq, std::string_view incident_id, std::uint64_t) {
  sink_.on_assigned(seq, incident_id);
}

void Emitter::on_merged(const core::Incident& from, const core::Incident& into) {
  sink_.on_merged(from.id, into.id);
  states_.erase(from.number);  // its heap entries go stale; `into` gets an update right after
}

void Emitter::on_incident(const core::Incident& incident, IncidentEvent event,
                          std::int64_t watermark) {
  switch (event) {
    case IncidentEvent::kOpened: {
      State& s = state_of(incident);
      schedule(s, incident.number, incident.opened_at + config_.group_wait_ms);
      check(s, incident, watermark);
      break;
    }
    case IncidentEvent::kUpdated: {
      State& s = state_of(incident);
      s.dirty = true;
      if (s.version == 0)
        schedule(s, incident.number, incident.opened_at + config_.group_wait_ms);
      else
        schedule_update(s, incident.number, watermark);
      check(s, incident, watermark);
      break;
    }
    case IncidentEvent::kClosed: {
      if (incident.merged_into != UINT32_MAX) {
        states_.erase(incident.number);
        break;
      }
      State& s = state_of(incident);
      emit(s, incident, watermark, false);
      ++stats_.final_bundles;
      states_.erase(incident.number);
      break;
    }
  }
}

void Emitter::on_tick(std::int64_t watermark) {
  while (!due_.empty() && due_.top().at <= watermark) {
    const Due d = due_.top();
    due_.pop();
    auto it = states_.find(d.number);
    if (it == states_.end() || it->second.due != d.at) continue;  // stale entry
    if (!lookup_) continue;  // checked at the incident's next callback
    const core::Incident* inc = lookup_(it->second.slot);
    if (!inc || !inc->open || inc->number != d.number) continue;
    check(it->second, *inc, watermark);
  }
}

void Emitter::check(State& s, const core::Incident& incident, std::int64_t watermark) {
  if (s.due == core::kNoTime || watermark < s.due) return;
  s.due = core::kNoTime;
  if (s.version == 0) {
    emit(s, incident, watermark, false);
    return;
  }
  if (!s.dirty) return;
  // The ranking's inputs are the incident's services, nodes, changes and severity: with none of
  // them new, the top hypothesis can't have moved, and re-ranking a large incident on every quiet
  // update would cost the correlator thread more than the bundles are worth.
  bool material =
      incident.services.size() > s.services || incident.nodes.size() > s.nodes ||
      incident.changes.size() > s.changes || incident.severity > s.severity ||
      (incident.members.size() > s.members && incident.members.size() * 2 >= s.members * 3);
  bool ranked = false;
  if (material) {
    rank(incident);
    ranked = true;
    // Growth alone is material; otherwise only a new top hypothesis is worth a bundle.
    const bool grew =
        incident.severity > s.severity ||
        (incident.members.size() > s.members && incident.members.size() * 2 >= s.members * 3);
    const core::Sym svc = hyps_.empty() ? 0 : hyps_.front().service;
    const core::Sym node = hyps_.empty() ? 0 : hyps_.front().node;
    const int change = hyps_.empty() ? -1 : hyps_.front().change;
    material = grew || incident.services.size() > s.services || incident.nodes.size() > s.nodes ||
               svc != s.top_service || node != s.top_node || change != s.top_change;
  }
  if (material) {
    emit(s, incident, watermark, ranked);
  } else {
    s.dirty = false;  // the next update re-arms a check
    s.checked_at = watermark;
    ++stats_.skipped_updates;
  }
}

void Emitter::rank(const core::Incident& incident) {
  ranker_.rank(incident, *members_, topology(), interner_, hyps_);
  ++stats_.ranks;
}

void Emitter::emit(State& s, const core::Incident& incident, std::int64_t watermark, bool ranked) {
  // Bundles read member labels and ids: an emitter that was never attached is a wiring bug.
  if (!members_) std::abort();
  if (!ranked) rank(incident);
  ++s.version;
  build_bundle(incident, *members_, hyps_, interner_, config_, json_, s.version);
  s.last_at = watermark;
  s.checked_at = core::kNoTime;
  s.dirty = false;
  s.members = incident.members.size();
  s.services = incident.services.size();
  s.nodes = incident.nodes.size();
  s.changes = incident.changes.size();
  s.severity = incident.severity;
  s.top_service = hyps_.empty() ? 0 : hyps_.front().service;
  s.top_node = hyps_.empty() ? 0 : hyps_.front().node;
  s.top_change = hyps_.empty() ? -1 : hyps_.front().change;
  ++stats_.bundles;
  stats_.bytes += json_.size();
  sink_.on_bundle(incident, json_);
}

}  // namespace squall::bundle
