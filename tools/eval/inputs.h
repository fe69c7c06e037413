#pragma once
// Readers for what `squall eval` scores: a storm's truth.tsv and alerts.ndjson, and the assignments
// TSV and bundles NDJSON written by `squall replay` (docs/DESIGN.md, "Outputs of squall replay").
// Each takes the file's text and a name for messages, so tests need no files; errors are values
// that name the file and the 1-based line.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/interner.h"
#include "engine/core/result.h"
#include "tools/eval/metrics.h"

namespace squall::eval {

[[nodiscard]] core::Result<std::string> read_file(const std::string& path);

// truth.tsv: header `alert_id incident root root_service kind` (tab-separated, columns found by
// name, extra columns ignored), one row per alert.
struct Truth {
  std::vector<std::string> alert_ids;  // in file order
  std::vector<std::string> incident;   // per alert
  std::vector<std::uint32_t> line;     // per alert, for messages
  // Per truth incident: root_service and kind from its `root` = 1 row, else from its first row.
  std::map<std::string, IncidentTruth> incidents;
};
[[nodiscard]] core::Result<Truth> parse_truth(std::string_view text, std::string_view name);

// Assignments TSV: header `alert_id incident`, one line per alert. Maps alert id to incident.
struct Assignments {
  std::unordered_map<std::string, std::string> incident_of;
  std::size_t rows = 0;
};
[[nodiscard]] core::Result<Assignments> parse_assignments(std::string_view text,
                                                          std::string_view name);

// Predicted incident per truth alert, in truth order. Every truth alert must be assigned: a missing
// one is an error naming it (and how many more are missing).
[[nodiscard]] core::Result<std::vector<std::string>> join_assignments(
    const Truth& truth, const Assignments& assignments, std::string_view assignments_name);

// Bundles NDJSON: one bundle per line; the last line per incident is its final state. Reads
// `incident` (string, required), `updated_at` (epoch ms or RFC 3339, optional) and
// `root_cause[].service` / `root_cause[].node` (string or null); other keys are skipped.
[[nodiscard]] core::Result<std::map<std::string, BundleHistory>> parse_bundles(
    std::string_view text, std::string_view name);

// alerts.ndjson through the engine's own parser (so eval sees what replay saw). Lines the parser
// rejects are counted, not fatal: they are not alerts to replay either.
struct StormAlerts {
  core::Interner interner;
  core::AlertBatch batch;  // alerts and change events, in file order
  std::uint32_t rejected = 0;
  std::uint32_t first_rejected_line = 0;
  std::string first_rejected_reason;
  std::vector<std::string> rejected_ids;  // the "id" of each rejected line that has one
};
// `text` is consumed (padded in place for simdjson). Fails only on a file that is not NDJSON at
// all.
[[nodiscard]] core::Result<void> parse_alerts(std::string text, StormAlerts& out);

}  // namespace squall::eval
