#pragma once
// Drafter: one incident bundle in, one draft for a human out, plus the record of what happened
// (for the audit log and the incident store).
//
// AI drafts, summarizes and suggests; it never decides. A drafter reads a bundle and writes text:
// it has no handle on outputs, actions, silences or the engine, and nothing in a draft is ever
// executed or interpreted as a command by squall. Every draft goes through the grounding check
// (common/grounding.h) and says needs_human_check: true.
//
// Thread contract: draft() may be called from many threads at once on one drafter; the LLM
// drafters share their concurrency and tokens-per-minute limits across those calls, so a process
// should build one drafter (make_drafter, at startup) and share it among its workers.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "plugins/drafters/common/draft.h"

namespace squall::drafters {

// What happened while drafting: enough to audit a draft and to replay its request.
struct DraftRecord {
  std::string drafter;          // "evidence" | "anthropic:<model>" | "openai:<model>"
  std::string model;            // the model asked for ("" for evidence)
  std::string model_version;    // the model the API says answered ("" when none did)
  std::string endpoint;         // the URL posted to ("" for evidence)
  std::string system_prompt;    // sent as the system prompt
  std::string prompt;           // sent as the user message
  std::string raw_reply;        // the last HTTP response body, capped at kMaxRecordedReplyBytes
  std::int64_t latency_ms = 0;  // draft() from start to end, retries and waits included
  std::int64_t tokens_in = 0;   // as the API reported them (0 when unknown)
  std::int64_t tokens_out = 0;
  int attempts = 0;     // HTTP requests made
  int http_status = 0;  // of the last response, 0 when none came
  bool fallback = false;
  std::string fallback_reason;  // why the evidence draft replaced the model's
};

inline constexpr std::size_t kMaxRecordedReplyBytes = 64 * 1024;

struct DraftResult {
  Draft draft;
  DraftRecord record;
};

// One JSON object (no newline) for the audit log / store, replacing `out`.
void to_json(const DraftRecord& r, std::string& out);

class Drafter {
 public:
  virtual ~Drafter() = default;
  // Drafts `bundle_json` (one bundle object). An error only when the bundle itself cannot be
  // read; a model that fails or misbehaves yields the evidence draft, marked as a fallback.
  [[nodiscard]] virtual core::Result<DraftResult> draft(std::string_view bundle_json) = 0;
  // "evidence" | "anthropic:<model>" | "openai:<model>"
  [[nodiscard]] virtual std::string_view name() const = 0;
};

}  // namespace squall::drafters
