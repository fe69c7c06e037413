#pragma once
// OpenAiDrafter: any chat-completions compatible API (OpenAI, vLLM, Ollama, llama.cpp server,
// ...). POST {base_url}/v1/chat/completions with Authorization: Bearer <key> (omitted when no key
// is needed for a local base_url); body {model, messages: [system, user], temperature: 0,
// max_tokens, response_format: {type: json_object} when json_mode}; the draft is
// choices[0].message.content, tokens from usage.prompt_tokens / completion_tokens. Everything
// else as LlmDrafter.
#include <memory>

#include "plugins/drafters/common/llm_drafter.h"

namespace squall::drafters {

class OpenAiDrafter final : public LlmDrafter {
 public:
  // Reads the API key from the environment (OPENAI_API_KEY unless api_key_env says otherwise).
  [[nodiscard]] static core::Result<std::unique_ptr<Drafter>> create(const DrafterConfig& config);

 private:
  OpenAiDrafter(const DrafterConfig& config, std::string api_key);
  [[nodiscard]] std::vector<std::string> headers() const override;
  [[nodiscard]] std::string request_body(std::string_view system,
                                         std::string_view user) const override;
  [[nodiscard]] core::Result<ModelReply> parse_response(std::string_view body) const override;
};

}  // namespace squall::drafters
