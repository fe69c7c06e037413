#include "plugins/drafters/common/config.h"

#include <charconv>
#include <limits>

#include "plugins/drafters/common/draft.h"

namespace squall::drafters {
namespace {

constexpr std::string_view kKinds[] = {"deploy", "change", "zone", "node", "service", "any"};

bool is_kind(std::string_view k) {
  for (std::string_view s : kKinds)
    if (s == k) return true;
  return false;
}

template <class T>
core::Result<void> parse_int(std::string_view key, std::string_view text, T& out, T lo, T hi) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    return core::make_error("drafter." + std::string(key) + ": expected an integer in [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "], got '" +
                            std::string(text) + "'");
  out = v;
  return {};
}

core::Result<void> check_range(std::string_view key, std::int64_t v, std::int64_t lo,
                               std::int64_t hi) {
  if (v < lo || v > hi)
    return core::make_error("drafter." + std::string(key) + ": " + std::to_string(v) +
                            " is not in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return {};
}

core::Result<RunbookRule> parse_rule(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return core::make_error("drafter.runbook: expected kind[:pattern]=action, got '" +
                            std::string(text) + "'");
  RunbookRule r;
  const std::string_view match = text.substr(0, eq);
  const std::size_t colon = match.find(':');
  r.kind = match.substr(0, colon);
  if (colon != std::string_view::npos) r.pattern = match.substr(colon + 1);
  r.action = text.substr(eq + 1);
  return r;
}

}  // namespace

const std::vector<RunbookRule>& default_runbook() {
  static const std::vector<RunbookRule> rules = {
      {"deploy", "", "roll back {deploy}"},
      {"change", "", "review the change and revert it if it is the cause: {change}"},
      {"zone", "", "check network reachability and provider status of zone {zone}"},
      {"node", "", "drain/inspect node {node}"},
      {"service",
       "db-*|*-db|*-db-*|*postgres*|*mysql*|*mariadb*|*redis*|*mongo*|*cassandra*|*elasticsearch*|"
       "*opensearch*|*kafka*|*rabbitmq*|*memcache*|*etcd*|*zookeeper*|*clickhouse*|*dynamo*|"
       "*database*|*-sql*",
       "check {service} capacity/connections"},
      {"service", "", "inspect {service}: recent errors, saturation and the services it calls"},
      {"any", "", "read the timeline from the earliest alert and confirm the root cause"},
  };
  return rules;
}

std::vector<RunbookRule> effective_runbook(const DrafterConfig& config) {
  std::vector<RunbookRule> rules = config.runbook;
  if (config.runbook_defaults)
    rules.insert(rules.end(), default_runbook().begin(), default_runbook().end());
  return rules;
}

bool is_local_url(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  std::string_view host = url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (const std::size_t at = host.rfind('@'); at != std::string_view::npos)
    host = host.substr(at + 1);
  if (!host.empty() && host.front() == '[') {
    host =
        host.substr(1, host.find(']') == std::string_view::npos ? host.size() : host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

core::Result<void> validate(const DrafterConfig& c) {
  if (c.name != "evidence" && c.name != "anthropic" && c.name != "openai")
    return core::make_error("drafter.name: unknown drafter '" + c.name +
                            "' (evidence | anthropic | openai)");
  if (!c.base_url.empty() && c.base_url.rfind("http://", 0) != 0 &&
      c.base_url.rfind("https://", 0) != 0)
    return core::make_error("drafter.base_url: expected http:// or https://, got '" + c.base_url +
                            "'");
  constexpr std::int64_t kDay = 24LL * 3600 * 1000;
  if (auto r = check_range("timeout_ms", c.timeout_ms, 1, kDay); !r) return r;
  if (auto r = check_range("connect_timeout_ms", c.connect_timeout_ms, 1, kDay); !r) return r;
  if (auto r = check_range("max_retries", c.max_retries, 0, 10); !r) return r;
  if (auto r = check_range("backoff_base_ms", c.backoff_base_ms, 0, kDay); !r) return r;
  if (auto r = check_range("backoff_max_ms", c.backoff_max_ms, c.backoff_base_ms, kDay); !r)
    return r;
  if (auto r = check_range("retry_after_max_ms", c.retry_after_max_ms, 0, kDay); !r) return r;
  if (auto r = check_range("max_concurrency", c.max_concurrency, 1, 1024); !r) return r;
  if (auto r = check_range("tokens_per_minute", c.tokens_per_minute, 0, 1'000'000'000); !r)
    return r;
  if (auto r = check_range("queue_timeout_ms", c.queue_timeout_ms, 0, kDay); !r) return r;
  if (auto r = check_range("max_tokens", c.max_tokens, 1, 1 << 20); !r) return r;
  if (c.max_bundle_bytes == 0) return core::make_error("drafter.max_bundle_bytes: must be > 0");
  if (c.timeline_entries > 100) return core::make_error("drafter.timeline_entries: at most 100");
  if (c.max_evidence == 0 || c.max_evidence > kMaxEvidenceItems)
    return core::make_error("drafter.max_evidence: expected 1.." +
                            std::to_string(kMaxEvidenceItems));
  for (const RunbookRule& r : c.runbook) {
    if (!is_kind(r.kind))
      return core::make_error("drafter.runbook: unknown kind '" + r.kind +
                              "' (deploy | change | zone | node | service | any)");
    if (r.action.empty()) return core::make_error("drafter.runbook: empty action");
  }
  return {};
}

const std::vector<std::string_view>& config_keys() {
  static const std::vector<std::string_view> keys = {"name",
                                                     "model",
                                                     "base_url",
                                                     "api_key_env",
                                                     "timeout_ms",
                                                     "connect_timeout_ms",
                                                     "max_retries",
                                                     "backoff_base_ms",
                                                     "backoff_max_ms",
                                                     "retry_after_max_ms",
                                                     "max_concurrency",
                                                     "tokens_per_minute",
                                                     "queue_timeout_ms",
                                                     "max_tokens",
                                                     "json_mode",
                                                     "max_bundle_bytes",
                                                     "timeline_entries",
                                                     "max_evidence",
                                                     "runbook",
                                                     "runbook_defaults"};
  return keys;
}

core::Result<void> apply_option(DrafterConfig& c, std::string_view key, std::string_view value) {
  constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
  auto boolean = [&](bool& out) -> core::Result<void> {
    if (value == "true") {
      out = true;
    } else if (value == "false") {
      out = false;
    } else {
      return core::make_error("drafter." + std::string(key) + ": expected true or false");
    }
    return {};
  };
  if (key == "name" || key == "drafter") {
    c.name = value;
  } else if (key == "model") {
    c.model = value;
  } else if (key == "base_url") {
    c.base_url = value;
  } else if (key == "api_key_env") {
    c.api_key_env = value;
  } else if (key == "timeout_ms") {
    return parse_int<std::int64_t>(key, value, c.timeout_ms, 1, kMax64);
  } else if (key == "connect_timeout_ms") {
    return parse_int<std::int64_t>(key, value, c.connect_timeout_ms, 1, kMax64);
  } else if (key == "max_retries") {
    return parse_int(key, value, c.max_retries, 0, 10);
  } else if (key == "backoff_base_ms") {
    return parse_int<std::int64_t>(key, value, c.backoff_base_ms, 0, kMax64);
  } else if (key == "backoff_max_ms") {
    return parse_int<std::int64_t>(key, value, c.backoff_max_ms, 0, kMax64);
  } else if (key == "retry_after_max_ms") {
    return parse_int<std::int64_t>(key, value, c.retry_after_max_ms, 0, kMax64);
  } else if (key == "max_concurrency") {
    return parse_int(key, value, c.max_concurrency, 1, 1024);
  } else if (key == "tokens_per_minute") {
    return parse_int<std::int64_t>(key, value, c.tokens_per_minute, 0, kMax64);
  } else if (key == "queue_timeout_ms") {
    return parse_int<std::int64_t>(key, value, c.queue_timeout_ms, 0, kMax64);
  } else if (key == "max_tokens") {
    return parse_int(key, value, c.max_tokens, 1, 1 << 20);
  } else if (key == "json_mode") {
    return boolean(c.json_mode);
  } else if (key == "max_bundle_bytes") {
    return parse_int<std::size_t>(key, value, c.max_bundle_bytes, 1, std::size_t{1} << 30);
  } else if (key == "timeline_entries") {
    return parse_int<std::size_t>(key, value, c.timeline_entries, 0, 100);
  } else if (key == "max_evidence") {
    return parse_int<std::size_t>(key, value, c.max_evidence, 1, kMaxEvidenceItems);
  } else if (key == "runbook") {
    auto rule = parse_rule(value);
    if (!rule) return tl::unexpected(rule.error());
    if (!is_kind(rule->kind))
      return core::make_error("drafter.runbook: unknown kind '" + rule->kind + "'");
    c.runbook.push_back(std::move(*rule));
  } else if (key == "runbook_defaults") {
    return boolean(c.runbook_defaults);
  } else {
    return core::make_error("drafter: unknown key '" + std::string(key) + "'");
  }
  return {};
}

}  // namespace squall::drafters
