#pragma once
// Parser: bytes of the three accepted alert formats -> Alerts in an AlertBatch.
//
// simdjson On-Demand with one reused parser per Parser; labels are interned into the Interner given
// at construction and sorted by name; the fingerprint is Alertmanager's. Nothing throws: every bad
// line, body or field is a counted rejection with a reason, and one bad alert never takes the good
// ones of its batch down.
//
// Thread contract: a Parser (and its Interner) is used by one thread at a time.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "engine/core/alert.h"
#include "engine/core/interner.h"

namespace squall::parse {

enum class Reject : std::uint8_t {
  kBadJson,            // not JSON, or truncated
  kNotObject,          // an alert that is not a JSON object
  kNotArray,           // an Alertmanager v2 body, or a webhook's `alerts`, that is not an array
  kNoLabels,           // `labels` missing
  kLabelsNotObject,    // `labels` is not an object
  kNoAlertname,        // `labels.alertname` missing or empty
  kLabelNotString,     // a label value that is not a string
  kBadLabelName,       // an empty label name
  kDuplicateLabel,     // the same label name twice
  kTooManyLabels,      // over Limits::max_labels
  kLabelNameTooLong,   // over Limits::max_label_name_bytes
  kLabelValueTooLong,  // over Limits::max_label_value_bytes
  kTooLarge,           // a line or body over its byte limit
  kBadTimestamp,       // `ts`/`startsAt`/`endsAt` neither epoch ms nor RFC 3339
  kBadStatus,          // `status` not "firing" or "resolved"
  kBadKind,            // `kind` not "alert" or "change"
  kBadId,              // `id` not a string, or empty, or over the label value limit
  kBadValue,           // `value` not a number
  kBadAnnotations,     // `annotations` not an object of strings
  kCount
};

// snake_case, stable: used as the `reason` label of rejection metrics.
std::string_view reject_reason(Reject r);

enum class Format : std::uint8_t { kNative, kAlertmanagerV2, kWebhookV4 };
// "native" | "alertmanager" | "webhook"
std::string_view format_name(Format f);
tl::expected<Format, std::string> parse_format(std::string_view name);

struct Limits {
  std::size_t max_line_bytes = 64 * 1024;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_labels = 64;
  std::size_t max_label_name_bytes = 128;
  std::size_t max_label_value_bytes = 1024;
  // Not a limit: remember recent label sets by their raw bytes so repeats skip re-parsing them
  // (off only to measure what it saves).
  bool cache_label_sets = true;
};

struct Stats {
  std::uint64_t accepted = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(Reject::kCount)> rejected{};
  [[nodiscard]] std::uint64_t rejected_total() const;
  [[nodiscard]] std::uint64_t rejected_for(Reject r) const {
    return rejected[static_cast<std::size_t>(r)];
  }
};

// The outcome of a body (a buffer of NDJSON lines, or one JSON document holding many alerts).
struct BodyResult {
  std::uint32_t accepted = 0;
  std::uint32_t rejected = 0;
  // When the body as a whole could not be read (bad JSON, wrong shape, too large), `accepted` is 0.
  bool body_ok = true;
  // The first rejection, for a 400's message: its reason and its line (1-based) or array index.
  Reject first_reason = Reject::kBadJson;
  std::uint32_t first_index = 0;
};

// Called for each rejected line or element, with its 1-based line number or 0-based array index.
class RejectSink {
 public:
  virtual ~RejectSink() = default;
  virtual void on_reject(std::uint32_t index, Reject reason) = 0;
};

class Parser {
 public:
  explicit Parser(core::Interner& interner, Limits limits = {});
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // One native object (one NDJSON line, without its newline). `now_ms` stands in for a missing
  // `ts`. `readable` is how many bytes may be read from line.data() (>= line.size()); with fewer
  // than line.size() + 64 the line is copied to a padded buffer first.
  [[nodiscard]] tl::expected<void, Reject> parse_native(std::string_view line,
                                                        core::AlertBatch& out, std::int64_t now_ms,
                                                        std::size_t readable = 0);

  // Native NDJSON: many lines; blank lines are skipped; '\r' before '\n' is ignored.
  BodyResult parse_ndjson(std::string_view buf, core::AlertBatch& out, std::int64_t now_ms,
                          std::size_t readable = 0, RejectSink* sink = nullptr);

  // Alertmanager v2 `POST /api/v2/alerts` body: a JSON array of {labels, annotations, startsAt,
  // endsAt, generatorURL}. startsAt defaults to now; endsAt at or before now means resolved.
  BodyResult parse_alertmanager_v2(std::string_view body, core::AlertBatch& out,
                                   std::int64_t now_ms, std::size_t readable = 0,
                                   RejectSink* sink = nullptr);

  // Alertmanager webhook v4 payload: {version, groupKey, status, ..., alerts: [...]}; each alert's
  // own `status` decides firing/resolved.
  BodyResult parse_webhook(std::string_view body, core::AlertBatch& out, std::int64_t now_ms,
                           std::size_t readable = 0, RejectSink* sink = nullptr);

  BodyResult parse(Format format, std::string_view body, core::AlertBatch& out, std::int64_t now_ms,
                   std::size_t readable = 0, RejectSink* sink = nullptr);

  [[nodiscard]] const Stats& stats() const { return stats_; }
  [[nodiscard]] const Limits& limits() const { return limits_; }
  [[nodiscard]] core::Interner& interner() { return interner_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  core::Interner& interner_;
  Limits limits_;
  Stats stats_;
};

}  // namespace squall::parse
