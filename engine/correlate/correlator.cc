#include "engine/correlate/correlator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <queue>
#include <tuple>

#include "engine/core/alert_kind.h"
#include "engine/core/fingerprint_index.h"
#include "engine/core/flat_map.h"
#include "engine/core/hash.h"
#include "engine/core/well_known.h"

namespace squall::correlate {

using core::Alert;
using core::AlertBatch;
using core::EntityStat;
using core::Incident;
using core::JoinReason;
using core::Member;
using core::Role;
using core::Sym;

core::Result<void> validate(const Config& c) {
  auto positive = [](std::int64_t v) { return v > 0; };
  if (c.allowed_lateness_ms < 0) return core::make_error("allowed_lateness_ms: must be >= 0");
  if (!positive(c.quiet_period_ms)) return core::make_error("quiet_period_ms: must be > 0");
  if (c.resolve_grace_ms < 0) return core::make_error("resolve_grace_ms: must be >= 0");
  if (!positive(c.link_window_ms)) return core::make_error("link_window_ms: must be > 0");
  if (c.decay_grace_ms < 0) return core::make_error("decay_grace_ms: must be >= 0");
  if (!positive(c.decay_tau_ms)) return core::make_error("decay_tau_ms: must be > 0");
  if (c.change_lead_ms < 0) return core::make_error("change_lead_ms: must be >= 0");
  if (!positive(c.hop_delay_ms)) return core::make_error("hop_delay_ms: must be > 0");
  if (!(c.onset_boost >= 1 && c.onset_boost <= 4))
    return core::make_error("onset_boost: must be in [1, 4]");
  if (c.flap_window_ms < 0) return core::make_error("flap_window_ms: must be >= 0");
  // Members keep when they resolved in 32 bits of milliseconds back from their latest alert.
  if (c.flap_window_ms > 7 * 24 * 3'600'000LL)
    return core::make_error("flap_window_ms: must be <= 7 days (604800000 ms)");
  if (c.closed_memory_ms < 0) return core::make_error("closed_memory_ms: must be >= 0");
  if (c.closed_memory_max < 1 || c.closed_memory_max > (1U << 24))
    return core::make_error("closed_memory_max: must be in [1, 16777216]");
  if (c.max_hops < 0 || c.max_hops > 8) return core::make_error("max_hops: must be in [0, 8]");
  if (!(c.link_threshold > 0 && c.link_threshold < 1))
    return core::make_error("link_threshold: must be in (0, 1)");
  if (!(c.merge_threshold > 0 && c.merge_threshold <= 1))
    return core::make_error("merge_threshold: must be in (0, 1]");
  for (double w :
       {c.w_service, c.w_node, c.w_pod, c.w_deploy, c.w_topology, c.w_placement, c.w_weak})
    if (!(w >= 0 && w <= 1)) return core::make_error("w_*: evidence weights must be in [0, 1]");
  if (!positive(c.zone_window_ms)) return core::make_error("zone_window_ms: must be > 0");
  if (c.zone_min_services < 2) return core::make_error("zone_min_services: must be >= 2");
  if (!(c.zone_share > 0 && c.zone_share <= 1))
    return core::make_error("zone_share: must be in (0, 1]");
  if (!(c.w_zone >= 0 && c.w_zone <= 1)) return core::make_error("w_zone: must be in [0, 1]");
  if (!(c.w_node_down >= 0 && c.w_node_down <= 1))
    return core::make_error("w_node_down: must be in [0, 1]");
  if (!(c.topology_decay >= 0 && c.topology_decay <= 1))
    return core::make_error("topology_decay: must be in [0, 1]");
  for (const auto& names : c.role_labels) {
    if (names.empty())
      return core::make_error("role_labels: every role needs at least one label name");
    for (const std::string& n : names)
      if (n.empty()) return core::make_error("role_labels: a role has an empty label name");
  }
  return {};
}

namespace {

constexpr std::uint32_t kNone = UINT32_MAX;
constexpr std::int64_t kTickMs = 1000;
// pod -> service / node entries kept; a map is cleared on reaching it, so its table stays at
// twice this many slots (half full) instead of doubling again for one more entry.
constexpr std::size_t kMaxLearnedPods = 1 << 18;
// An incident's first services: where its cause most likely is.
constexpr std::size_t kRootArea = 3;
// The most members an incident may hold and still merge into its service's failing upstream.
constexpr std::size_t kMaxSymptomMembers = 64;
// A burst's newest members (pods or services) an alert links and absorbs through: in a burst of
// thousands, by then the older ones are one incident, and walking them all per alert was quadratic.
constexpr std::size_t kBurstReach = 16;
// This many services of one cluster starting to alert within kServiceBurstMs: one cause.
constexpr std::size_t kServiceBurstServices = 8;
constexpr std::int64_t kServiceBurstMs = 10'000;
// This many services of one cluster firing one alertname within kNameBurstMs, with no node and no
// upstream named: one rule's evaluation saw them fail together (a node's workloads, one shared
// dependency), one cause.
constexpr std::size_t kNameBurstServices = 3;
constexpr std::int64_t kNameBurstMs = 2'000;
// Pods of this many services failing with no known node within kPodBurstMs of each other.
constexpr std::size_t kPodBurstServices = 3;
constexpr std::int64_t kPodBurstMs = 15'000;
// Topology evidence between a resource alert and its service's callees, or between a service and
// an incident service with resource alerts only, counts this much (alert_kind.h): half, so that
// with nothing else it falls below link_threshold. Measured: 0.3 and 0.5 alike, 0.7 too little.
constexpr double kResourceLinkDiscount = 0.5;
// A fault shows upstream more slowly than a late cause shows its own alert: callers' error rates
// and latencies have rate windows and `for:` durations to fill. A caller's propagation delay is
// measured against 1.5 x hop_delay_ms per hop (in halves: 3 / 2), a callee's or sibling's against
// hop_delay_ms. Measured (hop_delay 120 s): fi +0.002 to +0.019 on 8 of 25 storms and nothing
// lower; chaos boutique +0.054 but trainticket -0.013; `squall storm` concurrent -0.007. All of
// hop_delay at 180 s cost the robustness table twice as much.
constexpr std::int64_t kUpstreamHop = 3;
// Incidents opened this close together that share a service are one event (merge_twins). At 2 s
// the fault-injection storms gained as much; at 10 s one noise alert joined a fault (3am with 3x
// noise -0.006).
constexpr std::int64_t kTwinMs = 5'000;
// Calls cross clusters only where services run in one cluster each (can_call()).
constexpr double kClusterOverlap = 1.5;
constexpr std::size_t kMaxClusters = 64;
constexpr Sym kManyClusters = ~Sym{0};

// The dimensions that identify where an alert comes from. Sharing one is strong evidence.
constexpr Role kIdentityRoles[] = {Role::kService, Role::kNode, Role::kPod, Role::kInstance,
                                   Role::kDeploy};
// Roles indexed for candidate lookup: identity, the upstream an alert names, and its zone (as
// labelled or learned from its node; posted apart from the weak `zone` label postings).
constexpr Role kPostedRoles[] = {Role::kService, Role::kNode, Role::kPod, Role::kInstance,
                                 Role::kDeploy,  Role::kPeer, Role::kZone};

std::uint64_t dim_key(Sym name, Sym value) { return (std::uint64_t{name} << 32) | value; }

// New fingerprints in one (cluster, zone) within the zone window.
struct ZoneBurst {
  std::uint32_t services = 0;  // distinct services (or nodes, for node-level alerts)
  std::uint32_t members = 0;
  // Services on a node where other services of the burst alert too: a node's fault explains them.
  std::uint32_t colocated = 0;
  std::int64_t next_absorb = 0;  // event time of the next fragment sweep
};
struct ZoneOnset {
  std::int64_t ts;
  std::uint64_t zone;    // zone_bursts key
  std::uint64_t entity;  // zone_entities key: (zone, service)
  std::uint64_t placed;  // zone_entities key: (zone, node, service), 0 without a node
  std::uint64_t node;    // node_burst key: (zone, node)
  std::uint64_t number;  // the incident it went to (updated on merges)
  Sym cluster;
};

// Which open incidents hold members with a (label, value), and how many active members carry it.
// The (incident slot, members) pairs are nearly always one or two: they live inline, and only a
// value shared by more incidents spills the rest to a side list, so a new value (a pod, an
// instance) costs no heap allocation and 32 bytes less than a vector would.
struct Posting {
  using Entry = std::pair<std::uint32_t, std::uint32_t>;  // (incident slot, active members)
  std::uint32_t active = 0;
  // Low 30 bits: 1 + index into the correlator's spill lists (0: none); top 2: entries in `first`.
  // Packed so a posting is 24 bytes (every distinct pod and instance has one).
  std::uint32_t packed = 0;
  std::array<Entry, 2> first{};
  [[nodiscard]] std::uint32_t n() const { return packed >> 30; }
  [[nodiscard]] std::uint32_t spill() const { return packed & kSpillMask; }
  void set_n(std::uint32_t v) { packed = (packed & kSpillMask) | (v << 30); }
  void set_spill(std::uint32_t v) { packed = (packed & ~kSpillMask) | v; }
  static constexpr std::uint32_t kSpillMask = (1u << 30) - 1;
};
static_assert(sizeof(Posting) == 24);

// A value held by one incident, the common case (most pods and instances belong to one alert),
// kept in a map of its own and promoted to a Posting when a second incident posts it; packed in 4
// bytes (a 12-byte table slot with its key: every distinct pod and instance has one): the incident
// slot in the low 24 bits, its active members with the value in the top 8. A value past either
// limit is kept as a Posting instead.
struct SinglePosting {
  static constexpr std::uint32_t kMaxSlot = (1u << 24) - 1;
  static constexpr std::uint32_t kMaxCount = 255;
  std::uint32_t packed = 0;
  [[nodiscard]] std::uint32_t slot() const { return packed & kMaxSlot; }
  [[nodiscard]] std::uint32_t count() const { return packed >> 24; }
  void set(std::uint32_t slot, std::uint32_t count) { packed = slot | (count << 24); }
};

struct Candidate {
  std::uint32_t slot = 0;
  double score = 0;
  double identity = 0;  // identity evidence alone, for merges
  JoinReason reason = JoinReason::kDimension;
  Sym via = 0;
  double best_evidence = 0;
  // Tie-breaks between full scores (evidence saturates at 1.0): evidence from the upstream the
  // alert names, then evidence from its direct dependencies alerting in the incident, each
  // weighted by its distinct alerts there (a dependency failing hard is the likelier cause than
  // one with a lone background alert).
  double peer = 0;
  double callees = 0;
  // Evidence that the incident-level time decay does not weaken: the alert is about a node whose
  // down alert in the incident still fires.
  double ongoing = 0;
};

struct Pending {
  std::int64_t ts;
  std::uint64_t seq;
  std::uint32_t index;  // into pending batch
  bool operator>(const Pending& o) const { return ts != o.ts ? ts > o.ts : seq > o.seq; }
};

struct Deadline {
  std::int64_t at;
  std::uint64_t number;
  std::uint32_t slot;
  bool operator>(const Deadline& o) const { return at != o.at ? at > o.at : number > o.number; }
};

// Takes one from a window counter; forgets the key at zero. Returns what is left (0 when absent).
std::uint32_t count_down(core::FlatMap<std::uint32_t>& counts, std::uint64_t key) {
  std::uint32_t* n = counts.find(key);
  if (n == nullptr) return 0;
  const std::uint32_t left = --*n;
  if (left == 0) counts.erase(key);
  return left;
}

// Noisy-OR: independent pieces of evidence, each a probability that the link is real.
void add_evidence(double& p, double e) { p = 1 - (1 - p) * (1 - e); }

}  // namespace

struct Correlator::Impl {
  Impl(const Config& c, std::shared_ptr<const core::Topology> t, core::Interner& in, Listener& l,
       std::uint32_t shard_id)
      : cfg(c), topo(std::move(t)), interner(in), listener(l), shard(shard_id) {
    next_number = cfg.first_incident_number > 0 ? cfg.first_incident_number - 1 : 0;
    for (std::size_t r = 0; r < core::kRoles; ++r) {
      for (const std::string& name : cfg.role_labels[r])
        role_aliases[r].push_back(interner.intern(name));
      role_sym[r] = role_aliases[r].front();
      for (std::size_t k = 0; k < role_aliases[r].size(); ++k)
        alias_roles.push_back({role_aliases[r][k], static_cast<std::uint8_t>(r),
                               static_cast<std::uint8_t>(std::min<std::size_t>(k, 255))});
    }
    std::sort(alias_roles.begin(), alias_roles.end());
    for (Role r : {Role::kNamespace, Role::kCluster, Role::kZone})
      for (Sym s : role_aliases[static_cast<std::size_t>(r)]) weak_syms.push_back(s);
    for (const std::string& w : cfg.weak_dimensions) {
      const Sym s = interner.intern(w);
      if (std::find(weak_syms.begin(), weak_syms.end(), s) == weak_syms.end())
        weak_syms.push_back(s);
    }
    if (!topo) topo = std::make_shared<core::Topology>();
    zone_posting = interner.intern("\x01zone");
  }

  [[nodiscard]] Sym role(Role r) const { return role_sym[static_cast<std::size_t>(r)]; }
  // Posting key of a member's role value.
  [[nodiscard]] std::uint64_t posted_key(Role r, Sym v) const {
    return dim_key(r == Role::kZone ? zone_posting : role(r), v);
  }

  // Fills `roles` from an alert's labels: for each role, the value of its highest-priority alias.
  void extract_roles(const AlertBatch& batch, const Alert& a,
                     std::array<Sym, core::kRoles>& roles) const {
    std::array<std::size_t, core::kRoles> rank;
    rank.fill(SIZE_MAX);
    const core::Label* labels = batch.labels_of(a);
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
      // The roles this label name is an alias of (a search of the sorted aliases, not a scan of
      // every role's list per label).
      const AliasRole probe{labels[i].name, 0, 0};
      for (auto it = std::lower_bound(alias_roles.begin(), alias_roles.end(), probe);
           it != alias_roles.end() && it->name == labels[i].name; ++it)
        if (it->rank < rank[it->role]) {
          roles[it->role] = labels[i].value;
          rank[it->role] = it->rank;
        }
    }
  }

  // ---- input and event time ----

  void add(const AlertBatch& batch, const Alert& a, std::uint64_t seq) {
    if (a.ts_ms > max_ts) max_ts = a.ts_ms;
    const std::int64_t wm = max_ts - cfg.allowed_lateness_ms;
    if (a.ts_ms < now) ++stats.late;
    if (cfg.allowed_lateness_ms == 0 || (a.ts_ms <= wm && heap.empty())) {
      // In order and nothing buffered (or late): no reordering needed.
      release_until(a.ts_ms);
      process(batch, a, seq);
    } else {
      buffer(batch, a, seq);
    }
    drain(wm);
  }

  void buffer(const AlertBatch& batch, const Alert& a, std::uint64_t seq) {
    heap.push(Pending{a.ts_ms, seq, static_cast<std::uint32_t>(pending.alerts.size())});
    pending.append_copy(batch, a);
  }

  // Processes buffered alerts with ts <= wm, in (ts, seq) order.
  void drain(std::int64_t wm) {
    while (!heap.empty() && heap.top().ts <= wm) {
      const Pending p = heap.top();
      heap.pop();
      // Buffered alerts mostly leave in arrival order: warm the lookups of those just behind.
      if (const std::size_t ahead = p.index + 2 * Correlator::kPrefetchAhead;
          ahead < pending.alerts.size())
        by_fp.prefetch(pending.alerts[ahead].fingerprint);
      if (const std::size_t ahead = p.index + Correlator::kPrefetchAhead;
          ahead < pending.alerts.size())
        prefetch_member(pending.alerts[ahead].fingerprint);
      release_until(p.ts);
      process(pending, pending.alerts[p.index], p.seq);
      ++consumed;
    }
    if (heap.empty()) {
      pending.clear();
      consumed = 0;
    } else if (consumed > 1024 && consumed * 2 > pending.alerts.size()) {
      compact();
    }
    tick(std::max(now, wm));
  }

  // Drops the consumed alerts from the buffer, in place (its capacity is kept, no second batch).
  void compact() {
    std::vector<Pending>& items = compact_items;  // reused: compaction allocates nothing
    items.clear();
    while (!heap.empty()) {
      items.push_back(heap.top());
      heap.pop();
    }
    std::sort(items.begin(), items.end(),
              [](const Pending& x, const Pending& y) { return x.index < y.index; });
    compact_keep.clear();
    for (const Pending& p : items) compact_keep.push_back(p.index);
    pending.keep_only(compact_keep);
    for (std::size_t k = 0; k < items.size(); ++k) {
      items[k].index = static_cast<std::uint32_t>(k);
      heap.push(items[k]);
    }
    consumed = 0;
  }

  // Event time moves to `t`: close what is due strictly before it.
  void release_until(std::int64_t t) {
    if (t > now) now = t;
    close_due(now - 1);
  }

  void tick(std::int64_t wm) {
    if (wm > now) {
      now = wm;
      close_due(now);
    }
    if (now >= last_tick + kTickMs) {
      last_tick = now;
      listener.on_tick(now);
    }
  }

  void advance_to(std::int64_t t) {
    if (t > max_ts) max_ts = t;
    drain(max_ts - cfg.allowed_lateness_ms);
  }

  void finish() {
    drain(INT64_MAX);
    // Close everything still open, at its own deadline, in deadline order.
    close_due(INT64_MAX);
    listener.on_tick(now);
  }

  // ---- per alert ----

  // The member record a repeat of `fp` will update, once its fingerprint slot was prefetched (the
  // index only holds live members' slots).
  void prefetch_member(core::Fingerprint fp) const {
    if (const std::uint32_t slot = by_fp.peek(fp); slot != core::FingerprintIndex::kMissing)
      members.prefetch(slot);
  }

  void process(const AlertBatch& batch, const Alert& a, std::uint64_t seq) {
    if (a.kind == core::Kind::kChange) {
      on_change(batch, a);
      return;
    }
    ++stats.alerts;
    if (const std::uint32_t slot =
            by_fp.find(a.fingerprint, [&](std::uint32_t s) { return members[s].fingerprint; });
        slot != core::FingerprintIndex::kMissing) {
      if (new_episode(members[slot], a)) {
        // The old member stays in its incident, resolved; this alert is linked afresh.
        by_fp.erase(a.fingerprint, slot);
        admit(batch, a, seq);
        return;
      }
      repeat(slot, a, seq);
      return;
    }
    if (a.status == core::Status::kResolved && resent_after_close(a, seq)) return;
    admit(batch, a, seq);
  }

  // Whether a resolved member firing again starts a new episode rather than flapping: it never
  // flapped, it stayed resolved longer than resolve_grace (alone, its incident would have closed),
  // and its incident is open for other members' sake. Such an alert is linked like a new one: a
  // partition of the same two zones ten minutes after the last one had healed is another fault,
  // and following its probe's old incident merged the two.
  [[nodiscard]] bool new_episode(const Member& m, const Alert& a) const {
    return a.status == core::Status::kFiring && m.status == core::Status::kResolved &&
           m.flaps == 0 && m.resolved_ts() != core::kNoTime &&
           a.ts_ms - m.resolved_ts() > cfg.resolve_grace_ms &&
           incidents[m.incident].members.size() > 1;
  }

  // ---- fingerprints of closed incidents ----
  // A ring of (fingerprint, remembered until, incident number) in close order, indexed by
  // fingerprint; an entry superseded by a later close of the same fingerprint stays in the ring,
  // out of the index, until its turn to go.

  [[nodiscard]] std::uint32_t find_closed(core::Fingerprint fp) const {
    return closed_by_fp.find(fp, [&](std::uint32_t k) { return closed_ring[k].fp; });
  }

  bool resent_after_close(const Alert& a, std::uint64_t seq) {
    if (closed_cap == 0) return false;
    const std::uint32_t i = find_closed(a.fingerprint);
    if (i == core::FingerprintIndex::kMissing || a.ts_ms > closed_ring[i].until) return false;
    ++stats.after_close;
    std::array<char, 48> buf;
    const auto n = std::snprintf(buf.data(), buf.size(), "inc-%u-%llu", shard,
                                 static_cast<unsigned long long>(closed_ring[i].number));
    listener.on_assigned_closed(seq, std::string_view(buf.data(), static_cast<std::size_t>(n)),
                                closed_ring[i].number);
    return true;
  }

  void remember_closed(core::Fingerprint fp, std::int64_t until, std::uint64_t number) {
    if (closed_cap == 0) {
      closed_cap = std::bit_ceil(std::size_t{cfg.closed_memory_max});
      // Pages are touched as the ring fills: a server that never closes much pays little.
      closed_ring = std::make_unique_for_overwrite<ClosedFp[]>(closed_cap);
    }
    const std::size_t mask = closed_cap - 1;
    while (closed_tail != closed_head && (closed_tail - closed_head == closed_cap ||
                                          closed_ring[closed_head & mask].until < now)) {
      const auto k = static_cast<std::uint32_t>(closed_head & mask);
      closed_by_fp.erase(closed_ring[k].fp, k);  // no-op for a superseded entry
      ++closed_head;
    }
    if (const std::uint32_t old = find_closed(fp); old != core::FingerprintIndex::kMissing)
      closed_by_fp.erase(fp, old);
    const auto k = static_cast<std::uint32_t>(closed_tail & mask);
    closed_ring[k] = ClosedFp{fp, until, number};
    closed_by_fp.insert(fp, k);
    ++closed_tail;
  }

  void repeat(std::uint32_t slot, const Alert& a, std::uint64_t seq) {
    ++stats.deduplicated;
    Member& m = members[slot];
    Incident& inc = incidents[m.incident];
    ++m.count;
    ++inc.alerts_total;
    m.advance_last(a.ts_ms);
    if (a.ts_ms > inc.updated_at) inc.updated_at = a.ts_ms;
    bool changed = false;
    if (a.status == core::Status::kFiring) {
      if (m.status == core::Status::kResolved) {
        // Firing again: a flap when it comes back soon after resolving.
        if (const std::int64_t resolved = m.resolved_ts();
            resolved != core::kNoTime && a.ts_ms - resolved <= cfg.flap_window_ms) {
          m.add_flap();
          ++inc.flaps;
          ++stats.flaps;
        }
        m.status = core::Status::kFiring;
        if (a.ts_ms > inc.last_joined_at) inc.last_joined_at = a.ts_ms;
        ++inc.firing;
        entity_firing(inc, m, +1);
        changed = true;
      }
      // A live re-send (Prometheus repeats a firing alert with its old startsAt and an endsAt
      // ahead) proves it still fires now: count it as activity at the current event time.
      std::int64_t active = a.ts_ms;
      if (a.ends_ms != core::kNoTime && a.ends_ms > active) active = std::min(a.ends_ms, max_ts);
      if (active > inc.last_firing_at) inc.last_firing_at = active;
    } else if (m.status == core::Status::kFiring) {
      m.status = core::Status::kResolved;
      m.set_resolved(a.ts_ms);
      --inc.firing;
      entity_firing(inc, m, -1);
      if (inc.firing == 0) inc.resolved_at = a.ts_ms;
      changed = true;
    }
    bump_entity_alerts(inc, m);
    listener.on_assigned(seq, inc);
    if (changed) {
      schedule_close(m.incident);
      listener.on_incident(inc, IncidentEvent::kUpdated, now);
    }
  }

  void admit(const AlertBatch& batch, const Alert& a, std::uint64_t seq) {
    node_went_down = false;
    Member m;
    m.fingerprint = a.fingerprint;
    std::array<Sym, core::kRoles> roles{};
    extract_roles(batch, a, roles);
    std::copy_n(roles.begin(), core::kStoredRoles, m.roles.v.begin());
    bool service_label = m.roles[static_cast<std::size_t>(Role::kService)] != 0;
    if (service_label && scrape_target_service(batch, a, m)) service_label = false;
    if (Sym& svc = m.roles[static_cast<std::size_t>(Role::kService)]; svc != 0 && !topo->knows(svc))
      if (const Sym exported = exported_service(svc); exported != 0) svc = exported;
    if (!service_label) derive_service(batch, a, m);
    // node-exporter's targets are often the node's own name (worker-1:9100): a host that is a
    // node seen in a node label is that node, and so is the host of node-exporter's own target.
    if (Sym& node = m.roles[static_cast<std::size_t>(Role::kNode)]; node == 0) {
      if (const Sym inst = m.roles[static_cast<std::size_t>(Role::kInstance)]; inst != 0) {
        const std::string_view host = instance_host(inst);
        const std::string_view first = host.substr(0, host.find('.'));
        for (std::string_view name : {host, first}) {
          bool found = false;
          if (const Sym h = interner.find(name, &found);
              found && h != 0 && seen_nodes.find(h) != nullptr) {
            node = h;
            break;
          }
          if (first == host) break;
        }
        // node-exporter's own target names its node even before a node label did.
        if (node == 0 && node_exporter_target(batch, a, inst, host)) node = interner.intern(host);
      }
    } else {
      if (seen_nodes.size() >= kMaxLearnedPods) seen_nodes.clear();
      seen_nodes.upsert(node) = 1;
    }
    // An alert naming a destination and no service of its own is about that destination: a
    // server-side mesh metric (Istio's destination_workload alone), a probe of a target service.
    if (Sym& svc = m.roles[static_cast<std::size_t>(Role::kService)]; svc == 0) {
      std::swap(svc, m.roles[static_cast<std::size_t>(Role::kPeer)]);
    }
    learn_call(m.roles[static_cast<std::size_t>(Role::kService)],
               m.roles[static_cast<std::size_t>(Role::kPeer)]);
    // kube-state-metrics pod alerts often lack the node: take it from the pod's earlier alerts.
    if (const Sym pod = m.roles[static_cast<std::size_t>(Role::kPod)];
        pod != 0 && m.roles[static_cast<std::size_t>(Role::kNode)] == 0)
      if (const Sym* n = pod_node.find(pod)) m.roles[static_cast<std::size_t>(Role::kNode)] = *n;
    known_service(m.roles[static_cast<std::size_t>(Role::kService)], scope_of(m));
    if (shared_instance(m) || state_metrics(batch.label(a, core::sym::kJob)))
      m.roles[static_cast<std::size_t>(Role::kInstance)] = 0;
    settle_zone(batch, a, m);
    down_node = 0;
    pod_burst = false;
    down_burst = false;
    down_labelled = service_label;
    if (m.roles[static_cast<std::size_t>(Role::kPod)] != 0 &&
        m.roles[static_cast<std::size_t>(Role::kNode)] == 0) {
      const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
      const bool names_upstream = m.roles[static_cast<std::size_t>(Role::kPeer)] != 0;
      // An alert naming the upstream it fails to reach has its explanation: no part of a burst.
      if (service != 0 && a.status == core::Status::kFiring && !names_upstream)
        note_unplaced_pod(scope_of(m), service, m.roles[static_cast<std::size_t>(Role::kPod)],
                          a.ts_ms);
      // A pod alert naming its service has another explanation (its service's own fault): only
      // when pods of several services fail at once is it the node's.
      const bool many = service != 0 && unplaced_burst(scope_of(m), a.ts_ms);
      const Sym going = node_going_down(scope_of(m), a.ts_ms);
      if (going != 0 && (!service_label || many)) down_node = going;
      down_burst = many && down_node != 0;
      // No node known to be going down: the pods failing together still share a cause.
      pod_burst = many && down_node == 0 && a.status == core::Status::kFiring && !names_upstream;
    }
    const std::uint8_t kinds =
        alertname_kinds.of(m.roles[static_cast<std::size_t>(Role::kAlertname)], interner);
    resource_alert = (kinds & core::AlertnameKinds::kResource) != 0;
    // A service's own availability alert naming no node or pod (TargetDown{service}: a share of
    // its targets down) while one node of its cluster is going down: its pods were likely there,
    // as a pod-only alert's above.
    if (down_node == 0 && (kinds & core::AlertnameKinds::kDown) != 0 &&
        a.status == core::Status::kFiring &&
        m.roles[static_cast<std::size_t>(Role::kService)] != 0 &&
        m.roles[static_cast<std::size_t>(Role::kNode)] == 0 &&
        m.roles[static_cast<std::size_t>(Role::kPod)] == 0)
      down_node = node_going_down(scope_of(m), a.ts_ms);
    name_burst = false;
    if (a.status == core::Status::kFiring &&
        m.roles[static_cast<std::size_t>(Role::kService)] != 0 &&
        m.roles[static_cast<std::size_t>(Role::kNode)] == 0 &&
        m.roles[static_cast<std::size_t>(Role::kPeer)] == 0 &&
        m.roles[static_cast<std::size_t>(Role::kAlertname)] != 0) {
      note_name_onset(m, a.ts_ms);
      std::size_t n = 1;
      for_each_name_burst(
          m, a.ts_ms, [&](Sym) { ++n; }, kNameBurstServices - 1);
      name_burst = n >= kNameBurstServices;
    }
    service_burst = false;
    // A service's onset: its first firing alert while no open incident holds it (a service that
    // has alerted for hours and gains a fingerprint is not starting to fail).
    if (a.status == core::Status::kFiring &&
        m.roles[static_cast<std::size_t>(Role::kService)] != 0 && !failing_already(m)) {
      note_service_onset(m, a.ts_ms);
      std::size_t n = 1;
      for_each_burst_service(
          m, a.ts_ms, [&](Sym) { ++n; }, kServiceBurstServices - 1);
      service_burst = n >= kServiceBurstServices;
    }
    m.first_ts = m.last_ts = a.ts_ms;
    m.count = 1;
    m.status = a.status;
    if (a.status == core::Status::kResolved) m.set_resolved(a.ts_ms);
    m.severity =
        core::parse_severity(interner.view(roles[static_cast<std::size_t>(Role::kSeverity)]));

    const Candidate best = link(batch, a, m);
    std::uint32_t inc_slot;
    if (best.score >= cfg.link_threshold) {
      inc_slot = best.slot;
      m.reason = best.reason;
      m.reason_score = static_cast<float>(best.score);
      m.reason_via = best.via;
    } else {
      inc_slot = open_incident(a.ts_ms);
      m.reason = JoinReason::kOpened;
    }
    Incident& inc = incidents[inc_slot];
    m.incident = inc_slot;
    note_zone_onset(m, a.ts_ms);
    const bool keep_text = inc.members.size() < cfg.max_annotated_members;
    const std::uint32_t slot = members.add(m, batch, a, keep_text);
    by_fp.insert(a.fingerprint, slot);
    join(inc_slot, slot, batch, a);
    listener.on_assigned(seq, incidents[inc_slot]);
    if (merge_with != kNone && merge_with != inc_slot && incidents[merge_with].open)
      merge_keep_older(merge_with, inc_slot);
    merge_with = kNone;
    merge_into_upstream(m, members[slot].incident);
    merge_twins(m, members[slot].incident, a);
    if (burst != nullptr) absorb_zone_fragments(m, a.ts_ms);
    // Only when nothing else explains the alert: a fault's own symptoms failing at once are its
    // incident's already, and a young incident near them in time is not theirs.
    if (pod_burst && (m.reason == JoinReason::kPodBurst || m.reason == JoinReason::kOpened))
      absorb_pod_burst(m, members[slot].incident, a.ts_ms);
    if (service_burst && (m.reason == JoinReason::kServiceBurst || m.reason == JoinReason::kOpened))
      absorb_service_burst(m, members[slot].incident, a.ts_ms);
    if (name_burst && (m.reason == JoinReason::kServiceBurst || m.reason == JoinReason::kOpened))
      absorb_name_burst(m, members[slot].incident, a.ts_ms);
    // A pod burst while its node is going down: the node explains the burst, so the incidents its
    // first pods opened (before the burst was known) join the node's.
    if (down_burst && find_node(incidents[members[slot].incident], down_node) != nullptr) {
      absorb_pod_burst(m, members[slot].incident, a.ts_ms);
      if (name_burst) absorb_name_burst(m, members[slot].incident, a.ts_ms);
    }
    // A merge above (or in the absorption itself) can take another node over the threshold.
    while (node_went_down) absorb_node_fragments(a.ts_ms);
  }

  // An alert that names the upstream it fails to reach says its service's trouble is a symptom of
  // that upstream. A caller's first alerts rarely name it (error rate, latency), so they open an
  // incident of their own before one does. When the upstream is failing in another incident and
  // started first, the caller's incident is the same fault: it merges. `own` is the incident the
  // naming alert is in now (after any merge above); it qualifies when symptom_only(). (When the
  // alert instead joined the upstream's incident directly, merging the caller's young incident
  // there too was tried: 3am 0.956 -> 0.942.)
  void merge_into_upstream(const Member& m, std::uint32_t own) {
    const Sym peer = m.roles[static_cast<std::size_t>(Role::kPeer)];
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    // In a zone burst, failing to reach an upstream is the partition's doing as likely as the
    // upstream's.
    if (peer == 0 || service == 0 || peer == service || burst != nullptr) return;
    if (own >= incidents.size() || !incidents[own].open) return;
    if (!symptom_only(incidents[own], service)) return;
    const Posting* p = find_posting(posted_key(Role::kService, peer));
    if (p == nullptr) return;
    const Sym scope = scope_of(m);
    const std::int64_t opened = incidents[own].opened_at;
    std::uint32_t into = kNone;
    std::int64_t earliest = 0;
    for_each_incident(*p, [&](std::uint32_t slot) {
      if (slot == own || !incidents[slot].open) return;
      const EntityStat* up = find_service(incidents[slot], peer, scope);
      if (up == nullptr || up->firing == 0) return;
      // The upstream started failing first (or within decay_grace after the caller: together),
      // and no more than one hop's delay before: the caller names it.
      if (up->first_ts > opened + cfg.decay_grace_ms || opened - up->first_ts > cfg.hop_delay_ms)
        return;
      if (into == kNone || up->first_ts < earliest ||
          (up->first_ts == earliest && incidents[slot].number < incidents[into].number)) {
        into = slot;
        earliest = up->first_ts;
      }
    });
    if (into != kNone) merge_keep_older(into, own);
  }

  // Whether `x` is a young incident of `service`'s alerts alone: one holding more (a partition's
  // probes and callers, a node's workloads), or a change of this service, has a cause of its own
  // beyond an upstream. Alerts without a service count when they are about one of its pods.
  [[nodiscard]] bool symptom_only(const Incident& x, Sym service) const {
    if (x.services.size() != 1 || x.services.front().entity != service ||
        x.members.size() > kMaxSymptomMembers ||
        std::any_of(x.changes.begin(), x.changes.end(),
                    [&](const core::ChangeRef& c) { return c.service == service; }))
      return false;
    auto of_service = [&](const Member& y) {
      const Sym s = y.roles[static_cast<std::size_t>(Role::kService)];
      if (s != 0) return s == service;
      const Sym pod = y.roles[static_cast<std::size_t>(Role::kPod)];
      if (pod == 0) return false;
      for (std::uint32_t ms : x.members) {
        const Member& z = members[ms];
        if (z.roles[static_cast<std::size_t>(Role::kPod)] == pod &&
            z.roles[static_cast<std::size_t>(Role::kService)] == service)
          return true;
      }
      return false;
    };
    return std::all_of(x.members.begin(), x.members.end(),
                       [&](std::uint32_t ms) { return of_service(members[ms]); });
  }

  // A zone burst's first alerts open incidents of their own before the burst shows. Once it does,
  // the incident holding most of the zone's members absorbs the young ones whose alerts, where they
  // say a zone, all say this one (cross-zone probes count when either end is it). At most once a
  // second per burst: it scans the open incidents.
  void absorb_zone_fragments(const Member& m, std::int64_t ts) {
    const Sym zone = m.roles[static_cast<std::size_t>(Role::kZone)];
    ZoneBurst* b = zone_bursts.find(zone_key(scope_of(m), zone));
    if (b == nullptr || ts < b->next_absorb) return;
    b->next_absorb = ts + kTickMs;
    const Posting* p = find_posting(posted_key(Role::kZone, zone));
    if (p == nullptr) return;
    std::uint32_t main = kNone, most = 0;
    for_each_incident(*p, [&](std::uint32_t slot) {
      const std::uint32_t recent = burst_home_count(scope_of(m), zone, incidents[slot]);
      if (recent > most ||
          (recent == most && recent > 0 && incidents[slot].number < incidents[main].number)) {
        main = slot;
        most = recent;
      }
    });
    if (main == kNone) return;
    absorb.clear();
    for (std::uint32_t slot = 0; slot < incidents.size(); ++slot) {
      const Incident& x = incidents[slot];
      if (slot != main && x.open && x.opened_at >= ts - cfg.zone_window_ms && in_zone(x, zone))
        absorb.push_back(slot);
    }
    absorb_into(main);
  }

  // How long a fault may take to show `hops` calls upstream (kUpstreamHop).
  [[nodiscard]] std::int64_t caller_hop_ms(std::int64_t hops) const {
    return cfg.hop_delay_ms * hops * kUpstreamHop / 2;
  }

  // Twins: incidents opened within kTwinMs of each other that both hold the alert's service, which
  // fires in each. One event seen through many series at once (a mesh reporting every caller's 5xx
  // to a node's services the moment it went down) opens several incidents in the same second, each
  // growing through its own links; two faults rarely start within seconds on one service. No change
  // guard: a routine deploy attached to them does not make two faults of one second.
  void merge_twins(const Member& m, std::uint32_t main, const Alert& a) {
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    if (service == 0 || a.status != core::Status::kFiring) return;
    const std::int64_t opened = incidents[main].opened_at;
    if (a.ts_ms - opened > kTwinMs) return;
    const Posting* p = find_posting(posted_key(Role::kService, service));
    if (p == nullptr) return;
    absorb.clear();
    const Sym cluster = scope_of(m);
    for_each_incident(*p, [&](std::uint32_t slot) {
      const Incident& x = incidents[slot];
      if (slot == main || !x.open || a.ts_ms - x.opened_at > kTwinMs ||
          std::abs(x.opened_at - opened) > kTwinMs || find_service(x, service, cluster) == nullptr)
        return;
      if (std::find(absorb.begin(), absorb.end(), slot) == absorb.end()) absorb.push_back(slot);
    });
    absorb_into(main);
  }

  // Merges every incident listed in `absorb` with `main`; the oldest keeps its id.
  void absorb_into(std::uint32_t main) {
    for (std::uint32_t slot : absorb)
      if (incidents[slot].open && incidents[main].open) main = merge_keep_older(slot, main);
  }

  // Merges two open incidents; the older keeps its id. Returns the slot of the one that remains.
  std::uint32_t merge_keep_older(std::uint32_t a, std::uint32_t b) {
    if (incidents[a].number < incidents[b].number) std::swap(a, b);
    merge(a, b);
    return b;
  }

  // How many of the zone window's onsets in `zone` went to `inc`.
  [[nodiscard]] std::uint32_t burst_home_count(Sym cluster, Sym zone, const Incident& inc) const {
    const std::uint32_t* n = zone_homes.find(core::hash_pair(zone_key(cluster, zone), inc.number));
    return n ? *n : 0;
  }

  // Onsets that went to `from` now count for `into`.
  void move_zone_homes(const Incident& from, const Incident& into) {
    for (std::size_t i = zone_head; i < zone_onsets.size(); ++i) {
      ZoneOnset& o = zone_onsets[i];
      if (o.number != from.number) continue;
      count_down(zone_homes, core::hash_pair(o.zone, o.number));
      o.number = into.number;
      ++zone_homes.upsert(core::hash_pair(o.zone, o.number));
    }
  }

  // Whether every member of `inc` that says a zone says `zone`, and one does. A member about no
  // service or node (a cross-zone probe) says the zones its label values name: checked now,
  // since the zone may not have been known when it arrived (probes often fire first).
  [[nodiscard]] bool in_zone(const Incident& inc, Sym zone) const {
    bool any = false;
    for (std::uint32_t ms : inc.members) {
      const Member& m = members[ms];
      Sym z = m.roles[static_cast<std::size_t>(Role::kZone)];
      const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
      // A node's zone may have been learned since the member arrived.
      if (z == 0 && node != 0)
        if (const Sym* learned = node_zone.find(node)) z = *learned;
      const bool infrastructure =
          m.roles[static_cast<std::size_t>(Role::kService)] == 0 && node == 0;
      bool says = z != 0 && z == zone;
      if (!says && infrastructure)
        for (const core::Label& l : members.labels(m)) says |= l.value == zone;
      if (z == 0 && !says) continue;
      if (!says) return false;
      any = true;
    }
    return any;
  }

  // Alerts from kube-state-metrics, cAdvisor and the like name a pod or container but no service.
  // Kubernetes names pods <deployment>-<replicaset hash>-<pod hash> or <statefulset>-<ordinal>;
  // a prefix, container or job that is a known service (in the topology, or seen as a service
  // label) is taken as the service. Guessing is never done for unknown names.
  void derive_service(const AlertBatch& batch, const Alert& a, Member& m) {
    Sym service = 0;
    const Sym pod = m.roles[static_cast<std::size_t>(Role::kPod)];
    if (pod != 0) {
      // (Not a scrape target's Service learned from the pod's alerts before it was known as one.)
      if (const Sym* cached = pod_service.find(pod); cached != nullptr && !scrape_target(*cached)) {
        m.roles[static_cast<std::size_t>(Role::kService)] = *cached;
        return;
      }
      service = pod_workload(pod);
    }
    // kube-state-metrics names the workload of its pod and rollout alerts; Sock Shop's pods carry
    // it in `name`; OpenTelemetry's k8s attributes arrive as k8s_<kind>_name.
    static constexpr std::string_view kOtherLabels[] = {"container",
                                                        "deployment",
                                                        "statefulset",
                                                        "daemonset",
                                                        "k8s_deployment_name",
                                                        "k8s_statefulset_name",
                                                        "k8s_daemonset_name",
                                                        "k8s_container_name",
                                                        "app",
                                                        "job",
                                                        "name"};
    for (std::string_view label : kOtherLabels) {
      if (service != 0) break;
      bool found = false;
      const Sym name = interner.find(label, &found);
      if (!found) continue;
      if (const Sym v = batch.label(a, name); v != 0) service = service_or_exported(v);
    }
    // A probe or a static scrape target names a service in its `instance` by the service's
    // cluster DNS name or a bare host (http://front-end.sock-shop.svc:80/health, checkout:8080);
    // a public host name (billing.example.com) names an endpoint, not the service.
    if (service == 0)
      if (const Sym inst = m.roles[static_cast<std::size_t>(Role::kInstance)]; inst != 0)
        service = known_service_named(cluster_dns_service(instance_host(inst)));
    // A shared exporter's alert (mongodb-exporter, blackbox, a database's own rules) may name
    // what is failing only in its text: "ts-config-mongo is down".
    // (Not a probe of a public endpoint: its text names the site, as its instance does.)
    if (service == 0 && !probes_public_host(m)) service = service_in_text(batch, a);
    m.roles[static_cast<std::size_t>(Role::kService)] = service;
  }
  // Whether `inst` is node-exporter's target: port 9100 (its registered port) or a `job` naming
  // node-exporter, with a host name (not an address) to name the node by.
  [[nodiscard]] bool node_exporter_target(const AlertBatch& batch, const Alert& a, Sym inst,
                                          std::string_view host) const {
    if (!has_letter(host)) return false;
    if (interner.view(inst).ends_with(":9100")) return true;
    const std::string_view j = interner.view(batch.label(a, core::sym::kJob));
    return j == "node-exporter" || j == "node_exporter" || j == "node" ||
           j.ends_with("/node-exporter");
  }
  // Whether the alert's instance is a host name with a dot (an endpoint such as
  // shop.example.com:443), not an address or a bare name.
  [[nodiscard]] bool probes_public_host(const Member& m) const {
    const Sym inst = m.roles[static_cast<std::size_t>(Role::kInstance)];
    if (inst == 0) return false;
    const std::string_view host = instance_host(inst);
    return host.find('.') != std::string_view::npos && has_letter(host);
  }
  // A host name has letters; an address has none.
  static bool has_letter(std::string_view host) {
    return std::any_of(host.begin(), host.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
  }
  // The first known service named as a whole word in the alert's summary (else its description or
  // message); 0 when none.
  [[nodiscard]] Sym service_in_text(const AlertBatch& batch, const Alert& a) const {
    static constexpr std::string_view kTexts[] = {"summary", "description", "message"};
    const core::Annotation* an = batch.annotations_of(a);
    for (std::string_view which : kTexts)
      for (std::uint32_t i = 0; i < a.annotations_count; ++i) {
        if (batch.str(an[i].name) != which) continue;
        const std::string_view text = batch.str(an[i].value);
        auto word_char = [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        };
        for (std::size_t p = 0; p < text.size();) {
          while (p < text.size() && !word_char(text[p])) ++p;
          std::size_t q = p;
          while (q < text.size() && word_char(text[q])) ++q;
          std::string_view word = text.substr(p, q - p);
          while (!word.empty() && (word.back() == '.' || word.back() == '-')) word.remove_suffix(1);
          p = q;
          if (word.size() < 2) continue;
          bool found = false;
          if (const Sym s = interner.find(word, &found); found)
            if (const Sym known = known_service_named(s); known != 0) return known;
        }
      }
    return 0;
  }

  // The host an `instance` value names, without scheme, path or port ("" for an IPv6 literal).
  [[nodiscard]] std::string_view instance_host(Sym inst) const {
    std::string_view v = interner.view(inst);
    if (const auto p = v.find("://"); p != std::string_view::npos) v.remove_prefix(p + 3);
    if (const auto p = v.find('/'); p != std::string_view::npos) v = v.substr(0, p);
    if (!v.empty() && v.front() == '[') return {};
    if (const auto p = v.rfind(':'); p != std::string_view::npos) v = v.substr(0, p);
    return v;
  }
  // The service a host names as <service>.<namespace>.svc[.<cluster domain>] or as a bare name;
  // 0 when neither (or never interned).
  [[nodiscard]] Sym cluster_dns_service(std::string_view host) const {
    const std::size_t dot = host.find('.');
    if (dot != std::string_view::npos) {
      const std::string_view rest = host.substr(dot + 1);  // <namespace>.svc...
      const std::size_t ns = rest.find('.');
      if (ns == std::string_view::npos) return 0;
      const std::string_view after = rest.substr(ns + 1);
      if (after.substr(0, after.find('.')) != "svc") return 0;
    }
    return first_dns_label(host);
  }
  // The Sym of a host's first DNS label (checkout.shop.svc -> checkout), 0 when never interned.
  [[nodiscard]] Sym first_dns_label(std::string_view host) const {
    const std::string_view first = host.substr(0, host.find('.'));
    if (first.empty()) return 0;
    bool found = false;
    const Sym s = interner.find(first, &found);
    return found ? s : 0;
  }

  // A known service `v` names, itself or as its exporter's Service or job (user-db-metrics,
  // redis-exporter, prometheus-redis-exporter: the exporter's alerts are about what it exports).
  [[nodiscard]] Sym service_or_exported(Sym v) const {
    if (const Sym s = known_service_named(v); s != 0) return s;
    return exported_service(v);
  }
  [[nodiscard]] Sym exported_service(Sym v) const {
    std::string_view name = interner.view(v);
    bool cut = false;
    for (std::string_view suffix : {"-metrics", "-exporter"})
      if (name.size() > suffix.size() && name.ends_with(suffix)) {
        name.remove_suffix(suffix.size());
        cut = true;
        break;
      }
    if (name.starts_with("prometheus-") && name.size() > 11 && cut) name.remove_prefix(11);
    if (!cut) return 0;
    bool found = false;
    const Sym s = interner.find(name, &found);
    return found ? known_service_named(s) : 0;
  }

  // The known service a pod's name names: <deployment>-<replicaset hash>-<pod hash> or
  // <statefulset>-<ordinal>; 0 when neither prefix is one.
  [[nodiscard]] Sym pod_workload(Sym pod) const {
    std::string_view name = interner.view(pod);
    for (int cut = 0; cut < 2; ++cut) {
      const std::size_t dash = name.rfind('-');
      if (dash == std::string_view::npos || dash == 0) break;
      name = name.substr(0, dash);
      bool found = false;
      if (const Sym s = interner.find(name, &found); found && known_service_named(s) != 0) return s;
    }
    return 0;
  }
  // `s` when it names a known service (in the topology or seen in a service label), else 0:
  // guessing is never done for unknown names.
  [[nodiscard]] Sym known_service_named(Sym s) const {
    return s != 0 && (topo->knows(s) || seen_services.find(s) != nullptr) ? s : 0;
  }

  // A service label that names the scrape target's Service rather than the failing workload
  // (cAdvisor series carry service="kubelet", kube-state-metrics' its own): the pod names the
  // alert's service instead. Known so when the label equals the alert's `job` (the scrape job of
  // that Service) while the pod's name names another known workload, or once the label has come
  // with the pods of two different workloads. Once known so, it names no failing service on the
  // exporter's alerts about a node either (kube-state-metrics' KubeNodeNotReady carries its
  // service label).
  bool scrape_target_service(const AlertBatch& batch, const Alert& a, Member& m) {
    const Sym pod = m.roles[static_cast<std::size_t>(Role::kPod)];
    const Sym label = m.roles[static_cast<std::size_t>(Role::kService)];
    // node-exporter's and kube-state-metrics' own Service and pod name the reporter, never what
    // fails: a node's alerts from them are the node's (not linked through the exporter's service
    // to every other node's), and kube-state-metrics' one pod is no identity shared by them all.
    if ((pod != 0 || m.roles[static_cast<std::size_t>(Role::kNode)] != 0) &&
        cluster_exporter(label)) {
      if (pod != 0 && interner.view(pod).starts_with(interner.view(label)))
        m.roles[static_cast<std::size_t>(Role::kPod)] = 0;
      m.roles[static_cast<std::size_t>(Role::kService)] = 0;
      return true;
    }
    // (Without a node either, it is about the target itself: TargetDown{service="kubelet"}.)
    if (pod == 0 && (m.roles[static_cast<std::size_t>(Role::kNode)] == 0 || !scrape_target(label)))
      return false;
    if (!scrape_target(label)) {
      const Sym workload = pod_workload(pod);
      if (workload == 0 || workload == label) return false;
      if (batch.label(a, core::sym::kJob) != label && !note_label_workload(label, workload))
        return false;
      mark_scrape_target(label);
    }
    m.roles[static_cast<std::size_t>(Role::kService)] = 0;
    return true;
  }
  // node-exporter and kube-state-metrics (any release prefix): exporters whose alerts are about
  // a node or a workload, never about the exporter's own service.
  bool cluster_exporter(Sym label) { return exporter_kind(label) != kNoExporter; }
  // kube-state-metrics (any release prefix): one address reporting about every object of the
  // cluster, so its `instance` is nobody's identity from the first alert on.
  bool state_metrics(Sym label) { return exporter_kind(label) == kStateMetrics; }
  enum : std::uint8_t { kUnclassified, kNodeExporter, kStateMetrics, kNoExporter };
  std::uint8_t exporter_kind(Sym label) {
    if (label == 0) return kNoExporter;
    if (exporter_labels.size() >= kMaxLearnedPods && exporter_labels.find(label) == nullptr)
      exporter_labels.clear();
    std::uint8_t& k = exporter_labels.upsert(label);
    if (k == kUnclassified) {
      const std::string_view v = interner.view(label);
      auto has = [&](std::string_view a, std::string_view b) {
        return v.find(a) != std::string_view::npos || v.find(b) != std::string_view::npos;
      };
      k = has("kube-state-metrics", "kube_state_metrics") ? kStateMetrics
          : has("node-exporter", "node_exporter")         ? kNodeExporter
                                                          : kNoExporter;
    }
    return k;
  }
  void mark_scrape_target(Sym label) {
    if (label_workloads.size() >= kMaxLearnedPods) label_workloads.clear();
    label_workloads.upsert(label) = kManyWorkloads;
  }
  // Records that the service label `label` came with a pod of `workload`; true once it has come
  // with two different ones.
  bool note_label_workload(Sym label, Sym workload) {
    Sym* seen = label_workloads.find(label);
    if (seen == nullptr) {
      if (label_workloads.size() >= kMaxLearnedPods) label_workloads.clear();
      label_workloads.upsert(label) = workload;
      return false;
    }
    if (*seen != workload) *seen = kManyWorkloads;
    return *seen == kManyWorkloads;
  }

  // Whether `inc` holds a service or node of `cluster` (or none at all, or the cluster is unknown).
  [[nodiscard]] bool in_cluster(const Incident& inc, Sym cluster) const {
    if (cluster == 0 || (inc.services.empty() && inc.nodes.empty())) return true;
    if (const EntityIndex* x = entity_index_of(inc))
      return std::find(x->scopes.begin(), x->scopes.end(), cluster) != x->scopes.end() ||
             std::find(x->scopes.begin(), x->scopes.end(), Sym{0}) != x->scopes.end();
    for (const auto* list : {&inc.services, &inc.nodes})
      for (const EntityStat& e : *list)
        if (e.scope == cluster || e.scope == 0) return true;
    return false;
  }

  [[nodiscard]] bool scrape_target(Sym label) const {
    const Sym* seen = label_workloads.find(label);
    return seen != nullptr && *seen == kManyWorkloads;
  }

  void known_service(Sym s, Sym cluster) {
    if (s == 0) return;
    Sym* home = seen_services.find(s);
    if (home == nullptr) {
      seen_services.upsert(s) = cluster;
      count_cluster_service(s, cluster, +1);
    } else if (*home == 0) {
      *home = cluster;
      count_cluster_service(s, cluster, +1);
    } else if (cluster != 0 && *home != cluster && *home != kManyClusters) {
      count_cluster_service(s, *home, -1);
      *home = kManyClusters;
      if (topo->knows(s)) ++multi_cluster_services;
    }
  }

  // Topology services seen alerting in one cluster only, per cluster, and those seen in several
  // (can_call() reads them). Only the topology's services count: infrastructure alerting in every
  // cluster (kubelet, the exporters) says nothing about where the application's services run.
  void count_cluster_service(Sym s, Sym cluster, int delta) {
    if (cluster == 0 || cluster == kManyClusters || !topo->knows(s)) return;
    auto it = std::find_if(cluster_services.begin(), cluster_services.end(),
                           [&](const auto& e) { return e.first == cluster; });
    if (it != cluster_services.end()) {
      it->second = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(it->second) + delta);
    } else if (delta > 0 && cluster_services.size() < kMaxClusters) {
      cluster_services.emplace_back(cluster, 1);
    }
  }

  // A new topology: count again what has been seen against it.
  void recount_clusters() {
    cluster_services.clear();
    multi_cluster_services = 0;
    seen_services.for_each([&](Sym s, Sym home) {
      if (home == kManyClusters) {
        if (topo->knows(s)) ++multi_cluster_services;
      } else {
        count_cluster_service(s, home, +1);
      }
    });
  }

  // Scores the open incidents that share evidence with the new alert; returns the best. Sets
  // merge_with when a second incident links by identity evidence too.
  Candidate link(const AlertBatch& batch, const Alert& a, const Member& m) {
    candidates.clear();
    // A stamp per incident slot dedups in O(1): a node shared by hundreds of incidents (one per
    // service on it) made a linear search quadratic.
    if (candidate_stamp.size() < incidents.size()) {
      candidate_stamp.resize(incidents.size(), 0);
      for (BurstReach& r : burst_reach) r.resize(incidents.size());
    }
    if (++candidate_epoch == 0) {
      std::fill(candidate_stamp.begin(), candidate_stamp.end(), 0);
      for (BurstReach& r : burst_reach) r.clear_stamps();
      candidate_epoch = 1;
    }
    auto consider = [&](std::uint64_t key) {
      if (const Posting* p = find_posting(key))
        for_each_incident(*p, [&](std::uint32_t slot) {
          if (candidate_stamp[slot] == candidate_epoch) return;
          candidate_stamp[slot] = candidate_epoch;
          candidates.push_back(slot);
        });
    };
    for (Role r : kIdentityRoles) {
      const Sym v = m.roles[static_cast<std::size_t>(r)];
      if (v != 0) consider(dim_key(role(r), v));
    }
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    if (const Sym peer = m.roles[static_cast<std::size_t>(Role::kPeer)]; peer != 0) {
      consider(dim_key(role(Role::kService), peer));
      consider(dim_key(role(Role::kPeer), peer));
    }
    if (service != 0 && topo->empty()) {
      for (const auto* map : {&learned_calls, &learned_callers})
        if (const std::vector<Sym>* near = map->find(service))
          for (Sym other : *near) consider(dim_key(role(Role::kService), other));
    }
    if (service != 0)
      topo->for_each_near(service,
                          [&](Sym other, int) { consider(dim_key(role(Role::kService), other)); });
    // Learned placement: nodes this service runs on, services that run on this node.
    if (service != 0)
      if (const auto* nodes = service_nodes.find(service))
        for (Sym n : *nodes) consider(dim_key(role(Role::kNode), n));
    if (node != 0)
      if (const auto* services = node_services.find(node))
        for (Sym s : *services) consider(dim_key(role(Role::kService), s));
    if (down_node != 0) consider(dim_key(role(Role::kNode), down_node));
    // Bursts: the incidents holding the burst's other pods or services, each remembering one of
    // them for score() (a burst can hold hundreds: nothing per candidate may walk it).
    // Postings span clusters (a StatefulSet's `ledger-0` runs in each): only an incident of the
    // alert's cluster counts (in_cluster: O(1) in practice; a cluster-wide outage's incident holds
    // thousands of services, and searching them per burst member was quadratic).
    const Sym cluster = scope_of(m);
    auto reach = [&](BurstReach& r, std::uint64_t key, Sym via) {
      if (const Posting* p = find_posting(key))
        for_each_incident(*p, [&](std::uint32_t slot) {
          if (!in_cluster(incidents[slot], cluster)) return;
          r.note(slot, candidate_epoch, via);
          if (candidate_stamp[slot] == candidate_epoch) return;
          candidate_stamp[slot] = candidate_epoch;
          candidates.push_back(slot);
        });
    };
    if (pod_burst)
      for_each_burst_pod(m, a.ts_ms, [&](Sym pod) {
        reach(burst_reach[kPodReach], posted_key(Role::kPod, pod), pod);
      });
    if (service_burst)
      for_each_burst_service(m, a.ts_ms, [&](Sym svc) {
        reach(burst_reach[kServiceReach], posted_key(Role::kService, svc), svc);
      });
    if (name_burst)
      for_each_name_burst(m, a.ts_ms, [&](Sym svc) {
        reach(burst_reach[kNameReach], posted_key(Role::kService, svc), svc);
      });
    burst = nullptr;
    if (const Sym zone = m.roles[static_cast<std::size_t>(Role::kZone)]; zone != 0) {
      prune_zone_onsets(a.ts_ms);
      burst = hot_zone(scope_of(m), zone);
      if (burst) consider(posted_key(Role::kZone, zone));
    }

    Candidate best;
    best.slot = kNone;
    Candidate second;
    second.slot = kNone;
    merge_with = kNone;
    for (std::uint32_t slot : candidates) {
      const Incident& inc = incidents[slot];
      if (!inc.open) continue;
      // Repeats keep an incident open but not linkable forever: the gap runs from the last time
      // something new happened in it.
      const std::int64_t gap = std::max<std::int64_t>(0, a.ts_ms - inc.last_joined_at);
      if (gap > cfg.link_window_ms) continue;
      Candidate c = score(batch, a, m, inc);
      c.slot = slot;
      const double tf = time_weight(gap);
      c.score = std::max(c.score * tf, c.ongoing);
      c.identity = std::max(c.identity * tf, c.ongoing);
      auto better = [](const Candidate& x, const Candidate& y, const Incident& xi,
                       const Incident& yi) {
        if (x.score != y.score) return x.score > y.score;
        // The most specific evidence first: under background noise the older incident is often
        // a noise alert's, opened moments before the fault's own.
        if (x.peer != y.peer) return x.peer > y.peer;
        if (x.callees != y.callees) return x.callees > y.callees;
        return xi.number < yi.number;  // deterministic tie-break: the older incident
      };
      if (best.slot == kNone || better(c, best, inc, incidents[best.slot])) {
        second = best;
        best = c;
      } else if (second.slot == kNone || better(c, second, inc, incidents[second.slot])) {
        second = c;
      }
    }
    if (best.slot == kNone) return Candidate{};
    if (second.slot != kNone && best.identity >= cfg.merge_threshold &&
        second.identity >= cfg.merge_threshold)
      merge_with = second.slot;
    return best;
  }

  // Whether `node` runs (as learned from labels) two or more of the incident's services, and at
  // least half of them: the incident is about that node. A count alone is no evidence: on a few
  // nodes every large incident has a couple of services on each, and unrelated node faults chained
  // into whichever incident was busy there.
  [[nodiscard]] bool hosts_most(const Incident& inc, Sym node, Sym scope) const {
    const auto* services = node_services.find(node);
    if (!services) return false;
    std::size_t hosted = 0;
    for (Sym s : *services)
      if (find_service(inc, s, scope)) ++hosted;
    return hosted >= 2 && hosted * 2 >= inc.services.size();
  }

  // Whether the incident is about node entity `n`: node-level alerts of it, or several incident
  // services failing on it that are most of the incident's.
  [[nodiscard]] bool about_node(const Incident& inc, const EntityStat& n, Sym node,
                                Sym scope) const {
    return n.node_level > 0 || (n.many_services && hosts_most(inc, node, scope));
  }

  // The time decay: full weight within decay_grace, then exp(-(gap - grace) / tau).
  [[nodiscard]] double time_weight(std::int64_t gap) const {
    return gap <= cfg.decay_grace_ms ? 1.0
                                     : std::exp(-static_cast<double>(gap - cfg.decay_grace_ms) /
                                                static_cast<double>(cfg.decay_tau_ms));
  }

  Candidate score(const AlertBatch& batch, const Alert& a, const Member& m, const Incident& inc) {
    Candidate c;
    double identity = 0;
    // Adds a piece of evidence to `total`; the strongest piece names the join reason.
    auto note_into = [&](double& total, double e, JoinReason r, Sym via) {
      add_evidence(total, e);
      if (e > c.best_evidence) {
        c.best_evidence = e;
        c.reason = r;
        c.via = via;
      }
    };
    auto note = [&](double e, JoinReason r, Sym via) { note_into(identity, e, r, via); };
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    const Sym pod = m.roles[static_cast<std::size_t>(Role::kPod)];
    const Sym instance = m.roles[static_cast<std::size_t>(Role::kInstance)];
    const Sym deploy = m.roles[static_cast<std::size_t>(Role::kDeploy)];
    const Sym zone = m.roles[static_cast<std::size_t>(Role::kZone)];
    const Sym scope = scope_of(m);
    // Evidence comes from what is failing now: a service whose alerts in the incident have all
    // resolved is a past episode, weaker the longer ago it went quiet.
    auto current = [&](const EntityStat& e) {
      if (e.firing > 0) return 1.0;
      const std::int64_t idle = std::max<std::int64_t>(0, a.ts_ms - e.last_ts);
      return std::exp(-static_cast<double>(idle) / static_cast<double>(cfg.decay_tau_ms));
    };
    const EntityStat* same = service != 0 ? find_service(inc, service, scope) : nullptr;
    const bool same_service = same != nullptr;
    // The time decay applies per entity, not only per incident: evidence from a service, node or
    // pod weakens with the time since something new started on it in the incident. A long-lived
    // incident keeps every entity it ever held, and its own activity elsewhere kept them all
    // linkable: each later fault on one of them chained into it (a 300 k-alert, 36 h firehose
    // storm: one incident of 223 k alerts and 557 faults).
    auto fresh = [&](const EntityStat& e) {
      return time_weight(std::max<std::int64_t>(0, a.ts_ms - e.last_onset));
    };
    const EntityStat* on_node = node != 0 ? find_node(inc, node) : nullptr;
    const double id_fresh = same ? fresh(*same) : on_node ? fresh(*on_node) : 1.0;
    if (node != 0) {
      if (const EntityStat* n = find_node(inc, node)) {
        // A node is strong evidence when the incident is about that node, weak when it only
        // hosts some of its services' pods.
        const bool node_centric = about_node(inc, *n, node, scope);
        // A node-level alert (no service) right after an incident of one workload confined to
        // that node: the workload is the likely cause of the node's trouble (a noisy neighbour
        // saturating CPU, memory or disk), so the node joins its incident.
        const bool pressure_from_workload = service == 0 && inc.nodes.size() == 1 &&
                                            a.ts_ms >= n->first_ts &&
                                            a.ts_ms - n->first_ts <= cfg.hop_delay_ms;
        // A node that said it was down and still says so: its later down alerts (kube-state-
        // metrics' NotReady often fires minutes after node-exporter's target went down) are the
        // same fault however long ago the incident last changed.
        const bool still_down = n->down_firing > 0 && service == 0 && node_down_name(m);
        const double e = node_centric             ? cfg.w_node
                         : pressure_from_workload ? cfg.w_node * 0.8
                                                  : cfg.w_node * 0.4;
        note(e * (still_down ? 1.0 : fresh(*n)), JoinReason::kSameNode, node);
        if (still_down) c.ongoing = e;
      }
    }
    // (A StatefulSet's pod has the same name in every cluster: only this cluster's counts.)
    if (pod != 0 && has_dim(inc, Role::kPod, pod) && in_cluster(inc, scope))
      note(cfg.w_pod * id_fresh, JoinReason::kSamePod, pod);
    // An alert about no service or node names by its instance what it probes (blackbox): probers
    // in different zones failing to reach one target are different faults unless the zone agrees.
    if (instance != 0 && has_dim(inc, Role::kInstance, instance) &&
        (service != 0 || node != 0 || zone == 0 || has_dim(inc, Role::kZone, zone)))
      note(cfg.w_pod * id_fresh, JoinReason::kSamePod, instance);
    if (deploy != 0 && has_dim(inc, Role::kDeploy, deploy))
      note(cfg.w_deploy * id_fresh, JoinReason::kSameDeploy, deploy);
    // Merges need identity more specific than a service name: frontends and gateways show the
    // symptoms of every fault behind them, so two incidents sharing one are not one fault.
    c.identity = identity;
    if (same_service)
      note(cfg.w_service * current(*same) * fresh(*same), JoinReason::kSameService, service);

    double strong = identity;
    // The alert names the service it fails to reach: an incident service (a symptom of it), or the
    // same one the incident's members fail to reach (a shared dependency failing). Neither needs a
    // topology file.
    if (const Sym peer = m.roles[static_cast<std::size_t>(Role::kPeer)]; peer != 0) {
      double e = 0;
      if (const EntityStat* p = find_service(inc, peer, scope)) {
        e = cfg.w_topology * current(*p);
      } else if (has_dim(inc, Role::kPeer, peer)) {
        e = cfg.w_topology * 0.9;
      }
      if (e > 0) note_into(strong, e, JoinReason::kSameUpstream, peer);
      c.peer = e;
    }
    if (service != 0 && !topo->empty()) {
      double best_topo = 0;
      Sym via = 0;
      // Chains grow one hop at a time from any incident service; longer reaches count only toward
      // the incident's first services (where its cause most likely is), so a large incident does
      // not swallow everything within a few hops of somewhere.
      std::size_t rank = 0;
      for (const EntityStat& s : inc.services) {
        const bool root_area = rank++ < kRootArea;
        if (s.entity == service || !can_call(scope, s.scope)) continue;
        const int h = topo->hops(service, s.entity);
        if (h <= 0 || (h > 1 && !root_area)) continue;
        // Faults travel from callee to callers. This service calling an incident service is a
        // symptom in the making; an incident service calling this one makes it a possible
        // late-alerting cause; siblings that only share a dependency are weak evidence.
        double e;
        int path = h;
        const int up = topo->downstream_hops(service, s.entity);
        if (up > 0) {
          e = cfg.w_topology * std::pow(cfg.topology_decay, up - 1);
          path = up;
        } else if (const int down = topo->downstream_hops(s.entity, service); down > 0) {
          e = cfg.w_topology * std::pow(cfg.topology_decay, 2 * (down - 1)) * 0.9;
          // Explaining away: when `s` already calls another incident service (before or after it
          // alerted: causes often alert late), its failure has a cause, and this callee of `s` is
          // not needed to explain it.
          if (explained(inc, s)) e *= 0.3;
          path = down;
        } else {
          e = cfg.w_topology * std::pow(cfg.topology_decay, h - 1) * 0.3;
        }
        // Propagation is quick: a service that started alerting long before this one is an
        // unlikely source (or symptom) of it, while connected services alerting within moments of
        // each other are most likely one fault.
        const std::int64_t delay = std::abs(a.ts_ms - s.first_ts);
        const std::int64_t expected = up > 0 ? caller_hop_ms(path) : cfg.hop_delay_ms * path;
        if (delay > expected) {
          e *= std::exp(-static_cast<double>(delay - expected) /
                        static_cast<double>(cfg.decay_tau_ms));
        } else if (delay <= cfg.decay_grace_ms) {
          e = std::min(1.0, e * cfg.onset_boost);
        }
        e *= current(s);
        if (up == 1) c.callees += e * static_cast<double>(s.fingerprints);
        // What travels along a call is a symptom: this service's own CPU, memory or pods are not
        // its callee's doing, and a callee cannot explain an incident service that shows no
        // symptom, only resource alerts (concurrent faults chained through such links).
        if (up > 0 ? resource_alert : s.symptoms == 0) e *= kResourceLinkDiscount;
        if (e > best_topo) {
          best_topo = e;
          via = s.entity;
        }
      }
      // Explaining away: a pod going NotReady just as its likely node went down has a cause; its
      // service's neighbours failing is the weaker explanation.
      if (down_node != 0 && !down_labelled) best_topo *= 0.5;
      if (best_topo > 0) note_into(strong, best_topo, JoinReason::kTopology, via);
    }
    // Without a topology file, call edges learned from alerts that name their upstream stand in
    // for it (one hop). With one, the file is authoritative: learned edges only added noise there.
    if (service != 0 && topo->empty() && !learned_calls.empty()) {
      double best = 0;
      Sym via = 0;
      for (const EntityStat& s : inc.services) {
        if (s.entity == service || !can_call(scope, s.scope)) continue;
        double e = 0;
        std::int64_t expected = cfg.hop_delay_ms;
        if (learned_edge(service, s.entity)) {
          e = cfg.w_topology;
          expected = caller_hop_ms(1);  // a caller, as with a topology file
        } else if (learned_edge(s.entity, service)) {
          e = cfg.w_topology * 0.9 * (explained(inc, s) ? 0.3 : 1.0);
        }
        const std::int64_t delay = std::abs(a.ts_ms - s.first_ts);
        if (delay > expected)
          e *= std::exp(-static_cast<double>(delay - expected) /
                        static_cast<double>(cfg.decay_tau_ms));
        e *= current(s);
        if (e > best) {
          best = e;
          via = s.entity;
        }
      }
      if (best > 0) note_into(strong, best, JoinReason::kTopology, via);
    }
    // Placement learned from labels, for alerts that lack a label the incident is about: this
    // service runs on a node the incident is about, or this node hosts most of its services.
    double placement = 0;
    Sym placement_via = 0;
    if (service != 0)
      if (const auto* nodes = service_nodes.find(service))
        for (Sym n : *nodes)
          if (n != node)
            if (const EntityStat* ns = find_node(inc, n); ns && about_node(inc, *ns, n, scope)) {
              placement = cfg.w_placement * fresh(*ns);
              placement_via = n;
            }
    if (node != 0 && placement == 0 && hosts_most(inc, node, scope)) {
      placement = cfg.w_placement;
      placement_via = node;
    }
    if (placement > 0) note_into(strong, placement, JoinReason::kPlacement, placement_via);
    if (down_node != 0)
      if (const EntityStat* n = find_node(inc, down_node);
          n != nullptr && (n->node_level >= 2 || n->down_firing > 0))
        note_into(strong, cfg.w_node_down, JoinReason::kNodeDown, down_node);
    if (pod_burst) {
      const Sym via = burst_reach[kPodReach].via(slot_of(inc), candidate_epoch);
      // An incident holding a change has an explanation of its own pods failing: of two burst
      // incidents the other is the likelier home.
      if (via != 0)
        note_into(strong, cfg.w_node_down * (inc.changes.empty() ? 1.0 : 0.95),
                  JoinReason::kPodBurst, via);
    }
    // Many services starting to fail within seconds: one cause (see note_service_onset).
    if (service_burst) {
      if (const Sym via = burst_reach[kServiceReach].via(slot_of(inc), candidate_epoch); via != 0)
        note_into(strong, cfg.w_zone, JoinReason::kServiceBurst, via);
    }
    // Services firing one alertname together (see kNameBurstServices); weighed like a pod burst.
    if (name_burst) {
      if (const Sym via = burst_reach[kNameReach].via(slot_of(inc), candidate_epoch); via != 0)
        note_into(strong, cfg.w_node_down, JoinReason::kServiceBurst, via);
    }
    // A zone burst: the incident holding most of the burst's members draws the zone's alerts.
    if (burst != nullptr) {
      if (const std::uint32_t n = burst_home_count(scope_of(m), zone, inc); n > 0) {
        const double share =
            static_cast<double>(n) / static_cast<double>(std::max(1u, burst->members));
        note_into(strong, cfg.w_zone * std::min(1.0, 2 * share), JoinReason::kZoneBurst, zone);
      }
    }
    if (strong <= 0) return c;  // weak dimensions never link alone
    // Weak dimensions (namespace, cluster, zone, ...): support, scaled by rarity among active
    // alerts, and capped at half the strong evidence so they can tip a link, never carry it.
    double weak = 0;
    const core::Label* labels = batch.labels_of(a);
    const double active = static_cast<double>(std::max<std::size_t>(1, by_fp.size()));
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
      if (std::find(weak_syms.begin(), weak_syms.end(), labels[i].name) == weak_syms.end())
        continue;
      const Posting* p = find_posting(dim_key(labels[i].name, labels[i].value));
      if (!p || !holds(*p, inc)) continue;
      const double rarity = 1.0 - std::min(1.0, static_cast<double>(p->active) / active);
      add_evidence(weak, cfg.w_weak * rarity);
    }
    c.score = strong + (1 - strong) * std::min(weak, 0.5 * strong);
    return c;
  }

  // ---- nodes going down ----

  // A node is going down when its incident holds node-level alerts of two or more alertnames about
  // it (several fingerprints of one alertname, a disk's mountpoints, are one symptom), or one
  // firing that says it is down (NodeDown, HostDown, NotReady, unreachable). `since` is
  // the node's first alert in the incident: its pods' alerts often come first, and the node-level
  // ones lag (a 300 k-alert firehose storm: B³-F1 0.349 this way, 0.334 from the first node-level
  // alert).
  // Its pods fail for hop_delay after it is known to be down (`at`, the alert that showed it): a
  // precursor alert (load, pressure) minutes before must not close the window early, and each
  // later alert about the node (kube-state-metrics' NotReady minutes after node-exporter's target
  // went down) keeps it open.
  void note_node_down(const Incident& inc, Sym cluster, Sym node, std::int64_t since,
                      std::int64_t at) {
    for (NodeDown& d : nodes_down)
      if (d.node == node && d.cluster == cluster) {
        d.until = std::max(d.until, at + cfg.hop_delay_ms);
        return;
      }
    Sym first = 0;
    bool two = false;
    for (std::uint32_t ms : inc.members) {
      const Member& x = members[ms];
      if (x.roles[static_cast<std::size_t>(Role::kNode)] != node ||
          x.roles[static_cast<std::size_t>(Role::kService)] != 0)
        continue;
      const Sym name = x.roles[static_cast<std::size_t>(Role::kAlertname)];
      if (first == 0) first = name;
      two |= name != first;
      if (x.status == core::Status::kFiring && node_down_name(x)) two = true;
    }
    if (two) {
      // A node alerting for long before (a full disk for hours) went down lately: its pods'
      // incidents of long ago are not its.
      since = std::max(since, at - cfg.hop_delay_ms);
      nodes_down.push_back({since, std::max(since, at) + cfg.hop_delay_ms, cluster, node});
      went_down = nodes_down.back();
      went_down_slot = slot_of(inc);  // kept current by merge()
      node_went_down = true;
    }
  }

  // A node just went down (a second node-level alertname about it arrived). Its pods' pod-only
  // alerts that came before that opened incidents of their own; when it is the only node of its
  // cluster going down, its incident absorbs the young ones such an alert opened since the node's
  // first alert (with what joined them).
  void absorb_node_fragments(std::int64_t ts) {
    node_went_down = false;
    const NodeDown d = went_down;
    const std::uint32_t main = went_down_slot;
    if (node_going_down(d.cluster, ts) != d.node || !incidents[main].open) return;
    absorb.clear();
    for (std::uint32_t slot = 0; slot < incidents.size(); ++slot) {
      const Incident& x = incidents[slot];
      if (slot == main || !x.open || x.members.empty() || x.opened_at < d.since) continue;
      const Member& first = members[x.members.front()];
      if (scope_of(first) == d.cluster && first.roles[static_cast<std::size_t>(Role::kPod)] != 0 &&
          first.roles[static_cast<std::size_t>(Role::kNode)] == 0 && !has_service_label(first))
        absorb.push_back(slot);
    }
    // Pods or services that failed together with no node known (a pod, name or service burst)
    // before this node's own alerts fired (its rules wait out their `for:` too): the node explains
    // them. (An
    // incident holding a change is taken too: routine deploys attach to many incidents, and
    // keeping those apart cost fi_storm mixed 0.779 -> 0.760.)
    for (std::uint32_t slot = 0; slot < incidents.size(); ++slot) {
      const Incident& x = incidents[slot];
      if (slot == main || !x.open || x.members.empty() ||
          x.opened_at < d.since - cfg.hop_delay_ms ||
          std::find(absorb.begin(), absorb.end(), slot) != absorb.end())
        continue;
      if (scope_of(members[x.members.front()]) != d.cluster) continue;
      for (std::uint32_t ms : x.members)
        if (members[ms].reason == JoinReason::kPodBurst ||
            members[ms].reason == JoinReason::kServiceBurst) {
          absorb.push_back(slot);
          break;
        }
    }
    absorb_into(main);
  }

  [[nodiscard]] bool has_service_label(const Member& m) const {
    const auto& aliases = role_aliases[static_cast<std::size_t>(Role::kService)];
    for (const core::Label l : members.labels(m))
      if (std::find(aliases.begin(), aliases.end(), l.name) != aliases.end()) return true;
    return false;
  }

  // Pods of several services (kPodBurstServices) with no known node failing within
  // kPodBurstMs of each other in one cluster: what takes many workloads at once is their node.
  // The list keeps the latest firing pod alert per (cluster, service), recent ones only, so it
  // holds at most the services failing in that window.
  void note_unplaced_pod(Sym cluster, Sym service, Sym pod, std::int64_t ts) {
    prune_window(unplaced_pods, unplaced_index, unplaced_pruned, kPodBurstMs);
    std::uint32_t& at = unplaced_index.upsert(UnplacedPod{ts, cluster, service, pod}.key());
    if (at != 0) {
      UnplacedPod& u = unplaced_pods[at - 1];
      if (ts >= u.ts) {
        u.ts = ts;
        u.pod = pod;
      }
      return;
    }
    unplaced_pods.push_back({ts, cluster, service, pod});
    at = static_cast<std::uint32_t>(unplaced_pods.size());
  }
  // Calls f(pod) for the burst's latest pod of each other service (the alert's own cluster, within
  // kPodBurstMs of it).
  template <class F>
  void for_each_burst_pod(const Member& m, std::int64_t ts, F&& f) const {
    for_each_burst(unplaced_pods, m, ts, kPodBurstMs, kBurstReach,
                   [&](const UnplacedPod& u) { f(u.pod); });
  }
  // Calls f(entry) for the newest `limit` entries of a burst list that are of the alert's cluster,
  // about another service, within `window` of `ts`, and `match`.
  template <class E, class F, class Match = bool (*)(const E&)>
  void for_each_burst(
      const std::vector<E>& list, const Member& m, std::int64_t ts, std::int64_t window,
      std::size_t limit, F&& f, Match match = [](const E&) { return true; }) const {
    const Sym cluster = scope_of(m);
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    for (auto e = list.rbegin(); e != list.rend() && limit > 0; ++e)
      if (e->cluster == cluster && e->service != service && std::abs(e->ts - ts) <= window &&
          match(*e)) {
        f(*e);
        --limit;
      }
  }
  // Whether an open incident of the alert's cluster already holds its service.
  [[nodiscard]] bool failing_already(const Member& m) const {
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Posting* p = find_posting(posted_key(Role::kService, service));
    if (p == nullptr) return false;
    bool held = false;
    const Sym cluster = scope_of(m);
    for_each_incident(
        *p, [&](std::uint32_t slot) { held = held || in_cluster(incidents[slot], cluster); });
    return held;
  }
  // Service bursts: kServiceBurstServices services of one cluster starting to alert within
  // kServiceBurstMs of each other share a cause, whatever their labels say (a node dying under a
  // service mesh fires dozens of services' error-rate edges in the same seconds, with no pod, node
  // or zone on them). Two faults starting together rarely reach that many services within the
  // window; below it, bursts are left to the topology. The list keeps each service's first onset
  // in the last 2 * kServiceBurstMs, so it holds at most the services starting in that time.
  void note_service_onset(const Member& m, std::int64_t ts) {
    prune_window(svc_onsets, onset_index, onsets_pruned, kServiceBurstMs);
    const Sym cluster = scope_of(m);
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    std::uint32_t& at = onset_index.upsert(SvcOnset{ts, cluster, service}.key());
    if (at != 0) return;
    svc_onsets.push_back({ts, cluster, service});
    at = static_cast<std::uint32_t>(svc_onsets.size());
  }
  // Drops the entries of a burst list older than twice `window` and rebuilds its (cluster,
  // service) -> 1 + position index: at most once per half window, not per alert (a burst of
  // thousands of services made a scan per alert quadratic).
  template <class E>
  void prune_window(std::vector<E>& list, core::FlatMap<std::uint32_t>& index, std::int64_t& pruned,
                    std::int64_t window) {
    if (now < pruned + window / 2) return;
    pruned = now;
    std::erase_if(list, [&](const E& e) { return e.ts < now - 2 * window; });
    index.clear();
    for (std::uint32_t i = 0; i < list.size(); ++i) index.upsert(list[i].key()) = i + 1;
  }
  template <class F>
  void for_each_burst_service(const Member& m, std::int64_t ts, F&& f,
                              std::size_t limit = kBurstReach) const {
    for_each_burst(svc_onsets, m, ts, kServiceBurstMs, limit,
                   [&](const SvcOnset& o) { f(o.service); });
  }
  // The incident of the alert that made (or joined by) the burst, when nothing else explained it,
  // absorbs the young incidents (opened within the window) of the burst's other services.
  void absorb_service_burst(const Member& m, std::uint32_t main, std::int64_t ts) {
    absorb.clear();
    const Sym cluster = scope_of(m);
    for_each_burst_service(m, ts, [&](Sym svc) {
      collect_young(posted_key(Role::kService, svc), main, ts - 2 * kServiceBurstMs,
                    [&](const Incident& x) { return in_cluster(x, cluster); });
    });
    absorb_into(main);
  }
  // Name bursts: the latest firing alert of each (cluster, alertname, service) in the last
  // 2 * kNameBurstMs, for alerts about a service with no node and no upstream named.
  void note_name_onset(const Member& m, std::int64_t ts) {
    prune_window(name_onsets, name_index, names_pruned, kNameBurstMs);
    const NameOnset o{ts, scope_of(m), m.roles[static_cast<std::size_t>(Role::kService)],
                      m.roles[static_cast<std::size_t>(Role::kAlertname)]};
    std::uint32_t& at = name_index.upsert(o.key());
    if (at != 0) {
      name_onsets[at - 1].ts = std::max(name_onsets[at - 1].ts, ts);
      return;
    }
    name_onsets.push_back(o);
    at = static_cast<std::uint32_t>(name_onsets.size());
  }
  // Calls f(service) for the newest `limit` other services of the alert's cluster that fired its
  // alertname within kNameBurstMs of `ts`.
  template <class F>
  void for_each_name_burst(const Member& m, std::int64_t ts, F&& f,
                           std::size_t limit = kBurstReach) const {
    const Sym alertname = m.roles[static_cast<std::size_t>(Role::kAlertname)];
    for_each_burst(
        name_onsets, m, ts, kNameBurstMs, limit, [&](const NameOnset& o) { f(o.service); },
        [&](const NameOnset& o) { return o.alertname == alertname; });
  }
  // The incident of the alert that completed (or joined by) the burst, when nothing else explained
  // it, absorbs the young single-service incidents of the burst's other services.
  void absorb_name_burst(const Member& m, std::uint32_t main, std::int64_t ts) {
    absorb_young_singles(m, main, ts - 2 * kNameBurstMs, [&](auto&& take) {
      for_each_name_burst(m, ts, [&](Sym svc) { take(posted_key(Role::kService, svc)); });
    });
  }
  // Pods of several services failing at once with no node known to be going down (their node is
  // unknown, or its own alerts come later: kube-state-metrics and node rules wait out their `for:`
  // alike): the earlier ones opened incidents of their own, one per service. The incident of the
  // alert that showed the burst absorbs those that are young (opened within the burst's window)
  // and about one service.
  void absorb_pod_burst(const Member& m, std::uint32_t main, std::int64_t ts) {
    absorb_young_singles(m, main, ts - 2 * kPodBurstMs, [&](auto&& take) {
      for_each_burst_pod(m, ts, [&](Sym pod) { take(posted_key(Role::kPod, pod)); });
    });
  }
  // `main` absorbs the open incidents of the alert's cluster about one service, opened at `since`
  // or later, that hold a posted value `keys` hands to its callback.
  template <class Keys>
  void absorb_young_singles(const Member& m, std::uint32_t main, std::int64_t since, Keys&& keys) {
    absorb.clear();
    const Sym cluster = scope_of(m);
    keys([&](std::uint64_t key) {
      collect_young(key, main, since, [&](const Incident& x) {
        return x.services.size() == 1 && in_cluster(x, cluster);
      });
    });
    absorb_into(main);
  }
  // Adds to `absorb` the open incidents other than `main` holding the posted value `key`, opened
  // at `since` or later, that `fits`. Neither side may hold a change: a change explains its own
  // service's trouble (a rollout restarts its pods), which without a topology file looks just like
  // a second fault starting at once.
  template <class Fits>
  void collect_young(std::uint64_t key, std::uint32_t main, std::int64_t since, Fits&& fits) {
    const Posting* p = find_posting(key);
    if (p == nullptr || !incidents[main].changes.empty()) return;
    for_each_incident(*p, [&](std::uint32_t slot) {
      const Incident& x = incidents[slot];
      if (slot == main || !x.open || x.opened_at < since || !x.changes.empty() || !fits(x)) return;
      if (std::find(absorb.begin(), absorb.end(), slot) == absorb.end()) absorb.push_back(slot);
    });
  }
  bool unplaced_burst(Sym cluster, std::int64_t ts) const {
    std::size_t n = 0;
    for (const UnplacedPod& u : unplaced_pods)
      if (u.cluster == cluster && std::abs(u.ts - ts) <= kPodBurstMs && ++n == kPodBurstServices)
        return true;
    return false;
  }

  // The one node of `cluster` going down at `ts` (from its first alert to hop_delay after it was
  // known down); 0 when none or several
  // (which of them a pod ran on is then unknown).
  Sym node_going_down(Sym cluster, std::int64_t ts) {
    std::erase_if(nodes_down, [&](const NodeDown& d) { return d.until < now; });
    Sym found = 0;
    for (const NodeDown& d : nodes_down) {
      if (d.cluster != cluster || ts < d.since || ts > d.until) continue;
      if (found != 0 && found != d.node) return 0;
      found = d.node;
    }
    return found;
  }

  // ---- zones ----

  // The zone an alert is in: its zone label, else its node's zone (learned from alerts carrying
  // both), else, for an alert about no service, node or pod (a cross-zone probe), a label value
  // that names a known zone, a failing one first.
  void settle_zone(const AlertBatch& batch, const Alert& a, Member& m) {
    Sym& zone = m.roles[static_cast<std::size_t>(Role::kZone)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    if (zone != 0) {
      known_zones.upsert(zone) = 1;
      if (node != 0) {
        if (node_zone.size() >= kMaxLearnedPods) node_zone.clear();
        node_zone.upsert(node) = zone;
      }
      return;
    }
    if (node != 0) {
      if (const Sym* z = node_zone.find(node)) zone = *z;
      return;
    }
    if (m.roles[static_cast<std::size_t>(Role::kService)] != 0 ||
        m.roles[static_cast<std::size_t>(Role::kPod)] != 0 || known_zones.empty())
      return;
    const core::Label* labels = batch.labels_of(a);
    prune_zone_onsets(a.ts_ms);
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
      const Sym v = labels[i].value;
      if (!known_zones.find(v)) continue;
      if (zone == 0) zone = v;
      if (hot_zone(scope_of(m), v)) {
        zone = v;
        break;
      }
    }
  }

  static std::uint64_t zone_key(Sym cluster, Sym zone) {
    return (std::uint64_t{cluster} << 32) | zone;
  }

  // The burst of `zone`, when it is one: enough services on more than one node, and most of what
  // starts alerting in its cluster.
  [[nodiscard]] const ZoneBurst* hot_zone(Sym cluster, Sym zone) const {
    const ZoneBurst* b = zone_bursts.find(zone_key(cluster, zone));
    if (b == nullptr || b->services - b->colocated < cfg.zone_min_services) return nullptr;
    const std::uint32_t* all = cluster_zone_services.find(cluster);
    if (all == nullptr || b->services < cfg.zone_share * static_cast<double>(*all)) return nullptr;
    return b;
  }

  void note_zone_onset(const Member& m, std::int64_t ts) {
    const Sym zone = m.roles[static_cast<std::size_t>(Role::kZone)];
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    const Sym entity = service != 0 ? service : node;
    if (zone == 0 || entity == 0) return;
    prune_zone_onsets(ts);
    const Sym cluster = scope_of(m);
    ZoneOnset o{ts, zone_key(cluster, zone), 0, 0, 0, incidents[m.incident].number, cluster};
    ++zone_homes.upsert(core::hash_pair(o.zone, o.number));
    o.entity = core::hash_pair(o.zone, entity);
    if (node != 0 && service != 0) {
      o.node = core::hash_pair(o.zone ^ 0x9e3779b97f4a7c15ULL, node);
      o.placed = core::hash_pair(o.node, service);
    }
    ZoneBurst& b = zone_bursts.upsert(o.zone);
    if (++zone_entities.upsert(o.entity) == 1) {
      ++b.services;
      ++cluster_zone_services.upsert(cluster);
    }
    ++b.members;
    if (o.placed != 0 && ++zone_entities.upsert(o.placed) == 1) {
      // One more service on this node: past one, they are colocated.
      const std::uint32_t k = ++node_bursts.upsert(o.node);
      if (k >= 2) b.colocated += k == 2 ? 2 : 1;
    }
    zone_onsets.push_back(o);
  }

  // Forgets onsets older than the zone window.
  void prune_zone_onsets(std::int64_t ts) {
    while (zone_head < zone_onsets.size() && zone_onsets[zone_head].ts < ts - cfg.zone_window_ms) {
      const ZoneOnset& o = zone_onsets[zone_head++];
      ZoneBurst* b = zone_bursts.find(o.zone);
      count_down(zone_homes, core::hash_pair(o.zone, o.number));
      if (count_down(zone_entities, o.entity) == 0) {
        if (b != nullptr) --b->services;
        count_down(cluster_zone_services, o.cluster);
      }
      if (o.placed != 0 && count_down(zone_entities, o.placed) == 0) {
        // One service fewer on this node: two become one, no longer colocated.
        const std::uint32_t k = count_down(node_bursts, o.node);
        if (b != nullptr && k >= 1) b->colocated -= k == 1 ? 2 : 1;
      }
      if (b != nullptr && --b->members == 0) zone_bursts.erase(o.zone);
    }
    if (zone_head == zone_onsets.size()) {
      zone_onsets.clear();
      zone_head = 0;
    } else if (zone_head > 4096 && zone_head * 2 > zone_onsets.size()) {
      zone_onsets.erase(zone_onsets.begin(), zone_onsets.begin() + static_cast<long>(zone_head));
      zone_head = 0;
    }
  }

  static bool same_scope(Sym a, Sym b) { return a == 0 || b == 0 || a == b; }
  // Whether a service alerting in cluster `scope` can be calling one alerting in `callee_scope`.
  // Within a cluster, always. Across clusters, only where each service runs in one cluster and
  // calls cross them; where every cluster runs its own copy of the services, a dependency is the
  // local copy. Which world this is shows as topology services alert: in the second, some alert in
  // two clusters, and two clusters' alerting services overlap. Calls cross only while none has
  // alerted in two clusters and the two clusters have shown so many that, were they copies of the
  // topology's service set, about kClusterOverlap would be expected in both (disjoint by chance:
  // about e^-1.5 = 22 %; 3.0 helped less on the independent storms, see docs/EVAL.md).
  [[nodiscard]] bool can_call(Sym scope, Sym callee_scope) const {
    if (same_scope(scope, callee_scope)) return true;
    if (multi_cluster_services > 0 || topo->empty()) return false;
    std::size_t a = 0, b = 0;
    for (const auto& [cluster, n] : cluster_services) {
      if (cluster == scope) a = n;
      if (cluster == callee_scope) b = n;
    }
    return static_cast<double>(a) * static_cast<double>(b) >=
           kClusterOverlap * static_cast<double>(topo->size());
  }
  [[nodiscard]] Sym scope_of(const Member& m) const {
    return m.roles[static_cast<std::size_t>(Role::kCluster)];
  }
  // The first of the incident's nodes that is `n`, in any cluster (Incident::node, indexed).
  const EntityStat* find_node(const Incident& inc, Sym n) const {
    const EntityIndex* x = entity_index_of(inc);
    if (x == nullptr) return inc.node(n);
    const std::uint32_t* first = nullptr;
    for (Sym scope : x->scopes)
      if (const std::uint32_t* i = x->map->find(entity_key(true, n, scope));
          i != nullptr && (first == nullptr || *i < *first))
        first = i;
    return first ? &inc.nodes[*first] : nullptr;
  }
  // The first of the incident's services that is `s` in `scope` (either unknown matches any).
  const EntityStat* find_service(const Incident& inc, Sym s, Sym scope) const {
    if (const EntityIndex* x = entity_index_of(inc); x != nullptr && scope != 0) {
      const std::uint32_t* exact = x->map->find(entity_key(false, s, scope));
      const std::uint32_t* unknown = x->map->find(entity_key(false, s, 0));
      if (exact == nullptr && unknown == nullptr) return nullptr;
      const std::uint32_t i = exact == nullptr     ? *unknown
                              : unknown == nullptr ? *exact
                                                   : std::min(*exact, *unknown);
      return &inc.services[i];
    }
    for (const EntityStat& e : inc.services)
      if (e.entity == s && same_scope(e.scope, scope)) return &e;
    return nullptr;
  }

  // Whether incident service `s` has a cause of its own in the incident: it calls another incident
  // service, or it changed (a deploy of it).
  [[nodiscard]] bool explained(const Incident& inc, const EntityStat& s) const {
    // A change of `s` in the incident (its deploy) explains it as well as a failing callee does.
    for (const core::ChangeRef& c : inc.changes)
      if (c.service == s.entity) return true;
    for (const EntityStat& t : inc.services)
      if (t.entity != s.entity && same_scope(t.scope, s.scope) &&
          topo->downstream_hops(s.entity, t.entity) == 1)
        return true;
    return false;
  }

  [[nodiscard]] bool learned_edge(Sym caller, Sym callee) const {
    const std::vector<Sym>* callees = learned_calls.find(caller);
    return callees && std::find(callees->begin(), callees->end(), callee) != callees->end();
  }

  // service -> upstream it names, bounded per service like placements.
  void learn_call(Sym caller, Sym callee) {
    if (caller == 0 || callee == 0 || caller == callee) return;
    for (auto [map, from, to] : {std::tuple{&learned_calls, caller, callee},
                                 std::tuple{&learned_callers, callee, caller}}) {
      std::vector<Sym>& v = map->upsert(from);
      if (std::find(v.begin(), v.end(), to) != v.end()) continue;
      if (v.size() >= 32) v.erase(v.begin());
      v.push_back(to);
    }
  }

  // Whether `inc` holds posting `p`: the inline entries, then the spill index (a weak dimension
  // such as a cluster or namespace is held by hundreds of incidents).
  [[nodiscard]] bool holds(const Posting& p, const Incident& inc) const {
    const std::uint32_t slot = slot_of(inc);
    for (std::uint32_t i = 0; i < p.n(); ++i)
      if (p.first[i].first == slot) return true;
    return p.spill() != 0 && spill_pos.find(spill_key(p.spill(), slot)) != nullptr;
  }
  // Exact, not hashed: (spill list, incident slot) never collide, and a spill list is owned by one
  // posting at a time (its entries are erased before it is freed).
  static std::uint64_t spill_key(std::uint32_t spill, std::uint32_t slot) {
    return (std::uint64_t{spill} << 32) | slot;
  }
  template <class F>
  void for_each_incident(const Posting& p, F&& f) const {
    for (std::uint32_t i = 0; i < p.n(); ++i) f(p.first[i].first);
    if (p.spill() != 0)
      for (const auto& e : spills[p.spill() - 1]) f(e.first);
  }
  // Whether a member of `inc` has role value `v` (for zones: the zone it was settled in).
  [[nodiscard]] bool has_dim(const Incident& inc, Role r, Sym v) const {
    const Posting* p = find_posting(posted_key(r, v));
    return p && holds(*p, inc);
  }
  // The posting of `key`, from either map (a single is viewed as a one-entry Posting, valid until
  // the next call).
  [[nodiscard]] const Posting* find_posting(std::uint64_t key) const {
    if (const SinglePosting* one = single_postings.find(key)) {
      posting_view = Posting{};
      posting_view.active = one->count();
      posting_view.first[0] = {one->slot(), one->count()};
      posting_view.set_n(1);
      return &posting_view;
    }
    return postings.find(key);
  }
  // Tests: the value index against the open incidents' members (each posted value counted once
  // per member carrying it); empty when they agree, else the first disagreement. O(members).
  [[nodiscard]] std::string check_index() const {
    using Key = std::pair<std::uint64_t, std::uint32_t>;  // (posted value, incident slot)
    std::map<Key, std::uint64_t> want, have;
    for (std::uint32_t slot = 0; slot < incidents.size(); ++slot) {
      if (!incidents[slot].open) continue;
      for (std::uint32_t ms : incidents[slot].members) {
        const Member& m = members[ms];
        for (Role r : kPostedRoles)
          if (const Sym v = m.roles[static_cast<std::size_t>(r)]; v != 0)
            ++want[{posted_key(r, v), slot}];
        for (const core::Label& l : members.labels(m))
          if (std::find(weak_syms.begin(), weak_syms.end(), l.name) != weak_syms.end())
            ++want[{dim_key(l.name, l.value), slot}];
      }
    }
    std::string err;
    single_postings.for_each([&](std::uint64_t key, const SinglePosting& one) {
      have[{key, one.slot()}] += one.count();
    });
    postings.for_each([&](std::uint64_t key, const Posting& p) {
      std::uint64_t sum = 0;
      auto add = [&](const Posting::Entry& e) {
        have[{key, e.first}] += e.second;
        sum += e.second;
      };
      for (std::uint32_t i = 0; i < p.n(); ++i) add(p.first[i]);
      if (p.spill() != 0)
        for (const Posting::Entry& e : spills[p.spill() - 1]) add(e);
      if (sum != p.active && err.empty())
        err = "posting " + std::to_string(key) + ": active " + std::to_string(p.active) +
              ", entries sum to " + std::to_string(sum);
    });
    if (!err.empty()) return err;
    for (const auto& [k, n] : want)
      if (auto it = have.find(k); it == have.end() || it->second != n)
        return "value " + std::to_string(k.first) + " in incident slot " +
               std::to_string(k.second) + ": " + std::to_string(n) + " members, index says " +
               std::to_string(it == have.end() ? 0 : it->second);
    for (const auto& [k, n] : have)
      if (n != 0 && want.find(k) == want.end())
        return "value " + std::to_string(k.first) + " indexed for incident slot " +
               std::to_string(k.second) + " (" + std::to_string(n) + ") that holds none";
    return {};
  }
  [[nodiscard]] std::uint32_t slot_of(const Incident& inc) const {
    return static_cast<std::uint32_t>(&inc - incidents.data());
  }
  // ---- incidents ----

  std::uint32_t open_incident(std::int64_t ts) {
    std::uint32_t slot;
    if (!free_incidents.empty()) {
      slot = free_incidents.back();
      free_incidents.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(incidents.size());
      incidents.emplace_back();
    }
    Incident& inc = incidents[slot];
    reset(inc);
    if (slot < entity_index.size()) entity_index[slot].on = false;
    inc.shard = shard;
    inc.number = ++next_number;
    inc.id = "inc-" + std::to_string(shard) + "-" + std::to_string(inc.number);
    inc.open = true;
    inc.opened_at = inc.updated_at = inc.last_firing_at = inc.last_joined_at = ts;
    ++open_count;
    ++stats.opened;
    return slot;
  }

  // Clears an incident slot for reuse, keeping its vectors' capacity.
  static void reset(Incident& inc) {
    inc.open = false;
    inc.closed_at = core::kNoTime;
    inc.resolved_at = core::kNoTime;
    inc.version = 0;
    inc.alerts_total = 0;
    inc.firing = 0;
    inc.flaps = 0;
    inc.severity = core::Severity::kNone;
    inc.members.clear();
    inc.services.clear();
    inc.nodes.clear();
    inc.changes.clear();
    inc.dimensions.clear();
    inc.merged_into = UINT32_MAX;
    inc.merged_ids.clear();
  }

  // An incident's services and nodes are searched linearly while few; one holding many (a
  // cluster-wide outage: hundreds of services, thousands of nodes) gets an index, so that a repeat
  // (bump_entity_alerts) costs the same whatever the incident's size.
  static constexpr std::size_t kEntityIndexFrom = 16;
  struct EntityIndex {
    std::unique_ptr<core::FlatMap<std::uint32_t>> map;  // kept across reuse of the slot
    std::vector<Sym> scopes;                            // the distinct clusters of its entities
    bool on = false;
  };
  static std::uint64_t entity_key(bool node, Sym e, Sym scope) {
    return (std::uint64_t{e} << 32 | scope) | (node ? std::uint64_t{1} << 63 : 0);
  }
  EntityIndex* entity_index_of(const Incident& inc) {
    const std::uint32_t slot = slot_of(inc);
    return slot < entity_index.size() && entity_index[slot].on ? &entity_index[slot] : nullptr;
  }
  const EntityIndex* entity_index_of(const Incident& inc) const {
    return const_cast<Impl*>(this)->entity_index_of(inc);
  }
  static void note_scope(EntityIndex& x, Sym scope) {
    if (std::find(x.scopes.begin(), x.scopes.end(), scope) == x.scopes.end())
      x.scopes.push_back(scope);
  }
  void index_entities(const Incident& inc) {
    const std::uint32_t slot = slot_of(inc);
    if (entity_index.size() <= slot) entity_index.resize(slot + 1);
    EntityIndex& x = entity_index[slot];
    if (!x.map) x.map = std::make_unique<core::FlatMap<std::uint32_t>>(64);
    x.map->clear();
    x.scopes.clear();
    x.on = true;
    for (bool node : {false, true}) {
      const std::vector<EntityStat>& v = node ? inc.nodes : inc.services;
      for (std::uint32_t i = 0; i < v.size(); ++i) {
        x.map->upsert(entity_key(node, v[i].entity, v[i].scope)) = i;
        note_scope(x, v[i].scope);
      }
    }
  }
  EntityStat* find_entity(Incident& inc, bool node, Sym e, Sym scope) {
    std::vector<EntityStat>& v = node ? inc.nodes : inc.services;
    if (const EntityIndex* x = entity_index_of(inc)) {
      const std::uint32_t* i = x->map->find(entity_key(node, e, scope));
      return i ? &v[*i] : nullptr;
    }
    for (EntityStat& s : v)
      if (s.entity == e && s.scope == scope) return &s;
    return nullptr;
  }
  EntityStat& entity(Incident& inc, bool node, Sym e, Sym scope, std::int64_t ts, bool* added) {
    if (EntityStat* s = find_entity(inc, node, e, scope)) {
      *added = false;
      return *s;
    }
    std::vector<EntityStat>& v = node ? inc.nodes : inc.services;
    EntityStat s;
    s.entity = e;
    s.scope = scope;
    s.first_ts = s.last_ts = ts;
    v.push_back(s);
    *added = true;
    if (EntityIndex* x = entity_index_of(inc)) {
      x->map->upsert(entity_key(node, e, scope)) = static_cast<std::uint32_t>(v.size() - 1);
      note_scope(*x, scope);
    } else if (inc.services.size() + inc.nodes.size() > kEntityIndexFrom)
      index_entities(inc);
    return v.back();
  }

  void join(std::uint32_t inc_slot, std::uint32_t member_slot, const AlertBatch& batch,
            const Alert& a) {
    Incident& inc = incidents[inc_slot];
    Member& m = members[member_slot];
    inc.members.push_back(member_slot);
    ++inc.alerts_total;
    if (a.ts_ms > inc.updated_at) inc.updated_at = a.ts_ms;
    if (a.ts_ms > inc.last_joined_at) inc.last_joined_at = a.ts_ms;
    if (a.ts_ms < inc.opened_at) inc.opened_at = a.ts_ms;
    if (m.status == core::Status::kFiring) {
      ++inc.firing;
      if (a.ts_ms > inc.last_firing_at) inc.last_firing_at = a.ts_ms;
    }
    if (m.severity > inc.severity) inc.severity = m.severity;
    bool new_entity = false;
    add_entities(inc, m, &new_entity);
    // Postings for identity and weak dimensions; bundle dimension counts.
    for (Role r : kPostedRoles) {
      const Sym v = m.roles[static_cast<std::size_t>(r)];
      if (v != 0) post(posted_key(r, v), inc_slot, +1);
    }
    const core::Label* labels = batch.labels_of(a);
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
      if (std::find(weak_syms.begin(), weak_syms.end(), labels[i].name) == weak_syms.end())
        continue;
      post(dim_key(labels[i].name, labels[i].value), inc_slot, +1);
      count_dimension(inc, labels[i].name, labels[i].value, 1);
    }
    learn_placement(m);
    if (new_entity) attach_changes(inc);
    schedule_close(inc_slot);
    listener.on_incident(inc,
                         inc.members.size() == 1 && inc.merged_ids.empty()
                             ? IncidentEvent::kOpened
                             : IncidentEvent::kUpdated,
                         now);
  }

  void add_entities(Incident& inc, const Member& m, bool* new_entity) {
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    const bool firing = m.status == core::Status::kFiring;
    for (auto [is_node, e] : {std::pair{false, service}, std::pair{true, node}}) {
      if (e == 0) continue;
      bool added = false;
      EntityStat& s = entity(inc, is_node, e, scope_of(m), m.first_ts, &added);
      *new_entity |= added;
      s.first_ts = std::min(s.first_ts, m.first_ts);
      s.last_ts = std::max(s.last_ts, m.last_ts);
      s.last_onset = std::max(s.last_onset, m.first_ts);
      s.alerts += m.count;
      ++s.fingerprints;
      if (!resource_name(m.roles[static_cast<std::size_t>(Role::kAlertname)])) ++s.symptoms;
      if (firing) ++s.firing;
      if (m.severity > s.max_severity) s.max_severity = m.severity;
    }
    if (node != 0) {
      bool added = false;
      EntityStat& n = entity(inc, true, node, scope_of(m), m.first_ts, &added);
      if (service == 0) {
        const bool says_down = firing && node_down_name(m);
        if (says_down) ++n.down_firing;
        if (++n.node_level >= 2 || says_down)
          note_node_down(inc, scope_of(m), node, n.first_ts, m.first_ts);
      } else if (n.first_service == 0) {
        n.first_service = service;
      } else if (n.first_service != service) {
        n.many_services = true;
      }
    }
  }

  // Calls f(stat) for the member's service and node in its incident.
  template <class F>
  void for_member_entities(Incident& inc, const Member& m, F&& f) {
    for (auto [is_node, e] : {std::pair{false, m.roles[static_cast<std::size_t>(Role::kService)]},
                              std::pair{true, m.roles[static_cast<std::size_t>(Role::kNode)]}})
      if (e != 0)
        if (EntityStat* s = find_entity(inc, is_node, e, scope_of(m))) f(*s);
  }
  void bump_entity_alerts(Incident& inc, const Member& m) {
    for_member_entities(inc, m, [&](EntityStat& s) {
      ++s.alerts;
      s.last_ts = std::max(s.last_ts, m.last_ts);
    });
  }
  void entity_firing(Incident& inc, const Member& m, int delta) {
    for_member_entities(inc, m, [&](EntityStat& s) {
      s.firing = static_cast<std::uint32_t>(static_cast<int>(s.firing) + delta);
    });
    if (m.roles[static_cast<std::size_t>(Role::kService)] == 0 && node_down_name(m))
      if (EntityStat* n =
              find_entity(inc, true, m.roles[static_cast<std::size_t>(Role::kNode)], scope_of(m)))
        n->down_firing = static_cast<std::uint32_t>(static_cast<int>(n->down_firing) + delta);
  }
  // A member on a node whose alertname says something is down (callers ask it of node-level
  // members only: then it is the node).
  [[nodiscard]] bool node_down_name(const Member& m) {
    return m.roles[static_cast<std::size_t>(Role::kNode)] != 0 &&
           (alertname_kinds.of(m.roles[static_cast<std::size_t>(Role::kAlertname)], interner) &
            core::AlertnameKinds::kDown) != 0;
  }

  void count_dimension(Incident& inc, Sym name, Sym value, std::uint32_t n) {
    for (auto& d : inc.dimensions)
      if (d.name == name && d.value == value) {
        d.alerts += n;
        return;
      }
    if (inc.dimensions.size() < cfg.max_dimensions) inc.dimensions.push_back({name, value, n});
  }

  void post(std::uint64_t key, std::uint32_t inc_slot, int delta) {
    Posting* shared = postings.find(key);
    if (shared == nullptr) {
      if (delta > 0) {
        bool inserted = false;
        SinglePosting& one = single_postings.upsert(key, &inserted);
        if (inserted && inc_slot <= SinglePosting::kMaxSlot) {
          one.set(inc_slot, 1);
          return;
        }
        if (!inserted && one.slot() == inc_slot && one.count() < SinglePosting::kMaxCount) {
          one.set(inc_slot, one.count() + 1);
          return;
        }
        // A second incident, or past what a single posting holds: promote to a Posting.
        Posting p;
        if (!inserted) {
          p.active = one.count();
          p.first[0] = {one.slot(), one.count()};
          p.set_n(1);
        }
        single_postings.erase(key);
        ++p.active;
        if (p.n() == 1 && p.first[0].first == inc_slot) {
          ++p.first[0].second;
        } else {
          p.first[p.n()] = {inc_slot, 1u};
          p.set_n(p.n() + 1);
        }
        postings.upsert(key) = p;
        return;
      }
      SinglePosting* one = single_postings.find(key);
      if (one == nullptr) return;
      if (one->count() == 1) {
        single_postings.erase(key);
      } else {
        one->set(one->slot(), one->count() - 1);
      }
      return;
    }
    Posting& p = *shared;
    Posting::Entry* e = nullptr;
    for (std::uint32_t i = 0; i < p.n() && !e; ++i)
      if (p.first[i].first == inc_slot) e = &p.first[i];
    std::vector<Posting::Entry>* more = p.spill() != 0 ? &spills[p.spill() - 1] : nullptr;
    if (!e && more)
      if (const std::uint32_t* at = spill_pos.find(spill_key(p.spill(), inc_slot));
          at != nullptr && *at < more->size() && (*more)[*at].first == inc_slot)
        e = &(*more)[*at];
    if (delta > 0) {
      ++p.active;
      if (e) {
        ++e->second;
      } else if (p.n() < p.first.size()) {
        p.first[p.n()] = {inc_slot, 1u};
        p.set_n(p.n() + 1);
      } else {
        if (!more) {
          if (free_spills.empty()) {
            spills.emplace_back();
            free_spills.push_back(static_cast<std::uint32_t>(spills.size()));
          }
          p.set_spill(free_spills.back());
          free_spills.pop_back();
          more = &spills[p.spill() - 1];
        }
        spill_pos.upsert(spill_key(p.spill(), inc_slot)) = static_cast<std::uint32_t>(more->size());
        more->emplace_back(inc_slot, 1u);
      }
      return;
    }
    --p.active;
    if (e && --e->second == 0) {
      // Fill the hole: from the spill list when there is one, else with the last inline entry.
      if (e >= p.first.data() && e < p.first.data() + p.n()) {
        if (more && !more->empty()) {
          *e = more->back();
          spill_pos.erase(spill_key(p.spill(), e->first));
          more->pop_back();
        } else {
          p.set_n(p.n() - 1);
          *e = p.first[p.n()];
        }
      } else {
        spill_pos.erase(spill_key(p.spill(), e->first));
        const auto at = static_cast<std::uint32_t>(e - more->data());
        *e = more->back();
        more->pop_back();
        if (at < more->size()) spill_pos.upsert(spill_key(p.spill(), e->first)) = at;
      }
      if (more && more->empty()) {
        free_spills.push_back(p.spill());  // keeps its capacity for the next spill
        p.set_spill(0);
      }
    }
    if (p.active == 0) {
      if (p.spill() != 0) {
        for (const auto& x : spills[p.spill() - 1]) spill_pos.erase(spill_key(p.spill(), x.first));
        spills[p.spill() - 1].clear();
        free_spills.push_back(p.spill());
      }
      postings.erase(key);
    }
  }

  // An `instance` is identity evidence only while it names one thing. Alerts computed from an
  // exporter's metrics carry the exporter's address (kube-state-metrics reports every pod of the
  // cluster under its own `instance`), which would tie unrelated pods together: once one instance
  // has been seen with two services, pods or nodes, it is no longer read as identity.
  bool shared_instance(const Member& m) {
    const Sym instance = m.roles[static_cast<std::size_t>(Role::kInstance)];
    if (instance == 0) return false;
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Sym pod = m.roles[static_cast<std::size_t>(Role::kPod)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    InstanceSeen* seen = instances.find(instance);
    if (seen == nullptr) {
      if (service == 0 && pod == 0 && node == 0) return false;  // a probe: names its target
      if (instances.size() >= kMaxLearnedPods) instances.clear();
      seen = &instances.upsert(instance);
    }
    if (seen->shared) return true;
    // A pod rescheduled to another node keeps its name (a StatefulSet's): only a pod-less alert's
    // node counts.
    for (auto [have, v] : {std::pair{&seen->service, service}, std::pair{&seen->pod, pod},
                           std::pair{&seen->node, pod == 0 ? node : Sym{0}}}) {
      if (v == 0) continue;
      if (*have == 0) {
        *have = v;
      } else if (*have != v) {
        seen->shared = true;
      }
    }
    return seen->shared;
  }

  // service <-> node placement, learned from alerts that carry both.
  void learn_placement(const Member& m) {
    const Sym service = m.roles[static_cast<std::size_t>(Role::kService)];
    const Sym node = m.roles[static_cast<std::size_t>(Role::kNode)];
    const Sym pod = m.roles[static_cast<std::size_t>(Role::kPod)];
    // Pods churn: what is learned about them is forgotten wholesale past a bound, so state never
    // grows with the number of pods ever seen.
    if (pod_service.size() >= kMaxLearnedPods) pod_service.clear();
    if (pod_node.size() >= kMaxLearnedPods) pod_node.clear();
    if (service != 0 && pod != 0) pod_service.upsert(pod) = service;
    if (node != 0 && pod != 0) pod_node.upsert(pod) = node;
    if (service == 0 || node == 0) return;
    auto add = [](std::vector<Sym>& v, Sym s) {
      if (std::find(v.begin(), v.end(), s) == v.end()) {
        // Bounded: the most recent placements matter; drop the oldest.
        if (v.size() >= 32) v.erase(v.begin());
        v.push_back(s);
      }
    };
    add(service_nodes.upsert(service), node);
    add(node_services.upsert(node), service);
  }

  void on_change(const AlertBatch& batch, const Alert& a) {
    ++stats.changes;
    core::ChangeRef c;
    c.ts = a.ts_ms;
    std::array<Sym, core::kRoles> roles{};
    extract_roles(batch, a, roles);
    c.service = roles[static_cast<std::size_t>(Role::kService)];
    c.change_type = roles[static_cast<std::size_t>(Role::kChangeType)];
    c.deploy = roles[static_cast<std::size_t>(Role::kDeploy)];
    c.id = std::string(batch.str(a.id));
    for (std::uint32_t i = 0; i < a.annotations_count; ++i) {
      const core::Annotation& an = batch.annotations_of(a)[i];
      if (batch.str(an.name) == "summary")
        c.summary = std::string(batch.str(an.value).substr(0, 256));
    }
    if (c.summary.empty()) {
      c.summary = std::string(c.change_type != 0 ? interner.view(c.change_type) : "change");
      if (c.deploy != 0) {
        c.summary += " ";
        c.summary += interner.view(c.deploy);
      } else if (c.service != 0) {
        c.summary += " ";
        c.summary += interner.view(c.service);
      }
    }
    // Recent changes, pruned by age.
    while (!recent_changes.empty() && recent_changes.front().ts < a.ts_ms - cfg.change_lead_ms)
      recent_changes.erase(recent_changes.begin());
    recent_changes.push_back(c);
    // A change during an open incident that touches it links right away.
    for (std::uint32_t slot = 0; slot < incidents.size(); ++slot) {
      Incident& inc = incidents[slot];
      if (!inc.open) continue;
      if (touches(c, inc) && attach(inc, c))
        listener.on_incident(inc, IncidentEvent::kUpdated, now);
    }
  }

  // A change touches an incident when its service is one of the incident's, or a direct dependency
  // of one (a bad deploy of a callee shows up in its callers).
  [[nodiscard]] bool touches(const core::ChangeRef& c, const Incident& inc) const {
    if (c.service == 0) return false;
    for (const EntityStat& s : inc.services) {
      if (s.entity == c.service) return true;
      if (topo->downstream_hops(s.entity, c.service) == 1) return true;
    }
    return false;
  }

  bool attach(Incident& inc, const core::ChangeRef& c) {
    if (c.ts < inc.opened_at - cfg.change_lead_ms) return false;
    for (const auto& existing : inc.changes)
      if (existing.id == c.id && existing.ts == c.ts) return false;
    if (inc.changes.size() >= 16) return false;
    inc.changes.push_back(c);
    return true;
  }

  void attach_changes(Incident& inc) {
    for (const core::ChangeRef& c : recent_changes)
      if (touches(c, inc)) attach(inc, c);
  }

  void merge(std::uint32_t from_slot, std::uint32_t into_slot) {
    Incident& from = incidents[from_slot];
    Incident& into = incidents[into_slot];
    ++stats.merged;
    if (went_down_slot == from_slot) went_down_slot = into_slot;
    move_zone_homes(from, into);
    for (std::uint32_t ms : from.members) {
      Member& m = members[ms];
      m.incident = into_slot;
      into.members.push_back(ms);
      bool new_entity = false;
      add_entities(into, m, &new_entity);
      for (Role r : kPostedRoles) {
        const Sym v = m.roles[static_cast<std::size_t>(r)];
        if (v == 0) continue;
        post(posted_key(r, v), from_slot, -1);
        post(posted_key(r, v), into_slot, +1);
      }
      for (const core::Label& l : members.labels(m)) {
        if (std::find(weak_syms.begin(), weak_syms.end(), l.name) == weak_syms.end()) continue;
        post(dim_key(l.name, l.value), from_slot, -1);
        post(dim_key(l.name, l.value), into_slot, +1);
      }
    }
    for (const auto& d : from.dimensions) count_dimension(into, d.name, d.value, d.alerts);
    into.alerts_total += from.alerts_total;
    into.firing += from.firing;
    into.opened_at = std::min(into.opened_at, from.opened_at);
    into.updated_at = std::max(into.updated_at, from.updated_at);
    into.last_joined_at = std::max(into.last_joined_at, from.last_joined_at);
    into.last_firing_at = std::max(into.last_firing_at, from.last_firing_at);
    into.severity = std::max(into.severity, from.severity);
    into.flaps += from.flaps;
    for (const auto& c : from.changes) attach(into, c);
    attach_changes(into);
    into.merged_ids.push_back(from.id);
    for (auto& id : from.merged_ids) into.merged_ids.push_back(id);
    from.merged_into = into_slot;
    from.open = false;
    --open_count;
    listener.on_merged(from, into);
    listener.on_incident(into, IncidentEvent::kUpdated, now);
    from.members.clear();
    free_incidents.push_back(from_slot);
    schedule_close(into_slot);
  }

  [[nodiscard]] std::int64_t deadline_of(const Incident& inc) const {
    const std::int64_t quiet = inc.last_firing_at + cfg.quiet_period_ms;
    // A flapping incident's "all resolved" is not trusted: it will likely fire again, so only the
    // quiet period closes it (otherwise each off-phase longer than the grace splits it in two).
    if (inc.firing > 0 || inc.flaps > 0) return quiet;
    const std::int64_t resolved =
        inc.resolved_at != core::kNoTime ? inc.resolved_at : inc.updated_at;
    return std::min(quiet, std::max(resolved, inc.updated_at) + cfg.resolve_grace_ms);
  }

  // One live heap entry per incident is enough while deadlines only move later (repeats): the
  // entry is re-queued when popped early. A deadline that moved earlier gets a new entry.
  void schedule_close(std::uint32_t slot) {
    const Incident& inc = incidents[slot];
    const std::int64_t due = deadline_of(inc);
    if (queued_close.size() <= slot) queued_close.resize(slot + 1, {0, INT64_MAX});
    auto& [number, at] = queued_close[slot];
    if (number == inc.number && at <= due) return;
    number = inc.number;
    at = due;
    deadlines.push(Deadline{due, inc.number, slot});
  }

  // Closes incidents whose deadline is <= t, in deadline order. Deadlines move (repeats push the
  // quiet period out, resolution pulls it in), so a popped entry is checked against the current
  // deadline and re-queued when they differ.
  void close_due(std::int64_t t) {
    while (!deadlines.empty() && deadlines.top().at <= t) {
      const Deadline d = deadlines.top();
      deadlines.pop();
      Incident& inc = incidents[d.slot];
      if (!inc.open || inc.number != d.number) continue;  // stale entry
      const std::int64_t due = deadline_of(inc);
      if (due != d.at) {
        deadlines.push(Deadline{due, inc.number, d.slot});
        queued_close[d.slot] = {inc.number, due};
        continue;
      }
      close(d.slot, due);
    }
  }

  void close(std::uint32_t slot, std::int64_t at) {
    Incident& inc = incidents[slot];
    inc.open = false;
    inc.closed_at = at;
    --open_count;
    ++stats.closed;
    listener.on_incident(inc, IncidentEvent::kClosed, std::max(now, at));
    for (std::uint32_t ms : inc.members) {
      const Member& m = members[ms];
      for (Role r : kPostedRoles) {
        const Sym v = m.roles[static_cast<std::size_t>(r)];
        if (v != 0) post(posted_key(r, v), slot, -1);
      }
      for (const core::Label& l : members.labels(m))
        if (std::find(weak_syms.begin(), weak_syms.end(), l.name) != weak_syms.end())
          post(dim_key(l.name, l.value), slot, -1);
      by_fp.erase(m.fingerprint, ms);
      // Not at the end of input (finish() closes everything at INT64_MAX): nothing can follow.
      if (cfg.closed_memory_ms > 0 && now != INT64_MAX)
        remember_closed(m.fingerprint, at + cfg.closed_memory_ms, inc.number);
      members.release(ms);
    }
    inc.members.clear();
    free_incidents.push_back(slot);
  }

  Config cfg;
  std::shared_ptr<const core::Topology> topo;
  core::Interner& interner;
  Listener& listener;
  std::uint32_t shard;
  std::array<Sym, core::kRoles> role_sym{};  // canonical name of each role (posting keys)
  std::array<std::vector<Sym>, core::kRoles> role_aliases;
  struct AliasRole {  // a label name that is an alias of a role, at that alias's priority
    Sym name;
    std::uint8_t role;
    std::uint8_t rank;
    auto operator<=>(const AliasRole&) const = default;
  };
  std::vector<AliasRole> alias_roles;  // sorted
  std::vector<Sym> weak_syms;

  core::MemberTable members;
  std::vector<EntityIndex> entity_index;  // by incident slot (see entity())
  core::FingerprintIndex by_fp{4096};
  struct ClosedFp {
    core::Fingerprint fp;
    std::int64_t until;
    std::uint64_t number;
  };
  std::unique_ptr<ClosedFp[]> closed_ring;  // closed_cap entries, allocated at the first close
  std::size_t closed_cap = 0;
  std::uint64_t closed_head = 0;  // oldest entry (a position; the ring index is & (cap - 1))
  std::uint64_t closed_tail = 0;  // one past the newest
  core::FingerprintIndex closed_by_fp{1024};
  core::FlatMap<Posting> postings{4096};               // values held by two incidents or more
  core::FlatMap<SinglePosting> single_postings{4096};  // values held by one
  mutable Posting posting_view;                        // find_posting's view of a single
  std::vector<std::vector<Posting::Entry>> spills;     // postings' entries past the inline two
  std::vector<std::uint32_t> free_spills;              // 1 + index of a spill list not in use
  core::FlatMap<std::uint32_t> spill_pos{1024};  // (spill list, incident slot) -> position in it
  core::FlatMap<std::vector<Sym>, Sym> service_nodes{256};
  core::FlatMap<std::vector<Sym>, Sym> node_services{256};
  // Services seen alerting -> the cluster they alerted in (kManyClusters: several).
  core::FlatMap<Sym, Sym> seen_services{256};
  std::size_t multi_cluster_services = 0;
  std::vector<std::pair<Sym, std::size_t>> cluster_services;  // topology services seen, per cluster
  core::FlatMap<Sym, Sym> pod_service{1024};                  // pod -> service, learned from labels
  core::FlatMap<Sym, Sym> pod_node{1024};                     // pod -> node, learned from labels
  struct InstanceSeen {
    Sym service = 0;
    Sym pod = 0;
    Sym node = 0;
    bool shared = false;  // seen with two services, pods or nodes: an exporter's address
  };
  core::FlatMap<InstanceSeen, Sym> instances{1024};
  // Service-label value -> the workload its pods' names named (kManyWorkloads: two).
  core::FlatMap<Sym, Sym> label_workloads{256};
  static constexpr Sym kManyWorkloads = UINT32_MAX;
  core::FlatMap<std::vector<Sym>, Sym> learned_calls{256};    // service -> upstreams it named
  core::FlatMap<std::vector<Sym>, Sym> learned_callers{256};  // upstream -> services naming it
  std::vector<Incident> incidents;
  std::vector<std::uint32_t> free_incidents;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines;
  std::vector<std::pair<std::uint64_t, std::int64_t>>
      queued_close;  // per slot: (number, earliest entry)
  std::vector<core::ChangeRef> recent_changes;
  std::vector<std::uint32_t> candidates;
  std::vector<std::uint32_t> candidate_stamp;  // by incident slot: candidate_epoch when considered
  // By incident slot: a burst pod or service it holds, for the candidate_epoch that stamped it.
  struct BurstReach {
    std::vector<std::uint32_t> stamp;
    std::vector<Sym> by;
    void resize(std::size_t n) {
      stamp.resize(n, 0);
      by.resize(n, 0);
    }
    void clear_stamps() { std::fill(stamp.begin(), stamp.end(), 0); }
    void note(std::uint32_t slot, std::uint32_t epoch, Sym v) {
      if (stamp[slot] == epoch) return;
      stamp[slot] = epoch;
      by[slot] = v;
    }
    [[nodiscard]] Sym via(std::uint32_t slot, std::uint32_t epoch) const {
      return slot < stamp.size() && stamp[slot] == epoch ? by[slot] : 0;
    }
  };
  static constexpr std::size_t kPodReach = 0;
  static constexpr std::size_t kServiceReach = 1;
  static constexpr std::size_t kNameReach = 2;
  std::array<BurstReach, 3> burst_reach;
  std::uint32_t candidate_epoch = 0;
  std::uint32_t merge_with = kNone;

  Sym zone_posting = 0;
  core::FlatMap<std::uint8_t, Sym> known_zones{64};  // zone values seen in zone labels
  core::FlatMap<std::uint8_t, Sym> seen_nodes{256};  // nodes seen in a node label
  core::FlatMap<Sym, Sym> node_zone{1024};           // node -> zone, learned from labels
  core::FlatMap<ZoneBurst> zone_bursts{64};          // (cluster, zone) -> its burst
  core::FlatMap<std::uint32_t> zone_entities{1024};  // (cluster, zone, entity) -> onsets
  core::FlatMap<std::uint32_t> node_bursts{256};     // (cluster, zone, node) -> services
  core::FlatMap<std::uint32_t> zone_homes{256};      // (cluster, zone, incident number) -> onsets
  core::FlatMap<std::uint32_t> cluster_zone_services{16};  // cluster -> sum of bursts' services
  std::vector<ZoneOnset> zone_onsets;  // within the zone window, oldest first from zone_head
  std::size_t zone_head = 0;
  const ZoneBurst* burst = nullptr;  // the new alert's zone burst, while it is being linked
  struct NodeDown {
    std::int64_t since;  // its first alert in the incident, at most hop_delay before going down
    std::int64_t until;  // hop_delay after the alert that showed it going down
    Sym cluster;
    Sym node;
  };
  std::vector<NodeDown> nodes_down;  // nodes that went down within hop_delay of the watermark
  NodeDown went_down{};              // the node that went down while admitting the current alert
  std::uint32_t went_down_slot = 0;  // its incident
  bool node_went_down = false;
  Sym down_node = 0;           // the new unplaced pod alert's node going down, while linking
  bool down_labelled = false;  // and that alert names its service
  struct UnplacedPod {
    std::int64_t ts;
    Sym cluster;
    Sym service;
    Sym pod;  // its latest firing unplaced pod alert's
    [[nodiscard]] std::uint64_t key() const { return core::hash_pair(cluster, service); }
  };
  bool pod_burst = false;   // the new alert's pod fails in a burst of unplaced pods (no node down)
  bool down_burst = false;  // ... in such a burst, with down_node going down
  struct SvcOnset {
    std::int64_t ts;
    Sym cluster;
    Sym service;
    [[nodiscard]] std::uint64_t key() const { return core::hash_pair(cluster, service); }
  };
  struct NameOnset {
    std::int64_t ts;
    Sym cluster;
    Sym service;
    Sym alertname;
    [[nodiscard]] std::uint64_t key() const {
      return core::hash_pair(core::hash_pair(cluster, alertname), service);
    }
  };
  std::vector<NameOnset> name_onsets;           // see note_name_onset
  core::FlatMap<std::uint32_t> name_index{64};  // NameOnset::key() -> 1 + its position
  std::int64_t names_pruned = INT64_MIN;
  core::AlertnameKinds alertname_kinds;
  core::FlatMap<std::uint8_t> exporter_labels{64};  // label value -> exporter_kind
  bool resource_name(Sym name) {
    return (alertname_kinds.of(name, interner) & core::AlertnameKinds::kResource) != 0;
  }
  bool resource_alert = false;       // the new alert's name is about its workload's own resources
  bool name_burst = false;           // the new alert's service fires its alertname in a name burst
  std::vector<SvcOnset> svc_onsets;  // services' first firing alerts, in the last 2 burst windows
  core::FlatMap<std::uint32_t> onset_index{64};  // (cluster, service) -> 1 + its position
  std::int64_t onsets_pruned = INT64_MIN;
  bool service_burst = false;              // the new alert's service starts in a service burst
  std::vector<UnplacedPod> unplaced_pods;  // pod alerts with no known node, within kPodBurstMs
  core::FlatMap<std::uint32_t> unplaced_index{64};  // (cluster, service) -> 1 + its position
  std::int64_t unplaced_pruned = INT64_MIN;
  std::vector<std::uint32_t> absorb;

  AlertBatch pending;  // the reorder buffer
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> heap;
  std::size_t consumed = 0;
  std::vector<Pending> compact_items;
  std::vector<std::uint32_t> compact_keep;

  std::int64_t max_ts = INT64_MIN / 2;
  std::int64_t now = INT64_MIN / 2;
  std::int64_t last_tick = INT64_MIN / 2;
  std::uint64_t next_number = 0;
  std::size_t open_count = 0;
  Stats stats;
};

Correlator::Correlator(const Config& config, std::shared_ptr<const core::Topology> topology,
                       core::Interner& interner, Listener& listener, std::uint32_t shard)
    : impl_(std::make_unique<Impl>(config, std::move(topology), interner, listener, shard)) {}

Correlator::~Correlator() = default;

void Correlator::prefetch(const core::Alert& alert) const {
  // With a reorder buffer the alert is processed later, from the buffer (drain() prefetches).
  if (impl_->cfg.allowed_lateness_ms == 0) impl_->by_fp.prefetch(alert.fingerprint);
}

void Correlator::prefetch_member(const core::Alert& alert) const {
  if (impl_->cfg.allowed_lateness_ms == 0) impl_->prefetch_member(alert.fingerprint);
}

void Correlator::add(const AlertBatch& batch, const Alert& alert, std::uint64_t seq) {
  impl_->add(batch, alert, seq);
}
void Correlator::advance_to(std::int64_t event_ms) { impl_->advance_to(event_ms); }
void Correlator::finish() { impl_->finish(); }
void Correlator::set_topology(std::shared_ptr<const core::Topology> topology) {
  impl_->topo = topology ? std::move(topology) : std::make_shared<core::Topology>();
  impl_->recount_clusters();
}
const Stats& Correlator::stats() const { return impl_->stats; }
std::size_t Correlator::open_incidents() const { return impl_->open_count; }
std::size_t Correlator::active_members() const { return impl_->members.live(); }
std::string Correlator::check_index() const { return impl_->check_index(); }
const core::MemberTable& Correlator::members() const { return impl_->members; }
const core::Incident* Correlator::incident(std::uint32_t slot) const {
  if (slot >= impl_->incidents.size() || !impl_->incidents[slot].open) return nullptr;
  return &impl_->incidents[slot];
}
const core::Topology& Correlator::topology() const { return *impl_->topo; }
std::int64_t Correlator::watermark() const { return impl_->now; }
std::int64_t Correlator::max_event_time() const {
  return impl_->max_ts == INT64_MIN / 2 ? core::kNoTime : impl_->max_ts;
}
std::size_t Correlator::bytes_reserved() const {
  std::size_t indexes = impl_->entity_index.capacity() * sizeof(Impl::EntityIndex);
  for (const Impl::EntityIndex& x : impl_->entity_index)
    if (x.map) indexes += x.map->bytes_reserved();
  return indexes + impl_->members.bytes_reserved() + impl_->by_fp.bytes_reserved() +
         impl_->postings.bytes_reserved() + impl_->single_postings.bytes_reserved() +
         impl_->pod_service.bytes_reserved() + impl_->pod_node.bytes_reserved() +
         impl_->instances.bytes_reserved() + impl_->node_zone.bytes_reserved() +
         impl_->seen_nodes.bytes_reserved() + impl_->seen_services.bytes_reserved() +
         impl_->label_workloads.bytes_reserved() + impl_->closed_cap * sizeof(Impl::ClosedFp) +
         impl_->closed_by_fp.bytes_reserved() + impl_->incidents.capacity() * sizeof(Incident) +
         impl_->pending.arena.capacity() + impl_->pending.labels.capacity() * sizeof(core::Label) +
         impl_->pending.alerts.capacity() * sizeof(Alert);
}

}  // namespace squall::correlate
