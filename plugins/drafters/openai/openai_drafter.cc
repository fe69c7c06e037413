#include "plugins/drafters/openai/openai_drafter.h"

#include <simdjson.h>

#include "engine/core/json_writer.h"

namespace squall::drafters {

namespace dom = simdjson::dom;

OpenAiDrafter::OpenAiDrafter(const DrafterConfig& config, std::string api_key)
    : LlmDrafter(config, "openai", std::move(api_key), kDefaultOpenAiModel, kDefaultOpenAiUrl,
                 "/v1/chat/completions") {}

core::Result<std::unique_ptr<Drafter>> OpenAiDrafter::create(const DrafterConfig& config) {
  auto key = api_key_for(config, "OPENAI_API_KEY", kDefaultOpenAiUrl);
  if (!key) return tl::unexpected(key.error());
  return std::unique_ptr<Drafter>(new OpenAiDrafter(config, std::move(*key)));
}

std::vector<std::string> OpenAiDrafter::headers() const {
  std::vector<std::string> h;
  if (!api_key().empty()) h.push_back("Authorization: Bearer " + api_key());
  return h;
}

std::string OpenAiDrafter::request_body(std::string_view system, std::string_view user) const {
  std::string out;
  core::JsonWriter w(out);
  w.begin_object();
  w.kv("model", std::string_view(model()));
  w.key("messages").begin_array();
  w.begin_object().kv("role", "system").kv("content", system).end_object();
  w.begin_object().kv("role", "user").kv("content", user).end_object();
  w.end_array();
  w.kv("temperature", 0);
  w.kv("max_tokens", config().max_tokens);
  if (config().json_mode) {
    w.key("response_format").begin_object().kv("type", "json_object").end_object();
  }
  w.end_object();
  return out;
}

core::Result<ModelReply> OpenAiDrafter::parse_response(std::string_view body) const {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc))
    return core::make_error(std::string("not JSON: ") + simdjson::error_message(err));
  ModelReply r;
  std::string_view s;
  if (!doc["model"].get(s)) r.model = s;
  std::int64_t n = 0;
  if (!doc["usage"]["prompt_tokens"].get(n)) r.tokens_in = n;
  if (!doc["usage"]["completion_tokens"].get(n)) r.tokens_out = n;
  dom::array choices;
  if (doc["choices"].get(choices)) {
    if (!doc["error"]["message"].get(s)) return core::make_error("API error: " + std::string(s));
    return core::make_error("no choices array");
  }
  for (dom::element choice : choices) {
    std::string_view text;
    if (choice["message"]["content"].get(text))
      return core::make_error("choices[0].message.content is not a string");
    r.text = text;
    return r;
  }
  return core::make_error("empty choices array");
}

}  // namespace squall::drafters
