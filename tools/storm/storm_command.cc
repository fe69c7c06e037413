#include "tools/storm/storm_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/time.h"
#include "tools/storm/storm.h"

namespace squall::storm {
namespace {

struct Args {
  std::string scenario;
  std::uint64_t seed = 1;
  std::uint32_t services = 0, nodes = 0, clusters = 0, faults = 0;
  std::uint64_t alerts = 0;
  double noise = -1;
  std::vector<std::string> kinds;
  std::string start;
  std::string out;
  bool quiet = false;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "squall storm: %s\n", message.c_str());
  throw CLI::RuntimeError(2);
}

void run(const Args& a) {
  StormOptions o;
  const auto scenario = parse_scenario(a.scenario);
  if (!scenario)
    fail("unknown scenario '" + a.scenario + "' (3am, busy-hour, concurrent, firehose)");
  o.scenario = *scenario;
  o.seed = a.seed;
  o.services = a.services;
  o.nodes = a.nodes;
  o.clusters = a.clusters;
  o.faults = a.faults;
  o.alerts = a.alerts;
  o.noise_per_min = a.noise;
  for (const auto& k : a.kinds) {
    const auto kind = parse_fault_kind(k);
    if (!kind)
      fail("unknown fault kind '" + k +
           "' (datastore, bad_deploy, node_failure, network_partition, noisy_neighbour)");
    o.kinds.push_back(*kind);
  }
  if (!a.start.empty()) {
    const auto ms = core::parse_rfc3339_ms(a.start);
    if (!ms) fail("--start: not an RFC 3339 time: '" + a.start + "'");
    o.start_ms = *ms;
  }
  o.out_dir = a.out;
  o.progress = !a.quiet && (o.scenario == Scenario::kFirehose || o.alerts >= 1'000'000);
  const auto summary = generate_storm(o);
  if (!summary) fail(summary.error().message);
  std::printf("%s\n", summary_line(*summary, o.out_dir).c_str());
}

}  // namespace

void register_storm_command(CLI::App& app) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "storm",
      "Write a synthetic alert storm with ground truth: alerts.ndjson (native format, sorted by "
      "ts, with "
      "change events), topology.yaml, truth.tsv and storm.json. Seeded and deterministic.");
  cmd->add_option(
         "--scenario", args->scenario,
         "3am: one big fault plus noise (~200 alerts, ~4 min); busy-hour: 4-6 overlapping faults "
         "over an hour; concurrent: 2-3 faults within 2 min in one cluster; firehose: millions of "
         "alerts over days (load testing)")
      ->required()
      ->check(CLI::IsMember({"3am", "busy-hour", "concurrent", "firehose"}));
  cmd->add_option("--seed", args->seed, "random seed; same seed and options give identical files")
      ->capture_default_str();
  cmd->add_option("--services", args->services,
                  "number of services in the topology (default per scenario)")
      ->check(CLI::Range(12u, 100000u));
  cmd->add_option("--nodes", args->nodes, "nodes per cluster (default per scenario)")
      ->check(CLI::Range(3u, 100000u));
  cmd->add_option("--clusters", args->clusters, "clusters, 1-6 (default per scenario)")
      ->check(CLI::Range(1u, 6u));
  cmd->add_option("--faults", args->faults, "number of faults (not firehose; default per scenario)")
      ->check(CLI::Range(1u, 1000u));
  cmd->add_option("--kinds", args->kinds,
                  "fault kinds, used in order, cycling: datastore, bad_deploy, node_failure, "
                  "network_partition, noisy_neighbour (default random)")
      ->delimiter(',');
  cmd->add_option(
      "--alerts", args->alerts,
      "target alert count (firehose: stops there, default 1000000; others: calibrated to ~N)");
  cmd->add_option("--noise", args->noise,
                  "background-noise episodes started per minute per cluster (default per scenario)")
      ->check(CLI::Range(0.0, 10000.0));
  cmd->add_option("--start", args->start,
                  "event time of the storm's start, RFC 3339 (default 2026-11-24T03:00:00Z)");
  cmd->add_option("--out", args->out, "output directory (created if missing)")->required();
  cmd->add_flag("--quiet", args->quiet, "no progress lines on stderr");
  cmd->callback([args] { run(*args); });
}

}  // namespace squall::storm
