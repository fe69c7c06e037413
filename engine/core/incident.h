#pragma once
// The incident as the correlator keeps it, read by the root-cause ranker and the bundler.
//
// Thread contract: owned and mutated only by its shard's correlator thread; RCA and bundling run on
// that thread, synchronously, from the correlator's callbacks.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/fingerprint.h"
#include "engine/core/interner.h"

namespace squall::core {

// Label roles the correlator understands; which label name plays each role is configurable.
enum class Role : std::uint8_t {
  // Kept on every member (Member::roles).
  kAlertname,
  kService,
  kNode,
  kPod,
  kInstance,
  kDeploy,
  kCluster,
  kZone,
  kPeer,  // the service an alert says it fails to reach (upstream, destination_service, ...)
  // Read once, when an alert is admitted or a change arrives: not kept on members.
  kNamespace,
  kSeverity,
  kChangeType,
  kCount
};
inline constexpr std::size_t kRoles = static_cast<std::size_t>(Role::kCount);
inline constexpr std::size_t kStoredRoles = static_cast<std::size_t>(Role::kPeer) + 1;

// A member's role values: the roles before kNamespace. Indexing a role past them traps (it would
// read a neighbouring field).
struct StoredRoles {
  std::array<Sym, kStoredRoles> v{};
  Sym& operator[](std::size_t i) {
    if (i >= kStoredRoles) __builtin_trap();
    return v[i];
  }
  const Sym& operator[](std::size_t i) const {
    if (i >= kStoredRoles) __builtin_trap();
    return v[i];
  }
};

// Why a member joined its incident (shown in bundles and by `squall replay --explain`).
enum class JoinReason : std::uint8_t {
  kOpened,        // first member: opened the incident
  kSameService,   // shares the service with members
  kSameNode,      // runs on a node the incident involves
  kSamePod,       // same pod or instance
  kSameDeploy,    // same deploy
  kTopology,      // its service is within max_hops of an incident service
  kPlacement,     // its service runs on an incident node, or its node hosts an incident service
  kDimension,     // shared rare dimension values only
  kMerged,        // came with an incident merged into this one
  kSameUpstream,  // fails to reach the same service as members do, or one of the incident's
  kZoneBurst,     // alerts in a zone where many services started failing at once (zone fault)
  kNodeDown,      // a pod-only alert starting just after its cluster's one failing node went down
  kPodBurst,      // pods of several services with no known node failing at once (a shared cause)
  kServiceBurst,  // one of many services of its cluster starting to fail within seconds
};
std::string_view join_reason_name(JoinReason r);

enum class Severity : std::uint8_t { kNone, kInfo, kWarning, kError, kCritical };
Severity parse_severity(std::string_view s);
std::string_view severity_name(Severity s);

// One fingerprint in an incident: its first alert plus what its repeats updated.
struct Member {
  // Ordered by size so the record packs into 96 bytes (a million active alerts: 96 MB).
  Fingerprint fingerprint = 0;
  std::int64_t first_ts = 0;
  std::int64_t last_ts = 0;
  StoredRoles roles;
  std::uint32_t incident = 0;    // slot of the incident holding it (after merges)
  std::uint32_t labels_off = 0;  // into the member table's label pool
  std::uint32_t text_off = 0;  // first alert's id and annotations, in the member table's text pool
  std::uint32_t count = 0;     // alerts received for this fingerprint
  float reason_score = 0;
  Sym reason_via = 0;  // the service, node, pod or dimension value it linked through
  std::uint16_t labels_count = 0;
  std::uint16_t text_len = 0;  // 0: no text block (a derived id and no annotations kept)
  std::uint8_t flaps : 7 = 0;  // firing again after resolved (saturates at kMaxFlaps)
  // The first alert had no id: it is format_derived_id(fingerprint, first_ts).
  bool id_derived : 1 = false;
  Status status = Status::kFiring;
  Severity severity = Severity::kNone;
  JoinReason reason = JoinReason::kOpened;

  static constexpr std::uint8_t kMaxFlaps = 127;
  [[nodiscard]] bool is_flapping() const { return flaps >= 2; }
  void add_flap() { flaps = flaps < kMaxFlaps ? flaps + 1 : kMaxFlaps; }

  // When it last resolved (kNoTime: never). Kept as a distance back from last_ts in 32 bits (it
  // resolved at or before its latest alert); past ~49 days back it reads as that far back, which
  // only tells "long ago" apart from a flap (flap_window_ms is bounded far below that).
  [[nodiscard]] std::int64_t resolved_ts() const {
    return resolved_back_ == kNever ? kNoTime : last_ts - resolved_back_;
  }
  void set_resolved(std::int64_t ts) { resolved_back_ = ts >= last_ts ? 0 : back(last_ts - ts); }
  // Moves last_ts forward, keeping resolved_ts where it was.
  void advance_last(std::int64_t ts) {
    if (ts <= last_ts) return;
    if (resolved_back_ != kNever)
      resolved_back_ = back(std::int64_t{resolved_back_} + (ts - last_ts));
    last_ts = ts;
  }

 private:
  static constexpr std::uint32_t kNever = ~std::uint32_t{0};
  static std::uint32_t back(std::int64_t d) {
    return d >= std::int64_t{kNever} ? kNever - 1 : static_cast<std::uint32_t>(d);
  }
  std::uint32_t resolved_back_ = kNever;
};
static_assert(sizeof(Member) <= 96);

// A change event (deploy, config change, flag) linked to an incident.
struct ChangeRef {
  std::int64_t ts = 0;
  Sym service = 0;
  Sym change_type = 0;
  Sym deploy = 0;
  std::string id;
  std::string summary;
};

// Per-entity aggregate inside an incident (a service or a node).
struct EntityStat {
  Sym entity = 0;
  Sym scope = 0;  // the cluster it was seen in (0 = unknown): checkout@eu is not checkout@us
  std::int64_t first_ts = 0;
  std::int64_t last_ts = 0;
  std::int64_t last_onset = 0;  // start of its newest fingerprint in the incident
  std::uint32_t alerts = 0;
  std::uint32_t fingerprints = 0;
  std::uint32_t firing = 0;
  std::uint32_t symptoms = 0;
  Severity max_severity = Severity::kNone;
  // For nodes: fingerprints without a service (node-level alerts), and whether more than one
  // service alerts on it (the signature of a node-level fault).
  std::uint32_t node_level = 0;
  // Node-level alerts saying the node is down (NodeDown, NotReady, unreachable) firing now.
  std::uint32_t down_firing = 0;
  Sym first_service = 0;
  bool many_services = false;
};

struct Incident {
  std::uint32_t shard = 0;
  std::uint64_t number = 0;  // per shard, from 1
  std::string id;            // "inc-<shard>-<number>"
  bool open = true;
  std::int64_t opened_at = 0;   // event time of its first alert
  std::int64_t updated_at = 0;  // event time of its latest alert
  std::int64_t closed_at = kNoTime;
  std::int64_t last_firing_at = 0;
  std::int64_t last_joined_at = 0;  // a new member joined, or one fired again (repeats don't count)
  std::int64_t resolved_at = kNoTime;  // when its last firing member resolved
  std::uint32_t version = 0;           // bundles emitted so far
  std::uint64_t alerts_total = 0;
  std::uint32_t firing = 0;  // members currently firing
  std::uint32_t flaps = 0;   // members that fired again soon after resolving (summed)
  Severity severity = Severity::kNone;
  std::vector<std::uint32_t> members;  // member slots, in join order
  std::vector<EntityStat> services;    // in first-seen order
  std::vector<EntityStat> nodes;
  std::vector<ChangeRef> changes;
  // Label (name, value) -> alert count for the bundle's `dimensions` (bounded).
  struct DimCount {
    Sym name = 0;
    Sym value = 0;
    std::uint32_t alerts = 0;
  };
  std::vector<DimCount> dimensions;
  std::uint32_t merged_into = UINT32_MAX;  // slot, when merged away
  std::vector<std::string> merged_ids;     // ids of incidents merged into this one

  [[nodiscard]] const EntityStat* service(Sym s) const {
    for (const auto& e : services)
      if (e.entity == s) return &e;
    return nullptr;
  }
  [[nodiscard]] const EntityStat* node(Sym n) const {
    for (const auto& e : nodes)
      if (e.entity == n) return &e;
    return nullptr;
  }
};

}  // namespace squall::core
