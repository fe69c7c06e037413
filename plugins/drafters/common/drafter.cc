#include "plugins/drafters/common/drafter.h"

#include "engine/core/json_writer.h"

namespace squall::drafters {

void to_json(const DraftRecord& r, std::string& out) {
  out.clear();
  core::JsonWriter w(out);
  w.begin_object();
  w.kv("drafter", std::string_view(r.drafter));
  w.kv("model", std::string_view(r.model));
  w.kv("model_version", std::string_view(r.model_version));
  w.kv("endpoint", std::string_view(r.endpoint));
  w.kv("system_prompt", std::string_view(r.system_prompt));
  w.kv("prompt", std::string_view(r.prompt));
  w.kv("raw_reply", std::string_view(r.raw_reply));
  w.kv("latency_ms", r.latency_ms);
  w.kv("tokens_in", r.tokens_in);
  w.kv("tokens_out", r.tokens_out);
  w.kv("attempts", r.attempts);
  w.kv("http_status", r.http_status);
  w.kv("fallback", r.fallback);
  w.kv("fallback_reason", std::string_view(r.fallback_reason));
  w.end_object();
}

}  // namespace squall::drafters
