#pragma once
// Loads the engine's YAML (or JSON) config file: one section per stage, keys named like the fields
// of that stage's Config struct. Unknown keys are errors naming the key; values are range-checked
// (correlate::validate). Fields ending in `_ms` take milliseconds or a duration string ("30s",
// "10m", "1h", "250ms").
//
//   correlate:
//     link_threshold: 0.5
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

// Parses config text into `config` (fields not mentioned keep their values); `source` names it in
// error messages.
core::Result<void> parse_engine_config(std::string_view text, std::string_view source,
                                       EngineConfig& config);
core::Result<void> load_engine_config(const std::string& path, EngineConfig& config);

// "250ms", "30s", "10m", "1h", "2d" or a plain integer (milliseconds).
core::Result<std::int64_t> parse_duration_ms(std::string_view s);

}  // namespace squall::io
