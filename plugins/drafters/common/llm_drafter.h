#pragma once
// LlmDrafter: what the anthropic and openai drafters share. It sends the bundle, fenced as
// untrusted data, with a system prompt that says draft only, never act; keeps to its concurrency
// and tokens-per-minute limits; retries 429 (honouring Retry-After), 5xx and transport errors a
// bounded number of times with exponential backoff and jitter; validates the reply against the
// draft schema; sets incident, bundle_version, drafter and needs_human_check itself; falls back to
// the evidence draft, marked, whenever anything fails; and grounds every draft.
//
// Thread contract: draft() may run on many threads at once; limits are shared across them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/drafters/common/bundle_view.h"
#include "plugins/drafters/common/config.h"
#include "plugins/drafters/common/drafter.h"
#include "plugins/drafters/common/limiter.h"
#include "plugins/drafters/evidence/evidence_drafter.h"

namespace squall::drafters {

// What an API said, provider-independent.
struct ModelReply {
  std::string text;   // the model's message
  std::string model;  // the model that answered, as reported
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
};

// The system prompt every LLM drafter sends.
[[nodiscard]] std::string_view system_prompt();
// The user message for `bundle`: its JSON between <bundle> tags, with '<' and '>' written as
// \u003c / \u003e (the same JSON, no tag can be closed from inside), and a note that it is data.
[[nodiscard]] std::string user_prompt(const BundleView& bundle);

class LlmDrafter : public Drafter {
 public:
  [[nodiscard]] core::Result<DraftResult> draft(std::string_view bundle_json) final;
  [[nodiscard]] std::string_view name() const final { return name_; }

 protected:
  // `provider` "anthropic" | "openai"; `path` appended to the base URL ("/v1/messages").
  LlmDrafter(const DrafterConfig& config, std::string_view provider, std::string api_key,
             std::string_view default_model, std::string_view default_url, std::string_view path);

  // Provider specifics: request headers (beyond Content-Type), request body, response parsing.
  [[nodiscard]] virtual std::vector<std::string> headers() const = 0;
  [[nodiscard]] virtual std::string request_body(std::string_view system,
                                                 std::string_view user) const = 0;
  [[nodiscard]] virtual core::Result<ModelReply> parse_response(std::string_view body) const = 0;

  [[nodiscard]] const DrafterConfig& config() const { return config_; }
  [[nodiscard]] const std::string& model() const { return model_; }
  [[nodiscard]] const std::string& api_key() const { return api_key_; }

 private:
  [[nodiscard]] std::chrono::milliseconds backoff(int attempt, std::int64_t retry_after_ms) const;

  DrafterConfig config_;
  std::string model_;
  std::string api_key_;
  std::string endpoint_;
  std::string name_;  // "<provider>:<model>"
  EvidenceDrafter fallback_;
  Semaphore slots_;
  TokenBucket bucket_;
};

// The API key for `config`: the environment variable it names (default `default_env`). An error
// when it is unset or empty and the base URL (default `default_url`) is not local.
[[nodiscard]] core::Result<std::string> api_key_for(const DrafterConfig& config,
                                                    std::string_view default_env,
                                                    std::string_view default_url);

}  // namespace squall::drafters
