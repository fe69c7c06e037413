#pragma once
// BundleView: the parts of an incident bundle (docs/DESIGN.md "Outputs of squall replay") that
// drafters read, parsed from its JSON. Missing optional keys read as empty; a key of the wrong
// type is an error. `strings` and `string_members` hold every string in the bundle for the
// grounding check.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/result.h"

namespace squall::drafters {

struct TimelineEntry {
  std::int64_t ts = 0;  // epoch ms
  std::string service;  // "" when null
  std::string alertname;
  std::uint64_t count = 0;
};

struct ChangeEntry {
  std::int64_t ts = 0;
  std::string service;
  std::string summary;
  std::string id;
};

struct HypothesisEntry {
  std::string service;  // "" when null
  std::string node;     // "" when null
  std::string zone;     // "" when absent or null
  double score = 0;
  std::vector<std::string> reasons;
  std::vector<std::string> evidence;  // alert ids (change ids for a change)
  std::string change;                 // summary of the change that is part of it, "" = none
};

struct Exemplar {
  std::string id;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  std::int64_t ts = 0;
  std::string status;
  std::uint64_t count = 0;
  // The value of label / annotation `name`, or "" when absent.
  [[nodiscard]] std::string_view label(std::string_view name) const;
  [[nodiscard]] std::string_view annotation(std::string_view name) const;
};

struct BundleView {
  std::string incident;
  std::uint64_t version = 0;
  std::string state;
  std::vector<std::string> services;
  std::vector<std::string> nodes;
  std::vector<TimelineEntry> timeline;
  std::vector<ChangeEntry> changes;
  std::vector<HypothesisEntry> root_cause;  // best first
  std::vector<Exemplar> exemplars;
  std::vector<std::string> strings;  // every string value and key, document order
  // (key, value) of every member whose value is a string, document order.
  std::vector<std::pair<std::string, std::string>> string_members;
  std::string raw;  // the JSON text as given
  // The exemplar with id `id`, or nullptr.
  [[nodiscard]] const Exemplar* exemplar(std::string_view id) const;
};

// Requires an object with "incident" (string) and "version" (unsigned integer).
[[nodiscard]] core::Result<BundleView> parse_bundle(std::string_view json);

}  // namespace squall::drafters
