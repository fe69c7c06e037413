#include "plugins/drafters/anthropic/anthropic_drafter.h"

#include <simdjson.h>

#include "engine/core/json_writer.h"

namespace squall::drafters {

namespace dom = simdjson::dom;

AnthropicDrafter::AnthropicDrafter(const DrafterConfig& config, std::string api_key)
    : LlmDrafter(config, "anthropic", std::move(api_key), kDefaultAnthropicModel,
                 kDefaultAnthropicUrl, "/v1/messages") {}

core::Result<std::unique_ptr<Drafter>> AnthropicDrafter::create(const DrafterConfig& config) {
  auto key = api_key_for(config, "ANTHROPIC_API_KEY", kDefaultAnthropicUrl);
  if (!key) return tl::unexpected(key.error());
  return std::unique_ptr<Drafter>(new AnthropicDrafter(config, std::move(*key)));
}

std::vector<std::string> AnthropicDrafter::headers() const {
  std::vector<std::string> h = {"anthropic-version: 2023-06-01"};
  if (!api_key().empty()) h.push_back("x-api-key: " + api_key());
  return h;
}

std::string AnthropicDrafter::request_body(std::string_view system, std::string_view user) const {
  std::string out;
  core::JsonWriter w(out);
  w.begin_object();
  w.kv("model", std::string_view(model()));
  w.kv("max_tokens", config().max_tokens);
  w.kv("temperature", 0);
  w.kv("system", system);
  w.key("messages").begin_array();
  w.begin_object().kv("role", "user").kv("content", user).end_object();
  w.end_array();
  w.end_object();
  return out;
}

core::Result<ModelReply> AnthropicDrafter::parse_response(std::string_view body) const {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc))
    return core::make_error(std::string("not JSON: ") + simdjson::error_message(err));
  ModelReply r;
  std::string_view s;
  if (!doc["model"].get(s)) r.model = s;
  std::int64_t n = 0;
  if (!doc["usage"]["input_tokens"].get(n)) r.tokens_in = n;
  if (!doc["usage"]["output_tokens"].get(n)) r.tokens_out = n;
  dom::array content;
  if (doc["content"].get(content)) {
    std::string_view type;
    if (!doc["type"].get(type) && type == "error" && !doc["error"]["message"].get(s))
      return core::make_error("API error: " + std::string(s));
    return core::make_error("no content array");
  }
  for (dom::element block : content) {
    std::string_view type, text;
    if (!block["type"].get(type) && type == "text" && !block["text"].get(text)) {
      r.text = text;
      return r;
    }
  }
  return core::make_error("no text block in content");
}

}  // namespace squall::drafters
