#include "tools/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "engine/core/alert.h"

namespace squall::eval {
namespace {

// Dense ids for a labeling, in order of first appearance.
struct Dense {
  std::vector<std::uint32_t> of;   // per alert
  std::vector<std::string> names;  // per id
};

Dense densify(const std::vector<std::string>& labels) {
  Dense d;
  d.of.reserve(labels.size());
  std::unordered_map<std::string_view, std::uint32_t> ids;
  for (const std::string& l : labels) {
    auto [it, inserted] = ids.try_emplace(l, static_cast<std::uint32_t>(d.names.size()));
    if (inserted) d.names.push_back(l);
    d.of.push_back(it->second);
  }
  return d;
}

// The contingency table, sparse: n_ij for every (truth i, predicted j) that share an alert.
struct Table {
  Dense truth;
  Dense pred;
  std::vector<std::size_t> truth_size;                                   // a_i
  std::vector<std::size_t> pred_size;                                    // b_j
  std::vector<std::vector<std::pair<std::uint32_t, std::size_t>>> rows;  // i -> (j, n_ij), by j
};

Table tabulate(const std::vector<std::string>& truth, const std::vector<std::string>& pred) {
  Table t;
  t.truth = densify(truth);
  t.pred = densify(pred);
  t.truth_size.assign(t.truth.names.size(), 0);
  t.pred_size.assign(t.pred.names.size(), 0);
  std::unordered_map<std::uint64_t, std::size_t> cells;
  for (std::size_t k = 0; k < truth.size(); ++k) {
    const std::uint32_t i = t.truth.of[k];
    const std::uint32_t j = t.pred.of[k];
    ++t.truth_size[i];
    ++t.pred_size[j];
    ++cells[(std::uint64_t{i} << 32) | j];
  }
  t.rows.resize(t.truth.names.size());
  for (const auto& [key, n] : cells)
    t.rows[key >> 32].emplace_back(static_cast<std::uint32_t>(key & 0xffffffffu), n);
  for (auto& row : t.rows) std::sort(row.begin(), row.end());
  return t;
}

// n choose 2, as a double: products of these overflow 64 bits on large storms.
double pairs(std::size_t n) {
  const double d = static_cast<double>(n);
  return d * (d - 1) / 2;
}

double harmonic(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

ClusterScores scores_of(const Table& t, std::size_t n) {
  ClusterScores s;
  if (n == 0) return s;
  // B³ averaged over alerts: an alert in cell (i, j) has precision n_ij / b_j and recall n_ij /
  // a_i, and there are n_ij such alerts.
  double p_sum = 0, r_sum = 0, index = 0;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    for (const auto& [j, nij] : t.rows[i]) {
      const double c = static_cast<double>(nij);
      p_sum += c * c / static_cast<double>(t.pred_size[j]);
      r_sum += c * c / static_cast<double>(t.truth_size[i]);
      index += pairs(nij);
    }
  }
  const double total = static_cast<double>(n);
  s.bcubed_precision = p_sum / total;
  s.bcubed_recall = r_sum / total;
  s.bcubed_f1 = harmonic(s.bcubed_precision, s.bcubed_recall);

  double truth_pairs = 0, pred_pairs = 0;
  for (std::size_t a : t.truth_size) truth_pairs += pairs(a);
  for (std::size_t b : t.pred_size) pred_pairs += pairs(b);
  s.pairwise_precision = pred_pairs > 0 ? index / pred_pairs : 1.0;
  s.pairwise_recall = truth_pairs > 0 ? index / truth_pairs : 1.0;
  s.pairwise_f1 = harmonic(s.pairwise_precision, s.pairwise_recall);

  // Hubert & Arabie (1985): (index - expected) / (max - expected).
  const double all_pairs = pairs(n);
  if (all_pairs > 0) {
    const double expected = truth_pairs * pred_pairs / all_pairs;
    const double max_index = (truth_pairs + pred_pairs) / 2;
    const double denom = max_index - expected;
    s.ari = denom != 0 ? (index - expected) / denom : 1.0;
  }
  return s;
}

}  // namespace

ClusterScores cluster_scores(const std::vector<std::string>& truth,
                             const std::vector<std::string>& pred) {
  return scores_of(tabulate(truth, pred), truth.size());
}

bool hypothesis_matches(const Hypothesis& h, std::string_view root_service) {
  if (root_service.empty()) return false;
  if (h.service == root_service) return true;
  constexpr std::string_view kNodePrefix = "node:";
  if (root_service.starts_with(kNodePrefix)) {
    const std::string_view node = root_service.substr(kNodePrefix.size());
    return !node.empty() && h.node == node;
  }
  constexpr std::string_view kZonePrefix = "zone:";
  if (root_service.starts_with(kZonePrefix)) {
    const std::string_view zone = root_service.substr(kZonePrefix.size());
    return !zone.empty() && h.zone == zone;
  }
  return false;
}

std::int64_t percentile_nearest_rank(std::vector<std::int64_t> values, double p) {
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  std::size_t idx = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  if (idx >= values.size()) idx = values.size() - 1;
  return values[idx];
}

bool natural_less(std::string_view a, std::string_view b) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && is_digit(a[ie])) ++ie;
      while (je < b.size() && is_digit(b[je])) ++je;
      // Compare by value: strip leading zeros, then longer is larger, then bytewise.
      std::size_t iz = i, jz = j;
      while (iz + 1 < ie && a[iz] == '0') ++iz;
      while (jz + 1 < je && b[jz] == '0') ++jz;
      const std::string_view da = a.substr(iz, ie - iz), db = b.substr(jz, je - jz);
      if (da.size() != db.size()) return da.size() < db.size();
      if (da != db) return da < db;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
  return a < b;  // equal up to leading zeros: any total order will do
}

Report evaluate(const EvalInput& in) {
  Report r;
  const Table t = tabulate(in.truth, in.pred);
  r.alerts = in.truth.size();
  r.scores = scores_of(t, r.alerts);
  r.truth_incidents = t.truth.names.size();
  r.predicted_incidents = t.pred.names.size();
  if (r.predicted_incidents > 0)
    r.compression = static_cast<double>(r.alerts) / static_cast<double>(r.predicted_incidents);
  if (r.truth_incidents > 0)
    r.truth_compression = static_cast<double>(r.alerts) / static_cast<double>(r.truth_incidents);

  // First alert of each truth incident, for time to first bundle.
  std::vector<std::int64_t> first_ts(t.truth.names.size(), core::kNoTime);
  if (in.ts_ms.size() == in.truth.size()) {
    for (std::size_t k = 0; k < in.ts_ms.size(); ++k) {
      const std::int64_t ts = in.ts_ms[k];
      std::int64_t& f = first_ts[t.truth.of[k]];
      if (ts != core::kNoTime && (f == core::kNoTime || ts < f)) f = ts;
    }
  }

  // Which faults each predicted incident holds (noise never counts toward a merge).
  std::vector<std::vector<std::pair<std::string, std::size_t>>> faults_in(t.pred.names.size());
  std::size_t fragments_total = 0, hits1 = 0, hits3 = 0;
  std::vector<std::int64_t> ttfbs;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const std::string& id = t.truth.names[i];
    if (is_noise(id)) continue;
    FaultResult f;
    f.id = id;
    if (auto it = in.incidents.find(id); it != in.incidents.end()) {
      f.kind = it->second.kind;
      f.root_service = it->second.root_service;
    }
    f.size = t.truth_size[i];
    f.fragments = t.rows[i].size();
    fragments_total += f.fragments;
    // Main incident: most of the fault's alerts; ties go to the smallest id so runs are repeatable.
    for (const auto& [j, nij] : t.rows[i]) {
      faults_in[j].emplace_back(id, nij);
      const std::string& name = t.pred.names[j];
      if (nij > f.main_share || (nij == f.main_share && name < f.main_incident)) {
        f.main_share = nij;
        f.main_incident = name;
      }
    }
    if (in.bundles) {
      f.root_rank = 0;
      if (auto it = in.bundles->find(f.main_incident); it != in.bundles->end()) {
        const BundleHistory& b = it->second;
        f.has_bundle = !b.updated_at.empty() || !b.root_cause.empty();
        for (std::size_t h = 0; h < b.root_cause.size(); ++h) {
          if (hypothesis_matches(b.root_cause[h], f.root_service)) {
            f.root_rank = static_cast<int>(h + 1);
            break;
          }
        }
        // The first emission at or after the fault began: an earlier one (the incident was opened
        // by another fault) cannot be about this fault yet.
        const std::int64_t start = first_ts[i];
        if (start != core::kNoTime) {
          for (std::int64_t u : b.updated_at)
            if (u >= start && (!f.ttfb_ms || u - start < *f.ttfb_ms)) f.ttfb_ms = u - start;
        }
      }
      if (*f.root_rank == 1) ++hits1;
      if (*f.root_rank >= 1 && *f.root_rank <= 3) ++hits3;
      if (f.ttfb_ms)
        ttfbs.push_back(*f.ttfb_ms);
      else
        ++r.faults_without_bundle;
    }
    r.faults.push_back(std::move(f));
  }
  r.truth_faults = r.faults.size();
  std::sort(r.faults.begin(), r.faults.end(),
            [](const FaultResult& a, const FaultResult& b) { return natural_less(a.id, b.id); });

  if (r.truth_faults > 0) {
    const double nf = static_cast<double>(r.truth_faults);
    r.fragments_per_fault = static_cast<double>(fragments_total) / nf;
    if (in.bundles) {
      r.rca_ac1 = static_cast<double>(hits1) / nf;
      r.rca_ac3 = static_cast<double>(hits3) / nf;
    }
  }
  if (!ttfbs.empty()) {
    r.ttfb_p50_ms = percentile_nearest_rank(ttfbs, 50);
    r.ttfb_max_ms = *std::max_element(ttfbs.begin(), ttfbs.end());
  }

  for (std::size_t j = 0; j < faults_in.size(); ++j) {
    if (faults_in[j].size() < 2) continue;
    Merge m;
    m.incident = t.pred.names[j];
    m.size = t.pred_size[j];
    m.faults = std::move(faults_in[j]);
    std::sort(m.faults.begin(), m.faults.end(),
              [](const auto& a, const auto& b) { return natural_less(a.first, b.first); });
    r.merge_details.push_back(std::move(m));
  }
  r.merges = r.merge_details.size();
  std::sort(r.merge_details.begin(), r.merge_details.end(),
            [](const Merge& a, const Merge& b) { return natural_less(a.incident, b.incident); });
  return r;
}

}  // namespace squall::eval
