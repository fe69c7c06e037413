#pragma once
// RootCauseRanker: up to five ranked root-cause hypotheses for an incident, each with a score in
// [0, 1], the reasons in words, and the ids of the alerts that are its evidence.
//
// Candidates are the incident's services, its nodes, its change events, zones, and the services
// the topology says its unexplained alerting services call that do not alert themselves (silent
// dependencies). Features: earliest onset; topology position (the most depended-upon alerting
// service whose dependents alert after it); a preceding change event; severity; breadth of affected
// dependents (for a node: how many services alert on it, and only on it, at about the same time).
// A hypothesis is a hypothesis: bundles say so.
//
// Only general evidence is used (times, severities, the dependency graph when there is one, node
// labels when there are some), so the ranking degrades gracefully without a topology or node
// labels.
//
// Thread contract: stateless apart from reused buffers; one per shard thread.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/alert_kind.h"
#include "engine/core/incident.h"
#include "engine/core/interner.h"
#include "engine/core/member_table.h"
#include "engine/core/topology.h"

namespace squall::rca {

// A change event on an alerting service is folded into that service's hypothesis (service set,
// `change` its index, the change id first in `evidence`); a change on a service that does not alert
// is a hypothesis of its own (service = the changed service, `change` set, the change id as
// evidence).
struct Hypothesis {
  core::Sym service = 0;  // 0 = none
  core::Sym node = 0;     // 0 = none
  core::Sym zone = 0;     // 0 = none: a zone-level fault (partition, outage)
  int change = -1;   // index into Incident::changes when the hypothesis is or includes a change
  double score = 0;  // in [0, 1], rounded to 3 decimals
  std::vector<std::string> reasons;
  std::vector<std::string> evidence;  // alert ids (change ids for a change)
};

struct Config {
  std::size_t max_hypotheses = 5;
  std::size_t max_evidence = 5;
};

class RootCauseRanker {
 public:
  explicit RootCauseRanker(Config config = {}) : config_(config) {}
  // Replaces `out` with the ranked hypotheses, best first. Deterministic: ties break by name.
  void rank(const core::Incident& incident, const core::MemberTable& members,
            const core::Topology& topology, const core::Interner& interner,
            std::vector<Hypothesis>& out);

 private:
  struct Pick {  // an evidence member: earliest first, then join order
    std::int64_t ts;
    std::uint32_t order;
    std::uint32_t slot;
  };
  struct PairStat {  // one (service, node) pair
    std::uint32_t members = 0;
    std::int64_t first_ts = 0;
  };
  struct Facts {                     // per service or node, gathered from the members
    std::uint32_t node_members = 0;  // service: its members that carry a node label
    std::uint32_t node_only = 0;     // node: its members with no incident service
    std::int64_t node_only_first_ts = 0;
    core::Sym node_only_alertname = 0;
    std::uint32_t services = 0;   // node: distinct incident services alerting on it
    core::Sym node_only_any = 0;  // node: a node-level alertname seen
    bool going_down = false;      // node: node-level alerts of two alertnames or more
    bool burst = false;         // service: a member joined as part of a burst or a node going down
    std::uint32_t members = 0;  // service: its members
    std::uint32_t backlog = 0;  // service: its members about a queue backing up
    std::vector<Pick> picks;    // earliest members, <= max_evidence
    std::array<core::Sym, 3> zones{};  // the zones its members say (more: spread, none kept)
    std::uint8_t n_zones = 0;
    bool spread = false;
  };
  // What describe() needs to write a hypothesis's reasons and evidence. Only the few kept get
  // them: formatting every service's and node's reasons cost more than scoring them all.
  struct Text {
    std::uint32_t index = 0;    // service, node (kind 1), silent_ (`silent`) or zone_facts_ index
    bool silent = false;        // kind 0: a silent dependency (rank_silent)
    bool earliest = false;      // the earliest onset of the incident
    bool direct_first = false;  // node, zone: its own alerts came first
    std::uint32_t count = 0;    // node: services going down with it; change: dependents
    std::int64_t lead = 0;      // node: the lead of the service named in it
    double share = 0;           // zone: its share of the zoned services
  };
  struct Scored {
    Hypothesis h;
    std::string_view name;
    int kind = 0;  // 0 service, 1 node, 2 change, 3 zone
    Text text;
  };
  void describe(Scored& sc, const core::Incident& incident, const core::MemberTable& members,
                const core::Interner& interner) const;
  struct ZoneFacts {  // per zone: what its members say
    core::Sym zone = 0;
    std::int64_t first_ts = 0;
    std::uint32_t services = 0;    // distinct services alerting in it
    std::uint32_t nodes = 0;       // distinct nodes alerting in it
    std::uint32_t zone_level = 0;  // members about no service or node (cross-zone probes)
    std::int64_t zone_level_first_ts = 0;
    core::Sym zone_level_alertname = 0;
    core::Severity max_severity = core::Severity::kNone;
    std::vector<Pick> picks;
  };
  void note_zone(const core::Member& m, Pick p, bool has_entity);
  void rank_zones(const core::Interner& interner, std::int64_t t0,
                  const std::vector<std::int64_t>& onsets);
  void gather(const core::Incident& incident, const core::MemberTable& members,
              const core::Interner& interner);
  void rank_silent(const core::Incident& incident, const core::Topology& topology,
                   const core::Interner& interner);
  struct Silent {  // a topology service that does not alert, called by unexplained alerting ones
    core::Sym service = 0;
    std::uint32_t callers = 0;
    double best = 0;    // the best score among its callers
    double single = 0;  // the best caller score shared among that caller's silent callees
    std::array<std::uint32_t, 3> shown{};  // callers named in the reason (service indexes)
    std::uint8_t n_shown = 0;
    bool caller_side = false;  // a silent caller of `shown` (they call no alerting service)
  };
  std::vector<std::uint32_t> dependents_;  // per service: its alerting callers within max_hops
  std::vector<Silent> silent_;
  std::vector<std::uint32_t> silent_at_;    // by topology index: 1 + position in silent_; all 0
                                            // between calls
  std::vector<std::uint8_t> has_callee_;    // per service: an alerting callee within max_hops
  std::vector<std::uint8_t> backlog_only_;  // per service: every alert of it is a queue backlog
  std::vector<int> backlog_callee_;         // per service: a backlog-only callee (its queue), or -1
  core::AlertnameKinds alertname_kinds_;
  void pick(std::vector<Pick>& picks, Pick p) const;
  // Appends the picks' alert ids to h.evidence, up to max_evidence in all.
  void add_evidence(Hypothesis& h, const std::vector<Pick>& picks,
                    const core::MemberTable& members) const;

  Config config_;
  // Scratch, reused across calls (rank runs per bundle emission, not per alert).
  // By (entity << 32 | scope): an entity is kept per cluster (EntityStat::scope).
  // Sorted (key, index) vectors: rebuilt per call without allocating once grown.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> svc_index_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> node_index_;
  // (node index << 32 | service index, first_ts) per member, then aggregated, sorted by key.
  std::vector<std::pair<std::uint64_t, std::int64_t>> pair_events_;
  std::vector<std::pair<std::uint64_t, PairStat>> pairs_;
  std::vector<Facts> svc_facts_;
  std::vector<Facts> node_facts_;
  std::vector<std::vector<std::uint32_t>> explainers_;  // per service: earlier alerting callees
  std::vector<int> topo_index_;                         // per service: its dense topology index
  // Incident services by topology index (a service can be there once per cluster): the first
  // position, then a chain through next_at_; -1 ends it. first_at_ is all -1 between calls.
  std::vector<int> first_at_, next_at_;
  std::vector<std::int64_t> onsets_;
  std::int64_t t0_ = 0;               // the incident's first onset (this call's)
  std::vector<std::uint32_t> after_;  // per service: alerting callers that started after it
  std::vector<Scored> scored_;
  std::vector<ZoneFacts> zone_facts_;
};

}  // namespace squall::rca
