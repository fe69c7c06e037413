#include "tools/storm/storm.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "engine/core/hash.h"
#include "engine/core/json_writer.h"
#include "tools/storm/rng.h"
#include "tools/storm/world.h"

namespace squall::storm {
namespace {

constexpr std::int64_t kSec = 1000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::uint32_t kNoiseOwner = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kFlushBytes = 1 << 20;

struct ScenarioParams {
  WorldSize size;
  std::int64_t window_ms = 0;  // 0: unbounded (firehose, stopped by the alert cap)
  std::uint32_t faults = 1;
  double noise_per_min = 1;     // per cluster
  double changes_per_hour = 2;  // benign changes, per cluster
  std::uint64_t target_alerts = 0;
  std::uint32_t cap_services = 6;        // services a fault spreads to, before breadth scaling
  std::int64_t fault_gap_ms = 3 * kMin;  // firehose: mean gap between fault starts
};

ScenarioParams params_for(const StormOptions& o, Rng& plan) {
  ScenarioParams p;
  switch (o.scenario) {
    case Scenario::k3am:
      p.size = {40, 16, 1};
      p.window_ms = 4 * kMin;
      p.faults = 1;
      p.noise_per_min = 3;
      p.changes_per_hour = 3;
      p.target_alerts = 200;
      p.cap_services = 8;
      break;
    case Scenario::kBusyHour:
      p.size = {60, 24, 2};
      p.window_ms = kHour;
      p.faults = plan.range_u32(4, 6);
      p.noise_per_min = 0.6;
      p.changes_per_hour = 6;
      p.cap_services = 8;
      break;
    case Scenario::kConcurrent:
      p.size = {50, 20, 1};
      p.window_ms = 15 * kMin;
      p.faults = plan.range_u32(2, 3);
      p.noise_per_min = 1.0;
      p.changes_per_hour = 4;
      p.cap_services = 7;
      break;
    case Scenario::kFirehose:
      p.size = {150, 60, 3};
      p.window_ms = 0;
      p.faults = 0;
      p.noise_per_min = 1;
      p.changes_per_hour = 4;
      p.target_alerts = 1'000'000;
      p.cap_services = 7;
      break;
  }
  if (o.services) p.size.services = o.services;
  if (o.nodes) p.size.nodes_per_cluster = o.nodes;
  if (o.clusters) p.size.clusters = o.clusters;
  if (o.faults) p.faults = o.faults;
  if (o.alerts) p.target_alerts = o.alerts;
  if (o.noise_per_min >= 0) p.noise_per_min = o.noise_per_min;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Alert templates.

// How a series' value is drawn and shown: summary = what + fmt(value * mul, dec) + unit.
struct Val {
  double lo, hi, mul;
  int dec;
  std::string_view unit;
};

struct Tmpl {
  std::string_view alertname;
  std::string_view severity;
  std::string_view what;  // fmt pattern; may use {svc} {dep} {pod} {node}
  Val val;
};

constexpr Val kRatio{0.05, 0.6, 100, 0, "%"};
constexpr Val kLatency{0.8, 6, 1, 2, "s"};
constexpr Val kRate{2, 150, 1, 0, "/s"};
constexpr Val kUp{0, 0, 1, 0, ""};
constexpr Val kRestarts{1, 12, 1, 0, " restarts"};

constexpr std::array<Tmpl, 4> kServiceGeneric = {{
    {"HighErrorRate", "critical", "{svc}: 5xx ratio ", kRatio},
    {"HighLatencyP99", "warning", "{svc}: p99 latency ", kLatency},
    {"SLOBurnRateHigh", "critical", "{svc}: error budget burn rate ", {6, 40, 1, 1, "x"}},
    {"HighRequestTimeouts", "warning", "{svc}: request timeouts ", {0.02, 0.3, 100, 0, "%"}},
}};
constexpr std::array<Tmpl, 2> kEdgeGeneric = {{
    {"Http5xxRateHigh", "critical", "{svc}: 5xx responses ", kRatio},
    {"UpstreamUnhealthy",
     "critical",
     "{svc}: unhealthy hosts in upstream {dep}: ",
     {1, 6, 1, 0, ""}},
}};
constexpr std::array<Tmpl, 4> kCallsService = {{
    {"UpstreamErrorRateHigh",
     "critical",
     "{svc}: errors calling {dep}: ",
     {0.05, 0.7, 100, 0, "%"}},
    {"GrpcDeadlineExceeded",
     "warning",
     "{svc}: deadline exceeded calling {dep}: ",
     {1, 80, 1, 0, "/s"}},
    {"CircuitBreakerOpen", "warning", "{svc}: circuit breakers open to {dep}: ", {1, 4, 1, 0, ""}},
    {"UpstreamConnectFailures", "critical", "{svc}: connect failures to {dep}: ", kRate},
}};
constexpr std::array<Tmpl, 3> kCallsDatabase = {{
    {"ConnectionPoolExhausted",
     "critical",
     "{svc}: pool for {dep} exhausted, pending ",
     {20, 200, 1, 0, ""}},
    {"DatabaseConnectionErrors", "critical", "{svc}: errors connecting to {dep}: ", kRate},
    {"SlowQueries", "warning", "{svc}: queries to {dep} p99 ", {1.5, 12, 1, 1, "s"}},
}};
constexpr std::array<Tmpl, 3> kCallsCache = {{
    {"CacheConnectionErrors", "critical", "{svc}: errors connecting to {dep}: ", kRate},
    {"CacheMissRateHigh", "warning", "{svc}: cache miss ratio on {dep} ", {0.4, 0.95, 100, 0, "%"}},
    {"RedisCommandTimeouts", "warning", "{svc}: command timeouts on {dep}: ", kRate},
}};
constexpr std::array<Tmpl, 2> kCallsKafka = {{
    {"KafkaConsumerLag",
     "warning",
     "{svc}: consumer lag on {dep} ",
     {10000, 2000000, 1, 0, " messages"}},
    {"KafkaProduceErrors", "critical", "{svc}: produce errors to {dep}: ", kRate},
}};
constexpr std::array<Tmpl, 2> kCallsQueue = {{
    {"AMQPPublishFailures", "critical", "{svc}: publish failures to {dep}: ", kRate},
    {"QueueConsumerStalled",
     "warning",
     "{svc}: no messages consumed from {dep} for ",
     {60, 600, 1, 0, "s"}},
}};
constexpr std::array<Tmpl, 2> kCallsSearch = {{
    {"SearchQueryErrors", "critical", "{svc}: query errors on {dep}: ", kRate},
    {"SearchLatencyHigh", "warning", "{svc}: search p99 on {dep} ", kLatency},
}};
constexpr std::array<Tmpl, 3> kPodGeneric = {{
    {"ReadinessProbeFailed",
     "warning",
     "{pod}: readiness probe failing, ",
     {3, 30, 1, 0, " failures"}},
    {"ContainerRestarting", "warning", "{pod}: ", kRestarts},
    {"HighMemoryUsage", "warning", "{pod}: memory at ", {0.85, 0.99, 100, 0, "% of limit"}},
}};

struct StoreTmpls {
  StoreKind kind;
  std::array<Tmpl, 3> alerts;  // [0] is the headline
};
constexpr std::array<StoreTmpls, 9> kStoreAlerts = {{
    {StoreKind::kPostgres,
     {{{"PostgresDown", "critical", "{svc}: pg_up == ", kUp},
       {"PostgresTooManyConnections",
        "critical",
        "{svc}: connections used ",
        {0.92, 1.0, 100, 0, "%"}},
       {"ReplicationLagHigh", "warning", "{svc}: replication lag ", {30, 900, 1, 0, "s"}}}}},
    {StoreKind::kMysql,
     {{{"MySQLDown", "critical", "{svc}: mysql_up == ", kUp},
       {"MySQLTooManyConnections",
        "critical",
        "{svc}: connections used ",
        {0.92, 1.0, 100, 0, "%"}},
       {"ReplicationLagHigh", "warning", "{svc}: replica lag ", {30, 900, 1, 0, "s"}}}}},
    {StoreKind::kRedis,
     {{{"RedisDown", "critical", "{svc}: redis_up == ", kUp},
       {"RedisRejectedConnections", "critical", "{svc}: rejected connections ", kRate},
       {"RedisMemoryHigh", "warning", "{svc}: memory used ", {0.9, 1.0, 100, 0, "%"}}}}},
    {StoreKind::kKafka,
     {{{"KafkaBrokerDown", "critical", "{svc}: brokers down: ", {1, 2, 1, 0, ""}},
       {"KafkaUnderReplicatedPartitions",
        "warning",
        "{svc}: under-replicated partitions ",
        {3, 120, 1, 0, ""}},
       {"KafkaOfflinePartitions", "critical", "{svc}: offline partitions ", {1, 40, 1, 0, ""}}}}},
    {StoreKind::kRabbitmq,
     {{{"RabbitmqNodeDown", "critical", "{svc}: nodes down: ", {1, 2, 1, 0, ""}},
       {"RabbitmqMemoryAlarm", "critical", "{svc}: memory alarm, used ", {0.9, 1.0, 100, 0, "%"}},
       {"RabbitmqQueueBacklog", "warning", "{svc}: ready messages ", {5000, 500000, 1, 0, ""}}}}},
    {StoreKind::kElasticsearch,
     {{{"ElasticsearchClusterRed",
        "critical",
        "{svc}: cluster status red, unassigned primaries ",
        {1, 30, 1, 0, ""}},
       {"ElasticsearchHeapHigh", "warning", "{svc}: JVM heap ", {0.88, 0.99, 100, 0, "%"}},
       {"ElasticsearchUnassignedShards",
        "warning",
        "{svc}: unassigned shards ",
        {4, 200, 1, 0, ""}}}}},
    {StoreKind::kMongo,
     {{{"MongodbReplicaSetUnhealthy", "critical", "{svc}: healthy members ", {0, 1, 1, 0, "/3"}},
       {"MongodbDown", "critical", "{svc}: mongodb_up == ", kUp},
       {"MongodbReplicationLag", "warning", "{svc}: replication lag ", {20, 600, 1, 0, "s"}}}}},
    {StoreKind::kCassandra,
     {{{"CassandraNodeDown", "critical", "{svc}: nodes down: ", {1, 2, 1, 0, ""}},
       {"CassandraHighReadLatency", "warning", "{svc}: read p99 ", {0.2, 3, 1, 2, "s"}},
       {"CassandraDroppedMessages", "warning", "{svc}: dropped mutations ", kRate}}}},
    {StoreKind::kMemcached,
     {{{"MemcachedDown", "critical", "{svc}: memcached_up == ", kUp},
       {"MemcachedEvictionsHigh", "warning", "{svc}: evictions ", {100, 5000, 1, 0, "/s"}},
       {"MemcachedConnectionsHigh", "warning", "{svc}: connections ", {900, 1024, 1, 0, ""}}}}},
}};
constexpr std::array<Tmpl, 3> kManagedDb = {{
    {"RDSDatabaseConnectionsHigh",
     "critical",
     "{svc}: connections used ",
     {0.92, 1.0, 100, 0, "%"}},
    {"RDSCPUUtilizationHigh", "warning", "{svc}: CPU ", {0.9, 1.0, 100, 0, "%"}},
    {"RDSReplicaLagHigh", "warning", "{svc}: replica lag ", {30, 900, 1, 0, "s"}},
}};

template <std::size_t N>
const Tmpl& pick(Rng& r, const std::array<Tmpl, N>& a) {
  return a[r.index(N)];
}

const std::array<Tmpl, 3>& store_tmpls(const Service& s) {
  if (s.managed) return kManagedDb;
  for (const auto& st : kStoreAlerts)
    if (st.kind == s.store) return st.alerts;
  return kStoreAlerts[0].alerts;
}

// What a caller shows when `dep` misbehaves.
const Tmpl& caller_symptom(Rng& r, const Service& dep) {
  switch (dep.store) {
    case StoreKind::kPostgres:
    case StoreKind::kMysql:
    case StoreKind::kMongo:
    case StoreKind::kCassandra:
      return pick(r, kCallsDatabase);
    case StoreKind::kRedis:
    case StoreKind::kMemcached:
      return pick(r, kCallsCache);
    case StoreKind::kKafka:
      return pick(r, kCallsKafka);
    case StoreKind::kRabbitmq:
      return pick(r, kCallsQueue);
    case StoreKind::kElasticsearch:
      return pick(r, kCallsSearch);
    case StoreKind::kNone:
      break;
  }
  return pick(r, kCallsService);
}

// A label set, serialized once per series. alertname first, the rest sorted by name so that equal
// sets give equal bytes (and equal fingerprints).
class Labels {
 public:
  // Sets `k` (a second add of the same name replaces the value: label names are unique).
  Labels& add(std::string_view k, std::string_view v) {
    for (auto& [name, value] : kv_) {
      if (name == k) {
        value = std::string(v);
        return *this;
      }
    }
    kv_.emplace_back(std::string(k), std::string(v));
    return *this;
  }
  [[nodiscard]] std::string json() {
    std::sort(kv_.begin(), kv_.end(), [](const auto& a, const auto& b) {
      const bool aa = a.first == "alertname", ba = b.first == "alertname";
      if (aa != ba) return aa;
      return a.first < b.first;
    });
    std::string out;
    core::JsonWriter w(out);
    w.begin_object();
    for (const auto& [k, v] : kv_) w.kv(k, std::string_view(v));
    w.end_object();
    return out;
  }
  [[nodiscard]] std::string_view get(std::string_view k) const {
    for (const auto& [name, v] : kv_)
      if (name == k) return v;
    return {};
  }

 private:
  std::vector<std::pair<std::string, std::string>> kv_;
};

// ---------------------------------------------------------------------------------------------
// Series: one fingerprint, re-sent while active, then resolved (and for flappers, again).

struct Series {
  std::string labels_json;
  std::string summary_prefix;
  std::string description;
  std::string_view unit;
  std::string truth_tail;  // "\t<incident>\t<root>\t<root entity>\t<kind>\n"
  double value = 0, drift = 0, jitter = 0, lo = 0, hi = 0, mul = 1;
  int dec = 0;
  std::int64_t end_ms = 0, interval_ms = 0;
  std::int64_t flap_on_ms = 0, flap_off_ms = 0;
  std::uint32_t flaps_left = 0;
  std::uint32_t owner = kNoiseOwner;
  std::uint64_t fp = 0;
  bool is_change = false;
  bool resolving = false;
  bool resolves = true;
  bool root = false;
};

struct HeapItem {
  std::int64_t ts;
  std::uint64_t seq;
  std::uint32_t slot;
};
struct Later {
  bool operator()(const HeapItem& a, const HeapItem& b) const {
    return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq;
  }
};

enum class EpisodeType : std::uint8_t { kFault, kNoise, kChange };

struct Planned {
  std::int64_t activation = 0;  // the episode's earliest event
  std::int64_t onset = 0;       // its first alert (faults)
  std::int64_t end = 0;         // when the fault is fixed
  std::uint32_t cluster = 0;
  std::uint64_t seed = 0;
  EpisodeType type = EpisodeType::kNoise;
  FaultKind kind = FaultKind::kDatastore;
};

// Yields episodes in activation order: a fixed list of faults (or, for firehose, an endless stream)
// merged with streams of background noise and benign changes.
class Planner {
 public:
  Planner(const StormOptions& o, const ScenarioParams& p, std::int64_t start, Rng& plan)
      : o_(o), p_(p), start_(start), rng_(derive_seed(o.seed, 0x706c616e)) {
    const std::uint32_t clusters =
        std::max<std::uint32_t>(1, std::min<std::uint32_t>(p.size.clusters, 6));
    clusters_ = clusters;
    end_ = p.window_ms > 0 ? start + p.window_ms : std::numeric_limits<std::int64_t>::max();
    noise_gap_ = p.noise_per_min > 0 ? static_cast<double>(kMin) / (p.noise_per_min * clusters) : 0;
    change_gap_ =
        p.changes_per_hour > 0 ? static_cast<double>(kHour) / (p.changes_per_hour * clusters) : 0;
    next_noise_ = noise_gap_ > 0 ? start + gap(noise_gap_) / 2 : end_;
    next_change_ = change_gap_ > 0 ? start + gap(change_gap_) : end_;
    if (o.scenario == Scenario::kFirehose) {
      next_fault_ = start + gap(static_cast<double>(p.fault_gap_ms)) / 4;
    } else {
      plan_faults(plan);
      next_fault_ = std::numeric_limits<std::int64_t>::max();
    }
    // Noise keeps clear of the window's last 20 s so that it resolves inside the window.
    if (p.window_ms > 0) noise_end_ = end_ - 20 * kSec;
  }

  bool next(Planned& out) {
    const std::int64_t fixed = fixed_pos_ < fixed_.size()
                                   ? fixed_[fixed_pos_].activation
                                   : std::numeric_limits<std::int64_t>::max();
    const std::int64_t noise =
        next_noise_ < noise_end_ ? next_noise_ : std::numeric_limits<std::int64_t>::max();
    const std::int64_t change =
        next_change_ < noise_end_ ? next_change_ : std::numeric_limits<std::int64_t>::max();
    const std::int64_t fault = next_fault_;
    const std::int64_t t = std::min({fixed, noise, change, fault});
    if (t == std::numeric_limits<std::int64_t>::max()) return false;
    if (t == fixed) {
      out = fixed_[fixed_pos_++];
    } else if (t == fault) {
      out = make_fault(fault_count_++, rng_.range_u32(0, clusters_ - 1), t, t);
      if (out.kind == FaultKind::kBadDeploy) out.onset = t + rng_.range(20 * kSec, 4 * kMin);
      out.end = out.onset + rng_.range(5 * kMin, 40 * kMin);
      next_fault_ = t + gap(static_cast<double>(p_.fault_gap_ms));
    } else if (t == noise) {
      out =
          Planned{t, t, 0, rng_.range_u32(0, clusters_ - 1), rng_.next(), EpisodeType::kNoise, {}};
      next_noise_ = t + gap(noise_gap_);
    } else {
      out =
          Planned{t, t, 0, rng_.range_u32(0, clusters_ - 1), rng_.next(), EpisodeType::kChange, {}};
      next_change_ = t + gap(change_gap_);
    }
    return true;
  }

 private:
  // Uniform in [0.2, 1.8] x mean: bursty enough, and no libm (exp/log) so bytes match everywhere.
  std::int64_t gap(double mean) {
    return std::max<std::int64_t>(kSec, static_cast<std::int64_t>(mean * rng_.uniform(0.2, 1.8)));
  }

  Planned make_fault(std::uint32_t i, std::uint32_t cluster, std::int64_t activation,
                     std::int64_t onset) {
    Planned f;
    f.type = EpisodeType::kFault;
    f.cluster = cluster;
    f.activation = activation;
    f.onset = onset;
    f.seed = rng_.next();
    f.kind = o_.kinds.empty() ? static_cast<FaultKind>(rng_.below(kFaultKinds))
                              : o_.kinds[i % o_.kinds.size()];
    return f;
  }

  void plan_faults(Rng& plan) {
    const std::uint32_t n = p_.faults;
    std::vector<std::int64_t> onsets;
    std::vector<std::int64_t> ends;
    std::vector<std::uint32_t> clusters;
    const std::int64_t w = p_.window_ms;
    for (std::uint32_t i = 0; i < n; ++i) {
      std::int64_t onset = 0, end = 0;
      std::uint32_t cluster = 0;
      switch (o_.scenario) {
        case Scenario::k3am:
          onset =
              start_ + plan.range(10 * kSec, 30 * kSec) + static_cast<std::int64_t>(i) * 20 * kSec;
          end = start_ + w - plan.range(15 * kSec, 35 * kSec);
          break;
        case Scenario::kBusyHour:
          onset = start_ + plan.range(kMin, w * 3 / 4);
          end = std::min(onset + plan.range(6 * kMin, 20 * kMin), start_ + w - kMin);
          cluster = plan.range_u32(0, clusters_ - 1);
          break;
        case Scenario::kConcurrent:
        case Scenario::kFirehose:
          // All within 110 s of the first, in one cluster: the "two fires at once" case.
          onset = i == 0 ? start_ + plan.range(30 * kSec, 90 * kSec)
                         : onsets[0] + plan.range(5 * kSec, 110 * kSec);
          end = std::min(onset + plan.range(5 * kMin, 10 * kMin), start_ + w - kMin);
          break;
      }
      onsets.push_back(onset);
      ends.push_back(std::max(end, onset + kMin));
      clusters.push_back(cluster);
    }
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return onsets[a] < onsets[b]; });
    std::vector<FaultKind> distinct;
    for (int k = 0; k < kFaultKinds; ++k) distinct.push_back(static_cast<FaultKind>(k));
    plan.shuffle(distinct);
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t i = order[j];
      Planned f = make_fault(static_cast<std::uint32_t>(j), clusters[i], onsets[i], onsets[i]);
      // Concurrent and busy-hour faults deal kinds from a shuffled deck: always a mix.
      if (o_.kinds.empty() && o_.scenario != Scenario::k3am) f.kind = distinct[j % distinct.size()];
      f.end = ends[i];
      if (f.kind == FaultKind::kBadDeploy) {
        // The deploy goes out some seconds to minutes before the errors start.
        const std::int64_t max_lead = o_.scenario == Scenario::k3am ? 40 * kSec : 3 * kMin;
        f.activation = f.onset - plan.range(15 * kSec, max_lead);
      }
      fixed_.push_back(f);
    }
    std::stable_sort(fixed_.begin(), fixed_.end(), [](const Planned& a, const Planned& b) {
      return a.activation < b.activation;
    });
  }

  const StormOptions& o_;
  const ScenarioParams& p_;
  std::int64_t start_;
  Rng rng_;
  std::uint32_t clusters_ = 1;
  std::int64_t end_ = 0;
  std::int64_t noise_end_ = std::numeric_limits<std::int64_t>::max();
  double noise_gap_ = 0, change_gap_ = 0;
  std::int64_t next_noise_ = 0, next_change_ = 0, next_fault_ = 0;
  std::uint32_t fault_count_ = 0;
  std::vector<Planned> fixed_;
  std::size_t fixed_pos_ = 0;
};

// ---------------------------------------------------------------------------------------------

class Generator {
 public:
  Generator(const StormOptions& o, const ScenarioParams& p, const World& w, std::int64_t start,
            double breadth, bool write)
      : o_(o),
        p_(p),
        w_(w),
        start_(start),
        breadth_(breadth),
        write_(write),
        rng_(derive_seed(o.seed, 0x6a6974746572)) {
    svc_busy_until_.assign(w.clusters.size(),
                           std::vector<std::int64_t>(w.services.size(), INT64_MIN));
    node_busy_until_.assign(w.nodes.size(), INT64_MIN);
    if (p.window_ms > 0) hard_end_ = start + p.window_ms;
  }

  core::Result<StormSummary> run(std::FILE* alerts, std::FILE* truth) {
    alerts_f_ = alerts;
    truth_f_ = truth;
    Rng plan(derive_seed(o_.seed, 0x6661756c74));
    ScenarioParams p = p_;
    Planner planner(o_, p, start_, plan);
    const std::uint64_t cap = o_.scenario == Scenario::kFirehose ? p_.target_alerts : 0;
    t0_ = std::chrono::steady_clock::now();
    Planned next;
    bool have = planner.next(next);
    while (true) {
      while (!heap_.empty() && (!have || heap_.front().ts < next.activation)) {
        std::pop_heap(heap_.begin(), heap_.end(), Later{});
        const HeapItem it = heap_.back();
        heap_.pop_back();
        step(it.slot, it.ts);
        if ((cap && sum_.alerts >= cap) || stopped_) break;
      }
      if ((cap && sum_.alerts >= cap) || !have || stopped_) break;
      materialize(next);
      have = planner.next(next);
    }
    if (!flush(true)) {
      if (stopped_) return core::make_error("stopped");
      return core::make_error("writing alerts.ndjson/truth.tsv failed");
    }
    sum_.scenario = o_.scenario;
    sum_.seed = o_.seed;
    sum_.services = static_cast<std::uint32_t>(w_.services.size());
    sum_.nodes = static_cast<std::uint32_t>(w_.nodes.size());
    sum_.clusters = static_cast<std::uint32_t>(w_.clusters.size());
    return sum_;
  }

 private:
  struct Ctx {
    Rng rng;
    std::uint32_t cluster = 0;
    std::uint32_t owner = kNoiseOwner;
    std::int64_t onset = 0, end = 0;
    std::string tail_root, tail_other;
    std::vector<std::uint32_t> services;  // distinct services touched, for the summary
  };

  // -- emission --------------------------------------------------------------------------------

  void step(std::uint32_t slot, std::int64_t ts) {
    Series& s = slots_[slot];
    if (s.is_change) {
      emit(s, ts, false);
      retire(slot);
      return;
    }
    if (!s.resolving) {
      emit(s, ts, false);
      const double v = s.value + s.drift + s.jitter * (rng_.uniform() - 0.5);
      s.value = std::clamp(v, s.lo, s.hi);
      std::int64_t next = ts + s.interval_ms + rng_.range(-kSec, kSec);
      if (next >= s.end_ms) {
        s.resolving = true;
        next = std::max(s.end_ms, ts + 1);
        if (!s.resolves) {
          retire(slot);
          return;
        }
      }
      push(slot, next);
      return;
    }
    emit(s, ts, true);
    if (s.flaps_left > 0) {
      --s.flaps_left;
      s.resolving = false;
      const std::int64_t again = ts + s.flap_off_ms;
      s.end_ms = again + s.flap_on_ms;
      if (hard_end_ == 0 || s.end_ms < hard_end_) {
        push(slot, again);
        return;
      }
    }
    retire(slot);
  }

  void emit(const Series& s, std::int64_t ts, bool resolved) {
    if (s.is_change) {
      ++sum_.changes;
      if (s.owner != kNoiseOwner && sum_.faults[s.owner].change_ms < 0)
        sum_.faults[s.owner].change_ms = ts;
    } else {
      ++sum_.alerts;
      if (sum_.alerts == 1) sum_.first_ms = ts;
      sum_.last_ms = ts;
      if (s.owner == kNoiseOwner) {
        ++sum_.noise_alerts;
      } else {
        FaultSummary& f = sum_.faults[s.owner];
        if (f.alerts == 0) f.start_ms = ts;
        f.end_ms = ts;
        ++f.alerts;
        if (s.root) ++f.root_alerts;
      }
    }
    if (o_.progress && !s.is_change && sum_.alerts % 1'000'000 == 0) progress(ts);
    if (!write_) return;
    id_.clear();
    if (s.is_change) {
      fmt::format_to(std::back_inserter(id_), "c-{:06d}", sum_.changes);
    } else {
      fmt::format_to(std::back_inserter(id_), "a-{:06d}", sum_.alerts);
    }
    core::JsonWriter jw(out_);
    jw.begin_object();
    jw.kv("id", std::string_view(id_)).kv("ts", ts);
    if (s.is_change) {
      jw.kv("kind", "change");
    } else {
      jw.kv("status", resolved ? "resolved" : "firing");
    }
    jw.key("labels").raw(s.labels_json);
    jw.key("annotations").begin_object();
    text_.assign(s.summary_prefix);
    if (!s.is_change) {
      fmt::format_to(std::back_inserter(text_), "{:.{}f}", s.value * s.mul, s.dec);
      text_.append(s.unit);
    }
    jw.kv("summary", std::string_view(text_));
    if (!s.description.empty()) jw.kv("description", std::string_view(s.description));
    jw.end_object();
    if (!s.is_change) jw.kv("value", std::round(s.value * 1e4) / 1e4);
    jw.end_object();
    out_.push_back('\n');
    ++out_lines_;
    if (!s.is_change) truth_.append(id_).append(s.truth_tail);
    if (out_.size() >= kFlushBytes) flush(false);
  }

  bool flush(bool final) {
    if (!write_) return true;
    if (alerts_f_ && !out_.empty() &&
        std::fwrite(out_.data(), 1, out_.size(), alerts_f_) != out_.size())
      io_ok_ = false;
    if (truth_f_ && !truth_.empty() &&
        std::fwrite(truth_.data(), 1, truth_.size(), truth_f_) != truth_.size())
      io_ok_ = false;
    if (o_.alert_sink && !out_.empty() && !stopped_ && !o_.alert_sink(out_, out_lines_))
      stopped_ = true;
    out_.clear();
    out_lines_ = 0;
    truth_.clear();
    if (final && alerts_f_ && std::fflush(alerts_f_) != 0) io_ok_ = false;
    if (final && truth_f_ && std::fflush(truth_f_) != 0) io_ok_ = false;
    return io_ok_ && !stopped_;
  }

  void progress(std::int64_t ts) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "storm: %llu alerts, %llu faults, event time %s, %.0f alerts/s\n",
                 static_cast<unsigned long long>(sum_.alerts),
                 static_cast<unsigned long long>(sum_.faults.size()),
                 core::format_rfc3339_ms(ts).c_str(),
                 secs > 0 ? static_cast<double>(sum_.alerts) / secs : 0.0);
  }

  void push(std::uint32_t slot, std::int64_t ts) {
    heap_.push_back({ts, seq_++, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  void retire(std::uint32_t slot) {
    // A series that never resolved stays firing as far as a receiver knows: its fingerprint is
    // never handed to another incident.
    if (slots_[slot].resolves || slots_[slot].is_change) active_fps_.erase(slots_[slot].fp);
    slots_[slot] = Series{};
    free_.push_back(slot);
  }

  // Adds a series firing from `start` to `end`. Refused (false) when a series with the same label
  // set is active: one fingerprint must belong to one truth incident at a time.
  bool add(Ctx& c, Labels& labels, const Tmpl& t, std::string summary_what, std::int64_t start,
           std::int64_t end, bool root, std::int64_t interval = 0) {
    if (hard_end_ > 0) end = std::min(end, hard_end_);
    if (end <= start) return false;
    Series s;
    s.labels_json = labels.json();
    s.fp = core::hash_bytes(s.labels_json);
    if (!active_fps_.insert(s.fp).second) return false;
    s.summary_prefix = std::move(summary_what);
    s.unit = t.val.unit;
    s.mul = t.val.mul;
    s.dec = t.val.dec;
    s.lo = t.val.lo;
    s.hi = t.val.hi;
    s.value = c.rng.uniform(t.val.lo, t.val.hi * 0.7 + t.val.lo * 0.3);
    s.drift = (t.val.hi - t.val.lo) * 0.06;
    s.jitter = (t.val.hi - t.val.lo) * 0.08;
    s.end_ms = end;
    s.interval_ms = interval > 0 ? interval : c.rng.range(30 * kSec, 60 * kSec);
    s.owner = c.owner;
    s.root = root;
    s.truth_tail = root ? c.tail_root : c.tail_other;
    if (c.rng.chance(0.5)) {
      s.description = fmt::format(
          "{} for {} has been firing in {}. Runbook: https://runbooks.example.internal/{}",
          t.alertname, labels.get("service").empty() ? labels.get("node") : labels.get("service"),
          w_.clusters[c.cluster].name, t.alertname);
    }
    const std::string_view svc = labels.get("service");
    if (c.owner != kNoiseOwner && !svc.empty()) note_service(c, svc);
    last_added_ = place(std::move(s));
    push(last_added_, start);
    return true;
  }

  std::uint32_t place(Series&& s) {
    if (!free_.empty()) {
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      slots_[slot] = std::move(s);
      return slot;
    }
    slots_.push_back(std::move(s));
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  void note_service(Ctx& c, std::string_view name) {
    for (std::uint32_t i = 0; i < w_.services.size(); ++i) {
      if (w_.services[i].name != name) continue;
      if (std::find(c.services.begin(), c.services.end(), i) == c.services.end())
        c.services.push_back(i);
      return;
    }
  }

  void add_change(Ctx& c, std::uint32_t svc, std::int64_t ts, std::string_view change_type,
                  std::string_view deploy) {
    const Service& s = w_.services[svc];
    Labels l;
    l.add("alertname", change_type == "deploy"   ? "Deploy"
                       : change_type == "config" ? "ConfigChange"
                                                 : "FeatureFlagChange")
        .add("service", s.name)
        .add("change_type", change_type)
        .add("namespace", s.ns)
        .add("cluster", w_.clusters[c.cluster].name);
    if (!deploy.empty()) l.add("deploy", deploy);
    if (c.rng.chance(0.6)) l.add("team", s.team);
    if (c.rng.chance(0.5)) l.add("source", c.rng.chance(0.5) ? "argocd" : "spinnaker");
    Series x;
    x.is_change = true;
    x.owner = c.owner;
    x.labels_json = l.json();
    if (change_type == "deploy") {
      x.summary_prefix =
          fmt::format("deploy {} (was {}@v{}.{}.{})", deploy, s.name, s.major, s.minor, s.patch);
    } else if (change_type == "config") {
      x.summary_prefix = fmt::format("config change to {}: {} updated", s.name,
                                     c.rng.chance(0.5) ? "connection limits" : "timeouts");
    } else {
      // One draw per statement: argument evaluation order is unspecified.
      const std::string_view flag = c.rng.chance(0.5) ? "new-flow" : "fast-path";
      x.summary_prefix =
          fmt::format("feature flag {}-{} set to {}%", s.name, flag, c.rng.range(5, 100));
    }
    push(place(std::move(x)), ts);
  }

  // -- label sets ------------------------------------------------------------------------------

  const std::string& cluster_name(const Ctx& c) const { return w_.clusters[c.cluster].name; }

  Labels service_labels(Ctx& c, std::uint32_t svc, const Tmpl& t) {
    const Service& s = w_.services[svc];
    Labels l;
    l.add("alertname", t.alertname)
        .add("service", s.name)
        .add("namespace", s.ns)
        .add("cluster", cluster_name(c))
        .add("severity", t.severity);
    if (c.rng.chance(0.5)) l.add("team", s.team);
    if (c.rng.chance(0.3)) l.add("job", s.name);
    return l;
  }

  // An application-level alert from a pod's own metrics (service discovery adds service and pod).
  Labels pod_labels(Ctx& c, std::uint32_t pod, const Tmpl& t, bool with_node) {
    const Pod& p = w_.pods[pod];
    const Service& s = w_.services[p.service];
    Labels l;
    l.add("alertname", t.alertname)
        .add("service", s.name)
        .add("namespace", s.ns)
        .add("pod", p.name)
        .add("instance", fmt::format("{}:{}", p.ip, s.port))
        .add("job", "kubernetes-pods")
        .add("cluster", cluster_name(c))
        .add("severity", t.severity);
    if (with_node || c.rng.chance(0.4)) l.add("node", w_.nodes[p.node].name);
    if (c.rng.chance(0.15)) l.add("zone", w_.clusters[c.cluster].zones[w_.nodes[p.node].zone]);
    return l;
  }

  // A kube-state-metrics alert: namespace, pod and container, but no service label.
  Labels ksm_labels(Ctx& c, std::uint32_t pod, std::string_view alertname,
                    std::string_view severity) {
    const Pod& p = w_.pods[pod];
    const Service& s = w_.services[p.service];
    Labels l;
    l.add("alertname", alertname)
        .add("namespace", s.ns)
        .add("pod", p.name)
        .add("container", s.name)
        .add("job", "kube-state-metrics")
        .add("cluster", cluster_name(c))
        .add("severity", severity);
    return l;
  }

  Labels node_labels(Ctx& c, std::uint32_t node, std::string_view alertname,
                     std::string_view severity, std::string_view job = "node-exporter") {
    const Node& n = w_.nodes[node];
    Labels l;
    l.add("alertname", alertname)
        .add("node", n.name)
        .add("instance", fmt::format("{}:9100", n.ip))
        .add("job", job)
        .add("cluster", cluster_name(c))
        .add("severity", severity);
    if (c.rng.chance(0.5)) l.add("zone", w_.clusters[c.cluster].zones[n.zone]);
    return l;
  }

  // An exporter (or CloudWatch) alert on a datastore; `pod` is kNone for cluster-wide alerts.
  Labels store_labels(Ctx& c, std::uint32_t svc, std::uint32_t pod, const Tmpl& t) {
    const Service& s = w_.services[svc];
    Labels l;
    l.add("alertname", t.alertname)
        .add("service", s.name)
        .add("cluster", cluster_name(c))
        .add("severity", t.severity);
    if (s.managed) {
      l.add("instance", w_.clusters[c.cluster].managed_host[svc]).add("job", "cloudwatch-exporter");
      return l;
    }
    l.add("namespace", s.ns).add("job", fmt::format("{}-exporter", store_kind_name(s.store)));
    if (pod != kNone) {
      const Pod& p = w_.pods[pod];
      l.add("pod", p.name).add("instance", fmt::format("{}:{}", p.ip, s.port));
      if (c.rng.chance(0.4)) l.add("node", w_.nodes[p.node].name);
    }
    return l;
  }

  std::string what(const Tmpl& t, std::string_view svc, std::string_view dep = {},
                   std::string_view pod = {}, std::string_view node = {}) {
    return fmt::format(fmt::runtime(t.what), fmt::arg("svc", svc), fmt::arg("dep", dep),
                       fmt::arg("pod", pod), fmt::arg("node", node));
  }

  const std::vector<std::uint32_t>& pods_of(const Ctx& c, std::uint32_t svc) const {
    return w_.clusters[c.cluster].pods_of[svc];
  }

  // -- claims: concurrent faults touch disjoint services and nodes ------------------------------

  bool svc_free(const Ctx& c, std::uint32_t svc) const {
    return svc_busy_until_[c.cluster][svc] < c.onset;
  }
  void claim_svc(const Ctx& c, std::uint32_t svc) {
    svc_busy_until_[c.cluster][svc] = std::max(svc_busy_until_[c.cluster][svc], c.end + 2 * kMin);
  }
  bool node_free(const Ctx& c, std::uint32_t node) const {
    return node_busy_until_[node] < c.onset;
  }
  void claim_node(const Ctx& c, std::uint32_t node) {
    node_busy_until_[node] = std::max(node_busy_until_[node], c.end + 2 * kMin);
    for (auto pod : w_.nodes[node].pods) claim_svc(c, w_.pods[pod].service);
  }

  std::int64_t tail_end(Ctx& c) { return c.end + c.rng.range(0, 60 * kSec); }
  std::uint32_t scaled(double base) const {
    return std::max<std::uint32_t>(1, static_cast<std::uint32_t>(base * breadth_ + 0.5));
  }

  // -- faults ----------------------------------------------------------------------------------

  void materialize(const Planned& p) {
    Ctx c{Rng(p.seed), p.cluster, kNoiseOwner, p.onset, p.end, {}, {}, {}};
    if (p.type == EpisodeType::kChange) {
      benign_change(c, p.activation);
      return;
    }
    if (p.type == EpisodeType::kNoise) {
      noise(c, p.activation);
      return;
    }
    FaultSummary f;
    f.id = fmt::format("f{}", sum_.faults.size() + 1);
    f.kind = p.kind;
    f.cluster = w_.clusters[p.cluster].name;
    c.owner = static_cast<std::uint32_t>(sum_.faults.size());
    sum_.faults.push_back(f);
    bool ok = false;
    switch (p.kind) {
      case FaultKind::kDatastore:
        ok = datastore(c);
        break;
      case FaultKind::kBadDeploy:
        ok = bad_deploy(c, p.activation);
        break;
      case FaultKind::kNodeFailure:
        ok = node_failure(c);
        break;
      case FaultKind::kNetworkPartition:
        ok = partition(c);
        break;
      case FaultKind::kNoisyNeighbour:
        ok = noisy_neighbour(c);
        break;
    }
    // A fault with nowhere left to happen (everything claimed) falls back to a datastore fault.
    if (!ok && p.kind != FaultKind::kDatastore) {
      sum_.faults[c.owner].kind = FaultKind::kDatastore;
      ok = datastore(c);
    }
    if (!ok)
      sum_.faults.pop_back();
    else
      sum_.faults[c.owner].services = static_cast<std::uint32_t>(c.services.size());
  }

  void set_root(Ctx& c, std::string root) {
    FaultSummary& f = sum_.faults[c.owner];
    f.root = std::move(root);
    const std::string_view kind = fault_kind_name(f.kind);
    c.tail_root = fmt::format("\t{}\t1\t{}\t{}\n", f.id, f.root, kind);
    c.tail_other = fmt::format("\t{}\t0\t{}\t{}\n", f.id, f.root, kind);
  }

  // Symptoms of one service hit through `cause` (a service it depends on), starting at `onset`.
  void service_symptoms(Ctx& c, std::uint32_t svc, std::uint32_t cause, std::int64_t onset,
                        int hop) {
    const Service& s = w_.services[svc];
    const Service& dep = w_.services[cause];
    const auto& pods = pods_of(c, svc);
    const std::int64_t end = tail_end(c);
    // 1) what the caller sees of its dependency: on some pods, or service-wide.
    {
      const Tmpl& t = hop == 1 ? caller_symptom(c.rng, dep) : pick(c.rng, kCallsService);
      if (!pods.empty() && c.rng.chance(0.55)) {
        const std::uint32_t n = std::min<std::uint32_t>(static_cast<std::uint32_t>(pods.size()),
                                                        scaled(c.rng.uniform(1.0, 2.5)));
        for (std::uint32_t k = 0; k < n; ++k) {
          const std::uint32_t pod = pods[k];
          Labels l = pod_labels(c, pod, t, false);
          if (c.rng.chance(0.4)) l.add("upstream", dep.name);
          add(c, l, t, what(t, w_.pods[pod].name, dep.name),
              onset + (k ? c.rng.range(0, 20 * kSec) : 0), end, false);
        }
      } else {
        Labels l = service_labels(c, svc, t);
        if (c.rng.chance(0.4)) l.add("upstream", dep.name);
        add(c, l, t, what(t, s.name, dep.name), onset, end, false);
      }
    }
    // 2) the service's own SLIs.
    if (c.rng.chance(std::min(0.9, 0.55 * breadth_))) {
      const Tmpl& t =
          s.layer == Layer::kEdge ? pick(c.rng, kEdgeGeneric) : pick(c.rng, kServiceGeneric);
      Labels l = service_labels(c, svc, t);
      if (hop >= 3) l = service_labels(c, svc, kServiceGeneric[1]);  // far away: just slower
      const Tmpl& u = hop >= 3 ? kServiceGeneric[1] : t;
      add(c, l, u, what(u, s.name, dep.name), onset + c.rng.range(5 * kSec, 30 * kSec), end, false);
    }
    extra_symptoms(c, svc, onset, end);
    // 3) sometimes a pod-level symptom too.
    if (!pods.empty() && c.rng.chance(std::min(0.8, 0.3 * breadth_))) {
      const Tmpl& t = pick(c.rng, kPodGeneric);
      const std::uint32_t pod = pods[c.rng.index(pods.size())];
      Labels l = pod_labels(c, pod, t, false);
      add(c, l, t, what(t, s.name, dep.name, w_.pods[pod].name),
          onset + c.rng.range(10 * kSec, 40 * kSec), end, false);
    }
  }

  // Calibration knob for small scenarios: with breadth > 1 an affected service shows more series
  // (more of its pods, more of its SLIs), as a bigger incident would.
  void extra_symptoms(Ctx& c, std::uint32_t svc, std::int64_t onset, std::int64_t end) {
    if (breadth_ <= 1.0) return;
    const auto extra = static_cast<int>(breadth_ - 1.0 + c.rng.uniform());
    const Service& s = w_.services[svc];
    const auto& pods = pods_of(c, svc);
    for (int i = 0; i < extra; ++i) {
      const std::int64_t at = onset + c.rng.range(5 * kSec, 45 * kSec);
      if (!pods.empty() && c.rng.chance(0.6)) {
        const Tmpl& t = pick(c.rng, kPodGeneric);
        const std::uint32_t pod = pods[c.rng.index(pods.size())];
        Labels l = pod_labels(c, pod, t, false);
        add(c, l, t, what(t, s.name, {}, w_.pods[pod].name), at, end, false);
      } else {
        const Tmpl& t =
            s.layer == Layer::kEdge ? pick(c.rng, kEdgeGeneric) : pick(c.rng, kServiceGeneric);
        Labels l = service_labels(c, svc, t);
        add(c, l, t, what(t, s.name, "upstream"), at, end, false);
      }
    }
  }

  // Spreads a fault from `root` up the depends_on graph: each caller alerts with a probability that
  // falls with distance, 10-90 s after the service it calls; some degrade silently.
  void propagate(Ctx& c, std::uint32_t root, std::int64_t root_onset, std::uint32_t cap,
                 double p_scale) {
    struct Item {
      std::uint32_t svc, cause;
      std::int64_t onset;
      int hop;
    };
    static constexpr std::array<double, 5> kHopP = {0.9, 0.65, 0.45, 0.3, 0.2};
    std::vector<Item> queue;
    std::vector<bool> seen(w_.services.size(), false);
    seen[root] = true;
    for (auto d : w_.services[root].dependents)
      queue.push_back({d, root, root_onset + c.rng.range(10 * kSec, 90 * kSec), 1});
    std::uint32_t affected = 0;
    for (std::size_t qi = 0; qi < queue.size() && affected < cap; ++qi) {
      const Item it = queue[qi];
      if (seen[it.svc]) continue;
      seen[it.svc] = true;
      if (!svc_free(c, it.svc)) continue;
      const double p = std::min(
          0.97, kHopP[static_cast<std::size_t>(it.hop - 1)] * p_scale * std::min(1.5, breadth_));
      const bool alerts = c.rng.chance(p);
      if (alerts) {
        service_symptoms(c, it.svc, it.cause, it.onset, it.hop);
        claim_svc(c, it.svc);
        ++affected;
      }
      if (it.hop < 5 && (alerts || c.rng.chance(0.5)))
        for (auto d : w_.services[it.svc].dependents)
          queue.push_back({d, it.svc, it.onset + c.rng.range(10 * kSec, 90 * kSec), it.hop + 1});
    }
    // A fault that nobody upstream noticed would not be much of a storm: the first free direct
    // caller always shows it.
    if (affected == 0) {
      for (const Item& it : queue) {
        if (it.hop != 1 || !svc_free(c, it.svc)) continue;
        service_symptoms(c, it.svc, it.cause, it.onset, 1);
        claim_svc(c, it.svc);
        break;
      }
    }
  }

  bool has_free_dependent(const Ctx& c, const Service& s) const {
    for (auto d : s.dependents)
      if (svc_free(c, d)) return true;
    return false;
  }

  template <class Pred>
  std::vector<std::uint32_t> services_where(const Ctx& c, Pred pred) const {
    std::vector<std::uint32_t> v;
    for (std::uint32_t i = 0; i < w_.services.size(); ++i)
      if (svc_free(c, i) && pred(w_.services[i], i)) v.push_back(i);
    return v;
  }

  // Picks with weight 1 + dependents: well-used components fail more visibly.
  std::uint32_t pick_weighted(Ctx& c, const std::vector<std::uint32_t>& v) {
    std::uint64_t total = 0;
    for (auto i : v) total += 1 + w_.services[i].dependents.size();
    std::uint64_t r = c.rng.below(total);
    for (auto i : v) {
      const std::uint64_t wgt = 1 + w_.services[i].dependents.size();
      if (r < wgt) return i;
      r -= wgt;
    }
    return v.back();
  }

  bool datastore(Ctx& c) {
    auto cands = services_where(c, [&](const Service& s, std::uint32_t) {
      return s.layer == Layer::kDatastore && has_free_dependent(c, s);
    });
    if (cands.empty()) return false;
    const std::uint32_t ds = pick_weighted(c, cands);
    const Service& s = w_.services[ds];
    set_root(c, s.name);
    claim_svc(c, ds);
    note_service(c, s.name);
    const auto& tm = store_tmpls(s);
    const auto& pods = pods_of(c, ds);
    const std::uint32_t primary = pods.empty() ? kNone : pods[0];
    // The headline alert starts the fault; more of the datastore's own alerts follow shortly.
    std::array<std::size_t, 3> order = {0, 1, 2};
    if (c.rng.chance(0.5)) std::swap(order[0], order[1]);
    const std::uint32_t n =
        std::min<std::uint32_t>(3, c.rng.range_u32(1, 2) + (breadth_ > 1.2 ? 1 : 0));
    for (std::uint32_t k = 0; k < n; ++k) {
      const Tmpl& t = tm[order[k]];
      const bool on_pod = k == 0 || c.rng.chance(0.5);
      Labels l = store_labels(c, ds, on_pod ? primary : kNone, t);
      add(c, l, t, what(t, s.name), c.onset + (k ? c.rng.range(5 * kSec, 40 * kSec) : 0), c.end,
          true);
    }
    propagate(c, ds, c.onset, scaled(p_.cap_services), 1.0);
    return true;
  }

  bool bad_deploy(Ctx& c, std::int64_t change_ts) {
    auto cands = services_where(c, [](const Service& s, std::uint32_t) {
      return s.layer == Layer::kDomain || s.layer == Layer::kPlatform ||
             s.layer == Layer::kFrontend;
    });
    if (cands.empty()) return false;
    const std::uint32_t svc = pick_weighted(c, cands);
    const Service& s = w_.services[svc];
    set_root(c, s.name);
    claim_svc(c, svc);
    const bool minor = c.rng.chance(0.6);
    const std::string version =
        fmt::format("v{}.{}.{}", s.major, minor ? s.minor + 1 : s.minor, minor ? 0 : s.patch + 1);
    const std::string deploy = fmt::format("{}@{}", s.name, version);
    add_change(c, svc, change_ts, "deploy", deploy);
    const std::int64_t end = c.end;
    // The new version's errors, tagged with the deploy as many pipelines do.
    {
      const Tmpl& t = kServiceGeneric[0];
      Labels l = service_labels(c, svc, t);
      l.add("deploy", deploy);
      add(c, l, t, what(t, s.name), c.onset, end, true);
    }
    // Fresh pods of the new ReplicaSet crash-loop.
    const auto& pods = pods_of(c, svc);
    std::string hash;
    for (int i = 0; i < 10; ++i) hash.push_back("bcdfghjklmnpqrstvwxz2456789"[c.rng.index(27)]);
    const std::uint32_t crashing = std::min<std::uint32_t>(static_cast<std::uint32_t>(pods.size()),
                                                           scaled(c.rng.uniform(1.0, 3.0)));
    for (std::uint32_t k = 0; k < crashing; ++k) {
      const Pod& p = w_.pods[pods[k]];
      std::string pod_name = fmt::format("{}-{}-", s.name, hash);
      for (int i = 0; i < 5; ++i)
        pod_name.push_back("bcdfghjklmnpqrstvwxz2456789"[c.rng.index(27)]);
      const bool ksm = c.rng.chance(0.6);
      const Tmpl t{ksm ? "PodCrashLooping" : "ContainerRestarting", ksm ? "critical" : "warning",
                   "{pod}: ", kRestarts};
      Labels l;
      l.add("alertname", t.alertname)
          .add("namespace", s.ns)
          .add("pod", pod_name)
          .add("cluster", cluster_name(c))
          .add("severity", t.severity);
      if (ksm) {
        l.add("container", s.name).add("job", "kube-state-metrics");
      } else {
        l.add("service", s.name)
            .add("job", "kubernetes-pods")
            .add("node", w_.nodes[p.node].name)
            .add("instance", fmt::format("{}:{}", p.ip, s.port))
            .add("deploy", deploy);
      }
      add(c, l, t, what(t, s.name, {}, pod_name), c.onset + c.rng.range(5 * kSec, 45 * kSec), end,
          true);
    }
    if (c.rng.chance(0.5 * breadth_)) {
      const Tmpl& t = kServiceGeneric[1];
      Labels l = service_labels(c, svc, t);
      add(c, l, t, what(t, s.name), c.onset + c.rng.range(5 * kSec, 30 * kSec), end, true);
    }
    propagate(c, svc, c.onset, scaled(p_.cap_services), 0.9);
    return true;
  }

  std::vector<std::uint32_t> services_on(std::uint32_t node) const {
    std::vector<std::uint32_t> v;
    for (auto pod : w_.nodes[node].pods) {
      const std::uint32_t s = w_.pods[pod].service;
      if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
    }
    return v;
  }

  // A free node of the cluster hosting at least `min_services` services, preferring busy nodes.
  std::uint32_t pick_node(Ctx& c, std::size_t min_services) {
    std::vector<std::uint32_t> cands;
    for (auto n : w_.clusters[c.cluster].nodes) {
      if (!node_free(c, n)) continue;
      const auto svcs = services_on(n);
      if (svcs.size() < min_services) continue;
      bool busy = false;
      for (auto s : svcs) busy = busy || !svc_free(c, s);
      if (!busy) cands.push_back(n);
    }
    if (cands.empty()) return kNone;
    return cands[c.rng.index(cands.size())];
  }

  bool node_failure(Ctx& c) {
    const std::uint32_t node = pick_node(c, 2);
    if (node == kNone) return false;
    const Node& n = w_.nodes[node];
    set_root(c, "node:" + n.name);
    claim_node(c, node);
    const Tmpl down{"NodeDown", "critical", "{node}: node-exporter up == ", kUp};
    Labels l1 = node_labels(c, node, down.alertname, down.severity);
    add(c, l1, down, what(down, {}, {}, {}, n.name), c.onset, c.end, true);
    const Tmpl kubelet{
        "KubeletNotReady", "critical", "{node}: Ready condition false for ", {60, 600, 1, 0, "s"}};
    Labels l2 = node_labels(c, node, kubelet.alertname, kubelet.severity, "kube-state-metrics");
    l2.add("condition", "Ready");
    add(c, l2, kubelet, what(kubelet, {}, {}, {}, n.name),
        c.onset + c.rng.range(10 * kSec, 40 * kSec), c.end, true);
    if (c.rng.chance(0.4)) {
      const Tmpl unreach{
          "KubeNodeUnreachable", "warning", "{node}: unreachable taint for ", {60, 600, 1, 0, "s"}};
      Labels l3 = node_labels(c, node, unreach.alertname, unreach.severity, "kube-state-metrics");
      add(c, l3, unreach, what(unreach, {}, {}, {}, n.name),
          c.onset + c.rng.range(20 * kSec, 60 * kSec), c.end, true);
    }
    // Its pods go away; the first pod of each service always alerts so that >= 2 services show.
    std::vector<std::uint32_t> pods = n.pods;
    c.rng.shuffle(pods);
    std::vector<std::uint32_t> hit;
    const std::uint32_t cap = scaled(static_cast<double>(p_.cap_services) * 1.5);
    for (auto pod : pods) {
      const std::uint32_t svc = w_.pods[pod].service;
      const bool first = std::find(hit.begin(), hit.end(), svc) == hit.end();
      if (!first && !c.rng.chance(0.5)) continue;
      if (first && hit.size() >= cap) continue;
      const std::int64_t start = c.onset + c.rng.range(20 * kSec, 90 * kSec);
      // Pods are rescheduled after the eviction timeout; their alerts stop before the node's.
      const std::int64_t end = std::min(c.end, start + c.rng.range(3 * kMin, 8 * kMin));
      const double r = c.rng.uniform();
      bool ok = false;
      if (r < 0.45) {
        const Tmpl t{"KubePodNotReady", "warning", "{pod}: not ready for ", {60, 600, 1, 0, "s"}};
        Labels l = ksm_labels(c, pod, t.alertname, t.severity);
        ok = add(c, l, t, what(t, {}, {}, w_.pods[pod].name), start, end, false);
      } else if (r < 0.7) {
        const Tmpl t{"TargetDown", "warning", "{svc}: targets down ", {0.2, 0.6, 100, 0, "%"}};
        const Service& s = w_.services[svc];
        Labels l;
        l.add("alertname", t.alertname)
            .add("job", s.name)
            .add("service", s.name)
            .add("namespace", s.ns)
            .add("cluster", cluster_name(c))
            .add("severity", t.severity);
        ok = add(c, l, t, what(t, s.name), start, end, false);
      } else {
        const Tmpl& t = kPodGeneric[0];
        Labels l = pod_labels(c, pod, t, true);
        ok = add(c, l, t, what(t, w_.services[svc].name, {}, w_.pods[pod].name), start, end, false);
      }
      if (ok && first) {
        hit.push_back(svc);
        extra_symptoms(c, svc, start, end);
        note_service(c, w_.services[svc].name);
        // Some services lose capacity visibly, and mildly their callers too.
        if (c.rng.chance(0.4 * breadth_)) {
          const Tmpl& t = kServiceGeneric[c.rng.index(2)];
          Labels l = service_labels(c, svc, t);
          add(c, l, t, what(t, w_.services[svc].name), start + c.rng.range(10 * kSec, 40 * kSec),
              end, false);
        }
        for (auto d : w_.services[svc].dependents) {
          if (!svc_free(c, d) || !c.rng.chance(0.15 * breadth_)) continue;
          claim_svc(c, d);
          const Tmpl& t = kServiceGeneric[1];
          Labels l = service_labels(c, d, t);
          add(c, l, t, what(t, w_.services[d].name), start + c.rng.range(10 * kSec, 90 * kSec), end,
              false);
        }
      }
    }
    return true;
  }

  bool partition(Ctx& c) {
    const Cluster& cl = w_.clusters[c.cluster];
    const std::uint32_t za = c.rng.range_u32(0, 2);
    set_root(c, "zone:" + cl.zones[za]);
    // Root evidence: blackbox probes across the cut.
    bool any = false;
    for (std::uint32_t zb = 0; zb < 3; ++zb) {
      if (zb == za) continue;
      const Tmpl t{"CrossZoneProbeFailed",
                   "critical",
                   "probes from {svc} to {dep} failing: loss ",
                   {0.6, 1.0, 100, 0, "%"}};
      Labels l;
      l.add("alertname", t.alertname)
          .add("job", "blackbox")
          .add("source_zone", cl.zones[za])
          .add("target_zone", cl.zones[zb])
          .add("instance", fmt::format("probe.{}.svc.internal:443", cl.zones[zb]))
          .add("cluster", cl.name)
          .add("severity", t.severity);
      const std::int64_t at = c.onset + (any ? c.rng.range(0, 15 * kSec) : 0);
      if (add(c, l, t, what(t, cl.zones[za], cl.zones[zb]), at, c.end, true)) any = true;
    }
    if (!any) return false;
    // Callers in the cut zone fail to reach their dependencies elsewhere: many services at once.
    std::vector<std::uint32_t> callers = services_where(c, [&](const Service& s, std::uint32_t i) {
      if (s.deps.empty()) return false;
      for (auto pod : cl.pods_of[i])
        if (w_.nodes[w_.pods[pod].node].zone == za) return true;
      return false;
    });
    c.rng.shuffle(callers);
    const std::uint32_t cap = scaled(static_cast<double>(p_.cap_services) * 1.3);
    std::uint32_t hit = 0;
    for (auto svc : callers) {
      if (hit >= cap) break;
      const Service& s = w_.services[svc];
      const std::int64_t start = c.onset + c.rng.range(5 * kSec, 60 * kSec);
      const std::uint32_t dep = s.deps[c.rng.index(s.deps.size())];
      const Tmpl& t =
          c.rng.chance(0.5) ? caller_symptom(c.rng, w_.services[dep]) : kCallsService[3];
      std::uint32_t shown = 0;
      for (auto pod : cl.pods_of[svc]) {
        if (w_.nodes[w_.pods[pod].node].zone != za) continue;
        Labels l = pod_labels(c, pod, t, false);
        if (c.rng.chance(0.5)) l.add("zone", cl.zones[za]);
        if (c.rng.chance(0.5)) l.add("upstream", w_.services[dep].name);
        const std::int64_t at = start + (shown ? c.rng.range(0, 10 * kSec) : 0);
        if (add(c, l, t, what(t, w_.pods[pod].name, w_.services[dep].name), at, tail_end(c), false))
          ++shown;
        if (shown >= 2) break;
      }
      if (c.rng.chance(0.5 * breadth_)) {
        const Tmpl& u = kServiceGeneric[c.rng.index(2)];
        Labels l = service_labels(c, svc, u);
        const std::int64_t at = start + c.rng.range(10 * kSec, 40 * kSec);
        add(c, l, u, what(u, s.name), at, tail_end(c), false);
      }
      extra_symptoms(c, svc, start, tail_end(c));
      claim_svc(c, svc);
      ++hit;
    }
    return true;
  }

  bool noisy_neighbour(Ctx& c) {
    const std::uint32_t node = pick_node(c, 3);
    if (node == kNone) return false;
    const Node& n = w_.nodes[node];
    std::vector<std::uint32_t> batch, any;
    for (auto pod : n.pods) {
      (w_.services[w_.pods[pod].service].layer == Layer::kBatch ? batch : any).push_back(pod);
    }
    const std::uint32_t hog =
        !batch.empty() ? batch[c.rng.index(batch.size())] : any[c.rng.index(any.size())];
    const std::uint32_t hog_svc = w_.pods[hog].service;
    set_root(c, w_.services[hog_svc].name);
    claim_node(c, node);
    {
      const Tmpl t{"ContainerCpuUsageHigh",
                   "warning",
                   "{pod}: using ",
                   {3.5, 15, 1, 1, " cores (no limit set)"}};
      Labels l = pod_labels(c, hog, t, true);
      add(c, l, t, what(t, {}, {}, w_.pods[hog].name), c.onset, c.end, true);
    }
    {
      const Tmpl t{"NodeCPUSaturation", "warning", "{node}: CPU busy ", {0.92, 1.0, 100, 0, "%"}};
      Labels l = node_labels(c, node, t.alertname, t.severity);
      add(c, l, t, what(t, {}, {}, {}, n.name), c.onset + c.rng.range(15 * kSec, 60 * kSec), c.end,
          false);
    }
    // Co-located pods of other services get slow.
    std::vector<std::uint32_t> victims;
    std::vector<std::uint32_t> pods = n.pods;
    c.rng.shuffle(pods);
    const std::uint32_t cap = std::max<std::uint32_t>(2, scaled(4));
    for (auto pod : pods) {
      const std::uint32_t svc = w_.pods[pod].service;
      if (svc == hog_svc || std::find(victims.begin(), victims.end(), svc) != victims.end())
        continue;
      if (victims.size() >= cap) break;
      victims.push_back(svc);
      const double r = c.rng.uniform();
      const std::int64_t start = c.onset + c.rng.range(30 * kSec, 120 * kSec);
      if (r < 0.5) {
        const Tmpl& t = kServiceGeneric[1];
        Labels l = pod_labels(c, pod, t, true);
        add(c, l, t, what(t, w_.pods[pod].name), start, tail_end(c), false);
      } else if (r < 0.8) {
        const Tmpl t{
            "CPUThrottlingHigh", "info", "{pod}: throttled ", {0.25, 0.9, 100, 0, "% of periods"}};
        Labels l = ksm_labels(c, pod, t.alertname, t.severity);
        l.add("node", n.name);
        add(c, l, t, what(t, {}, {}, w_.pods[pod].name), start, tail_end(c), false);
      } else {
        const Tmpl& t = kPodGeneric[0];
        Labels l = pod_labels(c, pod, t, true);
        add(c, l, t, what(t, {}, {}, w_.pods[pod].name), start, tail_end(c), false);
      }
      note_service(c, w_.services[svc].name);
      extra_symptoms(c, svc, start, tail_end(c));
      if (c.rng.chance(0.3 * breadth_)) {
        const Tmpl& t = kServiceGeneric[1];
        Labels l = service_labels(c, svc, t);
        const std::int64_t at = start + c.rng.range(10 * kSec, 60 * kSec);
        add(c, l, t, what(t, w_.services[svc].name), at, tail_end(c), false);
      }
    }
    return true;
  }

  // -- noise and benign changes ----------------------------------------------------------------

  void benign_change(Ctx& c, std::int64_t ts) {
    const std::uint32_t svc =
        c.rng.range_u32(0, static_cast<std::uint32_t>(w_.services.size() - 1));
    const Service& s = w_.services[svc];
    if (s.layer == Layer::kDatastore) return;
    const double r = c.rng.uniform();
    if (r < 0.7) {
      add_change(c, svc, ts, "deploy",
                 fmt::format("{}@v{}.{}.{}", s.name, s.major, s.minor, s.patch + 1));
    } else {
      add_change(c, svc, ts, r < 0.9 ? "config" : "feature_flag", {});
    }
  }

  void noise(Ctx& c, std::int64_t ts) {
    ++sum_.noise_incidents;
    const std::string id = fmt::format("noise-{}", sum_.noise_incidents);
    c.tail_root = c.tail_other = fmt::format("\t{}\t0\t\tnoise\n", id);
    const Cluster& cl = w_.clusters[c.cluster];
    const double r = c.rng.uniform();
    const auto random_service = [&](bool stores) {
      for (;;) {
        const auto i = c.rng.range_u32(0, static_cast<std::uint32_t>(w_.services.size() - 1));
        if (stores == (w_.services[i].layer == Layer::kDatastore)) return i;
      }
    };
    const auto random_pod = [&]() -> std::uint32_t {
      for (int tries = 0; tries < 50; ++tries) {
        const auto& v = cl.pods_of[random_service(false)];
        if (!v.empty()) return v[c.rng.index(v.size())];
      }
      return kNone;
    };
    bool ok = false;
    if (r < 0.3) {
      // Crying wolf: a disk that is always "almost full".
      const std::uint32_t node = cl.nodes[c.rng.index(cl.nodes.size())];
      const Tmpl t{"DiskSpaceLow", "warning", "{node}: free space on {dep} ", {5, 14, 1, 1, "%"}};
      Labels l = node_labels(c, node, t.alertname, t.severity);
      const bool root_fs = c.rng.chance(0.5);
      l.add("mountpoint", root_fs ? "/" : "/var/lib/containerd")
          .add("device", root_fs ? "/dev/nvme0n1p1" : "/dev/nvme1n1");
      const std::int64_t on = c.rng.range(2 * kMin, 15 * kMin);
      ok = add(c, l, t, what(t, {}, root_fs ? "/" : "/var/lib/containerd", {}, w_.nodes[node].name),
               ts, ts + on, false, 60 * kSec);
      if (ok && c.rng.chance(0.5)) {
        const std::uint32_t cycles = c.rng.range_u32(1, 2);
        flap(cycles, on, c.rng.range(kMin, 5 * kMin));
      }
    } else if (r < 0.6) {
      // Flapping: the same fingerprint fires and resolves again and again.
      const std::int64_t on = c.rng.range(30 * kSec, 2 * kMin);
      const double k = c.rng.uniform();
      if (k < 0.35) {
        const std::uint32_t svc = random_service(false);
        const Tmpl& t = kServiceGeneric[1];  // the same alertname faults use
        Labels l = service_labels(c, svc, t);
        ok = add(c, l, t, what(t, w_.services[svc].name), ts, ts + on, false);
      } else if (k < 0.6) {
        const std::uint32_t pod = random_pod();
        if (pod != kNone) {
          const Tmpl t{"KubePodNotReady", "warning", "{pod}: not ready for ", {60, 300, 1, 0, "s"}};
          Labels l = ksm_labels(c, pod, t.alertname, t.severity);
          ok = add(c, l, t, what(t, {}, {}, w_.pods[pod].name), ts, ts + on, false);
        }
      } else if (k < 0.8) {
        const std::uint32_t pod = random_pod();
        if (pod != kNone) {
          const Tmpl t{"CPUThrottlingHigh",
                       "info",
                       "{pod}: throttled ",
                       {0.25, 0.6, 100, 0, "% of periods"}};
          Labels l = ksm_labels(c, pod, t.alertname, t.severity);
          ok = add(c, l, t, what(t, {}, {}, w_.pods[pod].name), ts, ts + on, false);
        }
      } else {
        const std::uint32_t svc = random_service(false);
        const Tmpl t{"TargetDown", "warning", "{svc}: targets down ", {0.1, 0.34, 100, 0, "%"}};
        Labels l;
        l.add("alertname", t.alertname)
            .add("job", w_.services[svc].name)
            .add("service", w_.services[svc].name)
            .add("namespace", w_.services[svc].ns)
            .add("cluster", cl.name)
            .add("severity", t.severity);
        ok = add(c, l, t, what(t, w_.services[svc].name), ts, ts + on, false);
      }
      if (ok) {
        const std::uint32_t cycles = c.rng.range_u32(2, 6);
        flap(cycles, on, c.rng.range(30 * kSec, 4 * kMin));
      }
    } else {
      // A singleton: one firing, sometimes resolved later.
      const double k = c.rng.uniform();
      const std::int64_t life = c.rng.range(kMin, 6 * kMin);
      if (k < 0.25) {
        const std::uint32_t svc = random_service(false);
        const Tmpl t{"HighErrorRate", "warning", "{svc}: 5xx ratio ", {0.02, 0.08, 100, 0, "%"}};
        Labels l = service_labels(c, svc, t);
        ok = add(c, l, t, what(t, w_.services[svc].name), ts, ts + life, false, 24 * kHour);
      } else if (k < 0.45) {
        const std::uint32_t pod = random_pod();
        if (pod != kNone) {
          const Tmpl& t = kPodGeneric[c.rng.index(kPodGeneric.size())];
          Labels l = pod_labels(c, pod, t, false);
          ok = add(c, l, t, what(t, {}, {}, w_.pods[pod].name), ts, ts + life, false, 24 * kHour);
        }
      } else if (k < 0.6) {
        std::uint32_t ds = random_service(true);
        for (int tries = 0; tries < 20 && w_.services[ds].store != StoreKind::kPostgres &&
                            w_.services[ds].store != StoreKind::kMysql;
             ++tries)
          ds = random_service(true);
        const Tmpl t{
            "ReplicationLagHigh", "warning", "{svc}: replication lag ", {30, 120, 1, 0, "s"}};
        Labels l = store_labels(c, ds, cl.pods_of[ds].empty() ? kNone : cl.pods_of[ds].back(), t);
        ok = add(c, l, t, what(t, w_.services[ds].name), ts, ts + life, false, 24 * kHour);
      } else if (k < 0.75) {
        const std::uint32_t svc = random_service(false);
        const Tmpl t{"KubeJobFailed", "warning", "job {pod} failed, attempts ", {1, 6, 1, 0, ""}};
        const std::string job =
            fmt::format("{}-{}", w_.services[svc].name, c.rng.range(28000000, 29999999));
        Labels l;
        l.add("alertname", t.alertname)
            .add("namespace", w_.services[svc].ns)
            .add("job_name", job)
            .add("job", "kube-state-metrics")
            .add("cluster", cl.name)
            .add("severity", t.severity);
        ok = add(c, l, t, what(t, {}, {}, job), ts, ts + life, false, 24 * kHour);
      } else if (k < 0.88) {
        const std::uint32_t svc = random_service(false);
        const Tmpl t{"CertificateExpiringSoon",
                     "warning",
                     "{svc}: TLS certificate expires in ",
                     {5, 14, 1, 0, " days"}};
        Labels l;
        l.add("alertname", t.alertname)
            .add("instance", fmt::format("{}.example.com:443", w_.services[svc].name))
            .add("job", "blackbox")
            .add("cluster", cl.name)
            .add("severity", t.severity);
        ok = add(c, l, t, what(t, w_.services[svc].name), ts, ts + life, false, 24 * kHour);
      } else {
        const std::uint32_t svc = random_service(false);
        const Tmpl t{"SlowQueries", "warning", "{svc}: slow queries p99 ", {1.2, 3, 1, 1, "s"}};
        Labels l = service_labels(c, svc, t);
        ok = add(c, l, t, what(t, w_.services[svc].name), ts, ts + life, false, 24 * kHour);
      }
      if (ok && c.rng.chance(0.4)) slots_[last_slot()].resolves = false;
    }
    if (!ok) {
      // Nothing emitted (a fingerprint clash): give the id back so noise ids stay dense.
      --sum_.noise_incidents;
    }
  }

  std::uint32_t last_slot() const { return last_added_; }

  // Makes the series add() just pushed flap: `cycles` more fire/resolve rounds.
  void flap(std::uint32_t cycles, std::int64_t on, std::int64_t off) {
    Series& s = slots_[last_slot()];
    s.flaps_left = cycles;
    s.flap_on_ms = on;
    s.flap_off_ms = off;
  }

  const StormOptions& o_;
  const ScenarioParams& p_;
  const World& w_;
  std::int64_t start_;
  double breadth_;
  bool write_;
  std::int64_t hard_end_ = 0;
  Rng rng_;  // value and resend jitter, drawn in emission order
  std::vector<Series> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<HeapItem> heap_;
  std::uint64_t seq_ = 0;
  std::uint32_t last_added_ = 0;  // the slot of the series add() last placed
  std::unordered_set<std::uint64_t> active_fps_;
  std::vector<std::vector<std::int64_t>> svc_busy_until_;
  std::vector<std::int64_t> node_busy_until_;
  StormSummary sum_;
  std::string out_, truth_, id_, text_;
  std::uint64_t out_lines_ = 0;  // lines in out_
  bool stopped_ = false;         // the alert sink said stop
  std::FILE* alerts_f_ = nullptr;
  std::FILE* truth_f_ = nullptr;
  bool io_ok_ = true;
  std::chrono::steady_clock::time_point t0_;
};

struct File {
  std::FILE* f = nullptr;
  ~File() {
    if (f) std::fclose(f);
  }
};

bool write_file(const std::filesystem::path& path, std::string_view data) {
  File f{std::fopen(path.c_str(), "wb")};
  if (!f.f) return false;
  if (std::fwrite(data.data(), 1, data.size(), f.f) != data.size()) return false;
  const bool ok = std::fclose(f.f) == 0;
  f.f = nullptr;
  return ok;
}

std::string storm_json(const StormSummary& s, std::int64_t start) {
  std::string out;
  core::JsonWriter w(out);
  w.begin_object();
  w.kv("scenario", scenario_name(s.scenario)).kv("seed", s.seed);
  w.kv("start", std::string_view(core::format_rfc3339_ms(start)));
  w.kv("first_ts", s.first_ms).kv("last_ts", s.last_ms);
  w.kv("alerts", s.alerts).kv("change_events", s.changes).kv("noise_alerts", s.noise_alerts);
  w.kv("noise_incidents", s.noise_incidents);
  w.kv("services", static_cast<std::uint64_t>(s.services))
      .kv("nodes", static_cast<std::uint64_t>(s.nodes));
  w.kv("clusters", static_cast<std::uint64_t>(s.clusters));
  w.kv("faults_total", static_cast<std::uint64_t>(s.faults.size()));
  w.key("faults").begin_array();
  for (const FaultSummary& f : s.faults) {
    w.begin_object();
    w.kv("id", std::string_view(f.id))
        .kv("kind", fault_kind_name(f.kind))
        .kv("root", std::string_view(f.root));
    w.kv("cluster", std::string_view(f.cluster)).kv("start_ts", f.start_ms);
    w.kv("start", std::string_view(core::format_rfc3339_ms(f.start_ms))).kv("end_ts", f.end_ms);
    if (f.change_ms >= 0) w.kv("change_ts", f.change_ms);
    w.kv("alerts", f.alerts).kv("root_alerts", f.root_alerts);
    w.kv("services", static_cast<std::uint64_t>(f.services));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  out.push_back('\n');
  return out;
}

}  // namespace

std::string_view scenario_name(Scenario s) {
  switch (s) {
    case Scenario::k3am:
      return "3am";
    case Scenario::kBusyHour:
      return "busy-hour";
    case Scenario::kConcurrent:
      return "concurrent";
    case Scenario::kFirehose:
      return "firehose";
  }
  return "3am";
}

std::optional<Scenario> parse_scenario(std::string_view name) {
  for (auto s : {Scenario::k3am, Scenario::kBusyHour, Scenario::kConcurrent, Scenario::kFirehose})
    if (scenario_name(s) == name) return s;
  return std::nullopt;
}

std::string_view fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::kDatastore:
      return "datastore";
    case FaultKind::kBadDeploy:
      return "bad_deploy";
    case FaultKind::kNodeFailure:
      return "node_failure";
    case FaultKind::kNetworkPartition:
      return "network_partition";
    case FaultKind::kNoisyNeighbour:
      return "noisy_neighbour";
  }
  return "datastore";
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  for (int k = 0; k < kFaultKinds; ++k)
    if (fault_kind_name(static_cast<FaultKind>(k)) == name) return static_cast<FaultKind>(k);
  return std::nullopt;
}

std::string summary_line(const StormSummary& s, std::string_view out_dir) {
  return fmt::format(
      "storm {} seed {}: {} alerts, {} change events, {} faults, {} noise alerts -> {}",
      scenario_name(s.scenario), s.seed, s.alerts, s.changes, s.faults.size(), s.noise_alerts,
      out_dir);
}

core::Result<StormSummary> generate_storm(const StormOptions& o) {
  if (o.out_dir.empty() && !o.alert_sink) return core::make_error("no output directory");
  Rng plan(derive_seed(o.seed, 0x706172616d73));
  const ScenarioParams p = params_for(o, plan);
  const std::int64_t start = o.start_ms.value_or(kDefaultStartMs);
  const World world = build_world(derive_seed(o.seed, 0x776f726c64), p.size);

  // Small scenarios are calibrated to their alert target by scaling how far faults spread:
  // dry runs count alerts without writing, the closest one is written.
  double breadth = 1.0;
  if (o.scenario != Scenario::kFirehose && p.target_alerts > 0) {
    double best = breadth, best_err = 1e18;
    for (int attempt = 0; attempt < 10; ++attempt) {
      Generator dry(o, p, world, start, breadth, false);
      const auto r = dry.run(nullptr, nullptr);
      if (!r) return tl::unexpected(r.error());
      const double n = static_cast<double>(std::max<std::uint64_t>(1, r->alerts));
      const double target = static_cast<double>(p.target_alerts);
      const double err = n > target ? n - target : target - n;
      if (err < best_err) best_err = err, best = breadth;
      if (err <= target * 0.08) break;
      breadth = std::clamp(breadth * (0.3 + 0.7 * target / n), 0.2, 10.0);
    }
    breadth = best;
  }

  if (o.out_dir.empty()) {  // streaming only
    Generator gen(o, p, world, start, breadth, true);
    return gen.run(nullptr, nullptr);
  }

  std::error_code ec;
  const std::filesystem::path dir(o.out_dir);
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::make_error(fmt::format("cannot create {}: {}", o.out_dir, ec.message()));

  std::string topo;
  append_topology_yaml(world, topo);
  if (!write_file(dir / "topology.yaml", topo))
    return core::make_error(fmt::format("cannot write {}", (dir / "topology.yaml").string()));

  File alerts{std::fopen((dir / "alerts.ndjson").c_str(), "wb")};
  File truth{std::fopen((dir / "truth.tsv").c_str(), "wb")};
  if (!alerts.f || !truth.f)
    return core::make_error(fmt::format("cannot write into {}", o.out_dir));
  static constexpr std::string_view kHeader = "alert_id\tincident\troot\troot_service\tkind\n";
  std::fwrite(kHeader.data(), 1, kHeader.size(), truth.f);

  Generator gen(o, p, world, start, breadth, true);
  auto summary = gen.run(alerts.f, truth.f);
  if (!summary) return summary;
  if (std::fclose(alerts.f) != 0 || std::fclose(truth.f) != 0) {
    alerts.f = truth.f = nullptr;
    return core::make_error("closing alerts.ndjson/truth.tsv failed (disk full?)");
  }
  alerts.f = truth.f = nullptr;
  if (!write_file(dir / "storm.json", storm_json(*summary, start)))
    return core::make_error(fmt::format("cannot write {}", (dir / "storm.json").string()));
  return summary;
}

}  // namespace squall::storm
