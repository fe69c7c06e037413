#include "tools/eval/report.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "engine/core/json_writer.h"

namespace squall::eval {
namespace {

template <class T>
void optional_kv(core::JsonWriter& w, std::string_view key, const std::optional<T>& v) {
  w.key(key);
  if (v)
    w.value(*v);
  else
    w.null();
}

std::string fixed(const std::optional<double>& v, int digits = 4) {
  return v ? fmt::format("{:.{}f}", *v, digits) : std::string("-");
}

std::string ms(const std::optional<std::int64_t>& v) {
  return v ? fmt::format("{}ms", *v) : std::string("-");
}

}  // namespace

std::string format_json(const Report& r, std::string_view method) {
  std::string out;
  core::JsonWriter w(out);
  const ClusterScores& s = r.scores;
  w.begin_object();
  w.kv("method", method);
  w.kv("alerts", static_cast<std::uint64_t>(r.alerts));
  w.kv("bcubed_precision", s.bcubed_precision);
  w.kv("bcubed_recall", s.bcubed_recall);
  w.kv("bcubed_f1", s.bcubed_f1);
  w.kv("pairwise_precision", s.pairwise_precision);
  w.kv("pairwise_recall", s.pairwise_recall);
  w.kv("pairwise_f1", s.pairwise_f1);
  w.kv("ari", s.ari);
  w.kv("truth_incidents", static_cast<std::uint64_t>(r.truth_incidents));
  w.kv("truth_faults", static_cast<std::uint64_t>(r.truth_faults));
  w.kv("predicted_incidents", static_cast<std::uint64_t>(r.predicted_incidents));
  w.kv("compression", r.compression);
  w.kv("truth_compression", r.truth_compression);
  w.kv("merges", static_cast<std::uint64_t>(r.merges));
  optional_kv(w, "fragments_per_fault", r.fragments_per_fault);
  optional_kv(w, "rca_ac1", r.rca_ac1);
  optional_kv(w, "rca_ac3", r.rca_ac3);
  optional_kv(w, "ttfb_p50_ms", r.ttfb_p50_ms);
  optional_kv(w, "ttfb_max_ms", r.ttfb_max_ms);
  w.end_object();
  out.push_back('\n');
  return out;
}

std::string format_text(const Report& r, std::string_view method, std::string_view storm_dir) {
  const ClusterScores& s = r.scores;
  std::string out;
  auto line = [&out](std::string_view name, std::string_view value, std::string_view note = {}) {
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>10}{}{}\n", name, value,
                   note.empty() ? "" : "   ", note);
  };
  fmt::format_to(std::back_inserter(out), "squall eval {}  ({})\n\n", storm_dir, method);
  line("alerts", fmt::format("{}", r.alerts));
  line("truth incidents", fmt::format("{}", r.truth_incidents),
       fmt::format("{} faults, {} noise clusters", r.truth_faults,
                   r.truth_incidents - r.truth_faults));
  line("predicted incidents", fmt::format("{}", r.predicted_incidents));
  line("compression", fmt::format("{:.2f}", r.compression),
       fmt::format("truth {:.2f}", r.truth_compression));
  line("B-cubed precision", fmt::format("{:.4f}", s.bcubed_precision));
  line("B-cubed recall", fmt::format("{:.4f}", s.bcubed_recall));
  line("B-cubed F1", fmt::format("{:.4f}", s.bcubed_f1));
  line("pairwise precision", fmt::format("{:.4f}", s.pairwise_precision));
  line("pairwise recall", fmt::format("{:.4f}", s.pairwise_recall));
  line("pairwise F1", fmt::format("{:.4f}", s.pairwise_f1));
  line("adjusted Rand index", fmt::format("{:.4f}", s.ari));
  line("merges", fmt::format("{}", r.merges), "predicted incidents holding 2+ faults");
  line("fragments per fault", fixed(r.fragments_per_fault, 2));
  line("RCA AC@1", fixed(r.rca_ac1), r.rca_ac1 || r.faults.empty() ? "" : "no bundles");
  line("RCA AC@3", fixed(r.rca_ac3));
  line("TTFB p50", ms(r.ttfb_p50_ms));
  line("TTFB max", ms(r.ttfb_max_ms),
       r.faults_without_bundle > 0
           ? fmt::format("{} faults without a bundle", r.faults_without_bundle)
           : std::string());

  if (!r.faults.empty()) {
    // Column widths from the data, so long ids keep the table aligned.
    std::size_t wid = 5, wkind = 4, wroot = 4, wmain = 13;
    for (const FaultResult& f : r.faults) {
      wid = std::max(wid, f.id.size());
      wkind = std::max(wkind, f.kind.size());
      wroot = std::max(wroot, f.root_service.size());
      wmain = std::max(wmain, f.main_incident.size());
    }
    fmt::format_to(std::back_inserter(out),
                   "\n  {:<{}}  {:<{}}  {:<{}}  {:>6}  {:<{}}  {:>6}  {:>9}  {:>3}  {:>3}  {:>9}\n",
                   "fault", wid, "kind", wkind, "root", wroot, "alerts", "main incident", wmain,
                   "share", "fragments", "@1", "@3", "ttfb");
    for (const FaultResult& f : r.faults) {
      std::string at1 = "-", at3 = "-";
      if (f.root_rank) {
        at1 = *f.root_rank == 1 ? "yes" : "no";
        at3 = *f.root_rank >= 1 && *f.root_rank <= 3 ? "yes" : "no";
      }
      fmt::format_to(
          std::back_inserter(out),
          "  {:<{}}  {:<{}}  {:<{}}  {:>6}  {:<{}}  {:>5.0f}%  {:>9}  {:>3}  {:>3}  {:>9}\n", f.id,
          wid, f.kind, wkind, f.root_service, wroot, f.size, f.main_incident, wmain,
          f.size > 0 ? 100.0 * static_cast<double>(f.main_share) / static_cast<double>(f.size)
                     : 0.0,
          f.fragments, at1, at3, ms(f.ttfb_ms));
    }
  }
  if (!r.merge_details.empty()) {
    out.append("\n  merges (a predicted incident holding alerts of several faults):\n");
    for (const Merge& m : r.merge_details) {
      std::string held;
      for (const auto& [fault, n] : m.faults)
        held += fmt::format("{}{} ({} alerts)", held.empty() ? "" : ", ", fault, n);
      fmt::format_to(std::back_inserter(out), "    {} [{} alerts]: {}\n", m.incident, m.size, held);
    }
  }
  return out;
}

}  // namespace squall::eval
