#include "plugins/drafters/common/bundle_view.h"

#include <simdjson.h>

namespace squall::drafters {
namespace {

namespace dom = simdjson::dom;

core::Result<void> fail(std::string what) { return core::make_error("bundle: " + what); }

void collect_strings(dom::element e, BundleView& b, int depth = 0) {
  if (depth > 64) return;
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      if (!e.get(s)) b.strings.emplace_back(s);
      break;
    }
    case dom::element_type::ARRAY: {
      dom::array a;
      if (!e.get(a))
        for (dom::element c : a) collect_strings(c, b, depth + 1);
      break;
    }
    case dom::element_type::OBJECT: {
      dom::object o;
      if (!e.get(o))
        for (auto [k, v] : o) {
          b.strings.emplace_back(k);
          std::string_view s;
          if (!v.get(s)) b.string_members.emplace_back(std::string(k), std::string(s));
          collect_strings(v, b, depth + 1);
        }
      break;
    }
    default:
      break;
  }
}

// A string or null ("") at `key`; absent reads as "". Another type is an error.
core::Result<void> opt_text(dom::object o, std::string_view key, std::string& out) {
  dom::element v;
  if (o.at_key(key).get(v)) return {};
  if (v.is_null()) return {};
  std::string_view s;
  if (v.get(s)) return fail(std::string(key) + " is not a string");
  out = s;
  return {};
}

template <class T>
core::Result<void> opt_number(dom::object o, std::string_view key, T& out) {
  dom::element v;
  if (o.at_key(key).get(v) || v.is_null()) return {};
  if (v.get(out)) return fail(std::string(key) + " is not a number of the expected kind");
  return {};
}

// The array at `key`; absent or null is an empty array.
core::Result<void> opt_array(dom::object o, std::string_view key, dom::array& out, bool& present) {
  present = false;
  dom::element v;
  if (o.at_key(key).get(v) || v.is_null()) return {};
  if (v.get(out)) return fail(std::string(key) + " is not an array");
  present = true;
  return {};
}

core::Result<void> text_list(dom::object o, std::string_view key, std::vector<std::string>& out) {
  dom::array a;
  bool present = false;
  if (auto r = opt_array(o, key, a, present); !r || !present) return r;
  for (dom::element e : a) {
    std::string_view s;
    if (e.get(s)) return fail(std::string(key) + " holds a non-string");
    out.emplace_back(s);
  }
  return {};
}

core::Result<void> string_map(dom::object o, std::string_view key,
                              std::vector<std::pair<std::string, std::string>>& out) {
  dom::element v;
  if (o.at_key(key).get(v) || v.is_null()) return {};
  dom::object m;
  if (v.get(m)) return fail(std::string(key) + " is not an object");
  for (auto [k, val] : m) {
    std::string_view s;
    if (val.get(s)) return fail(std::string(key) + "." + std::string(k) + " is not a string");
    out.emplace_back(std::string(k), std::string(s));
  }
  return {};
}

// Runs `f(object)` for each element of the array at `key`, which must be objects.
template <class F>
core::Result<void> each_object(dom::object o, std::string_view key, F&& f) {
  dom::array a;
  bool present = false;
  if (auto r = opt_array(o, key, a, present); !r || !present) return r;
  for (dom::element e : a) {
    dom::object item;
    if (e.get(item)) return fail(std::string(key) + " holds a non-object");
    if (auto r = f(item); !r) return r;
  }
  return {};
}

#define SQ_TRY(expr)    \
  do {                  \
    auto r_ = (expr);   \
    if (!r_) return r_; \
  } while (0)

core::Result<void> read_timeline(dom::object o, BundleView& b) {
  TimelineEntry t;
  SQ_TRY(opt_number(o, "ts", t.ts));
  SQ_TRY(opt_text(o, "service", t.service));
  SQ_TRY(opt_text(o, "alertname", t.alertname));
  SQ_TRY(opt_number(o, "count", t.count));
  b.timeline.push_back(std::move(t));
  return {};
}

core::Result<void> read_change(dom::object o, BundleView& b) {
  ChangeEntry c;
  SQ_TRY(opt_number(o, "ts", c.ts));
  SQ_TRY(opt_text(o, "service", c.service));
  SQ_TRY(opt_text(o, "summary", c.summary));
  SQ_TRY(opt_text(o, "id", c.id));
  b.changes.push_back(std::move(c));
  return {};
}

core::Result<void> read_hypothesis(dom::object o, BundleView& b) {
  HypothesisEntry h;
  SQ_TRY(opt_text(o, "service", h.service));
  SQ_TRY(opt_text(o, "node", h.node));
  SQ_TRY(opt_text(o, "zone", h.zone));
  SQ_TRY(opt_number(o, "score", h.score));
  SQ_TRY(text_list(o, "reasons", h.reasons));
  SQ_TRY(text_list(o, "evidence", h.evidence));
  SQ_TRY(opt_text(o, "change", h.change));
  b.root_cause.push_back(std::move(h));
  return {};
}

core::Result<void> read_exemplar(dom::object o, BundleView& b) {
  Exemplar x;
  SQ_TRY(opt_text(o, "id", x.id));
  SQ_TRY(string_map(o, "labels", x.labels));
  SQ_TRY(string_map(o, "annotations", x.annotations));
  SQ_TRY(opt_number(o, "ts", x.ts));
  SQ_TRY(opt_text(o, "status", x.status));
  SQ_TRY(opt_number(o, "count", x.count));
  b.exemplars.push_back(std::move(x));
  return {};
}

core::Result<void> read(dom::object doc, BundleView& b) {
  {
    dom::element v;
    std::string_view s;
    if (doc.at_key("incident").get(v) || v.get(s)) return fail("incident missing or not a string");
    b.incident = s;
    if (doc.at_key("version").get(v) || v.get(b.version))
      return fail("version missing or not an unsigned integer");
  }
  SQ_TRY(opt_text(doc, "state", b.state));
  SQ_TRY(text_list(doc, "services", b.services));
  SQ_TRY(text_list(doc, "nodes", b.nodes));
  SQ_TRY(each_object(doc, "timeline", [&](dom::object o) { return read_timeline(o, b); }));
  SQ_TRY(each_object(doc, "changes", [&](dom::object o) { return read_change(o, b); }));
  SQ_TRY(each_object(doc, "root_cause", [&](dom::object o) { return read_hypothesis(o, b); }));
  SQ_TRY(each_object(doc, "exemplars", [&](dom::object o) { return read_exemplar(o, b); }));
  return {};
}

#undef SQ_TRY

std::string_view find(const std::vector<std::pair<std::string, std::string>>& kv,
                      std::string_view name) {
  for (const auto& [k, v] : kv)
    if (k == name) return v;
  return {};
}

}  // namespace

std::string_view Exemplar::label(std::string_view name) const { return find(labels, name); }
std::string_view Exemplar::annotation(std::string_view name) const {
  return find(annotations, name);
}

const Exemplar* BundleView::exemplar(std::string_view want) const {
  for (const Exemplar& x : exemplars)
    if (x.id == want) return &x;
  return nullptr;
}

core::Result<BundleView> parse_bundle(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc))
    return core::make_error(std::string("bundle: not JSON: ") + simdjson::error_message(err));
  dom::object obj;
  if (doc.get(obj)) return core::make_error("bundle: not a JSON object");
  BundleView b;
  if (auto r = read(obj, b); !r) return tl::unexpected(r.error());
  collect_strings(doc, b);
  b.raw = json;
  return b;
}

}  // namespace squall::drafters
