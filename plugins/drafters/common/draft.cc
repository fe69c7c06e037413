#include "plugins/drafters/common/draft.h"

#include <cmath>
#include <initializer_list>

#include <simdjson.h>

#include "engine/core/json_writer.h"

namespace squall::drafters {
namespace {

namespace dom = simdjson::dom;

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

core::Result<std::string> get_text(dom::element v, std::string_view key, std::size_t max) {
  std::string_view s;
  if (v.get(s)) return core::make_error(std::string(key) + ": not a string");
  if (s.size() > max)
    return core::make_error(std::string(key) + ": longer than " + std::to_string(max) + " bytes");
  return std::string(s);
}

// get_text into `out`.
core::Result<void> read_text(dom::element v, std::string_view key, std::size_t max,
                             std::string& out) {
  auto s = get_text(v, key, max);
  if (!s) return tl::unexpected(s.error());
  out = std::move(*s);
  return {};
}

core::Result<std::vector<std::string>> get_strings(dom::element v, std::string_view key) {
  dom::array a;
  if (v.get(a)) return core::make_error(std::string(key) + ": not an array");
  std::vector<std::string> out;
  for (dom::element e : a) {
    if (out.size() == kMaxEvidenceItems)
      return core::make_error(std::string(key) + ": more than " +
                              std::to_string(kMaxEvidenceItems) + " items");
    auto s = get_text(e, key, kMaxEvidenceBytes);
    if (!s) return tl::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

core::Result<double> get_confidence(dom::element v) {
  double d = 0;
  if (v.get(d)) return core::make_error("confidence: not a number");
  if (!std::isfinite(d) || d < 0 || d > 1) return core::make_error("confidence: not in [0, 1]");
  return d;
}

core::Result<std::uint32_t> get_count(dom::element v, std::string_view key) {
  std::uint64_t n = 0;
  if (v.get(n) || n > 0xffffffffu) return core::make_error(std::string(key) + ": not a count");
  return static_cast<std::uint32_t>(n);
}

// Keys seen so far in one object: each key once.
class SeenKeys {
 public:
  bool first(std::string_view k) {
    for (const std::string& s : seen_)
      if (s == k) return false;
    seen_.emplace_back(k);
    return true;
  }
  [[nodiscard]] bool has(std::string_view k) const {
    for (const std::string& s : seen_)
      if (s == k) return true;
    return false;
  }

 private:
  std::vector<std::string> seen_;
};

core::Result<void> require(const SeenKeys& seen, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys)
    if (!seen.has(k)) return core::make_error("missing key: " + std::string(k));
  return {};
}

// Sets the field of `d` named `key` from `v`. Returns false in `known` for a key that is not
// one of the model-writable fields.
core::Result<void> set_model_field(Draft& d, std::string_view key, dom::element v, bool& known) {
  known = true;
  if (key == "timeline") {
    if (auto r = read_text(v, key, kMaxTimelineBytes, d.timeline); !r) return r;
  } else if (key == "likely_cause") {
    if (auto r = read_text(v, key, kMaxTextBytes, d.likely_cause); !r) return r;
  } else if (key == "suggested_action") {
    if (auto r = read_text(v, key, kMaxTextBytes, d.suggested_action); !r) return r;
  } else if (key == "confidence") {
    auto c = get_confidence(v);
    if (!c) return tl::unexpected(c.error());
    d.confidence = *c;
  } else if (key == "evidence") {
    auto e = get_strings(v, key);
    if (!e) return tl::unexpected(e.error());
    d.evidence = std::move(*e);
  } else {
    known = false;
  }
  return {};
}

core::Result<dom::object> parse_object(dom::parser& parser, std::string_view json) {
  dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc))
    return core::make_error(std::string("not JSON: ") + simdjson::error_message(err));
  dom::object obj;
  if (doc.get(obj)) return core::make_error("not a JSON object");
  return obj;
}

}  // namespace

void to_json(const Draft& d, std::string& out) {
  out.clear();
  core::JsonWriter w(out);
  w.begin_object();
  w.kv("incident", std::string_view(d.incident));
  w.kv("bundle_version", d.bundle_version);
  w.kv("drafter", std::string_view(d.drafter));
  w.kv("timeline", std::string_view(d.timeline));
  w.kv("likely_cause", std::string_view(d.likely_cause));
  w.kv("confidence", d.confidence);
  w.key("evidence").begin_array();
  for (const std::string& e : d.evidence) w.value(std::string_view(e));
  w.end_array();
  w.kv("suggested_action", std::string_view(d.suggested_action));
  w.kv("needs_human_check", d.needs_human_check);
  w.key("grounding").begin_object();
  w.kv("checked", static_cast<std::uint64_t>(d.grounding.checked));
  w.kv("unsupported", static_cast<std::uint64_t>(d.grounding.unsupported));
  w.end_object();
  w.key("unsupported_evidence").begin_array();
  for (const std::string& e : d.unsupported_evidence) w.value(std::string_view(e));
  w.end_array();
  w.key("unsupported_entities").begin_array();
  for (const std::string& e : d.unsupported_entities) w.value(std::string_view(e));
  w.end_array();
  if (!d.fallback.empty()) w.kv("fallback", std::string_view(d.fallback));
  w.end_object();
}

std::string to_json(const Draft& d) {
  std::string out;
  to_json(d, out);
  return out;
}

core::Result<Draft> from_json(std::string_view json) {
  dom::parser parser;
  auto obj = parse_object(parser, json);
  if (!obj) return tl::unexpected(obj.error());
  Draft d;
  SeenKeys seen;
  for (auto [key, v] : *obj) {
    if (!seen.first(key)) return core::make_error("duplicate key: " + std::string(key));
    bool known = false;
    if (auto r = set_model_field(d, key, v, known); !r) return tl::unexpected(r.error());
    if (known) continue;
    if (key == "incident") {
      if (auto r = read_text(v, key, kMaxTextBytes, d.incident); !r)
        return tl::unexpected(r.error());
    } else if (key == "drafter") {
      if (auto r = read_text(v, key, kMaxTextBytes, d.drafter); !r)
        return tl::unexpected(r.error());
    } else if (key == "fallback") {
      auto s = get_text(v, key, kMaxTextBytes);
      if (!s) return tl::unexpected(s.error());
      if (s->empty()) return core::make_error("fallback: empty");
      d.fallback = std::move(*s);
    } else if (key == "bundle_version") {
      if (v.get(d.bundle_version)) return core::make_error("bundle_version: not an unsigned int");
    } else if (key == "needs_human_check") {
      if (v.get(d.needs_human_check)) return core::make_error("needs_human_check: not a bool");
      if (!d.needs_human_check) return core::make_error("needs_human_check: must be true");
    } else if (key == "unsupported_evidence" || key == "unsupported_entities") {
      auto e = get_strings(v, key);
      if (!e) return tl::unexpected(e.error());
      (key == "unsupported_evidence" ? d.unsupported_evidence : d.unsupported_entities) =
          std::move(*e);
    } else if (key == "grounding") {
      dom::object g;
      if (v.get(g)) return core::make_error("grounding: not an object");
      SeenKeys gseen;
      for (auto [gk, gv] : g) {
        if (!gseen.first(gk))
          return core::make_error("duplicate key: grounding." + std::string(gk));
        if (gk != "checked" && gk != "unsupported")
          return core::make_error("unknown key: grounding." + std::string(gk));
        auto n = get_count(gv, gk);
        if (!n) return tl::unexpected(n.error());
        (gk == "checked" ? d.grounding.checked : d.grounding.unsupported) = *n;
      }
      if (auto r = require(gseen, {"checked", "unsupported"}); !r)
        return core::make_error("grounding: " + r.error().message);
    } else {
      return core::make_error("unknown key: " + std::string(key));
    }
  }
  if (auto r = require(
          seen, {"incident", "bundle_version", "drafter", "timeline", "likely_cause", "confidence",
                 "evidence", "suggested_action", "needs_human_check", "grounding"});
      !r)
    return tl::unexpected(r.error());
  return d;
}

std::string_view strip_code_fence(std::string_view text) {
  text = trim(text);
  // Prose around one fenced block: keep the block.
  if (!text.empty() && text.front() != '{' && text.substr(0, 3) != "```") {
    const std::size_t open = text.find("```");
    const std::size_t close = open == std::string_view::npos ? open : text.find("```", open + 3);
    if (close != std::string_view::npos) text = text.substr(open, close + 3 - open);
  }
  if (text.size() >= 6 && text.substr(0, 3) == "```" && text.substr(text.size() - 3) == "```") {
    std::string_view inner = text.substr(3, text.size() - 6);
    const std::size_t eol = inner.find('\n');
    // The info string ("json") runs to the end of the first line.
    if (eol != std::string_view::npos &&
        trim(inner.substr(0, eol)).find_first_of("{[") == std::string_view::npos)
      inner.remove_prefix(eol + 1);
    return trim(inner);
  }
  return text;
}

core::Result<Draft> parse_model_reply(std::string_view text) {
  if (text.size() > kMaxReplyBytes)
    return core::make_error("reply longer than " + std::to_string(kMaxReplyBytes) + " bytes");
  const std::string_view json = strip_code_fence(text);
  if (json.empty()) return core::make_error("empty reply");
  dom::parser parser;
  auto obj = parse_object(parser, json);
  if (!obj) return tl::unexpected(obj.error());
  Draft d;
  SeenKeys seen;
  for (auto [key, v] : *obj) {
    if (!seen.first(key)) return core::make_error("duplicate key: " + std::string(key));
    bool known = false;
    if (auto r = set_model_field(d, key, v, known); !r) return tl::unexpected(r.error());
    if (known) continue;
    // Fields that are ours to set: tolerated, never read.
    if (key == "incident" || key == "bundle_version" || key == "drafter" ||
        key == "needs_human_check" || key == "grounding")
      continue;
    return core::make_error("unknown key: " + std::string(key));
  }
  if (auto r =
          require(seen, {"timeline", "likely_cause", "confidence", "evidence", "suggested_action"});
      !r)
    return tl::unexpected(r.error());
  d.needs_human_check = true;
  return d;
}

}  // namespace squall::drafters
