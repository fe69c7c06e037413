#include "engine/rca/ranker.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace squall::rca {
namespace {

using core::ChangeRef;
using core::EntityStat;
using core::Role;
using core::Severity;
using core::Sym;

// Time scales are those of alerting pipelines in general (scrape and rule-evaluation intervals of
// 15-60 s, `for:` clauses of minutes, deploys rolling out over minutes), not of one storm
// generator.
constexpr std::int64_t kLeaderMs =
    20'000;                             // a service this far ahead of the rest on a node leads it
constexpr double kOnsetTauMs = 60'000;  // onset closeness: 1 / (1 + gap / tau)
constexpr double kChangeTauMs = 5 * 60'000;   // change closeness: 1 / (1 + lead / tau)
constexpr std::int64_t kSlackMs = 10'000;     // onsets this close are simultaneous (eval jitter)
constexpr std::int64_t kSyncMs = 2 * 60'000;  // a node's services failing within this of each other

// Feature weights; each family sums to 1 so scores stay in [0, 1]. A node needs breadth (several
// services alerting mostly on it, together) to outrank the services on it; a service needs onset
// plus either topology (dependents alerting after it) or a preceding change to rank first.
constexpr double kSvcOnset = 0.30;
constexpr double kSvcTopology = 0.25;
constexpr double kSvcDeepest = 0.10;
constexpr double kSvcChange = 0.25;
constexpr double kSvcSeverity = 0.10;
constexpr double kNodeOnset = 0.30;
constexpr double kNodeBreadth = 0.45;
constexpr double kNodeDirect = 0.15;
constexpr double kNodeSeverity = 0.10;
// A zone: how many services fail in it (and how much of the incident that is), zone-level alerts.
constexpr double kZoneOnset = 0.30;
constexpr double kZoneBreadth = 0.45;
constexpr double kZoneDirect = 0.15;
constexpr double kZoneSeverity = 0.10;
// A zone is a candidate only when this many services alert in it, on more than one node, and
// they are most of the incident's services that say a zone.
constexpr std::uint32_t kZoneMinServices = 3;
constexpr double kZoneMinShare = 0.6;
// A change on a service that does not alert itself: only its timing and its alerting dependents.
constexpr double kChangeTiming = 0.35;
constexpr double kChangeTopology = 0.35;
constexpr double kChangeDependents = 3.0;  // alerting dependents for full topology weight

// A service that does not alert but that alerting services with no alerting callee call (see
// rank_silent): shared by two or more of them, kSilentShared + kSilentShare * (their share of the
// unexplained services) times the best of their scores (above them when it is most of them); the
// callee of one, kSilentSingle times that caller's score over its silent callees.
constexpr double kSilentShared = 0.8;
constexpr double kSilentShare = 0.25;
constexpr double kSilentSingle = 0.25;
// A silent caller of an unexplained service that no alerting service calls: this times that
// service's score over its callers (0.2 took fi mixed's AC@3 0.91 -> 0.89).
constexpr double kSilentCaller = 0.1;

// A change after the incident had begun can still explain a later part of it, but less likely.
constexpr double kChangeAfterOnset = 0.5;
constexpr double kChangeOnlyAfterOnset = 0.3;
// A change this shortly before its own service starts alerting explains that service whenever the
// incident began: a deploy rarely lands by chance within a minute of the first alert.
constexpr std::int64_t kPromptMs = 60'000;
// How much a service on a node counts towards the node's breadth when an earlier alerting service
// it calls explains it: off the node (the node is not needed to explain it), or on the node but
// clearly earlier (propagation, not a simultaneous failure).
constexpr double kExplainedOffNode = 0.3;
constexpr double kExplainedOnNode = 0.6;

constexpr std::size_t idx(Role r) { return static_cast<std::size_t>(r); }

std::uint64_t entity_key(Sym entity, Sym scope) {
  return (static_cast<std::uint64_t>(entity) << 32) | scope;
}

double severity_score(Severity s) {
  return static_cast<double>(s) / static_cast<double>(Severity::kCritical);
}

double round3(double x) { return std::round(std::clamp(x, 0.0, 1.0) * 1000.0) / 1000.0; }

double closeness(std::int64_t gap_ms, double tau_ms) {
  return 1.0 / (1.0 + static_cast<double>(std::max<std::int64_t>(gap_ms, 0)) / tau_ms);
}

// "45s", "3m", "2h5m": reasons are read by people and by a drafter's grounding check.
std::string duration(std::int64_t ms) {
  const std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
  if (s < 120) return fmt::format("{}s", s);
  const std::int64_t m = (s + 30) / 60;
  if (m < 90) return fmt::format("{}m", m);
  return fmt::format("{}h{}m", m / 60, m % 60);
}

std::string change_text(const ChangeRef& c, const core::Interner& in) {
  if (!c.summary.empty()) return c.summary;
  const std::string_view type = c.change_type ? in.view(c.change_type) : "change";
  const std::string_view what = c.deploy ? in.view(c.deploy) : in.view(c.service);
  return fmt::format("{} {}", type, what);
}

}  // namespace

void RootCauseRanker::pick(std::vector<Pick>& picks, Pick p) const {
  if (config_.max_evidence == 0) return;
  auto before = [](const Pick& a, const Pick& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.order < b.order;
  };
  if (picks.size() == config_.max_evidence && !before(p, picks.back())) return;
  picks.insert(std::upper_bound(picks.begin(), picks.end(), p, before), p);
  if (picks.size() > config_.max_evidence) picks.pop_back();
}

void RootCauseRanker::add_evidence(Hypothesis& h, const std::vector<Pick>& picks,
                                   const core::MemberTable& members) const {
  for (const Pick& p : picks) {
    if (h.evidence.size() >= config_.max_evidence) break;
    core::MemberTable::IdBuf buf;
    h.evidence.emplace_back(members.id(members[p.slot], buf));
  }
}

void RootCauseRanker::gather(const core::Incident& incident, const core::MemberTable& members,
                             const core::Interner& interner) {
  auto reset = [](std::vector<Facts>& facts, std::size_t n) {
    facts.resize(n);
    for (Facts& f : facts) {
      f.node_members = f.node_only = f.services = 0;
      f.node_only_first_ts = 0;
      f.node_only_alertname = 0;
      f.node_only_any = 0;
      f.going_down = f.burst = false;
      f.members = f.backlog = 0;
      f.picks.clear();  // keeps its capacity
      f.n_zones = 0;
      f.spread = false;
    }
  };
  svc_index_.clear();
  node_index_.clear();
  pair_events_.clear();
  pairs_.clear();
  for (std::size_t i = 0; i < incident.services.size(); ++i) {
    const EntityStat& e = incident.services[i];
    svc_index_.emplace_back(entity_key(e.entity, e.scope), static_cast<std::uint32_t>(i));
  }
  for (std::size_t j = 0; j < incident.nodes.size(); ++j) {
    const EntityStat& e = incident.nodes[j];
    node_index_.emplace_back(entity_key(e.entity, e.scope), static_cast<std::uint32_t>(j));
  }
  std::sort(svc_index_.begin(), svc_index_.end());
  std::sort(node_index_.begin(), node_index_.end());
  constexpr std::uint32_t kAbsent = UINT32_MAX;
  auto lookup = [](const std::vector<std::pair<std::uint64_t, std::uint32_t>>& index,
                   std::uint64_t key) {
    auto it = std::lower_bound(index.begin(), index.end(), key,
                               [](const auto& e, std::uint64_t k) { return e.first < k; });
    return it != index.end() && it->first == key ? it->second : kAbsent;
  };
  reset(svc_facts_, incident.services.size());
  reset(node_facts_, incident.nodes.size());
  zone_facts_.clear();
  auto add_zone = [](Facts& f, Sym z) {
    if (f.spread) return;
    for (std::uint8_t k = 0; k < f.n_zones; ++k)
      if (f.zones[k] == z) return;
    if (f.n_zones == f.zones.size()) {
      f.spread = true;  // in more zones than a zone fault explains
      f.n_zones = 0;
      return;
    }
    f.zones[f.n_zones++] = z;
  };

  for (std::size_t order = 0; order < incident.members.size(); ++order) {
    const std::uint32_t slot = incident.members[order];
    const core::Member& m = members[slot];
    const Sym s = m.roles[idx(Role::kService)];
    const Sym n = m.roles[idx(Role::kNode)];
    const Sym scope = m.roles[idx(Role::kCluster)];
    const Pick p{m.first_ts, static_cast<std::uint32_t>(order), slot};
    const std::uint32_t si = s ? lookup(svc_index_, entity_key(s, scope)) : kAbsent;
    const std::uint32_t ni = n ? lookup(node_index_, entity_key(n, scope)) : kAbsent;
    if (const Sym z = m.roles[idx(Role::kZone)]; z != 0) {
      note_zone(m, p, s != 0 || n != 0);
      if (si != kAbsent) add_zone(svc_facts_[si], z);
      if (ni != kAbsent) add_zone(node_facts_[ni], z);
    }
    if (si != kAbsent) {
      Facts& f = svc_facts_[si];
      pick(f.picks, p);
      ++f.members;
      if (alertname_kinds_.of(m.roles[idx(Role::kAlertname)], interner) &
          core::AlertnameKinds::kBacklog)
        ++f.backlog;
      if (n) ++f.node_members;
      f.burst = f.burst || m.reason == core::JoinReason::kNodeDown ||
                m.reason == core::JoinReason::kPodBurst ||
                m.reason == core::JoinReason::kServiceBurst;
    }
    if (ni == kAbsent) continue;
    Facts& nf = node_facts_[ni];
    pick(nf.picks, p);
    if (si != kAbsent) {
      pair_events_.emplace_back((static_cast<std::uint64_t>(ni) << 32) | si, m.first_ts);
    } else {
      // A node-level alert (NodeDown, kubelet, disk): evidence about the node itself.
      if (nf.node_only == 0 || m.first_ts < nf.node_only_first_ts) {
        nf.node_only_first_ts = m.first_ts;
        nf.node_only_alertname = m.roles[idx(Role::kAlertname)];
      }
      ++nf.node_only;
      const Sym name = m.roles[idx(Role::kAlertname)];
      if (nf.node_only_any == 0) nf.node_only_any = name;
      nf.going_down = nf.going_down || name != nf.node_only_any;
    }
  }
  // Aggregate (node, service) pairs: members and earliest alert, distinct services per node.
  std::sort(pair_events_.begin(), pair_events_.end());
  for (const auto& [key, ts] : pair_events_) {
    if (pairs_.empty() || pairs_.back().first != key) {
      pairs_.emplace_back(key, PairStat{0, ts});
      ++node_facts_[key >> 32].services;
    }
    ++pairs_.back().second.members;
    pairs_.back().second.first_ts = std::min(pairs_.back().second.first_ts, ts);
  }
}

void RootCauseRanker::rank(const core::Incident& incident, const core::MemberTable& members,
                           const core::Topology& topology, const core::Interner& interner,
                           std::vector<Hypothesis>& out) {
  out.clear();
  scored_.clear();
  gather(incident, members, interner);
  const auto& services = incident.services;
  const auto& nodes = incident.nodes;
  const std::size_t n_svc = services.size();

  // Onset: rank among all alerting entities, blended with closeness to the first onset, so that a
  // few seconds' lead among many near-simultaneous entities does not decide alone.
  onsets_.clear();
  for (const EntityStat& e : services) onsets_.push_back(e.first_ts);
  for (const EntityStat& e : nodes) onsets_.push_back(e.first_ts);
  std::sort(onsets_.begin(), onsets_.end());
  const std::int64_t t0 = onsets_.empty() ? incident.opened_at : onsets_.front();
  t0_ = t0;
  auto onset = [&](std::int64_t ts, std::size_t& earlier) {
    earlier = static_cast<std::size_t>(std::lower_bound(onsets_.begin(), onsets_.end(), ts) -
                                       onsets_.begin());
    const double rank = onsets_.size() > 1 ? 1.0 - static_cast<double>(earlier) /
                                                       static_cast<double>(onsets_.size() - 1)
                                           : 1.0;
    return 0.5 * rank + 0.5 * closeness(ts - t0, kOnsetTauMs);
  };

  // Topology among the alerting services: who depends on whom, and which earlier alerting service
  // each one calls (its "explainers": a fault there would show up here).
  dependents_.assign(n_svc, 0);
  auto& dependents = dependents_;
  after_.assign(n_svc, 0);
  auto& after = after_;
  explainers_.resize(n_svc);
  for (auto& e : explainers_) e.clear();
  has_callee_.assign(n_svc, 0);
  backlog_only_.assign(n_svc, 0);
  backlog_callee_.assign(n_svc, -1);
  if (!topology.empty()) {
    // Resolve names once: the pairwise loop then costs two matrix loads per pair.
    topo_index_.resize(n_svc);
    // Walk each service's callers and callees that are in the incident (bounded by the
    // topology's reach within max_hops), not every pair: a storm-wide incident holds hundreds.
    if (first_at_.size() != topology.size()) first_at_.assign(topology.size(), -1);
    next_at_.assign(n_svc, -1);
    for (std::size_t i = n_svc; i-- > 0;) {
      const int t = topology.index_of(services[i].entity);
      topo_index_[i] = t;
      if (t < 0) continue;
      next_at_[i] = first_at_[static_cast<std::size_t>(t)];
      first_at_[static_cast<std::size_t>(t)] = static_cast<int>(i);
    }
    // A queue backing up (every alert of the service a backlog alert) is its consumers' symptom:
    // the call edge counts reversed, the broker as the dependent of each alerting consumer.
    for (std::size_t i = 0; i < n_svc; ++i) {
      const Facts& f = svc_facts_[i];
      backlog_only_[i] = f.backlog > 0 && f.backlog == f.members;
    }
    for (std::size_t i = 0; i < n_svc; ++i) {
      const EntityStat& a = services[i];
      const int ia = topo_index_[i];
      if (ia < 0) continue;
      if (!backlog_only_[i])
        for (std::uint32_t ib : topology.callers_at(ia))
          for (int k = first_at_[ib]; k >= 0; k = next_at_[static_cast<std::size_t>(k)]) {
            ++dependents[i];
            if (services[static_cast<std::size_t>(k)].first_ts + kSlackMs >= a.first_ts) ++after[i];
          }
      for (std::uint32_t ib : topology.callees_at(ia))
        for (int k = first_at_[ib]; k >= 0; k = next_at_[static_cast<std::size_t>(k)]) {
          if (backlog_only_[static_cast<std::size_t>(k)]) {
            // (After it whenever it alerted: a queue fills while its consumer's rules wait out
            // their `for:`.)
            ++dependents[i];
            ++after[i];
            backlog_callee_[i] = k;
            continue;
          }
          has_callee_[i] = 1;
          if (services[static_cast<std::size_t>(k)].first_ts <= a.first_ts)
            explainers_[i].push_back(static_cast<std::uint32_t>(k));
        }
    }
    for (std::size_t i = 0; i < n_svc; ++i)
      if (topo_index_[i] >= 0) first_at_[static_cast<std::size_t>(topo_index_[i])] = -1;
  }

  // Services, with the best preceding change on each folded in.
  for (std::size_t i = 0; i < n_svc; ++i) {
    const EntityStat& e = services[i];
    Scored sc;
    Hypothesis& h = sc.h;
    h.service = e.entity;
    sc.name = interner.view(e.entity);
    sc.kind = 0;
    std::size_t earlier = 0;
    const double f_onset = onset(e.first_ts, earlier);
    const double others = static_cast<double>(n_svc > 1 ? n_svc - 1 : 1);
    const double f_topo = (0.7 * after[i] + 0.3 * dependents[i]) / others;
    // The deepest: depended upon, calling no alerting service, even one that alerted later (a
    // datastore's own rule often fires after its callers' error rates do).
    const bool deepest = dependents[i] > 0 && !has_callee_[i];
    double f_change = 0;
    for (std::size_t c = 0; c < incident.changes.size(); ++c) {
      const ChangeRef& ch = incident.changes[c];
      if (ch.service != e.entity || ch.ts > e.first_ts) continue;
      double f = closeness(e.first_ts - ch.ts, kChangeTauMs);
      if (ch.ts > incident.opened_at && e.first_ts - ch.ts > kPromptMs) f *= kChangeAfterOnset;
      if (f > f_change) {
        f_change = f;
        h.change = static_cast<int>(c);
      }
    }
    h.score = round3(kSvcOnset * f_onset + kSvcTopology * f_topo + (deepest ? kSvcDeepest : 0.0) +
                     kSvcChange * f_change + kSvcSeverity * severity_score(e.max_severity));

    sc.text.index = static_cast<std::uint32_t>(i);
    sc.text.earliest = earlier == 0;
    scored_.push_back(std::move(sc));
  }
  if (!topology.empty()) rank_silent(incident, topology, interner);

  // Nodes: breadth counts the services alerting on a node, each weighted by how much of that
  // service's node-labelled alerting is on this node (a service failing everywhere is not this
  // node's doing), whether it started with the node's first alert, and whether an earlier alerting
  // service it calls explains it instead.
  const auto& pairs = pairs_;  // sorted by key
  auto pair_of = [&](std::uint32_t j, std::uint32_t i) -> const PairStat* {
    const std::uint64_t key = (static_cast<std::uint64_t>(j) << 32) | i;
    auto it = std::lower_bound(pairs.begin(), pairs.end(), key,
                               [](const auto& p, std::uint64_t k) { return p.first < k; });
    return it != pairs.end() && it->first == key ? &it->second : nullptr;
  };
  // The incident's one node going down explains the services that failed with it in a burst with
  // no node on their alerts (kube-state-metrics and probes name none): they count toward its
  // breadth like the services alerting on it.
  std::size_t down = 0;
  for (const Facts& nf : node_facts_) down += nf.going_down;
  std::size_t pos = 0;
  for (std::size_t j = 0; j < nodes.size(); ++j) {
    const EntityStat& e = nodes[j];
    const Facts& nf = node_facts_[j];
    Scored sc;
    Hypothesis& h = sc.h;
    h.node = e.entity;
    sc.name = interner.view(e.entity);
    sc.kind = 1;
    double eff = 0;
    std::int64_t first_service_ts = INT64_MAX;
    std::int64_t second_service_ts = INT64_MAX;
    std::uint32_t first_service = UINT32_MAX;
    for (; pos < pairs.size() && (pairs[pos].first >> 32) == j; ++pos) {
      const auto i = static_cast<std::uint32_t>(pairs[pos].first & 0xffffffffu);
      const PairStat& ps = pairs[pos].second;
      if (ps.first_ts < first_service_ts ||
          (ps.first_ts == first_service_ts && first_service != UINT32_MAX &&
           interner.view(services[i].entity) < interner.view(services[first_service].entity))) {
        second_service_ts = first_service_ts;
        first_service_ts = ps.first_ts;
        first_service = i;
      } else {
        second_service_ts = std::min(second_service_ts, ps.first_ts);
      }
      const double share =
          static_cast<double>(ps.members) /
          static_cast<double>(std::max<std::uint32_t>(svc_facts_[i].node_members, 1));
      double expl = 1.0;
      for (std::uint32_t k : explainers_[i]) {
        const PairStat* other = pair_of(static_cast<std::uint32_t>(j), k);
        if (!other)
          expl = std::min(expl, kExplainedOffNode);
        else if (other->first_ts + kSlackMs < ps.first_ts)
          expl = std::min(expl, kExplainedOnNode);
      }
      // Synchrony: a service that started long after the node's first alert counts half.
      const double sync = ps.first_ts - e.first_ts <= kSyncMs ? 1.0 : 0.5;
      eff += share * expl * sync;
    }
    std::uint32_t unplaced = 0;
    if (nf.going_down && down == 1)
      for (std::size_t i = 0; i < n_svc; ++i)
        if (svc_facts_[i].burst && svc_facts_[i].node_members == 0 &&
            std::abs(services[i].first_ts - e.first_ts) <= kSyncMs) {
          eff += explainers_[i].empty() ? 1.0 : kExplainedOffNode;
          ++unplaced;
        }
    const bool has_direct = nf.node_only > 0;
    const bool direct_first = has_direct && nf.node_only_first_ts <= first_service_ts;
    const double f_direct = direct_first ? 1.0 : has_direct ? 0.4 : 0.0;
    const double f_breadth = std::clamp((eff + (has_direct ? 0.5 : 0.0) - 1.0) / 2.0, 0.0, 1.0);
    std::size_t earlier = 0;
    const double f_onset = onset(e.first_ts, earlier);
    h.score = round3(kNodeOnset * f_onset + kNodeBreadth * f_breadth + kNodeDirect * f_direct +
                     kNodeSeverity * severity_score(e.max_severity));
    sc.text.index = static_cast<std::uint32_t>(j);
    sc.text.earliest = earlier == 0;
    sc.text.count = unplaced;
    sc.text.direct_first = direct_first;
    // One service leading the others on this node (a pod hogging it: a noisy neighbour) is named in
    // the hypothesis; pods failing together (the node itself failing) name no service, nor does a
    // node that said it was down before any of them alerted (its pods fail one by one as their
    // probes time out: the first is no culprit).
    const bool down_first = direct_first && (alertname_kinds_.of(nf.node_only_alertname, interner) &
                                             core::AlertnameKinds::kDown) != 0;
    if (first_service != UINT32_MAX && second_service_ts != INT64_MAX &&
        second_service_ts - first_service_ts >= kLeaderMs && !down_first) {
      h.service = services[first_service].entity;
      sc.text.lead = second_service_ts - first_service_ts;
    }
    scored_.push_back(std::move(sc));
  }

  rank_zones(interner, t0, onsets_);

  // Changes on services that do not alert themselves: the best one per service.
  for (std::size_t c = 0; c < incident.changes.size(); ++c) {
    const ChangeRef& ch = incident.changes[c];
    const bool alerting = std::any_of(services.begin(), services.end(),
                                      [&](const EntityStat& e) { return e.entity == ch.service; });
    if (ch.service && alerting) continue;  // folded into its service above
    // A silent dependency (rank_silent) that changed: one hypothesis, the change and the callers.
    auto silent = std::find_if(scored_.begin(), scored_.end(), [&](const Scored& s) {
      return s.kind == 0 && ch.service != 0 && s.h.service == ch.service;
    });
    const std::int64_t lead = incident.opened_at - ch.ts;
    const double f_time = lead >= 0 ? closeness(lead, kChangeTauMs)
                                    : kChangeOnlyAfterOnset * closeness(-lead, kChangeTauMs);
    std::uint32_t deps = 0;
    if (ch.service && topology.knows(ch.service))
      for (const EntityStat& e : services)
        if (topology.knows(e.entity) && topology.downstream_hops(e.entity, ch.service) > 0) ++deps;
    // The share of alerting services depending on it, counted only with breadth: one alerting
    // caller of a changed service is no evidence (services change all the time), several are.
    const double breadth =
        std::clamp((static_cast<double>(deps) - 1.0) / (kChangeDependents - 1.0), 0.0, 1.0);
    const double f_topo =
        n_svc ? static_cast<double>(deps) / static_cast<double>(n_svc) * breadth : 0.0;
    const double score = round3(kChangeTiming * f_time + kChangeTopology * f_topo);
    auto same = std::find_if(scored_.begin(), scored_.end(), [&](const Scored& s) {
      return s.kind == 2 && s.h.service == ch.service;
    });
    if (silent != scored_.end()) {
      Hypothesis& h = silent->h;
      if (h.change >= 0) continue;  // one change folded in: the first
      h.change = static_cast<int>(c);
      h.score = std::max(h.score, score);
      continue;
    }
    if (same != scored_.end() && same->h.score >= score) continue;
    Scored sc;
    Hypothesis& h = sc.h;
    h.service = ch.service;
    h.change = static_cast<int>(c);
    h.score = score;
    sc.kind = 2;
    sc.name = ch.service ? interner.view(ch.service) : std::string_view(ch.summary);
    sc.text.count = deps;
    if (same != scored_.end())
      *same = std::move(sc);
    else
      scored_.push_back(std::move(sc));
  }

  std::sort(scored_.begin(), scored_.end(), [](const Scored& a, const Scored& b) {
    if (a.h.score != b.h.score) return a.h.score > b.h.score;
    if (a.kind != b.kind) return a.kind < b.kind;  // a service before the node it runs on
    if (a.name != b.name) return a.name < b.name;
    return a.h.change < b.h.change;
  });
  const std::size_t n = std::min(scored_.size(), config_.max_hypotheses);
  out.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    describe(scored_[k], incident, members, interner);
    out.push_back(std::move(scored_[k].h));
  }
}

// Silent dependencies: a service the topology says alerting services call, that does not alert
// itself (no rule covers it, or its exporter went down with it). The incident's alerting services
// with no alerting callee and no recent change of their own (nothing in the incident explains
// them) point below themselves: a callee that several of them share is the likeliest common cause
// (above them when they are most of the unexplained), the callee of only one of them a
// possibility (well below it, its share of that service's silent callees).
void RootCauseRanker::rank_silent(const core::Incident& incident, const core::Topology& topology,
                                  const core::Interner& interner) {
  const auto& services = incident.services;
  silent_.clear();
  if (silent_at_.size() != topology.size()) silent_at_.assign(topology.size(), 0);
  // Mark the alerting services (kAlerting) so that a callee is silent when unmarked.
  constexpr std::uint32_t kAlerting = UINT32_MAX;
  for (std::size_t i = 0; i < services.size(); ++i)
    if (topo_index_[i] >= 0) silent_at_[static_cast<std::size_t>(topo_index_[i])] = kAlerting;
  // The entry of silent service `x` on the callee side or the caller side (a service is only one),
  // null when `x` alerts or is already the other side's.
  auto entry = [&](Sym x, bool caller_side) -> Silent* {
    std::uint32_t& at = silent_at_[static_cast<std::size_t>(topology.index_of(x))];
    if (at == kAlerting) return nullptr;
    if (at == 0) {
      silent_.push_back({x});
      silent_.back().caller_side = caller_side;
      at = static_cast<std::uint32_t>(silent_.size());
    }
    Silent& e = silent_[at - 1];
    return e.caller_side == caller_side ? &e : nullptr;
  };
  auto shown = [](Silent& e, std::size_t i) {
    ++e.callers;
    if (e.n_shown < e.shown.size()) e.shown[e.n_shown++] = static_cast<std::uint32_t>(i);
  };
  // Whether nothing in the incident explains service i: no alerting callee, and no change on it
  // shortly before it alerted (which explains it as an alerting callee would).
  auto unexplained_at = [&](std::size_t i) {
    const int c = scored_[i].h.change;
    const bool changed =
        c >= 0 && services[i].first_ts - incident.changes[static_cast<std::size_t>(c)].ts <=
                      static_cast<std::int64_t>(kChangeTauMs);
    return topo_index_[i] >= 0 && !has_callee_[i] && !changed;
  };
  std::size_t unexplained = 0;
  for (std::size_t i = 0; i < services.size(); ++i) {
    if (!unexplained_at(i)) continue;
    ++unexplained;
    const double score = scored_[i].h.score;
    const auto& callees = topology.depends_on(services[i].entity);
    std::uint32_t n_silent = 0;
    for (Sym x : callees)
      n_silent += silent_at_[static_cast<std::size_t>(topology.index_of(x))] != kAlerting;
    for (Sym x : callees)
      if (Silent* e = entry(x, false)) {
        shown(*e, i);
        e->best = std::max(e->best, score);
        e->single = std::max(e->single, score / static_cast<double>(n_silent));
      }
  }
  // Then the callers of such a service that calls nothing (a queue, a datastore), when no alerting
  // service calls it either: fainter than callees, and never one of them (a consumer that stopped
  // backs its queue up; a client floods it).
  for (std::size_t i = 0; i < services.size(); ++i) {
    if (!unexplained_at(i) || dependents_[i] > 0 ||
        !topology.depends_on(services[i].entity).empty())
      continue;
    const auto& callers = topology.dependents(services[i].entity);
    for (Sym x : callers)
      if (Silent* e = entry(x, true)) {
        shown(*e, i);
        e->single = std::max(
            e->single, scored_[i].h.score * kSilentCaller / static_cast<double>(callers.size()));
      }
  }
  for (std::size_t i = 0; i < services.size(); ++i)
    if (topo_index_[i] >= 0) silent_at_[static_cast<std::size_t>(topo_index_[i])] = 0;
  for (const Silent& e : silent_)
    silent_at_[static_cast<std::size_t>(topology.index_of(e.service))] = 0;

  for (const Silent& e : silent_) {
    Scored sc;
    Hypothesis& h = sc.h;
    h.service = e.service;
    sc.name = interner.view(e.service);
    sc.kind = 0;
    if (e.caller_side) {
      h.score = round3(e.single);
    } else {
      const double share = static_cast<double>(e.callers) / static_cast<double>(unexplained);
      h.score = round3(e.callers >= 2 ? e.best * (kSilentShared + kSilentShare * share)
                                      : e.single * kSilentSingle);
    }
    sc.text.index = static_cast<std::uint32_t>(&e - silent_.data());
    sc.text.silent = true;
    scored_.push_back(std::move(sc));
  }
}

// Per zone: onset, severity, evidence, zone-level alerts (about no service or node).
void RootCauseRanker::note_zone(const core::Member& m, Pick p, bool has_entity) {
  const Sym z = m.roles[idx(Role::kZone)];
  std::size_t zi = 0;
  while (zi < zone_facts_.size() && zone_facts_[zi].zone != z) ++zi;
  if (zi == zone_facts_.size()) {
    zone_facts_.emplace_back();
    zone_facts_.back().zone = z;
    zone_facts_.back().first_ts = m.first_ts;
  }
  ZoneFacts& f = zone_facts_[zi];
  f.first_ts = std::min(f.first_ts, m.first_ts);
  f.max_severity = std::max(f.max_severity, m.severity);
  pick(f.picks, p);
  if (!has_entity) {
    if (f.zone_level == 0 || m.first_ts < f.zone_level_first_ts) {
      f.zone_level_first_ts = m.first_ts;
      f.zone_level_alertname = m.roles[idx(Role::kAlertname)];
    }
    ++f.zone_level;
  }
}

// Zones: a zone where many services fail together, on several nodes, and little else fails, is
// itself the likely cause (a partition or an outage): no service or node in it explains the rest.
void RootCauseRanker::rank_zones(const core::Interner& interner, std::int64_t t0,
                                 const std::vector<std::int64_t>& onsets) {
  if (zone_facts_.empty()) return;
  // Distinct services and nodes per zone, from the zones gather() noted on each.
  std::uint32_t zoned_services = 0;
  for (const Facts& sf : svc_facts_) {
    if (sf.n_zones == 0 && !sf.spread) continue;
    ++zoned_services;
    for (std::uint8_t k = 0; k < sf.n_zones; ++k)
      for (ZoneFacts& f : zone_facts_)
        if (f.zone == sf.zones[k]) ++f.services;
  }
  for (const Facts& nf : node_facts_)
    for (std::uint8_t k = 0; k < nf.n_zones; ++k)
      for (ZoneFacts& f : zone_facts_)
        if (f.zone == nf.zones[k]) ++f.nodes;
  auto in_zone = [](const Facts& x, Sym z) {
    return std::find(x.zones.begin(), x.zones.begin() + x.n_zones, z) !=
           x.zones.begin() + x.n_zones;
  };
  // With one node known in the zone, its services are that node's fault, not the zone's, unless
  // at least two of the zone's services alerted off that node.
  auto off_node = [&](Sym z) {
    std::uint32_t ni = 0;
    while (ni < node_facts_.size() && !in_zone(node_facts_[ni], z)) ++ni;
    std::uint32_t off = 0;
    for (std::uint32_t si = 0; si < svc_facts_.size(); ++si) {
      if (!in_zone(svc_facts_[si], z)) continue;
      const std::uint64_t key = (static_cast<std::uint64_t>(ni) << 32) | si;
      const auto it = std::lower_bound(pairs_.begin(), pairs_.end(), key,
                                       [](const auto& e, std::uint64_t k) { return e.first < k; });
      if (it == pairs_.end() || it->first != key) ++off;
    }
    return off;
  };
  for (const ZoneFacts& f : zone_facts_) {
    const double share =
        static_cast<double>(f.services) / static_cast<double>(std::max(zoned_services, 1u));
    if (f.services < kZoneMinServices || share < kZoneMinShare) continue;
    if (f.nodes == 1 && off_node(f.zone) < 2) continue;
    Scored sc;
    Hypothesis& h = sc.h;
    h.zone = f.zone;
    sc.name = interner.view(f.zone);
    sc.kind = 3;
    const auto earlier = static_cast<std::size_t>(
        std::lower_bound(onsets.begin(), onsets.end(), f.first_ts) - onsets.begin());
    const double rank = onsets.size() > 1 ? 1.0 - static_cast<double>(earlier) /
                                                      static_cast<double>(onsets.size() - 1)
                                          : 1.0;
    const double f_onset = 0.5 * rank + 0.5 * closeness(f.first_ts - t0, kOnsetTauMs);
    const double f_breadth =
        std::clamp((static_cast<double>(f.services) * share - 1.0) / 4.0, 0.0, 1.0);
    const bool direct_first = f.zone_level > 0 && f.zone_level_first_ts <= f.first_ts;
    const double f_direct = direct_first ? 1.0 : f.zone_level > 0 ? 0.4 : 0.0;
    h.score = round3(kZoneOnset * f_onset + kZoneBreadth * f_breadth + kZoneDirect * f_direct +
                     kZoneSeverity * severity_score(f.max_severity));
    sc.text.index = static_cast<std::uint32_t>(&f - zone_facts_.data());
    sc.text.earliest = earlier == 0;
    sc.text.direct_first = direct_first;
    sc.text.share = share;
    scored_.push_back(std::move(sc));
  }
}

// The reasons and evidence of a kept hypothesis, from what scoring it left in sc.text.
void RootCauseRanker::describe(Scored& sc, const core::Incident& incident,
                               const core::MemberTable& members,
                               const core::Interner& interner) const {
  Hypothesis& h = sc.h;
  const Text& t = sc.text;
  const auto& services = incident.services;
  auto change_at = [&](int c) -> const ChangeRef& {
    return incident.changes[static_cast<std::size_t>(c)];
  };
  // A change relative to the incident's onset (a change hypothesis, or one folded into a silent
  // dependency).
  auto change_vs_onset = [&](const ChangeRef& ch) {
    const std::int64_t lead = incident.opened_at - ch.ts;
    return fmt::format("{}, {} {} onset", change_text(ch, interner),
                       duration(lead >= 0 ? lead : -lead), lead >= 0 ? "before" : "after");
  };
  // A node's or zone's own alerts (about no service on it): first, or how many.
  auto own_alerts = [&](std::string_view level, std::uint32_t n, Sym first_alertname) {
    if (t.direct_first)
      h.reasons.push_back(
          fmt::format("{}-level alerts first ({})", level, interner.view(first_alertname)));
    else if (n > 0)
      h.reasons.push_back(fmt::format("{} {}-level alert{}", n, level, n == 1 ? "" : "s"));
  };
  switch (sc.kind) {
    case 0: {
      if (t.silent) {
        const Silent& e = silent_[t.index];
        if (h.change >= 0) h.reasons.push_back(change_vs_onset(change_at(h.change)));
        std::string names;
        for (std::uint8_t k = 0; k < e.n_shown; ++k) {
          if (k) names += ", ";
          names += interner.view(services[e.shown[k]].entity);
        }
        if (e.caller_side)
          h.reasons.push_back(
              fmt::format("not alerting itself; calls {}{}, failing with nothing alerting "
                          "downstream of it",
                          names, e.callers > e.n_shown ? ", ..." : ""));
        else
          h.reasons.push_back(
              fmt::format("not alerting itself; called by {} failing service{} ({}{})", e.callers,
                          e.callers == 1 ? "" : "s", names, e.callers > e.n_shown ? ", ..." : ""));
        if (h.change >= 0 && !change_at(h.change).id.empty() && config_.max_evidence > 0)
          h.evidence.push_back(change_at(h.change).id);
        for (std::uint8_t k = 0; k < e.n_shown; ++k)
          add_evidence(h, svc_facts_[e.shown[k]].picks, members);
        break;
      }
      const std::size_t i = t.index;
      const EntityStat& e = services[i];
      if (t.earliest) h.reasons.emplace_back("earliest onset");
      if (h.change >= 0) {
        const ChangeRef& ch = change_at(h.change);
        h.reasons.push_back(fmt::format("{}, {} before {}", change_text(ch, interner),
                                        duration(e.first_ts - ch.ts),
                                        t.earliest ? "onset" : "its first alert"));
        if (!ch.id.empty() && config_.max_evidence > 0) h.evidence.push_back(ch.id);
      }
      if (const int q = backlog_callee_[i]; q >= 0)
        h.reasons.push_back(
            fmt::format("{} backing up behind it",
                        interner.view(services[static_cast<std::size_t>(q)].entity)));
      if (after_[i] > 0)
        h.reasons.push_back(
            fmt::format("{} dependent{} alerting after it", after_[i], after_[i] == 1 ? "" : "s"));
      else if (dependents_[i] > 0)
        h.reasons.push_back(
            fmt::format("{} alerting dependent{}", dependents_[i], dependents_[i] == 1 ? "" : "s"));
      if (dependents_[i] > 0 && !has_callee_[i] && services.size() > 2)
        h.reasons.emplace_back("most depended-upon alerting service");
      if (h.reasons.empty())
        h.reasons.push_back(
            fmt::format("first alert {} after incident onset", duration(e.first_ts - t0_)));
      add_evidence(h, svc_facts_[i].picks, members);
      break;
    }
    case 1: {
      const Facts& nf = node_facts_[t.index];
      if (t.earliest) h.reasons.emplace_back("earliest onset");
      if (nf.services > 0)
        h.reasons.push_back(fmt::format("{} service{} alerting on this node", nf.services,
                                        nf.services == 1 ? "" : "s"));
      if (t.count > 0)
        h.reasons.push_back(fmt::format("going down as {} service{} failed together", t.count,
                                        t.count == 1 ? "" : "s"));
      own_alerts("node", nf.node_only, nf.node_only_alertname);
      if (h.service != 0)
        h.reasons.push_back(fmt::format("{} alerted on it {} before the other services",
                                        interner.view(h.service), duration(t.lead)));
      if (h.reasons.empty())
        h.reasons.push_back(fmt::format("first alert {} after incident onset",
                                        duration(incident.nodes[t.index].first_ts - t0_)));
      add_evidence(h, nf.picks, members);
      break;
    }
    case 2: {
      const ChangeRef& ch = change_at(h.change);
      h.reasons.push_back(change_vs_onset(ch));
      if (t.count > 0)
        h.reasons.push_back(
            fmt::format("{} alerting service{} depend on it", t.count, t.count == 1 ? "" : "s"));
      if (!ch.id.empty() && config_.max_evidence > 0) h.evidence.push_back(ch.id);
      break;
    }
    case 3: {
      const ZoneFacts& f = zone_facts_[t.index];
      if (t.earliest) h.reasons.emplace_back("earliest onset");
      h.reasons.push_back(
          fmt::format("{} services alerting in this zone ({:.0f}% of those in a zone)", f.services,
                      t.share * 100));
      if (f.nodes > 1) h.reasons.push_back(fmt::format("on {} nodes", f.nodes));
      own_alerts("zone", f.zone_level, f.zone_level_alertname);
      add_evidence(h, f.picks, members);
      break;
    }
    default:
      break;
  }
}

}  // namespace squall::rca
