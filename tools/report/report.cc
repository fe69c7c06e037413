// `squall report`: what a person needs from a data directory — "N alerts → K incidents", then each
// incident with its draft: likely cause, confidence, verified evidence, suggested action, and that
// a human must check it. Reads the incident store; works while serve runs or after it stopped.
#include "tools/report/report.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "io/store/store.h"

namespace squall::report {
namespace {

struct Row {
  store::BundleRecord bundle;
  std::uint64_t alerts = 0;
  std::string severity;
  std::vector<std::string> services;
};

std::string join(const std::vector<std::string>& v, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) {
    if (i) out += ", ";
    out += v[i];
  }
  if (v.size() > max) out += ", … (" + std::to_string(v.size() - max) + " more)";
  return out;
}

}  // namespace

int run_report(const ReportOptions& o, std::FILE* out, std::FILE* err) {
  store::Options so;
  so.dir = o.data;
  so.read_only = true;
  auto st = store::Store::open(so);
  if (!st) {
    std::fprintf(err, "squall report: --data: %s\n", st.error().message.c_str());
    return 2;
  }
  store::Store::Query q;
  q.limit = 0;
  if (!o.state.empty()) q.state = o.state;
  auto rows = (*st)->incidents(q);
  if (!rows) {
    std::fprintf(err, "squall report: %s\n", rows.error().message.c_str());
    return 1;
  }
  simdjson::dom::parser parser;
  std::vector<Row> incidents;
  std::uint64_t total = 0;
  for (auto& b : *rows) {
    Row r;
    simdjson::dom::element doc;
    if (parser.parse(b.json).get(doc) == simdjson::SUCCESS) {
      if (doc["alerts_total"].get(r.alerts) != simdjson::SUCCESS) r.alerts = 0;
      std::string_view sev;
      if (doc["severity"].get(sev) == simdjson::SUCCESS) r.severity = std::string(sev);
      simdjson::dom::array services;
      if (doc["services"].get(services) == simdjson::SUCCESS)
        for (auto s : services) {
          std::string_view name;
          if (s.get(name) == simdjson::SUCCESS) r.services.emplace_back(name);
        }
    }
    total += r.alerts;
    r.bundle = std::move(b);
    incidents.push_back(std::move(r));
  }
  // Biggest first: what a person looks at first.
  std::stable_sort(incidents.begin(), incidents.end(),
                   [](const Row& a, const Row& b) { return a.alerts > b.alerts; });
  std::fprintf(out, "squall: %llu alerts → %zu incident%s (%s)\n\n",
               static_cast<unsigned long long>(total), incidents.size(),
               incidents.size() == 1 ? "" : "s", o.data.c_str());
  std::size_t shown = 0;
  for (const Row& r : incidents) {
    if (o.top > 0 && shown++ >= o.top) {
      std::fprintf(out, "… %zu more incidents (--top 0 lists all)\n", incidents.size() - o.top);
      break;
    }
    std::fprintf(out, "%s  %s  %s  %llu alerts  services: %s\n", r.bundle.incident.c_str(),
                 r.bundle.state.c_str(), r.severity.empty() ? "-" : r.severity.c_str(),
                 static_cast<unsigned long long>(r.alerts), join(r.services, 6).c_str());
    auto d = (*st)->latest_draft(r.bundle.incident);
    simdjson::dom::element draft;
    if (!d || !*d || parser.parse((*d)->draft_json).get(draft) != simdjson::SUCCESS) {
      std::fprintf(out, "  (no draft yet)\n\n");
      continue;
    }
    std::string_view s;
    double confidence = 0;
    if (draft["likely_cause"].get(s) == simdjson::SUCCESS) {
      if (s.starts_with("likely cause: ")) s.remove_prefix(14);
      std::fprintf(out, "  likely cause   %.*s\n", static_cast<int>(s.size()), s.data());
    }
    if (draft["confidence"].get(confidence) == simdjson::SUCCESS)
      std::fprintf(out, "  confidence     %.2f\n", confidence);
    simdjson::dom::array ev;
    if (draft["evidence"].get(ev) == simdjson::SUCCESS) {
      std::fprintf(out, "  evidence       (verified: each quote occurs in the bundle)\n");
      for (auto e : ev)
        if (e.get(s) == simdjson::SUCCESS)
          std::fprintf(out, "                 \"%.*s\"\n", static_cast<int>(s.size()), s.data());
    }
    std::uint64_t unsupported = 0, checked = 0;
    if (draft["grounding"]["unsupported"].get(unsupported) != simdjson::SUCCESS) unsupported = 0;
    if (draft["grounding"]["checked"].get(checked) != simdjson::SUCCESS) checked = 0;
    if (unsupported > 0)
      std::fprintf(out, "  UNSUPPORTED    %llu of %llu claims not found in the bundle (kept out)\n",
                   static_cast<unsigned long long>(unsupported),
                   static_cast<unsigned long long>(checked));
    if (draft["suggested_action"].get(s) == simdjson::SUCCESS)
      std::fprintf(out, "  suggested      %.*s\n", static_cast<int>(s.size()), s.data());
    std::string_view by = "?";
    if (draft["drafter"].get(by) != simdjson::SUCCESS) by = "?";
    std::fprintf(out,
                 "  needs a human check: yes — a draft by %.*s, nothing is done until a person "
                 "decides\n\n",
                 static_cast<int>(by.size()), by.data());
  }
  return 0;
}

void register_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Print the incidents of a serve data directory for a person: N alerts → K incidents, and "
      "each incident's draft (likely cause, confidence, verified evidence, suggested action).");
  cmd->add_option("--data", o->data, "serve's data directory")->capture_default_str();
  cmd->add_option("--state", o->state, "open | closed (default: both)")
      ->check(CLI::IsMember({"open", "closed"}));
  cmd->add_option("--top", o->top, "incidents shown, biggest first (0: all)")
      ->capture_default_str();
  cmd->callback([o] {
    const int code = run_report(*o, stdout, stderr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace squall::report
