#include "tools/eval/baseline.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

namespace squall::eval {

std::string BaselineSpec::method() const {
  std::string m =
      fmt::format("baseline group_by={}",
                  all_labels ? std::string("...") : fmt::format("{}", fmt::join(labels, ",")));
  if (group_interval_ms != kDefaultGroupIntervalMs)
    m += fmt::format(" group_interval={}ms", group_interval_ms);
  return m;
}

core::Result<BaselineSpec> parse_baseline(std::string_view spec) {
  constexpr std::string_view kPrefix = "group_by=";
  if (!spec.starts_with(kPrefix))
    return core::make_error(
        fmt::format("--baseline '{}': expected group_by=L1,L2,... (or group_by=...)", spec));
  spec.remove_prefix(kPrefix.size());
  BaselineSpec out;
  if (spec == "...") {
    out.all_labels = true;
    return out;
  }
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view name = spec.substr(0, comma);
    if (name.empty() || name == "...")
      return core::make_error(fmt::format(
          "--baseline: bad label name '{}' in group_by (\"...\" must stand alone)", name));
    if (std::find(out.labels.begin(), out.labels.end(), name) == out.labels.end())
      out.labels.emplace_back(name);
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
    if (spec.empty()) return core::make_error("--baseline: group_by ends with a comma");
  }
  return out;
}

core::Result<std::int64_t> parse_duration_ms(std::string_view s) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  const std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
  std::int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60 * 1000;
  else if (unit == "h")
    scale = 3600 * 1000;
  if (ec != std::errc() || end == s.data() || n < 0 || scale == 0 || n > INT64_MAX / scale)
    return core::make_error(fmt::format("bad duration '{}': expected e.g. 300s, 5m, 1h, 500ms", s));
  return n * scale;
}

BaselineAssignment assign_baseline(const core::AlertBatch& batch, const core::Interner& interner,
                                   const BaselineSpec& spec) {
  // Label names as Syms; a name no alert carries is Sym 0, whose value is always the empty one.
  std::vector<core::Sym> names;
  for (const std::string& l : spec.labels) names.push_back(interner.find(l));

  struct Group {
    std::size_t number = 0;
    std::int64_t last_ts = 0;
  };
  std::map<std::vector<core::Sym>, Group> open;
  std::size_t groups = 0;
  BaselineAssignment out;
  std::vector<core::Sym> key;
  for (const core::Alert& a : batch.alerts) {
    if (a.kind == core::Kind::kChange) continue;
    key.clear();
    if (spec.all_labels) {
      const core::Label* l = batch.labels_of(a);
      for (std::uint32_t i = 0; i < a.labels_count; ++i) {
        key.push_back(l[i].name);
        key.push_back(l[i].value);
      }
    } else {
      for (core::Sym name : names) key.push_back(name == 0 ? 0 : batch.label(a, name));
    }
    auto [it, fresh] = open.try_emplace(key);
    Group& g = it->second;
    // Strictly more than the interval of quiet ends the group; alerts out of order never do.
    if (fresh || a.ts_ms - g.last_ts > spec.group_interval_ms) {
      g.number = ++groups;
      g.last_ts = a.ts_ms;
    }
    g.last_ts = std::max(g.last_ts, a.ts_ms);
    out.alert_ids.emplace_back(batch.str(a.id));
    out.incident.push_back(fmt::format("g-{}", g.number));
  }
  return out;
}

}  // namespace squall::eval
