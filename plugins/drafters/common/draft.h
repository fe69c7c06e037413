#pragma once
// Draft: what a drafter writes for a human about one incident bundle (docs/DESIGN.md "Draft").
//
// A draft is text for a person and nothing else: no field of it is ever interpreted as a command,
// a URL to call or an action to take, by squall or by anything squall ships. `suggested_action`
// is advice a human may follow after checking; `needs_human_check` is always true.
//
// Beyond the contract's keys a draft carries "unsupported_evidence" and "unsupported_entities"
// (what the grounding check could not find in the bundle; always present, often empty) and
// "fallback" (only when an LLM drafter fell back to the evidence draft: the reason).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace squall::drafters {

// Bounds on a draft's fields, enforced on every model reply and every draft read back.
inline constexpr std::size_t kMaxTimelineBytes = 4096;
inline constexpr std::size_t kMaxTextBytes = 1024;  // likely_cause, suggested_action
inline constexpr std::size_t kMaxEvidenceItems = 20;
inline constexpr std::size_t kMaxEvidenceBytes = 1024;  // per evidence string
inline constexpr std::size_t kMaxReplyBytes = 64 * 1024;

struct Grounding {
  std::uint32_t checked = 0;      // evidence strings + entity names looked up in the bundle
  std::uint32_t unsupported = 0;  // of those, not found
};

struct Draft {
  std::string incident;
  std::uint64_t bundle_version = 0;
  std::string drafter;  // "evidence" | "anthropic:<model>" | "openai:<model>"
  std::string timeline;
  std::string likely_cause;
  double confidence = 0;              // in [0, 1]
  std::vector<std::string> evidence;  // verified: each occurs in the bundle
  std::string suggested_action;
  bool needs_human_check = true;  // always true
  Grounding grounding;
  std::vector<std::string> unsupported_evidence;  // quotes not found in the bundle
  std::vector<std::string> unsupported_entities;  // names in likely_cause not in the bundle
  std::string fallback;                           // why an LLM draft was replaced; "" = none
};

// Serializes `d` as one JSON object (no newline), replacing `out`. Deterministic.
void to_json(const Draft& d, std::string& out);
[[nodiscard]] std::string to_json(const Draft& d);

// Reads a draft written by to_json, strictly: every contract key present with its type, no
// unknown keys, bounds as above, confidence in [0, 1].
[[nodiscard]] core::Result<Draft> from_json(std::string_view json);

// Validates a model's reply against the draft schema and returns the draft it describes.
// `text` may be wrapped in a ``` or ```json fence. Required: timeline, likely_cause (strings),
// confidence (number in [0, 1]), evidence (array of strings), suggested_action (string).
// Tolerated and ignored: incident, bundle_version, drafter, needs_human_check, grounding (the
// caller sets those, never the model). Any other key, a wrong type or a bound exceeded is an error.
[[nodiscard]] core::Result<Draft> parse_model_reply(std::string_view text);

// `text` without surrounding whitespace and without one enclosing ``` / ```json fence.
[[nodiscard]] std::string_view strip_code_fence(std::string_view text);

}  // namespace squall::drafters
