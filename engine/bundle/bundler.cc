#include "engine/bundle/bundler.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "engine/core/json_writer.h"

namespace squall::bundle {
namespace {

using core::Incident;
using core::Member;
using core::Role;
using core::Sym;

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();
constexpr std::string_view kHypothesisNote = "ranked hypotheses, not conclusions: a human confirms";

constexpr std::size_t idx(Role r) { return static_cast<std::size_t>(r); }

// What one rendering may include. Starts from the config's caps; shrink() lowers one at a time.
struct Limits {
  std::size_t exemplars;
  std::size_t timeline;
  std::size_t dim_values;
  std::size_t services;
  std::size_t nodes;
  std::size_t annotation_bytes = kUnlimited;  // per annotation value
  std::size_t text_bytes = kUnlimited;        // per other string (label values, names, reasons)
  std::size_t changes = kUnlimited;
  std::size_t hypotheses = kUnlimited;
  std::size_t reasons = kUnlimited;   // per hypothesis
  std::size_t evidence = kUnlimited;  // per hypothesis
  bool note = true;
};

// Lowers the first limit still above its floor: first the order the bundle contract suggests
// (exemplars, timeline, dimension values, entity lists, annotation text), then everything else down
// to a skeleton. Returns false when nothing is left to lower.
bool shrink(Limits& l) {
  struct Step {
    std::size_t* field;
    std::size_t floor;
    std::size_t first;  // the value an unlimited field drops to
  };
  const Step steps[] = {
      {&l.exemplars, 2, 0},        {&l.timeline, 4, 0},   {&l.dim_values, 2, 0},
      {&l.services, 8, 0},         {&l.nodes, 8, 0},      {&l.annotation_bytes, 64, 512},
      {&l.text_bytes, 128, 512},   {&l.changes, 4, 16},   {&l.evidence, 2, 8},
      {&l.reasons, 2, 8},          {&l.hypotheses, 3, 8}, {&l.exemplars, 0, 0},
      {&l.annotation_bytes, 0, 0}, {&l.timeline, 0, 0},   {&l.dim_values, 0, 0},
      {&l.services, 0, 0},         {&l.nodes, 0, 0},      {&l.changes, 0, 0},
      {&l.text_bytes, 16, 0},      {&l.evidence, 1, 0},   {&l.reasons, 1, 0},
      {&l.hypotheses, 1, 0},       {&l.evidence, 0, 0},   {&l.reasons, 0, 0},
      {&l.hypotheses, 0, 0},
  };
  for (const Step& s : steps) {
    if (*s.field <= s.floor) continue;
    *s.field = *s.field == kUnlimited && s.first ? std::max(s.first, s.floor)
                                                 : std::max(s.floor, *s.field / 2);
    return true;
  }
  if (l.note) {
    l.note = false;
    return true;
  }
  return false;
}

// `s` cut to at most `max` bytes on a UTF-8 character boundary, with "..." when cut.
class Clipper {
 public:
  std::string_view operator()(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    const std::size_t keep = max > 3 ? max - 3 : 0;
    std::size_t n = keep;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // continuation byte
    buf_.assign(s.substr(0, n));
    buf_.append("...");
    return buf_;
  }

 private:
  std::string buf_;
};

// A (service, alertname) template: its first member and its alert count.
struct Template {
  Sym service = 0;
  Sym alertname = 0;
  std::int64_t first_ts = 0;
  std::uint32_t order = 0;  // join order of its first member
  std::uint32_t slot = 0;   // its earliest member
  std::uint64_t alerts = 0;
};

struct Prepared {
  std::vector<Template> templates;       // first-seen order
  std::vector<Incident::DimCount> dims;  // by label name, then alerts desc, then value
};

Prepared prepare(const Incident& inc, const core::MemberTable& members,
                 const core::Interner& interner) {
  Prepared p;
  std::unordered_map<std::uint64_t, std::uint32_t> by_key;
  by_key.reserve(inc.members.size() / 4 + 8);
  for (std::size_t order = 0; order < inc.members.size(); ++order) {
    const std::uint32_t slot = inc.members[order];
    const Member& m = members[slot];
    const Sym svc = m.roles[idx(Role::kService)];
    const Sym name = m.roles[idx(Role::kAlertname)];
    const std::uint64_t key = (static_cast<std::uint64_t>(svc) << 32) | name;
    auto [it, inserted] = by_key.try_emplace(key, static_cast<std::uint32_t>(p.templates.size()));
    if (inserted) {
      p.templates.push_back(
          Template{svc, name, m.first_ts, static_cast<std::uint32_t>(order), slot, 0});
    }
    Template& t = p.templates[it->second];
    t.alerts += m.count;
    if (m.first_ts < t.first_ts) {
      t.first_ts = m.first_ts;
      t.order = static_cast<std::uint32_t>(order);
      t.slot = slot;
    }
  }
  std::sort(p.templates.begin(), p.templates.end(), [](const Template& a, const Template& b) {
    return a.first_ts != b.first_ts ? a.first_ts < b.first_ts : a.order < b.order;
  });
  p.dims = inc.dimensions;
  std::sort(p.dims.begin(), p.dims.end(),
            [&](const Incident::DimCount& a, const Incident::DimCount& b) {
              if (a.name != b.name) return interner.view(a.name) < interner.view(b.name);
              if (a.alerts != b.alerts) return a.alerts > b.alerts;
              return interner.view(a.value) < interner.view(b.value);
            });
  return p;
}

std::string change_summary(const core::ChangeRef& c, const core::Interner& in) {
  if (!c.summary.empty()) return c.summary;
  std::string s(c.change_type ? in.view(c.change_type) : "change");
  s.push_back(' ');
  s.append(c.deploy ? in.view(c.deploy) : in.view(c.service));
  return s;
}

class Renderer {
 public:
  Renderer(const Incident& inc, const core::MemberTable& members,
           const std::vector<rca::Hypothesis>& hyps, const core::Interner& interner,
           const Prepared& prep, std::uint32_t version)
      : inc_(inc), members_(members), hyps_(hyps), in_(interner), prep_(prep), version_(version) {}

  void render(const Limits& l, std::string& out) {
    out.clear();
    core::JsonWriter w(out);
    w.begin_object();
    w.kv("incident", std::string_view(inc_.id));
    w.kv("version", static_cast<std::uint64_t>(version_));
    w.kv("state", inc_.open ? "open" : "closed");
    w.kv("opened_at", inc_.opened_at);
    w.kv("updated_at", inc_.updated_at);
    w.key("closed_at");
    if (inc_.open || inc_.closed_at == core::kNoTime)
      w.null();
    else
      w.value(inc_.closed_at);
    w.kv("alerts_total", inc_.alerts_total);
    w.kv("fingerprints", static_cast<std::uint64_t>(inc_.members.size()));
    w.kv("severity", core::severity_name(inc_.severity));
    entities(w, "services", "services_omitted", inc_.services, l.services, l.text_bytes);
    entities(w, "nodes", "nodes_omitted", inc_.nodes, l.nodes, l.text_bytes);

    w.key("dimensions").begin_object();
    for (std::size_t i = 0; i < prep_.dims.size() && l.dim_values > 0;) {
      const Sym name = prep_.dims[i].name;
      w.key(clip_(in_.view(name), l.text_bytes)).begin_object();
      for (std::size_t k = 0; i < prep_.dims.size() && prep_.dims[i].name == name; ++i, ++k)
        if (k < l.dim_values)
          w.kv(clip_(in_.view(prep_.dims[i].value), l.text_bytes),
               static_cast<std::uint64_t>(prep_.dims[i].alerts));
      w.end_object();
    }
    w.end_object();

    w.key("timeline").begin_array();
    for (std::size_t i = 0; i < prep_.templates.size() && i < l.timeline; ++i) {
      const Template& t = prep_.templates[i];
      w.begin_object().kv("ts", t.first_ts);
      w.key("service");
      text_or_null(w, t.service, l.text_bytes);
      w.kv("alertname", clip_(in_.view(t.alertname), l.text_bytes));
      w.kv("count", t.alerts).end_object();
    }
    w.end_array();

    w.key("changes").begin_array();
    for (std::size_t i = 0; i < inc_.changes.size() && i < l.changes; ++i) {
      const core::ChangeRef& c = inc_.changes[i];
      w.begin_object().kv("ts", c.ts);
      w.key("service");
      text_or_null(w, c.service, l.text_bytes);
      w.kv("summary", clip_(change_summary(c, in_), l.text_bytes));
      w.kv("id", clip_(c.id, l.text_bytes)).end_object();
    }
    w.end_array();

    w.key("root_cause").begin_array();
    for (std::size_t i = 0; i < hyps_.size() && i < l.hypotheses; ++i) {
      const rca::Hypothesis& h = hyps_[i];
      w.begin_object();
      w.key("service");
      text_or_null(w, h.service, l.text_bytes);
      w.key("node");
      text_or_null(w, h.node, l.text_bytes);
      if (h.zone != 0) w.kv("zone", clip_(in_.view(h.zone), l.text_bytes));
      w.kv("score", h.score);
      w.key("reasons").begin_array();
      for (std::size_t k = 0; k < h.reasons.size() && k < l.reasons; ++k)
        w.value(clip_(h.reasons[k], l.text_bytes));
      w.end_array();
      w.key("evidence").begin_array();
      for (std::size_t k = 0; k < h.evidence.size() && k < l.evidence; ++k)
        w.value(clip_(h.evidence[k], l.text_bytes));
      w.end_array();
      if (h.change >= 0 && static_cast<std::size_t>(h.change) < inc_.changes.size())
        w.kv("change", clip_(change_summary(inc_.changes[static_cast<std::size_t>(h.change)], in_),
                             l.text_bytes));
      w.end_object();
    }
    w.end_array();
    if (l.note) w.kv("hypothesis_note", kHypothesisNote);

    // One exemplar per template, the earliest member of it, in first-seen order.
    w.key("exemplars").begin_array();
    for (std::size_t i = 0; i < prep_.templates.size() && i < l.exemplars; ++i) {
      const Member& m = members_[prep_.templates[i].slot];
      w.begin_object();
      core::MemberTable::IdBuf id_buf;
      w.kv("id", clip_(members_.id(m, id_buf), l.text_bytes));
      w.key("labels").begin_object();
      for (const core::Label& lb : members_.labels(m)) {
        w.key(clip_(in_.view(lb.name), l.text_bytes));
        w.value(clip_(in_.view(lb.value), l.text_bytes));
      }
      w.end_object();
      w.key("annotations").begin_object();
      if (l.annotation_bytes > 0) {
        members_.for_each_annotation(m, [&](std::string_view name, std::string_view value) {
          w.key(clip_(name, l.text_bytes));
          w.value(clip_(value, l.annotation_bytes));
        });
      }
      w.end_object();
      w.kv("ts", m.first_ts);
      w.kv("status", core::status_name(m.status));
      w.kv("count", static_cast<std::uint64_t>(m.count));
      w.kv("joined", core::join_reason_name(m.reason));
      if (m.is_flapping()) w.kv("flapping", true);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }

 private:
  void text_or_null(core::JsonWriter& w, Sym s, std::size_t max) {
    if (s == 0)
      w.null();
    else
      w.value(clip_(in_.view(s), max));
  }
  void entities(core::JsonWriter& w, std::string_view key, std::string_view omitted_key,
                const std::vector<core::EntityStat>& list, std::size_t max, std::size_t text) {
    // Names, each once: an entity seen in two clusters has two EntityStats.
    w.key(key).begin_array();
    std::size_t written = 0, distinct = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      bool seen = false;
      for (std::size_t k = 0; k < i && !seen; ++k) seen = list[k].entity == list[i].entity;
      if (seen) continue;
      ++distinct;
      if (written < max) {
        w.value(clip_(in_.view(list[i].entity), text));
        ++written;
      }
    }
    w.end_array();
    if (distinct > written) w.kv(omitted_key, static_cast<std::uint64_t>(distinct - written));
  }

  const Incident& inc_;
  const core::MemberTable& members_;
  const std::vector<rca::Hypothesis>& hyps_;
  const core::Interner& in_;
  const Prepared& prep_;
  std::uint32_t version_;
  Clipper clip_;
};

}  // namespace

void build_bundle(const core::Incident& incident, const core::MemberTable& members,
                  const std::vector<rca::Hypothesis>& hypotheses, const core::Interner& interner,
                  const Config& config, std::string& out, std::uint32_t version) {
  const Prepared prep = prepare(incident, members, interner);
  Renderer r(incident, members, hypotheses, interner, prep, version);
  Limits l{config.max_exemplars, config.max_timeline, config.max_dimension_values,
           config.max_services, config.max_nodes};
  const std::size_t max_bytes = std::max(config.max_bytes, kMinBundleBytes);
  r.render(l, out);
  while (out.size() > max_bytes && shrink(l)) r.render(l, out);
}

}  // namespace squall::bundle
