#include "tools/storm/storm_command.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "engine/core/time.h"
#include "tools/storm/send.h"
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
  // --send
  std::string send, from;
  double rate = 0, speedup = 0;
  bool restamp = false;
  std::uint32_t batch = 100, connections = 1;
  bool progress = false;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "squall storm: %s\n", message.c_str());
  throw CLI::RuntimeError(2);
}

StormOptions storm_options(const Args& a) {
  StormOptions o;
  if (a.scenario.empty()) fail("--scenario is required (or --from FILE with --send)");
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
  if (a.start == "now") {
    o.start_ms = core::wall_clock_ms();
  } else if (!a.start.empty()) {
    const auto ms = core::parse_rfc3339_ms(a.start);
    if (!ms) fail("--start: not an RFC 3339 time or 'now': '" + a.start + "'");
    o.start_ms = *ms;
  }
  o.out_dir = a.out;
  o.progress = !a.quiet && (o.scenario == Scenario::kFirehose || o.alerts >= 1'000'000);
  return o;
}

void run_send(const Args& a) {
  if (const auto ep = parse_send_url(a.send); !ep) fail(ep.error().message);
  SendOptions so;
  so.url = a.send;
  so.rate = a.rate;
  so.speedup = a.speedup;
  so.restamp = a.restamp;
  so.batch = a.batch;
  so.connections = a.connections;
  so.progress = !a.quiet && (a.progress || ::isatty(STDERR_FILENO) == 1);

  std::unique_ptr<AlertSource> source;
  StormSource* storm = nullptr;
  if (!a.from.empty()) {
    auto file = open_file_source(a.from);
    if (!file) fail("--from: " + file.error().message);
    source = std::move(*file);
  } else {
    StormOptions o = storm_options(a);
    o.progress = false;  // the sender reports progress
    auto s = std::make_unique<StormSource>(std::move(o));
    storm = s.get();
    source = std::move(s);
  }
  const auto report = send_alerts(so, *source);
  if (!report) {
    std::fprintf(stderr, "squall storm: %s\n", report.error().message.c_str());
    throw CLI::RuntimeError(1);
  }
  if (storm && storm->summary())
    std::printf("%s\n", summary_line(*storm->summary(), a.out.empty() ? a.send : a.out).c_str());
  std::printf("%s\n", report_line(*report).c_str());
  std::fflush(stdout);
  if (report->retries > 0)
    std::fprintf(stderr, "squall storm: %llu retries (HTTP resends, TCP reconnects)\n",
                 static_cast<unsigned long long>(report->retries));
  if (!report->error.empty())
    std::fprintf(stderr, "squall storm: stopped: %s\n", report->error.c_str());
  if (report->failed > 0 && !report->last_failure.empty())
    std::fprintf(stderr, "squall storm: last failure: %s\n", report->last_failure.c_str());
  if (const int code = exit_code(*report); code != 0) throw CLI::RuntimeError(code);
}

void run(const Args& a) {
  if (!a.send.empty()) return run_send(a);
  if (a.out.empty()) fail("--out is required (or --send URL)");
  const StormOptions o = storm_options(a);
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
      "ts, with change events), topology.yaml, truth.tsv and storm.json. Seeded and "
      "deterministic. With --send, also (or, without --out, only) send its alerts to a running "
      "`squall serve`; with --send and --from, send an existing NDJSON file.");
  cmd->footer(
      "Sending (--send): prints `sent N, acknowledged A, failed F in S s (R alerts/s)` and exits "
      "0 when nothing failed, 1 otherwise. Every line of the file counts as an alert (change "
      "events too). Acknowledged means:\n"
      "  tcp://H:P   NDJSON lines in 256 KiB writes; an alert is acknowledged once its bytes were "
      "written and the connection shut down cleanly (after shutdown(SHUT_WR) the server closed "
      "its side, or the kernel saw every byte acked within 2 s). A broken connection is reopened "
      "(bounded); what was written on it counts as failed.\n"
      "  udp://H:P   datagrams of whole lines, at most 1400 bytes, sent with sendmmsg. UDP has no "
      "acknowledgement: acknowledged = sent without a local error. Longer lines are not sent "
      "(failed).\n"
      "  http://H:P  POST /api/v1/alerts (or the URL's path), NDJSON bodies of --batch alerts on "
      "keep-alive connections; acknowledged = answered 2xx. 429 and 5xx are retried (Retry-After, "
      "capped at 5 s, else backoff 50 ms..2 s, 20 resends), other statuses count as failed.");
  auto* scenario_opt =
      cmd->add_option(
             "--scenario", args->scenario,
             "3am: one big fault plus noise (~200 alerts, ~4 min); busy-hour: 4-6 overlapping "
             "faults over an hour; concurrent: 2-3 faults within 2 min in one cluster; firehose: "
             "millions of alerts over days (load testing). Required unless --from")
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
                  "event time of the storm's start, RFC 3339 or 'now' (the wall clock; default "
                  "2026-11-24T03:00:00Z)");
  auto* out_opt = cmd->add_option("--out", args->out,
                                  "output directory (created if missing); required unless --send");
  cmd->add_flag("--quiet", args->quiet, "no progress lines on stderr");
  auto* send_opt = cmd->add_option(
      "--send", args->send,
      "send the alerts to tcp://HOST:PORT, udp://HOST:PORT or http://HOST:PORT[/PATH] (see "
      "below), while the storm is generated (and written, with --out)");
  cmd->add_option("--from", args->from,
                  "with --send: send this NDJSON file (e.g. an alerts.ndjson) instead of "
                  "generating a storm")
      ->needs(send_opt)
      ->excludes(scenario_opt)
      ->excludes(out_opt);
  cmd->add_option("--rate", args->rate, "with --send: alerts per second (default 0: unpaced)")
      ->needs(send_opt)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--speedup", args->speedup,
                  "with --send: pace by event time, an alert with ts t going at start + (t - "
                  "t0) / X (0: don't). With --rate too, the slower wins")
      ->needs(send_opt)
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--restamp", args->restamp,
                "with --send: rewrite each alert's ts (epoch ms) so the first is now and later "
                "ones follow, their distance divided by --speedup")
      ->needs(send_opt);
  cmd->add_option("--batch", args->batch, "with --send http://: alerts per POST")
      ->capture_default_str()
      ->needs(send_opt)
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--connections", args->connections,
                  "with --send http://: parallel keep-alive connections, a thread each")
      ->capture_default_str()
      ->needs(send_opt)
      ->check(CLI::Range(1u, 256u));
  cmd->add_flag("--progress", args->progress,
                "with --send: a progress line on stderr every second (default when stderr is a "
                "terminal)")
      ->needs(send_opt);
  cmd->callback([args] { run(*args); });
}

}  // namespace squall::storm
