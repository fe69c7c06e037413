#pragma once
// Bundler: an incident as a compact, bounded, evidence-bearing JSON bundle (docs/DESIGN.md
// "Outputs of squall replay"), and the emitter that decides when bundles are due.
//
// Bounded: exemplars and the timeline are deduplicated by fingerprint template (same alertname and
// service) and capped, then trimmed further until the bundle fits max_bytes: exemplars, timeline,
// dimension values, services and nodes are halved, then annotation and other text values clipped,
// then lists emptied. Any input fits a max_bytes of at least kMinBundleBytes (smaller is raised).
//
// Beyond the contract's keys a bundle carries "hypothesis_note", each exemplar's "joined" reason
// (and "flapping": true when it flaps), each change's "id", a root_cause entry's "change" summary
// when a change is part of it, and "services_omitted" / "nodes_omitted" when those lists were cut.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/incident.h"
#include "engine/core/interner.h"
#include "engine/core/member_table.h"
#include "engine/core/topology.h"
#include "engine/rca/ranker.h"

namespace squall::bundle {

inline constexpr std::size_t kMinBundleBytes = 512;

struct Config {
  std::size_t max_bytes = 16 * 1024;
  std::size_t max_exemplars = 10;
  std::size_t max_timeline = 24;
  std::size_t max_services = 32;
  std::size_t max_nodes = 32;
  std::size_t max_dimension_values = 8;   // per label
  std::int64_t group_wait_ms = 30'000;    // first bundle this long after an incident opens
  std::int64_t min_interval_ms = 60'000;  // at most one update bundle per incident per interval
};

// Serializes one bundle (one JSON object, no trailing newline) into `out` (replaced).
// Deterministic: the same incident gives the same bytes. `version` is written as the bundle's
// version.
void build_bundle(const core::Incident& incident, const core::MemberTable& members,
                  const std::vector<rca::Hypothesis>& hypotheses, const core::Interner& interner,
                  const Config& config, std::string& out, std::uint32_t version);
// The same with version = incident.version.
inline void build_bundle(const core::Incident& incident, const core::MemberTable& members,
                         const std::vector<rca::Hypothesis>& hypotheses,
                         const core::Interner& interner, const Config& config, std::string& out) {
  build_bundle(incident, members, hypotheses, interner, config, out, incident.version);
}

}  // namespace squall::bundle
