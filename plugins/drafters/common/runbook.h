#pragma once
// The runbook: a root-cause hypothesis → a suggested action (text for a human, never executed).
#include <string>
#include <string_view>
#include <vector>

#include "plugins/drafters/common/bundle_view.h"
#include "plugins/drafters/common/config.h"

namespace squall::drafters {

// What a hypothesis is about, as the runbook sees it.
struct HypothesisKind {
  std::string kind;    // deploy | change | zone | node | service | any
  std::string entity;  // what `pattern` is matched against
  std::string service, node, zone, deploy, change;
};

// The summary of the change that is part of `h`: its "change", else (a bundle without that key)
// the latest change on its service when `h` is a service hypothesis; "" when none.
[[nodiscard]] std::string change_of(const HypothesisEntry& h, const BundleView& bundle);

// Classifies `h` (nullptr: no hypothesis, kind "any"): a change that is part of it (change_of)
// makes it a "deploy" (the summary names `name@version` or starts with "deploy") or a "change";
// else a zone makes it "zone", a node "node"; else "service".
[[nodiscard]] HypothesisKind classify(const HypothesisEntry* h, const BundleView& bundle);

// The action of the first rule matching `h` (kind "any" matches every kind), its placeholders
// filled from `h` and `bundle`; "" when none matches.
[[nodiscard]] std::string suggest_action(const std::vector<RunbookRule>& rules,
                                         const HypothesisEntry* h, const BundleView& bundle);

// Glob match: '*' any run, '?' one character, '|' separates alternatives; "" matches all.
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace squall::drafters
