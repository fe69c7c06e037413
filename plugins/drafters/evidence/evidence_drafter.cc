#include "plugins/drafters/evidence/evidence_drafter.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "plugins/drafters/common/grounding.h"
#include "plugins/drafters/common/runbook.h"

namespace squall::drafters {
namespace {

std::string entity_name(const HypothesisEntry& h, std::string_view change) {
  if (!h.zone.empty()) return "zone " + h.zone;
  if (!h.service.empty() && !h.node.empty()) return h.service + " on node " + h.node;
  if (!h.node.empty()) return "node " + h.node;
  if (!h.service.empty()) return h.service;
  if (!change.empty()) return std::string(change);
  return "an unnamed entity";
}

// `s` cut to at most `max` bytes on a UTF-8 boundary, "..." marking the cut.
void clip(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  s += "...";
}

void add_unique(std::vector<std::string>& out, std::string_view s, std::size_t max) {
  if (s.empty() || out.size() >= max) return;
  if (std::find(out.begin(), out.end(), s) == out.end()) out.emplace_back(s);
}

}  // namespace

std::string clock_time(std::int64_t ts_ms) {
  constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
  std::int64_t ms = ts_ms % kDayMs;
  if (ms < 0) ms += kDayMs;
  const std::int64_t s = ms / 1000;
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

EvidenceDrafter::EvidenceDrafter(const DrafterConfig& config)
    : timeline_entries_(config.timeline_entries),
      max_evidence_(std::clamp<std::size_t>(config.max_evidence, 1, kMaxEvidenceItems)),
      runbook_(effective_runbook(config)) {}

Draft EvidenceDrafter::draft_from(const BundleView& b) const {
  Draft d;
  d.incident = b.incident;
  d.bundle_version = b.version;
  d.drafter = "evidence";

  const std::size_t shown = std::min(timeline_entries_, b.timeline.size());
  for (std::size_t i = 0; i < shown; ++i) {
    const TimelineEntry& t = b.timeline[i];
    if (i) d.timeline.push_back('\n');
    d.timeline += clock_time(t.ts);
    if (!t.service.empty()) d.timeline += " " + t.service;
    d.timeline += fmt::format(" {} \u00d7{}", t.alertname, t.count);
  }
  if (b.timeline.size() > shown)
    d.timeline += fmt::format("{}+{} more", shown ? "\n" : "", b.timeline.size() - shown);
  if (b.timeline.empty()) d.timeline = "no timeline in the bundle";
  clip(d.timeline, kMaxTimelineBytes);

  const HypothesisEntry* top = b.root_cause.empty() ? nullptr : &b.root_cause.front();
  if (top == nullptr) {
    d.likely_cause = "insufficient evidence: the bundle ranks no root-cause hypothesis";
    d.confidence = 0;
  } else {
    const std::string change = change_of(*top, b);
    d.likely_cause =
        fmt::format("likely cause: {} (score {})", entity_name(*top, change), top->score);
    for (std::size_t i = 0; i < top->reasons.size(); ++i)
      d.likely_cause += (i ? "; " : ": ") + top->reasons[i];
    clip(d.likely_cause, kMaxTextBytes);
    d.confidence = std::clamp(top->score, 0.0, 1.0);

    auto quote = [&](std::string_view s) {
      if (s.size() <= kMaxEvidenceBytes) add_unique(d.evidence, s, max_evidence_);
    };
    for (const std::string& r : top->reasons) quote(r);
    quote(change);
    for (const std::string& id : top->evidence) {
      const Exemplar* x = b.exemplar(id);
      if (x == nullptr) continue;
      quote(x->label("alertname"));
      quote(x->annotation("summary"));
    }
  }
  d.suggested_action = suggest_action(runbook_, top, b);
  clip(d.suggested_action, kMaxTextBytes);
  d.needs_human_check = true;
  ground(d, b);
  return d;
}

core::Result<DraftResult> EvidenceDrafter::draft(std::string_view bundle_json) {
  const auto start = std::chrono::steady_clock::now();
  auto bundle = parse_bundle(bundle_json);
  if (!bundle) return tl::unexpected(bundle.error());
  DraftResult r;
  r.draft = draft_from(*bundle);
  r.record.drafter = "evidence";
  r.record.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  return r;
}

}  // namespace squall::drafters
