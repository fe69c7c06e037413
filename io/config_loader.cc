#include "io/config_loader.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "io/yaml_util.h"

namespace squall::io {
namespace {

using detail::join_key;
using detail::yaml_error;

constexpr std::array<std::string_view, core::kRoles> kRoleNames = {
    "alertname", "service", "node", "pod",       "instance", "deploy",
    "cluster",   "zone",    "peer", "namespace", "severity", "change_type"};

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  core::Result<void> error(const YAML::Node& n, const std::string& key,
                           std::string_view what) const {
    return core::make_error(yaml_error(source_, n, key, what));
  }

  core::Result<void> scalar(const YAML::Node& n, const std::string& key,
                            std::string_view what) const {
    if (!n.IsScalar()) return error(n, key, what);
    return {};
  }

  core::Result<void> read(const YAML::Node& n, const std::string& key, double& out) const {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v))
      return error(n, key, "expected a number");
    out = v;
    return {};
  }
  core::Result<void> read(const YAML::Node& n, const std::string& key, int& out) const {
    int v = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v))
      return error(n, key, "expected an integer");
    out = v;
    return {};
  }
  core::Result<void> read(const YAML::Node& n, const std::string& key, std::size_t& out) const {
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v) || v < 0)
      return error(n, key, "expected a non-negative integer");
    out = static_cast<std::size_t>(v);
    return {};
  }
  core::Result<void> read(const YAML::Node& n, const std::string& key, std::uint32_t& out) const {
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v) || v < 0 || v > UINT32_MAX)
      return error(n, key, "expected a non-negative integer");
    out = static_cast<std::uint32_t>(v);
    return {};
  }
  core::Result<void> read_ms(const YAML::Node& n, const std::string& key, std::int64_t& out) const {
    if (!n.IsScalar()) return error(n, key, "expected milliseconds or a duration like 30s");
    auto ms = parse_duration_ms(n.Scalar());
    if (!ms) return error(n, key, ms.error().message);
    out = *ms;
    return {};
  }
  core::Result<void> read(const YAML::Node& n, const std::string& key, std::string& out) const {
    if (!n.IsScalar()) return error(n, key, "expected a string");
    out = n.Scalar();
    return {};
  }
  core::Result<void> read(const YAML::Node& n, const std::string& key,
                          std::vector<std::pair<std::string, std::string>>& out) const {
    if (!n.IsMap()) return error(n, key, "expected a mapping of strings");
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar())
        return error(kv.first, key, "expected a mapping of strings");
      v.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
    out = std::move(v);
    return {};
  }
  core::Result<void> read(const YAML::Node& n, const std::string& key,
                          std::vector<std::string>& out) const {
    if (!n.IsSequence()) return error(n, key, "expected a list of label names");
    std::vector<std::string> v;
    for (const auto& e : n) {
      if (!e.IsScalar() || e.Scalar().empty())
        return error(e, key, "expected a list of label names");
      v.push_back(e.Scalar());
    }
    out = std::move(v);
    return {};
  }

 private:
  std::string_view source_;
};

using Setter = std::function<core::Result<void>(const YAML::Node&, const std::string&)>;
struct Field {
  std::string_view name;
  Setter set;
};

core::Result<void> read_section(const Reader& r, const YAML::Node& node, const std::string& prefix,
                                const std::vector<Field>& fields) {
  if (node.IsNull()) return {};
  if (!node.IsMap()) return r.error(node, prefix, "expected a mapping");
  for (const auto& kv : node) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    const std::string key = join_key(prefix, name);
    const Field* f = nullptr;
    for (const Field& candidate : fields)
      if (candidate.name == name) f = &candidate;
    if (!f) return r.error(kv.first, key, "unknown key");
    if (auto ok = f->set(kv.second, key); !ok) return ok;
  }
  return {};
}

#define SQUALL_FIELD(obj, name)                                                              \
  Field {                                                                                    \
#name, [&](const YAML::Node& n, const std::string& k) { return r.read(n, k, obj.name); } \
  }
#define SQUALL_FIELD_MS(obj, name)                                                              \
  Field {                                                                                       \
#name, [&](const YAML::Node& n, const std::string& k) { return r.read_ms(n, k, obj.name); } \
  }

core::Result<void> read_correlate(const Reader& r, const YAML::Node& node, correlate::Config& c) {
  const std::vector<Field> fields = {
      Field{"role_labels",
            [&](const YAML::Node& n, const std::string& k) -> core::Result<void> {
              if (!n.IsMap()) return r.error(n, k, "expected a mapping of role to label name(s)");
              for (const auto& kv : n) {
                const std::string role = kv.first.IsScalar() ? kv.first.Scalar() : "?";
                const std::string rk = join_key(k, role);
                std::size_t i = 0;
                while (i < kRoleNames.size() && kRoleNames[i] != role) ++i;
                if (i == kRoleNames.size())
                  return r.error(kv.first, rk,
                                 "unknown role (alertname, service, node, pod, instance, deploy, "
                                 "namespace, cluster, severity, change_type, zone, peer)");
                // One name, or a list in priority order; either replaces the role's defaults.
                std::vector<std::string> names;
                if (kv.second.IsScalar()) {
                  names.push_back(kv.second.Scalar());
                } else if (kv.second.IsSequence()) {
                  for (const auto& item : kv.second) {
                    if (!item.IsScalar()) return r.error(item, rk, "expected a label name");
                    names.push_back(item.Scalar());
                  }
                }
                if (names.empty() || std::any_of(names.begin(), names.end(),
                                                 [](const std::string& s) { return s.empty(); }))
                  return r.error(kv.second, rk, "expected a label name or a list of label names");
                c.role_labels[i] = std::move(names);
              }
              return {};
            }},
      SQUALL_FIELD(c, weak_dimensions),
      SQUALL_FIELD_MS(c, allowed_lateness_ms),
      SQUALL_FIELD_MS(c, quiet_period_ms),
      SQUALL_FIELD_MS(c, resolve_grace_ms),
      SQUALL_FIELD_MS(c, link_window_ms),
      SQUALL_FIELD_MS(c, decay_grace_ms),
      SQUALL_FIELD_MS(c, decay_tau_ms),
      SQUALL_FIELD_MS(c, change_lead_ms),
      SQUALL_FIELD_MS(c, hop_delay_ms),
      SQUALL_FIELD_MS(c, flap_window_ms),
      SQUALL_FIELD_MS(c, closed_memory_ms),
      SQUALL_FIELD(c, closed_memory_max),
      SQUALL_FIELD(c, max_hops),
      SQUALL_FIELD(c, link_threshold),
      SQUALL_FIELD(c, merge_threshold),
      SQUALL_FIELD(c, max_annotated_members),
      SQUALL_FIELD(c, max_dimensions),
      SQUALL_FIELD(c, w_service),
      SQUALL_FIELD(c, w_node),
      SQUALL_FIELD(c, w_pod),
      SQUALL_FIELD(c, w_deploy),
      SQUALL_FIELD(c, w_topology),
      SQUALL_FIELD(c, topology_decay),
      SQUALL_FIELD(c, onset_boost),
      SQUALL_FIELD(c, w_placement),
      SQUALL_FIELD(c, w_weak),
      SQUALL_FIELD_MS(c, zone_window_ms),
      SQUALL_FIELD(c, zone_min_services),
      SQUALL_FIELD(c, zone_share),
      SQUALL_FIELD(c, w_zone),
      SQUALL_FIELD(c, w_node_down),
  };
  return read_section(r, node, "correlate", fields);
}

core::Result<void> read_bundle(const Reader& r, const YAML::Node& node, bundle::Config& c) {
  const std::vector<Field> fields = {
      SQUALL_FIELD(c, max_bytes),        SQUALL_FIELD(c, max_exemplars),
      SQUALL_FIELD(c, max_timeline),     SQUALL_FIELD(c, max_services),
      SQUALL_FIELD(c, max_nodes),        SQUALL_FIELD(c, max_dimension_values),
      SQUALL_FIELD_MS(c, group_wait_ms), SQUALL_FIELD_MS(c, min_interval_ms),
  };
  return read_section(r, node, "bundle", fields);
}

core::Result<void> read_rca(const Reader& r, const YAML::Node& node, rca::Config& c) {
  const std::vector<Field> fields = {SQUALL_FIELD(c, max_hypotheses),
                                     SQUALL_FIELD(c, max_evidence)};
  return read_section(r, node, "rca", fields);
}

core::Result<void> read_parse(const Reader& r, const YAML::Node& node, parse::Limits& c) {
  const std::vector<Field> fields = {
      SQUALL_FIELD(c, max_line_bytes),
      SQUALL_FIELD(c, max_body_bytes),
      SQUALL_FIELD(c, max_labels),
      SQUALL_FIELD(c, max_label_name_bytes),
      SQUALL_FIELD(c, max_label_value_bytes),
  };
  return read_section(r, node, "parse", fields);
}

core::Result<void> read_pipeline(const Reader& r, const YAML::Node& node, EngineConfig& c) {
  const std::vector<Field> fields = {SQUALL_FIELD(c, partition_by), SQUALL_FIELD(c, partitions)};
  return read_section(r, node, "pipeline", fields);
}

core::Result<void> read_server(const Reader& r, const YAML::Node& node, ServeConfig& c) {
  const std::vector<Field> fields = {
      SQUALL_FIELD(c, http),          SQUALL_FIELD(c, tcp),
      SQUALL_FIELD(c, udp),           SQUALL_FIELD(c, data),
      SQUALL_FIELD(c, io_threads),    SQUALL_FIELD(c, udp_receivers),
      SQUALL_FIELD(c, shard_threads), SQUALL_FIELD(c, chunks_in_flight),
      SQUALL_FIELD(c, read_bytes),    SQUALL_FIELD_MS(c, tick_ms),
      SQUALL_FIELD(c, retry_after_s), SQUALL_FIELD(c, idle_timeout_s),
  };
  return read_section(r, node, "server", fields);
}

core::Result<void> read_store(const Reader& r, const YAML::Node& node, ServeConfig& c) {
  const std::vector<Field> fields = {
      SQUALL_FIELD(c, log_max_bytes),
      SQUALL_FIELD(c, log_max_files),
      Field{"max_pending", [&](const YAML::Node& n,
                               const std::string& k) { return r.read(n, k, c.store_max_pending); }},
  };
  return read_section(r, node, "store", fields);
}

core::Result<void> read_drafting(const Reader& r, const YAML::Node& node, DraftingConfig& c) {
  const std::vector<Field> fields = {
      SQUALL_FIELD(c, workers),
      SQUALL_FIELD(c, drafter),
      SQUALL_FIELD(c, model),
      SQUALL_FIELD(c, base_url),
      SQUALL_FIELD(c, api_key_env),
      SQUALL_FIELD_MS(c, timeout_ms),
      SQUALL_FIELD(c, max_retries),
      SQUALL_FIELD(c, max_concurrency),
      SQUALL_FIELD(c, tokens_per_minute),
      SQUALL_FIELD(c, queue_max),
      SQUALL_FIELD_MS(c, lease_ms),
      SQUALL_FIELD(c, runbook),
  };
  return read_section(r, node, "drafting", fields);
}

#undef SQUALL_FIELD
#undef SQUALL_FIELD_MS

// Both files: the engine's sections, and serve's when `serve` is given.
core::Result<void> parse_config(std::string_view text, std::string_view source,
                                EngineConfig& config, ServeConfig* serve) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return core::make_error(yaml_error(source, e.mark, e.msg));
  }
  const Reader r(source);
  if (!root || root.IsNull()) return {};
  if (!root.IsMap()) return r.error(root, "", "expected a mapping of sections");
  EngineConfig c = config;
  ServeConfig sc;
  if (serve) sc = *serve;
  for (const auto& kv : root) {
    const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    core::Result<void> ok;
    if (name == "correlate")
      ok = read_correlate(r, kv.second, c.correlate);
    else if (name == "bundle")
      ok = read_bundle(r, kv.second, c.bundle);
    else if (name == "rca")
      ok = read_rca(r, kv.second, c.rca);
    else if (name == "parse")
      ok = read_parse(r, kv.second, c.parse);
    else if (name == "pipeline")
      ok = read_pipeline(r, kv.second, c);
    else if (serve && name == "server")
      ok = read_server(r, kv.second, sc);
    else if (serve && name == "store")
      ok = read_store(r, kv.second, sc);
    else if (serve && name == "drafting")
      ok = read_drafting(r, kv.second, sc.drafting);
    else if (serve && name == "topology")
      ok = r.read(kv.second, "topology", sc.topology);
    else
      return r.error(kv.first, name,
                     serve ? "unknown key (sections: server, topology, store, drafting, correlate, "
                             "bundle, rca, parse, pipeline)"
                           : "unknown key (sections: correlate, bundle, rca, parse, pipeline)");
    if (!ok) return ok;
  }
  if (auto ok = correlate::validate(c.correlate); !ok)
    return core::make_error(std::string(source) + ": correlate." + ok.error().message);
  if (serve) {
    auto fail = [&](std::string_view key, std::string_view what) {
      return core::make_error(std::string(source) + ": " + std::string(key) + ": " +
                              std::string(what));
    };
    if (sc.io_threads < 1 || sc.io_threads > 64) return fail("server.io_threads", "must be 1-64");
    if (sc.udp_receivers < 1 || sc.udp_receivers > 64)
      return fail("server.udp_receivers", "must be 1-64");
    if (sc.shard_threads < 1 || sc.shard_threads > 256)
      return fail("server.shard_threads", "must be 1-256");
    if (sc.chunks_in_flight < 4) return fail("server.chunks_in_flight", "must be >= 4");
    if (sc.read_bytes < 4096) return fail("server.read_bytes", "must be >= 4096");
    if (sc.tick_ms < 10 || sc.tick_ms > 60'000) return fail("server.tick_ms", "must be 10ms-60s");
    if (sc.retry_after_s < 0) return fail("server.retry_after_s", "must be >= 0");
    if (sc.idle_timeout_s < 1) return fail("server.idle_timeout_s", "must be >= 1");
    if (sc.data.empty()) return fail("server.data", "must not be empty");
    if (sc.log_max_bytes < 4096) return fail("store.log_max_bytes", "must be >= 4096");
    if (sc.log_max_files < 1) return fail("store.log_max_files", "must be >= 1");
    if (sc.drafting.drafter != "evidence" && sc.drafting.drafter != "anthropic" &&
        sc.drafting.drafter != "openai")
      return fail("drafting.drafter", "must be evidence, anthropic or openai");
    if (sc.drafting.workers > 64) return fail("drafting.workers", "must be 0-64");
    if (sc.drafting.queue_max < 1) return fail("drafting.queue_max", "must be >= 1");
    if (sc.drafting.timeout_ms < 1) return fail("drafting.timeout_ms", "must be > 0");
    if (sc.drafting.lease_ms < 100) return fail("drafting.lease_ms", "must be >= 100ms");
  }
  if (serve) {  // `config` may be serve->engine itself
    sc.engine = std::move(c);
    *serve = std::move(sc);
  } else {
    config = std::move(c);
  }
  return {};
}

core::Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::make_error(path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

core::Result<std::int64_t> parse_duration_ms(std::string_view s) {
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p == s.data() || v < 0)
    return core::make_error("expected milliseconds or a duration like 30s, got '" + std::string(s) +
                            "'");
  const std::string_view unit(p, static_cast<std::size_t>(end - p));
  std::int64_t mult = 0;
  if (unit.empty() || unit == "ms")
    mult = 1;
  else if (unit == "s")
    mult = 1000;
  else if (unit == "m")
    mult = 60'000;
  else if (unit == "h")
    mult = 3'600'000;
  else if (unit == "d")
    mult = 86'400'000;
  else
    return core::make_error("unknown duration unit in '" + std::string(s) + "' (ms, s, m, h, d)");
  if (v > INT64_MAX / mult) return core::make_error("duration too large: '" + std::string(s) + "'");
  return v * mult;
}

core::Result<void> parse_engine_config(std::string_view text, std::string_view source,
                                       EngineConfig& config) {
  return parse_config(text, source, config, nullptr);
}

core::Result<void> load_engine_config(const std::string& path, EngineConfig& config) {
  auto text = read_text(path);
  if (!text) return tl::unexpected(text.error());
  return parse_engine_config(*text, path, config);
}

core::Result<void> parse_serve_config(std::string_view text, std::string_view source,
                                      ServeConfig& config) {
  return parse_config(text, source, config.engine, &config);
}

core::Result<void> load_serve_config(const std::string& path, ServeConfig& config) {
  auto text = read_text(path);
  if (!text) return tl::unexpected(text.error());
  return parse_serve_config(*text, path, config);
}

}  // namespace squall::io
