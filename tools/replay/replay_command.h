#pragma once
// `squall replay`: runs a recorded alert file through the engine (parse -> route -> correlate ->
// bundle, engine/pipeline) and writes the outputs of docs/DESIGN.md "Outputs of squall replay":
// assignments TSV and bundles NDJSON, byte-identical whatever the thread count.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace squall::replay {

struct ReplayOptions {
  std::string input;              // the alert file
  std::string format = "native";  // native | alertmanager | webhook (one JSON body per line)
  std::string topology;           // topology file; empty: none
  std::string config;             // engine config file; empty: defaults
  std::uint32_t threads = 0;      // 0: the machine's cores
  // Explicit split (tests, tuning); both set override `threads`. 0/0 runs everything on the caller.
  std::int32_t parse_threads = -1;
  std::int32_t shard_threads = -1;
  std::vector<std::string> partition_by;  // overrides the config's pipeline.partition_by
  std::string assignments;                // path; empty: not written
  std::string bundles;                    // path; empty: not written
  std::string explain;                    // incident id; empty: none
  std::string
      now;  // "now" for alerts without a timestamp (RFC 3339 or epoch ms); empty: wall clock
  std::size_t chunk_bytes = 1 << 20;
  std::size_t top = 10;  // incidents listed in the summary
  bool progress = true;  // a progress line on stderr about every second (long files only)
  // Map a regular file into memory and parse it in place (no copy into chunks); false, or input
  // that is not a regular file (a pipe, a device), reads it into chunks.
  bool map_input = true;
};

// The whole command without the CLI: the summary goes to `out`, progress and errors to `err`.
// Returns the exit code: 0, 1 on bad input or an I/O error, 2 on bad usage.
int run_replay(const ReplayOptions& options, std::FILE* out, std::FILE* err);

// Adds the `replay` subcommand to `app`.
void register_replay_command(CLI::App& app);

}  // namespace squall::replay
