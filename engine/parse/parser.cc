#include "engine/parse/parser.h"

#include <algorithm>
#include <cstring>

#include <simdjson.h>

#include "engine/core/hash.h"
#include "engine/core/time.h"
#include "engine/core/well_known.h"

namespace squall::parse {

namespace od = simdjson::ondemand;
using core::Alert;
using core::AlertBatch;
using core::Label;
using Outcome = tl::expected<void, Reject>;

std::string_view reject_reason(Reject r) {
  switch (r) {
    case Reject::kBadJson:
      return "bad_json";
    case Reject::kNotObject:
      return "not_object";
    case Reject::kNotArray:
      return "not_array";
    case Reject::kNoLabels:
      return "no_labels";
    case Reject::kLabelsNotObject:
      return "labels_not_object";
    case Reject::kNoAlertname:
      return "no_alertname";
    case Reject::kLabelNotString:
      return "label_not_string";
    case Reject::kBadLabelName:
      return "bad_label_name";
    case Reject::kDuplicateLabel:
      return "duplicate_label";
    case Reject::kTooManyLabels:
      return "too_many_labels";
    case Reject::kLabelNameTooLong:
      return "label_name_too_long";
    case Reject::kLabelValueTooLong:
      return "label_value_too_long";
    case Reject::kTooLarge:
      return "too_large";
    case Reject::kBadTimestamp:
      return "bad_timestamp";
    case Reject::kBadStatus:
      return "bad_status";
    case Reject::kBadKind:
      return "bad_kind";
    case Reject::kBadId:
      return "bad_id";
    case Reject::kBadValue:
      return "bad_value";
    case Reject::kBadAnnotations:
      return "bad_annotations";
    case Reject::kCount:
      break;
  }
  return "unknown";
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kNative:
      return "native";
    case Format::kAlertmanagerV2:
      return "alertmanager";
    case Format::kWebhookV4:
      return "webhook";
  }
  return "unknown";
}

tl::expected<Format, std::string> parse_format(std::string_view name) {
  if (name == "native" || name == "ndjson") return Format::kNative;
  if (name == "alertmanager" || name == "am" || name == "v2") return Format::kAlertmanagerV2;
  if (name == "webhook") return Format::kWebhookV4;
  return tl::unexpected(std::string("unknown format '") + std::string(name) +
                        "' (expected native, alertmanager or webhook)");
}

std::uint64_t Stats::rejected_total() const {
  std::uint64_t n = 0;
  for (std::uint64_t r : rejected) n += r;
  return n;
}

namespace {

// Epoch-ms bounds for a plausible event time: 1970 .. year 3000.
constexpr std::int64_t kMaxTsMs = 32503680000000LL;

// True when nothing but whitespace follows what was read (simdjson reports OUT_OF_BOUNDS there).
bool at_end(od::document& doc) { return doc.current_location().error() == simdjson::OUT_OF_BOUNDS; }

// A root of the wrong type: `wrong_type` if it is valid JSON, else kBadJson. On-Demand classifies a
// scalar by its first byte, so "not json" would otherwise pass for a null.
Reject wrong_root(od::document& doc, od::json_type type, Reject wrong_type) {
  bool ok = true;
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      ok = !doc.is_null().get(is_null) && is_null;
      break;
    }
    case od::json_type::boolean: {
      bool b;
      ok = !doc.get_bool().get(b);
      break;
    }
    case od::json_type::number: {
      od::number n;
      ok = !doc.get_number().get(n);
      break;
    }
    case od::json_type::string: {
      std::string_view sv;
      ok = !doc.get_string().get(sv);
      break;
    }
    default:
      break;
  }
  return ok && (type == od::json_type::array || type == od::json_type::object || at_end(doc))
             ? wrong_type
             : Reject::kBadJson;
}

// Alerts repeat their label sets while they fire, byte for byte. A direct-mapped cache keyed by a
// 128-bit hash of the raw `labels` JSON text maps it to the interned, sorted, validated label set
// and its fingerprint, so a repeat skips unescaping, interning, sorting and the byte-serial FNV-1a
// hash. Only text that parsed cleanly is cached; 128 bits make a wrong hit implausible (~2^-100 at
// a billion distinct sets); the cache never grows.
class LabelSetCache {
 public:
  static constexpr std::size_t kMaxLabels = 16;  // larger sets are parsed every time
  struct Entry {
    std::uint64_t k1 = 0, k2 = 0;
    core::Fingerprint fp = 0;
    std::uint32_t count = 0;  // 0 = empty slot (a valid set has at least alertname)
    Label labels[kMaxLabels];
  };
  [[nodiscard]] const Entry* find(XXH128_hash_t key) const {
    const Entry& e = entries_[key.low64 & (kEntries - 1)];
    return e.count != 0 && e.k1 == key.low64 && e.k2 == key.high64 ? &e : nullptr;
  }
  void store(XXH128_hash_t key, const Label* labels, std::uint32_t n, core::Fingerprint fp) {
    if (n == 0 || n > kMaxLabels) return;
    Entry& e = entries_[key.low64 & (kEntries - 1)];
    e.k1 = key.low64;
    e.k2 = key.high64;
    e.fp = fp;
    e.count = n;
    std::copy(labels, labels + n, e.labels);
  }

 private:
  static constexpr std::size_t kEntries = 1 << 12;
  std::vector<Entry> entries_ = std::vector<Entry>(kEntries);
};

// What the readers of one Parser share.
struct ReadContext {
  od::parser labels_json;  // re-reads a `labels` object on a cache miss
  LabelSetCache sets;
  const char* readable_end = nullptr;  // one past the last readable byte of the current input
};

enum class Field : std::uint8_t {
  kOther,
  kLabels,
  kAnnotations,
  kTs,
  kStartsAt,
  kEndsAt,
  kStatus,
  kKind,
  kId,
  kValue
};

// Dispatch on length first: most keys are rejected without comparing bytes.
Field field_of(std::string_view k) {
  switch (k.size()) {
    case 2:
      if (k == "ts") return Field::kTs;
      if (k == "id") return Field::kId;
      break;
    case 4:
      return k == "kind" ? Field::kKind : Field::kOther;
    case 5:
      return k == "value" ? Field::kValue : Field::kOther;
    case 6:
      if (k == "labels") return Field::kLabels;
      if (k == "status") return Field::kStatus;
      if (k == "endsAt") return Field::kEndsAt;
      break;
    case 8:
      return k == "startsAt" ? Field::kStartsAt : Field::kOther;
    case 11:
      return k == "annotations" ? Field::kAnnotations : Field::kOther;
    default:
      break;
  }
  return Field::kOther;
}

// Which fields an object may carry depends on where it came from.
enum class Shape : std::uint8_t { kNative, kAlertmanager, kWebhookAlert };

}  // namespace

struct Parser::Impl {
  od::parser json;
  ReadContext ctx;
  std::string padded;  // reused copy for input without simdjson's padding

  // Returns a pointer/capacity pair simdjson may read from, copying when padding is missing.
  std::pair<const char*, std::size_t> padded_input(std::string_view in, std::size_t readable) {
    if (readable >= in.size() + simdjson::SIMDJSON_PADDING) {
      ctx.readable_end = in.data() + readable;
      return {in.data(), readable};
    }
    padded.assign(in.data(), in.size());
    padded.append(simdjson::SIMDJSON_PADDING, ' ');
    ctx.readable_end = padded.data() + padded.size();
    return {padded.data(), padded.size()};
  }
};

namespace {

class AlertReader {
 public:
  AlertReader(core::Interner& interner, ReadContext& ctx, const Limits& limits, AlertBatch& out,
              std::int64_t now_ms)
      : interner_(interner), ctx_(ctx), limits_(limits), out_(out), now_ms_(now_ms) {}

  // Reads one alert object into `out`. On failure `out` is left exactly as it was.
  Outcome read(od::value val, Shape shape) {
    const std::size_t labels_mark = out_.labels.size();
    const std::size_t annotations_mark = out_.annotations.size();
    const std::size_t arena_mark = out_.arena.size();
    Outcome r = read_fields(val, shape);
    if (!r) {
      out_.labels.resize(labels_mark);
      out_.annotations.resize(annotations_mark);
      out_.arena.resize(arena_mark);
    }
    return r;
  }

  // True when the last failure was a JSON syntax error (the document can't be read further).
  [[nodiscard]] bool syntax_error() const { return syntax_error_; }

 private:
  Outcome fail_json() {
    syntax_error_ = true;
    return tl::unexpected(Reject::kBadJson);
  }

  Outcome read_fields(od::value val, Shape shape) {
    od::json_type type;
    if (val.type().get(type)) return fail_json();
    if (type != od::json_type::object) return tl::unexpected(Reject::kNotObject);
    od::object obj;
    if (val.get_object().get(obj)) return fail_json();

    Alert a;
    a.labels_begin = static_cast<std::uint32_t>(out_.labels.size());
    a.annotations_begin = static_cast<std::uint32_t>(out_.annotations.size());
    bool have_labels = false;
    bool have_ts = false;
    bool have_status = false;

    for (auto field_result : obj) {
      od::field field;
      if (std::move(field_result).get(field)) return fail_json();
      std::string_view key;
      if (field.unescaped_key().get(key)) return fail_json();
      od::value v = field.value();
      switch (field_of(key)) {
        case Field::kLabels:
          if (auto r = read_labels(v, a); !r) return r;
          have_labels = true;
          break;
        case Field::kAnnotations:
          if (auto r = read_annotations(v, a); !r) return r;
          break;
        case Field::kTs:
          if (shape != Shape::kNative) break;
          if (auto r = read_time(v, &a.ts_ms, /*allow_number=*/true); !r) return r;
          have_ts = true;
          break;
        case Field::kStartsAt: {
          // In the native format an alias of `ts`, which wins when both are present.
          std::int64_t t = core::kNoTime;
          if (auto r = read_time(v, &t, shape == Shape::kNative); !r) return r;
          if (!have_ts && t != core::kNoTime) a.ts_ms = t;
          break;
        }
        case Field::kEndsAt:
          if (shape == Shape::kNative) break;
          if (auto r = read_time(v, &a.ends_ms, false); !r) return r;
          break;
        case Field::kStatus:
          if (shape == Shape::kAlertmanager) break;
          if (auto r = read_status(v, a); !r) return r;
          have_status = true;
          break;
        case Field::kKind:
          if (shape != Shape::kNative) break;
          if (auto r = read_kind(v, a); !r) return r;
          break;
        case Field::kId:
          if (shape != Shape::kNative) break;
          if (auto r = read_id(v, a); !r) return r;
          break;
        case Field::kValue:
          if (shape != Shape::kNative) break;
          if (auto r = read_value(v, a); !r) return r;
          break;
        case Field::kOther:
          break;
      }
      // Anything else is ignored (unknown keys, generatorURL, fingerprint): forward compatible.
    }

    if (!have_labels) return tl::unexpected(Reject::kNoLabels);
    if (a.ts_ms == core::kNoTime) a.ts_ms = now_ms_;
    if (shape == Shape::kAlertmanager || (shape == Shape::kWebhookAlert && !have_status)) {
      // Alertmanager's rule: an endsAt that has passed means resolved.
      a.status = a.ends_ms != core::kNoTime && a.ends_ms <= now_ms_ ? core::Status::kResolved
                                                                    : core::Status::kFiring;
    }
    if (a.id.empty()) derive_id(a);
    out_.alerts.push_back(a);
    return {};
  }

  Outcome read_labels(od::value v, Alert& a) {
    od::json_type type;
    if (v.type().get(type)) return fail_json();
    if (type != od::json_type::object) return tl::unexpected(Reject::kLabelsNotObject);
    od::object labels;
    if (v.get_object().get(labels)) return fail_json();
    // A second `labels` key replaces the first.
    out_.labels.resize(a.labels_begin);
    if (!limits_.cache_label_sets) {
      if (auto r = read_label_fields(labels, a); !r) return r;
      return finish_labels(a);
    }
    std::string_view raw;
    if (labels.raw_json().get(raw)) return fail_json();
    const XXH128_hash_t key = XXH3_128bits(raw.data(), raw.size());
    if (const LabelSetCache::Entry* e = ctx_.sets.find(key)) {
      out_.labels.insert(out_.labels.end(), e->labels, e->labels + e->count);
      a.labels_count = e->count;
      a.fingerprint = e->fp;
      return {};
    }
    // A miss: read the same bytes again, field by field, with the second parser. The raw text
    // points into the input, whose padding is readable past it.
    od::document doc;
    od::object fields;
    if (ctx_.labels_json
            .iterate(raw.data(), raw.size(),
                     static_cast<std::size_t>(ctx_.readable_end - raw.data()))
            .get(doc) ||
        doc.get_object().get(fields))
      return fail_json();
    if (auto r = read_label_fields(fields, a); !r) return r;
    if (auto r = finish_labels(a); !r) return r;
    ctx_.sets.store(key, out_.labels.data() + a.labels_begin, a.labels_count, a.fingerprint);
    return {};
  }

  Outcome read_label_fields(od::object& labels, Alert& a) {
    for (auto field_result : labels) {
      od::field field;
      if (std::move(field_result).get(field)) return fail_json();
      std::string_view name;
      if (field.unescaped_key().get(name)) return fail_json();
      if (name.empty()) return tl::unexpected(Reject::kBadLabelName);
      if (name.size() > limits_.max_label_name_bytes)
        return tl::unexpected(Reject::kLabelNameTooLong);
      // Intern the name before reading the value: the key's bytes live in the parser's string
      // buffer and stay valid, but interning first keeps the borrowing obvious.
      const core::Sym name_sym = interner_.intern(name);
      od::value lv = field.value();
      od::json_type lt;
      if (lv.type().get(lt)) return fail_json();
      if (lt != od::json_type::string) return tl::unexpected(Reject::kLabelNotString);
      std::string_view value;
      if (lv.get_string().get(value)) return fail_json();
      if (value.size() > limits_.max_label_value_bytes)
        return tl::unexpected(Reject::kLabelValueTooLong);
      // Prometheus semantics: an empty value is the same as an absent label.
      if (value.empty()) continue;
      if (out_.labels.size() - a.labels_begin >= limits_.max_labels)
        return tl::unexpected(Reject::kTooManyLabels);
      out_.labels.push_back(Label{name_sym, interner_.intern(value)});
    }
    a.labels_count = static_cast<std::uint32_t>(out_.labels.size() - a.labels_begin);
    return {};
  }

  Outcome finish_labels(Alert& a) {
    Label* first = out_.labels.data() + a.labels_begin;
    Label* last = first + a.labels_count;
    // Insertion sort by name bytes: label sets are small, and this allocates nothing.
    for (Label* i = first + 1; i < last; ++i) {
      const Label cur = *i;
      Label* j = i;
      while (j > first && interner_.less(cur.name, (j - 1)->name)) {
        *j = *(j - 1);
        --j;
      }
      *j = cur;
    }
    bool has_alertname = false;
    for (Label* l = first; l < last; ++l) {
      if (l + 1 < last && l[1].name == l->name) return tl::unexpected(Reject::kDuplicateLabel);
      if (l->name == core::sym::kAlertname) has_alertname = true;
    }
    if (!has_alertname) return tl::unexpected(Reject::kNoAlertname);
    core::FingerprintBuilder fp;
    for (Label* l = first; l < last; ++l) fp.add(interner_.view(l->name), interner_.view(l->value));
    a.fingerprint = fp.value();
    return {};
  }

  Outcome read_annotations(od::value v, Alert& a) {
    od::json_type type;
    if (v.type().get(type)) return fail_json();
    if (type == od::json_type::null) return {};
    if (type != od::json_type::object) return tl::unexpected(Reject::kBadAnnotations);
    od::object obj;
    if (v.get_object().get(obj)) return fail_json();
    out_.annotations.resize(a.annotations_begin);
    for (auto field_result : obj) {
      od::field field;
      if (std::move(field_result).get(field)) return fail_json();
      std::string_view name;
      if (field.unescaped_key().get(name)) return fail_json();
      const core::StrRef name_ref = out_.add_str(name);
      od::value av = field.value();
      od::json_type at;
      if (av.type().get(at)) return fail_json();
      if (at != od::json_type::string) return tl::unexpected(Reject::kBadAnnotations);
      std::string_view value;
      if (av.get_string().get(value)) return fail_json();
      out_.annotations.push_back(core::Annotation{name_ref, out_.add_str(value)});
    }
    a.annotations_count = static_cast<std::uint32_t>(out_.annotations.size() - a.annotations_begin);
    return {};
  }

  Outcome read_time(od::value v, std::int64_t* out, bool allow_number) {
    od::json_type type;
    if (v.type().get(type)) return fail_json();
    if (type == od::json_type::null) return {};
    std::int64_t ms;
    if (type == od::json_type::number && allow_number) {
      od::number n;
      if (v.get_number().get(n)) return tl::unexpected(Reject::kBadTimestamp);
      if (n.is_int64()) {
        ms = n.get_int64();
      } else if (n.is_double() && n.get_double() >= 0 &&
                 n.get_double() < static_cast<double>(kMaxTsMs)) {
        ms = static_cast<std::int64_t>(n.get_double());
      } else {
        return tl::unexpected(Reject::kBadTimestamp);
      }
    } else if (type == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) return fail_json();
      const auto parsed = core::parse_rfc3339_ms(s);
      if (!parsed) return tl::unexpected(Reject::kBadTimestamp);
      if (*parsed <= core::kGoZeroTimeMs + 86400000LL) return {};  // Go's zero time: unset
      ms = *parsed;
    } else {
      return tl::unexpected(Reject::kBadTimestamp);
    }
    if (ms < 0 || ms >= kMaxTsMs) return tl::unexpected(Reject::kBadTimestamp);
    *out = ms;
    return {};
  }

  Outcome read_string(od::value v, std::string_view* s, Reject wrong_type) {
    od::json_type type;
    if (v.type().get(type)) return fail_json();
    if (type != od::json_type::string) return tl::unexpected(wrong_type);
    if (v.get_string().get(*s)) return fail_json();
    return {};
  }

  // A string field with two allowed values (status, kind).
  template <class E>
  Outcome read_choice(od::value v, Reject bad, std::pair<std::string_view, E> first,
                      std::pair<std::string_view, E> second, E* out) {
    std::string_view s;
    if (auto r = read_string(v, &s, bad); !r) return r;
    if (s == first.first) {
      *out = first.second;
    } else if (s == second.first) {
      *out = second.second;
    } else {
      return tl::unexpected(bad);
    }
    return {};
  }

  Outcome read_status(od::value v, Alert& a) {
    return read_choice(v, Reject::kBadStatus,
                       std::pair{std::string_view("firing"), core::Status::kFiring},
                       std::pair{std::string_view("resolved"), core::Status::kResolved}, &a.status);
  }

  Outcome read_kind(od::value v, Alert& a) {
    return read_choice(v, Reject::kBadKind,
                       std::pair{std::string_view("alert"), core::Kind::kAlert},
                       std::pair{std::string_view("change"), core::Kind::kChange}, &a.kind);
  }

  Outcome read_id(od::value v, Alert& a) {
    std::string_view s;
    if (auto r = read_string(v, &s, Reject::kBadId); !r) return r;
    if (s.empty() || s.size() > limits_.max_label_value_bytes)
      return tl::unexpected(Reject::kBadId);
    a.id = out_.add_str(s);
    return {};
  }

  Outcome read_value(od::value v, Alert& a) {
    od::json_type type;
    if (v.type().get(type)) return fail_json();
    if (type == od::json_type::null) return {};
    if (type != od::json_type::number) return tl::unexpected(Reject::kBadValue);
    if (v.get_double().get(a.value)) return tl::unexpected(Reject::kBadValue);
    a.has_value = true;
    return {};
  }

  void derive_id(Alert& a) {
    char buf[core::kDerivedIdMax];
    a.id =
        out_.add_str(std::string_view(buf, core::format_derived_id(a.fingerprint, a.ts_ms, buf)));
    a.id_derived = true;
  }

  core::Interner& interner_;
  ReadContext& ctx_;
  const Limits& limits_;
  AlertBatch& out_;
  std::int64_t now_ms_;
  bool syntax_error_ = false;
};

}  // namespace

Parser::Parser(core::Interner& interner, Limits limits)
    : impl_(std::make_unique<Impl>()), interner_(interner), limits_(limits) {}

Parser::~Parser() = default;

tl::expected<void, Reject> Parser::parse_native(std::string_view line, AlertBatch& out,
                                                std::int64_t now_ms, std::size_t readable) {
  Outcome result;
  if (line.size() > limits_.max_line_bytes) {
    result = tl::unexpected(Reject::kTooLarge);
  } else {
    const auto [data, capacity] = impl_->padded_input(line, readable);
    od::document doc;
    if (impl_->json.iterate(data, line.size(), capacity).get(doc)) {
      result = tl::unexpected(Reject::kBadJson);
    } else {
      const std::size_t alerts_mark = out.alerts.size();
      AlertReader reader(interner_, impl_->ctx, limits_, out, now_ms);
      od::json_type type;
      od::value root;
      if (doc.type().get(type)) {
        result = tl::unexpected(Reject::kBadJson);
      } else if (type != od::json_type::object) {
        result = tl::unexpected(wrong_root(doc, type, Reject::kNotObject));
      } else if (doc.get_value().get(root)) {
        result = tl::unexpected(Reject::kBadJson);
      } else {
        result = reader.read(root, Shape::kNative);
        // Trailing garbage after the object makes the whole line bad.
        if (result && !at_end(doc)) {
          out.alerts.resize(alerts_mark);
          result = tl::unexpected(Reject::kBadJson);
        }
      }
    }
  }
  if (result) {
    ++stats_.accepted;
  } else {
    ++stats_.rejected[static_cast<std::size_t>(result.error())];
  }
  return result;
}

BodyResult Parser::parse_ndjson(std::string_view buf, AlertBatch& out, std::int64_t now_ms,
                                std::size_t readable, RejectSink* sink) {
  BodyResult result;
  if (readable < buf.size()) readable = buf.size();
  const char* const base = buf.data();
  std::size_t pos = 0;
  std::uint32_t line_no = 0;
  while (pos < buf.size()) {
    ++line_no;
    const void* nl = std::memchr(base + pos, '\n', buf.size() - pos);
    const std::size_t end =
        nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - base) : buf.size();
    std::size_t len = end - pos;
    if (len > 0 && base[pos + len - 1] == '\r') --len;
    std::string_view line(base + pos, len);
    const std::size_t next = end + 1;
    const bool blank = line.find_first_not_of(" \t") == std::string_view::npos;
    if (!blank) {
      auto r = parse_native(line, out, now_ms, readable - pos);
      if (r) {
        ++result.accepted;
      } else {
        if (result.rejected == 0) {
          result.first_reason = r.error();
          result.first_index = line_no;
        }
        ++result.rejected;
        if (sink) sink->on_reject(line_no, r.error());
      }
    }
    pos = next;
  }
  return result;
}

namespace {

// Shared by the two array-carrying formats: every element is an alert; a bad element is rejected
// alone; a syntax error anywhere rejects the body whole (and rolls back what it had added).
BodyResult read_alert_array(od::array arr, Shape shape, core::Interner& interner, ReadContext& ctx,
                            const Limits& limits, AlertBatch& out, std::int64_t now_ms,
                            Stats& stats, RejectSink* sink) {
  BodyResult result;
  const std::size_t alerts_mark = out.alerts.size();
  const std::size_t labels_mark = out.labels.size();
  const std::size_t annotations_mark = out.annotations.size();
  const std::size_t arena_mark = out.arena.size();
  std::uint64_t per_reason[static_cast<std::size_t>(Reject::kCount)] = {};
  std::uint32_t index = 0;
  bool syntax_error = false;
  for (auto element : arr) {
    od::value v;
    if (std::move(element).get(v)) {
      syntax_error = true;
      break;
    }
    AlertReader reader(interner, ctx, limits, out, now_ms);
    Outcome r = reader.read(v, shape);
    if (!r) {
      if (reader.syntax_error()) {
        syntax_error = true;
        break;
      }
      if (result.rejected == 0) {
        result.first_reason = r.error();
        result.first_index = index;
      }
      ++result.rejected;
      ++per_reason[static_cast<std::size_t>(r.error())];
      if (sink) sink->on_reject(index, r.error());
    } else {
      ++result.accepted;
    }
    ++index;
  }
  if (syntax_error) {
    out.alerts.resize(alerts_mark);
    out.labels.resize(labels_mark);
    out.annotations.resize(annotations_mark);
    out.arena.resize(arena_mark);
    BodyResult bad;
    bad.body_ok = false;
    bad.rejected = 1;
    bad.first_reason = Reject::kBadJson;
    ++stats.rejected[static_cast<std::size_t>(Reject::kBadJson)];
    if (sink) sink->on_reject(index, Reject::kBadJson);
    return bad;
  }
  stats.accepted += result.accepted;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Reject::kCount); ++i)
    stats.rejected[i] += per_reason[i];
  return result;
}

BodyResult body_failure(Reject reason, Stats& stats, RejectSink* sink) {
  BodyResult bad;
  bad.body_ok = false;
  bad.rejected = 1;
  bad.first_reason = reason;
  ++stats.rejected[static_cast<std::size_t>(reason)];
  if (sink) sink->on_reject(0, reason);
  return bad;
}

}  // namespace

BodyResult Parser::parse_alertmanager_v2(std::string_view body, AlertBatch& out,
                                         std::int64_t now_ms, std::size_t readable,
                                         RejectSink* sink) {
  if (body.size() > limits_.max_body_bytes) return body_failure(Reject::kTooLarge, stats_, sink);
  const auto [data, capacity] = impl_->padded_input(body, readable);
  od::document doc;
  if (impl_->json.iterate(data, body.size(), capacity).get(doc))
    return body_failure(Reject::kBadJson, stats_, sink);
  od::json_type type;
  if (doc.type().get(type)) return body_failure(Reject::kBadJson, stats_, sink);
  if (type != od::json_type::array)
    return body_failure(wrong_root(doc, type, Reject::kNotArray), stats_, sink);
  od::array arr;
  if (doc.get_array().get(arr)) return body_failure(Reject::kBadJson, stats_, sink);
  const std::size_t alerts_mark = out.alerts.size();
  BodyResult r = read_alert_array(arr, Shape::kAlertmanager, interner_, impl_->ctx, limits_, out,
                                  now_ms, stats_, sink);
  if (r.body_ok && !at_end(doc)) {
    out.alerts.resize(alerts_mark);
    stats_.accepted -= r.accepted;
    return body_failure(Reject::kBadJson, stats_, sink);
  }
  return r;
}

BodyResult Parser::parse_webhook(std::string_view body, AlertBatch& out, std::int64_t now_ms,
                                 std::size_t readable, RejectSink* sink) {
  if (body.size() > limits_.max_body_bytes) return body_failure(Reject::kTooLarge, stats_, sink);
  const auto [data, capacity] = impl_->padded_input(body, readable);
  od::document doc;
  if (impl_->json.iterate(data, body.size(), capacity).get(doc))
    return body_failure(Reject::kBadJson, stats_, sink);
  od::json_type type;
  if (doc.type().get(type)) return body_failure(Reject::kBadJson, stats_, sink);
  if (type != od::json_type::object)
    return body_failure(wrong_root(doc, type, Reject::kNotObject), stats_, sink);
  od::object obj;
  if (doc.get_object().get(obj)) return body_failure(Reject::kBadJson, stats_, sink);
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return body_failure(Reject::kBadJson, stats_, sink);
    std::string_view key;
    if (field.unescaped_key().get(key)) return body_failure(Reject::kBadJson, stats_, sink);
    if (key != "alerts") continue;
    od::value v = field.value();
    od::json_type at;
    if (v.type().get(at)) return body_failure(Reject::kBadJson, stats_, sink);
    if (at != od::json_type::array) return body_failure(Reject::kNotArray, stats_, sink);
    od::array arr;
    if (v.get_array().get(arr)) return body_failure(Reject::kBadJson, stats_, sink);
    return read_alert_array(arr, Shape::kWebhookAlert, interner_, impl_->ctx, limits_, out, now_ms,
                            stats_, sink);
  }
  return body_failure(Reject::kNotArray, stats_, sink);
}

BodyResult Parser::parse(Format format, std::string_view body, AlertBatch& out, std::int64_t now_ms,
                         std::size_t readable, RejectSink* sink) {
  switch (format) {
    case Format::kNative:
      return parse_ndjson(body, out, now_ms, readable, sink);
    case Format::kAlertmanagerV2:
      return parse_alertmanager_v2(body, out, now_ms, readable, sink);
    case Format::kWebhookV4:
      return parse_webhook(body, out, now_ms, readable, sink);
  }
  return {};
}

}  // namespace squall::parse
