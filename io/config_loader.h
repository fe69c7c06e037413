#pragma once
// Loads the engine's YAML (or JSON) config file: one section per stage, keys named like the fields
// of that stage's Config struct. Unknown keys are errors naming the key; values are range-checked
// (correlate::validate). Fields ending in `_ms` take milliseconds or a duration string ("30s",
// "10m", "1h", "250ms").
//
//   correlate:
//     link_threshold: 0.65
//     quiet_period_ms: 10m
//     role_labels: {service: app, node: kubernetes_node}
//     weak_dimensions: [job, team]
//   bundle: {max_bytes: 16384, group_wait_ms: 30s}
//   rca: {max_hypotheses: 5}
//   parse: {max_line_bytes: 65536}
//   pipeline: {partition_by: [cluster], partitions: 16}
//
// Thread contract: free functions, called at startup.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/bundle/bundler.h"
#include "engine/core/result.h"
#include "engine/correlate/correlator.h"
#include "engine/parse/parser.h"
#include "engine/rca/ranker.h"

namespace squall::io {

struct EngineConfig {
  correlate::Config correlate;
  bundle::Config bundle;
  rca::Config rca;
  parse::Limits parse;
  std::vector<std::string> partition_by;  // empty: one correlation domain
  std::uint32_t partitions = 0;           // 0: the pipeline's default
};

// `squall serve`'s file: the engine's sections plus `server`, `store`, `drafting` and `topology`.
//
//   server:
//     http: ":9093"          # "HOST:PORT", ":PORT" (all interfaces) or "" (off); also tcp, udp
//     data: ./squall-data
//     io_threads: 1          # Asio threads (TCP and HTTP); udp_receivers: SO_REUSEPORT sockets
//     shard_threads: 1       # correlator threads
//     chunks_in_flight: 64   # the pipeline's buffer, in chunks (read_bytes each for TCP)
//     tick_ms: 250ms         # how often idle event time moves on with the wall clock
//   topology: topology.yaml  # reloaded on SIGHUP
//   store: {log_max_bytes: 67108864, log_max_files: 5}
//   drafting: {workers: 2, drafter: evidence}
struct DraftingConfig {
  std::uint32_t workers = 2;            // draft-worker processes serve starts (0: none)
  std::string drafter = "evidence";     // evidence | anthropic | openai
  std::string model;                    // the LLM drafters' model
  std::string base_url;                 // the LLM API's base URL ("" = the vendor's)
  std::string api_key_env;              // environment variable holding the API key
  std::int64_t timeout_ms = 30'000;     // one LLM call
  std::uint32_t max_retries = 3;        // on 429, 5xx and transport errors
  std::uint32_t max_concurrency = 4;    // LLM calls in flight per worker
  std::uint32_t tokens_per_minute = 0;  // 0: no limit
  std::size_t queue_max = 1024;         // bundles waiting for a worker
  std::int64_t lease_ms = 60'000;       // a worker that holds a bundle longer loses it
  std::string listen;  // the queue: unix:PATH | tcp://IP:PORT ("" = unix:<server.data>/draft.sock)
  std::int64_t drain_ms = 10'000;  // at SIGTERM, wait this long for queued drafts
  std::vector<std::pair<std::string, std::string>> runbook;  // hypothesis kind -> action template
};

struct ServeConfig {
  EngineConfig engine;
  std::string http = ":9093";
  std::string tcp = ":9400";
  std::string udp = ":9401";
  std::string data = "./squall-data";
  std::string topology;  // path; "" = none
  std::uint32_t io_threads = 1;
  std::uint32_t udp_receivers = 1;
  std::uint32_t shard_threads = 1;
  std::size_t chunks_in_flight = 64;
  std::size_t read_bytes = 256 * 1024;
  std::int64_t tick_ms = 250;
  int retry_after_s = 1;
  int idle_timeout_s = 120;
  std::size_t log_max_bytes = 64 << 20;
  std::uint32_t log_max_files = 5;
  std::size_t store_max_pending = 100'000;
  DraftingConfig drafting;
};

core::Result<void> parse_serve_config(std::string_view text, std::string_view source,
                                      ServeConfig& config);
core::Result<void> load_serve_config(const std::string& path, ServeConfig& config);

// Parses config text into `config` (fields not mentioned keep their values); `source` names it in
// error messages.
core::Result<void> parse_engine_config(std::string_view text, std::string_view source,
                                       EngineConfig& config);
core::Result<void> load_engine_config(const std::string& path, EngineConfig& config);

// "250ms", "30s", "10m", "1h", "2d" or a plain integer (milliseconds).
core::Result<std::int64_t> parse_duration_ms(std::string_view s);

}  // namespace squall::io
