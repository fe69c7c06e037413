#include "tools/replay/replay_command.h"

#include <memory>

#include <CLI/CLI.hpp>

namespace squall::replay {

void register_replay_command(CLI::App& app) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Run a recorded alert file through the engine and write what it decided: assignments "
      "(alert_id, incident) and bundles. Same input, same output, whatever --threads.");
  cmd->add_option("FILE", o->input,
                  "alert file: native NDJSON, or one Alertmanager/webhook JSON body per line")
      ->required();
  cmd->add_option("--format", o->format, "native | alertmanager | webhook")
      ->capture_default_str()
      ->check(CLI::IsMember({"native", "alertmanager", "webhook"}));
  cmd->add_option("--topology", o->topology, "service topology file (YAML or JSON)");
  cmd->add_option("--config", o->config,
                  "engine config file (YAML): sections correlate, bundle, rca, parse, pipeline");
  cmd->add_option("--threads", o->threads, "threads in all (default: the machine's cores)")
      ->check(CLI::Range(1u, 256u));
  cmd->add_option("--parse-threads", o->parse_threads,
                  "parse threads (with --shard-threads; 0 and 0: everything on one thread)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--shard-threads", o->shard_threads, "correlator shard threads")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--partition-by", o->partition_by,
                  "labels whose values split alerts into independent correlation domains "
                  "(overrides the config's pipeline.partition_by)")
      ->delimiter(',');
  cmd->add_option("--assignments", o->assignments,
                  "write assignments TSV (alert_id, incident) here");
  cmd->add_option("--bundles", o->bundles, "write bundles NDJSON here");
  cmd->add_option("--explain", o->explain, "list every alert of this incident and why it joined");
  cmd->add_option("--now", o->now,
                  "'now' for alerts without a timestamp and for Alertmanager endsAt (epoch ms or "
                  "RFC 3339; default: the wall clock at start)");
  cmd->add_option("--top", o->top, "incidents listed in the summary")->capture_default_str();
  cmd->add_flag("!--no-progress", o->progress, "no progress lines on stderr");
  cmd->add_flag("!--no-mmap", o->map_input,
                "read the file into buffers instead of mapping it into memory");
  cmd->callback([o] {
    const int code = run_replay(*o, stdout, stderr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace squall::replay
