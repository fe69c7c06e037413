#pragma once
// The synthetic storm generator: a seeded, deterministic storm of alerts (native NDJSON) over a
// generated topology, with ground truth for `squall eval`.
//
// A storm directory holds alerts.ndjson (alerts and `kind:"change"` events, sorted by ts),
// topology.yaml, truth.tsv (one row per alert, in file order, change events excluded) and
// storm.json (a summary). Output is streamed: memory holds only the alert series active at a time,
// so firehose storms of many millions of alerts run in constant memory.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/time.h"

namespace squall::storm {

enum class Scenario : std::uint8_t { k3am, kBusyHour, kConcurrent, kFirehose };
enum class FaultKind : std::uint8_t {
  kDatastore,
  kBadDeploy,
  kNodeFailure,
  kNetworkPartition,
  kNoisyNeighbour,
};
inline constexpr int kFaultKinds = 5;

std::string_view scenario_name(Scenario s);
std::optional<Scenario> parse_scenario(std::string_view name);
// "datastore" | "bad_deploy" | "node_failure" | "network_partition" | "noisy_neighbour"
std::string_view fault_kind_name(FaultKind k);
std::optional<FaultKind> parse_fault_kind(std::string_view name);

// 2026-11-24T03:00:00Z
inline constexpr std::int64_t kDefaultStartMs =
    core::days_from_civil(2026, 11, 24) * 86'400'000LL + 3 * 3'600'000LL;

struct StormOptions {
  Scenario scenario = Scenario::k3am;
  std::uint64_t seed = 1;
  // Zero means "the scenario's default" for every size below.
  std::uint32_t services = 0;
  std::uint32_t nodes = 0;  // per cluster
  std::uint32_t clusters = 0;
  std::uint32_t faults = 0;
  std::uint64_t alerts = 0;      // target alert count (firehose: exact cap; others: calibrated)
  double noise_per_min = -1;     // background-noise episodes per minute per cluster; < 0: default
  std::vector<FaultKind> kinds;  // when set, fault i has kind kinds[i % kinds.size()]
  std::optional<std::int64_t> start_ms;  // epoch ms; default kDefaultStartMs
  std::string out_dir;    // may be empty when alert_sink is set: then no files are written
  bool progress = false;  // progress lines on stderr
  // When set, also receives the alerts.ndjson bytes as they are generated, in chunks (~1 MiB) of
  // whole lines with their line count, on the generating thread. Returning false stops the storm
  // (generate_storm then fails with "stopped").
  std::function<bool(std::string_view lines, std::uint64_t count)> alert_sink;
};

struct FaultSummary {
  std::string id;  // f1, f2, ...
  FaultKind kind = FaultKind::kDatastore;
  std::string root;  // service name, `node:<name>` or `zone:<name>`
  std::string cluster;
  std::int64_t start_ms = 0;    // first alert
  std::int64_t end_ms = 0;      // last alert
  std::int64_t change_ms = -1;  // the preceding change event (bad deploys), else -1
  std::uint64_t alerts = 0;
  std::uint64_t root_alerts = 0;
  std::uint32_t services = 0;  // distinct services among its alerts
};

struct StormSummary {
  Scenario scenario = Scenario::k3am;
  std::uint64_t seed = 0;
  std::uint64_t alerts = 0;  // change events excluded
  std::uint64_t changes = 0;
  std::uint64_t noise_alerts = 0;
  std::uint64_t noise_incidents = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  std::uint32_t services = 0;
  std::uint32_t nodes = 0;
  std::uint32_t clusters = 0;
  std::vector<FaultSummary> faults;
};

// Writes the storm directory (created if missing) and/or feeds alert_sink. Errors: unwritable
// directory or files, a sink that said stop.
core::Result<StormSummary> generate_storm(const StormOptions& options);

// "3am seed 1: 203 alerts, 1 change events, 1 faults, 31 noise alerts -> /tmp/s"
std::string summary_line(const StormSummary& s, std::string_view out_dir);

}  // namespace squall::storm
