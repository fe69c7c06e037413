#pragma once
// `squall eval`: scores a replay's assignments and bundles (or an Alertmanager group_by baseline)
// against a storm's ground truth. See docs/DESIGN.md, "Scoring".
#include <string>

namespace CLI {
class App;
}

namespace squall::eval {

struct EvalOptions {
  std::string storm_dir;
  std::string assignments;  // empty: none
  std::string bundles;      // empty: none
  std::string baseline;     // "group_by=..."; empty: none
  std::string group_interval = "5m";
  bool json = false;
};

// The whole command without the CLI: the report goes to `out`, warnings and errors to `err`.
// Returns the exit code: 0, 1 on bad or missing input, 2 on bad usage.
int run_eval(const EvalOptions& options, std::string& out, std::string& err);

// Adds the `eval` subcommand to `app`.
void register_eval_command(CLI::App& app);

}  // namespace squall::eval
