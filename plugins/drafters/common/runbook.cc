#include "plugins/drafters/common/runbook.h"

namespace squall::drafters {
namespace {

bool glob_one(std::string_view p, std::string_view t) {
  // Iterative '*' matching with one backtrack point.
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

// The `name@version` in a change summary ("deploy orders@v2.3.1 (was orders@v2.3.0)"), or the
// word after a leading "deploy", or "".
std::string deploy_of(std::string_view summary) {
  auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '@' || c == '/' || c == ':';
  };
  for (std::size_t i = 0; i < summary.size();) {
    while (i < summary.size() && !is_name_char(summary[i])) ++i;
    std::size_t j = i;
    while (j < summary.size() && is_name_char(summary[j])) ++j;
    std::string_view w = summary.substr(i, j - i);
    while (!w.empty() && (w.back() == '.' || w.back() == ':')) w.remove_suffix(1);
    const std::size_t at = w.find('@');
    if (at != std::string_view::npos && at > 0 && at + 1 < w.size()) return std::string(w);
    i = j;
  }
  if (summary.rfind("deploy ", 0) == 0) {
    std::string_view rest = summary.substr(7);
    rest = rest.substr(0, rest.find_first_of(" ,;("));
    while (!rest.empty() && (rest.back() == '.' || rest.back() == ':')) rest.remove_suffix(1);
    return std::string(rest);
  }
  return {};
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos)) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return true;
  std::size_t start = 0;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find('|', start);
    if (end == std::string_view::npos) end = pattern.size();
    if (glob_one(pattern.substr(start, end - start), text)) return true;
    start = end + 1;
  }
  return false;
}

std::string change_of(const HypothesisEntry& h, const BundleView& bundle) {
  if (!h.change.empty()) return h.change;
  if (h.service.empty() || !h.node.empty() || !h.zone.empty()) return {};
  // A bundle without the "change" extension: the latest change on the hypothesis' service.
  for (auto it = bundle.changes.rbegin(); it != bundle.changes.rend(); ++it)
    if (it->service == h.service && !it->summary.empty()) return it->summary;
  return {};
}

HypothesisKind classify(const HypothesisEntry* h, const BundleView& bundle) {
  HypothesisKind k;
  if (h == nullptr) {
    k.kind = "any";
    return k;
  }
  k.service = h->service;
  k.node = h->node;
  k.zone = h->zone;
  k.change = change_of(*h, bundle);
  if (!k.change.empty()) {
    k.deploy = deploy_of(k.change);
    if (!k.deploy.empty()) {
      k.kind = "deploy";
      k.entity = k.deploy;
    } else {
      k.kind = "change";
      k.entity = k.service;
    }
  } else if (!h->zone.empty()) {
    k.kind = "zone";
    k.entity = k.zone;
  } else if (!h->node.empty()) {
    k.kind = "node";
    k.entity = k.node;
  } else {
    k.kind = "service";
    k.entity = k.service;
  }
  return k;
}

std::string suggest_action(const std::vector<RunbookRule>& rules, const HypothesisEntry* h,
                           const BundleView& bundle) {
  const HypothesisKind k = classify(h, bundle);
  for (const RunbookRule& r : rules) {
    if (r.kind != "any" && r.kind != k.kind) continue;
    if (!glob_match(r.pattern, k.entity)) continue;
    std::string action = r.action;
    replace_all(action, "{service}", k.service);
    replace_all(action, "{node}", k.node);
    replace_all(action, "{zone}", k.zone);
    replace_all(action, "{deploy}", k.deploy);
    replace_all(action, "{change}", k.change);
    replace_all(action, "{incident}", bundle.incident);
    return action;
  }
  return {};
}

}  // namespace squall::drafters
