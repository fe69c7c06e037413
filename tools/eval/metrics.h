#pragma once
// The scores of `squall eval` (docs/DESIGN.md, "Scoring"): pure functions over two labelings of the
// same list of alerts (truth incident and predicted incident per alert), plus the root-cause
// bundles when there are some. No files here, so every figure is testable from a few strings.
//
// Degenerate cases, chosen so that identical partitions always score 1:
//   - no alerts: B³ and pairwise precision/recall/F1 and ARI are all 1 (nothing to get wrong);
//   - pairwise precision is 1 when the prediction puts no two alerts together (no claim, no false
//     claim), recall is 1 when the truth has no pair; F1 is 0 when precision + recall is 0;
//   - ARI is 1 when its denominator is 0, which happens only when both partitions are the same
//     trivial one (all singletons, or one cluster) or there are fewer than 2 alerts.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace squall::eval {

// Truth incidents whose id starts with this are background-noise clusters, not faults.
inline constexpr std::string_view kNoisePrefix = "noise-";
[[nodiscard]] inline bool is_noise(std::string_view truth_incident) {
  return truth_incident.starts_with(kNoisePrefix);
}

// Clustering agreement between two labelings of the same alerts.
struct ClusterScores {
  double bcubed_precision = 1;
  double bcubed_recall = 1;
  double bcubed_f1 = 1;
  double pairwise_precision = 1;
  double pairwise_recall = 1;
  double pairwise_f1 = 1;
  double ari = 1;
};

// `truth[i]` and `pred[i]` label alert i; both must have the same size.
[[nodiscard]] ClusterScores cluster_scores(const std::vector<std::string>& truth,
                                           const std::vector<std::string>& pred);

// One root-cause hypothesis of a bundle; an empty string stands for JSON null.
struct Hypothesis {
  std::string service;
  std::string node;
  std::string zone;
};

// Whether `h` names the true root entity: a service name, `node:<name>` for a node fault (matched
// by the hypothesis's node, or by a service spelled `node:<name>`), or `zone:<name>` for a zone
// fault (matched by the hypothesis's zone).
[[nodiscard]] bool hypothesis_matches(const Hypothesis& h, std::string_view root_service);

// What the bundles of one predicted incident tell the scorer.
struct BundleHistory {
  std::vector<Hypothesis> root_cause;    // of the last emission: the incident's final state
  std::vector<std::int64_t> updated_at;  // event-time ms of every emission, in file order
};

// What truth.tsv says about one truth incident.
struct IncidentTruth {
  std::string root_service;
  std::string kind;
};

struct EvalInput {
  std::vector<std::string> truth;  // truth incident per alert
  std::vector<std::string> pred;   // predicted incident per alert
  // Event time per alert, for time to first bundle; empty (or core::kNoTime entries) when unknown.
  std::vector<std::int64_t> ts_ms;
  std::map<std::string, IncidentTruth> incidents;  // root entity and kind, by truth incident
  // Bundles by predicted incident; nullopt when none were given (RCA and TTFB are then null).
  std::optional<std::map<std::string, BundleHistory>> bundles;
};

struct FaultResult {
  std::string id;
  std::string kind;
  std::string root_service;
  std::size_t size = 0;
  std::string main_incident;     // the predicted incident holding most of its alerts
  std::size_t main_share = 0;    // how many of its alerts that incident holds
  std::size_t fragments = 0;     // distinct predicted incidents holding its alerts
  bool has_bundle = false;       // its main incident has at least one bundle
  std::optional<int> root_rank;  // 1-based rank of the true root in the hypotheses; 0 = absent;
                                 // nullopt without bundles
  std::optional<std::int64_t> ttfb_ms;
};

// A predicted incident that holds alerts of two or more faults: a hidden second incident.
struct Merge {
  std::string incident;
  std::size_t size = 0;                                     // all its alerts, noise included
  std::vector<std::pair<std::string, std::size_t>> faults;  // fault id, alerts of it held
};

struct Report {
  ClusterScores scores;
  std::size_t alerts = 0;
  std::size_t truth_incidents = 0;  // distinct truth ids, noise clusters included
  std::size_t truth_faults = 0;     // truth ids not starting with "noise-"
  std::size_t predicted_incidents = 0;
  double compression = 0;        // alerts / predicted incidents (0 without alerts)
  double truth_compression = 0;  // alerts / truth incidents
  std::size_t merges = 0;
  std::optional<double> fragments_per_fault;  // nullopt without faults
  std::optional<double> rca_ac1;              // nullopt without bundles or without faults
  std::optional<double> rca_ac3;
  // Over faults whose main incident emitted a bundle at or after the fault's first alert.
  std::optional<std::int64_t> ttfb_p50_ms;
  std::optional<std::int64_t> ttfb_max_ms;
  std::size_t faults_without_bundle = 0;  // counted only when bundles were given
  std::vector<FaultResult> faults;        // in natural id order (f2 before f10)
  std::vector<Merge> merge_details;       // in natural incident order
};

// All figures. Requires truth.size() == pred.size() and ts_ms empty or of the same size.
[[nodiscard]] Report evaluate(const EvalInput& in);

// Nearest-rank percentile (p in (0, 100]) of a non-empty list: the smallest value with at least p%
// of the values at or below it. p50 of {1, 2, 3, 4} is 2.
[[nodiscard]] std::int64_t percentile_nearest_rank(std::vector<std::int64_t> values, double p);

// "f2" < "f10": compares runs of digits by value, everything else bytewise.
[[nodiscard]] bool natural_less(std::string_view a, std::string_view b);

}  // namespace squall::eval
