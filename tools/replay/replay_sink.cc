#include "tools/replay/replay_sink.h"

#include <algorithm>

namespace squall::replay {

namespace {

// On demand, not DOM: a closing bundle is mostly members and timeline, which the summary skips
// (the DOM parse of every closing bundle was 2 % of a replay).
ReplaySink::Summary read_summary(simdjson::ondemand::parser& parser, std::string& padded,
                                 std::string_view json) {
  ReplaySink::Summary v;
  padded.assign(json);
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  simdjson::ondemand::document doc;
  if (parser.iterate(padded.data(), json.size(), padded.size()).get(doc)) return v;
  simdjson::ondemand::array services;
  if (!doc["services"].get_array().get(services)) {
    std::size_t n = 0;
    for (auto s : services) {
      std::string_view name;
      if (s.get_string().get(name)) continue;
      if (n < 5) {
        if (n) v.services += ", ";
        v.services += name;
      }
      ++n;
    }
    if (n > 5) v.services += " (+" + std::to_string(n - 5) + " more)";
  }
  simdjson::ondemand::array rc;
  if (!doc["root_cause"].get_array().get(rc)) {
    for (auto hv : rc) {
      simdjson::ondemand::object h;
      if (hv.get_object().get(h)) break;
      std::string_view service, node, zone;
      double score = 0;
      const bool has_service = !h["service"].get_string().get(service);
      if (has_service) v.hypothesis = std::string(service);
      const bool has_node = !h["node"].get_string().get(node);
      if (has_node) v.hypothesis += (has_service ? " on node " : "node ") + std::string(node);
      if (h["score"].get_double().get(score)) score = 0;
      if (!h["zone"].get_string().get(zone)) v.hypothesis = "zone " + std::string(zone);
      if (v.hypothesis.empty()) {
        std::string_view summary;
        if (!h["change"].get_string().get(summary) || !h["summary"].get_string().get(summary))
          v.hypothesis = summary;
        else
          v.hypothesis = "?";
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, " (%.2f)", score);
      v.hypothesis += buf;
      break;
    }
  }
  return v;
}

}  // namespace

ReplaySink::ReplaySink(std::uint32_t partition, const bundle::Config& config,
                       rca::Config rca_config, const core::Interner& interner, bool explain,
                       bool rows, Bundles bundles, std::FILE* stream)
    : partition_(partition),
      emitter_(config, interner, *this, rca_config),
      explain_(explain),
      keep_rows_(rows || explain),
      bundles_mode_(stream ? bundles
                           : (bundles == Bundles::kStream ? Bundles::kSummaryOnly : bundles)),
      stream_(stream) {}

const ReplaySink::Summary& ReplaySink::summary(std::uint32_t number) const {
  static const Summary kNone;
  return number < summaries_.size() ? summaries_[number] : kNone;
}

void ReplaySink::attach(const correlate::Correlator& correlator) {
  correlator_ = &correlator;
  emitter_.attach(correlator);
}

void ReplaySink::on_input(const core::AlertBatch& batch, const core::Alert& alert,
                          std::uint64_t seq) {
  if (alert.kind != core::Kind::kAlert) return;
  ++inputs_;
  if (!keep_rows_) return;
  Row r;
  r.seq = seq;
  r.fingerprint = alert.fingerprint;
  if (alert.id_derived) {
    r.id_off = alert.ts_ms;  // rebuilt on output: derived ids cost no memory
  } else {
    const std::string_view id = batch.str(alert.id);
    r.id_off = static_cast<std::int64_t>(ids_.size());
    r.id_len = static_cast<std::uint32_t>(id.size());
    ids_.append(id);
  }
  rows_.push_back(r);
}

ReplaySink::Row* ReplaySink::row_of(std::uint64_t seq) {
  auto it = std::lower_bound(rows_.begin(), rows_.end(), seq,
                             [](const Row& r, std::uint64_t s) { return r.seq < s; });
  return it != rows_.end() && it->seq == seq ? &*it : nullptr;
}

void ReplaySink::note_incident(const core::Incident& incident) {
  const auto n = static_cast<std::size_t>(incident.number);
  if (n >= ids_of_.size()) {
    const std::size_t old = parent_.size();
    ids_of_.resize(n + 1);
    parent_.resize(n + 1);
    if (!keep_rows_) assigned_.resize(n + 1);
    for (std::size_t i = old; i < parent_.size(); ++i) parent_[i] = static_cast<std::uint32_t>(i);
  }
  if (ids_of_[n].empty()) ids_of_[n] = incident.id;
}

void ReplaySink::on_assigned(std::uint64_t seq, const core::Incident& incident) {
  note_incident(incident);
  if (!keep_rows_) {
    ++assigned_[static_cast<std::size_t>(incident.number)];
    emitter_.on_assigned(seq, incident);
    return;
  }
  if (Row* r = row_of(seq)) {
    r->incident = static_cast<std::uint32_t>(incident.number);
    if (explain_ && correlator_) {
      const core::MemberTable& members = correlator_->members();
      for (auto it = incident.members.rbegin(); it != incident.members.rend(); ++it) {
        const core::Member& m = members[*it];
        if (m.fingerprint != r->fingerprint) continue;
        Why w;
        w.seq = seq;
        w.incident = static_cast<std::uint32_t>(incident.number);
        w.reason = m.reason;
        w.score = m.reason_score;
        w.via = m.reason_via;
        w.alertname = m.roles[static_cast<std::size_t>(core::Role::kAlertname)];
        w.service = m.roles[static_cast<std::size_t>(core::Role::kService)];
        w.node = m.roles[static_cast<std::size_t>(core::Role::kNode)];
        w.count = m.count;
        why_.push_back(w);
        break;
      }
    }
  }
  emitter_.on_assigned(seq, incident);
}

void ReplaySink::on_assigned_closed(std::uint64_t seq, std::string_view incident_id,
                                    std::uint64_t incident_number) {
  // The incident was noted when it was open: its number is in range.
  const auto n = static_cast<std::uint32_t>(incident_number);
  if (!keep_rows_) {
    ++assigned_[n];
  } else if (Row* r = row_of(seq)) {
    r->incident = n;
    if (explain_) {
      Why w;
      w.seq = seq;
      w.incident = n;
      w.after_close = true;
      why_.push_back(w);
    }
  }
  emitter_.on_assigned_closed(seq, incident_id, incident_number);
}

void ReplaySink::on_merged(const core::Incident& from, const core::Incident& into) {
  note_incident(from);
  note_incident(into);
  parent_[static_cast<std::size_t>(from.number)] = static_cast<std::uint32_t>(into.number);
  emitter_.on_merged(from, into);
}

void ReplaySink::on_incident(const core::Incident& incident, correlate::IncidentEvent event,
                             std::int64_t watermark) {
  note_incident(incident);
  watermark_ = watermark;
  emitter_.on_incident(incident, event, watermark);
}

void ReplaySink::on_tick(std::int64_t watermark) {
  watermark_ = watermark;
  emitter_.on_tick(watermark);
}

// The emitter's own assignment and merge reports repeat what on_assigned/on_merged recorded.
void ReplaySink::on_assigned(std::uint64_t, std::string_view) {}
void ReplaySink::on_merged(std::string_view, std::string_view) {}

void ReplaySink::on_bundle(const core::Incident& incident, std::string_view json) {
  note_incident(incident);
  // The summary reads each incident's closing bundle once (every incident closes by the end of a
  // replay), so no bundle has to be kept for it.
  if (!incident.open) {
    const auto n = static_cast<std::size_t>(incident.number);
    if (n >= summaries_.size()) summaries_.resize(n + 1);
    summaries_[n] = read_summary(json_parser_, json_padded_, json);
  }
  switch (bundles_mode_) {
    case Bundles::kSummaryOnly:
      return;
    case Bundles::kStream:
      if (std::fwrite(json.data(), 1, json.size(), stream_) != json.size() ||
          std::fputc('\n', stream_) == EOF)
        stream_ok_ = false;
      return;
    case Bundles::kKeep:
      break;
  }
  Bundle b;
  b.watermark = watermark_;
  b.off = bundle_text_.append(json);
  b.len = static_cast<std::uint32_t>(json.size());
  b.incident = static_cast<std::uint32_t>(incident.number);
  bundles_.push_back(b);
}

std::uint32_t ReplaySink::final_incident(std::uint32_t number) const {
  if (number >= parent_.size()) return number;
  std::uint32_t n = number;
  for (std::size_t guard = 0; parent_[n] != n && guard < parent_.size(); ++guard) n = parent_[n];
  return n;
}

void ReplaySink::resolve() {
  for (std::uint32_t n = 0; n < parent_.size(); ++n) parent_[n] = final_incident(n);
}

const std::string& ReplaySink::incident_id(std::uint32_t number) const {
  static const std::string kNone = "-";
  return number < ids_of_.size() && !ids_of_[number].empty() ? ids_of_[number] : kNone;
}

}  // namespace squall::replay
