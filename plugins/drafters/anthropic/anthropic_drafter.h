#pragma once
// AnthropicDrafter: the Messages API. POST {base_url}/v1/messages with x-api-key and
// anthropic-version: 2023-06-01; body {model, max_tokens, temperature: 0, system,
// messages: [{role: user, content}]}; the draft is the first text block of `content`, tokens from
// usage.input_tokens / output_tokens. Everything else as LlmDrafter.
#include <memory>

#include "plugins/drafters/common/llm_drafter.h"

namespace squall::drafters {

class AnthropicDrafter final : public LlmDrafter {
 public:
  // Reads the API key from the environment (ANTHROPIC_API_KEY unless api_key_env says otherwise).
  [[nodiscard]] static core::Result<std::unique_ptr<Drafter>> create(const DrafterConfig& config);

 private:
  AnthropicDrafter(const DrafterConfig& config, std::string api_key);
  [[nodiscard]] std::vector<std::string> headers() const override;
  [[nodiscard]] std::string request_body(std::string_view system,
                                         std::string_view user) const override;
  [[nodiscard]] core::Result<ModelReply> parse_response(std::string_view body) const override;
};

}  // namespace squall::drafters
