#pragma once
// Test helper: a hand-built incident. Alerts are parsed from native NDJSON lines with the real
// Parser and stored in a real MemberTable; the incident's aggregates (services, nodes, severity,
// dimensions, changes) are filled the way the correlator fills them.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/incident.h"
#include "engine/core/interner.h"
#include "engine/core/member_table.h"
#include "engine/core/topology.h"
#include "engine/core/well_known.h"
#include "engine/parse/parser.h"

namespace squall::testkit {

inline constexpr std::int64_t kT0 = 1764000000000LL;

class IncidentBuilder {
 public:
  IncidentBuilder() : parser_(interner_) {
    incident_.id = "inc-0-1";
    incident_.number = 1;
    zone_ = interner_.intern("zone");
  }

  // Adds one native alert (or change event) line. A repeat of a member's fingerprint counts on that
  // member. Returns the member slot (UINT32_MAX for a change event).
  std::uint32_t add(std::string_view line,
                    core::JoinReason reason = core::JoinReason::kSameService) {
    batch_.clear();
    const auto ok = parser_.parse_native(line, batch_, kT0);
    EXPECT_TRUE(ok.has_value()) << line;
    if (!ok) return UINT32_MAX;
    const core::Alert& a = batch_.alerts[0];
    if (a.kind == core::Kind::kChange) {
      core::ChangeRef c;
      c.ts = a.ts_ms;
      c.service = batch_.label(a, core::sym::kService);
      c.change_type = batch_.label(a, core::sym::kChangeType);
      c.deploy = batch_.label(a, core::sym::kDeploy);
      c.id = std::string(batch_.str(a.id));
      for (std::uint32_t i = 0; i < a.annotations_count; ++i) {
        const core::Annotation& an = batch_.annotations_of(a)[i];
        if (batch_.str(an.name) == "summary") c.summary = std::string(batch_.str(an.value));
      }
      incident_.changes.push_back(std::move(c));
      return UINT32_MAX;
    }
    if (auto it = by_fp_.find(a.fingerprint); it != by_fp_.end()) {
      core::Member& m = members_[it->second];
      ++m.count;
      m.last_ts = std::max(m.last_ts, a.ts_ms);
      ++incident_.alerts_total;
      incident_.updated_at = std::max(incident_.updated_at, a.ts_ms);
      bump(incident_.services, m.roles[idx(core::Role::kService)], m, 1, 0);
      bump(incident_.nodes, m.roles[idx(core::Role::kNode)], m, 1, 0, true);
      return it->second;
    }
    core::Member m;
    m.fingerprint = a.fingerprint;
    const std::pair<core::Role, core::Sym> roles[] = {
        {core::Role::kAlertname, core::sym::kAlertname},
        {core::Role::kService, core::sym::kService},
        {core::Role::kNode, core::sym::kNode},
        {core::Role::kPod, core::sym::kPod},
        {core::Role::kInstance, core::sym::kInstance},
        {core::Role::kDeploy, core::sym::kDeploy},
        {core::Role::kCluster, core::sym::kCluster},
        {core::Role::kZone, zone_}};
    for (auto [role, name] : roles) m.roles[idx(role)] = batch_.label(a, name);
    m.first_ts = m.last_ts = a.ts_ms;
    m.count = 1;
    m.status = a.status;
    m.severity = core::parse_severity(interner_.view(batch_.label(a, core::sym::kSeverity)));
    m.reason = incident_.members.empty() ? core::JoinReason::kOpened : reason;
    m.incident = 0;
    const std::uint32_t slot = members_.add(m, batch_, a, /*keep_annotations=*/true);
    by_fp_.emplace(a.fingerprint, slot);
    incident_.members.push_back(slot);
    if (incident_.members.size() == 1) incident_.opened_at = incident_.updated_at = a.ts_ms;
    incident_.opened_at = std::min(incident_.opened_at, a.ts_ms);
    incident_.updated_at = std::max(incident_.updated_at, a.ts_ms);
    ++incident_.alerts_total;
    if (m.status == core::Status::kFiring) ++incident_.firing;
    incident_.severity = std::max(incident_.severity, m.severity);
    bump(incident_.services, m.roles[idx(core::Role::kService)], m, 1, 1);
    bump(incident_.nodes, m.roles[idx(core::Role::kNode)], m, 1, 1, true);
    for (core::Sym name : {core::sym::kCluster, core::sym::kNamespace}) {
      const core::Sym v = batch_.label(a, name);
      if (v) count_dimension(name, v);
    }
    return slot;
  }

  // A native alert line from its parts; `extra` is appended inside "labels" (",\"k\":\"v\"").
  static std::string alert(std::string_view id, std::int64_t ts, std::string_view alertname,
                           std::string_view service, std::string_view node,
                           std::string_view severity = "critical", std::string_view extra = "",
                           std::string_view summary = "") {
    std::string labels = fmt::format(R"("alertname":"{}")", alertname);
    if (!service.empty()) labels += fmt::format(R"(,"service":"{}")", service);
    if (!node.empty()) labels += fmt::format(R"(,"node":"{}")", node);
    if (!severity.empty()) labels += fmt::format(R"(,"severity":"{}")", severity);
    labels += R"(,"cluster":"eu-west-1")";
    labels += extra;
    return fmt::format(R"({{"id":"{}","ts":{},"labels":{{{}}},"annotations":{{"summary":"{}"}}}})",
                       id, ts, labels,
                       summary.empty() ? std::string(alertname) : std::string(summary));
  }
  static std::string change(std::string_view id, std::int64_t ts, std::string_view service,
                            std::string_view deploy, std::string_view summary) {
    return fmt::format(
        R"({{"id":"{}","ts":{},"kind":"change","labels":{{"alertname":"Deploy","service":"{}",)"
        R"("change_type":"deploy","deploy":"{}"}},"annotations":{{"summary":"{}"}}}})",
        id, ts, service, deploy, summary);
  }

  core::Topology topology(const std::vector<core::Topology::Entry>& entries, int max_hops = 3) {
    return core::Topology::build(entries, interner_, max_hops);
  }

  [[nodiscard]] core::Incident& incident() { return incident_; }
  [[nodiscard]] core::MemberTable& members() { return members_; }
  [[nodiscard]] core::Interner& interner() { return interner_; }
  [[nodiscard]] std::string_view name(core::Sym s) const { return interner_.view(s); }

 private:
  static constexpr std::size_t idx(core::Role r) { return static_cast<std::size_t>(r); }

  // Entities are kept per (name, cluster), as the correlator keeps them.
  static void bump(std::vector<core::EntityStat>& list, core::Sym e, const core::Member& m,
                   std::uint32_t alerts, std::uint32_t fingerprints, bool is_node = false) {
    if (e == 0) return;
    const core::Sym scope = m.roles[idx(core::Role::kCluster)];
    core::EntityStat* s = nullptr;
    for (auto& x : list)
      if (x.entity == e && x.scope == scope) s = &x;
    if (!s) {
      core::EntityStat fresh;
      fresh.entity = e;
      fresh.scope = scope;
      fresh.first_ts = fresh.last_ts = m.first_ts;
      list.push_back(fresh);
      s = &list.back();
    }
    const core::Sym service = m.roles[idx(core::Role::kService)];
    if (is_node && fingerprints) {
      if (service == 0) ++s->node_level;
      if (s->first_service == 0)
        s->first_service = service;
      else if (service != 0 && service != s->first_service)
        s->many_services = true;
    }
    s->first_ts = std::min(s->first_ts, m.first_ts);
    s->last_ts = std::max(s->last_ts, m.last_ts);
    s->alerts += alerts;
    s->fingerprints += fingerprints;
    if (fingerprints && m.status == core::Status::kFiring) ++s->firing;
    s->max_severity = std::max(s->max_severity, m.severity);
  }
  void count_dimension(core::Sym name, core::Sym value) {
    for (auto& d : incident_.dimensions)
      if (d.name == name && d.value == value) {
        ++d.alerts;
        return;
      }
    incident_.dimensions.push_back(core::Incident::DimCount{name, value, 1});
  }

  core::Interner interner_;
  parse::Parser parser_;
  core::AlertBatch batch_;
  core::MemberTable members_;
  core::Incident incident_;
  std::unordered_map<core::Fingerprint, std::uint32_t> by_fp_;
  core::Sym zone_ = 0;
};

}  // namespace squall::testkit
