#pragma once
// DrafterConfig: which drafter, how it reaches its model, how hard it may push, and the runbook
// that turns a root-cause hypothesis into a suggested action (text for a human, never executed).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace squall::drafters {

// One runbook rule: a hypothesis of `kind` whose entity matches `pattern` gets `action`.
//   kind: "deploy" (a deploy precedes it), "change" (another change precedes it), "node",
//         "service", or "any" (also used when the bundle has no hypothesis).
//   pattern: glob on the entity ('*', '?', alternatives split by '|'); "" or "*" matches all.
//            The entity is the deploy (`orders@v2.3.1`) for "deploy", the node for "node",
//            else the service.
//   action: a template; {service} {node} {deploy} {change} {incident} are replaced.
// The first matching rule wins: the user's rules, then (unless disabled) default_runbook().
struct RunbookRule {
  std::string kind;
  std::string pattern;
  std::string action;
};

// deploy → "roll back {deploy}"; change → revert it; node → "drain/inspect node {node}";
// a datastore-like service (db-*, *postgres*, *redis*, *kafka*, ...) → "check {service}
// capacity/connections"; any other service → inspect it; nothing ranked → read the timeline.
[[nodiscard]] const std::vector<RunbookRule>& default_runbook();

struct DrafterConfig {
  std::string name = "evidence";     // evidence | anthropic | openai
  std::string model;                 // "" = the provider's default (kDefault*Model)
  std::string base_url;              // "" = the provider's public API; no trailing /v1 needed
  std::string api_key_env;           // "" = ANTHROPIC_API_KEY / OPENAI_API_KEY
  std::int64_t timeout_ms = 60'000;  // one HTTP attempt, end to end
  std::int64_t connect_timeout_ms = 5'000;  // capped at timeout_ms
  int max_retries = 2;                      // on 429, 5xx and transport errors
  std::int64_t backoff_base_ms = 500;       // exponential backoff with jitter: base * 2^n
  std::int64_t backoff_max_ms = 10'000;
  std::int64_t retry_after_max_ms = 60'000;  // a longer Retry-After gives up instead
  int max_concurrency = 4;                   // requests in flight, per drafter (= per process)
  std::int64_t tokens_per_minute = 100'000;  // estimated (chars / 4 + max_tokens); 0 = no limit
  std::int64_t queue_timeout_ms = 120'000;   // longest wait for a slot or for token budget
  int max_tokens = 1024;                     // the reply's budget
  bool json_mode = true;                     // openai: response_format json_object
  std::size_t max_bundle_bytes = 64 * 1024;  // larger bundles fall back to the evidence draft
  std::size_t timeline_entries = 5;          // evidence drafter: timeline lines shown
  std::size_t max_evidence = 12;             // evidence drafter: quotes at most
  std::vector<RunbookRule> runbook;          // tried before the defaults
  bool runbook_defaults = true;              // append default_runbook()
};

inline constexpr std::string_view kDefaultAnthropicModel = "claude-sonnet-4-5";
inline constexpr std::string_view kDefaultOpenAiModel = "gpt-4o-mini";
inline constexpr std::string_view kDefaultAnthropicUrl = "https://api.anthropic.com";
inline constexpr std::string_view kDefaultOpenAiUrl = "https://api.openai.com";

// The config's rules followed by the defaults (when enabled).
[[nodiscard]] std::vector<RunbookRule> effective_runbook(const DrafterConfig& config);

// Checks names, ranges and runbook rules (not the API key: make_drafter does).
[[nodiscard]] core::Result<void> validate(const DrafterConfig& config);

// Declarative config schema for config files and flags: sets the option `key` from its text.
// Keys are the field names above; "runbook" appends one rule written `kind[:pattern]=action`
// (e.g. `service:db-*=check {service} capacity/connections`). Unknown keys and bad values are
// errors.
[[nodiscard]] core::Result<void> apply_option(DrafterConfig& config, std::string_view key,
                                              std::string_view value);
// The keys apply_option accepts.
[[nodiscard]] const std::vector<std::string_view>& config_keys();

// True for a base URL on this machine (localhost, 127.0.0.0/8, ::1): no API key needed.
[[nodiscard]] bool is_local_url(std::string_view url);

}  // namespace squall::drafters
