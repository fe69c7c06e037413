#include "tools/eval/eval_command.h"

#include <cstdio>
#include <memory>
#include <unordered_set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/eval/baseline.h"
#include "tools/eval/inputs.h"
#include "tools/eval/metrics.h"
#include "tools/eval/report.h"

namespace squall::eval {
namespace {

constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

std::string join_path(const std::string& dir, std::string_view file) {
  if (dir.empty() || dir.back() == '/') return dir + std::string(file);
  return dir + "/" + std::string(file);
}

bool file_exists(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

}  // namespace

int run_eval(const EvalOptions& o, std::string& out, std::string& err) {
  auto fail = [&err](int code, std::string_view message) {
    err += fmt::format("squall eval: {}\n", message);
    return code;
  };
  if (o.assignments.empty() == o.baseline.empty())
    return fail(kExitUsage,
                "give exactly one of --assignments (with optional --bundles) or --baseline");
  if (!o.bundles.empty() && o.assignments.empty())
    return fail(kExitUsage, "--bundles needs --assignments");

  BaselineSpec spec;
  if (!o.baseline.empty()) {
    auto parsed = parse_baseline(o.baseline);
    if (!parsed) return fail(kExitUsage, parsed.error().message);
    spec = std::move(*parsed);
    auto interval = parse_duration_ms(o.group_interval);
    if (!interval) return fail(kExitUsage, "--group-interval: " + interval.error().message);
    spec.group_interval_ms = *interval;
  }

  const std::string truth_path = join_path(o.storm_dir, "truth.tsv");
  auto truth_text = read_file(truth_path);
  if (!truth_text) return fail(kExitBadInput, truth_text.error().message);
  auto truth = parse_truth(*truth_text, truth_path);
  if (!truth) return fail(kExitBadInput, truth.error().message);

  // alerts.ndjson gives event times (time to first bundle), tells change events apart, and is the
  // baseline's input. Only the baseline cannot do without it.
  const std::string alerts_path = join_path(o.storm_dir, "alerts.ndjson");
  auto alerts = std::make_unique<StormAlerts>();
  bool have_alerts = false;
  if (!o.baseline.empty() || file_exists(alerts_path)) {
    auto text = read_file(alerts_path);
    if (!text) return fail(kExitBadInput, text.error().message);
    if (auto ok = parse_alerts(std::move(*text), *alerts); !ok)
      return fail(kExitBadInput, fmt::format("{}: {}", alerts_path, ok.error().message));
    if (alerts->rejected > 0)
      err += fmt::format(
          "squall eval: warning: {}: {} lines rejected by the parser (first: line {}, {})\n",
          alerts_path, alerts->rejected, alerts->first_rejected_line,
          alerts->first_rejected_reason);
    have_alerts = true;
  } else {
    err +=
        fmt::format("squall eval: warning: {} not found: no time to first bundle\n", alerts_path);
  }

  // Change events are never scored, even if truth.tsv lists them; nor are alerts on lines the
  // engine's parser rejects (neither squall nor the baseline can see them). Event times by alert
  // id.
  std::unordered_map<std::string_view, std::int64_t> ts_of;
  std::unordered_set<std::string_view> changes;
  std::unordered_set<std::string_view> unreadable(alerts->rejected_ids.begin(),
                                                  alerts->rejected_ids.end());
  if (have_alerts) {
    for (const core::Alert& a : alerts->batch.alerts) {
      const std::string_view id = alerts->batch.str(a.id);
      if (a.kind == core::Kind::kChange)
        changes.insert(id);
      else
        ts_of.try_emplace(id, a.ts_ms);
    }
  }
  if (!changes.empty() || !unreadable.empty()) {
    Truth kept;
    kept.incidents = std::move(truth->incidents);
    std::size_t dropped_unreadable = 0;
    for (std::size_t k = 0; k < truth->alert_ids.size(); ++k) {
      if (changes.contains(truth->alert_ids[k])) continue;
      if (unreadable.contains(truth->alert_ids[k])) {
        ++dropped_unreadable;
        continue;
      }
      kept.alert_ids.push_back(std::move(truth->alert_ids[k]));
      kept.incident.push_back(std::move(truth->incident[k]));
      kept.line.push_back(truth->line[k]);
    }
    *truth = std::move(kept);
    if (dropped_unreadable > 0)
      err += fmt::format(
          "squall eval: warning: {} alerts of truth.tsv are on rejected lines and not scored\n",
          dropped_unreadable);
  }
  if (truth->alert_ids.empty()) return fail(kExitBadInput, truth_path + ": no alerts to score");

  // Predicted incidents, from replay's files or from the baseline.
  Assignments assignments;
  std::string assignments_name;
  if (!o.assignments.empty()) {
    assignments_name = o.assignments;
    auto text = read_file(o.assignments);
    if (!text) return fail(kExitBadInput, text.error().message);
    auto parsed = parse_assignments(*text, o.assignments);
    if (!parsed) return fail(kExitBadInput, parsed.error().message);
    assignments = std::move(*parsed);
  } else {
    assignments_name = spec.method();
    BaselineAssignment b = assign_baseline(alerts->batch, alerts->interner, spec);
    for (std::size_t k = 0; k < b.alert_ids.size(); ++k)
      assignments.incident_of.insert_or_assign(std::move(b.alert_ids[k]), std::move(b.incident[k]));
    assignments.rows = b.alert_ids.size();
  }
  auto pred = join_assignments(*truth, assignments, assignments_name);
  if (!pred) return fail(kExitBadInput, pred.error().message);
  if (assignments.incident_of.size() > truth->alert_ids.size()) {
    err += fmt::format("squall eval: warning: {}: {} alerts not in truth.tsv are ignored\n",
                       assignments_name, assignments.incident_of.size() - truth->alert_ids.size());
  }

  EvalInput in;
  in.pred = std::move(*pred);
  if (have_alerts) {
    in.ts_ms.reserve(truth->alert_ids.size());
    for (const std::string& id : truth->alert_ids) {
      auto it = ts_of.find(id);
      in.ts_ms.push_back(it == ts_of.end() ? core::kNoTime : it->second);
    }
  }
  in.truth = std::move(truth->incident);
  in.incidents = std::move(truth->incidents);
  if (!o.bundles.empty()) {
    auto text = read_file(o.bundles);
    if (!text) return fail(kExitBadInput, text.error().message);
    auto bundles = parse_bundles(*text, o.bundles);
    if (!bundles) return fail(kExitBadInput, bundles.error().message);
    in.bundles = std::move(*bundles);
  }

  const Report report = evaluate(in);
  const std::string method = o.baseline.empty() ? std::string("squall") : spec.method();
  out += o.json ? format_json(report, method) : format_text(report, method, o.storm_dir);
  return 0;
}

void register_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand(
      "eval",
      "Score incidents against a storm's ground truth (B-cubed, pairwise, ARI, merges, RCA)");
  sub->add_option("STORM_DIR", options->storm_dir,
                  "storm directory with truth.tsv and alerts.ndjson (from `squall storm --out`)")
      ->required()
      ->check(CLI::ExistingDirectory);
  CLI::Option* assignments =
      sub->add_option("--assignments", options->assignments,
                      "assignments TSV from `squall replay --assignments` (alert_id<TAB>incident)")
          ->check(CLI::ExistingFile);
  sub->add_option(
         "--bundles", options->bundles,
         "bundles NDJSON from `squall replay --bundles`: enables RCA AC@1/AC@3 and time to "
         "first bundle")
      ->check(CLI::ExistingFile)
      ->needs(assignments);
  CLI::Option* baseline =
      sub->add_option("--baseline", options->baseline,
                      "score Alertmanager grouping instead: group_by=L1,L2,... (group_by=... = all "
                      "labels)")
          ->excludes(assignments);
  sub->add_option("--group-interval", options->group_interval,
                  "baseline: a group ends after this much event time without a new alert "
                  "(ms, s, m, h)")
      ->capture_default_str()
      ->needs(baseline);
  sub->add_flag("--json", options->json, "print one JSON object instead of the table");
  sub->footer(
      "Give exactly one of --assignments or --baseline. Every alert in truth.tsv must be "
      "assigned.\n"
      "Faults are truth incidents not named noise-*; noise clusters count as ordinary clusters in\n"
      "B-cubed, pairwise and ARI. merges = predicted incidents holding alerts of 2+ faults;\n"
      "AC@k = faults whose true root entity is among the first k hypotheses of the final bundle "
      "of\n"
      "the incident holding most of their alerts. Exit codes: 0 ok, 1 bad input, 2 bad usage.");
  sub->callback([options] {
    std::string out, err;
    const int code = run_eval(*options, out, err);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    std::fwrite(err.data(), 1, err.size(), stderr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace squall::eval
