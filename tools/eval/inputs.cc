#include "tools/eval/inputs.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

#include "engine/core/time.h"
#include "engine/parse/parser.h"

namespace squall::eval {
namespace {

namespace od = simdjson::ondemand;

// Calls fn(line_number, line) for each line, without its '\n' or a '\r' before it. A final line
// without a newline counts; the empty string after a final newline does not.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::uint32_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++number;
    if (!fn(number, line)) return;
    pos = end + 1;
  }
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (true) {
    const std::size_t tab = line.find('\t', pos);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(pos));
      return fields;
    }
    fields.push_back(line.substr(pos, tab - pos));
    pos = tab + 1;
  }
}

// A TSV with a header naming its columns: `columns` are the required names, found anywhere in the
// header; fn(line, fields-in-`columns`-order) per non-blank row, returning an error message or "".
template <std::size_t N, class Fn>
core::Result<void> read_tsv(std::string_view text, std::string_view name,
                            const std::array<std::string_view, N>& columns, Fn&& fn) {
  std::optional<core::Error> error;
  std::array<std::size_t, N> index{};
  std::size_t width = 0;
  bool have_header = false;
  std::array<std::string_view, N> row{};
  for_each_line(text, [&](std::uint32_t number, std::string_view line) {
    if (!have_header) {
      const auto header = split_tabs(line);
      for (std::size_t c = 0; c < N; ++c) {
        std::size_t k = 0;
        while (k < header.size() && header[k] != columns[c]) ++k;
        if (k == header.size()) {
          error = core::Error{fmt::format("{}:{}: header has no '{}' column (expected {})", name,
                                          number, columns[c], fmt::join(columns, "\\t"))};
          return false;
        }
        index[c] = k;
      }
      width = header.size();
      have_header = true;
      return true;
    }
    if (line.empty()) return true;
    const auto fields = split_tabs(line);
    if (fields.size() != width) {
      error = core::Error{fmt::format("{}:{}: expected {} tab-separated fields, got {}", name,
                                      number, width, fields.size())};
      return false;
    }
    for (std::size_t c = 0; c < N; ++c) row[c] = fields[index[c]];
    std::string message = fn(number, row);
    if (!message.empty()) {
      error = core::Error{fmt::format("{}:{}: {}", name, number, message)};
      return false;
    }
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  if (!have_header) return core::make_error(fmt::format("{}: empty file, expected a header", name));
  return {};
}

// Epoch ms from a JSON number or an RFC 3339 string.
simdjson::error_code get_time_ms(od::value& v, std::int64_t& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = v.get_string().get(s)) return e;
    const auto ms = core::parse_rfc3339_ms(s);
    if (!ms) return simdjson::INCORRECT_TYPE;
    out = *ms;
    return simdjson::SUCCESS;
  }
  return v.get_int64().get(out);
}

// A string, or "" for null.
simdjson::error_code get_nullable_string(od::value& v, std::string& out) {
  bool null = false;
  if (auto e = v.is_null().get(null)) return e;
  if (null) {
    out.clear();
    return simdjson::SUCCESS;
  }
  std::string_view s;
  if (auto e = v.get_string().get(s)) return e;
  out.assign(s);
  return simdjson::SUCCESS;
}

// One bundle line. Returns an error message or "".
std::string parse_bundle_line(od::parser& parser, const char* data, std::size_t len,
                              std::size_t capacity, std::string& incident,
                              std::optional<std::int64_t>& updated_at,
                              std::vector<Hypothesis>& root_cause) {
  od::document doc;
  od::object obj;
  if (auto e = parser.iterate(data, len, capacity).get(doc))
    return fmt::format("bad JSON: {}", simdjson::error_message(e));
  if (auto e = doc.get_object().get(obj)) {
    return e == simdjson::INCORRECT_TYPE ? std::string("not a JSON object")
                                         : fmt::format("bad JSON: {}", simdjson::error_message(e));
  }
  bool have_incident = false;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (auto e = std::move(field_result).get(field))
      return fmt::format("bad JSON: {}", simdjson::error_message(e));
    if (auto e = field.unescaped_key().get(key))
      return fmt::format("bad key: {}", simdjson::error_message(e));
    od::value value = field.value();
    if (key == "incident") {
      std::string_view s;
      if (value.get_string().get(s) || s.empty()) return "'incident' is not a non-empty string";
      incident.assign(s);
      have_incident = true;
    } else if (key == "updated_at") {
      bool null = false;
      if (value.is_null().get(null)) return "'updated_at' is not valid JSON";
      if (!null) {
        std::int64_t ms = 0;
        if (get_time_ms(value, ms)) return "'updated_at' is not epoch ms or an RFC 3339 string";
        updated_at = ms;
      }
    } else if (key == "root_cause") {
      bool null = false;
      if (value.is_null().get(null)) return "'root_cause' is not valid JSON";
      if (null) continue;
      od::array arr;
      if (value.get_array().get(arr)) return "'root_cause' is not an array";
      for (auto element : arr) {
        od::object hyp_obj;
        if (element.get_object().get(hyp_obj)) return "a 'root_cause' entry is not an object";
        Hypothesis h;
        for (auto hyp_field_result : hyp_obj) {
          od::field hyp_field;
          std::string_view hyp_key;
          if (std::move(hyp_field_result).get(hyp_field) || hyp_field.unescaped_key().get(hyp_key))
            return "bad JSON in 'root_cause'";
          od::value hv = hyp_field.value();
          if (hyp_key == "service") {
            if (get_nullable_string(hv, h.service))
              return "'root_cause[].service' is not a string or null";
          } else if (hyp_key == "node") {
            if (get_nullable_string(hv, h.node))
              return "'root_cause[].node' is not a string or null";
          } else if (hyp_key == "zone") {
            if (get_nullable_string(hv, h.zone))
              return "'root_cause[].zone' is not a string or null";
          }
        }
        root_cause.push_back(std::move(h));
      }
    }
  }
  if (!have_incident) return "no 'incident'";
  return {};
}

// Collects the parser's rejections: the lines, for the ids they carry, and the first reason.
class Rejects final : public parse::RejectSink {
 public:
  void on_reject(std::uint32_t index, parse::Reject reason) override {
    if (lines_.empty()) reason_ = reason;
    lines_.push_back(index);
  }
  std::vector<std::uint32_t> lines_;
  parse::Reject reason_ = parse::Reject::kBadJson;
};

// The top-level "id" of a line the engine's parser rejected, if the line is JSON enough to say.
std::string id_of_rejected_line(od::parser& parser, const char* data, std::size_t len,
                                std::size_t capacity) {
  od::document doc;
  od::object obj;
  std::string_view id;
  if (parser.iterate(data, len, capacity).get(doc) || doc.get_object().get(obj)) return {};
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) || field.unescaped_key().get(key)) return {};
    if (key == "id") return field.value().get_string().get(id) ? std::string() : std::string(id);
  }
  return {};
}

}  // namespace

core::Result<std::string> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return core::make_error(fmt::format("{}: cannot open", path));
  std::string out;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return core::make_error(fmt::format("{}: read error", path));
  return out;
}

core::Result<Truth> parse_truth(std::string_view text, std::string_view name) {
  static constexpr std::array<std::string_view, 5> kColumns = {"alert_id", "incident", "root",
                                                               "root_service", "kind"};
  Truth t;
  std::unordered_map<std::string, std::uint32_t> first_line;
  std::unordered_map<std::string, bool> has_root_row;
  auto ok = read_tsv(text, name, kColumns, [&](std::uint32_t line, const auto& f) -> std::string {
    const std::string_view id = f[0], incident = f[1], root = f[2];
    if (id.empty()) return "empty alert_id";
    if (incident.empty()) return "empty incident";
    if (root != "0" && root != "1" && !root.empty())
      return fmt::format("root must be 0 or 1, got '{}'", root);
    auto [it, inserted] = first_line.try_emplace(std::string(id), line);
    if (!inserted) return fmt::format("duplicate alert_id '{}' (first on line {})", id, it->second);
    t.alert_ids.emplace_back(id);
    t.incident.emplace_back(incident);
    t.line.push_back(line);
    const bool is_root = root == "1";
    auto [meta, fresh] = t.incidents.try_emplace(std::string(incident));
    bool& rooted = has_root_row[std::string(incident)];
    if (fresh || (is_root && !rooted))
      meta->second = IncidentTruth{std::string(f[3]), std::string(f[4])};
    rooted = rooted || is_root;
    return {};
  });
  if (!ok) return tl::unexpected(std::move(ok.error()));
  return t;
}

core::Result<Assignments> parse_assignments(std::string_view text, std::string_view name) {
  static constexpr std::array<std::string_view, 2> kColumns = {"alert_id", "incident"};
  Assignments a;
  std::unordered_map<std::string, std::uint32_t> first_line;
  auto ok = read_tsv(text, name, kColumns, [&](std::uint32_t line, const auto& f) -> std::string {
    if (f[0].empty()) return "empty alert_id";
    if (f[1].empty()) return "empty incident";
    auto [it, inserted] = first_line.try_emplace(std::string(f[0]), line);
    if (!inserted)
      return fmt::format("duplicate alert_id '{}' (first on line {})", f[0], it->second);
    a.incident_of.emplace(std::string(f[0]), std::string(f[1]));
    ++a.rows;
    return {};
  });
  if (!ok) return tl::unexpected(std::move(ok.error()));
  return a;
}

core::Result<std::vector<std::string>> join_assignments(const Truth& truth,
                                                        const Assignments& assignments,
                                                        std::string_view assignments_name) {
  std::vector<std::string> pred;
  pred.reserve(truth.alert_ids.size());
  std::size_t missing = 0;
  std::size_t first_missing = 0;
  for (std::size_t k = 0; k < truth.alert_ids.size(); ++k) {
    auto it = assignments.incident_of.find(truth.alert_ids[k]);
    if (it == assignments.incident_of.end()) {
      if (missing++ == 0) first_missing = k;
      continue;
    }
    pred.push_back(it->second);
  }
  if (missing > 0) {
    return core::make_error(
        fmt::format("{}: no line for alert '{}' (truth.tsv line {}){}", assignments_name,
                    truth.alert_ids[first_missing], truth.line[first_missing],
                    missing > 1 ? fmt::format("; {} truth alerts are missing in all", missing)
                                : std::string()));
  }
  return pred;
}

core::Result<std::map<std::string, BundleHistory>> parse_bundles(std::string_view text,
                                                                 std::string_view name) {
  // One padded copy of the whole file; each line is parsed in place (the next lines and the padding
  // are readable bytes past its end, which is all simdjson asks for).
  const simdjson::padded_string padded(text.data(), text.size());
  const std::string_view all(padded.data(), padded.size());
  const std::size_t readable_end = padded.size() + simdjson::SIMDJSON_PADDING;
  od::parser parser;
  std::map<std::string, BundleHistory> bundles;
  std::optional<core::Error> error;
  std::string incident;
  std::vector<Hypothesis> root_cause;
  for_each_line(all, [&](std::uint32_t number, std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
    incident.clear();
    root_cause.clear();
    std::optional<std::int64_t> updated_at;
    const std::size_t offset = static_cast<std::size_t>(line.data() - all.data());
    std::string message = parse_bundle_line(parser, line.data(), line.size(), readable_end - offset,
                                            incident, updated_at, root_cause);
    if (!message.empty()) {
      error = core::Error{fmt::format("{}:{}: {}", name, number, message)};
      return false;
    }
    BundleHistory& b = bundles[incident];
    b.root_cause = root_cause;  // the last line per incident wins
    if (updated_at) b.updated_at.push_back(*updated_at);
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return bundles;
}

core::Result<void> parse_alerts(std::string text, StormAlerts& out) {
  parse::Limits limits;
  limits.max_body_bytes = std::numeric_limits<std::size_t>::max();  // a storm file is not a request
  parse::Parser parser(out.interner, limits);
  const std::size_t size = text.size();
  text.resize(size + simdjson::SIMDJSON_PADDING);
  Rejects rejects;
  const parse::BodyResult r =
      parser.parse_ndjson(std::string_view(text.data(), size), out.batch, 0, text.size(), &rejects);
  if (!r.body_ok)
    return core::make_error(fmt::format("not NDJSON: {}", parse::reject_reason(r.first_reason)));
  out.rejected = static_cast<std::uint32_t>(rejects.lines_.size());
  if (rejects.lines_.empty()) return {};
  out.first_rejected_line = rejects.lines_.front();
  out.first_rejected_reason = std::string(parse::reject_reason(rejects.reason_));
  // Rejected lines are invisible to the engine; their ids let eval leave them out of the score.
  std::sort(rejects.lines_.begin(), rejects.lines_.end());
  od::parser json;
  std::size_t next = 0;
  for_each_line(
      std::string_view(text.data(), size), [&](std::uint32_t number, std::string_view line) {
        if (number != rejects.lines_[next]) return true;
        const std::size_t offset = static_cast<std::size_t>(line.data() - text.data());
        std::string id = id_of_rejected_line(json, line.data(), line.size(), text.size() - offset);
        if (!id.empty()) out.rejected_ids.push_back(std::move(id));
        return ++next < rejects.lines_.size();
      });
  return {};
}

}  // namespace squall::eval
